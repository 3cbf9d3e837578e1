// VAE configuration: the user's options, checked and completed into a canonical form.
import { InvalidConfigError } from "../errors.js";
import type { Activation } from "../nn/dense.js";
import { ACTIVATION_CODES } from "../runtime/kernels.js";

/**
 * How the decoder's output scores the data.
 *
 * @example
 * ```ts
 * const likelihood: Likelihood = "gaussian";
 * ```
 */
export type Likelihood = "bernoulli" | "gaussian" | "laplace";

/**
 * Options of `VAE.create`.
 *
 * @example
 * ```ts
 * const config: VAEConfig = { inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu",
 *   likelihood: "bernoulli", beta: 1, seed: 1 };
 * ```
 */
export interface VAEConfig {
  /** Values per example (784 for 28×28 images). */
  inputSize: number;
  /** Latent dimensions. */
  latentSize: number;
  /** Encoder hidden layer widths, input side first. Default [400]. */
  hiddenSizes?: readonly number[];
  /** Decoder hidden layer widths, latent side first. Default: hiddenSizes reversed. */
  decoderHiddenSizes?: readonly number[];
  /** Hidden-layer activation. Default "relu". */
  activation?: Activation;
  /** Negative slope of "leaky_relu". Default 0.01 (PyTorch's). */
  leakySlope?: number;
  /**
   * p(x|z): "bernoulli" (data in [0, 1]; the decoder outputs logits), "gaussian" (fixed σ = likelihoodScale) or
   * "laplace" (fixed scale b = likelihoodScale). Default "bernoulli".
   */
  likelihood?: Likelihood;
  /** σ of the Gaussian or b of the Laplace likelihood. Default 1. */
  likelihoodScale?: number;
  /** Weight of the KL term (β-VAE); 1 gives the ELBO. Default 1. */
  beta?: number;
  /** Seed of the weight initialisation and of the training noise (an integer in [0, 2³²)). Default: random. */
  seed?: number;
}

/**
 * A VAEConfig with every field present, as `vae.config` returns it.
 *
 * @example
 * ```ts
 * const { hiddenSizes, seed }: ResolvedVAEConfig = vae.config;
 * ```
 */
export type ResolvedVAEConfig = Required<VAEConfig>;

const KEYS: (keyof VAEConfig)[] = [
  "inputSize", "latentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope",
  "likelihood", "likelihoodScale", "beta", "seed",
];
const LIKELIHOODS: Likelihood[] = ["bernoulli", "gaussian", "laplace"];
const MAX_WIDTH = 1 << 16;

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/** Names the closest of `options` to `word`, for "did you mean" hints. */
export function suggest(word: string, options: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const o of options) {
    const dd = distance(word, o);
    if (dd < bestD) [best, bestD] = [o, dd];
  }
  return bestD <= Math.max(2, word.length / 3) ? ` (did you mean '${best}'?)` : "";
}

function size(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_WIDTH) {
    throw new InvalidConfigError(`${name} must be an integer from 1 to ${MAX_WIDTH}; got ${JSON.stringify(v)}`);
  }
  return v;
}

function sizes(name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new InvalidConfigError(`${name} must be an array of layer widths, e.g. [400]; got ${JSON.stringify(v)}`);
  return v.map((x, i) => size(`${name}[${i}]`, x));
}

function positive(name: string, v: unknown, allowZero = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidConfigError(`${name} must be a finite number ${allowZero ? "≥ 0" : "> 0"}; got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks a user's config and fills in the defaults; throws InvalidConfigError on anything off. */
export function resolveConfig(config: unknown): ResolvedVAEConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new InvalidConfigError("VAE config must be an object such as { inputSize: 784, latentSize: 20 }");
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new InvalidConfigError(`unknown VAE option '${key}'${suggest(key, KEYS)}; known options: ${KEYS.join(", ")}`);
    }
  }
  if (c.inputSize === undefined) throw new InvalidConfigError("inputSize is required (values per example, e.g. 784)");
  if (c.latentSize === undefined) throw new InvalidConfigError("latentSize is required (latent dimensions, e.g. 20)");
  const inputSize = size("inputSize", c.inputSize);
  const latentSize = size("latentSize", c.latentSize);
  const hiddenSizes = c.hiddenSizes === undefined ? [400] : sizes("hiddenSizes", c.hiddenSizes);
  const decoderHiddenSizes =
    c.decoderHiddenSizes === undefined ? [...hiddenSizes].reverse() : sizes("decoderHiddenSizes", c.decoderHiddenSizes);
  const activation = (c.activation ?? "relu") as Activation;
  if (!(activation in ACTIVATION_CODES)) {
    const names = Object.keys(ACTIVATION_CODES);
    throw new InvalidConfigError(
      `activation must be one of ${names.map((n) => `"${n}"`).join(", ")}; got ${JSON.stringify(c.activation)}${suggest(String(activation), names)}`,
    );
  }
  const likelihood = (c.likelihood ?? "bernoulli") as Likelihood;
  if (!LIKELIHOODS.includes(likelihood)) {
    throw new InvalidConfigError(
      `likelihood must be one of ${LIKELIHOODS.map((n) => `"${n}"`).join(", ")}; got ${JSON.stringify(c.likelihood)}${suggest(String(likelihood), LIKELIHOODS)}`,
    );
  }
  const leakySlope = c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true);
  const likelihoodScale = c.likelihoodScale === undefined ? 1 : positive("likelihoodScale", c.likelihoodScale);
  const beta = c.beta === undefined ? 1 : positive("beta", c.beta, true);
  let seed: number;
  if (c.seed === undefined) seed = Math.floor(Math.random() * 2 ** 32);
  else if (typeof c.seed !== "number" || !Number.isInteger(c.seed) || c.seed < 0 || c.seed >= 2 ** 32) {
    throw new InvalidConfigError(`seed must be an integer in [0, 2^32); got ${JSON.stringify(c.seed)}`);
  } else seed = c.seed;
  return {
    inputSize, latentSize, hiddenSizes, decoderHiddenSizes, activation, leakySlope, likelihood, likelihoodScale, beta, seed,
  };
}
