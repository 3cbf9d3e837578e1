// VAEGAN and CVAEGAN configuration: layer lists for the encoder, decoder (generator), discriminator and classifier,
// the loss weights of Larsen et al. (2015) and Bao et al. (2017), and the stabilisers; checked and completed.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import { activationOf, configObject, initOf, positive, seedConfig, size, suggest, type WeightInit } from "./config-checks.js";
import { planLayers, resolveLayers, shapeOf, shapeText, type LayerSpec, type PlannedLayer } from "./layers-config.js";

/**
 * One layer of a network's layer list: a dense layer (MLP networks, no `inputShape`), or with `inputShape` any layer
 * of vaekit's layer lists — conv2d, conv2dTranspose, flatten, reshape, dense (batch norm is refused: the
 * discriminator and decoder run real, reconstructed and prior rows in one batch, whose statistics would mix them).
 *
 * @example
 * ```ts
 * const layers: GanLayer[] = [{ type: "conv2d", filters: 16, kernelSize: 4, strides: 2, padding: 1 }, { type: "flatten" },
 *   { type: "dense", units: 256, activation: "leaky_relu" }];
 * ```
 */
export type GanLayer = LayerSpec;

/**
 * Pythae's equilibrium rule (after Larsen et al.'s code): with the discriminator's mean binary cross-entropies on
 * real data and on prior samples in a batch, the discriminator skips its update when either is below
 * `equilibrium − margin` (it is winning by too much), the decoder skips its own when either is above
 * `equilibrium + margin` (it is losing by too much); never both.
 *
 * @example
 * ```ts
 * const balance: GanBalance = { equilibrium: 0.68, margin: 0.4 };
 * ```
 */
export interface GanBalance {
  equilibrium: number;
  margin: number;
}

/**
 * Options of `VAEGAN.create` (Larsen et al. 2015, "Autoencoding beyond pixels using a learned similarity metric").
 *
 * @example
 * ```ts
 * const config: VAEGANConfig = { inputSize: 784, latentSize: 16, encoder: [{ type: "dense", units: 512 }],
 *   discriminator: [{ type: "dense", units: 512 }, { type: "dense", units: 256 }], featureLayer: 1, seed: 1 };
 * ```
 */
export interface VAEGANConfig {
  /** Values per example (784 for 28×28 images); may be left out when `inputShape` is given. */
  inputSize?: number;
  /**
   * [height, width, channels] of the images (channels last): makes every network a full vaekit layer list, so conv
   * layers may appear. Then each list is as in the conv VAE: the encoder, discriminator and classifier lists end flat
   * (a flatten, then dense layers; their heads follow), and the decoder's list ends with the image itself (its last
   * layer outputs inputShape, or inputSize flat values; that layer's activation defaults to `outputActivation`).
   * Without it (the default, null) the networks are MLPs: dense layers only, the decoder's output layer appended.
   */
  inputShape?: [number, number, number] | null;
  /** Latent dimensions. */
  latentSize: number;
  /** The encoder's hidden layers, input side first (then the mean and log-variance heads). Default one dense layer of 512. */
  encoder?: readonly GanLayer[];
  /** The decoder's (generator's) hidden layers, latent side first (then the output layer). Default: the encoder's widths reversed. */
  decoder?: readonly GanLayer[];
  /**
   * The discriminator's hidden layers (then one logit). Default dense 1024, 256: a first layer wider than the input,
   * whose features pin an image down (a narrower feature layer has a null space the decoder can hide errors in).
   */
  discriminator?: readonly GanLayer[];
  /** Index in `discriminator` of the layer whose output is Dis_l, the feature space of the reconstruction error. Default 0. */
  featureLayer?: number;
  /** Activation of layers that name none. Default "leaky_relu". */
  activation?: Activation;
  /** Negative slope of "leaky_relu". Default 0.2. */
  leakySlope?: number;
  /** The decoder's output activation: "sigmoid" (data in [0, 1], the default), "tanh" (data in [−1, 1]) or "identity". */
  outputActivation?: "sigmoid" | "tanh" | "identity";
  /**
   * Weight of the prior KL in the encoder's loss. Default 0.05: the feature error is a unit Gaussian's, far weaker per
   * pixel than a Bernoulli likelihood, and at β = 1 the posterior collapsed in our MNIST runs (bench/gan-repro.mjs).
   */
  beta?: number;
  /** γ: weight of the feature reconstruction error against the GAN loss in the decoder's loss. Default 1. */
  gamma?: number;
  /**
   * The decoder's GAN loss: "non-saturating" (−log D(x̃) − log D(x_p), the default) or "minimax" (log(1 − D(x̃)) +
   * log(1 − D(x_p)), the paper's −L_GAN as written).
   */
  generatorLoss?: "non-saturating" | "minimax";
  /** One-sided label smoothing: the discriminator's target for real data is 1 − labelSmoothing. Default 0. */
  labelSmoothing?: number;
  /** The equilibrium rule, or null for none. Default { equilibrium: 0.68, margin: 0.4 }. */
  balance?: GanBalance | null;
  /** Weight initialisation: "pytorch" (default) or "glorot". */
  init?: WeightInit;
  /** Seed of the initialisation and of the training noise. Default: random. */
  seed?: number;
}

