// `threads: n` through the public API: training gives the same weights and losses bit for bit with 1, 2 and 3
// threads (MNIST digits, so the first layer's zero-skipping path runs, and dense data on other likelihoods and
// SGD; odd batch sizes 1, 3, 5, 127 and layer widths that are not multiples of 4 or 8), batched inference equals
// one thread's bit for bit, one family model (HierarchicalVAE, IWAE) and one autoencoder train identically, fallbacks
// are reported, invalid thread counts are refused, and dispose (or a finished script) ends the worker threads.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  Autoencoder, DisposedError, HierarchicalVAE, InvalidConfigError, VAE, type AutoencoderConfig, type HierarchicalVAEConfig,
  type VAEConfig,
} from "../../src/index.js";
import { expectBitIdentical } from "../helpers/assert";
import { randomArray } from "../helpers/wasm";
import { loadMnist } from "../sdk/mnist";

type AnyModel = VAE | HierarchicalVAE | Autoencoder;
type Fit = { epochs: number; batchSize: number; [k: string]: unknown };

function expectSameWeights(a: AnyModel, b: AnyModel, label: string): void {
  const wa = a.getWeights(), wb = b.getWeights();
  expect(Object.keys(wb)).toEqual(Object.keys(wa));
  for (const name of Object.keys(wa)) expectBitIdentical(wb[name], wa[name], `${label}: ${name}`);
}

/** Trains one model per thread count through the same fits; checks weights and every epoch's losses agree. */
async function trainAll(make: (threads: number) => Promise<AnyModel>, x: Float32Array, fits: Fit[], label: string): Promise<AnyModel[]> {
  const models: AnyModel[] = [];
  const logs: unknown[] = [];
  for (const threads of [1, 2, 3]) {
    const m = await make(threads);
    expect(m.engineInfo, label).toEqual({ precision: "exact", threads, fallbacks: [] });
    const history = [];
    for (const f of fits) history.push(...(await (m.fit as unknown as (x: Float32Array, o: Fit) => Promise<Record<string, number>[]>)(x, f)));
    logs.push(history.map(({ seconds: _s, examplesPerSecond: _e, ...terms }) => terms));
    models.push(m);
  }
  expect(logs[1], `${label}: losses, 2 threads`).toEqual(logs[0]);
  expect(logs[2], `${label}: losses, 3 threads`).toEqual(logs[0]);
  expectSameWeights(models[0], models[1], `${label}, 2 threads`);
  expectSameWeights(models[0], models[2], `${label}, 3 threads`);
  return models;
}

const disposeAll = (ms: AnyModel[]) => ms.forEach((m) => m.dispose());

describe("threads: training is bit-identical for 1, 2 and 3 threads", () => {
  it("VAE on MNIST digits (zero-skipping first layer), batches of 127, 127, 5, then 3, 3, 1; 784-403-21", async () => {
    const { trainX } = await loadMnist();
    const x = trainX.subarray(0, 259 * 784);
    const cfg: VAEConfig = { inputSize: 784, hiddenSizes: [403], latentSize: 21, activation: "relu", seed: 11 };
    const models = await trainAll((threads) => VAE.create(cfg, { threads }), x,
      [{ epochs: 2, batchSize: 127, shuffleSeed: 3 }, { epochs: 1, batchSize: 3, shuffle: false }], "VAE/MNIST");
    // the history really moved the weights (the comparison above is not between three untouched models)
    const fresh = await VAE.create(cfg);
    expect(fresh.getWeights()["decoder.output.bias"]).toHaveLength(784);
    expect(fresh.getWeights()["decoder.output.bias"]).not.toEqual(models[0].getWeights()["decoder.output.bias"]);
    fresh.dispose();
    disposeAll(models);
  });

  it("VAEs on dense data: Gaussian + SGD with Nesterov momentum, continuous Bernoulli + AdamW, Laplace + clipNorm (widths 37, 19, latent 5)", async () => {
    const x = randomArray(133 * 784, 5, 0, 1);
    const base = { inputSize: 784, hiddenSizes: [37, 19], latentSize: 5, activation: "tanh", seed: 4 } as const;
    const cases: [Partial<VAEConfig>, Fit][] = [
      [{ likelihood: "gaussian" }, { epochs: 2, batchSize: 64, optimizer: "sgd", learningRate: 1e-4, momentum: 0.9, nesterov: true }],
      [{ likelihood: "continuous-bernoulli" }, { epochs: 2, batchSize: 127, optimizer: "adamw" }],
      [{ likelihood: "laplace", beta: 2 }, { epochs: 1, batchSize: 1, clipNorm: 5, lossReduction: "mean" }],
    ];
    for (const [extra, fit] of cases) {
      disposeAll(await trainAll((threads) => VAE.create({ ...base, ...extra } as VAEConfig, { threads }), x.subarray(0, 133 * 784), [fit], JSON.stringify(extra)));
    }
  });

  it("HierarchicalVAE (IWAE, 3 samples) and a sparse denoising Autoencoder", async () => {
    const { trainX } = await loadMnist();
    const x = trainX.subarray(1000 * 784, 1131 * 784);
    const h: HierarchicalVAEConfig = { inputSize: 784, latentSizes: [21, 7], hiddenSizes: [[101], [13]], objective: "iwae", samples: 3, seed: 6 };
    disposeAll(await trainAll((threads) => HierarchicalVAE.create(h, { threads }), x, [{ epochs: 2, batchSize: 65 }], "HierarchicalVAE"));
    const a: AutoencoderConfig = {
      inputSize: 784, hiddenSizes: [203], latentSize: 17, latentActivation: "sigmoid", seed: 7,
      sparsity: { type: "kl", rho: 0.05, weight: 1 }, denoising: { type: "mask", p: 0.25 },
    };
    disposeAll(await trainAll((threads) => Autoencoder.create(a, { threads }), x, [{ epochs: 2, batchSize: 127 }], "Autoencoder"));
  });
});

