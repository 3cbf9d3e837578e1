// The VAE API end to end: shapes, determinism, training, save/load, and that bad input is refused cleanly.
import { describe, expect, it } from "vitest";
import {
  DisposedError, InvalidConfigError, InvalidInputError, ModelFormatError, TrainingDivergedError, VAE,
} from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";

const small = { inputSize: 12, hiddenSizes: [10, 7], latentSize: 3, seed: 5 } as const;

/** A dataset with structure: each row is one of 4 binary prototypes plus noise, clipped to [0, 1]. */
function clusters(n: number, d: number, seed: number): Float32Array {
  const protos = randomArray(4 * d, seed, 0, 1).map((v) => (v < 0.5 ? 0 : 1));
  const noise = randomArray(n * d, seed + 1, -0.1, 0.1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) x[i * d + j] = Math.min(1, Math.max(0, protos[(i % 4) * d + j] + noise[i * d + j]));
  }
  return x;
}

function snapshot(vae: VAE): Record<string, number[]> {
  return Object.fromEntries(Object.entries(vae.getWeights()).map(([k, v]) => [k, Array.from(v)]));
}

describe("VAE.create", () => {
  it("initialises like nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), reproducibly from the seed", async () => {
    const a = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 });
    const b = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 });
    const c = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 2 });
    const w = a.getWeights();
    expect(Object.keys(w)).toEqual([
      "encoder.hidden.0.weight", "encoder.hidden.0.bias", "encoder.mean.weight", "encoder.mean.bias",
      "encoder.logvar.weight", "encoder.logvar.bias", "decoder.hidden.0.weight", "decoder.hidden.0.bias",
      "decoder.output.weight", "decoder.output.bias",
    ]);
    expect(w["encoder.hidden.0.weight"].length).toBe(400 * 784);
    expect(a.parameterCount).toBe(784 * 400 + 400 + 2 * (400 * 20 + 20) + 20 * 400 + 400 + 400 * 784 + 784);
    const fc1 = w["encoder.hidden.0.weight"];
    const bound = 1 / Math.sqrt(784);
    let max = 0, sum = 0, sq = 0;
    for (const v of fc1) {
      max = Math.max(max, Math.abs(v));
      sum += v;
      sq += v * v;
    }
    expect(max).toBeLessThanOrEqual(bound);
    expect(max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(sum / fc1.length)).toBeLessThan(0.01 * bound);
    expect(sq / fc1.length).toBeCloseTo((bound * bound) / 3, 5); // variance of U(-b, b)
    const fc4 = w["decoder.output.weight"];
    expect(fc4.reduce((m, v) => Math.max(m, Math.abs(v)), 0)).toBeLessThanOrEqual(1 / Math.sqrt(400));
    expect(b.getWeights()["encoder.hidden.0.weight"]).toEqual(fc1);
    expect(c.getWeights()["encoder.hidden.0.weight"]).not.toEqual(fc1);
    for (const m of [a, b, c]) m.dispose();
  });

  it("rejects bad configs with teaching errors", async () => {
    await expect(VAE.create({ inputSize: 0, latentSize: 2 })).rejects.toThrow(/inputSize must be an integer from 1/);
    await expect(VAE.create({ inputSize: 4 } as never)).rejects.toThrow(/latentSize is required/);
    await expect(VAE.create({ inputSize: 4, latentSize: 2, latentDim: 3 } as never)).rejects.toThrow(
      /unknown VAE option 'latentDim' \(did you mean 'latentSize'\?\)/,
    );
    await expect(VAE.create({ inputSize: 4, latentSize: 2, activation: "rleu" as never })).rejects.toThrow(
      /activation must be one of .*did you mean 'relu'/,
    );
    await expect(VAE.create({ inputSize: 4, latentSize: 2, likelihood: "poisson" as never })).rejects.toBeInstanceOf(
      InvalidConfigError,
    );
    await expect(VAE.create({ inputSize: 4, latentSize: 2, beta: -1 })).rejects.toThrow(/beta must be a finite number ≥ 0/);
    await expect(VAE.create({ inputSize: 4, latentSize: 2, hiddenSizes: [3, 2.5] })).rejects.toThrow(/hiddenSizes\[1\]/);
    await expect(VAE.create({ inputSize: 4, latentSize: 2, seed: -1 })).rejects.toThrow(/seed must be an integer/);
  });
});

