// The variational autoencoder (Kingma & Welling), with β, KL warm-up, Burgess et al.'s capacity objective, four
// likelihoods, the importance-weighted bound (Burda et al.) and latent-space tools. The engine is LatentModel.
import { InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data, type Rows } from "../io/data.js";
import { activeUnits, thresholdOf, klPerDimension, type ActiveUnits } from "../latent/statistics.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import type { BatchStream, EpochLog, FitOptions, LossTerms, RowSource } from "../train/fit.js";
import type { ResolvedVAEConfig, VAEConfig } from "./config.js";
import { configFromFile, readModelFile } from "./format.js";
import type { Engine } from "../runtime/engine.js";
import {
  DEFAULT_LL_SAMPLES, MAX_LL_SAMPLES, type Encoding, type GradientResult, type LatentData, type LogLikelihoodOptions,
} from "./latent-model.js";
import { CHUNK, type EngineOptions } from "./model.js";
import { layerNetsOf, SingleLatentModel, type Nets } from "./single-latent.js";
import { intOption, optionsOf } from "./options.js";

export type { EngineOptions } from "./model.js";
export type { Encoding, GradientResult, LogLikelihoodOptions } from "./latent-model.js";
export { FORMAT_VERSION } from "./format.js";

/**
 * A variational autoencoder (Kingma & Welling) with MLP encoder and decoder, trained and run by vaekit's
 * WebAssembly SIMD kernels. β-VAE, KL warm-up, the capacity objective and IWAE training are config options.
 * Create with `VAE.create` or `VAE.load`; free with `dispose()`.
 *
 * @example
 * ```ts
 * import { VAE } from "vaekit";
 * const vae = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 });
 * await vae.fit(trainX, { epochs: 10, batchSize: 128, learningRate: 1e-3 });
 * const digits = vae.sample(16, { seed: 7 });   // Float32Array of 16 × 784 pixel probabilities
 * vae.dispose();
 * ```
 */
export class VAE extends SingleLatentModel<ResolvedVAEConfig> {
  private constructor(e: Engine, cfg: ResolvedVAEConfig, nets?: Nets) {
    super(e, cfg, "VAE", 0, nets);
  }

  /**
   * Creates a VAE with weights initialised like PyTorch's nn.Linear (U(−1/√fan_in, 1/√fan_in)) from `config.seed`.
   *
   * @example
   * ```ts
   * const vae = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu",
   *   likelihood: "bernoulli", beta: 1, seed: 1 });
   * ```
   */
  static async create(config: VAEConfig, options: EngineOptions = {}): Promise<VAE> {
    const { resolveConfig } = await import("./config.js"); // a chunk of its own: resolving configs is create/load-time work
    const cfg = resolveConfig(config);
    const nets = await layerNetsOf(cfg, 0);
    const vae = new VAE(await VAE.engineFor(options, undefined, cfg, nets), cfg, nets);
    vae.initialise();
    return vae;
  }

  /**
   * Loads a VAE written by `save()`. Truncated, foreign or inconsistent bytes, or another model class's file,
   * throw ModelFormatError.
   *
   * @example
   * ```ts
   * const vae = await VAE.load(await readFile("model.safetensors"));
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<VAE> {
    const file = await readModelFile(bytes, "VAE");
    const { resolveConfig } = await import("./config.js");
    const cfg = configFromFile(() => resolveConfig(file.config));
    const nets = await layerNetsOf(cfg, 0);
    return new VAE(await VAE.engineFor(options, file, cfg, nets), cfg, nets).restore(file);
  }

  /**
   * Trains the model; resolves with one log per epoch. Rejects (leaving the weights of the last completed step)
   * on invalid data or options, on a non-finite loss (TrainingDivergedError), or when `signal` aborts.
   *
   * @example
   * ```ts
   * const history = await vae.fit(trainX, { epochs: 10, batchSize: 128, learningRate: 1e-3, validationData: testX,
   *   shuffleSeed: 1, onEpochEnd: (e) => console.log(e.epoch, e.loss, e.validation?.loss) });
   * // data bigger than memory: a RowSource (e.g. from vaekit/stream) or an async iterable of batches
   * const images = await openIdx("train-images-idx3-ubyte");
   * await vae.fit(images, { epochs: 10, shuffleRange: 16 });
   * ```
   */
  fit(x: Data | RowSource<Data> | BatchStream<Data>, options?: FitOptions): Promise<EpochLog[]> {
    return this.train(() => this.target(), x, options);
  }

