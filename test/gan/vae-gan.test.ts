// VAEGAN: every step's loss and gradient against float64 central differences and TF.js autograd (the objectives
// written independently in test/sdk/reference.ts), alternating updates that touch only their own group (bit for
// bit), the balance rule, per-step logs, save/load, refusals.
import { describe, expect, it } from "vitest";
import { DisposedError, InvalidConfigError, InvalidInputError, ModelFormatError, VAE, loadModel } from "../../src/index.js";
import { VAEGAN, type VAEGANConfig } from "../../src/gan.js";
import { randomArray } from "../helpers/wasm.js";
import { expectGradients } from "../sdk/gradcheck.js";
import { vaeGanObjective, type VaeGanConfig } from "../sdk/reference.js";

const D = 12, L = 3;
const base: VAEGANConfig = {
  inputSize: D, latentSize: L, activation: "tanh",
  encoder: [{ type: "dense", units: 10 }], decoder: [{ type: "dense", units: 9 }],
  discriminator: [{ type: "dense", units: 8 }, { type: "dense", units: 7 }], seed: 3,
};
const unit = (n: number, seed: number) => randomArray(n * D, seed, 0, 1);

describe("VAEGAN gradients", () => {
  const variants: [string, Partial<VAEGANConfig>][] = [
    ["tanh, features at the last hidden layer", { featureLayer: 1 }],
    ["features at layer 0, minimax, label smoothing, β, γ", { featureLayer: 0, generatorLoss: "minimax", labelSmoothing: 0.1, beta: 0.5, gamma: 0.3 }],
    ["leaky ReLU, identity output", { activation: "leaky_relu", leakySlope: 0.2, outputActivation: "identity", gamma: 2 }],
  ];
  for (const [name, extra] of variants) {
    for (const step of ["encoder", "decoder", "discriminator"] as const) {
      it(`${step} step: ${name}`, async () => {
        const m = await VAEGAN.create({ ...base, ...extra });
        const n = 5;
        const x = unit(n, 11), eps = randomArray(n * L, 12, -2, 2), prior = randomArray(n * L, 13, -2, 2);
        const cfg = m.config as unknown as VaeGanConfig;
        const result = m.gradients(x, { step, epsilon: eps, prior });
        const r = await expectGradients({
          model: m, result, label: `VAEGAN ${step} (${name})`,
          objective: (o, W) => vaeGanObjective(o, W, cfg, step, o.input(x, n, D), n, o.input(eps, n, L), o.input(prior, n, L)),
        });
        expect(r.fdWorst).toBeLessThan(2e-5);
        // a step's gradient reaches the networks its loss depends on
        const g = result.gradients;
        const norm = (k: string) => g[k].reduce((s, v) => s + Math.abs(v), 0);
        expect(norm("encoder.layers.0.weight")).toBeGreaterThan(0);
        expect(norm("discriminator.layers.0.weight")).toBeGreaterThan(0);
        if (step !== "encoder") expect(norm("discriminator.output.weight")).toBeGreaterThan(0);
        else expect(norm("discriminator.output.weight")).toBe(0);
        m.dispose();
      });
    }
  }
});