describe("inference", () => {
  it("encodes, decodes, reconstructs and samples with the right shapes, chunk-independently", async () => {
    const vae = await VAE.create(small);
    const x = clusters(600, 12, 3); // more than one 256-row chunk
    const { mean, logVar } = vae.encode(x);
    expect(mean.length).toBe(600 * 3);
    expect(logVar.length).toBe(600 * 3);
    const one = vae.encode(x.subarray(300 * 12, 301 * 12));
    expect(Array.from(one.mean)).toEqual(Array.from(mean.subarray(900, 903)));
    const rows = Array.from({ length: 2 }, (_, r) => Array.from(x.subarray(r * 12, r * 12 + 12)));
    expect(Array.from(vae.encode(rows).mean)).toEqual(Array.from(mean.subarray(0, 6)));
    const dec = vae.decode(mean);
    expect(dec.length).toBe(600 * 12);
    for (const v of dec) expect(v >= 0 && v <= 1).toBe(true); // Bernoulli means are probabilities
    expect(Array.from(vae.reconstruct(x))).toEqual(Array.from(dec));
    const s1 = vae.sample(300, { seed: 9 });
    const s2 = vae.sample(300, { seed: 9 });
    expect(s1).toEqual(s2);
    expect(Array.from(vae.sample(1, { seed: 9 }))).toEqual(Array.from(s1.subarray(0, 12)));
    const free1 = vae.sample(4);
    const free2 = vae.sample(4);
    expect(free1).not.toEqual(free2); // without a seed, the model's own stream moves on
    const noisy = vae.reconstruct(x.subarray(0, 24), { sample: true, seed: 1 });
    expect(noisy).not.toEqual(dec.subarray(0, 24));
    vae.dispose();
  });

  it("evaluate is deterministic for a seed and equals the mean of per-batch gradients() losses", async () => {
    const vae = await VAE.create(small);
    const x = clusters(40, 12, 4);
    const a = vae.evaluate(x, { seed: 3 });
    expect(vae.evaluate(x, { seed: 3 })).toEqual(a);
    expect(vae.evaluate(x, { seed: 4 }).loss).not.toBe(a.loss);
    expect(a.loss).toBeCloseTo(a.reconstruction + a.kl, 10);
    expect(a.kl).toBeGreaterThan(0);
    const g = vae.gradients(x, { seed: 3 });
    expect(g.loss / 40).toBeCloseTo(a.loss, 4); // the same ε row by row
    vae.dispose();
  });
});

