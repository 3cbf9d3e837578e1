// VAE and ConditionalVAE configuration: the user's options, checked and completed into a canonical form.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import { checkLayerLists, type InputShape, type LayerSpec } from "./layers-config.js";
import {
  activationOf, configObject, integer, likelihoodOf, MAX_SAMPLES, positive, seedConfig, initOf, type WeightInit, size, sizes, type Likelihood,
} from "./config-checks.js";

export { suggest, type Likelihood } from "./config-checks.js";

/**
 * Burgess et al.'s capacity objective: the KL term becomes γ·|KL − C| with C rising linearly from 0 to `max`
 * nats over `steps` optimizer steps (then staying at `max`).
 *
 * @example
 * ```ts
 * const capacity: CapacitySchedule = { gamma: 100, max: 25, steps: 10_000 };
 * ```
 */
export interface CapacitySchedule {
  gamma: number;
  max: number;
  steps: number;
}

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
  /** Values per example (784 for 28×28 images). Required unless `inputShape` (layer lists) gives it. */
  inputSize?: number;
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
   * p(x|z): "bernoulli" (data in [0, 1]; the decoder outputs logits), "continuous-bernoulli" (data in [0, 1];
   * the normalised density, a true likelihood for grey levels), "gaussian" (σ = likelihoodScale, fixed, or
   * "learned" per dimension) or "laplace" (fixed scale b = likelihoodScale). Default "bernoulli".
   */
  likelihood?: Likelihood;
  /** σ of the Gaussian (a number or "learned") or b of the Laplace likelihood. Default 1. */
  likelihoodScale?: number | "learned";
  /** The Gaussian likelihood's σ: another name for likelihoodScale (give one of the two). */
  sigma?: number | "learned";
  /** Weight of the KL term (β-VAE); 1 gives the ELBO. Default 1. */
  beta?: number;
  /** KL warm-up: β rises linearly from 0 to `beta` over this many optimizer steps (counted over all fit calls). Default 0 (off). */
  klWarmup?: number;
  /** Burgess et al.'s capacity objective γ·|KL − C| instead of β·KL. Default none. */
  capacity?: CapacitySchedule | null;
  /** "elbo" (default) or "iwae": the importance-weighted bound with `samples` samples per example. */
  objective?: "elbo" | "iwae";
  /** Samples of z per example in training: the IWAE k (default 5 for "iwae"); for "elbo", the ELBO is averaged over them (default 1). */
  samples?: number;
  /** Weight initialisation: "pytorch" (default, nn.Linear's) or "glorot" (uniform, zero biases; for deep tanh stacks). */
  init?: WeightInit;
  /** Seed of the weight initialisation and of the training noise (an integer in [0, 2³²)). Default: random. */
  seed?: number;
  /**
   * Layer lists instead of hiddenSizes: the shape of one example, [height, width, channels] (rows are channels-last
   * pixels) or [values]. Required with `encoder`/`decoder` unless inputSize gives a flat shape.
   */
  inputShape?: InputShape;
  /** The encoder's layers, input side first (the mean and log-variance heads follow; its output must be flat). */
  encoder?: LayerSpec[];
  /** The decoder's layers, latent side first; its output is the likelihood's parameters, shaped like inputShape. */
  decoder?: LayerSpec[];
}

/**
 * A VAEConfig with every field present (sigma folded into likelihoodScale), as `vae.config` returns it.
 *
 * @example
 * ```ts
 * const { hiddenSizes, seed }: ResolvedVAEConfig = vae.config;
 * ```
 */
export type ResolvedVAEConfig = Required<Omit<VAEConfig, "sigma" | "capacity" | "inputShape" | "encoder" | "decoder">> &
  { capacity: CapacitySchedule | null } &
  // a layer-list model's fields: present, all three, exactly when the model was created with layer lists
  Partial<Pick<VAEConfig, "inputShape" | "encoder" | "decoder">>;

/**
 * Options of `ConditionalVAE.create`: a VAEConfig plus the number of classes of the label that conditions the
 * encoder and the decoder.
 *
 * @example
 * ```ts
 * const config: ConditionalVAEConfig = { inputSize: 784, latentSize: 16, classes: 10, seed: 1 };
 * ```
 */
export interface ConditionalVAEConfig extends VAEConfig {
  /** Number of classes (labels are 0 … classes − 1, or one-hot rows of this width). At least 2. */
  classes: number;
}

/**
 * A ConditionalVAEConfig with every field present.
 *
 * @example
 * ```ts
 * const { classes }: ResolvedConditionalVAEConfig = cvae.config;
 * ```
 */
export type ResolvedConditionalVAEConfig = ResolvedVAEConfig & { classes: number };

const KEYS: (keyof VAEConfig)[] = [
  "inputSize", "latentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope",
  "likelihood", "likelihoodScale", "sigma", "beta", "klWarmup", "capacity", "objective", "samples", "init", "seed",
  "inputShape", "encoder", "decoder",
];
export { MAX_SAMPLES };

