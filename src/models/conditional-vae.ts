// The conditional VAE (Sohn et al.): a class label y conditions both q(z|x, y) and p(x|z, y), so sample(n, { label })
// draws examples of the class asked for. Every VAE option (β, warm-up, capacity, likelihoods, IWAE) applies.
import { InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data } from "../io/data.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { activeUnits, klPerDimension, thresholdOf, type ActiveUnits } from "../latent/statistics.js";
import type { Engine } from "../runtime/engine.js";
import type { BatchStream, EpochLog, FitOptions, LossTerms, RowSource } from "../train/fit.js";
import type { ConditionalVAEConfig, ResolvedConditionalVAEConfig } from "./config.js";
import { configFromFile, readModelFile } from "./format.js";
import { labelRows, type Labels } from "./labels.js";
import {
  DEFAULT_LL_SAMPLES, MAX_LL_SAMPLES, type Encoding, type GradientResult, type LatentData, type LogLikelihoodOptions,
} from "./latent-model.js";
import { CHUNK, type EngineOptions } from "./model.js";
import { layerNetsOf, SingleLatentModel, type Nets } from "./single-latent.js";
import { intOption, optionsOf } from "./options.js";

/**
 * One label for a whole call: a class index, or one one-hot (probability) row of `classes` values.
 *
 * @example
 * ```ts
 * const label: Label = 7;
 * ```
 */
export type Label = number | ArrayLike<number>;

/**
 * Labelled data for `fit`'s validationData: examples and their labels.
 *
 * @example
 * ```ts
 * await cvae.fit(trainX, trainY, { validationData: { x: testX, labels: testY } });
 * ```
 */
export interface LabelledData {
  x: Data;
  labels: Labels;
}

/**
 * A conditional VAE: encoder q(z|x, y) and decoder p(x|z, y) both see a class label y (class indices or one-hot
 * rows). Methods take the labels beside the data; `sample(n, { label })` generates examples of a chosen class.
 *
 * @example
 * ```ts
 * import { ConditionalVAE } from "vaekit";
 * const cvae = await ConditionalVAE.create({ inputSize: 784, latentSize: 16, classes: 10, seed: 1 });
 * await cvae.fit(trainX, trainLabels, { epochs: 10 });
 * const sevens = cvae.sample(16, { label: 7, seed: 1 });
 * ```
 */
export class ConditionalVAE extends SingleLatentModel<ResolvedConditionalVAEConfig> {
  private constructor(e: Engine, cfg: ResolvedConditionalVAEConfig, nets?: Nets) {
    super(e, cfg, "ConditionalVAE", cfg.classes, nets);
  }

  /**
   * Creates a conditional VAE (weights initialised like PyTorch's nn.Linear from `config.seed`).
   *
   * @example
   * ```ts
   * const cvae = await ConditionalVAE.create({ inputSize: 784, hiddenSizes: [512], latentSize: 16, classes: 10, seed: 1 });
   * ```
   */
  static async create(config: ConditionalVAEConfig, options: EngineOptions = {}): Promise<ConditionalVAE> {
    const { resolveConditionalConfig } = await import("./config.js"); // a chunk of its own, as in VAE.create
    const cfg = resolveConditionalConfig(config);
    const nets = await layerNetsOf(cfg, cfg.classes);
    const m = new ConditionalVAE(await ConditionalVAE.engineFor(options, undefined, cfg, nets), cfg, nets);
    m.initialise();
    return m;
  }

