// Resumable training: for every model of the contract suite (those trained in parameter groups too: GANs, the
// multi-level VAE) and every optimizer, N epochs, save({ optimizer: true }), load, M more epochs with resume gives the
// same bits (weights, optimizer moments and step counts, noise streams, epoch counter, plateau state, order: the
// whole resumable file) as N + M epochs in one run; files without the optimizer state are the same bytes as before;
// damaged optimizer state is refused with a typed error.
import { describe, expect, it } from "vitest";
import { InvalidInputError, ModelFormatError, VAE, type FitOptions } from "../../src/index";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../../src/io/safetensors";
import { ENTRIES } from "../contract/entries";
import { VAEGAN } from "../../src/gan";

const OPTIMIZERS: Record<string, FitOptions> = {
  adam: { optimizer: "adam", learningRate: 2e-3 },
  adamw: { optimizer: "adamw", learningRate: 2e-3, weightDecay: 0.05, schedule: { type: "cosine", total: 9, warmup: 2, per: "step" } },
  "sgd (Nesterov momentum, plateau schedule)": { optimizer: "sgd", learningRate: 1e-3, momentum: 0.9, nesterov: true, clipNorm: 50,
    schedule: { type: "plateau", monitor: "loss", patience: 0, factor: 0.5, minDelta: 1e9 } },
};

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

// Models that refuse dynamic binarization (their data is binarized beforehand, or has no single [0, 1] range)
const NO_BINARIZATION = new Set(["VRNN", "HybridVAE", "VAEGAN", "CVAEGAN"]);

