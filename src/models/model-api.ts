// The one interface every model class implements: what the CLI, interop and pictures program against instead of
// asking which class a model is. Where the classes differ (labels, a prior to sample from, a likelihood, several
// latent layers) the difference is data in `capabilities`, and the uniform `…Any` calls take the same arguments on
// every class, refusing with a typed error what a model cannot do. Types only: the calls are implemented once in the
// model base class (src/models/model.ts); a class states its capabilities.
import type { Data } from "../io/data.js";
import type { InterpolationMethod } from "../latent/interpolate.js";
import type { EngineInfo } from "../runtime/module.js";
import type { EpochLog, FitOptions, LossTerms, Terms } from "../train/fit.js";
import type { Label } from "./conditional-vae.js";
import type { ModelKind } from "./format.js";
import type { Labels } from "./labels.js";
import type { LogLikelihoodOptions } from "./latent-model.js";

/**
 * What a model can do, as data: read it instead of checking a model's class. Each flag says which uniform calls
 * (and which of their options) the model accepts; a call it does not accept throws InvalidInputError.
 *
 * @example
 * ```ts
 * const m = await loadModel(bytes);
 * const { classes, sampling, latentSize } = m.capabilities;
 * if (sampling) m.sampleAny(16, { seed: 1, label: classes > 0 ? 0 : undefined });
 * console.log(`latent space of ${latentSize} dimensions`);
 * ```
 */
export interface ModelCapabilities {
  /** Values per example (the model's inputSize). */
  readonly inputSize: number;
  /**
   * Classes the model is conditioned on; 0 for an unconditional model. When > 0, the calls that read examples
   * (encodeAny, reconstructAny, evaluateAny, logLikelihoodAny, fitAny) need `labels` (one per example) and those
   * that decode (decodeAny, sampleAny, latentGridAny, interpolateAny, traverseAny) need `label`; when 0, both are
   * refused.
   */
  readonly classes: number;
  /**
   * The latent layers by name with their widths, in order from the input: `{ z }` for a VAE, `{ z1, z2 }` for a
   * hierarchical VAE, `{ code }` for an autoencoder. encodeAny's `layer` option names one; the last is the latent
   * space that decodeAny, sampleAny, interpolateAny and traverseAny work in.
   */
  readonly latentLayers: Readonly<Record<string, number>>;
  /** Width of the last latent layer: the latent space the uniform calls work in. */
  readonly latentSize: number;
  /**
   * The encoder gives a Gaussian posterior q(z|x): encodeAny returns `logVar` beside `mean`, and evaluateAny takes
   * `seed` (the sampled z). False for a deterministic code (an autoencoder).
   */
  readonly posterior: boolean;
  /** The model has a prior to draw from: sampleAny and latentGridAny work. */
  readonly sampling: boolean;
  /** reconstructAny takes `sample: true` (and `seed`): it decodes a sampled z instead of the posterior mean. */
  readonly sampledReconstruction: boolean;
  /** logLikelihoodAny estimates log p(x) by importance sampling. */
  readonly logLikelihood: boolean;
}

/**
 * A latent code as encodeAny returns it: the posterior mean (an autoencoder's code) and, where
 * `capabilities.posterior`, the log-variance. Each [n, width of the layer].
 *
 * @example
 * ```ts
 * const { mean, logVar } = model.encodeAny(x, { layer: "z1" }); // a HierarchicalVAE's first layer
 * ```
 */
export interface LatentCode {
  mean: Float32Array;
  logVar?: Float32Array;
}

/**
 * The interface every vaekit model class implements (VAE, ConditionalVAE, HierarchicalVAE, Autoencoder, and every
 * class to come): program against it, and read `capabilities` instead of checking classes. The `…Any` calls take
 * the same arguments on every class (labels and the latent layer as options); a model's own methods (encode, sample,
 * …) stay as they are.
 *
 * @example
 * ```ts
 * import { loadModel, type ModelApi } from "vaekit";
 * const m: ModelApi = await loadModel(bytes);
 * const labels = m.capabilities.classes > 0 ? myLabels : undefined;
 * const { mean } = m.encodeAny(x, { labels });
 * const pictures = m.capabilities.sampling ? m.sampleAny(8, { seed: 1, label: labels && 0 }) : m.reconstructAny(x, { labels });
 * m.dispose();
 * ```
 */
export interface ModelApi<T extends Terms = LossTerms> {
  /** The class name written in the model's file. */
  readonly kind: ModelKind;
  /** What the model can do (a fresh object each read). */
  readonly capabilities: ModelCapabilities;
  /** The model's complete configuration (a copy; its fields depend on `kind`). */
  readonly config: object;
  readonly engineInfo: EngineInfo;
  readonly parameterCount: number;
  readonly memoryBytes: number;
  readonly trainingSteps: number;
  /** Every weight by its name in files, in PyTorch layout (copies). */
  getWeights(): Record<string, Float32Array>;
  /** Replaces weights by name (PyTorch layout); a rejected call changes nothing. */
  setWeights(weights: Record<string, ArrayLike<number>>): void;
  /**
   * The model as safetensors bytes (config, weights, training steps), for the class's `load` or `loadModel`; with
   * `{ optimizer: true }` also the optimizer state, noise stream positions and epoch counter (resumable training).
   */
  save(options?: { optimizer?: boolean }): Uint8Array;
  /** Frees the model's WebAssembly memory; later calls throw DisposedError. */
  dispose(): void;

  /** Trains on examples (`labels`: one per example, when `capabilities.classes` > 0); the class's own fit. */
  fitAny(x: Data, options?: FitOptions<T> & { labels?: Labels }): Promise<EpochLog<T>[]>;
  /** Mean loss terms per example; `seed` (of the sampled z) matters where `capabilities.posterior`. */
  evaluateAny(x: Data, options?: { labels?: Labels; seed?: number }): T;
  /** The latent code of each example in `layer` (default: the last of `capabilities.latentLayers`). */
  encodeAny(x: Data, options?: { labels?: Labels; layer?: string }): LatentCode;
  /** Decodes rows of the last latent layer (`label`: the class, or one per row, for a conditional model). */
  decodeAny(z: Data, options?: { label?: Label | Labels }): Float32Array;
  /** Encodes and decodes; `sample`/`seed` where `capabilities.sampledReconstruction`. */
  reconstructAny(x: Data, options?: { labels?: Labels; sample?: boolean; seed?: number }): Float32Array;
  /** n examples drawn from the prior, where `capabilities.sampling`. */
  sampleAny(n: number, options?: { label?: Label | Labels; seed?: number }): Float32Array;
  /** The decoded lattice over a 2-D latent space, where `capabilities.sampling`. */
  latentGridAny(options?: { label?: Label; size?: number; range?: number | [number, number] }): Float32Array;
  /** Importance-sampled log p(x) per example, where `capabilities.logLikelihood`. */
  logLikelihoodAny(x: Data, options?: LogLikelihoodOptions & { labels?: Labels }): Float64Array;
  /** Decoded points on the path between two latent codes, ends included. */
  interpolateAny(a: ArrayLike<number>, b: ArrayLike<number>, options?: { label?: Label; steps?: number; method?: InterpolationMethod }): Float32Array;
  /** One latent dimension of a code swept over `values`, decoded. */
  traverseAny(z: ArrayLike<number>, dim: number, options?: { label?: Label; values?: ArrayLike<number> }): Float32Array;
}