  /**
   * Loads a ConditionalVAE written by `save()` (ModelFormatError for anything else).
   *
   * @example
   * ```ts
   * const cvae = await ConditionalVAE.load(bytes);
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<ConditionalVAE> {
    const file = await readModelFile(bytes, "ConditionalVAE");
    const { resolveConditionalConfig } = await import("./config.js");
    const cfg = configFromFile(() => resolveConditionalConfig(file.config));
    const nets = await layerNetsOf(cfg, cfg.classes);
    return new ConditionalVAE(await ConditionalVAE.engineFor(options, file, cfg, nets), cfg, nets).restore(file);
  }

  /**
   * Trains on examples and their labels; validationData is `{ x, labels }`. Otherwise as `VAE.fit`.
   *
   * @example
   * ```ts
   * await cvae.fit(trainX, trainY, { epochs: 10, validationData: { x: testX, labels: testY } });
   * // streamed: chunks of { x, labels } from a RowSource or an async iterable, options second
   * await cvae.fit(zipSources({ x: await openIdx(images), labels: await openIdx(labels, { scale: 1 }) }), { epochs: 10 });
   * ```
   */
  fit(x: Data, labels: Labels, options?: FitOptions): Promise<EpochLog[]>;
  fit(data: RowSource<LabelledData> | BatchStream<LabelledData>, options?: FitOptions): Promise<EpochLog[]>;
  fit(x: unknown, labels?: unknown, options?: FitOptions): Promise<EpochLog[]> {
    // an object that is no array is whole data (a RowSource, an iterable, { x, labels }): options come second (or
    // third, as fitAny passes them)
    const whole = typeof x == "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
    return this.train(() => this.target(), whole ? x : { x, labels }, whole ? (labels ?? options) as FitOptions : options);
  }

  /**
   * Mean loss terms per example (as `VAE.evaluate`), each example with its label.
   *
   * @example
   * ```ts
   * const { loss } = cvae.evaluate(testX, testY, { seed: 1 });
   * ```
   */
  evaluate(x: Data, labels: Labels, options: { seed?: number } = {}): LossTerms {
    this.live("evaluate");
    const seed = seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0);
    return this.evaluateData(this.#data(x, labels, "evaluate"), seed);
  }

  /**
   * q(z|x, y) of each example: mean and log-variance, each [n, latentSize].
   *
   * @example
   * ```ts
   * const { mean } = cvae.encode(images, labels);
   * ```
   */
  encode(x: Data, labels: Labels): Encoding {
    this.live("encode");
    return this.encodeData(this.#data(x, labels, "encode"));
  }

  /**
   * Decodes latent rows [n, latentSize] with their labels (or one label for all) to the likelihood's mean.
   *
   * @example
   * ```ts
   * const img = cvae.decode(new Float32Array(16), 3);
   * ```
   */
  decode(z: Data, labels: Labels | Label): Float32Array {
    this.live("decode");
    const data = toRows(z, this.L, "decode(z)");
    this.fits("decode", data.rows, true);
    return this.decodeRows(data.rows, data.values, this.#labelsFor(labels, data.rows, "decode"));
  }

  /**
   * Encodes and decodes with the examples' labels: the decoder's mean at z = μ(x, y), or a sampled z with
   * `{ sample: true }`. Pass other labels to turn an example into another class with the same style.
   *
   * @example
   * ```ts
   * const again = cvae.reconstruct(x, labels);
   * ```
   */
  reconstruct(x: Data, labels: Labels, options: { sample?: boolean; seed?: number } = {}): Float32Array {
    this.live("reconstruct");
    const o = optionsOf(options, ["sample", "seed"], "reconstruct");
    const data = this.#data(x, labels, "reconstruct");
    return this.reconstructData(data, o.sample === true, seedOf("reconstruct: seed", o.seed, this.cfg.seed));
  }

  /**
   * n examples of a class: z ~ N(0, I) decoded with `label` (a class index or one-hot row for all n, or n labels).
   *
   * @example
   * ```ts
   * const sevens = cvae.sample(64, { label: 7, seed: 1 });
   * ```
   */
  sample(n: number, options: { label: Label | Labels; seed?: number }): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["label", "seed"], "sample");
    if (o.label === undefined) throw new InvalidInputError(`sample: give { label } (a class from 0 to ${this.classes - 1}) to choose what to draw`);
    this.fits("sample", n, true);
    const y = this.#labelsFor(o.label as Label | Labels, n, "sample");
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    return this.sampled(n, o.seed !== undefined, (offset) => this.sampleData(n, y, seed, offset));
  }

