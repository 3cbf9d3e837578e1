// HybridVAE configuration: named observation parts, each with its own likelihood, and the networks' sizes.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import type { PartLikelihood } from "../nn/parts.js";
import { checkLayerLists, type InputShape, type LayerSpec } from "./layers-config.js";
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
  /** Values of the part in a data row (with `shape`: its height × width × channels). */
  size: number;
  likelihood: PartLikelihood;
  scale?: number | "learned";
  /**
   * The part's values as an image [height, width, channels] (channels last) or [values], for its own `encoder` /
   * `decoder` layer lists.
   */
  shape?: InputShape;
  /**
   * This part's encoder (its expert q(z|x_p)) as a layer list (dense, conv2d, batchNorm, flatten, …; see VAEConfig),
   * input side first, ending flat (the mean and log-variance heads follow). Without lists the part gets an MLP of
   * hiddenSizes.
   */
  encoder?: LayerSpec[];
  /** This part's decoder p(x_p|z) as a layer list from the latent (latentSize values) to the part's shape. */
  decoder?: LayerSpec[];
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
  /**
   * An extra training term for one part (Kingma et al. 2014's α-weighted classification loss of M2, for a label
   * part): weight · E_q(z | the other parts present)[−log p(x_part | z)] on each example that has the part, so that
   * the part is trained to be predicted from the others alone, as `impute` predicts it. M2's α = 0.1·N over the
   * labelled examples' mean is a weight of 0.1·N / N_labelled per labelled example. Default: none (the ELBO only).
   */
  classification?: { part: string; weight: number } | null;
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

const KEYS: (keyof HybridVAEConfig)[] = ["parts", "latentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope", "classification", "init", "seed"];
const LIKELIHOODS: readonly PartLikelihood[] = ["bernoulli", "gaussian", "laplace", "continuous-bernoulli", "poisson", "categorical"];

/** Checks a user's HybridVAE config and fills in the defaults. */
export function resolveHybridConfig(config: unknown): ResolvedHybridVAEConfig {
  const c = configObject(config, "HybridVAE", KEYS, "{ parts: { top: { size: 392, likelihood: \"bernoulli\" }, … }, latentSize: 20 }");
  if (typeof c.parts !== "object" || c.parts === null || Array.isArray(c.parts) || Object.keys(c.parts).length === 0) {
    throw new InvalidConfigError("parts is required: an object of named parts, e.g. { top: { size: 392, likelihood: \"bernoulli\" }, label: { size: 10, likelihood: \"categorical\" } }");
  }
  if (c.latentSize === undefined) throw new InvalidConfigError("latentSize is required (latent dimensions, e.g. 20)");
  const latentSize = size("latentSize", c.latentSize);
  const parts: Record<string, HybridPart> = {};
  const FIELDS = ["size", "likelihood", "scale", "shape", "encoder", "decoder"];
  for (const [name, v] of Object.entries(c.parts as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidConfigError(`parts: name ${show(name)} must be letters, digits and _ (it names tensors in files)`);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidConfigError(`parts.${name} must be { size, likelihood }; got ${show(v)}`);
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!FIELDS.includes(k)) throw new InvalidConfigError(`parts.${name}: unknown field '${k}'${suggest(k, FIELDS)}; expected ${FIELDS.join(", ")}`);
    const likelihood = o.likelihood as PartLikelihood;
    if (!LIKELIHOODS.includes(likelihood)) {
      throw new InvalidConfigError(`parts.${name}.likelihood must be one of ${LIKELIHOODS.join(", ")}; got ${show(o.likelihood)}${suggest(String(o.likelihood), LIKELIHOODS)}`);
    }
    const layered = o.encoder !== undefined || o.decoder !== undefined || o.shape !== undefined;
    if (layered && o.size === undefined && o.shape === undefined) throw new InvalidConfigError(`parts.${name}: give shape ([height, width, channels]) or size with its layer lists`);
    // layer lists of this part: errors name "parts.<name>." before the list's own message
    let lists: ReturnType<typeof checkLayerLists> | undefined;
    if (layered) {
      try {
        lists = checkLayerLists({ inputShape: o.shape, inputSize: o.size, encoder: o.encoder, decoder: o.decoder, latentSize }, 0);
      } catch (e) {
        if (e instanceof InvalidConfigError) throw new InvalidConfigError(`parts.${name}: ${e.message}`);
        throw e;
      }
    }
    const p: HybridPart = { size: lists ? lists.inputSize : size(`parts.${name}.size`, o.size), likelihood };
    if (lists) {
      p.shape = lists.inputShape;
      p.encoder = lists.encoder;
      p.decoder = lists.decoder;
    }
    if (likelihood === "categorical" && p.size < 2) throw new InvalidConfigError(`parts.${name}: a categorical part needs size ≥ 2 (its categories)`);
    if (o.scale !== undefined) {
      if (likelihood !== "gaussian" && likelihood !== "laplace") throw new InvalidConfigError(`parts.${name}.scale applies to gaussian and laplace parts only, not ${likelihood}`);
      p.scale = o.scale === "learned" ? "learned" : positive(`parts.${name}.scale`, o.scale);
    }
    parts[name] = p;
  }
  const hiddenSizes = c.hiddenSizes === undefined ? [400] : sizes("hiddenSizes", c.hiddenSizes);
  let classification: { part: string; weight: number } | null = null;
  if (c.classification !== undefined && c.classification !== null) {
    const o = c.classification as Record<string, unknown>;
    if (typeof o !== "object" || Array.isArray(o) || Object.keys(o).some((k) => k !== "part" && k !== "weight")) {
      throw new InvalidConfigError(`classification must be { part, weight } (e.g. { part: "label", weight: 6 }); got ${show(c.classification)}`);
    }
    if (typeof o.part !== "string" || !Object.hasOwn(parts, o.part)) {
      throw new InvalidConfigError(`classification.part must name a part (${Object.keys(parts).join(", ")}); got ${show(o.part)}`);
    }
    if (Object.keys(parts).length < 2) throw new InvalidConfigError("classification needs another part to predict its part from");
    classification = { part: o.part, weight: positive("classification.weight", o.weight) };
  }
  return {
    classification,
    parts,
    latentSize,
    hiddenSizes,
    decoderHiddenSizes: c.decoderHiddenSizes === undefined ? [...hiddenSizes].reverse() : sizes("decoderHiddenSizes", c.decoderHiddenSizes),
    activation: activationOf("activation", c.activation, "relu"),
    leakySlope: c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true),
    init: initOf(c.init),
    seed: seedConfig(c.seed),
  };
}
