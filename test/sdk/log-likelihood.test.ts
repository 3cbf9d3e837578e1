// Importance-sampled log-likelihood: L_k never below the ELBO, rising with k, independent of the block size, in
// bounded memory; and the ELBO / anomaly score per example agreeing with evaluate.
import { beforeAll, describe, expect, it } from "vitest";
import { VAE } from "../../src/index.js";
import { loadMnist } from "./mnist.js";

let vae: VAE;
let test: Float32Array;
const N = 40;

beforeAll(async () => {
  const { trainX, testX } = await loadMnist();
  vae = await VAE.create({ inputSize: 784, hiddenSizes: [128], latentSize: 10, seed: 4 });
  await vae.fit(trainX.subarray(0, 3000 * 784), { epochs: 2, batchSize: 64, learningRate: 2e-3, dynamicBinarization: true });
  test = testX.slice(0, N * 784).map((v) => (v > 0.5 ? 1 : 0)); // a fixed binarization of the test images
});

const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;

describe("logLikelihood", () => {
  it("is at least the ELBO on every example, and its mean rises with k (1, 10, 100, 1000)", () => {
    const elbo = vae.elbo(test, { samples: 1000, seed: 5 });
    const ks = [1, 10, 100, 1000];
    const ll = ks.map((k) => vae.logLikelihood(test, { samples: k, seed: 6 }));
    console.log(`mean ELBO ${mean(elbo).toFixed(2)}; mean log p(x) estimate for k = ${ks.join(", ")}: ` +
      ll.map((l) => mean(l).toFixed(2)).join(", "));
    for (let i = 0; i < N; i++) expect(ll[3][i], `example ${i}`).toBeGreaterThanOrEqual(elbo[i]);
    for (let j = 1; j < ks.length; j++) expect(mean(ll[j])).toBeGreaterThanOrEqual(mean(ll[j - 1]));
    // k = 1 is an unbiased ELBO estimate (sampled KL): its mean is within noise of the ELBO's
    expect(Math.abs(mean(ll[0]) - mean(elbo))).toBeLessThan(0.5 + 0.05 * Math.abs(mean(elbo)));
    expect(mean(ll[3]) - mean(elbo)).toBeGreaterThan(0.5); // and the bound does tighten
  });

  it("is deterministic for a seed and the same whatever the block size", () => {
    const a = vae.logLikelihood(test.subarray(0, 6 * 784), { samples: 300, seed: 2 });
    expect(vae.logLikelihood(test.subarray(0, 6 * 784), { samples: 300, seed: 2 })).toEqual(a);
    expect(vae.logLikelihood(test.subarray(0, 6 * 784), { samples: 300, seed: 2, batchSize: 7 })).toEqual(a);
    expect(vae.logLikelihood(test.subarray(0, 784), { samples: 300, seed: 2, batchSize: 100 })[0]).toBe(a[0]);
    expect(vae.logLikelihood(test.subarray(0, 6 * 784), { samples: 300, seed: 3 })).not.toEqual(a);
  });

  it("keeps memory bounded for k = 20 000 (20 000 decoder rows would need 63 MB)", () => {
    const before = vae.memoryBytes;
    const ll = vae.logLikelihood(test.subarray(0, 2 * 784), { samples: 20_000, seed: 1 });
    expect(ll.every(Number.isFinite)).toBe(true);
    expect(vae.memoryBytes - before).toBeLessThan(16 * 2 ** 20);
  });

  it("refuses bad options without touching the model", () => {
    const w = vae.save();
    expect(() => vae.logLikelihood(test, { samples: 0 })).toThrow(/samples must be an integer from 1/);
    expect(() => vae.logLikelihood(test, { sample: 10 } as never)).toThrow(/did you mean 'samples'/);
    expect(() => vae.logLikelihood(test, { batchSize: -1 })).toThrow(/batchSize/);
    expect(Buffer.compare(vae.save(), w)).toBe(0); // (a byte comparison: toEqual walks 800 kB slowly)
  });
});

describe("elbo and anomalyScore", () => {
  it("ELBO per example averages to −evaluate().loss, and anomalyScore is its negative", () => {
    const e = vae.elbo(test, { seed: 9 });
    expect(mean(e)).toBeCloseTo(-vae.evaluate(test, { seed: 9 }).loss, 3);
    expect(Array.from(vae.anomalyScore(test, { seed: 9 }))).toEqual(Array.from(e, (v) => -v));
  });

  it("scores noise images as far more anomalous than digits", () => {
    const noise = new Float32Array(N * 784).map((_, i) => ((i * 2654435761) >>> 0) % 2);
    const digits = mean(vae.anomalyScore(test, { samples: 10 }));
    const junk = mean(vae.anomalyScore(noise, { samples: 10 }));
    expect(junk).toBeGreaterThan(2 * digits);
  });
});
