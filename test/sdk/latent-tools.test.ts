// Latent-space tools (interpolate, traverse, latentGrid, klPerDimension, activeUnits), dynamic binarization, and
// the family-wide guarantees: old files load, memory stays flat over repeated calls, divergence stops training.
import { describe, expect, it } from "vitest";
import {
  Autoencoder, ConditionalVAE, encodeSafetensors, decodeSafetensors, HierarchicalVAE, InvalidInputError,
  TrainingDivergedError, VAE,
} from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";

const small = { inputSize: 8, hiddenSizes: [6], latentSize: 2, seed: 3 } as const;

describe("interpolate, traverse, latentGrid", () => {
  it("interpolate decodes the straight line or the great-circle arc between codes, ends included", async () => {
    const m = await VAE.create(small);
    const a = [1, 0], b = [0, 2];
    const lin = m.interpolate(a, b, { steps: 5 });
    expect(lin.length).toBe(5 * 8);
    expect(Array.from(lin.subarray(0, 8))).toEqual(Array.from(m.decode([a])));
    expect(Array.from(lin.subarray(32, 40))).toEqual(Array.from(m.decode([b])));
    expect(Array.from(lin.subarray(16, 24))).toEqual(Array.from(m.decode([[0.5, 1]])));
    // slerp between orthogonal codes: at t = ½, sin(π/4)/sin(π/2)·(a + b)
    const arc = m.interpolate(a, b, { steps: 3, method: "slerp" });
    const w = Math.sin(Math.PI / 4);
    const mid = m.decode([[Math.fround(w * 1), Math.fround(w * 2)]]);
    for (let i = 0; i < 8; i++) expect(arc[8 + i]).toBeCloseTo(mid[i], 6);
    // inputs are encoded to their posterior means first
    const x = randomArray(2 * 8, 1, 0, 1);
    const { mean } = m.encode(x);
    expect(m.interpolate(x.subarray(0, 8), x.subarray(8), { steps: 2 })).toEqual(m.decode(mean));
    expect(() => m.interpolate([1, 2, 3], b)).toThrow(/latent code \(2 values\) or an input \(8 values\)/);
    expect(() => m.interpolate(a, b, { method: "cubic" as never })).toThrow(/"linear" or "slerp"/);
    expect(() => m.interpolate(a, b, { steps: 1 })).toThrow(/steps must be an integer from 2/);
    m.dispose();
  });

  it("traverse sweeps one dimension; latentGrid tiles a 2-D latent space and refuses other sizes", async () => {
    const m = await VAE.create(small);
    const t = m.traverse([0.3, -0.2], 1, { values: [-1, 0, 1] });
    expect(t).toEqual(m.decode([[0.3, -1], [0.3, 0], [0.3, 1]]));
    expect(m.traverse([0, 0], 0).length).toBe(7 * 8); // default: 7 values from −3 to 3
    expect(() => m.traverse([0, 0], 2)).toThrow(/dim must be a latent dimension from 0 to 1/);
    const grid = m.latentGrid({ size: 3, range: [-1, 1] });
    expect(grid.length).toBe(9 * 8);
    expect(Array.from(grid.subarray(0, 8))).toEqual(Array.from(m.decode([[-1, 1]]))); // top-left: z0 = lo, z1 = hi
    expect(Array.from(grid.subarray(8 * 8))).toEqual(Array.from(m.decode([[1, -1]])));
    const wide = await VAE.create({ ...small, latentSize: 3 });
    expect(() => wide.latentGrid()).toThrow(/needs a 2-D latent space; this model has latentSize 3/);
    const cvae = await ConditionalVAE.create({ ...small, classes: 3 });
    expect(cvae.latentGrid({ label: 2, size: 2 })).toEqual(cvae.decode([[-2, 2], [2, 2], [-2, -2], [2, -2]], 2));
    for (const x of [m, wide, cvae]) x.dispose();
  });
});

describe("klPerDimension and activeUnits", () => {
  it("KL per dimension sums to the mean KL term, and active units count the dimensions the data moves", async () => {
    const m = await VAE.create({ ...small, latentSize: 3, activation: "tanh" });
    const x = randomArray(50 * 8, 2, 0, 1);
    const per = m.klPerDimension(x);
    expect(per.length).toBe(3);
    expect(per.reduce((s, v) => s + v, 0)).toBeCloseTo(m.evaluate(x).kl, 4);
    // a posterior mean that ignores x (encoder weights zero) has no active units; scaling the weights up makes them all active
    const w = m.getWeights();
    const still = { ...w, "encoder.mean.weight": new Float32Array(w["encoder.mean.weight"].length) };
    m.setWeights(still);
    expect(m.activeUnits(x).count).toBe(0);
    const loud = { ...w, "encoder.mean.weight": w["encoder.mean.weight"].map((v) => v * 50) };
    m.setWeights(loud);
    const au = m.activeUnits(x);
    expect(au.count).toBe(3);
    const { mean } = m.encode(x);
    let avg = 0, v = 0;
    for (let r = 0; r < 50; r++) avg += mean[r * 3] / 50;
    for (let r = 0; r < 50; r++) v += (mean[r * 3] - avg) ** 2 / 50;
    expect(au.variances[0]).toBeCloseTo(v, 8);
    expect(m.activeUnits(x, { threshold: Math.max(...au.variances) }).count).toBe(0); // active means strictly above
    expect(() => m.activeUnits(x, { threshold: -1 })).toThrow(InvalidInputError);
    m.dispose();
  });
});

