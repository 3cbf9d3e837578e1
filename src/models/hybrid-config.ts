// HybridVAE configuration: named observation parts, each with its own likelihood, and the networks' sizes.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import type { PartLikelihood } from "../nn/parts.js";
import { activationOf, configObject, initOf, positive, seedConfig, size, sizes, suggest, type WeightInit } from "./config-checks.js";

/**
 * One observation part of a HybridVAE: its width and likelihood (`categorical`: `size` categories, data one-hot),
 * and for "gaussian" and "laplace" its scale (σ or b: a number, or "learned" per element; default 1).
 *
 * @example
 * ```ts
 * const top: HybridPart = { size: 392, likelihood: "bernoulli" };
 * const label: HybridPart = { size: 10, likelihood: "categorical" };
 * ```
 */
export interface HybridPart {
  size: number;
  likelihood: PartLikelihood;
  scale?: number | "learned";
}

/**
 * Options of `HybridVAE.create`: named parts (in the order their values sit in a data row), the latent size, and
 * the widths of each part's encoder and decoder.
 *
 * @example
 * ```ts
 * const config: HybridVAEConfig = {
 *   parts: { top: { size: 392, likelihood: "bernoulli" }, bottom: { size: 392, likelihood: "bernoulli" } },
 *   latentSize: 20, hiddenSizes: [400], seed: 1,
 * };
 * ```
 */
export interface HybridVAEConfig {
  /** The observation parts by name; a data row is their values side by side in this order. */
  parts: Record<string, HybridPart>;
  /** Latent dimensions (one latent shared by every part). */
  latentSize: number;
  /** Hidden widths of each part's encoder (its expert q(z|x_p)), input side first. Default [400]. */
  hiddenSizes?: readonly number[];
  /** Hidden widths of each part's decoder p(x_p|z), latent side first. Default: hiddenSizes reversed. */
  decoderHiddenSizes?: readonly number[];
  /** Hidden-layer activation. Default "relu". */
  activation?: Activation;
  /** Negative slope of "leaky_relu". Default 0.01. */
  leakySlope?: number;
  /** Weight initialisation: "pytorch" (default) or "glorot". */
  init?: WeightInit;
  /** Seed of the weight initialisation and of the training noise. Default: random. */
  seed?: number;
}

/**
 * A HybridVAEConfig with every field present, as `model.config` returns it.
 *
 * @example
 * ```ts
 * const { parts, latentSize }: ResolvedHybridVAEConfig = model.config;
 * ```
 */
export type ResolvedHybridVAEConfig = Required<HybridVAEConfig>;

const KEYS: (keyof HybridVAEConfig)[] = ["parts", "latentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope", "init", "seed"];
const LIKELIHOODS: readonly PartLikelihood[] = ["bernoulli", "gaussian", "laplace", "continuous-bernoulli", "poisson", "categorical"];

/** Checks a user's HybridVAE config and fills in the defaults. */
export function resolveHybridConfig(config: unknown): ResolvedHybridVAEConfig {
  const c = configObject(config, "HybridVAE", KEYS, "{ parts: { top: { size: 392, likelihood: \"bernoulli\" }, … }, latentSize: 20 }");
  if (typeof c.parts !== "object" || c.parts === null || Array.isArray(c.parts) || Object.keys(c.parts).length === 0) {
    throw new InvalidConfigError("parts is required: an object of named parts, e.g. { top: { size: 392, likelihood: \"bernoulli\" }, label: { size: 10, likelihood: \"categorical\" } }");
  }
  if (c.latentSize === undefined) throw new InvalidConfigError("latentSize is required (latent dimensions, e.g. 20)");
  const parts: Record<string, HybridPart> = {};
  for (const [name, v] of Object.entries(c.parts as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidConfigError(`parts: name ${show(name)} must be letters, digits and _ (it names tensors in files)`);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidConfigError(`parts.${name} must be { size, likelihood }; got ${show(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!["size", "likelihood", "scale"].includes(k)) throw new InvalidConfigError(`parts.${name}: unknown field '${k}'${suggest(k, ["size", "likelihood", "scale"])}; expected size, likelihood, scale`);
    const likelihood = o.likelihood as PartLikelihood;
    if (!LIKELIHOODS.includes(likelihood)) {
      throw new InvalidConfigError(`parts.${name}.likelihood must be one of ${LIKELIHOODS.join(", ")}; got ${show(o.likelihood)}${suggest(String(o.likelihood), LIKELIHOODS)}`);
    }
    const p: HybridPart = { size: size(`parts.${name}.size`, o.size), likelihood };
    if (likelihood === "categorical" && p.size < 2) throw new InvalidConfigError(`parts.${name}: a categorical part needs size ≥ 2 (its categories)`);
    if (o.scale !== undefined) {
      if (likelihood !== "gaussian" && likelihood !== "laplace") throw new InvalidConfigError(`parts.${name}.scale applies to gaussian and laplace parts only, not ${likelihood}`);
      p.scale = o.scale === "learned" ? "learned" : positive(`parts.${name}.scale`, o.scale);
    }
    parts[name] = p;
  }
  const hiddenSizes = c.hiddenSizes === undefined ? [400] : sizes("hiddenSizes", c.hiddenSizes);
  return {
    parts,
    latentSize: size("latentSize", c.latentSize),
    hiddenSizes,
    decoderHiddenSizes: c.decoderHiddenSizes === undefined ? [...hiddenSizes].reverse() : sizes("decoderHiddenSizes", c.decoderHiddenSizes),
    activation: activationOf("activation", c.activation, "relu"),
    leakySlope: c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true),
    init: initOf(c.init),
    seed: seedConfig(c.seed),
  };
}