describe("bad input leaves the model exactly as it was", () => {
  it("rejects wrong lengths, NaN, Infinity and out-of-range Bernoulli data with typed errors", async () => {
    const vae = await VAE.create(small);
    const before = snapshot(vae);
    const good = clusters(8, 12, 1);
    expect(() => vae.encode(new Float32Array(13))).toThrow(/13 values, which is not a multiple of 12/);
    const nan = good.slice();
    nan[30] = NaN;
    expect(() => vae.encode(nan)).toThrow(/row 2, column 6 is NaN; inputs must be finite/);
    const big = good.slice();
    big[5] = 255;
    expect(() => vae.reconstruct(big)).toThrow(/row 0, column 5 is 255; expected values in \[0, 1\].*1\/255/);
    expect(() => vae.decode([[1, 2]])).toThrow(InvalidInputError);
    expect(() => vae.decode([[1, 2, Infinity]])).toThrow(/Infinity/);
    expect(() => vae.sample(0)).toThrow(/sample: n must be an integer from 1/);
    expect(() => vae.evaluate(good, { seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => vae.encode("abc" as never)).toThrow(/expected a Float32Array of n × 12 values/);
    await expect(vae.fit(big, { epochs: 1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(vae.fit(good, { epochs: 1, validationData: nan })).rejects.toThrow(/validationData/);
    await expect(vae.fit(good, { epochs: 1, batchsize: 4 } as never)).rejects.toThrow(/did you mean 'batchSize'/);
    await expect(vae.fit(good, { learningRate: -1 })).rejects.toThrow(/learningRate must be a number in/);
    expect(() => vae.setWeights({ ...vae.getWeights(), "encoder.mean.weight": new Float32Array(3) })).toThrow(
      /'encoder.mean.weight' has 3 values; expected 21/,
    );
    const w = vae.getWeights();
    w["decoder.output.bias"] = w["decoder.output.bias"].map(() => NaN);
    expect(() => vae.setWeights(w)).toThrow(/must be finite/);
    expect(() => vae.setWeights({ ...vae.getWeights(), extra: new Float32Array(1) })).toThrow(/unexpected tensor 'extra'/);
    expect(snapshot(vae)).toEqual(before);
    vae.dispose();
  });

  it("large inputs (checked in wasm, chunk by chunk) name the first offending value as small ones do", async () => {
    const vae = await VAE.create(small);
    const gauss = await VAE.create({ ...small, likelihood: "gaussian" });
    const before = snapshot(vae);
    const rows = 6000; // 72,000 values: more than one 65,536-value chunk
    const good = clusters(rows, 12, 2);
    await vae.fit(good, { epochs: 1, batchSize: 1000 }); // sizes the workspace and the optimizer
    let mem = 0;
    const at = (i: number, v: number) => {
      const x = good.slice();
      x[i] = v;
      return x;
    };
    const trained = snapshot(vae);
    for (let round = 0; round < 3; round++) {
      expect(() => vae.encode(at(70001, NaN))).toThrow(/row 5833, column 5 is NaN; inputs must be finite/);
      await expect(vae.fit(at(12 * 5000 + 11, 1.5), { epochs: 1 })).rejects.toThrow(/row 5000, column 11 is 1\.5; expected values in \[0, 1\]/);
      await expect(vae.fit(at(3, -0.25), { epochs: 1 })).rejects.toThrow(/row 0, column 3 is -0\.25/);
      await expect(vae.fit(good, { epochs: 1, validationData: at(66000, Infinity) })).rejects.toThrow(/validationData: the value at row 5500, column 0 is Infinity/);
      expect(() => gauss.encode(at(69999, -Infinity))).toThrow(/row 5833, column 3 is -Infinity; inputs must be finite/);
      await expect(gauss.fit(at(12 * 4000, 2), { epochs: 1, dynamicBinarization: true })).rejects.toThrow(/row 4000, column 0 is 2; expected values in \[0, 1\] for dynamic binarization/);
      if (round === 0) mem = vae.memoryBytes; // after the first round has placed the check's scratch
    }
    expect(gauss.encode(at(5, 7)).mean.length).toBe(rows * 3); // any finite value is fine for a Gaussian
    expect(snapshot(vae)).toEqual(trained);
    expect(snapshot(vae)).not.toEqual(before);
    expect(vae.memoryBytes).toBe(mem); // the check's scratch is released and reused
    vae.dispose();
    gauss.dispose();
  });

  it("accepts any real data for the Gaussian and Laplace likelihoods", async () => {
    for (const likelihood of ["gaussian", "laplace"] as const) {
      const vae = await VAE.create({ ...small, likelihood, likelihoodScale: 0.5 });
      const x = randomArray(5 * 12, 2, -3, 3);
      const e = vae.evaluate(x);
      expect(Number.isFinite(e.loss)).toBe(true);
      await vae.fit(x, { epochs: 2, batchSize: 2 });
      vae.dispose();
    }
  });
});

describe("fit", () => {
  it("lowers the loss, is reproducible, reports history, calls back and keeps memory flat", async () => {
    const x = clusters(256, 12, 7);
    const run = async () => {
      const vae = await VAE.create(small);
      const batches: number[] = [];
      const epochs: number[] = [];
      const h = await vae.fit(x, {
        epochs: 40, batchSize: 32, learningRate: 1e-2, validationData: x.subarray(0, 64 * 12),
        onBatchEnd: (b) => void batches.push(b.batch), onEpochEnd: (e) => void epochs.push(e.epoch),
      });
      return { vae, h, batches, epochs };
    };
    const a = await run();
    const b = await run();
    expect(a.h.length).toBe(40);
    expect(a.epochs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(a.batches.length).toBe(40 * 8);
    expect(a.h[39].loss).toBeLessThan(0.75 * a.h[0].loss); // past the early posterior collapse
    expect(a.h[39].validation!.loss).toBeLessThan(0.8 * a.h[0].validation!.loss);
    expect(a.h[0].loss).toBeCloseTo(a.h[0].reconstruction + a.h[0].kl, 8);
    expect(snapshot(a.vae)).toEqual(snapshot(b.vae)); // same seed, same data → same weights, bit for bit
    expect(a.h.map((e) => e.loss)).toEqual(b.h.map((e) => e.loss));
    let mem = 0;
    for (let i = 0; i < 30; i++) {
      if (i === 1) mem = a.vae.memoryBytes; // after one round has sized the workspace
      a.vae.encode(x);
      a.vae.sample(100);
      a.vae.evaluate(x);
      a.vae.reconstruct(x);
    }
    await a.vae.fit(x, { epochs: 1, batchSize: 32 });
    expect(a.vae.memoryBytes).toBe(mem);
    a.vae.dispose();
    b.vae.dispose();
  });

  it("stops with TrainingDivergedError on a non-finite loss and keeps the last good weights", async () => {
    const vae = await VAE.create({ ...small, likelihood: "gaussian", likelihoodScale: 1e-3 });
    const x = randomArray(64 * 12, 3, -1e3, 1e3);
    let lastGood: Record<string, number[]> = snapshot(vae);
    let steps = 0;
    const err = await vae
      .fit(x, {
        epochs: 50, batchSize: 8, optimizer: "sgd", learningRate: 1e3,
        onBatchEnd: () => {
          lastGood = snapshot(vae);
          steps++;
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as Error).message).toMatch(/lower learningRate/);
    expect(steps).toBeGreaterThan(0);
    const now = snapshot(vae);
    expect(now).toEqual(lastGood);
    for (const v of Object.values(now)) for (const u of v) expect(Number.isFinite(u)).toBe(true);
    vae.dispose();
  });

  it("clips the global gradient norm to clipNorm (one plain SGD step moves the weights by lr·clipNorm)", async () => {
    const x = clusters(16, 12, 2);
    const step = async (options: Record<string, unknown>) => {
      const vae = await VAE.create(small);
      const before = vae.getWeights();
      await vae.fit(x, { epochs: 1, batchSize: 16, optimizer: "sgd", learningRate: 0.1, shuffle: false, ...options });
      const after = vae.getWeights();
      let sq = 0;
      for (const k of Object.keys(before)) for (let i = 0; i < before[k].length; i++) sq += (after[k][i] - before[k][i]) ** 2;
      vae.dispose();
      return Math.sqrt(sq);
    };
    const free = await step({});
    expect(free).toBeGreaterThan(0.1 * 1e-2); // the raw gradient norm is well above the clip below
    const clipped = await step({ clipNorm: 1e-2 });
    expect(clipped).toBeCloseTo(0.1 * 1e-2, 6);
    expect(await step({ clipNorm: 1e6 })).toBe(free); // a clip above the norm changes nothing
  });

  it('lossReduction "mean" scales the gradient by 1/batch (SGD: the same step as "sum" with lr/batch)', async () => {
    const x = clusters(16, 12, 3);
    const run = async (options: Record<string, unknown>) => {
      const vae = await VAE.create(small);
      await vae.fit(x, { epochs: 1, batchSize: 16, optimizer: "sgd", shuffle: false, ...options });
      const w = vae.getWeights()["encoder.hidden.0.weight"];
      vae.dispose();
      return w;
    };
    const mean = await run({ learningRate: 0.16, lossReduction: "mean" });
    const sum = await run({ learningRate: 0.01, lossReduction: "sum" });
    const sumBig = await run({ learningRate: 0.16, lossReduction: "sum" });
    let worst = 0, moved = 0;
    for (let i = 0; i < mean.length; i++) {
      worst = Math.max(worst, Math.abs(mean[i] - sum[i]));
      moved = Math.max(moved, Math.abs(mean[i] - sumBig[i]));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(moved).toBeGreaterThan(1e-3);
  });

  it("stops at a batch boundary when the signal aborts", async () => {
    const vae = await VAE.create(small);
    const ctl = new AbortController();
    let seen = 0;
    const p = vae.fit(clusters(64, 12, 1), {
      epochs: 100, batchSize: 8, signal: ctl.signal,
      onBatchEnd: () => {
        if (++seen === 3) ctl.abort(new Error("stop here"));
      },
    });
    await expect(p).rejects.toThrow("stop here");
    expect(seen).toBe(3);
    vae.dispose();
  });
});

describe("save and load", () => {
  it("round-trips byte for byte, with PyTorch-layout tensors and the config in the metadata", async () => {
    const vae = await VAE.create({ ...small, activation: "tanh", beta: 0.5, likelihood: "laplace", likelihoodScale: 0.2 });
    await vae.fit(randomArray(32 * 12, 1, 0, 1), { epochs: 2, batchSize: 8 });
    const bytes = vae.save();
    const again = await VAE.load(bytes);
    expect(again.save()).toEqual(bytes);
    expect(again.config).toEqual(vae.config);
    const x = randomArray(5 * 12, 2, 0, 1);
    expect(again.encode(x)).toEqual(vae.encode(x));
    expect(again.evaluate(x, { seed: 3 })).toEqual(vae.evaluate(x, { seed: 3 }));
    const headerLen = new DataView(bytes.buffer).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header["encoder.hidden.0.weight"].shape).toEqual([10, 12]);
    expect(header["encoder.mean.weight"].shape).toEqual([3, 7]);
    expect(header.__metadata__.format).toBe("vaekit");
    expect(header.__metadata__.format_version).toBe("1");
    expect(JSON.parse(header.__metadata__.config).activation).toBe("tanh");
    vae.dispose();
    again.dispose();
  });

  it("refuses truncated, foreign and tampered files with ModelFormatError", async () => {
    const vae = await VAE.create(small);
    const bytes = vae.save();
    await expect(VAE.load(bytes.subarray(0, 5))).rejects.toThrow(/only 5 bytes/);
    await expect(VAE.load(bytes.subarray(0, bytes.length - 4))).rejects.toThrow(ModelFormatError);
    await expect(VAE.load(new TextEncoder().encode("PK\u0003\u0004 a zip file, not a model"))).rejects.toThrow(ModelFormatError);
    const extra = new Uint8Array(bytes.length + 4);
    extra.set(bytes);
    await expect(VAE.load(extra)).rejects.toThrow(/bytes after the last tensor/);
    // edits the JSON header in place, keeping its length, so only the named field changes
    const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    const swap = (from: string, to: string) => {
      expect(to.length).toBe(from.length);
      const t = text.replace(from, to);
      expect(t).not.toBe(text);
      const out = bytes.slice();
      out.set(new TextEncoder().encode(t), 8);
      return out;
    };
    await expect(VAE.load(swap('"format":"vaekit"', '"format":"torch1"'))).rejects.toThrow(/not written by vaekit/);
    await expect(VAE.load(swap('"format_version":"1"', '"format_version":"9"'))).rejects.toThrow(/format_version "9"/);
    await expect(VAE.load(swap('"dtype":"F32"', '"dtype":"F16"'))).rejects.toThrow(/dtype "F16"/);
    await expect(VAE.load(swap('\\"latentSize\\":3', '\\"latentSize\\":4'))).rejects.toThrow(ModelFormatError);
    vae.dispose();
  });

  it("throws DisposedError after dispose", async () => {
    const vae = await VAE.create(small);
    vae.dispose();
    vae.dispose();
    expect(() => vae.sample(1)).toThrow(DisposedError);
    expect(() => vae.save()).toThrow(/disposed/);
  });
});