describe("dynamic binarization", () => {
  it("leaves binary data alone, draws fresh bits from grey data (seeded), and needs [0, 1] data", async () => {
    const binary = randomArray(32 * 8, 4, 0, 1).map((v) => (v < 0.5 ? 0 : 1));
    const run = async (x: Float32Array, options: Record<string, unknown>, extra = {}) => {
      const m = await VAE.create({ ...small, ...extra });
      await m.fit(x, { epochs: 3, batchSize: 8, ...options });
      const w = m.getWeights()["decoder.output.weight"];
      m.dispose();
      return w;
    };
    expect(await run(binary, { dynamicBinarization: true })).toEqual(await run(binary, {}));
    const grey = randomArray(32 * 8, 5, 0.2, 0.8);
    const a = await run(grey, { dynamicBinarization: true, binarizationSeed: 1 });
    expect(await run(grey, { dynamicBinarization: true, binarizationSeed: 1 })).toEqual(a);
    expect(await run(grey, { dynamicBinarization: true, binarizationSeed: 2 })).not.toEqual(a);
    expect(await run(grey, {})).not.toEqual(a);
    const m = await VAE.create({ ...small, likelihood: "gaussian" });
    await expect(m.fit(randomArray(8 * 8, 1, -2, 2), { dynamicBinarization: true })).rejects.toThrow(/\[0, 1\] for dynamic binarization/);
    await expect(m.fit(grey, { binarizationSeed: 1 })).rejects.toThrow(/needs dynamicBinarization: true/);
    m.dispose();
  });
});

describe("the family's guarantees", () => {
  it("loads a VAE file written before the family's options existed", async () => {
    const m = await VAE.create(small);
    const file = decodeSafetensors(m.save());
    const old = { inputSize: 8, latentSize: 2, hiddenSizes: [6], decoderHiddenSizes: [6], activation: "relu", leakySlope: 0.01,
      likelihood: "bernoulli", likelihoodScale: 1, beta: 1, seed: 3 };
    const bytes = encodeSafetensors(file.tensors, { format: "vaekit", format_version: "1", model: "VAE", config: JSON.stringify(old) });
    const again = await VAE.load(bytes);
    expect(again.config).toEqual(m.config);
    const x = randomArray(4 * 8, 2, 0, 1);
    expect(again.evaluate(x, { seed: 1 })).toEqual(m.evaluate(x, { seed: 1 }));
    m.dispose();
    again.dispose();
  });

  it("memory stays flat over repeated calls of every method", async () => {
    const x = randomArray(300 * 8, 6, 0, 1);
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const vae = await VAE.create({ ...small, objective: "iwae", samples: 3 });
    const cvae = await ConditionalVAE.create({ ...small, classes: 3 });
    const hvae = await HierarchicalVAE.create({ inputSize: 8, latentSizes: [3, 2], hiddenSizes: [[6], [4]], seed: 1 });
    const ae = await Autoencoder.create({ ...small, denoising: { type: "mask", p: 0.2 } });
    const rounds: (() => Promise<unknown> | unknown)[] = [
      () => vae.fit(x, { epochs: 1, batchSize: 32 }), () => vae.logLikelihood(x, { samples: 50 }), () => vae.elbo(x, { samples: 4 }),
      () => vae.evaluate(x), () => vae.sample(300), () => vae.latentGrid(),
      () => cvae.fit(x, labels, { epochs: 1, batchSize: 32 }), () => cvae.logLikelihood(x, labels, { samples: 20 }), () => cvae.sample(300, { label: 1 }),
      () => hvae.fit(x, { epochs: 1, batchSize: 32 }), () => hvae.logLikelihood(x, { samples: 20 }), () => hvae.encode(x), () => hvae.sample(300),
      () => ae.fit(x, { epochs: 1, batchSize: 32 }), () => ae.evaluate(x), () => ae.corrupt(x), () => ae.reconstruct(x),
    ];
    const models = [vae, cvae, hvae, ae];
    let mem: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (i === 1) mem = models.map((m) => m.memoryBytes); // after one round has sized every workspace
      for (const r of rounds) await r();
    }
    expect(models.map((m) => m.memoryBytes)).toEqual(mem);
    for (const m of models) m.dispose();
  });

  it("a non-finite loss stops training with TrainingDivergedError before the bad step (IWAE, hierarchical, autoencoder)", async () => {
    const x = randomArray(64 * 8, 3, -1e3, 1e3);
    const models = [
      await VAE.create({ ...small, likelihood: "gaussian", likelihoodScale: 1e-3, objective: "iwae", samples: 2 }),
      await HierarchicalVAE.create({ inputSize: 8, latentSizes: [3, 2], likelihood: "gaussian", likelihoodScale: 1e-3, seed: 1 }),
      await Autoencoder.create({ ...small, likelihood: "gaussian", likelihoodScale: 1e-3 }),
    ];
    for (const m of models) {
      let last = m.save();
      const err = await m.fit(x, { epochs: 50, batchSize: 8, optimizer: "sgd", learningRate: 1e3, onBatchEnd: () => void (last = m.save()) })
        .catch((e: unknown) => e);
      expect(err, m.kind).toBeInstanceOf(TrainingDivergedError);
      expect(Buffer.compare(m.save(), last), m.kind).toBe(0);
      for (const t of Object.values(m.getWeights())) for (const v of t) expect(Number.isFinite(v)).toBe(true);
      m.dispose();
    }
  });
});
