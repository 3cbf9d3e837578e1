// Resumable training: for every model of the contract suite and every optimizer, N epochs, save({ optimizer: true }),
// load, M more epochs with resume gives the same bits (weights, optimizer moments and step counts, noise streams,
// epoch counter, plateau state: the whole resumable file) as N + M epochs in one run; files without the optimizer
// state are the same bytes as before; damaged optimizer state is refused with a typed error.
import { describe, expect, it } from "vitest";
import { InvalidInputError, ModelFormatError, VAE, type FitOptions } from "../../src/index";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors";
import { ENTRIES } from "../contract/entries";

const OPTIMIZERS: Record<string, FitOptions> = {
  adam: { optimizer: "adam", learningRate: 2e-3 },
  adamw: { optimizer: "adamw", learningRate: 2e-3, weightDecay: 0.05, schedule: { type: "cosine", total: 9, warmup: 2, per: "step" } },
  "sgd (Nesterov momentum, plateau schedule)": { optimizer: "sgd", learningRate: 1e-3, momentum: 0.9, nesterov: true, clipNorm: 50,
    schedule: { type: "plateau", monitor: "loss", patience: 0, factor: 0.5, minDelta: 1e9 } },
};

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

// Models trained in parameter groups (one optimizer per group) can't store their optimizer state yet: they refuse
// save({ optimizer: true }) with a typed error (tested below) instead of writing a file that would not resume exactly.
const GROUPED_STATE = new Set(["VAEGAN", "CVAEGAN", "MultiLevelVAE"]);
// Models that refuse dynamic binarization (their data is binarized beforehand, or has no single [0, 1] range)
const NO_BINARIZATION = new Set(["VRNN", "HybridVAE"]);

describe.each(ENTRIES.filter((E) => GROUPED_STATE.has(E.kind)))("resume refused: $name", (E) => {
  it("save({ optimizer: true }) after training is a typed error, and save() still works", async () => {
    const b = E.data(22, 3);
    const m = await E.create();
    await E.fit(m, b, { batchSize: 5, epochs: 1 });
    expect(() => m.save({ optimizer: true })).toThrow(InvalidInputError);
    expect(() => m.save({ optimizer: true })).toThrow(/optimizer state of its parameter groups is not stored/);
    const again = await E.load(m.save());
    expect(same(again.save(), m.save())).toBe(true);
    again.dispose();
    m.dispose();
  });
});

describe.each(ENTRIES.filter((E) => !GROUPED_STATE.has(E.kind)))("resume: $name", (E) => {
  it.each(Object.keys(OPTIMIZERS))("N epochs, save, load, M more == N + M in one run, bit for bit (%s)", async (name) => {
    const b = E.data(22, 3);
    const unit = !NO_BINARIZATION.has(E.kind) && b.x.every((v) => v >= 0 && v <= 1);
    const o: FitOptions = { batchSize: 5, shuffleSeed: 4, validationData: undefined, ...(unit ? { dynamicBinarization: true } : {}), ...OPTIMIZERS[name] };
    const whole = await E.create();
    const logs = (await E.fit(whole, b, { ...o, epochs: 3 })) as { loss: number; epoch: number; learningRate?: number }[];
    const first = await E.create();
    await E.fit(first, b, { ...o, epochs: 2 });
    const file = first.save({ optimizer: true });
    first.dispose();
    const resumed = await E.load(file);
    const rest = (await E.fit(resumed, b, { ...o, epochs: 1, resume: true })) as typeof logs;
    expect(rest.map((l) => [l.epoch, l.loss, l.learningRate])).toEqual([[3, logs[2].loss, logs[2].learningRate]]);
    expect(same(resumed.save({ optimizer: true }), whole.save({ optimizer: true })), "the resumable files are the same bytes").toBe(true);
    expect(same(resumed.save(), whole.save()), "the plain files are the same bytes").toBe(true);
    // and the resumed file is really different from a fresh one (the state moved)
    expect(same(file, whole.save({ optimizer: true }))).toBe(false);
    resumed.dispose();
    whole.dispose();
  });
});

