// VAE options: every likelihood, β with warm-up, the capacity objective and the k-sample objectives, checked at the
// model level against float64 finite differences and TF.js autograd; then what each option is for: KL falls as β
// rises, warm-up scales the KL term, the capacity schedule makes the KL track C.
import { describe, expect, it } from "vitest";
import { InvalidConfigError, VAE, type VAEConfig } from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";
import { expectGradients } from "./gradcheck.js";
import { loadMnist } from "./mnist.js";
import { latentObjective, type LatentConfig } from "./reference.js";

const base = { inputSize: 10, hiddenSizes: [8, 6], latentSize: 3, activation: "tanh", seed: 7 } as const;

async function check(extra: Partial<VAEConfig>, label: string, options: { steps?: number; data?: "unit" | "real" } = {}) {
  const m = await VAE.create({ ...base, ...extra } as VAEConfig);
  const n = 4;
  const x = options.data === "real" ? randomArray(n * 10, 11, -2, 2) : randomArray(n * 10, 11, 0, 1);
  if (options.steps) await m.fit(x, { epochs: options.steps, batchSize: n, learningRate: 1e-3 });
  const cfg = m.config as unknown as LatentConfig;
  const K = cfg.objective === "iwae" || cfg.samples > 1 ? cfg.samples : 1;
  const eps = randomArray(n * K * 3, 12, -2, 2);
  const result = m.gradients(x, { epsilon: eps });
  const step = m.trainingSteps;
  const report = await expectGradients({
    model: m, result, label,
    objective: (o, W) => latentObjective(o, W, cfg, o.input(x, n, 10), n, o.input(eps, n * K, 3), undefined, step),
  });
  m.dispose();
  console.log(`${label}: loss rel. err ${report.lossRelErr.toExponential(1)}, worst gradient error / max|g|: ` +
    `finite differences ${report.fdWorst.toExponential(1)}, TF.js ${report.tfWorst.toExponential(1)}`);
  return report;
}

describe("VAE gradients for every option (float64 finite differences and TF.js autograd)", () => {
  it("continuous Bernoulli likelihood", () => check({ likelihood: "continuous-bernoulli" }, "continuous-bernoulli"));
  it("Gaussian likelihood with learned σ", () => check({ likelihood: "gaussian", sigma: "learned" }, "gaussian learned σ", { steps: 3, data: "real" }));
  it("Laplace likelihood", () => check({ likelihood: "laplace", likelihoodScale: 0.7 }, "laplace", { data: "real" }));
  it("β with KL warm-up, midway", () => check({ beta: 2, klWarmup: 10 }, "warm-up", { steps: 4 }));
  it("capacity objective γ·|KL − C|", () => check({ capacity: { gamma: 5, max: 3, steps: 8 } }, "capacity", { steps: 3 }));
  it("IWAE objective, k = 3", () => check({ objective: "iwae", samples: 3 }, "iwae k=3"));
  it("IWAE objective with a learned σ", () => check({ objective: "iwae", samples: 3, likelihood: "gaussian", sigma: "learned" }, "iwae learned σ", { steps: 2, data: "real" }));
  it("ELBO averaged over 3 samples", () => check({ samples: 3, likelihood: "continuous-bernoulli" }, "elbo k=3"));
});

