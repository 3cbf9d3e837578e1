// Early stopping and checkpoints: training stops after more than `patience` epochs without improvement of the
// monitored quantity, the best epoch's weights come back bit for bit (compared with a run stopped at that epoch),
// checkpoints are written every k epochs and on improvement as loadable, resumable files, bad settings are refused
// before anything moves.
import { describe, expect, it } from "vitest";
import { InvalidInputError, VAE, type EpochLog } from "../../src/index";
import { oneAndMany } from "../helpers/engines";
import { fit } from "../../src/train/fit";
import { ganData, TinyGan } from "./tiny-gan";

const config = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 3 };
const x = Float32Array.from({ length: 60 }, (_, i) => ((i * 7) % 10) / 10);
const v = Float32Array.from({ length: 30 }, (_, i) => ((i * 3) % 7) / 7);

/** The epoch index (0-based) at which training with `patience` stops, and the best epoch before it, from the losses. */
function expectedStop(losses: number[], patience: number, minDelta: number): { stop: number; best: number } {
  let best = Infinity, bestAt = -1, wait = 0;
  for (let i = 0; i < losses.length; i++) {
    if (losses[i] < best - minDelta) [best, bestAt, wait] = [losses[i], i, 0];
    else if (++wait > patience) return { stop: i, best: bestAt };
  }
  return { stop: losses.length - 1, best: bestAt };
}

describe("early stopping", () => {
  it("stops after more than `patience` epochs without improvement and restores the best epoch's weights bit for bit", async () => {
    // a large learning rate makes the validation loss bounce: a run of 30 epochs without stopping gives the losses
    const o = { batchSize: 4, learningRate: 0.05, validationData: v } as const;
    const free = await VAE.create(config);
    const losses = (await free.fit(x, { ...o, epochs: 30 })).map((l) => l.validation!.loss);
    free.dispose();
    const patience = 2, minDelta = 0.01;
    const { stop, best } = expectedStop(losses, patience, minDelta);
    expect(stop, "the run stops before its 30 epochs (else the test proves nothing)").toBeLessThan(29);
    expect(best).toBeLessThan(stop);

    const m = await VAE.create(config);
    const logs = await m.fit(x, { ...o, epochs: 30, earlyStopping: { patience, minDelta, restoreBestWeights: true } });
    expect(logs.length).toBe(stop + 1);
    expect(logs.map((l) => l.validation!.loss)).toEqual(losses.slice(0, stop + 1));
    // the same model trained for exactly best + 1 epochs
    const ref = await VAE.create(config);
    await ref.fit(x, { ...o, epochs: best + 1 });
    const w = m.getWeights(), r = ref.getWeights();
    for (const k of Object.keys(r)) expect(new Uint32Array(w[k].buffer), k).toEqual(new Uint32Array(r[k].buffer));
    // without restoreBestWeights the weights are the last epoch's
    const last = await VAE.create(config);
    await last.fit(x, { ...o, epochs: 30, earlyStopping: { patience, minDelta } });
    const atStop = await VAE.create(config);
    await atStop.fit(x, { ...o, epochs: stop + 1 });
    expect(last.save()).toEqual(atStop.save());
    expect(last.save()).not.toEqual(ref.save());
    for (const d of [m, ref, last, atStop]) d.dispose();
  });

  it("monitors a training quantity when asked, and stops at the first bad epoch with patience 0", async () => {
    const m = await VAE.create(config);
    const logs = await m.fit(x, { epochs: 20, batchSize: 4, learningRate: 0.05, earlyStopping: { monitor: "kl", minDelta: 1e6 } });
    expect(logs.length).toBe(2); // epoch 1 sets the best; epoch 2 can't beat it by 1e6
    m.dispose();
  });

  it("works on a stepped target (parameter groups): the whole parameter buffer comes back", async () => {
    const { one } = await oneAndMany();
    const gan = new TinyGan(one);
    const start = gan.weights();
    const logs = (await fit(gan.target(), ganData(8), { epochs: 5, batchSize: 8, learningRate: 0.01,
      earlyStopping: { monitor: "loss", minDelta: 1e9, restoreBestWeights: true } })) as EpochLog[];
    expect(logs.length).toBe(2);
    const ref = new TinyGan(one);
    await fit(ref.target(), ganData(8), { epochs: 1, batchSize: 8, learningRate: 0.01 });
    expect(gan.weights()).toEqual(ref.weights());
    expect(gan.weights()).not.toEqual(start);
    gan.dispose();
    ref.dispose();
  });

  it("refuses bad settings before anything moves", async () => {
    const m = await VAE.create(config);
    const before = m.save();
    for (const es of [{ patience: -1 }, { patience: 1.5 }, { minDelta: -1 }, { monitor: "validation loss" }, { restoreBestWeights: 1 }, { patiance: 2 }, 3]) {
      await expect(m.fit(x, { validationData: v, earlyStopping: es as never }), JSON.stringify(es)).rejects.toThrow(InvalidInputError);
    }
    await expect(m.fit(x, { earlyStopping: {} })).rejects.toThrow(/needs validationData/);
    // a key the log doesn't have is named at the end of the first epoch, with the keys it has
    await expect(m.fit(x, { epochs: 2, earlyStopping: { monitor: "nope" } })).rejects.toThrow(/no such number; it has loss, reconstruction, kl/);
    m.dispose();
    const fresh = await VAE.create(config);
    expect(fresh.save()).toEqual(before);
    fresh.dispose();
  });
});

