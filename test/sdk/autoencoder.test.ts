// Autoencoder: gradients of every variant against float64 finite differences and TF.js autograd; KL sparsity drives
// the mean code activation to ρ; a denoising autoencoder reconstructs corrupted test digits better than a plain one
// of the same size; corruption, errors and the file format.
import { describe, expect, it } from "vitest";
import { Autoencoder, InvalidConfigError, loadModel, ModelFormatError, VAE, type AutoencoderConfig } from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";
import { expectGradients } from "./gradcheck.js";
import { loadMnist } from "./mnist.js";
import { aeObjective, type AeConfig } from "./reference.js";

const base = { inputSize: 10, hiddenSizes: [8], latentSize: 5, activation: "tanh", seed: 2 } as const;

async function check(extra: Partial<AutoencoderConfig>, label: string, real = false) {
  const m = await Autoencoder.create({ ...base, ...extra } as AutoencoderConfig);
  const n = 6;
  const x = real ? randomArray(n * 10, 21, -2, 2) : randomArray(n * 10, 21, 0, 1);
  const result = m.gradients(x, { seed: 4 });
  const cfg = m.config as unknown as AeConfig;
  const input = cfg.denoising ? m.corrupt(x, { seed: 4 }) : x;
  if (cfg.denoising) expect(input).not.toEqual(x);
  const report = await expectGradients({
    model: m, result, label, objective: (o, W) => aeObjective(o, W, cfg, o.input(input, n, 10), o.input(x, n, 10), n),
  });
  console.log(`${label}: loss rel. err ${report.lossRelErr.toExponential(1)}, worst gradient error / max|g|: ` +
    `finite differences ${report.fdWorst.toExponential(1)}, TF.js ${report.tfWorst.toExponential(1)}`);
  m.dispose();
}

describe("Autoencoder gradients (float64 finite differences and TF.js autograd)", () => {
  it("plain, Bernoulli", () => check({}, "ae"));
  it("L1 sparsity on a tanh code", () => check({ latentActivation: "tanh", sparsity: { type: "l1", weight: 0.3 } }, "ae l1"));
  it("KL sparsity on a sigmoid code", () => check({ latentActivation: "sigmoid", sparsity: { type: "kl", rho: 0.2, weight: 2 } }, "ae kl"));
  it("masking noise, continuous Bernoulli", () => check({ denoising: { type: "mask", p: 0.4 }, likelihood: "continuous-bernoulli" }, "dae mask"));
  it("Gaussian noise, learned σ", () => check({ denoising: { type: "gaussian", sigma: 0.3 }, likelihood: "gaussian", sigma: "learned" }, "dae gaussian", true));
});

describe("Autoencoder API", () => {
  it("needs sigmoid code units for KL sparsity, and checks its options", async () => {
    const c = { inputSize: 4, latentSize: 2 };
    await expect(Autoencoder.create({ ...c, sparsity: { type: "kl", rho: 0.05, weight: 1 } })).rejects.toThrow(/latentActivation: "sigmoid"/);
    await expect(Autoencoder.create({ ...c, latentActivation: "sigmoid", sparsity: { type: "kl", rho: 1.5, weight: 1 } })).rejects.toThrow(/rho must be a number in \(0, 1\)/);
    await expect(Autoencoder.create({ ...c, sparsity: { type: "l2", weight: 1 } as never })).rejects.toThrow(/"l1" or "kl"/);
    await expect(Autoencoder.create({ ...c, denoising: { type: "mask", p: 1 } })).rejects.toThrow(/probability in \[0, 1\)/);
    await expect(Autoencoder.create({ ...c, beta: 1 } as never)).rejects.toBeInstanceOf(InvalidConfigError);
  });

  it("corrupts rows the same way whatever the batching, and masks about p of the values", async () => {
    const m = await Autoencoder.create({ inputSize: 6, latentSize: 2, denoising: { type: "mask", p: 0.3 }, seed: 1 });
    const x = randomArray(600 * 6, 3, 0.1, 1);
    const a = m.corrupt(x, { seed: 5 });
    expect(m.corrupt(x, { seed: 5 })).toEqual(a);
    expect(m.corrupt(x.subarray(0, 6), { seed: 5 })).toEqual(a.subarray(0, 6));
    const dropped = a.filter((v) => v === 0).length / a.length;
    expect(Math.abs(dropped - 0.3)).toBeLessThan(0.03);
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) expect(a[i]).toBe(x[i]);
    const g = m.corrupt(x, { seed: 5, noise: { type: "gaussian", sigma: 0.5 } });
    let s = 0;
    for (let i = 0; i < g.length; i++) s += (g[i] - x[i]) ** 2;
    expect(Math.sqrt(s / g.length)).toBeCloseTo(0.5, 1);
    const plain = await Autoencoder.create({ inputSize: 6, latentSize: 2 });
    expect(() => plain.corrupt(x)).toThrow(/no denoising noise/);
    m.dispose();
    plain.dispose();
  });

  it("saves, loads (also through loadModel) and refuses other classes' files", async () => {
    const m = await Autoencoder.create({ ...base, sparsity: { type: "l1", weight: 0.1 } });
    await m.fit(randomArray(20 * 10, 1, 0, 1), { epochs: 2, batchSize: 5 });
    const bytes = m.save();
    const again = await loadModel(bytes);
    expect(again).toBeInstanceOf(Autoencoder);
    expect(again.save()).toEqual(bytes);
    const x = randomArray(3 * 10, 2, 0, 1);
    expect((again as Autoencoder).encode(x)).toEqual(m.encode(x));
    await expect(VAE.load(bytes)).rejects.toThrow(ModelFormatError);
    await expect(Autoencoder.load((await VAE.create({ inputSize: 4, latentSize: 2 })).save())).rejects.toThrow(/holds a VAE model, not an Autoencoder/);
    m.dispose();
    again.dispose();
  });
});