describe("VAE option checks", () => {
  it("refuses contradictory objectives with teaching errors", async () => {
    const c = { inputSize: 4, latentSize: 2 };
    await expect(VAE.create({ ...c, objective: "iwae", beta: 2 })).rejects.toThrow(/plain ELBO weights/);
    await expect(VAE.create({ ...c, capacity: { gamma: 1, max: 2, steps: 3 }, beta: 4 })).rejects.toThrow(/leave beta unset/);
    await expect(VAE.create({ ...c, capacity: { gamma: 1, max: 2, steps: 3 }, klWarmup: 5 })).rejects.toThrow(/choose one/);
    await expect(VAE.create({ ...c, capacity: { gamma: 1, max: 2 } as never })).rejects.toThrow(/capacity.steps is required/);
    await expect(VAE.create({ ...c, likelihood: "laplace", sigma: 2 })).rejects.toThrow(/likelihoodScale/);
    await expect(VAE.create({ ...c, likelihood: "laplace", likelihoodScale: "learned" })).rejects.toThrow(/Gaussian likelihood only/);
    await expect(VAE.create({ ...c, likelihood: "gaussian", sigma: 1, likelihoodScale: 1 })).rejects.toThrow(/not both/);
    await expect(VAE.create({ ...c, objective: "iwea" as never })).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(VAE.create({ ...c, samples: 0 })).rejects.toThrow(/samples must be an integer from 1/);
    const m = await VAE.create({ ...c, likelihood: "gaussian", sigma: "learned", seed: 1 });
    expect(m.config.likelihoodScale).toBe("learned");
    expect(m.getWeights()["decoder.logsigma"]).toEqual(new Float32Array(4)); // σ starts at 1
    m.dispose();
  });

  it("warm-up: the KL weight is β·step/klWarmup (0 at the first step, β from klWarmup on)", async () => {
    const x = randomArray(8 * 10, 3, 0, 1);
    const m = await VAE.create({ ...base, beta: 2, klWarmup: 4 });
    const at = () => {
      const e = m.evaluate(x, { seed: 1 });
      return (e.loss - e.reconstruction) / e.kl;
    };
    expect(at()).toBe(0);
    await m.fit(x, { epochs: 1, batchSize: 4 }); // 2 steps
    expect(m.trainingSteps).toBe(2);
    expect(at()).toBeCloseTo(1, 10);
    const again = await VAE.load(m.save()); // the schedule position travels with the file
    expect(again.trainingSteps).toBe(2);
    await m.fit(x, { epochs: 2, batchSize: 4 });
    expect(at()).toBeCloseTo(2, 10);
    m.dispose();
    again.dispose();
  });
});

describe("VAE options on MNIST", () => {
  it("the KL term falls as β rises (β = 0.5, 1, 4)", async () => {
    const { trainX, testX } = await loadMnist();
    const kls: number[] = [];
    for (const beta of [0.5, 1, 4]) {
      const m = await VAE.create({ inputSize: 784, hiddenSizes: [128], latentSize: 8, beta, seed: 2 });
      await m.fit(trainX.subarray(0, 3000 * 784), { epochs: 2, batchSize: 64, learningRate: 2e-3 });
      kls.push(m.evaluate(testX.subarray(0, 1000 * 784), { seed: 1 }).kl);
      m.dispose();
    }
    console.log(`KL per test image at β = 0.5, 1, 4: ${kls.map((k) => k.toFixed(2)).join(", ")}`);
    expect(kls[1]).toBeLessThan(kls[0] - 1);
    expect(kls[2]).toBeLessThan(kls[1] - 1);
  });

  it("the capacity objective keeps the mean KL within 1.5 nats of C as C rises from 0 to 12 nats", async () => {
    const { trainX } = await loadMnist();
    const x = trainX.subarray(0, 4000 * 784);
    const steps = 250;
    const m = await VAE.create({ inputSize: 784, hiddenSizes: [128], latentSize: 8, capacity: { gamma: 100, max: 12, steps }, seed: 3 });
    const seen: { c: number; kl: number }[] = [];
    let step = 0;
    await m.fit(x, {
      epochs: 5, batchSize: 64, learningRate: 2e-3,
      onBatchEnd: (b) => {
        step++;
        if (step % 25 === 0) seen.push({ c: 12 * Math.min(1, (step - 1) / steps), kl: b.kl });
      },
    });
    const late = seen.filter((s) => s.c >= 3); // once C is past the first few steps the model can follow it
    console.log(`capacity: (C, batch KL) ${seen.map((s) => `(${s.c.toFixed(1)}, ${s.kl.toFixed(1)})`).join(" ")}`);
    for (const s of late) expect(Math.abs(s.kl - s.c)).toBeLessThan(1.5);
    expect(late.length).toBeGreaterThan(8);
    m.dispose();
  });
});
