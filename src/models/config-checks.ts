// Checks shared by every model's config: sizes, numbers, activations, likelihoods, seeds, unknown keys.
import { InvalidConfigError } from "../errors.js";
import type { Activation } from "../nn/dense.js";
import { show } from "../errors-format.js";
import { ACTIVATION_CODES } from "../runtime/kernels.js";

/**
 * How the decoder's output scores the data: "bernoulli" (binary data, or [0, 1] as a cross-entropy),
 * "continuous-bernoulli" (the normalised density for data in [0, 1]), "gaussian", "laplace".
 *
 * @example
 * ```ts
 * const likelihood: Likelihood = "continuous-bernoulli";
 * ```
 */
export type Likelihood = "bernoulli" | "continuous-bernoulli" | "gaussian" | "laplace";

export const LIKELIHOODS: readonly Likelihood[] = ["bernoulli", "continuous-bernoulli", "gaussian", "laplace"];
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

/** Checks that `config` is an object with only known keys; returns it as a record. */
export function configObject(config: unknown, model: string, keys: readonly string[], example: string): Record<string, unknown> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new InvalidConfigError(`${model} config must be an object such as ${example}`);
  }
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!keys.includes(key)) {
      throw new InvalidConfigError(`unknown ${model} option '${key}'${suggest(key, keys)}; known options: ${keys.join(", ")}`);
    }
  }
  return c;
}

export function size(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_WIDTH) {
    throw new InvalidConfigError(`${name} must be an integer from 1 to ${MAX_WIDTH}; got ${show(v)}`);
  }
  return v;
}

export function sizes(name: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new InvalidConfigError(`${name} must be an array of layer widths, e.g. [400]; got ${show(v)}`);
  return v.map((x, i) => size(`${name}[${i}]`, x));
}

export function positive(name: string, v: unknown, allowZero = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidConfigError(`${name} must be a finite number ${allowZero ? "≥ 0" : "> 0"}; got ${show(v)}`);
  }
  return v;
}

export function integer(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidConfigError(`${name} must be an integer from ${lo} to ${hi}; got ${show(v)}`);
  }
  return v;
}

export function activationOf(name: string, v: unknown, fallback: Activation): Activation {
  const a = (v ?? fallback) as Activation;
  if (typeof a != "string" || !Object.hasOwn(ACTIVATION_CODES, a)) {
    const names = Object.keys(ACTIVATION_CODES);
    throw new InvalidConfigError(
      `${name} must be one of ${names.map((n) => `"${n}"`).join(", ")}; got ${show(v)}${suggest(typeof a === "string" ? a : "", names)}`,
    );
  }
  return a;
}

/**
 * How a model's weights start: "pytorch" (nn.Linear's default, U(±1/√fan_in) for weights and biases) or "glorot"
 * (Glorot & Bengio's uniform, U(±√(6/(fan_in + fan_out))), zero biases: keeps deep tanh stacks from shrinking).
 *
 * @example
 * ```ts
 * const init: WeightInit = "glorot";
 * ```
 */
export type WeightInit = "pytorch" | "glorot";

export function initOf(v: unknown): WeightInit {
  if (v === undefined || v === "pytorch" || v === "glorot") return v ?? "pytorch";
  throw new InvalidConfigError(`init must be "pytorch" or "glorot"; got ${show(v)}`);
}

export function seedConfig(v: unknown): number {
  if (v === undefined) return Math.floor(Math.random() * 2 ** 32);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) {
    throw new InvalidConfigError(`seed must be an integer in [0, 2^32); got ${show(v)}`);
  }
  return v;
}

/** A resolved likelihood: its kind and its scale (σ or b; "learned" for a learned per-dimension Gaussian σ). */
export interface LikelihoodChoice {
  likelihood: Likelihood;
  likelihoodScale: number | "learned";
}

/** Reads `likelihood`, `likelihoodScale` and its Gaussian alias `sigma`. */
export function likelihoodOf(c: Record<string, unknown>): LikelihoodChoice {
  const likelihood = (c.likelihood ?? "bernoulli") as Likelihood;
  if (!LIKELIHOODS.includes(likelihood)) {
    throw new InvalidConfigError(
      `likelihood must be one of ${LIKELIHOODS.map((n) => `"${n}"`).join(", ")}; got ${show(c.likelihood)}${suggest(typeof likelihood === "string" ? likelihood : "", LIKELIHOODS)}`,
    );
  }
  if (c.sigma !== undefined && c.likelihoodScale !== undefined) {
    throw new InvalidConfigError("give either sigma or likelihoodScale (sigma is the Gaussian likelihood's name for it), not both");
  }
  if (c.sigma !== undefined && likelihood !== "gaussian") {
    throw new InvalidConfigError(`sigma sets the Gaussian likelihood's σ; this model's likelihood is "${likelihood}"` +
      (likelihood === "laplace" ? " (its scale b is likelihoodScale)" : ""));
  }
  const raw = c.sigma ?? c.likelihoodScale;
  const name = c.sigma !== undefined ? "sigma" : "likelihoodScale";
  if (raw === "learned") {
    if (likelihood !== "gaussian") {
      throw new InvalidConfigError(`${name}: "learned" is available for the Gaussian likelihood only; got likelihood "${likelihood}"`);
    }
    return { likelihood, likelihoodScale: "learned" };
  }
  if (typeof raw === "string") {
    throw new InvalidConfigError(`${name} must be a number > 0 or "learned"; got ${show(raw)}`);
  }
  return { likelihood, likelihoodScale: raw === undefined ? 1 : positive(name, raw) };
}

/** Most samples per example a config may ask for (objective "iwae" or an averaged ELBO). */
export const MAX_SAMPLES = 10_000;
