// HierarchicalVAE configuration: two stochastic layers z1 (near the data) and z2 (top), an MLP per stage.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import {
  activationOf, configObject, integer, likelihoodOf, MAX_SAMPLES, positive, seedConfig, initOf, type WeightInit, size, sizes, type Likelihood,
} from "./config-checks.js";

/**
 * Options of `HierarchicalVAE.create`: q(z1|x), q(z2|z1); p(z2) = N(0, I), p(z1|z2) Gaussian, p(x|z1).
 * Defaults follow the two-stochastic-layer model of Burda et al.'s IWAE paper (tanh, 200-200 / 100-100).
 *
 * @example
 * ```ts
 * const config: HierarchicalVAEConfig = { inputSize: 784, latentSizes: [100, 50],
 *   hiddenSizes: [[200, 200], [100, 100]], objective: "iwae", samples: 50, seed: 1 };
 * ```
 */
export interface HierarchicalVAEConfig {
  inputSize: number;
  /** [size of z1, size of z2]. */
  latentSizes: readonly [number, number];
  /** Hidden widths per stage: [x → z1, z1 → z2], input side first. Default [[200, 200], [100, 100]]. */
  hiddenSizes?: readonly [readonly number[], readonly number[]];
  /** Generative hidden widths per stage: [z1 → x, z2 → z1], latent side first. Default: each stage reversed. */
  decoderHiddenSizes?: readonly [readonly number[], readonly number[]];
  /** Hidden-layer activation. Default "tanh". */
  activation?: Activation;
  leakySlope?: number;
  likelihood?: Likelihood;
  likelihoodScale?: number | "learned";
  sigma?: number | "learned";
  /** Weight of the KL part log q(z1, z2|x) − log p(z1, z2) in the ELBO. Default 1. */
  beta?: number;
  /** β rises linearly from 0 over this many steps. Default 0. */
  klWarmup?: number;
  objective?: "elbo" | "iwae";
  /** Samples per example in training (IWAE's k; default 5 for "iwae", else 1). */
  samples?: number;
  /** Weight initialisation: "pytorch" (default, nn.Linear's) or "glorot" (uniform, zero biases; for deep tanh stacks). */
  init?: WeightInit;
  seed?: number;
}

/**
 * A HierarchicalVAEConfig with every field present.
 *
 * @example
 * ```ts
 * const { latentSizes }: ResolvedHierarchicalVAEConfig = hvae.config;
 * ```
 */
export type ResolvedHierarchicalVAEConfig = Required<Omit<HierarchicalVAEConfig, "sigma" | "latentSizes" | "hiddenSizes" | "decoderHiddenSizes">> & {
  latentSizes: [number, number];
  hiddenSizes: [number[], number[]];
  decoderHiddenSizes: [number[], number[]];
};

const KEYS: (keyof HierarchicalVAEConfig)[] = [
  "inputSize", "latentSizes", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope", "likelihood",
  "likelihoodScale", "sigma", "beta", "klWarmup", "objective", "samples", "init", "seed",
];

function pairOf(name: string, v: unknown): [number[], number[]] {
  if (!Array.isArray(v) || v.length !== 2) throw new InvalidConfigError(`${name} must be [stage 1 widths, stage 2 widths], e.g. [[200, 200], [100, 100]]; got ${show(v)}`);
  return [sizes(`${name}[0]`, v[0]), sizes(`${name}[1]`, v[1])];
}

/** Checks a HierarchicalVAE config and fills in the defaults. */
export function resolveHierarchicalConfig(config: unknown): ResolvedHierarchicalVAEConfig {
  const c = configObject(config, "HierarchicalVAE", KEYS, "{ inputSize: 784, latentSizes: [100, 50] }");
  if (c.inputSize === undefined) throw new InvalidConfigError("inputSize is required (values per example, e.g. 784)");
  if (c.latentSizes === undefined) throw new InvalidConfigError("latentSizes is required: [size of z1, size of z2], e.g. [100, 50]");
  const inputSize = size("inputSize", c.inputSize);
  if (!Array.isArray(c.latentSizes) || c.latentSizes.length !== 2) {
    throw new InvalidConfigError(`latentSizes must be [size of z1, size of z2]; got ${show(c.latentSizes)}`);
  }
  const latentSizes: [number, number] = [size("latentSizes[0]", c.latentSizes[0]), size("latentSizes[1]", c.latentSizes[1])];
  const hiddenSizes = c.hiddenSizes === undefined ? [[200, 200], [100, 100]] as [number[], number[]] : pairOf("hiddenSizes", c.hiddenSizes);
  const decoderHiddenSizes = c.decoderHiddenSizes === undefined
    ? [[...hiddenSizes[0]].reverse(), [...hiddenSizes[1]].reverse()] as [number[], number[]]
    : pairOf("decoderHiddenSizes", c.decoderHiddenSizes);
  const activation = activationOf("activation", c.activation, "tanh");
  const leakySlope = c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true);
  const { likelihood, likelihoodScale } = likelihoodOf(c);
  const beta = c.beta === undefined ? 1 : positive("beta", c.beta, true);
  const klWarmup = c.klWarmup === undefined ? 0 : integer("klWarmup", c.klWarmup, 0, 2 ** 40);
  const objective = (c.objective ?? "elbo") as "elbo" | "iwae";
  if (objective !== "elbo" && objective !== "iwae") throw new InvalidConfigError(`objective must be "elbo" or "iwae"; got ${show(c.objective)}`);
  const samples = c.samples === undefined ? (objective === "iwae" ? 5 : 1) : integer("samples", c.samples, 1, MAX_SAMPLES);
  if ((objective === "iwae" || samples > 1) && (beta !== 1 || klWarmup)) {
    throw new InvalidConfigError(`${objective === "iwae" ? 'objective "iwae"' : "samples > 1"} works with the plain ELBO weights: set beta 1 and no klWarmup`);
  }
  const init = initOf(c.init);
  const seed = seedConfig(c.seed);
  return {
    inputSize, latentSizes, hiddenSizes, decoderHiddenSizes, activation, leakySlope, likelihood, likelihoodScale, beta,
    klWarmup, objective, samples, init, seed,
  };
}
