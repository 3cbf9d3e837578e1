// VAEGAN and CVAEGAN with conv layer lists (inputShape): every step's loss and gradient against float64 central
// differences and TF.js autograd (the reference runs the lists as PyTorch defines them: test/sdk/conv-reference.ts),
// alternating updates that touch only their own group (bit for bit), save/load round trips, refusals.
import { describe, expect, it } from "vitest";
import { InvalidConfigError, loadModel } from "../../src/index.js";
import { CVAEGAN, VAEGAN, type CVAEGANConfig, type VAEGANConfig } from "../../src/gan.js";
import { randomArray } from "../helpers/wasm.js";
import { expectGradients } from "../sdk/gradcheck.js";
import { cvaeGanObjective, vaeGanObjective, type CvaeGanConfig, type VaeGanConfig } from "../sdk/reference.js";

const D = 36, L = 3, C = 3;
const conv = (filters: number, extra: Record<string, unknown> = {}) =>
  ({ type: "conv2d" as const, filters, kernelSize: 3, strides: 2, padding: 1, ...extra });
const base: VAEGANConfig = {
  inputShape: [6, 6, 1], latentSize: L, activation: "tanh",
  encoder: [conv(2), { type: "flatten" }, { type: "dense", units: 5 }],
  decoder: [{ type: "dense", units: 18 }, { type: "reshape", shape: [3, 3, 2] },
    { type: "conv2dTranspose", filters: 1, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1 }],
  discriminator: [conv(3, { activation: "leaky_relu" }), { type: "flatten" }, { type: "dense", units: 6 }], leakySlope: 0.2, seed: 5,
};
const unit = (n: number, seed: number) => randomArray(n * D, seed, 0, 1);
const oneHot = (labels: number[]) => {
  const y = new Float64Array(labels.length * C);
  labels.forEach((c, r) => (y[r * C + c] = 1));
  return y;
};

