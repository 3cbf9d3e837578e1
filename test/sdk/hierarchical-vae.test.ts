// HierarchicalVAE: gradients of the ELBO (with β warm-up), of the IWAE bound and with a learned σ against float64
// finite differences and TF.js autograd; log p(x) estimates on MNIST; the IWAE paper's architectures; the API.
import { describe, expect, it } from "vitest";
import { HierarchicalVAE, loadModel, VAE, type HierarchicalVAEConfig } from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";
import { expectGradients } from "./gradcheck.js";
import { loadMnist } from "./mnist.js";
import { hierarchicalObjective, type HierarchicalConfig } from "./reference.js";

const base = { inputSize: 9, latentSizes: [4, 3], hiddenSizes: [[7], [5, 4]], seed: 8 } as const;

async function check(extra: Partial<HierarchicalVAEConfig>, label: string, options: { steps?: number; real?: boolean } = {}) {
  const m = await HierarchicalVAE.create({ ...base, ...extra } as HierarchicalVAEConfig);
  const n = 4;
  const x = options.real ? randomArray(n * 9, 31, -2, 2) : randomArray(n * 9, 31, 0, 1);
  if (options.steps) await m.fit(x, { epochs: options.steps, batchSize: n });
  const cfg = m.config as unknown as HierarchicalConfig;
  const K = cfg.objective === "iwae" || cfg.samples > 1 ? cfg.samples : 1;
  const e1 = randomArray(n * K * 4, 32, -2, 2), e2 = randomArray(n * K * 3, 33, -2, 2);
  const result = m.gradients(x, { epsilon: { z1: e1, z2: e2 } });
  const step = m.trainingSteps;
  const report = await expectGradients({
    model: m, result, label,
    objective: (o, W) => hierarchicalObjective(o, W, cfg, o.input(x, n, 9), n, o.input(e1, n * K, 4), o.input(e2, n * K, 3), step),
  });
  console.log(`${label}: loss rel. err ${report.lossRelErr.toExponential(1)}, worst gradient error / max|g|: ` +
    `finite differences ${report.fdWorst.toExponential(1)}, TF.js ${report.tfWorst.toExponential(1)}`);
  m.dispose();
}

describe("HierarchicalVAE gradients (float64 finite differences and TF.js autograd)", () => {
  it("ELBO, Bernoulli", () => check({}, "hvae elbo"));
  it("ELBO with β warm-up, midway", () => check({ beta: 2, klWarmup: 6 }, "hvae warm-up", { steps: 2 }));
  it("IWAE bound, k = 3", () => check({ objective: "iwae", samples: 3 }, "hvae iwae k=3"));
  it("learned σ, ELBO over 2 samples", () => check({ likelihood: "gaussian", sigma: "learned", samples: 2 }, "hvae learned σ", { steps: 2, real: true }));
});

describe("HierarchicalVAE API", () => {
  it("builds the IWAE paper's one- and two-stochastic-layer MNIST models", async () => {
    const one = await VAE.create({ inputSize: 784, hiddenSizes: [200, 200], latentSize: 50, activation: "tanh", objective: "iwae", samples: 50, seed: 1 });
    expect(one.parameterCount).toBe(784 * 200 + 200 + 200 * 200 + 200 + 2 * (200 * 50 + 50) + 50 * 200 + 200 + 200 * 200 + 200 + 200 * 784 + 784);
    const two = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [100, 50], objective: "iwae", samples: 50, seed: 1 });
    const c = two.config;
    expect(c.hiddenSizes).toEqual([[200, 200], [100, 100]]);
    expect(c.activation).toBe("tanh");
    const dense = (i: number, o: number) => i * o + o;
    expect(two.parameterCount).toBe(
      dense(784, 200) + dense(200, 200) + dense(200, 200) + // q(z1|x): two hidden layers, μ and log σ² of 100
      dense(100, 100) + dense(100, 100) + dense(100, 100) + // q(z2|z1)
      dense(50, 100) + dense(100, 100) + dense(100, 200) + // p(z1|z2)
      dense(100, 200) + dense(200, 200) + dense(200, 784), // p(x|z1)
    );
    one.dispose();
    two.dispose();
    await expect(HierarchicalVAE.create({ inputSize: 4, latentSizes: [3] as never })).rejects.toThrow(/latentSizes must be \[size of z1, size of z2\]/);
    await expect(HierarchicalVAE.create({ inputSize: 4, latentSizes: [3, 2], objective: "iwae", beta: 2 })).rejects.toThrow(/plain ELBO/);
  });

  it("encodes both layers, decodes and samples with the right shapes, deterministically, and round-trips its file", async () => {
    const m = await HierarchicalVAE.create({ ...base, latentSizes: [4, 2] });
    await m.fit(randomArray(24 * 9, 1, 0, 1), { epochs: 2, batchSize: 6 });
    const x = randomArray(5 * 9, 2, 0, 1);
    const { z1, z2 } = m.encode(x);
    expect(z1.mean.length).toBe(20);
    expect(z2.logVar.length).toBe(10);
    expect(m.decode(z2.mean).length).toBe(45);
    expect(m.sample(3, { seed: 1 })).toEqual(m.sample(3, { seed: 1 }));
    expect(m.sample(3, { seed: 1 })).not.toEqual(m.sample(3, { seed: 2 }));
    expect(m.latentGrid({ size: 3 }).length).toBe(9 * 9);
    expect(m.interpolate(x.subarray(0, 9), x.subarray(9, 18), { steps: 4 }).length).toBe(36);
    const au = m.activeUnits(x);
    expect(au.z1.variances.length).toBe(4);
    expect(au.z2.variances.length).toBe(2);
    const bytes = m.save();
    const again = await loadModel(bytes);
    expect(again).toBeInstanceOf(HierarchicalVAE);
    expect(again.save()).toEqual(bytes);
    expect((again as HierarchicalVAE).elbo(x, { seed: 3 })).toEqual(m.elbo(x, { seed: 3 }));
    m.dispose();
    again.dispose();
  });
});

describe("HierarchicalVAE on MNIST", () => {
  it("log p(x) estimates are at least the ELBO on every example and rise with k", async () => {
    const { trainX, testX } = await loadMnist();
    const m = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [16, 8], hiddenSizes: [[128], [64]], seed: 2 });
    await m.fit(trainX.subarray(0, 3000 * 784), { epochs: 2, batchSize: 64, learningRate: 2e-3, dynamicBinarization: true });
    const N = 30;
    const t = testX.slice(0, N * 784).map((v) => (v > 0.5 ? 1 : 0));
    const elbo = m.elbo(t, { samples: 500, seed: 1 });
    const ks = [1, 10, 100, 500];
    const ll = ks.map((k) => m.logLikelihood(t, { samples: k, seed: 2 }));
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    console.log(`HierarchicalVAE: mean ELBO ${mean(elbo).toFixed(2)}; log p(x) estimates for k = ${ks.join(", ")}: ` +
      ll.map((l) => mean(l).toFixed(2)).join(", "));
    for (let i = 0; i < N; i++) expect(ll[3][i], `example ${i}`).toBeGreaterThanOrEqual(elbo[i]);
    for (let j = 1; j < ks.length; j++) expect(mean(ll[j])).toBeGreaterThanOrEqual(mean(ll[j - 1]));
    m.dispose();
  });
});
