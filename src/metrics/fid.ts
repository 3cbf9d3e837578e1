// The Fréchet inception distance, with a small MNIST classifier in place of Inception: the committed conv network
// of scripts/make-fid-conv-classifier.py (conv 1→8 and 8→16, 5×5 stride 2, ReLU; dense 784 → 64 → 10), run by
// vaekit's own conv and dense modules (a layer list, as the conv VAE's); its penultimate 64 features are the
// feature space. FID(a, b) = ‖μa − μb‖² + tr Σa + tr Σb − 2 tr (Σa Σb)^½ (Heusel et al. 2017),
// the trace of the matrix square root taken as Σ √λ of Σa^½ Σb Σa^½ (symmetric), with the symmetric
// eigendecompositions of the npm package ml-matrix (an optional peer dependency of vaekit/metrics only).
import { InvalidInputError, ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import { toRows, type Data } from "../io/data.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { ParameterLayout } from "../nn/dense.js";
import type { Stack } from "../nn/stack.js";
import { Tape } from "../nn/tape.js";
import { type Tensor, Workspace } from "../nn/tensor.js";
import { Engine } from "../runtime/engine.js";
import type { EngineOptions } from "../models/model.js";
import { stack } from "../models/layer-nets.js";
import { planLayers, resolveLayers } from "../models/layers-config.js";
import { FID_CLASSIFIER_BASE64 } from "./fid-classifier.generated.js";

/**
 * Mean and covariance of a set of feature vectors (float64), as `FidClassifier.statistics` computes them.
 *
 * @example
 * ```ts
 * const s: FeatureStatistics = classifier.statistics(testImages); s.mean.length; // 64
 * ```
 */
export interface FeatureStatistics {
  /** Number of images the statistics come from. */
  n: number;
  /** Feature dimensions d. */
  dims: number;
  /** [d] */
  mean: Float64Array;
  /** [d, d] row-major, the unbiased (n − 1) covariance. */
  covariance: Float64Array;
}

/**
 * Width of the classifier's penultimate layer: the dimension of FID's feature space.
 *
 * @example
 * ```ts
 * const f = classifier.features(images); f.length === n * FID_FEATURES;
 * ```
 */
export const FID_FEATURES = 64;
const CHUNK = 256;

/** The classifier as a vaekit layer list (the fixture's tensors are classifier.layers.{0,1,3,4}). */
const NETWORK = [
  { type: "conv2d", filters: 8, kernelSize: 5, strides: 2, padding: 2, activation: "relu" },
  { type: "conv2d", filters: 16, kernelSize: 5, strides: 2, padding: 2, activation: "relu" },
  { type: "flatten" },
  { type: "dense", units: FID_FEATURES, activation: "relu" },
  { type: "dense", units: 10 },
];

function bytesOf(b64: string): Uint8Array {
  if (typeof atob === "function") return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Uint8Array((globalThis as unknown as { Buffer: { from(s: string, e: string): Uint8Array } }).Buffer.from(b64, "base64"));
}

/**
 * The fixed MNIST classifier behind `fid`: features (its penultimate layer's 64 ReLU outputs), classes, and the
 * statistics FID compares. Images are rows of 784 values in [0, 1] (28 × 28, pixels / 255), as vaekit's models
 * generate them. Its weights ship inside vaekit/metrics (scripts/make-fid-conv-classifier.py trained them with PyTorch;
 * vaekit's conv and dense modules run them); 98.1 % test accuracy on MNIST.
 *
 * @example
 * ```ts
 * import { FidClassifier } from "vaekit/metrics";
 * const c = await FidClassifier.create();
 * const digits = c.classify(model.sample(100, { seed: 1 })); // Int32Array of predicted classes
 * c.dispose();
 * ```
 */
export class FidClassifier {
  readonly #e: Engine;
  readonly #net: Stack;
  readonly #params: number;
  readonly #ws: Workspace;
  readonly #tape: Tape;
  readonly #x: Tensor;
  #disposed = false;

  private constructor(e: Engine, weights: Uint8Array | undefined) {
    this.#e = e;
    const layout = new ParameterLayout();
    const plan = planLayers("classifier", resolveLayers("classifier", NETWORK), [28, 28, 1]);
    this.#net = stack(layout, "classifier", plan, 784, 0, 0);
    const mine = weights === undefined;
    const file = decodeSafetensors(weights ?? bytesOf(FID_CLASSIFIER_BASE64));
    for (const t of layout.tensors()) {
      const src = file.tensors.get(t.name), size = t.shape.reduce((a, b) => a * b, 1);
      if (!src || src.data.length !== size) {
        if (mine) throw new Error(`vaekit internal: the FID classifier has no tensor ${t.name}`);
        throw new ModelFormatError(`FidClassifier.create: weights must hold ${t.name} with ${size} values (the network of ` +
          `scripts/make-fid-conv-classifier.py); ${src ? `it has ${src.data.length}` : "it has no such tensor"}`);
      }
    }
    this.#params = e.alloc(layout.size);
    const all = e.f32(this.#params, layout.size);
    for (const t of layout.tensors()) t.write(all, file.tensors.get(t.name)!.data);
    this.#ws = new Workspace(e);
    this.#tape = new Tape(e);
    this.#x = this.#ws.tensor((d) => d.B * 784);
    this.#net.declare(this.#ws, (d) => d.B);
  }

  /**
   * Loads the classifier into an engine of its own (vaekit-ext.wasm: it runs conv kernels). `weights`: the
   * safetensors bytes of another classifier of the same network (e.g. the Fashion-MNIST one,
   * test/fixtures/metrics/fid-fashion-conv-classifier.safetensors, `--data fashion` of the script); default the
   * MNIST classifier that ships inside vaekit/metrics. ModelFormatError when a tensor is missing or of another size.
   *
   * @example
   * ```ts
   * const c = await FidClassifier.create();
   * const fashion = await FidClassifier.create({ weights: readFileSync("fid-fashion-conv-classifier.safetensors") });
   * ```
   */
  static async create(options: Pick<EngineOptions, "wasm"> & { weights?: Uint8Array } = {}): Promise<FidClassifier> {
    if (options.weights !== undefined && !(options.weights instanceof Uint8Array)) {
      throw new InvalidInputError(`FidClassifier.create: weights must be the safetensors file's bytes (a Uint8Array); got ${show(options.weights)}`);
    }
    return new FidClassifier(await Engine.create(options.wasm, undefined, 1, true), options.weights);
  }

  /** Runs the network on the images; `logits`: the last layer's output, else the penultimate features. */
  #run(x: Data, logits: boolean, what: string): { values: Float32Array; rows: number; width: number } {
    if (this.#disposed) throw new InvalidInputError(`FidClassifier.${what}: the classifier was disposed`);
    const r = toRows(x, 784, `${what}(images)`, true, " (images are pixels / 255)");
    const e = this.#e, layers = this.#net.layers;
    const last = logits ? layers[layers.length - 1] : layers[layers.length - 2];
    const width = last.outSize;
    const out = new Float32Array(r.rows * width);
    this.#ws.chunks(r.rows, (B) => ({ B, K: 1, multi: false, total: 0 }), (s, n) => {
      e.write(this.#x.ptr, r.values.subarray(s * 784, (s + n) * 784));
      this.#tape.start(0, this.#params, 0);
      let h = this.#x;
      for (const l of layers) {
        h = l.run(this.#tape, h, n);
        if (l === last) break;
      }
      out.set(e.f32(h.ptr, n * width), s * width);
    }, CHUNK);
    return { values: out, rows: r.rows, width };
  }

  /**
   * The penultimate features of each image, [n, 64].
   *
   * @example
   * ```ts
   * const f = c.features(images);
   * ```
   */
  features(images: Data): Float32Array {
    return this.#run(images, false, "features").values;
  }

  /**
   * The predicted class (0–9) of each image.
   *
   * @example
   * ```ts
   * const classes = c.classify(model.sample(10, { label: 3, seed: 1 }));
   * ```
   */
  classify(images: Data): Int32Array {
    const { values, rows } = this.#run(images, true, "classify");
    const out = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (values[r * 10 + c] > values[r * 10 + best]) best = c;
      out[r] = best;
    }
    return out;
  }

  /**
   * The share of images classified as their label.
   *
   * @example
   * ```ts
   * c.accuracy(testImages, testLabels); // ≈ 0.981
   * ```
   */
  accuracy(images: Data, labels: ArrayLike<number>): number {
    const got = this.classify(images);
    if (labels.length !== got.length) throw new InvalidInputError(`accuracy: ${labels.length} labels for ${got.length} images`);
    let k = 0;
    for (let i = 0; i < got.length; i++) if (got[i] === labels[i]) k++;
    return k / got.length;
  }

  /**
   * Mean and covariance of the images' features (float64), the inputs of `fidFromStatistics`. Needs 2 images or more.
   *
   * @example
   * ```ts
   * const testStats = c.statistics(testImages); // compute once, compare many models against it
   * ```
   */
  statistics(images: Data): FeatureStatistics {
    const { values, rows: n, width: d } = this.#run(images, false, "statistics");
    if (n < 2) throw new InvalidInputError(`statistics: needs at least 2 images for a covariance; got ${n}`);
    const mean = new Float64Array(d);
    for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += values[r * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    const cov = new Float64Array(d * d);
    const row = new Float64Array(d);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < d; j++) row[j] = values[r * d + j] - mean[j];
      for (let i = 0; i < d; i++) {
        const ri = row[i];
        if (ri === 0) continue;
        for (let j = i; j < d; j++) cov[i * d + j] += ri * row[j];
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        cov[i * d + j] /= n - 1;
        cov[j * d + i] = cov[i * d + j];
      }
    }
    return { n, dims: d, mean, covariance: cov };
  }

  /**
   * Frees the classifier's WebAssembly memory. Safe to call twice.
   *
   * @example
   * ```ts
   * c.dispose();
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#ws.free();
    this.#e.release(this.#params);
  }
}

type MlMatrix = typeof import("ml-matrix");
let mlMatrix: Promise<MlMatrix> | undefined;

async function linearAlgebra(): Promise<MlMatrix> {
  mlMatrix ??= import("ml-matrix").catch((e: unknown) => {
    mlMatrix = undefined;
    throw new InvalidInputError(`fid needs the optional package ml-matrix (its symmetric eigendecomposition), which could not be loaded ` +
      `(${(e as Error).message?.split("\n")[0]}); install it with: npm install ml-matrix`);
  });
  return mlMatrix;
}

function checkStatistics(s: unknown, what: string): FeatureStatistics {
  const v = s as FeatureStatistics;
  if (typeof v !== "object" || v === null || !(v.mean instanceof Float64Array) || !(v.covariance instanceof Float64Array) ||
    v.covariance.length !== v.mean.length * v.mean.length) {
    throw new InvalidInputError(`fidFromStatistics: ${what} must be { mean: Float64Array [d], covariance: Float64Array [d·d] } as statistics() returns; got ${show(s)}`);
  }
  return v;
}

/**
 * The Fréchet distance between two Gaussians given by feature statistics: ‖μa − μb‖² + tr Σa + tr Σb − 2 tr (Σa Σb)^½.
 *
 * @example
 * ```ts
 * const c = await FidClassifier.create();
 * const score = await fidFromStatistics(c.statistics(samples), c.statistics(testImages));
 * ```
 */
export async function fidFromStatistics(a: FeatureStatistics, b: FeatureStatistics): Promise<number> {
  checkStatistics(a, "a");
  checkStatistics(b, "b");
  if (a.mean.length !== b.mean.length) throw new InvalidInputError(`fidFromStatistics: a has ${a.mean.length} dimensions, b ${b.mean.length}`);
  const { Matrix, EigenvalueDecomposition } = await linearAlgebra();
  const d = a.mean.length;
  const A = new Matrix(d, d), Bm = new Matrix(d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      A.set(i, j, a.covariance[i * d + j]);
      Bm.set(i, j, b.covariance[i * d + j]);
    }
  }
  // Σa^½ = V diag(√max(λ, 0)) Vᵀ
  const ea = new EigenvalueDecomposition(A, { assumeSymmetric: true });
  const V = ea.eigenvectorMatrix;
  const root = Matrix.diag(ea.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0))));
  const S = V.mmul(root).mmul(V.transpose());
  const M = S.mmul(Bm).mmul(S);
  const Ms = M.add(M.transpose()).mul(0.5); // symmetric up to rounding; make it exactly so
  const em = new EigenvalueDecomposition(Ms, { assumeSymmetric: true });
  let trRoot = 0;
  for (const l of em.realEigenvalues) trRoot += Math.sqrt(Math.max(l, 0));
  let dist = 0, tr = 0;
  for (let i = 0; i < d; i++) {
    const dm = a.mean[i] - b.mean[i];
    dist += dm * dm;
    tr += a.covariance[i * d + i] + b.covariance[i * d + i];
  }
  return Math.max(0, dist + tr - 2 * trRoot);
}

/**
 * FID between two sets of MNIST-like images (rows of 784 values in [0, 1]) over the committed classifier's 64
 * penultimate features; lower is closer. Both sets need at least 2 images (thousands for a stable score: compare
 * scores only at equal set sizes).
 *
 * @example
 * ```ts
 * import { fid } from "vaekit/metrics";
 * const score = await fid(model.sample(10000, { seed: 1 }), testImages);
 * ```
 */
export async function fid(a: Data, b: Data, options: Pick<EngineOptions, "wasm"> & { weights?: Uint8Array } = {}): Promise<number> {
  const c = await FidClassifier.create(options);
  try {
    return await fidFromStatistics(c.statistics(a), c.statistics(b));
  } finally {
    c.dispose();
  }
}