describe("VAEGAN with conv layer lists", () => {
  const variants: [string, Partial<VAEGANConfig>][] = [
    ["features at the conv layer", { featureLayer: 0 }],
    ["features at the dense layer, minimax, label smoothing, γ", { featureLayer: 2, generatorLoss: "minimax", labelSmoothing: 0.1, gamma: 0.4 }],
  ];
  for (const [name, extra] of variants) {
    for (const step of ["encoder", "decoder", "discriminator"] as const) {
      it(`${step} step gradient: ${name}`, async () => {
        const m = await VAEGAN.create({ ...base, ...extra });
        const n = 4;
        const x = unit(n, 11), eps = randomArray(n * L, 12, -2, 2), prior = randomArray(n * L, 13, -2, 2);
        const cfg = m.config as unknown as VaeGanConfig;
        const result = m.gradients(x, { step, epsilon: eps, prior });
        const r = await expectGradients({
          model: m, result, label: `conv VAEGAN ${step} (${name})`,
          objective: (o, W) => vaeGanObjective(o, W, cfg, step, o.input(x, n, D), n, o.input(eps, n, L), o.input(prior, n, L)),
        });
        expect(r.fdWorst).toBeLessThan(2e-5);
        const norm = (k: string) => result.gradients[k].reduce((s, v) => s + Math.abs(v), 0);
        expect(norm("encoder.layers.0.weight")).toBeGreaterThan(0);
        expect(norm("discriminator.layers.0.weight")).toBeGreaterThan(0);
        if (step === "encoder") expect(norm("discriminator.output.weight")).toBe(0);
        else expect(norm("discriminator.output.weight")).toBeGreaterThan(0);
        m.dispose();
      });
    }
  }

  it("updates only the step's group, bit for bit, and save/load round-trips", async () => {
    const x = unit(12, 21);
    const m = await VAEGAN.create({ ...base, balance: null });
    const names = Object.keys(m.getWeights());
    expect(names).toContain("encoder.layers.0.weight");
    expect(names).toContain("decoder.layers.2.weight");
    expect(names).toContain("discriminator.output.weight");
    const groups = m.parameterGroups;
    for (const only of ["encoder", "decoder", "discriminator"]) {
      const twin = await VAEGAN.create({ ...base, balance: null });
      const before = twin.getWeights();
      const frozen = Object.fromEntries(groups.filter((g) => g.name !== only).map((g) => [g.name, { learningRate: 1e-30 }]));
      await twin.fit(x, { epochs: 1, batchSize: 12, optimizer: "sgd", learningRate: 0.1, parameterGroups: frozen });
      const w = twin.getWeights();
      for (const k of names) {
        const moved = Array.from(w[k]).some((v, i) => v !== before[k][i]);
        expect(moved, `${only} step: ${k}`).toBe(k.split(".")[0] === only);
      }
      twin.dispose();
    }
    const h = await m.fit(x, { epochs: 2, batchSize: 6 });
    expect(Object.keys(h[1].steps!)).toEqual(["encoder", "decoder", "discriminator"]);
    const bytes = m.save();
    const c = await VAEGAN.load(bytes);
    expect(c.save()).toEqual(bytes);
    expect(c.config.inputShape).toEqual([6, 6, 1]);
    expect(c.sample(3, { seed: 2 })).toEqual(m.sample(3, { seed: 2 }));
    expect(c.reconstruct(x)).toEqual(m.reconstruct(x));
    expect(c.discriminate(x)).toEqual(m.discriminate(x));
    const d = await loadModel(bytes);
    expect(d).toBeInstanceOf(VAEGAN);
    expect(d.save()).toEqual(bytes);
    for (const v of [m, c, d]) v.dispose();
  });

  it("refuses lists that don't fit with typed errors naming the layer", async () => {
    await expect(VAEGAN.create({ ...base, inputShape: undefined, inputSize: 36 })).rejects.toThrow(/without inputShape the networks are MLPs/);
    await expect(VAEGAN.create({ ...base, discriminator: [conv(3)] })).rejects.toThrow(/discriminator must end flat/);
    await expect(VAEGAN.create({ ...base, decoder: [{ type: "dense", units: 18 }] })).rejects.toThrow(/decoder's list ends with the image/);
    await expect(VAEGAN.create({ ...base, featureLayer: 1 })).rejects.toThrow(/featureLayer 1 is a flatten layer/);
    await expect(VAEGAN.create({ ...base, encoder: [conv(2), { type: "batchNorm" }, { type: "flatten" }] })).rejects.toThrow(InvalidConfigError);
    await expect(VAEGAN.create({ ...base, inputSize: 35 })).rejects.toThrow(/disagrees with inputShape/);
  });
});

describe("CVAEGAN with conv layer lists", () => {
  const cbase: CVAEGANConfig = {
    ...base, classes: C,
    // tanh features: with a piecewise-linear conv layer the pairwise feature loss would not depend on its bias at
    // all (f(x) − f(x′) cancels it), leaving float32 rounding noise against an exact 0
    discriminator: [conv(3), { type: "flatten" }, { type: "dense", units: 6 }],
    classifier: [conv(2), { type: "flatten" }, { type: "dense", units: 4 }],
    weights: { kl: 1.5, encoderPairwise: 0.7, generatorPairwise: 0.3, featureMatching: 2 }, seed: 6,
  } as CVAEGANConfig;
  for (const step of ["encoder", "generator", "discriminator", "classifier"] as const) {
    it(`${step} step gradient (label joined after the encoder's flatten)`, async () => {
      const m = await CVAEGAN.create(cbase);
      const labels = [0, 1, 2, 1];
      const n = labels.length;
      const x = unit(n, 31), eps = randomArray(n * L, 32, -2, 2), prior = randomArray(n * L, 33, -2, 2);
      const cfg = m.config as unknown as CvaeGanConfig;
      const yv = oneHot(labels);
      const result = m.gradients(x, labels, { step, epsilon: eps, prior });
      const r = await expectGradients({
        model: m, result, label: `conv CVAEGAN ${step}`,
        objective: (o, W) => cvaeGanObjective(o, W, cfg, step, o.input(x, n, D), o.input(yv, n, C), yv, n, o.input(eps, n, L), o.input(prior, n, L)),
      });
      expect(r.fdWorst).toBeLessThan(2e-5);
      m.dispose();
    });
  }

  it("takes f_C and the discriminator's head from lists that end at their flatten (generator step gradient)", async () => {
    const m = await CVAEGAN.create({ ...cbase, discriminator: [conv(3), { type: "flatten" }], classifier: [conv(2), { type: "flatten" }] });
    const labels = [2, 0, 1, 2];
    const n = labels.length;
    const x = unit(n, 51), eps = randomArray(n * L, 52, -2, 2), prior = randomArray(n * L, 53, -2, 2);
    const cfg = m.config as unknown as CvaeGanConfig;
    const yv = oneHot(labels);
    const result = m.gradients(x, labels, { step: "generator", epsilon: eps, prior });
    const r = await expectGradients({
      model: m, result, label: "conv CVAEGAN generator (lists ending at flatten)",
      objective: (o, W) => cvaeGanObjective(o, W, cfg, "generator", o.input(x, n, D), o.input(yv, n, C), yv, n, o.input(eps, n, L), o.input(prior, n, L)),
    });
    expect(r.fdWorst).toBeLessThan(2e-5);
    await expect(CVAEGAN.create({ ...cbase, classifier: [{ type: "flatten" }] })).rejects.toThrow(/classifier's list needs a dense or conv layer/);
    m.dispose();
  });

  it("updates only the step's group, bit for bit, and save/load round-trips", async () => {
    const x = unit(12, 41), labels = Array.from({ length: 12 }, (_, i) => i % C);
    const m = await CVAEGAN.create({ ...cbase, balance: null });
    const names = Object.keys(m.getWeights());
    const groups = m.parameterGroups;
    expect(groups.map((g) => g.name)).toEqual(["encoder", "decoder", "discriminator", "classifier"]);
    for (const only of ["encoder", "decoder", "discriminator", "classifier"]) {
      const twin = await CVAEGAN.create({ ...cbase, balance: null });
      const before = twin.getWeights();
      const frozen = Object.fromEntries(groups.filter((g) => g.name !== only).map((g) => [g.name, { learningRate: 1e-30 }]));
      await twin.fit(x, labels, { epochs: 1, batchSize: 12, optimizer: "sgd", learningRate: 0.1, parameterGroups: frozen });
      const w = twin.getWeights();
      for (const k of names) {
        const moved = Array.from(w[k]).some((v, i) => v !== before[k][i]);
        expect(moved, `${only} step: ${k}`).toBe(k.split(".")[0] === only);
      }
      twin.dispose();
    }
    await m.fit(x, labels, { epochs: 1, batchSize: 6 });
    const bytes = m.save();
    const c = await CVAEGAN.load(bytes);
    expect(c.save()).toEqual(bytes);
    expect(c.sample(3, { label: 1, seed: 2 })).toEqual(m.sample(3, { label: 1, seed: 2 }));
    expect(c.classify(x)).toEqual(m.classify(x));
    for (const v of [m, c]) v.dispose();
  });
});
