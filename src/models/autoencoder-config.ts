// Autoencoder configuration: sizes, activations, likelihood, and the optional sparsity penalty and input corruption.
import type { InputShape, LayerSpec } from "./layers-config.js";
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import {
  activationOf, configObject, likelihoodOf, positive, seedConfig, initOf, type WeightInit, size, sizes, type Likelihood,
} from "./config-checks.js";

/**
 * A penalty that makes the code sparse: "l1" adds weight·Σ|h| per example; "kl" adds
 * weight·Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j being unit j's mean activation over the batch (needs sigmoid code units).
 *
 * @example
 * ```ts
 * const s: Sparsity = { type: "kl", rho: 0.05, weight: 3 };
 * ```
 */
export type Sparsity = { type: "l1"; weight: number } | { type: "kl"; rho: number; weight: number };

/**
 * Corruption of the inputs during training (a denoising autoencoder reconstructs the clean input): "mask" sets
 * each value to 0 with probability p; "gaussian" adds N(0, σ²) noise.
 *
 * @example
 * ```ts
 * const d: Denoising = { type: "mask", p: 0.3 };
 * ```
 */
export type Denoising = { type: "mask"; p: number } | { type: "gaussian"; sigma: number };

/**
 * Options of `Autoencoder.create`.
 *
 * @example
 * ```ts
 * const config: AutoencoderConfig = { inputSize: 784, hiddenSizes: [256], latentSize: 32,
 *   denoising: { type: "mask", p: 0.3 }, seed: 1 };
 * ```
 */
export interface AutoencoderConfig {
  /** Values per example. Required unless `inputShape` (layer lists) gives it. */
  inputSize?: number;
  /** Width of the code h = f(x). */
  latentSize: number;
  /** Encoder hidden layer widths, input side first. Default [400]. */
  hiddenSizes?: readonly number[];
  /** Decoder hidden layer widths, code side first. Default: hiddenSizes reversed. */
  decoderHiddenSizes?: readonly number[];
  /** Hidden-layer activation. Default "relu". */
  activation?: Activation;
  /** Activation of the code layer. Default "identity" ("sigmoid" for KL sparsity). */
  latentActivation?: Activation;
  /** Negative slope of "leaky_relu". Default 0.01. */
  leakySlope?: number;
  /** Reconstruction likelihood, as for VAEConfig. Default "bernoulli" (cross-entropy). */
  likelihood?: Likelihood;
  /** σ of the Gaussian (a number or "learned") or b of the Laplace likelihood. Default 1. */
  likelihoodScale?: number | "learned";
  /** The Gaussian likelihood's σ (another name for likelihoodScale). */
  sigma?: number | "learned";
  /** Sparsity penalty on the code. Default none. */
  sparsity?: Sparsity | null;
  /** Input corruption in training (denoising autoencoder). Default none. */
  denoising?: Denoising | null;
  /** Weight initialisation: "pytorch" (default, nn.Linear's) or "glorot" (uniform, zero biases; for deep tanh stacks). */
  init?: WeightInit;
  /** Seed of the weights and of the training noise. Default: random. */
  seed?: number;
  /** Layer lists instead of hiddenSizes (as VAEConfig's): the shape of one example, [height, width, channels] or [values]. */
  inputShape?: InputShape;
  /** The encoder's layers, input side first (the code layer `encoder.code` follows; its output must be flat). */
  encoder?: LayerSpec[];
  /** The decoder's layers, code side first; its output is shaped like inputShape. */
  decoder?: LayerSpec[];
}

/**
 * An AutoencoderConfig with every field present.
 *
 * @example
 * ```ts
 * const { sparsity }: ResolvedAutoencoderConfig = ae.config;
 * ```
 */
export type ResolvedAutoencoderConfig = Required<Omit<AutoencoderConfig, "sigma" | "sparsity" | "denoising" | "inputShape" | "encoder" | "decoder">> &
  Partial<Pick<AutoencoderConfig, "inputShape" | "encoder" | "decoder">> & {
  sparsity: Sparsity | null;
  denoising: Denoising | null;
};

