// VRNN through its public entry (src/sequence.ts): training lowers the loss, threads give the same bits, save/load
// round trips (and loadModel finds the class), rejected calls are typed and leave the model as it was, outputs have
// the documented shapes, and memory does not grow over repeated calls.
import { describe, expect, it } from "vitest";
import { DisposedError, InvalidConfigError, InvalidInputError, ModelFormatError, VAE, loadModel } from "../../src/index";
import { VRNN, sequences, type VRNNConfig } from "../../src/sequence";
import { randomArray } from "../helpers/wasm";

const CONFIG: VRNNConfig = { inputSize: 6, hiddenSize: 9, latentSize: 3, phiX: [8], phiZ: [5], priorSizes: [7], encoderSizes: [6],
  decoderSizes: [7], seed: 3 };
const T = 5;

function data(n: number, seed: number, lengths?: number[]) {
  const v = randomArray(n * T * 6, seed, 0, 1);
  return sequences(v, { steps: T, size: 6, lengths: lengths ?? Array.from({ length: n }, (_, i) => 1 + ((i * 3) % T)) });
}

describe("VRNN", () => {
  it("trains: the loss falls; one and two threads give identical losses, weights and outputs", async () => {
    const x = data(40, 1);
    const run = async (threads: number) => {
      const m = await VRNN.create({ ...CONFIG, cell: "lstm" }, { threads });
      const log = await m.fit(x, { epochs: 4, batchSize: 16, clipNorm: 10, shuffleSeed: 2 });
      const out = { log: log.map((e) => e.loss), w: m.getWeights(), enc: m.encode(x), rec: m.reconstruct(x), s: m.sample(3, { seed: 1, steps: 4 }),
        a: m.anomalyScore(x, { seed: 1 }), ll: m.logLikelihood(data(3, 9), { samples: 4, seed: 1 }) };
      m.dispose();
      return out;
    };
    const one = await run(1), two = await run(2);
    expect(one.log[3]).toBeLessThan(one.log[0]);
    expect(two.log).toEqual(one.log);
    for (const k of Object.keys(one.w)) expect(two.w[k]).toEqual(one.w[k]);
    expect(two.enc).toEqual(one.enc);
    expect(two.rec).toEqual(one.rec);
    expect(two.s).toEqual(one.s);
    expect(two.a).toEqual(one.a);
    expect(two.ll).toEqual(one.ll);
  });

  it("outputs have the documented shapes and meanings", async () => {
    const m = await VRNN.create(CONFIG);
    const x = data(4, 2);
    expect(m.encode(x).mean.length).toBe(4 * T * 3);
    const rec = m.reconstruct(x);
    expect(rec.length).toBe(4 * T * 6);
    expect(rec.every((v) => v > 0 && v < 1)).toBe(true); // Bernoulli means
    const s = m.sample(2, { steps: 7, seed: 1 });
    expect(s.length).toBe(2 * 7 * 6);
    expect(m.sample(2, { steps: 7, seed: 1 })).toEqual(s);
    const a = m.anomalyScore(x, { seed: 1, samples: 3 });
    for (let i = 0; i < 4; i++) {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += a.perStep[i * T + t];
      expect(a.perSequence[i]).toBeCloseTo(sum, 3);
    }
    // the ELBO bounds the importance-sampled log-likelihood from below on average
    const ll = m.logLikelihood(x, { samples: 200, seed: 1 });
    const elbo = -m.evaluate(x, { seed: 1 }).loss;
    const meanLl = ll.reduce((p, q) => p + q, 0) / 4;
    expect(meanLl).toBeGreaterThan(elbo - 0.5);
    // nested arrays of different lengths are sequences too
    const nested = [[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]], [[0, 0, 0, 1, 1, 1], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]];
    expect(m.anomalyScore(nested).perStep.length).toBe(2 * 2);
    m.dispose();
  });

  it("save/load round trips bit for bit; loadModel returns a VRNN; other classes' files are refused", async () => {
    const m = await VRNN.create({ ...CONFIG, likelihood: "gaussian", likelihoodScale: "learned" });
    await m.fit(sequences(randomArray(12 * T * 6, 4, -1, 1), { steps: T, size: 6 }), { epochs: 1, batchSize: 4 });
    const bytes = m.save();
    const a = await VRNN.load(bytes), b = await loadModel(bytes);
    expect(b).toBeInstanceOf(VRNN);
    expect(a.save()).toEqual(bytes);
    expect(a.trainingSteps).toBe(m.trainingSteps);
    const x = sequences(randomArray(3 * T * 6, 5, -1, 1), { steps: T, size: 6 });
    expect(a.evaluate(x, { seed: 2 })).toEqual(m.evaluate(x, { seed: 2 }));
    expect((b as VRNN).encode(x)).toEqual(m.encode(x));
    const vae = await VAE.create({ inputSize: 4, latentSize: 2, hiddenSizes: [3], seed: 1 });
    await expect(VRNN.load(vae.save())).rejects.toThrow(ModelFormatError);
    await expect(VAE.load(bytes)).rejects.toThrow(ModelFormatError);
    for (const x of [m, a, b, vae]) x.dispose();
  });

  it("refuses bad configs, data and options with typed errors, leaving the model as it was", async () => {
    await expect(VRNN.create({ ...CONFIG, cell: "rnn" as never })).rejects.toThrow(InvalidConfigError);
    await expect(VRNN.create({ ...CONFIG, hiddenSize: 0 })).rejects.toThrow(InvalidConfigError);
    await expect(VRNN.create({ ...CONFIG, phiX: [] })).rejects.toThrow(InvalidConfigError);
    await expect(VRNN.create({ ...CONFIG, hiddenSiz: 3 } as never)).rejects.toThrow(/did you mean/);
    const m = await VRNN.create(CONFIG);
    const twin = await VRNN.create(CONFIG);
    const x = data(8, 6);
    const bad: [string, () => unknown][] = [
      ["wrong step size", () => m.evaluate(sequences(new Float32Array(2 * T * 5), { steps: T, size: 5 }))],
      ["values outside [0, 1] for Bernoulli", () => m.encode(sequences(new Float32Array(T * 6).fill(2), { steps: T, size: 6 }))],
      ["a length past the steps", () => m.encode({ ...x, lengths: new Int32Array(8).fill(T + 1) })],
      ["NaN in a real step", () => m.reconstruct(sequences(new Float32Array(T * 6).fill(NaN), { steps: T, size: 6 }))],
      ["not sequences", () => m.encode(new Float32Array(12) as never)],
      ["unknown option", () => m.sample(2, { step: 3 } as never)],
      ["steps 0", () => m.sample(2, { steps: 0 })],
      ["bad epsilon", () => m.gradients(x, { epsilon: [1, 2] })],
      ["samples 0", () => m.anomalyScore(x, { samples: 0 })],
    ];
    for (const [name, call] of bad) expect(call, name).toThrow(InvalidInputError);
    await expect(m.fit(x, { epochs: 1, batchSize: 0 })).rejects.toThrow(InvalidInputError);
    await expect(m.fit(x, { epochs: 1, dynamicBinarization: true })).rejects.toThrow(InvalidInputError);
    // the seedless stream did not move, the weights did not change: the twin agrees
    expect(m.sample(2, { steps: 3 })).toEqual(twin.sample(2, { steps: 3 }));
    const w = m.getWeights(), tw = twin.getWeights();
    for (const k of Object.keys(w)) expect(w[k]).toEqual(tw[k]);
    await m.fit(x, { epochs: 1, batchSize: 4 });
    await twin.fit(x, { epochs: 1, batchSize: 4 });
    expect(m.getWeights()["rnn.weight_hh"]).toEqual(twin.getWeights()["rnn.weight_hh"]);
    m.dispose();
    expect(() => m.encode(x)).toThrow(DisposedError);
    twin.dispose();
  });

  it("memory does not grow over repeated calls", async () => {
    const m = await VRNN.create(CONFIG);
    const x = data(20, 7);
    const round = async () => {
      m.encode(x); m.reconstruct(x); m.sample(5, { seed: 1, steps: T }); m.anomalyScore(x); m.logLikelihood(x, { samples: 3 });
      m.gradients(x); await m.fit(x, { epochs: 1, batchSize: 8 });
    };
    await round();
    const bytes = m.memoryBytes;
    for (let i = 0; i < 5; i++) await round();
    expect(m.memoryBytes).toBe(bytes);
    m.dispose();
  });
});