function capacityOf(v: unknown): CapacitySchedule | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new InvalidConfigError(`capacity must be an object { gamma, max, steps }; got ${show(v)}`);
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["gamma", "max", "steps"].includes(k)) throw new InvalidConfigError(`capacity: unknown field '${k}'; expected gamma, max, steps`);
  }
  for (const k of ["gamma", "max", "steps"]) {
    if (o[k] === undefined) throw new InvalidConfigError(`capacity.${k} is required (capacity: { gamma, max, steps })`);
  }
  return {
    gamma: positive("capacity.gamma", o.gamma),
    max: positive("capacity.max", o.max, true),
    steps: integer("capacity.steps", o.steps, 0, 2 ** 40),
  };
}

/** Checks a user's VAE config (model names the class in messages) and fills in the defaults. */
export function resolveConfig(config: unknown, model = "VAE", extraKeys: readonly string[] = []): ResolvedVAEConfig {
  const c = configObject(config, model, [...KEYS, ...extraKeys], "{ inputSize: 784, latentSize: 20 }");
  // layer lists: inputShape (or a flat inputSize) and both lists, checked layer by layer (layers-config.ts)
  const layered = c.encoder !== undefined || c.decoder !== undefined || c.inputShape !== undefined;
  if (layered) {
    // (a resolved layer-list config says hiddenSizes [], decoderHiddenSizes [], activation "identity": it resolves to itself)
    for (const k of ["hiddenSizes", "decoderHiddenSizes", "activation"]) {
      const v = c[k];
      if (v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== "identity") {
        throw new InvalidConfigError(`${k} goes with MLP configs; with encoder/decoder layer lists give each layer its own size and activation`);
      }
    }
    if (c.inputSize === undefined && c.inputShape === undefined) throw new InvalidConfigError("inputShape is required with layer lists ([height, width, channels], e.g. [28, 28, 1])");
  } else if (c.inputSize === undefined) throw new InvalidConfigError("inputSize is required (values per example, e.g. 784)");
  if (c.latentSize === undefined) throw new InvalidConfigError("latentSize is required (latent dimensions, e.g. 20)");
  const flatSize = layered ? 0 : size("inputSize", c.inputSize);
  const latentSize = size("latentSize", c.latentSize);
  const lists = layered ? checkLayerLists(c, 0) : undefined;
  const inputSize = lists ? lists.inputSize : flatSize;
  const hiddenSizes = lists ? [] : c.hiddenSizes === undefined ? [400] : sizes("hiddenSizes", c.hiddenSizes);
  const decoderHiddenSizes =
    lists ? [] : c.decoderHiddenSizes === undefined ? [...hiddenSizes].reverse() : sizes("decoderHiddenSizes", c.decoderHiddenSizes);
  const activation = activationOf("activation", c.activation, lists ? "identity" : "relu");
  const { likelihood, likelihoodScale } = likelihoodOf(c);
  const leakySlope = c.leakySlope === undefined ? 0.01 : positive("leakySlope", c.leakySlope, true);
  const beta = c.beta === undefined ? 1 : positive("beta", c.beta, true);
  const klWarmup = c.klWarmup === undefined ? 0 : integer("klWarmup", c.klWarmup, 0, 2 ** 40);
  const capacity = capacityOf(c.capacity);
  const objective = (c.objective ?? "elbo") as "elbo" | "iwae";
  if (objective !== "elbo" && objective !== "iwae") {
    throw new InvalidConfigError(`objective must be "elbo" or "iwae"; got ${show(c.objective)}`);
  }
  const samples = c.samples === undefined ? (objective === "iwae" ? 5 : 1) : integer("samples", c.samples, 1, MAX_SAMPLES);
  if (capacity && c.beta !== undefined && beta !== 1) {
    throw new InvalidConfigError("capacity replaces β by capacity.gamma (the loss is reconstruction + γ·|KL − C|); leave beta unset");
  }
  if (capacity && klWarmup) throw new InvalidConfigError("capacity and klWarmup are two schedules for the KL term; choose one");
  if (objective === "iwae" || samples > 1) {
    const what = objective === "iwae" ? 'objective "iwae" (a bound on log p(x))' : "samples > 1";
    if (beta !== 1 || klWarmup || capacity) {
      throw new InvalidConfigError(`${what} works with the plain ELBO weights: set beta 1 and no klWarmup or capacity`);
    }
  }
  const init = initOf(c.init);
  const seed = seedConfig(c.seed);
  const resolved: ResolvedVAEConfig = {
    inputSize, latentSize, hiddenSizes, decoderHiddenSizes, activation, leakySlope, likelihood, likelihoodScale, beta,
    klWarmup, capacity, objective, samples, init, seed,
  };
  return lists ? { ...resolved, inputShape: lists.inputShape, encoder: lists.encoder, decoder: lists.decoder } : resolved;
}

/** Checks a ConditionalVAE config. */
export function resolveConditionalConfig(config: unknown): ResolvedConditionalVAEConfig {
  const base = resolveConfig(config, "ConditionalVAE", ["classes"]);
  const c = config as Record<string, unknown>;
  if (c.classes === undefined) throw new InvalidConfigError("classes is required (the number of label classes, e.g. 10)");
  const classes = integer("classes", c.classes, 2, 1 << 16);
  if (base.encoder) checkLayerLists({ ...base }, classes); // shapes again, with the label joined
  return { ...base, classes };
}
