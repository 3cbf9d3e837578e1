// MultiLevelVAE configuration: the user's options, checked and completed into a canonical form.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import { checkLayerLists, type InputShape, type LayerSpec } from "./layers-config.js";
import {
  activationOf, configObject, initOf, likelihoodOf, positive, seedConfig, size, sizes, type Likelihood, type WeightInit,
} from "./config-checks.js";

/**
 * Options of `MultiLevelVAE.create` (Bouchacourt et al. 2017's multi-level VAE).
 *
 * @example
 * ```ts
 * const config: MultiLevelVAEConfig = { inputSize: 784, styleSize: 10, contentSize: 10, hiddenSizes: [500],
 *   activation: "tanh", seed: 1 };
 * ```
 */
export interface MultiLevelVAEConfig {
  /** Values per example (784 for 28×28 images). */
  inputSize: number;
  /** Dimensions of the style latent S_i (one per example). */
  styleSize: number;
  /** Dimensions of the content latent C_G (one per group, shared by its members). */
  contentSize: number;
  /** Encoder hidden layer widths, input side first (one encoder gives both posteriors). Default [500]. */
  hiddenSizes?: readonly number[];
  /** Decoder hidden layer widths, latent side first. Default: hiddenSizes reversed. */
  decoderHiddenSizes?: readonly number[];
  /** Hidden-layer activation. Default "tanh" (the paper's MNIST networks). */
  activation?: Activation;
  /** Negative slope of "leaky_relu". Default 0.01. */
  leakySlope?: number;
  /** p(x|s, c): as VAEConfig's likelihood. Default "bernoulli". */
  likelihood?: Likelihood;
  /** σ of the Gaussian (a number or "learned") or b of the Laplace likelihood. Default 1. */
  likelihoodScale?: number | "learned";
  /** The Gaussian likelihood's σ: another name for likelihoodScale. */
  sigma?: number | "learned";
  /**
   * true (default): a group's content posterior accumulates its members' evidence, q(C_G|X_G) ∝ Π_i q(C_G|x_i) (a
   * product of Gaussians), with one content KL per group. false: each example keeps its own content posterior and
   * KL (the paper's ablation: content then no longer separates from style).
   */
  accumulate?: boolean;
  /**
   * An image shape [height, width, channels] (rows hold height × width × channels values, channels last) or
   * [values], for `encoder` / `decoder` layer lists. Required with them unless inputSize gives a flat shape.
   */
  inputShape?: InputShape;
  /**
   * The encoder as a layer list (dense, conv2d, batchNorm, flatten, …; see VAEConfig), input side first; it must end
   * flat: the heads of q(S_i|x_i) and q(C_G|x_i) follow. Replaces hiddenSizes and activation.
   */
  encoder?: LayerSpec[];
  /** The decoder as a layer list from [style | content] (styleSize + contentSize values) to the input's shape. */
  decoder?: LayerSpec[];
  /** Weight initialisation: "pytorch" (default) or "glorot". */
  init?: WeightInit;
  /** Seed of the weight initialisation and of the training noise (an integer in [0, 2³²)). Default: random. */
  seed?: number;
}

/**
 * A MultiLevelVAEConfig with every field present (sigma folded into likelihoodScale), as `model.config` returns it.
 *
 * @example
 * ```ts
 * const { styleSize, contentSize, accumulate }: ResolvedMultiLevelVAEConfig = model.config;
 * ```
 */
export type ResolvedMultiLevelVAEConfig = Required<Omit<MultiLevelVAEConfig, "sigma" | "inputShape" | "encoder" | "decoder">> &
  Partial<Pick<MultiLevelVAEConfig, "inputShape" | "encoder" | "decoder">>;

const KEYS: (keyof MultiLevelVAEConfig)[] = [
  "inputSize", "styleSize", "contentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope", "likelihood",
  "likelihoodScale", "sigma", "accumulate", "inputShape", "encoder", "decoder", "init", "seed",
];

/** Checks a user's MultiLevelVAE config and fills in the defaults. */
export function resolveMultiLevelConfig(config: unknown): ResolvedMultiLevelVAEConfig {
  const c = configObject(config, "MultiLevelVAE", KEYS, "{ inputSize: 784, styleSize: 10, contentSize: 10 }");
  const layered = c.encoder !== undefined || c.decoder !== undefined || c.inputShape !== undefined;
  for (const k of [...(layered ? [] : ["inputSize"]), "styleSize", "contentSize"] as const) {
    if (c[k] === undefined) throw new InvalidConfigError(`${k} is required (e.g. { inputSize: 784, styleSize: 10, contentSize: 10 })`);
  }
  let lists: ReturnType<typeof checkLayerLists> | undefined;
  if (layered) {
    // (a resolved layer-list config says hiddenSizes [], decoderHiddenSizes [], activation "identity": it resolves to itself)
    for (const k of ["hiddenSizes", "decoderHiddenSizes", "activation"]) {
      const v = c[k];
      if (v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== "identity") {
        throw new InvalidConfigError(`${k} goes with MLP configs; with encoder/decoder layer lists give each layer its own size and activation`);
      }
    }
    if (c.inputSize === undefined && c.inputShape === undefined) throw new InvalidConfigError("inputShape is required with layer lists ([height, width, channels], e.g. [28, 28, 1])");
    lists = checkLayerLists({ ...c, latentSize: size("styleSize", c.styleSize) + size("contentSize", c.contentSize) }, 0);
  }
  const hiddenSizes = lists ? [] : c.hiddenSizes === undefined ? [500] : sizes("hiddenSizes", c.hiddenSizes);
  const decoderHiddenSizes = lists ? [] : c.decoderHiddenSizes === undefined ? [...hiddenSizes].reverse() : sizes("decoderHiddenSizes", c.decoderHiddenSizes);
  const { likelihood, likelihoodScale } = likelihoodOf(c);
  if (c.accumulate !== undefined && typeof c.accumulate !== "boolean") {
    throw new InvalidConfigError(`accumulate must be true (a group's content posterior is the product of its members') or false; got ${show(c.accumulate)}`);
  }
  const resolved: ResolvedMultiLevelVAEConfig = {
    inputSize: lists ? lists.inputSize : size("inputSize", c.inputSize),
    styleSize: size("styleSize", c.styleSize),
    contentSize: size("contentSize", c.contentSize),
    hiddenSizes,
    decoderHiddenSizes,
    activation: activationOf("activation", c.activation, lists ? "identity" : "tanh"),
    leakySlope: c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true),
    likelihood,
    likelihoodScale,
    accumulate: (c.accumulate as boolean | undefined) ?? true,
    init: initOf(c.init),
    seed: seedConfig(c.seed),
  };
  return lists ? { ...resolved, inputShape: lists.inputShape, encoder: lists.encoder, decoder: lists.decoder } : resolved;
}