describe("the resumable file", () => {
  const config = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 3 };
  const x = Float32Array.from({ length: 60 }, (_, i) => ((i * 7) % 10) / 10);

  it("without the optimizer state is the version 1 file, byte for byte; an untrained model has no state to store", async () => {
    const m = await VAE.create(config);
    expect(same(m.save({ optimizer: true }), m.save())).toBe(true);
    await m.fit(x, { epochs: 1, batchSize: 4 });
    expect(same(m.save({ optimizer: false }), m.save())).toBe(true);
    expect(decodeSafetensors(m.save()).metadata.format_version).toBe("1");
    const meta = decodeSafetensors(m.save({ optimizer: true })).metadata;
    expect(meta.format_version).toBe("2");
    expect(JSON.parse(meta.optimizer)).toEqual({ kind: "adam", step: 3, epoch: 1, streams: { 2: 5 } });
    expect(() => m.save({ optimizer: "yes" } as never)).toThrow(InvalidInputError);
    m.dispose();
  });

  it("without resume, fit numbers epochs from 1 again (today's behaviour); with it, from where the model stopped", async () => {
    const m = await VAE.create(config);
    expect((await m.fit(x, { epochs: 2, batchSize: 4 })).map((l) => l.epoch)).toEqual([1, 2]);
    expect((await m.fit(x, { epochs: 2, batchSize: 4, resume: true })).map((l) => l.epoch)).toEqual([3, 4]);
    expect((await m.fit(x, { epochs: 1, batchSize: 4 })).map((l) => l.epoch)).toEqual([1]);
    await expect(m.fit(x, { resume: 1 as never })).rejects.toThrow(InvalidInputError);
    m.dispose();
  });

  it("refuses damaged or out-of-range optimizer state with ModelFormatError", async () => {
    const m = await VAE.create(config);
    await m.fit(x, { epochs: 2, batchSize: 4, schedule: { type: "plateau", monitor: "loss" } });
    const good = decodeSafetensors(m.save({ optimizer: true }));
    const state = JSON.parse(good.metadata.optimizer);
    const withMeta = (patch: Record<string, unknown>, meta: Record<string, string> = {}) =>
      encodeSafetensors(good.tensors, { ...good.metadata, optimizer: JSON.stringify({ ...state, ...patch }), ...meta });
    const withTensor = (name: string, data: Float32Array | undefined) => {
      const t = new Map(good.tensors);
      if (data) t.set(name, { shape: [data.length], data });
      else t.delete(name);
      return encodeSafetensors(t, good.metadata);
    };
    const n = good.tensors.get("optimizer.exp_avg")!.data.length;
    const bad: Record<string, Uint8Array> = {
      "unknown optimizer": withMeta({ kind: "rmsprop" }),
      "negative step": withMeta({ step: -1 }),
      "fractional epoch": withMeta({ epoch: 1.5 }),
      "huge stream position": withMeta({ streams: { 2: 2 ** 60 } }),
      "unknown stream": withMeta({ streams: { 99: 1 } }),
      "unknown field": withMeta({ extra: 1 }),
      "plateau factor above 1": withMeta({ plateau: { ...state.plateau, factor: 2 } }),
      "not JSON": encodeSafetensors(good.tensors, { ...good.metadata, optimizer: "{" }),
      "version 1 with optimizer state": withMeta({}, { format_version: "1" }),
      "version 2 without it": encodeSafetensors(good.tensors, Object.fromEntries(Object.entries(good.metadata).filter(([k]) => k !== "optimizer"))),
      "missing exp_avg_sq": withTensor("optimizer.exp_avg_sq", undefined),
      "short exp_avg": withTensor("optimizer.exp_avg", new Float32Array(n - 1)),
      "NaN in exp_avg": withTensor("optimizer.exp_avg", new Float32Array(n).fill(NaN)),
      "negative exp_avg_sq": withTensor("optimizer.exp_avg_sq", new Float32Array(n).fill(-1)),
      "momentum buffer for Adam": withTensor("optimizer.momentum_buffer", new Float32Array(n)),
      "both moments longer than the model's parameter buffer": (() => {
        const t = new Map(good.tensors);
        for (const k of ["optimizer.exp_avg", "optimizer.exp_avg_sq"]) t.set(k, { shape: [n + 4], data: new Float32Array(n + 4) });
        return encodeSafetensors(t, good.metadata);
      })(),
    };
    for (const [what, bytes] of Object.entries(bad)) {
      await expect(VAE.load(bytes), what).rejects.toThrow(ModelFormatError);
    }
    // the intact file loads, and its state is the saved one
    const again = await VAE.load(encodeSafetensors(good.tensors, good.metadata));
    expect(same(again.save({ optimizer: true }), m.save({ optimizer: true }))).toBe(true);
    again.dispose();
    m.dispose();
  });
});
