// CVAEGAN: every step's loss (KL, pairwise and mean feature matching, the discriminator's and classifier's losses)
// and gradient against float64 central differences and TF.js autograd; groups updated only by their own step;
// class-conditional sampling; save/load; refusals.
import { describe, expect, it } from "vitest";
import { InvalidConfigError, InvalidInputError, loadModel } from "../../src/index.js";
import { CVAEGAN, type CVAEGANConfig } from "../../src/gan.js";
import { randomArray } from "../helpers/wasm.js";
import { expectGradients } from "../sdk/gradcheck.js";
import { cvaeGanObjective, type CvaeGanConfig } from "../sdk/reference.js";

const D = 10, L = 3, C = 3;
const base: CVAEGANConfig = {
  inputSize: D, latentSize: L, classes: C, activation: "tanh",
  encoder: [{ type: "dense", units: 8 }], decoder: [{ type: "dense", units: 9 }],
  discriminator: [{ type: "dense", units: 7 }, { type: "dense", units: 6 }], classifier: [{ type: "dense", units: 8 }, { type: "dense", units: 5 }],
  weights: { kl: 1.5, encoderPairwise: 0.7, generatorPairwise: 0.3, featureMatching: 2 }, seed: 4,
};
const unit = (n: number, seed: number) => randomArray(n * D, seed, 0, 1);
const oneHot = (labels: number[]) => {
  const y = new Float64Array(labels.length * C);
  labels.forEach((c, r) => (y[r * C + c] = 1));
  return y;
};

describe("CVAEGAN gradients", () => {
  const variants: [string, Partial<CVAEGANConfig>][] = [
    ["tanh", {}],
    ["leaky ReLU, features at layer 0, label smoothing", { activation: "leaky_relu", featureLayer: 0, labelSmoothing: 0.2 }],
    ["pixel weight 40 in L_G", { weights: { ...base.weights, pixel: 40 } }],
  ];
  for (const [name, extra] of variants) {
    for (const step of ["encoder", "generator", "discriminator", "classifier"] as const) {
      it(`${step} step: ${name}`, async () => {
        const m = await CVAEGAN.create({ ...base, ...extra });
        const labels = [0, 1, 2, 0, 1, 1];
        const n = labels.length;
        const x = unit(n, 21), eps = randomArray(n * L, 22, -2, 2), prior = randomArray(n * L, 23, -2, 2);
        const cfg = m.config as unknown as CvaeGanConfig;
        const yv = oneHot(labels);
        const result = m.gradients(x, labels, { step, epsilon: eps, prior });
        await expectGradients({
          model: m, result, label: `CVAEGAN ${step} (${name})`,
          objective: (o, W) => cvaeGanObjective(o, W, cfg, step, o.input(x, n, D), o.input(yv, n, C), yv, n, o.input(eps, n, L), o.input(prior, n, L)),
        });
        m.dispose();
      });
    }
  }
});

describe("CVAEGAN training", () => {
  it("four groups, each moved only by its own step; per-step logs; save/load", async () => {
    const m = await CVAEGAN.create({ ...base, balance: null });
    expect(m.parameterGroups.map((g) => g.name)).toEqual(["encoder", "decoder", "discriminator", "classifier"]);
    const x = unit(24, 31), y = Array.from({ length: 24 }, (_, i) => i % C);
    const names = Object.keys(m.getWeights());
    for (const only of ["encoder", "decoder", "discriminator", "classifier"]) {
      const twin = await CVAEGAN.create({ ...base, balance: null });
      const before = twin.getWeights();
      const frozen = Object.fromEntries(twin.parameterGroups.filter((g) => g.name !== only).map((g) => [g.name, { learningRate: 1e-30 }]));
      await twin.fit(x, y, { epochs: 1, batchSize: 24, optimizer: "sgd", learningRate: 0.1, parameterGroups: frozen });
      const w = twin.getWeights();
      for (const k of names) expect(Array.from(w[k]).some((v, i) => v !== before[k][i]), `${only}: ${k}`).toBe(k.split(".")[0] === only);
      twin.dispose();
    }
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8 });
    const s = h[1].steps!;
    expect(Object.keys(s)).toEqual(["encoder", "generator", "discriminator", "classifier"]);
    for (const [step, keys] of Object.entries({ encoder: ["kl", "pairwise"], generator: ["pairwise", "featureMatchingD", "featureMatchingC"], discriminator: ["real", "reconstructed", "prior", "updated"], classifier: ["accuracy"] })) {
      for (const k of ["loss", ...keys]) expect(Number.isFinite(s[step][k]), `${step}.${k}`).toBe(true);
    }
    expect(s.classifier.accuracy).toBeGreaterThanOrEqual(0);
    expect(s.classifier.accuracy).toBeLessThanOrEqual(1);
    const bytes = m.save();
    const c = await CVAEGAN.load(bytes);
    expect(c.save()).toEqual(bytes);
    expect(c.trainingSteps).toBe(6);
    expect(c.sample(6, { label: 2, seed: 3 })).toEqual(m.sample(6, { label: 2, seed: 3 }));
    expect(c.classify(x)).toEqual(m.classify(x));
    expect(c.evaluate(x, y, { seed: 2 })).toEqual(m.evaluate(x, y, { seed: 2 }));
    const d = await loadModel(bytes);
    expect(d).toBeInstanceOf(CVAEGAN);
    // one label for all rows, a one-hot row, or one label per row give the same rows
    expect(m.sample(4, { label: 1, seed: 5 })).toEqual(m.sample(4, { label: [0, 1, 0], seed: 5 }));
    expect(m.sample(4, { label: 1, seed: 5 })).toEqual(m.sample(4, { label: [1, 1, 1, 1], seed: 5 }));
    expect(m.sample(4, { label: 1, seed: 5 })).not.toEqual(m.sample(4, { label: 2, seed: 5 }));
    for (const k of [m, c, d]) k.dispose();
  });

  it("refuses bad labels and configs with typed errors", async () => {
    await expect(CVAEGAN.create({ ...base, classes: 1 })).rejects.toThrow(InvalidConfigError);
    await expect(CVAEGAN.create({ ...base, weights: { kll: 1 } as never })).rejects.toThrow(/did you mean 'kl'/);
    const m = await CVAEGAN.create(base);
    const w = m.save();
    expect(() => m.sample(2, {} as never)).toThrow(/give \{ label \}/);
    expect(() => m.sample(2, { label: 3 })).toThrow(InvalidInputError);
    expect(() => m.encode(unit(2, 1), [0])).toThrow(InvalidInputError);
    await expect(m.fit(unit(4, 1), [0, 1, 2, 3])).rejects.toThrow(InvalidInputError);
    expect(m.save()).toEqual(w);
    m.dispose();
  });
});