describe("checkpoints", () => {
  it("writes every k epochs and on improvement; each file loads and resumes like the model at that epoch", async () => {
    const written: [number, Uint8Array][] = [];
    const m = await VAE.create(config);
    const o = { batchSize: 4, learningRate: 0.05, validationData: v } as const;
    await m.fit(x, { ...o, epochs: 6, checkpoint: { every: 3, write: (bytes, log) => void written.push([log.epoch, bytes]) } });
    expect(written.map(([e]) => e)).toEqual([3, 6]);
    expect(written[1][1]).toEqual(m.save({ optimizer: true }));
    // the epoch-3 checkpoint resumed for 3 epochs is the model after 6
    const back = await VAE.load(written[0][1]);
    await back.fit(x, { ...o, epochs: 3, resume: true });
    expect(back.save({ optimizer: true })).toEqual(m.save({ optimizer: true }));
    back.dispose();

    // on improvement of the validation loss (async write awaited), without the optimizer state
    const improved: number[] = [];
    const m2 = await VAE.create(config);
    const logs = await m2.fit(x, { ...o, epochs: 8, checkpoint: { onImprovement: true, optimizer: false,
      write: async (bytes, log) => {
        await new Promise((r) => setTimeout(r, 1));
        expect(new TextDecoder().decode(bytes.subarray(0, 400))).toContain('"format_version":"1"');
        improved.push(log.epoch);
      } } });
    const losses = logs.map((l) => l.validation!.loss);
    const expected = losses.flatMap((l, i) => (l < Math.min(...losses.slice(0, i)) || i === 0 ? [i + 1] : []));
    expect(improved).toEqual(expected);
    m.dispose();
    m2.dispose();
  });

  it("refuses bad settings before anything moves", async () => {
    const m = await VAE.create(config);
    for (const cp of [{}, { write: 1 }, { write: () => {}, every: 0 }, { write: () => {}, monitor: "loss" }, { write: () => {}, optimizer: "yes" }, { write: () => {}, onImprovement: true }]) {
      await expect(m.fit(x, { checkpoint: cp as never }), JSON.stringify(cp)).rejects.toThrow(InvalidInputError);
    }
    expect(m.trainingSteps).toBe(0);
    m.dispose();
  });
});
