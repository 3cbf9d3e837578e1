// The deterministic autoencoder: code h = f(x̃) (x̃ the input, corrupted in training for a denoising autoencoder),
// reconstruction g(h) scored against the clean x by a likelihood, plus an optional sparsity penalty on h.
import { InvalidInputError } from "../errors.js";
import { seedOf, toRows, type Data } from "../io/data.js";
import { traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { Mlp } from "../nn/mlp.js";
import type { AutoencoderNets } from "./layer-nets.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor, Workspace } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { BatchStream, EpochLog, FitOptions, RowSource } from "../train/fit.js";
import { resolveAutoencoderConfig, type AutoencoderConfig, type Denoising, type ResolvedAutoencoderConfig } from "./autoencoder-config.js";
import { configFromFile, readModelFile } from "./format.js";
import { LatentModel, type LatentData } from "./latent-model.js";
import { STREAM, type EngineOptions } from "./model.js";
import type { LatentCode, ModelCapabilities } from "./model-api.js";
import { optionsOf } from "./options.js";

/**
 * An autoencoder's loss terms, means per example in nats: `loss` = reconstruction + sparsity.
 *
 * @example
 * ```ts
 * const { reconstruction, sparsity }: AutoencoderTerms = ae.evaluate(testX);
 * ```
 */
export interface AutoencoderTerms {
  loss: number;
  /** −log p(x | g(f(x̃))). */
  reconstruction: number;
  /** The sparsity penalty (0 without one); for "kl", weight·Σ_j KL(ρ ‖ ρ̂_j) with ρ̂ over the batch (evaluate: the data). */
  sparsity: number;
}

/**
 * Result of `Autoencoder.gradients`.
 *
 * @example
 * ```ts
 * const { gradients }: AutoencoderGradients = ae.gradients(batch, { seed: 1 });
 * ```
 */
export interface AutoencoderGradients extends AutoencoderTerms {
  gradients: Record<string, Float32Array>;
}

/** An encoder or decoder: an Mlp, or a layer list's Stack (loaded only for layer-list configs). */
interface Net {
  readonly output: Tensor;
  declare(ws: Workspace, rows: (d: Dims) => number): void;
  run(t: Tape, x: Tensor, rows: number, scratch?: number): Tensor;
}

/** A config with layer lists: its networks, built by a chunk loaded only then; undefined for an MLP config. */
const aeNets = async (c: unknown): Promise<AutoencoderNets | undefined> =>
  c && typeof c == "object" && ("encoder" in c || "decoder" in c || "inputShape" in c) ? (await import("./layer-nets.js")).autoencoderNets(c) : undefined;

/**
 * A deterministic autoencoder with optional sparsity (L1 on the code, or KL to a target activation ρ) and
 * denoising (masking or Gaussian noise on the training inputs). Same life cycle as VAE.
 *
 * @example
 * ```ts
 * import { Autoencoder } from "vaekit";
 * const ae = await Autoencoder.create({ inputSize: 784, hiddenSizes: [256], latentSize: 32,
 *   denoising: { type: "mask", p: 0.3 }, seed: 1 });
 * await ae.fit(trainX, { epochs: 5 });
 * const clean = ae.reconstruct(noisyX);
 * ```
 */
export class Autoencoder extends LatentModel<ResolvedAutoencoderConfig, AutoencoderTerms> {
  readonly #encoder: Net;
  readonly #decoder: Net;
  readonly #H: number;
  /** x's corruption xn, the first layer's scratch, per-row penalty, ρ̂ [H]; −log p(x|·) per row. */
  readonly #b: { xn: Tensor; xnz: Tensor; rec: Tensor; pen: Tensor; rhohat: Tensor };

  private constructor(e: Engine, cfg: ResolvedAutoencoderConfig, nets?: AutoencoderNets) {
    const layout = nets?.layout ?? new ParameterLayout();
    const encoder = nets?.encoder ?? new Mlp(layout, {
      prefix: "encoder", inSize: cfg.inputSize, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation,
      outSize: cfg.latentSize, outName: "code", outActivation: cfg.latentActivation,
    }, cfg.leakySlope);
    const decoder = nets?.decoder ?? new Mlp(layout, {
      prefix: "decoder", inSize: cfg.latentSize, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation,
      outSize: cfg.inputSize, outName: "output",
    }, cfg.leakySlope);
    const logSigma = nets ? nets.logSigma : cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", cfg.inputSize, 0).offset : -1;
    super(e, cfg, layout, "Autoencoder", 0, logSigma);
    this.#encoder = encoder;
    this.#decoder = decoder;
    const D = this.D, H = (this.#H = cfg.latentSize);
    const ws = this.ws;
    this.#b = {
      xn: ws.tensor((d) => d.B * D), xnz: ws.tensor((d) => sparseInputScratch(d.B, D)),
      rec: ws.tensor((d) => d.B), pen: ws.tensor((d) => d.B), rhohat: ws.tensor(() => H),
    };
    encoder.declare(ws, (d) => d.B);
    decoder.declare(ws, (d) => d.B);
  }

  /**
   * Creates an autoencoder (weights initialised like PyTorch's nn.Linear from `config.seed`).
   *
   * @example
   * ```ts
   * const ae = await Autoencoder.create({ inputSize: 784, latentSize: 64, latentActivation: "sigmoid",
   *   sparsity: { type: "kl", rho: 0.05, weight: 3 }, seed: 1 });
   * ```
   */
  static async create(config: AutoencoderConfig, options: EngineOptions = {}): Promise<Autoencoder> {
    const nets = await aeNets(config);
    const cfg = nets?.cfg ?? resolveAutoencoderConfig(config);
    const m = new Autoencoder(await Autoencoder.engineFor(options, undefined, cfg, nets), cfg, nets);
    m.initialise();
    return m;
  }

  /**
   * Loads an Autoencoder written by `save()` (ModelFormatError for anything else).
   *
   * @example
   * ```ts
   * const ae = await Autoencoder.load(bytes);
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<Autoencoder> {
    const file = await readModelFile(bytes, "Autoencoder");
    const nets = await aeNets(file.config).catch((e: unknown) => configFromFile((): never => { throw e; }));
    const cfg = nets?.cfg ?? configFromFile(() => resolveAutoencoderConfig(file.config));
    return new Autoencoder(await Autoencoder.engineFor(options, file, cfg, nets), cfg, nets).restore(file);
  }

  /**
   * Trains the autoencoder (corrupting the inputs when configured as denoising); options as `VAE.fit`.
   *
   * @example
   * ```ts
   * const history = await ae.fit(trainX, { epochs: 5, batchSize: 64 });
   * ```
   */
  fit(x: Data | RowSource<Data> | BatchStream<Data>, options?: FitOptions<AutoencoderTerms>): Promise<EpochLog<AutoencoderTerms>[]> {
    return this.train(() => this.target(), x, options);
  }

  /**
   * Mean terms per example on clean inputs (no corruption); the KL sparsity penalty uses ρ̂ over all of x.
   *
   * @example
   * ```ts
   * const { reconstruction } = ae.evaluate(testX);
   * ```
   */
  evaluate(x: Data): AutoencoderTerms {
    this.live("evaluate");
    return this.evaluateData(this.#data(x, "evaluate(x)"));
  }

  /**
   * The code h = f(x) of each example, [n, latentSize].
   *
   * @example
   * ```ts
   * const codes = ae.encode(testX);
   * ```
   */
  encode(x: Data): Float32Array {
    this.live("encode");
    const data = this.#data(x, "encode(x)"), H = this.#H;
    const out = new Float32Array(data.rows * H);
    this.encodeRows(data, (t, start, rows) => out.set(this.e.f32(this.#encoder.run(t, this.x, rows, this.#b.xnz.ptr).ptr, rows * H), start * H));
    return out;
  }

  /**
   * Decodes codes [n, latentSize] to the likelihood's mean.
   *
   * @example
   * ```ts
   * const images = ae.decode(codes);
   * ```
   */
  decode(code: Data): Float32Array {
    this.live("decode");
    const H = this.#H;
    const data = toRows(code, H, "decode(code)");
    this.fits("decode", data.rows, true);
    return this.decodeWith(data.rows, undefined, (_t, start, rows) => this.e.write(this.#encoder.output.ptr, data.values.subarray(start * H, (start + rows) * H)));
  }

  /**
   * g(f(x)): the reconstruction of each (possibly corrupted) input, as the likelihood's mean.
   *
   * @example
   * ```ts
   * const restored = ae.reconstruct(ae.corrupt(testX, { seed: 1 }));
   * ```
   */
  reconstruct(x: Data): Float32Array {
    this.live("reconstruct");
    const data = this.#data(x, "reconstruct(x)");
    return this.decodeWith(data.rows, undefined, (t, start, rows) => {
      this.putRows(data, start, rows);
      this.#encoder.run(t, this.x, rows, this.#b.xnz.ptr);
    });
  }

  /**
   * Applies corruption to x: the model's denoising noise, or `noise` if given (e.g. to corrupt test data for a
   * plain autoencoder). Seeded per row (default seed 0): the same rows get the same noise whatever the batching.
   *
   * @example
   * ```ts
   * const noisy = ae.corrupt(testX, { seed: 1, noise: { type: "mask", p: 0.5 } });
   * ```
   */
  corrupt(x: Data, options: { seed?: number; noise?: Denoising } = {}): Float32Array {
    this.live("corrupt");
    const o = optionsOf(options, ["seed", "noise"], "corrupt");
    const noise = o.noise === undefined ? this.cfg.denoising : resolveAutoencoderConfig({ inputSize: 1, latentSize: 1, denoising: o.noise, seed: 0 }).denoising;
    if (!noise) throw new InvalidInputError("corrupt: this autoencoder has no denoising noise; pass { noise: { type: \"mask\", p } } or { type: \"gaussian\", sigma }");
    const data = this.#data(x, "corrupt(x)", false);
    const seed = seedOf("corrupt: seed", o.seed, 0);
    const D = this.D;
    const out = new Float32Array(data.x.length);
    this.chunks(data.rows, 1, false, (start, rows) => {
      this.putRows(data, start, rows);
      this.#corruptRows(rows, noise, seed, STREAM.corrupt, start);
      out.set(this.e.f32(this.#b.xn.ptr, rows * D), start * D);
    });
    return out;
  }

  /**
   * The gradient of the summed objective (reconstruction of the clean x from the input corrupted as
   * `corrupt(x, { seed })` does, when denoising, + the sparsity penalty over the whole batch), without changing
   * the model.
   *
   * @example
   * ```ts
   * const { loss, gradients } = ae.gradients(batch, { seed: 1 });
   * ```
   */
  gradients(x: Data, options: { seed?: number } = {}): AutoencoderGradients {
    this.live("gradients");
    const data = this.#data(x, "gradients(x)");
    const seed = seedOf("gradients: seed", optionsOf(options, ["seed"], "gradients").seed, 0);
    const n = data.rows;
    this.fits("gradients(x)", n);
    this.ws.layout({ B: n, K: 1, multi: false, total: 0 }); // one batch: the KL penalty is a function of the whole batch
    this.putRows(data, 0, n);
    if (this.cfg.denoising) this.#corruptRows(n, this.cfg.denoising, seed, STREAM.corrupt, 0);
    this.e.k.zero_f32(this.grads, this.nParams);
    const t = this.objective(n, 1, 1);
    return { ...t, gradients: this.gradientTensors() };
  }

  /**
   * An anomaly score per example: the reconstruction's negative log-likelihood −log p(x | g(f(x))) in nats.
   *
   * @example
   * ```ts
   * const scores = ae.anomalyScore(batch);
   * ```
   */
  anomalyScore(x: Data): Float64Array {
    this.live("anomalyScore");
    const data = this.#data(x, "anomalyScore(x)");
    const out = new Float64Array(data.rows);
    this.chunks(data.rows, 1, false, (start, rows) => {
      this.putRows(data, start, rows);
      this.#forward(rows, this.x, 0);
      out.set(this.e.f32(this.#b.rec.ptr, rows), start);
    });
    return out;
  }

  /** A deterministic code: no posterior, prior or likelihood of x. */
  get capabilities(): ModelCapabilities {
    return this.caps(this.D, 0, { code: this.#H }, false);
  }

  protected codeOf(code: Float32Array): LatentCode {
    return { mean: code };
  }

  /**
   * Each code unit's mean activation over x (ρ̂ of the KL sparsity penalty), [latentSize].
   *
   * @example
   * ```ts
   * const rhoHat = ae.meanActivation(testX);
   * ```
   */
  meanActivation(x: Data): Float64Array {
    this.live("meanActivation");
    const codes = this.encode(x);
    const H = this.#H, n = codes.length / H;
    const out = new Float64Array(H);
    for (let r = 0; r < n; r++) for (let j = 0; j < H; j++) out[j] += codes[r * H + j];
    return out.map((v) => v / n);
  }

  /**
   * Decoded points between two codes (latentSize values each) or two inputs (encoded first).
   *
   * @example
   * ```ts
   * const frames = ae.interpolate(imageA, imageB, { steps: 8 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    return this.decode(interpolatePath(this.#code(a, "interpolate: a"), this.#code(b, "interpolate: b"), o.steps, o.method));
  }

  /**
   * Decodes a code with one unit swept over `values` (default −3 … 3 in 7 steps).
   *
   * @example
   * ```ts
   * const sweep = ae.traverse(ae.encode(image), 0, { values: [0, 0.5, 1] });
   * ```
   */
  traverse(code: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    const base = toRows(Array.from(code), this.#H, "traverse: code");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: give one code of ${this.#H} values`);
    return this.decode(traversePoints(base.values, dim, o.values));
  }

  // ---- internals ----

  #data(x: unknown, what: string, unit?: boolean): LatentData {
    const r = this.rowsOf(x, what, unit);
    return { rows: r.rows, x: r.values };
  }

  #code(v: ArrayLike<number>, what: string): Float32Array {
    const values = Float32Array.from(v);
    if (values.length === this.#H) return toRows(values, this.#H, what).values;
    if (values.length === this.D) return this.encode(values);
    throw new InvalidInputError(`${what} has ${values.length} values; give a code (${this.#H} values) or an input (${this.D} values)`);
  }

  /** xn = corrupted x, rows at stream counters [offset, offset + rows) (per row, so batching doesn't matter). */
  #corruptRows(rows: number, noise: Denoising, seed: number, stream: number, offset: number): void {
    const D = this.D, per = Math.ceil(D / 4), x = this.x, { xn } = this.#b;
    const call = (out: number, x: number, n: number, row: number) => {
      const c = row * per;
      const c0 = c % 2 ** 32, c1 = Math.floor(c / 2 ** 32);
      if (noise.type === "mask") this.e.k.mask_noise(out, x, n, noise.p, seed, stream, c0, c1);
      else this.e.k.gaussian_noise(out, x, n, noise.sigma, seed, stream, c0, c1);
    };
    if (D % 4 === 0) call(xn.ptr, x.ptr, rows * D, offset);
    else for (let r = 0; r < rows; r++) call(xn.ptr + r * D * 4, x.ptr + r * D * 4, D, offset + r);
  }

  // ---- the graph, for the shared implementation ----

  /** The decoder on the code in the encoder's output tensor. */
  protected generate(t: Tape, rows: number): Tensor {
    return this.#decoder.run(t, this.#encoder.output, rows);
  }

  /** Training noise: the denoising corruption of the batch (its own stream, per row), when configured. */
  protected trainNoise(rows: number): void {
    const noise = this.cfg.denoising, per = Math.ceil(this.D / 4);
    if (!noise) return;
    const c = this.trainBlocks[STREAM.trainNoise] ?? 0;
    this.#corruptRows(rows, noise, this.cfg.seed, STREAM.trainNoise, c / per);
    this.trainBlocks[STREAM.trainNoise] = c + rows * per;
  }

  /** Mean terms per example on clean inputs (no corruption); the KL sparsity penalty uses ρ̂ over all of x. */
  protected evaluateData(data: LatentData): AutoencoderTerms {
    let rec = 0, l1 = 0;
    const act = new Float64Array(this.#H);
    this.chunks(data.rows, 1, false, (start, rows) => {
      this.putRows(data, start, rows);
      const penalty = this.#forward(rows, this.x, 0, act);
      rec += this.sumAt(this.#b.rec.ptr, rows);
      l1 += penalty();
    });
    const n = data.rows;
    const sparsity = this.cfg.sparsity?.type === "kl" ? this.#klPenalty(act.map((v) => v / n)) : l1 / n;
    return { loss: rec / n + sparsity, reconstruction: rec / n, sparsity };
  }

  /**
   * Encoder on `input`, the sparsity penalty of the code, decoder, likelihood against the clean x (out's gradient
   * written when gradScale ≠ 0; the backward steps stay on the tape). Returns the penalty's value (summed over the
   * rows; read it after the backward pass in training, where the penalty's fused kernel runs as a backward step).
   */
  #forward(rows: number, input: Tensor, gradScale: number, act?: Float64Array): () => number {
    const t = this.pass(gradScale);
    const h = this.#encoder.run(t, input, rows, this.#b.xnz.ptr);
    const penalty = this.#penalty(t, h, rows, act);
    const out = this.#decoder.run(t, h, rows);
    this.lik.nll(t, this.#b.rec, out, this.x, rows);
    return penalty;
  }

  /**
   * The sparsity penalty of `rows` codes h: summed over the rows (l1: Σ_b weight·Σ|h|; kl: rows × the batch's
   * weight·Σ_j KL(ρ ‖ ρ̂_j), so it weighs like a per-example term). In a training pass its fused kernel runs as the
   * backward step after the decoder's (it adds into h's gradient, which the decoder wrote). `act`, when given,
   * accumulates the codes' column sums (ρ̂ over many chunks).
   */
  #penalty(t: Tape, h: Tensor, rows: number, act?: Float64Array): () => number {
    const s = this.cfg.sparsity, b = this.#b, H = this.#H;
    if (!s) return () => 0;
    let value = 0;
    const run = (dh: number): void => {
      if (s.type === "l1") {
        this.e.k.sparsity_l1_loss(dh, b.pen.ptr, h.ptr, rows, H, s.weight, t.scale);
        value = this.sumAt(b.pen.ptr, rows);
        return;
      }
      value = this.e.k.sparsity_kl_loss(dh, b.rhohat.ptr, h.ptr, rows, H, s.rho, s.weight, t.scale * rows) * rows;
      if (act) {
        const r = this.e.f32(b.rhohat.ptr, H);
        for (let j = 0; j < H; j++) act[j] += r[j] * rows;
      }
    };
    if (t.scale) t.record(() => run(t.acc(h.grad!, rows * H)));
    else run(0);
    return () => value;
  }

  /** weight·Σ_j KL(ρ ‖ ρ̂_j) for given mean activations. */
  #klPenalty(rhoHat: Float64Array): number {
    const s = this.cfg.sparsity;
    if (!s || s.type !== "kl") return 0;
    const rho = s.rho;
    let t = 0;
    for (const q of rhoHat) t += rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q));
    return s.weight * t;
  }

  /** Forward and backward of one batch (input already in xn when denoising); gradients accumulate. */
  protected objective(rows: number, _K: number, gradScale: number): AutoencoderTerms {
    const penalty = this.#forward(rows, this.cfg.denoising ? this.#b.xn : this.x, gradScale);
    this.tape.backward();
    const sparsity = penalty();
    const reconstruction = this.sumAt(this.#b.rec.ptr, rows);
    return { loss: reconstruction + sparsity, reconstruction, sparsity };
  }

  /** Layer lists with batch norm after a dense layer need 2 rows per batch (a Stack knows; an Mlp has no minimum). */
  protected minRows(): number {
    return Math.max((this.#encoder as { minRows?: number }).minRows ?? 1, (this.#decoder as { minRows?: number }).minRows ?? 1);
  }
}