  /**
   * The gradient of the summed objective for a labelled batch (as `VAE.gradients`).
   *
   * @example
   * ```ts
   * const { gradients } = cvae.gradients(batch, labels, { seed: 1 });
   * ```
   */
  gradients(x: Data, labels: Labels, options: { epsilon?: Data; seed?: number } = {}): GradientResult {
    this.live("gradients");
    const o = optionsOf(options, ["epsilon", "seed"], "gradients");
    const data = this.#data(x, labels, "gradients");
    const eps = o.epsilon === undefined ? undefined : toRows(o.epsilon, this.L, "gradients: epsilon");
    const seed = seedOf("gradients: seed", o.seed, 0);
    if (eps) this.epsilonRows(eps, data.rows);
    return this.gradientsData(data, eps && [eps], seed);
  }

  /**
   * log p(x|y) per example by importance sampling (as `VAE.logLikelihood`).
   *
   * @example
   * ```ts
   * const ll = cvae.logLikelihood(testX, testY, { samples: 1000 });
   * ```
   */
  logLikelihood(x: Data, labels: Labels, options: LogLikelihoodOptions = {}): Float64Array {
    this.live("logLikelihood");
    const o = optionsOf(options, ["samples", "seed", "batchSize"], "logLikelihood");
    const data = this.#data(x, labels, "logLikelihood");
    const samples = intOption("logLikelihood: samples", o.samples, DEFAULT_LL_SAMPLES, 1, MAX_LL_SAMPLES);
    const block = intOption("logLikelihood: batchSize", o.batchSize, 1024, 1, 1 << 20);
    this.fits("logLikelihood: batchSize", Math.min(block, samples * CHUNK));
    return this.logLikelihoodData(data, samples, seedOf("logLikelihood: seed", o.seed, 0), block);
  }