describe("VAEGAN training", () => {
  it("updates only the step's group, in Larsen's order, bit for bit", async () => {
    const m = await VAEGAN.create({ ...base, balance: null });
    const x = unit(16, 21);
    const groups = m.parameterGroups;
    expect(groups.map((g) => g.name)).toEqual(["encoder", "decoder", "discriminator"]);
    const names = Object.keys(m.getWeights());
    const groupOf = (k: string) => k.split(".")[0];
    const seen: string[] = [];
    let before = m.getWeights();
    // one batch, three steps: after each step only that group's tensors differ from the step before
    await m.fit(x, { epochs: 1, batchSize: 16, onBatchEnd: () => void 0 });
    const after = m.getWeights();
    for (const k of names) expect(Array.from(after[k]).some((v, i) => v !== before[k][i]), k).toBe(true);
    // replay with a twin, step by step: a fit whose later groups have learning rate 0 moves only the earlier group
    for (const only of ["encoder", "decoder", "discriminator"]) {
      const twin = await VAEGAN.create({ ...base, balance: null });
      before = twin.getWeights();
      const frozen = Object.fromEntries(groups.filter((g) => g.name !== only).map((g) => [g.name, { learningRate: 1e-30 }]));
      // an SGD step with learning rate 1e-30 changes no f32 weight of these sizes: only `only` moves
      await twin.fit(x, { epochs: 1, batchSize: 16, optimizer: "sgd", learningRate: 0.1, parameterGroups: frozen });
      const w = twin.getWeights();
      for (const k of names) {
        const moved = Array.from(w[k]).some((v, i) => v !== before[k][i]);
        expect(moved, `${only} step: ${k}`).toBe(groupOf(k) === only);
      }
      seen.push(only);
      twin.dispose();
    }
    expect(seen).toEqual(["encoder", "decoder", "discriminator"]);
    m.dispose();
  });

  it("logs every loss term of every step per epoch, and the balance rule skips updates", async () => {
    const m = await VAEGAN.create({ ...base });
    const x = unit(32, 41);
    const h = await m.fit(x, { epochs: 2, batchSize: 8 });
    expect(h).toHaveLength(2);
    const s = h[1].steps!;
    expect(Object.keys(s)).toEqual(["encoder", "decoder", "discriminator"]);
    for (const k of ["loss", "kl", "reconstruction"]) expect(Number.isFinite(s.encoder[k])).toBe(true);
    for (const k of ["loss", "reconstruction", "adversarial", "updated"]) expect(Number.isFinite(s.decoder[k])).toBe(true);
    for (const k of ["loss", "real", "reconstructed", "prior", "updated"]) expect(Number.isFinite(s.discriminator[k])).toBe(true);
    expect(h[1].loss).toBeCloseTo(s.encoder.loss + s.decoder.loss + s.discriminator.loss, 3);
    // a balance the discriminator can never satisfy (equilibrium far above any BCE): it never updates
    const stuck = await VAEGAN.create({ ...base, balance: { equilibrium: 50, margin: 0 } });
    const w = stuck.getWeights();
    const hs = await stuck.fit(x, { epochs: 1, batchSize: 8 });
    expect(hs[0].steps!.discriminator.updated).toBe(0);
    expect(hs[0].steps!.decoder.updated).toBe(1);
    const w2 = stuck.getWeights();
    expect(w2["discriminator.layers.0.weight"]).toEqual(w["discriminator.layers.0.weight"]);
    expect(w2["decoder.output.weight"]).not.toEqual(w["decoder.output.weight"]);
    stuck.dispose();
    m.dispose();
  });

  it("trains the same bits twice, and save/load keeps weights, steps and outputs", async () => {
    const x = unit(24, 51);
    const a = await VAEGAN.create(base), b = await VAEGAN.create(base);
    const ha = await a.fit(x, { epochs: 2, batchSize: 8 });
    const hb = await b.fit(x, { epochs: 2, batchSize: 8 });
    expect(ha.map((l) => l.loss)).toEqual(hb.map((l) => l.loss));
    expect(a.save()).toEqual(b.save());
    const bytes = a.save();
    const c = await VAEGAN.load(bytes);
    expect(c.save()).toEqual(bytes);
    expect(c.trainingSteps).toBe(a.trainingSteps);
    expect(c.trainingSteps).toBe(6);
    expect(c.sample(4, { seed: 2 })).toEqual(a.sample(4, { seed: 2 }));
    expect(c.reconstruct(x)).toEqual(a.reconstruct(x));
    expect(c.evaluate(x, { seed: 1 })).toEqual(a.evaluate(x, { seed: 1 }));
    const d = await loadModel(bytes);
    expect(d).toBeInstanceOf(VAEGAN);
    expect(d.save()).toEqual(bytes);
    await expect(VAE.load(bytes)).rejects.toThrow(ModelFormatError);
    // a further epoch (SGD: no optimizer state, which files do not hold) continues identically from the loaded copy
    const h1 = await a.fit(x, { epochs: 1, batchSize: 8, optimizer: "sgd", learningRate: 0.01 });
    const h2 = await c.fit(x, { epochs: 1, batchSize: 8, optimizer: "sgd", learningRate: 0.01 });
    expect(c.save()).toEqual(a.save());
    expect(h2[0].loss).toBe(h1[0].loss);
    for (const m of [a, b, c, d]) m.dispose();
  });

  it("refuses bad configs and calls with typed errors, leaving the model as it was", async () => {
    await expect(VAEGAN.create({ ...base, featureLayer: 2 })).rejects.toThrow(InvalidConfigError);
    await expect(VAEGAN.create({ ...base, discriminator: [{ type: "conv2d" } as never] })).rejects.toThrow(InvalidConfigError);
    await expect(VAEGAN.create({ ...base, gama: 1 } as never)).rejects.toThrow(/did you mean 'gamma'/);
    const m = await VAEGAN.create(base);
    const w = m.save();
    expect(() => m.encode(new Float32Array(D + 1))).toThrow(InvalidInputError);
    expect(() => m.encode(new Float32Array(D).fill(2))).toThrow(/\[0, 1\]/);
    expect(() => m.gradients(unit(2, 1), { step: "generator" as never })).toThrow(InvalidInputError);
    expect(() => m.gradients(unit(2, 1), { epsilon: new Float32Array(L) })).toThrow(InvalidInputError);
    await expect(m.fit(unit(4, 1), { parameterGroups: { generator: { learningRate: 1 } } })).rejects.toThrow(/no parameter group 'generator'; its groups: encoder, decoder, discriminator/);
    const x = unit(4, 2);
    x[3] = NaN;
    await expect(m.fit(x, { epochs: 1 })).rejects.toThrow(InvalidInputError);
    // dynamic binarization would binarize only what the encoder sees, not the discriminator's real rows: refused
    await expect(m.fit(unit(4, 3), { epochs: 1, dynamicBinarization: true })).rejects.toThrow(/dynamicBinarization is not available for VAEGAN/);
    const stream = { rows: 4, read: async (s: number, c: number) => unit(4, 3).subarray(s * D, (s + c) * D) };
    await expect(m.fit(stream as never, { epochs: 1, dynamicBinarization: true })).rejects.toThrow(/dynamicBinarization is not available for VAEGAN/);
    expect(m.save()).toEqual(w);
    expect(m.trainingSteps).toBe(0);
    m.dispose();
    expect(() => m.sample(1, { seed: 1 })).toThrow(DisposedError);
  });
});