/**
 * A VAEGANConfig with every field present, as `model.config` returns it.
 *
 * @example
 * ```ts
 * const { gamma, featureLayer }: ResolvedVAEGANConfig = model.config;
 * ```
 */
export interface ResolvedVAEGANConfig extends Required<Omit<VAEGANConfig, "balance" | "inputShape">> {
  /** Present in the layer-list form only (an MLP model's config and file have no inputShape). */
  inputShape?: [number, number, number];
  encoder: GanLayer[];
  decoder: GanLayer[];
  discriminator: GanLayer[];
  balance: GanBalance | null;
}

/**
 * Bao et al.'s loss weights (2017, Eq. 10/11): the encoder minimises `kl`·L_KL + `encoderPairwise`·L_G, the
 * generator `generatorPairwise`·L_G + `featureMatching`·(L_GD + L_GC). Defaults 3, 1, 1e-3, 1e-3 (the paper's).
 * `pixel` weighs the pixel term inside L_G: L_G = ½(`pixel`·‖x − x′‖² + ‖f_D(x) − f_D(x′)‖² + ‖f_C(x) − f_C(x′)‖²);
 * default 1 (the paper's). The pixel term is a unit Gaussian's, weak for data in [0, 1] beside the feature terms:
 * on MNIST with MLP networks a larger one (1/σ² of a narrower Gaussian) kept the generator's pixels clean
 * (bench/results/gan.md).
 *
 * @example
 * ```ts
 * const w: CVAEGANWeights = { kl: 3, encoderPairwise: 1, generatorPairwise: 1e-3, featureMatching: 1e-3, pixel: 1 };
 * ```
 */
export interface CVAEGANWeights {
  kl: number;
  encoderPairwise: number;
  generatorPairwise: number;
  featureMatching: number;
  pixel: number;
}

/**
 * Options of `CVAEGAN.create` (Bao et al. 2017): a VAEGANConfig plus the class condition and the classifier.
 *
 * @example
 * ```ts
 * const config: CVAEGANConfig = { inputSize: 784, latentSize: 16, classes: 10, seed: 1 };
 * ```
 */
export interface CVAEGANConfig extends Omit<VAEGANConfig, "gamma" | "generatorLoss" | "beta"> {
  /** Number of classes (labels are class indices or one-hot rows). */
  classes: number;
  /** The classifier's hidden layers (then `classes` logits); f_C is the last hidden layer's output. Default dense 512, 256. */
  classifier?: readonly GanLayer[];
  /** Loss weights; missing ones take the defaults. */
  weights?: Partial<CVAEGANWeights>;
}

/**
 * A CVAEGANConfig with every field present.
 *
 * @example
 * ```ts
 * const { classes, weights }: ResolvedCVAEGANConfig = model.config;
 * ```
 */
export interface ResolvedCVAEGANConfig extends Omit<ResolvedVAEGANConfig, "gamma" | "generatorLoss" | "beta"> {
  classes: number;
  classifier: GanLayer[];
  weights: CVAEGANWeights;
}