describe("Autoencoder on MNIST", () => {
  it("KL sparsity brings every code unit's mean activation within 0.015 of ρ = 0.05 (a plain sigmoid code sits far above)", async () => {
    const { trainX, testX } = await loadMnist();
    const x = trainX.subarray(0, 5000 * 784), t = testX.subarray(0, 1000 * 784);
    const common = { inputSize: 784, hiddenSizes: [256], latentSize: 64, latentActivation: "sigmoid", seed: 1 } as const;
    const sparse = await Autoencoder.create({ ...common, sparsity: { type: "kl", rho: 0.05, weight: 30 } });
    await sparse.fit(x, { epochs: 4, batchSize: 64, learningRate: 2e-3 });
    const rhoHat = sparse.meanActivation(t);
    const avg = rhoHat.reduce((s, v) => s + v, 0) / rhoHat.length;
    const plain = await Autoencoder.create(common);
    await plain.fit(x, { epochs: 4, batchSize: 64, learningRate: 2e-3 });
    const plainAvg = plain.meanActivation(t).reduce((s, v) => s + v, 0) / 64;
    console.log(`mean code activation on test digits: KL-sparse (ρ = 0.05) ${avg.toFixed(4)} ` +
      `(units from ${Math.min(...rhoHat).toFixed(3)} to ${Math.max(...rhoHat).toFixed(3)}), plain ${plainAvg.toFixed(3)}`);
    expect(Math.abs(avg - 0.05)).toBeLessThan(0.015);
    for (const r of rhoHat) expect(Math.abs(r - 0.05)).toBeLessThan(0.015);
    expect(plainAvg).toBeGreaterThan(0.2);
    sparse.dispose();
    plain.dispose();
  });

  it("a denoising autoencoder reconstructs masked test digits better than a plain one of the same size", async () => {
    const { trainX, testX } = await loadMnist();
    const x = trainX.subarray(0, 5000 * 784), t = testX.subarray(0, 1000 * 784);
    const noise = { type: "mask", p: 0.5 } as const;
    const errors: number[] = [];
    for (const denoising of [null, noise]) {
      const m = await Autoencoder.create({ inputSize: 784, hiddenSizes: [256], latentSize: 64, denoising, seed: 1 });
      await m.fit(x, { epochs: 5, batchSize: 64, learningRate: 2e-3 });
      const out = m.reconstruct(m.corrupt(t, { seed: 3, noise }));
      let se = 0;
      for (let i = 0; i < out.length; i++) se += (out[i] - t[i]) ** 2;
      errors.push(se / 1000);
      m.dispose();
    }
    console.log(`squared error per test digit from 50 %-masked inputs: plain ${errors[0].toFixed(2)}, denoising ${errors[1].toFixed(2)}`);
    expect(errors[1]).toBeLessThan(0.85 * errors[0]);
  });
});