describe("threads: batched inference", () => {
  it("encode, decode, reconstruct, sample, evaluate, elbo and logLikelihood with 2 threads ≡ 1 thread, over more rows than one chunk", async () => {
    const { testX } = await loadMnist();
    const x = testX.subarray(0, 300 * 784);
    const cfg: VAEConfig = { inputSize: 784, hiddenSizes: [403], latentSize: 21, activation: "relu", seed: 12 };
    const [a, b] = [await VAE.create(cfg), await VAE.create(cfg, { threads: 2 })];
    await a.fit(x.subarray(0, 128 * 784), { epochs: 1 });
    b.setWeights(a.getWeights());
    const ea = a.encode(x), eb = b.encode(x);
    expectBitIdentical(eb.mean, ea.mean, "encode mean");
    expectBitIdentical(eb.logVar, ea.logVar, "encode logVar");
    expect(eb.mean.buffer).toBeInstanceOf(ArrayBuffer); // never a view of the shared memory
    expectBitIdentical(b.decode(ea.mean), a.decode(ea.mean), "decode");
    expectBitIdentical(b.decode(ea.mean.subarray(0, 21)), a.decode(ea.mean.subarray(0, 21)), "decode, one row");
    expectBitIdentical(b.reconstruct(x), a.reconstruct(x), "reconstruct");
    expectBitIdentical(b.reconstruct(x, { sample: true, seed: 3 }), a.reconstruct(x, { sample: true, seed: 3 }), "reconstruct, sampled");
    expectBitIdentical(b.sample(257, { seed: 2 }), a.sample(257, { seed: 2 }), "sample");
    expect(b.evaluate(x, { seed: 1 })).toEqual(a.evaluate(x, { seed: 1 }));
    expect(b.elbo(x.subarray(0, 5 * 784), { samples: 3 })).toEqual(a.elbo(x.subarray(0, 5 * 784), { samples: 3 }));
    expect(b.logLikelihood(x.subarray(0, 3 * 784), { samples: 50, seed: 1 })).toEqual(a.logLikelihood(x.subarray(0, 3 * 784), { samples: 50, seed: 1 }));
    a.dispose();
    b.dispose();
  });
});