const COMMON = [
  "inputSize", "inputShape", "latentSize", "encoder", "decoder", "discriminator", "featureLayer", "activation", "leakySlope",
  "outputActivation", "labelSmoothing", "balance", "init", "seed",
];
const VAEGAN_KEYS = [...COMMON, "beta", "gamma", "generatorLoss"];
const CVAEGAN_KEYS = [...COMMON, "classes", "classifier", "weights"];
const OUTPUTS = ["sigmoid", "tanh", "identity"];

type DenseList = { type: "dense"; units: number; activation?: Activation }[];

function layers(name: string, v: unknown, fallback: DenseList, act: Activation): DenseList {
  if (v === undefined) return fallback.map((l) => ({ ...l, activation: l.activation ?? act }));
  if (!Array.isArray(v) || v.length === 0) {
    throw new InvalidConfigError(`${name} must be a non-empty layer list such as [{ type: "dense", units: 512 }]; got ${show(v)}`);
  }
  return v.map((l: unknown, i) => {
    if (typeof l !== "object" || l === null) throw new InvalidConfigError(`${name}[${i}] must be a layer object such as { type: "dense", units: 512 }; got ${show(l)}`);
    const o = l as Record<string, unknown>;
    if (o.type !== "dense") {
      throw new InvalidConfigError(`${name}[${i}] has type ${show(o.type)}; without inputShape the networks are MLPs of "dense" layers ` +
        "(give inputShape, e.g. [28, 28, 1], for conv layer lists)");
    }
    for (const k of Object.keys(o)) {
      if (!["type", "units", "activation"].includes(k)) {
        throw new InvalidConfigError(`${name}[${i}]: unknown dense-layer option '${k}'${suggest(k, ["type", "units", "activation"])}`);
      }
    }
    return { type: "dense", units: size(`${name}[${i}].units`, o.units), activation: activationOf(`${name}[${i}].activation`, o.activation, act) };
  });
}

const PARAMETRISED = ["dense", "conv2d", "conv2dTranspose"];
const count = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A layer list of the layer-list form: each layer checked, activations not named filled with `act`. */
function fullList(name: string, v: unknown, act: Activation, lastAct?: Activation): LayerSpec[] {
  if (!Array.isArray(v)) return resolveLayers(name, v);
  const filled = v.map((l: unknown, i) => {
    if (typeof l !== "object" || l === null || Array.isArray(l)) return l;
    const o = l as Record<string, unknown>;
    if (o.type === "batchNorm") {
      throw new InvalidConfigError(`${name}[${i}]: batchNorm is not available in VAEGAN / CVAEGAN networks (the discriminator and the ` +
        "decoder run real, reconstructed and prior rows as one batch, whose statistics would mix them); leave it out");
    }
    if (!PARAMETRISED.includes(o.type as string) || o.activation !== undefined) return l;
    return { ...o, activation: i === v.length - 1 && lastAct ? lastAct : act };
  });
  return resolveLayers(name, filled);
}

/** Plans a list that must end flat (a head of dense outputs follows). */
function planFlat(name: string, list: readonly LayerSpec[], input: readonly number[], classes = 0): PlannedLayer[] {
  const plan = planLayers(name, list, input, classes);
  const out = plan[plan.length - 1].output;
  if (out.length !== 1) {
    throw new InvalidConfigError(`${name}[${plan.length - 1}] (${plan[plan.length - 1].spec.type}) outputs ${shapeText(out)}; the ${name} must end flat (add { type: "flatten" }) for the dense output that follows it`);
  }
  return plan;
}