const KEYS: (keyof AutoencoderConfig)[] = [
  "inputSize", "latentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "latentActivation", "leakySlope",
  "likelihood", "likelihoodScale", "sigma", "sparsity", "denoising", "init", "seed",
];

function fields(what: string, v: unknown, allowed: string[]): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidConfigError(`${what} must be an object; got ${show(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new InvalidConfigError(`${what}: unknown field '${k}'; expected ${allowed.join(", ")}`);
  return o;
}

function sparsityOf(v: unknown, latentActivation: Activation): Sparsity | null {
  if (v === undefined || v === null) return null;
  const t = (v as { type?: unknown }).type;
  if (t === "l1") {
    const o = fields("sparsity", v, ["type", "weight"]);
    return { type: "l1", weight: positive("sparsity.weight", o.weight, true) };
  }
  if (t === "kl") {
    const o = fields("sparsity", v, ["type", "rho", "weight"]);
    const rho = o.rho;
    if (typeof rho !== "number" || !(rho > 0 && rho < 1)) throw new InvalidConfigError(`sparsity.rho must be a number in (0, 1), e.g. 0.05; got ${show(rho)}`);
    if (latentActivation !== "sigmoid") {
      throw new InvalidConfigError(
        `sparsity "kl" compares each code unit's mean activation with ρ as Bernoulli means, so the code must lie in (0, 1): ` +
          `set latentActivation: "sigmoid" (now "${latentActivation}")`,
      );
    }
    return { type: "kl", rho, weight: positive("sparsity.weight", o.weight, true) };
  }
  throw new InvalidConfigError(`sparsity.type must be "l1" or "kl"; got ${show(t)}`);
}

function denoisingOf(v: unknown): Denoising | null {
  if (v === undefined || v === null) return null;
  const t = (v as { type?: unknown }).type;
  if (t === "mask") {
    const o = fields("denoising", v, ["type", "p"]);
    if (typeof o.p !== "number" || !(o.p >= 0 && o.p < 1)) throw new InvalidConfigError(`denoising.p must be a probability in [0, 1); got ${show(o.p)}`);
    return { type: "mask", p: o.p };
  }
  if (t === "gaussian") {
    const o = fields("denoising", v, ["type", "sigma"]);
    return { type: "gaussian", sigma: positive("denoising.sigma", o.sigma) };
  }
  throw new InvalidConfigError(`denoising.type must be "mask" or "gaussian"; got ${show(t)}`);
}

/** Checks an Autoencoder config and fills in the defaults. */
export function resolveAutoencoderConfig(config: unknown): ResolvedAutoencoderConfig {
  const c = configObject(config, "Autoencoder", KEYS, "{ inputSize: 784, latentSize: 32 }");
  if (c.inputSize === undefined) throw new InvalidConfigError("inputSize is required (values per example, e.g. 784)");
  if (c.latentSize === undefined) throw new InvalidConfigError("latentSize is required (the code width, e.g. 32)");
  const inputSize = size("inputSize", c.inputSize);
  const latentSize = size("latentSize", c.latentSize);
  const hiddenSizes = c.hiddenSizes === undefined ? [400] : sizes("hiddenSizes", c.hiddenSizes);
  const decoderHiddenSizes = c.decoderHiddenSizes === undefined ? [...hiddenSizes].reverse() : sizes("decoderHiddenSizes", c.decoderHiddenSizes);
  const activation = activationOf("activation", c.activation, "relu");
  const latentActivation = activationOf("latentActivation", c.latentActivation, "identity");
  const leakySlope = c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true);
  const { likelihood, likelihoodScale } = likelihoodOf(c);
  const sparsity = sparsityOf(c.sparsity, latentActivation);
  const denoising = denoisingOf(c.denoising);
  const init = initOf(c.init);
  const seed = seedConfig(c.seed);
  return {
    inputSize, latentSize, hiddenSizes, decoderHiddenSizes, activation, latentActivation, leakySlope, likelihood,
    likelihoodScale, sparsity, denoising, init, seed,
  };
}