describe.each(ENTRIES)("resume: $name", (E) => {
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
    // the order: the model's seed (shuffleSeed's default) and range 1 (the row shuffle)
    expect(JSON.parse(meta.optimizer)).toEqual({ kind: "adam", step: 3, epoch: 1, streams: { 2: 5 }, order: { seed: 3, range: 1 } });
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

describe("the resumable file of a model trained in parameter groups", () => {
  const config = { inputSize: 6, latentSize: 2, encoder: [{ type: "dense" as const, units: 5 }], decoder: [{ type: "dense" as const, units: 5 }],
    discriminator: [{ type: "dense" as const, units: 4 }], seed: 2 };
  const x = Float32Array.from({ length: 66 }, (_, i) => ((i * 7) % 10) / 10);
  // the discriminator on SGD with momentum and its own plateau schedule, the rest on Adam
  const o = { batchSize: 4, shuffleSeed: 9, parameterGroups: { discriminator: { optimizer: "sgd" as const, learningRate: 1e-2, momentum: 0.5,
    schedule: { type: "plateau" as const, monitor: "loss", patience: 0, factor: 0.5, minDelta: 1e9 } } } };

  it("holds each group's optimizer state under its name, and resumes mixed optimizers bit for bit", async () => {
    const whole = await VAEGAN.create(config);
    // checkpoints work for models trained in parameter groups too: the one of epoch 2 is the resumable file of a
    // model trained 2 epochs
    const written: Uint8Array[] = [];
    await whole.fit(x, { ...o, epochs: 3, checkpoint: { every: 2, write: (bytes) => void written.push(bytes) } });
    const first = await VAEGAN.create(config);
    await first.fit(x, { ...o, epochs: 2 });
    const file = decodeSafetensors(first.save({ optimizer: true }));
    expect(written.length).toBe(1);
    expect(same(written[0], first.save({ optimizer: true }))).toBe(true);
    const state = JSON.parse(file.metadata.optimizer);
    expect(Object.keys(state.groups)).toEqual(["encoder", "decoder", "discriminator"]);
    expect(state.groups.discriminator.kind).toBe("sgd");
    expect(state.groups.encoder.kind).toBe("adam");
    // the first epoch sets the best; the second, no better by minDelta, halves the rate (patience 0)
    expect(state.groups.discriminator.plateau.factor).toBe(0.5);
    expect(state.groups.encoder.plateau).toBeUndefined();
    expect(state.epoch).toBe(2);
    expect(state.order).toEqual({ seed: 9, range: 1 });
    const sizes = Object.fromEntries(first.parameterGroups.map((g) => [g.name, g.size]));
    expect(file.tensors.get("optimizer.discriminator.momentum_buffer")!.shape).toEqual([sizes.discriminator]);
    expect(file.tensors.get("optimizer.encoder.exp_avg_sq")!.shape).toEqual([sizes.encoder]);
    expect(file.tensors.has("optimizer.discriminator.exp_avg")).toBe(false);
    const resumed = await VAEGAN.load(first.save({ optimizer: true }));
    const rest = await resumed.fit(x, { ...o, epochs: 1, resume: true });
    expect(rest[0].epoch).toBe(3);
    expect(same(resumed.save({ optimizer: true }), whole.save({ optimizer: true }))).toBe(true);
    for (const m of [first, resumed, whole]) m.dispose();
  });

  it("refuses damaged group state with ModelFormatError, and a one-optimizer state in a grouped model's file", async () => {
    const m = await VAEGAN.create(config);
    await m.fit(x, { ...o, epochs: 1 });
    const good = decodeSafetensors(m.save({ optimizer: true }));
    const state = JSON.parse(good.metadata.optimizer);
    const withMeta = (s: unknown) => encodeSafetensors(good.tensors, { ...good.metadata, optimizer: JSON.stringify(s) });
    const withTensors = (edit: (t: Map<string, Tensor>) => void) => {
      const t = new Map(good.tensors);
      edit(t);
      return encodeSafetensors(t, good.metadata);
    };
    const n = good.tensors.get("optimizer.encoder.exp_avg")!.data.length;
    const bad: Record<string, Uint8Array> = {
      "a group the model lacks": withMeta({ ...state, groups: { ...state.groups, generator: state.groups.encoder } }),
      "a group name that is not a name": withMeta({ ...state, groups: { "../x": state.groups.encoder } }),
      "no groups": withMeta({ ...state, groups: {} }),
      "kind and step at the top beside groups": withMeta({ ...state, kind: "adam" }),
      "an unknown group field": withMeta({ ...state, groups: { ...state.groups, encoder: { ...state.groups.encoder, lr: 1 } } }),
      "a bad group kind": withMeta({ ...state, groups: { ...state.groups, encoder: { ...state.groups.encoder, kind: "rmsprop" } } }),
      "a negative group step": withMeta({ ...state, groups: { ...state.groups, decoder: { ...state.groups.decoder, step: -2 } } }),
      "a bad order": withMeta({ ...state, order: { seed: 1, range: 0 } }),
      "a group's moment missing": withTensors((t) => t.delete("optimizer.decoder.exp_avg_sq")),
      "a group's moment of the wrong length": withTensors((t) => {
        for (const k of ["optimizer.encoder.exp_avg", "optimizer.encoder.exp_avg_sq"]) t.set(k, { shape: [n + 1], data: new Float32Array(n + 1) });
      }),
      "a stray optimizer tensor": withTensors((t) => t.set("optimizer.exp_avg", { shape: [3], data: new Float32Array(3) })),
      "a tensor the group's optimizer doesn't keep": withTensors((t) => t.set("optimizer.discriminator.exp_avg", { shape: [2], data: new Float32Array(2) })),
      "a one-optimizer state": (() => {
        const t = new Map([...good.tensors].filter(([k]) => !k.startsWith("optimizer.")));
        const all = m.parameterGroups.reduce((s, g) => s + g.size, 0);
        t.set("optimizer.exp_avg", { shape: [all], data: new Float32Array(all) });
        t.set("optimizer.exp_avg_sq", { shape: [all], data: new Float32Array(all) });
        return encodeSafetensors(t, { ...good.metadata, optimizer: JSON.stringify({ kind: "adam", step: 1, epoch: 1, streams: {} }) });
      })(),
    };
    for (const [what, bytes] of Object.entries(bad)) await expect(VAEGAN.load(bytes), what).rejects.toThrow(ModelFormatError);
    // and a grouped state in a one-optimizer model's file
    const v = await VAE.create({ inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 3 });
    const vf = decodeSafetensors(v.save());
    const t = new Map(vf.tensors);
    t.set("optimizer.all.exp_avg", { shape: [4], data: new Float32Array(4) });
    t.set("optimizer.all.exp_avg_sq", { shape: [4], data: new Float32Array(4) });
    const grouped = encodeSafetensors(t, { ...vf.metadata, format_version: "2",
      optimizer: JSON.stringify({ groups: { all: { kind: "adam", step: 1 } }, epoch: 1, streams: {} }) });
    await expect(VAE.load(grouped)).rejects.toThrow(/optimizer state is of parameter groups/);
    const again = await VAEGAN.load(encodeSafetensors(good.tensors, good.metadata));
    expect(same(again.save({ optimizer: true }), m.save({ optimizer: true }))).toBe(true);
    for (const k of [again, m, v]) k.dispose();
  });
});