/** The networks of the layer-list form (`inputShape` given), checked shape by shape. */
function layerForm(c: Record<string, unknown>, act: Activation, outAct: Activation, classes: number) {
  const inputShape = shapeOf("inputShape", c.inputShape);
  if (inputShape.length !== 3) throw new InvalidConfigError(`inputShape must be [height, width, channels] (e.g. [28, 28, 1]); got ${show(c.inputShape)}`);
  const D = count(inputShape);
  if (c.inputSize !== undefined && c.inputSize !== D) {
    throw new InvalidConfigError(`inputSize ${show(c.inputSize)} disagrees with inputShape ${shapeText(inputShape)} (${D} values); give only inputShape`);
  }
  const L = size("latentSize", c.latentSize);
  for (const k of ["encoder", "decoder", "discriminator"]) {
    if (c[k] === undefined) throw new InvalidConfigError(`with inputShape, give the ${k} as a layer list (e.g. conv2d layers, a flatten and dense layers); it has no default`);
  }
  const encoder = fullList("encoder", c.encoder, act);
  const decoder = fullList("decoder", c.decoder, act, outAct);
  const discriminator = fullList("discriminator", c.discriminator, act);
  if (classes && !encoder.some((l) => l.type === "flatten")) {
    throw new InvalidConfigError(`a conditional model's label joins the encoder after its flatten; this encoder over images ${shapeText(inputShape)} has no { type: "flatten" }`);
  }
  planFlat("encoder", encoder, inputShape, classes);
  planFlat("discriminator", discriminator, inputShape);
  const dec = planLayers("decoder", decoder, [L + classes]);
  const out = dec[dec.length - 1].output;
  if (!(out.length === 1 ? out[0] === D : out.join() === inputShape.join())) {
    throw new InvalidConfigError(`decoder[${dec.length - 1}] (${dec[dec.length - 1].spec.type}) outputs ${shapeText(out)}; with inputShape the decoder's list ends with the image: shape ${shapeText(inputShape)} (or ${D} flat values)`);
  }
  return { inputShape: inputShape as [number, number, number], inputSize: D, encoder, decoder, discriminator };
}

function common(c: Record<string, unknown>, classes = 0) {
  const activation = activationOf("activation", c.activation, "leaky_relu");
  const outputActivation = (c.outputActivation ?? "sigmoid") as ResolvedVAEGANConfig["outputActivation"];
  if (!OUTPUTS.includes(outputActivation)) {
    throw new InvalidConfigError(`outputActivation must be "sigmoid", "tanh" or "identity"; got ${show(c.outputActivation)}`);
  }
  let encoder: GanLayer[], decoder: GanLayer[], discriminator: GanLayer[], inputShape: [number, number, number] | null = null;
  let inputSize: number;
  if (c.inputShape !== undefined && c.inputShape !== null) {
    ({ encoder, decoder, discriminator, inputShape, inputSize } = layerForm(c, activation, outputActivation, classes));
  } else {
    encoder = layers("encoder", c.encoder, [{ type: "dense", units: 512 }], activation);
    decoder = layers("decoder", c.decoder, (encoder as DenseList).slice().reverse().map((l) => ({ ...l })), activation);
    discriminator = layers("discriminator", c.discriminator, [{ type: "dense", units: 1024 }, { type: "dense", units: 256 }], activation);
    inputSize = size("inputSize", c.inputSize);
  }
  const featureLayer = c.featureLayer === undefined ? 0 : c.featureLayer;
  if (typeof featureLayer !== "number" || !Number.isInteger(featureLayer) || featureLayer < 0 || featureLayer >= discriminator.length) {
    throw new InvalidConfigError(`featureLayer must be the index of a discriminator layer, 0 to ${discriminator.length - 1}; got ${show(c.featureLayer)}`);
  }
  if (!PARAMETRISED.includes(discriminator[featureLayer].type)) {
    throw new InvalidConfigError(`featureLayer ${featureLayer} is a ${discriminator[featureLayer].type} layer; Dis_l must be the output of a dense or conv layer (the one before it or after it)`);
  }
  const labelSmoothing = c.labelSmoothing === undefined ? 0 : positive("labelSmoothing", c.labelSmoothing, true);
  if (labelSmoothing >= 1) throw new InvalidConfigError(`labelSmoothing must be in [0, 1); got ${show(c.labelSmoothing)}`);
  let balance: GanBalance | null = { equilibrium: 0.68, margin: 0.4 };
  if (c.balance === null) balance = null;
  else if (c.balance !== undefined) {
    const b = c.balance as Record<string, unknown>;
    if (typeof b !== "object" || Array.isArray(b)) throw new InvalidConfigError(`balance must be { equilibrium, margin } or null; got ${show(c.balance)}`);
    for (const k of Object.keys(b)) if (!["equilibrium", "margin"].includes(k)) throw new InvalidConfigError(`balance: unknown option '${k}'${suggest(k, ["equilibrium", "margin"])}`);
    balance = { equilibrium: positive("balance.equilibrium", b.equilibrium), margin: positive("balance.margin", b.margin, true) };
  }
  return {
    inputSize, ...(inputShape ? { inputShape } : {}),
    latentSize: size("latentSize", c.latentSize),
    encoder, decoder, discriminator, featureLayer, activation,
    leakySlope: c.leakySlope === undefined ? 0.2 : positive("leakySlope", c.leakySlope, true),
    outputActivation, labelSmoothing, balance,
    init: initOf(c.init),
    seed: seedConfig(c.seed),
  };
}