  /**
   * Mean loss terms per example in nats, with z sampled from a seeded stream (default seed 0). `loss` is the
   * training objective at the model's current step: reconstruction + β·kl (−ELBO when β = 1), with γ·|kl − C|
   * under the capacity objective, and −L_k (the k-sample bound) for objective "iwae".
   *
   * @example
   * ```ts
   * const { loss, reconstruction, kl } = vae.evaluate(testX, { seed: 1 });
   * ```
   */
  evaluate(x: Data, options: { seed?: number } = {}): LossTerms {
    this.live("evaluate");
    const seed = seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0);
    return this.evaluateData(this.#data(x, "evaluate(x)"), seed);
  }

  /**
   * The approximate posterior of each example: mean and log-variance, each [n, latentSize].
   *
   * @example
   * ```ts
   * const { mean, logVar } = vae.encode(images);
   * ```
   */
  encode(x: Data): Encoding {
    this.live("encode");
    return this.encodeData(this.#data(x, "encode(x)"));
  }

  /**
   * Decodes latent vectors [n, latentSize] into the likelihood's mean: pixel probabilities for "bernoulli",
   * the distribution's mean for "continuous-bernoulli", means for "gaussian" and "laplace".
   *
   * @example
   * ```ts
   * const images = vae.decode(new Float32Array(20)); // the image at the origin of the latent space
   * ```
   */
  decode(z: Data): Float32Array {
    this.live("decode");
    const data = toRows(z, this.L, "decode(z)");
    this.fits("decode", data.rows, true);
    return this.decodeRows(data.rows, data.values, undefined);
  }

  /**
   * Encodes and decodes: the decoder's mean at z = μ(x), or at a sampled z with `{ sample: true }`.
   *
   * @example
   * ```ts
   * const again = vae.reconstruct(testX.subarray(0, 8 * 784));
   * ```
   */
  reconstruct(x: Data, options: { sample?: boolean; seed?: number } = {}): Float32Array {
    this.live("reconstruct");
    const o = optionsOf(options, ["sample", "seed"], "reconstruct");
    const data = this.#data(x, "reconstruct(x)");
    const seed = seedOf("reconstruct: seed", o.seed, this.cfg.seed);
    return this.reconstructData(data, o.sample === true, seed);
  }

  /**
   * Draws n examples from the model: z ~ N(0, I), decoded. With a seed the result is reproducible on every
   * runtime; without one, each call continues the model's own stream.
   *
   * @example
   * ```ts
   * const digits = vae.sample(64, { seed: 1 }); // 64 × 784 pixel probabilities
   * ```
   */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["seed"], "sample");
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    return this.sampled(n, o.seed !== undefined, (offset) => this.sampleData(n, undefined, seed, offset));
  }

  /**
   * The gradient of the summed training objective for a batch, without changing the model; ε can be given
   * ([n·k, latentSize], example-major, k = config.samples when training uses several samples), else it is the ε
   * that `evaluate(x, { seed })` uses. Tensor names and layout are those of `getWeights`.
   *
   * @example
   * ```ts
   * const { loss, gradients } = vae.gradients(batch, { epsilon });
   * gradients["encoder.mean.weight"]; // Float32Array [latentSize × hidden], PyTorch layout
   * ```
   */
  gradients(x: Data, options: { epsilon?: Data; seed?: number } = {}): GradientResult {
    this.live("gradients");
    const o = optionsOf(options, ["epsilon", "seed"], "gradients");
    const data = this.#data(x, "gradients(x)");
    const eps = o.epsilon === undefined ? undefined : toRows(o.epsilon, this.L, "gradients: epsilon");
    const seed = seedOf("gradients: seed", o.seed, 0);
    if (eps) this.epsilonRows(eps, data.rows);
    return this.gradientsData(data, eps && [eps], seed);
  }

  /**
   * log p(x) per example, estimated with k importance samples from q(z|x): log (1/k) Σ p(x, z_i)/q(z_i|x),
   * computed with a stable log-mean-exp in float64. It is a lower bound in expectation (IWAE's L_k) that rises
   * towards log p(x) as k grows, and never below the ELBO on average. Memory stays bounded by `batchSize`
   * decoder rows whatever k (up to 100 000) and n.
   *
   * @example
   * ```ts
   * const ll = vae.logLikelihood(testX, { samples: 5000, seed: 1 }); // Float64Array, nats per example
   * ```
   */
  logLikelihood(x: Data, options: LogLikelihoodOptions = {}): Float64Array {
    this.live("logLikelihood");
    const o = optionsOf(options, ["samples", "seed", "batchSize"], "logLikelihood");
    const data = this.#data(x, "logLikelihood(x)");
    const samples = intOption("logLikelihood: samples", o.samples, DEFAULT_LL_SAMPLES, 1, MAX_LL_SAMPLES);
    const seed = seedOf("logLikelihood: seed", o.seed, 0);
    const block = intOption("logLikelihood: batchSize", o.batchSize, 1024, 1, 1 << 20);
    this.fits("logLikelihood: batchSize", Math.min(block, samples * CHUNK));
    return this.logLikelihoodData(data, samples, seed, block);
  }

  /**
   * The ELBO of each example, E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) in nats: the expectation estimated with
   * `samples` draws of z (default 1: evaluate's ε), the KL exact.
   *
   * @example
   * ```ts
   * const elbo = vae.elbo(testX, { samples: 10 }); // Float64Array
   * ```
   */
  elbo(x: Data, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("elbo");
    const o = optionsOf(options, ["samples", "seed"], "elbo");
    const data = this.#data(x, "elbo(x)");
    const samples = intOption("elbo: samples", o.samples, 1, 1, MAX_LL_SAMPLES);
    return this.elboData(data, samples, seedOf("elbo: seed", o.seed, 0));
  }

  /**
   * An anomaly score per example: −ELBO in nats (higher = less like the training data). Options as `elbo`.
   *
   * @example
   * ```ts
   * const scores = vae.anomalyScore(batch, { samples: 10 });
   * ```
   */
  anomalyScore(x: Data, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("anomalyScore");
    return this.elbo(x, options).map((v) => -v);
  }

  /**
   * Decoded points on the path between two latent codes (each latentSize values) or two inputs (each inputSize
   * values, encoded to their posterior means): `steps` points, ends included, along a straight line or a
   * great-circle arc ("slerp").
   *
   * @example
   * ```ts
   * const frames = vae.interpolate(imageA, imageB, { steps: 8, method: "slerp" }); // 8 × 784
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    const za = this.#code(a, "interpolate: a"), zb = this.#code(b, "interpolate: b");
    return this.decode(interpolatePath(za, zb, o.steps, o.method));
  }

  /**
   * Decodes z with one latent dimension swept over `values` (default −3 … 3 in 7 steps): rows [values, inputSize].
   *
   * @example
   * ```ts
   * const sweep = vae.traverse(vae.encode(image).mean, 3, { values: [-2, -1, 0, 1, 2] });
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    const base = toRows(Array.from(z), this.L, "traverse: z");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: z must be one latent code of ${this.L} values; got ${base.rows} rows`);
    return this.decode(traversePoints(base.values, dim, o.values));
  }

  /**
   * For a model with 2 latent dimensions: the decoded size × size grid over [lo, hi]² (default size 10,
   * range [−2, 2]), rows [size², inputSize], z₀ increasing across each grid row, z₁ decreasing down the rows.
   *
   * @example
   * ```ts
   * const tiles = vae.latentGrid({ size: 20, range: 3 });
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    if (this.L !== 2) {
      throw new InvalidInputError(`latentGrid needs a 2-D latent space; this model has latentSize ${this.L} (use traverse() for one dimension at a time)`);
    }
    return this.decode(gridPoints(optionsOf(options, ["size", "range"], "latentGrid")).points);
  }

  /**
   * The mean over x of KL(q(z_j|x) ‖ N(0, 1)) for each latent dimension j (nats; they sum to evaluate's kl).
   *
   * @example
   * ```ts
   * const perDim = vae.klPerDimension(testX); // Float64Array [latentSize]
   * ```
   */
  klPerDimension(x: Data): Float64Array {
    this.live("klPerDimension");
    const { mean, logVar } = this.encode(x);
    return klPerDimension(mean, logVar, mean.length / this.L, this.L);
  }

  /**
   * Active units (Burda et al.): latent dimensions whose posterior mean varies over the data by more than
   * `threshold` (variance, default 0.01).
   *
   * @example
   * ```ts
   * const { count, variances } = vae.activeUnits(testX);
   * ```
   */
  activeUnits(x: Data, options: { threshold?: number } = {}): ActiveUnits {
    this.live("activeUnits");
    const o = optionsOf(options, ["threshold"], "activeUnits");
    const threshold = thresholdOf(o.threshold);
    const { mean } = this.encode(x);
    return activeUnits(mean, mean.length / this.L, this.L, threshold);
  }

  // ---- internals ----

  #data(x: unknown, what: string, unit?: boolean): LatentData {
    const r: Rows = this.rowsOf(x, what, unit);
    return { rows: r.rows, x: r.values };
  }

  /** A latent code, or an input encoded to its posterior mean. */
  #code(v: ArrayLike<number>, what: string): Float32Array {
    const values = Float32Array.from(v as ArrayLike<number>);
    if (values.length === this.L) return toRows(values, this.L, what).values;
    if (values.length === this.D) return this.encode(values).mean;
    throw new InvalidInputError(`${what} has ${values.length} values; give a latent code (${this.L} values) or an input (${this.D} values)`);
  }
}