describe("threads: options, fallbacks and lifetime", () => {
  it("refuses thread counts that are not integers from 1 to 64 with InvalidConfigError", async () => {
    const cfg = { inputSize: 4, latentSize: 2 };
    for (const threads of [0, -1, 1.5, 65, 1000, NaN, Infinity, "2", null]) {
      await expect(VAE.create(cfg, { threads: threads as number }), String(threads)).rejects.toThrow(InvalidConfigError);
      await expect(VAE.create(cfg, { threads: threads as number })).rejects.toThrow(/threads must be an integer from 1 to 64; got /);
    }
    const one = await VAE.create(cfg, { threads: 1 });
    expect(one.engineInfo).toEqual({ precision: "exact", threads: 1, fallbacks: [] });
    one.dispose();
  });

  it("uses one thread and says why where threads can't run (no SharedArrayBuffer; workerd), with the same results", async () => {
    const cfg: VAEConfig = { inputSize: 784, hiddenSizes: [403], latentSize: 21, seed: 13 };
    const x = randomArray(5 * 784, 9, 0, 1);
    const reference = await VAE.create(cfg);
    const g = globalThis as Record<string, unknown>;
    const sab = g.SharedArrayBuffer;
    let noSab: VAE;
    try {
      delete g.SharedArrayBuffer;
      noSab = await VAE.create(cfg, { threads: 2 });
    } finally {
      g.SharedArrayBuffer = sab;
    }
    expect(noSab.engineInfo.threads).toBe(1);
    expect(noSab.engineInfo.fallbacks).toEqual([
      "threads: 2 was requested but this runtime has no SharedArrayBuffer; using 1 thread",
    ]);
    expectBitIdentical(noSab.reconstruct(x), reference.reconstruct(x), "fallback model's output");
    noSab.dispose();

    const nav = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    let workerd: VAE;
    try {
      Object.defineProperty(globalThis, "navigator", { value: { userAgent: "Cloudflare-Workers" }, configurable: true });
      workerd = await VAE.create(cfg, { threads: 4 });
    } finally {
      if (nav) Object.defineProperty(globalThis, "navigator", nav);
      else delete g.navigator;
    }
    expect(workerd.engineInfo).toEqual({
      precision: "exact", threads: 1,
      fallbacks: ["threads: 4 was requested but Cloudflare Workers (workerd) cannot start threads; using 1 thread"],
    });
    workerd.dispose();
    reference.dispose();
  });

  it("the shared-memory build given as `wasm` also runs one thread (alone on a shared memory of its own), bit for bit", async () => {
    const cfg: VAEConfig = { inputSize: 784, hiddenSizes: [403], latentSize: 21, seed: 17 };
    const x = randomArray(6 * 784, 10, 0, 1);
    const mt = readFileSync(fileURLToPath(new URL("../../dist/vaekit-mt.wasm", import.meta.url)));
    const reference = await VAE.create(cfg);
    const one = await VAE.create(cfg, { wasm: mt });
    expect(one.engineInfo).toEqual({ precision: "exact", threads: 1, fallbacks: [] });
    await reference.fit(x, { epochs: 2, batchSize: 4 });
    await one.fit(x, { epochs: 2, batchSize: 4 });
    expectBitIdentical(one.reconstruct(x), reference.reconstruct(x), "one thread on vaekit-mt.wasm");
    one.dispose();
    reference.dispose();
  });

  it("dispose() ends the worker threads; later calls throw DisposedError", async () => {
    const vae = await VAE.create({ inputSize: 784, latentSize: 4 }, { threads: 3 });
    const pool = (vae as unknown as { e: { pool: { closed?: Promise<unknown[]> } } }).e.pool;
    expect(pool.closed).toBeUndefined();
    vae.dispose();
    expect(await pool.closed).toHaveLength(2); // both workers' terminations resolved: their threads are gone
    expect(() => vae.encode(new Float32Array(784))).toThrow(DisposedError);
    vae.dispose(); // twice is fine
  });

  it("a script that leaves a threaded model undisposed still exits when it is done", () => {
    const dir = mkdtempSync(join(tmpdir(), "vaekit-threads-exit-"));
    try {
      const entry = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
      const script = join(dir, "run.mts");
      writeFileSync(script, `
        import { VAE } from ${JSON.stringify(entry)};
        const vae = await VAE.create({ inputSize: 784, hiddenSizes: [403], latentSize: 20 }, { threads: 2 });
        await vae.fit(new Float32Array(130 * 784).fill(0.5), { epochs: 1, batchSize: 65 });
        console.log("trained on", vae.engineInfo.threads, "threads");
      `);
      const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 60_000, cwd: process.cwd() });
      expect(r.error, "the script did not exit on its own").toBeUndefined();
      expect(r.stdout.trim()).toBe("trained on 2 threads");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