/** Checks a VAEGANConfig and fills its defaults (InvalidConfigError naming what is wrong). */
export function resolveVAEGANConfig(config: unknown): ResolvedVAEGANConfig {
  const c = configObject(config, "VAEGAN", VAEGAN_KEYS, "{ inputSize: 784, latentSize: 16 }");
  const generatorLoss = (c.generatorLoss ?? "non-saturating") as ResolvedVAEGANConfig["generatorLoss"];
  if (generatorLoss !== "non-saturating" && generatorLoss !== "minimax") {
    throw new InvalidConfigError(`generatorLoss must be "non-saturating" or "minimax"; got ${show(c.generatorLoss)}`);
  }
  const base = common(c);
  return {
    ...base,
    beta: c.beta === undefined ? 0.05 : positive("beta", c.beta, true),
    gamma: c.gamma === undefined ? 1 : positive("gamma", c.gamma, true),
    generatorLoss,
  };
}

/** Checks a CVAEGANConfig and fills its defaults. */
export function resolveCVAEGANConfig(config: unknown): ResolvedCVAEGANConfig {
  const c = configObject(config, "CVAEGAN", CVAEGAN_KEYS, "{ inputSize: 784, latentSize: 16, classes: 10 }");
  const classes = c.classes;
  if (typeof classes !== "number" || !Number.isInteger(classes) || classes < 2 || classes > 65536) {
    throw new InvalidConfigError(`classes must be an integer from 2 to 65536 (the number of class labels); got ${show(classes)}`);
  }
  const base = common(c, classes);
  let classifier: GanLayer[];
  if (base.inputShape) {
    if (c.classifier === undefined) throw new InvalidConfigError("with inputShape, give the classifier as a layer list (e.g. conv2d layers, a flatten and dense layers); it has no default");
    classifier = fullList("classifier", c.classifier, base.activation);
    if (!classifier.some((l) => PARAMETRISED.includes(l.type))) {
      throw new InvalidConfigError("the classifier's list needs a dense or conv layer (f_C is its last hidden output)");
    }
    planFlat("classifier", classifier, base.inputShape);
  } else classifier = layers("classifier", c.classifier, [{ type: "dense", units: 512 }, { type: "dense", units: 256 }], base.activation);
  const w = (c.weights ?? {}) as Record<string, unknown>;
  if (typeof w !== "object" || w === null || Array.isArray(w)) throw new InvalidConfigError(`weights must be an object of loss weights; got ${show(c.weights)}`);
  const names = ["kl", "encoderPairwise", "generatorPairwise", "featureMatching", "pixel"];
  for (const k of Object.keys(w)) if (!names.includes(k)) throw new InvalidConfigError(`weights: unknown loss weight '${k}'${suggest(k, names)}; known: ${names.join(", ")}`);
  const weight = (k: string, d: number): number => (w[k] === undefined ? d : positive(`weights.${k}`, w[k], true));
  return {
    ...base,
    classes,
    classifier,
    weights: { kl: weight("kl", 3), encoderPairwise: weight("encoderPairwise", 1), generatorPairwise: weight("generatorPairwise", 1e-3), featureMatching: weight("featureMatching", 1e-3),
      pixel: weight("pixel", 1) },
  };
}