  /**
   * The conditional ELBO of each example (as `VAE.elbo`).
   *
   * @example
   * ```ts
   * const elbo = cvae.elbo(testX, testY);
   * ```
   */
  elbo(x: Data, labels: Labels, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("elbo");
    const o = optionsOf(options, ["samples", "seed"], "elbo");
    const samples = intOption("elbo: samples", o.samples, 1, 1, MAX_LL_SAMPLES);
    return this.elboData(this.#data(x, labels, "elbo"), samples, seedOf("elbo: seed", o.seed, 0));
  }

  /**
   * −ELBO per example given its label (higher = less like the training data of that class).
   *
   * @example
   * ```ts
   * const scores = cvae.anomalyScore(x, labels);
   * ```
   */
  anomalyScore(x: Data, labels: Labels, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("anomalyScore");
    return this.elbo(x, labels, options).map((v) => -v);
  }

  /**
   * Decoded points between two latent codes with one label (`steps` points, straight or "slerp").
   *
   * @example
   * ```ts
   * const frames = cvae.interpolate(za, zb, { label: 3, steps: 8, method: "slerp" });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>,
    options: { label: Label; steps?: number; method?: InterpolationMethod }): Float32Array {
    this.live("interpolate");
    const o = optionsOf(options, ["label", "steps", "method"], "interpolate");
    const { steps, method } = interpolationOptions(o);
    const za = toRows(Array.from(a), this.L, "interpolate: a (a latent code)").values;
    const zb = toRows(Array.from(b), this.L, "interpolate: b (a latent code)").values;
    if (za.length !== this.L || zb.length !== this.L) throw new InvalidInputError(`interpolate: a and b must be latent codes of ${this.L} values`);
    return this.#decodeOne(interpolatePath(za, zb, steps, method), o.label, "interpolate");
  }

  /**
   * Decodes z with one latent dimension swept over `values`, for one label.
   *
   * @example
   * ```ts
   * const sweep = cvae.traverse(new Float32Array(16), 0, { label: 4 });
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { label: Label; values?: ArrayLike<number> }): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["label", "values"], "traverse");
    const base = toRows(Array.from(z), this.L, "traverse: z");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: z must be one latent code of ${this.L} values`);
    return this.#decodeOne(traversePoints(base.values, dim, o.values), o.label, "traverse");
  }

  /**
   * For a 2-D latent space: the decoded size × size grid for one label (as `VAE.latentGrid`).
   *
   * @example
   * ```ts
   * const tiles = cvae.latentGrid({ label: 2, size: 10 });
   * ```
   */
  latentGrid(options: { label: Label; size?: number; range?: number | [number, number] }): Float32Array {
    this.live("latentGrid");
    if (this.L !== 2) throw new InvalidInputError(`latentGrid needs a 2-D latent space; this model has latentSize ${this.L}`);
    const o = optionsOf(options, ["label", "size", "range"], "latentGrid");
    return this.#decodeOne(gridPoints(o).points, o.label, "latentGrid");
  }

  /**
   * Mean KL(q(z_j|x, y) ‖ N(0, 1)) per latent dimension.
   *
   * @example
   * ```ts
   * const perDim = cvae.klPerDimension(testX, testY);
   * ```
   */
  klPerDimension(x: Data, labels: Labels): Float64Array {
    this.live("klPerDimension");
    const { mean, logVar } = this.encode(x, labels);
    return klPerDimension(mean, logVar, mean.length / this.L, this.L);
  }

  /**
   * Active units of q(z|x, y) (variance over the data of the posterior mean above `threshold`, default 0.01).
   *
   * @example
   * ```ts
   * const { count } = cvae.activeUnits(testX, testY);
   * ```
   */
  activeUnits(x: Data, labels: Labels, options: { threshold?: number } = {}): ActiveUnits {
    this.live("activeUnits");
    const threshold = thresholdOf(optionsOf(options, ["threshold"], "activeUnits").threshold);
    const { mean } = this.encode(x, labels);
    return activeUnits(mean, mean.length / this.L, this.L, threshold);
  }

  // ---- internals ----

  #data(x: unknown, labels: unknown, what: string, unit = this.lik.unitData): LatentData {
    const r = this.rowsOf(x, `${what}(x)`, unit);
    return { rows: r.rows, x: r.values, y: labelRows(labels, r.rows, this.classes, `${what}: labels`) };
  }

  /** One label (index or row) repeated n times, or n labels. */
  #labelsFor(labels: unknown, n: number, what: string): Float32Array {
    const C = this.classes;
    if (typeof labels === "number") return labelRows(new Array<number>(n).fill(labels), n, C, `${what}: label`);
    if ((Array.isArray(labels) || ArrayBuffer.isView(labels)) && (labels as ArrayLike<unknown>).length === C && n !== C &&
      typeof (labels as ArrayLike<unknown>)[0] === "number") {
      const row = labelRows([Array.from(labels as ArrayLike<number>)], 1, C, `${what}: label`);
      const out = new Float32Array(n * C);
      for (let r = 0; r < n; r++) out.set(row, r * C);
      return out;
    }
    return labelRows(labels, n, C, `${what}: labels`);
  }

  /**
   * Decodes latent rows all with one label (a class index or one-hot row), given once per row: as one row it would
   * read as per-row class indices whenever the row count equals the number of classes.
   */
  #decodeOne(z: Float32Array, label: unknown, what: string): Float32Array {
    if (label === undefined) throw new InvalidInputError(`${what}: give { label } (a class from 0 to ${this.classes - 1}, or a one-hot row)`);
    const n = z.length / this.L;
    return this.decode(z, labelRows(new Array(n).fill(label), n, this.classes, `${what}: label`));
  }

  protected validateData(data: unknown, what: string, unit: boolean): LatentData {
    if (typeof data !== "object" || data === null || !("x" in data) || !("labels" in data)) {
      throw new InvalidInputError(`${what}: expected { x, labels } (examples and their class labels)`);
    }
    const d = data as LabelledData;
    return this.#data(d.x, d.labels, what.replace(/\(x\)$/, ""), this.lik.unitData || unit);
  }
}
