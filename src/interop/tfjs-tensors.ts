// tf.Tensor in, tf.Tensor out: thin wrappers over a VAE's inference methods for TensorFlow.js code. The values are
// read with dataSync() (so a GPU backend waits for its data) and the results are new float32 tensors on the
// current backend; the caller owns and disposes them. @tensorflow/tfjs-core is an optional peer dependency.
import { tensor2d, type Tensor, type Tensor2D } from "@tensorflow/tfjs-core";
import { InvalidInputError, type VAE } from "../index.js";

/** The values of a rank-2 tensor of `cols` columns, as a Float32Array. */
function rows(t: unknown, cols: number, what: string): Float32Array {
  const x = t as Tensor | null;
  if (x === null || typeof x !== "object" || !Array.isArray(x.shape) || typeof x.dataSync !== "function") {
    throw new InvalidInputError(`${what}: expected a tf.Tensor2D of shape [n, ${cols}]; got ${x === null ? "null" : typeof x}`);
  }
  if (x.isDisposed) throw new InvalidInputError(`${what}: the tensor has been disposed`);
  if (x.rank !== 2 || x.shape[1] !== cols) {
    throw new InvalidInputError(`${what}: expected a tensor of shape [n, ${cols}]; got shape [${x.shape.join(", ")}]`);
  }
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new InvalidInputError(`${what}: expected a float32 (or int32) tensor; got dtype ${x.dtype}`);
  }
  const v = x.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

const out = (values: Float32Array, cols: number): Tensor2D => tensor2d(values, [values.length / cols, cols], "float32");

/**
 * `vae.encode` on a tensor: the posterior mean and log-variance of each row of x [n, inputSize], each a
 * tf.Tensor2D [n, latentSize].
 *
 * @example
 * ```ts
 * import { encodeTensor } from "vaekit/tfjs";
 * const { mean, logVar } = encodeTensor(vae, tf.tensor2d(images, [n, 784]));
 * ```
 */
export function encodeTensor(vae: VAE, x: Tensor2D): { mean: Tensor2D; logVar: Tensor2D } {
  const { inputSize, latentSize } = vae.config;
  const e = vae.encode(rows(x, inputSize, "encodeTensor(x)"));
  return { mean: out(e.mean, latentSize), logVar: out(e.logVar, latentSize) };
}

/**
 * `vae.decode` on a tensor: z [n, latentSize] → the likelihood's mean [n, inputSize] (pixel probabilities for
 * the Bernoulli likelihood).
 *
 * @example
 * ```ts
 * import { decodeTensor } from "vaekit/tfjs";
 * const images = decodeTensor(vae, tf.randomNormal([16, 20]));
 * ```
 */
export function decodeTensor(vae: VAE, z: Tensor2D): Tensor2D {
  const { inputSize, latentSize } = vae.config;
  return out(vae.decode(rows(z, latentSize, "decodeTensor(z)")), inputSize);
}

/**
 * `vae.reconstruct` on a tensor: x [n, inputSize] encoded and decoded (at the posterior mean, or at a sampled z
 * with `{ sample: true, seed }`).
 *
 * @example
 * ```ts
 * import { reconstructTensor } from "vaekit/tfjs";
 * const again = reconstructTensor(vae, batch);
 * ```
 */
export function reconstructTensor(vae: VAE, x: Tensor2D, options: { sample?: boolean; seed?: number } = {}): Tensor2D {
  const { inputSize } = vae.config;
  return out(vae.reconstruct(rows(x, inputSize, "reconstructTensor(x)"), options), inputSize);
}

/**
 * `vae.sample` as a tensor: n draws from the model, [n, inputSize].
 *
 * @example
 * ```ts
 * import { sampleTensor } from "vaekit/tfjs";
 * const digits = sampleTensor(vae, 64, { seed: 1 });
 * ```
 */
export function sampleTensor(vae: VAE, n: number, options: { seed?: number } = {}): Tensor2D {
  return out(vae.sample(n, options), vae.config.inputSize);
}
