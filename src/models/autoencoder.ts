// The deterministic autoencoder: code h = f(x̃) (x̃ the input, corrupted in training for a denoising autoencoder),
// reconstruction g(h) scored against the clean x by a likelihood, plus an optional sparsity penalty on h.
import { InvalidInputError } from "../errors.js";
import { seedOf, toRows, type Data, type Rows } from "../io/data.js";
import { traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { Mlp } from "../nn/mlp.js";
import type { AutoencoderNets } from "./layer-nets.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor, Workspace } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { BatchStream, Dataset, EpochLog, FitOptions, RowSource, TrainingTarget } from "../train/fit.js";
import { resolveAutoencoderConfig, type AutoencoderConfig, type Denoising, type ResolvedAutoencoderConfig } from "./autoencoder-config.js";
import { configFromFile, readModelFile } from "./format.js";
import { LikelihoodHead } from "./likelihood.js";
import { CHUNK, cbern, Model, STREAM, type EngineOptions } from "./model.js";
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

interface AeData extends Dataset {
  readonly x: Float32Array;
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
export class Autoencoder extends Model<ResolvedAutoencoderConfig, AutoencoderTerms> {
  readonly #encoder: Net;
  readonly #decoder: Net;
  readonly #lik: LikelihoodHead;
  readonly #D: number;
  readonly #H: number;
  /** x, its corruption xn, the first layer's scratch, per-row −log p(x|·) and penalty, ρ̂ [H], likelihood scratch [D]. */
  readonly #b: { x: Tensor; xn: Tensor; xnz: Tensor; rec: Tensor; pen: Tensor; rhohat: Tensor; uni: Tensor };

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
    super(e, cfg, layout, "Autoencoder");
    this.#encoder = encoder;
    this.#decoder = decoder;
    this.#lik = new LikelihoodHead(cfg, cfg.inputSize, logSigma);
    const D = (this.#D = cfg.inputSize), H = (this.#H = cfg.latentSize);
    const ws = this.ws;
    this.#b = {
      x: ws.tensor((d) => d.B * D), xn: ws.tensor((d) => d.B * D), xnz: ws.tensor((d) => sparseInputScratch(d.B, D)),
      rec: ws.tensor((d) => d.B), pen: ws.tensor((d) => d.B), rhohat: ws.tensor(() => H), uni: ws.tensor(() => D),
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
    const m = new Autoencoder(await Model.engine(options, undefined, nets?.ext || cbern(cfg)), cfg, nets);
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
    return new Autoencoder(await Model.engine(options, file, nets?.ext || cbern(cfg)), cfg, nets).restore(file);
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
    return this.train(() => this.#target(), x, options);
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
    const data = this.#rows(x, "evaluate(x)");
    let rec = 0, l1 = 0;
    const act = new Float64Array(this.#H);
    const b = this.#b;
    this.#chunks(data.rows, (start, rows) => {
      this.e.write(b.x.ptr, data.values.subarray(start * this.#D, (start + rows) * this.#D));
      const penalty = this.#forward(rows, b.x, 0, act);
      rec += this.sumAt(b.rec.ptr, rows);
      l1 += penalty();
    });
    const n = data.rows;
    const sparsity = this.cfg.sparsity?.type === "kl" ? this.#klPenalty(act.map((v) => v / n)) : l1 / n;
    return { loss: rec / n + sparsity, reconstruction: rec / n, sparsity };
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
    const data = this.#rows(x, "encode(x)");
    const H = this.#H, D = this.#D;
    const out = new Float32Array(data.rows * H);
    const b = this.#b;
    this.#chunks(data.rows, (start, rows) => {
      this.e.write(b.x.ptr, data.values.subarray(start * D, (start + rows) * D));
      const h = this.#encoder.run(this.pass(0), b.x, rows, b.xnz.ptr);
      out.set(this.e.f32(h.ptr, rows * H), start * H);
    });
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
    return this.#decodeWith(data.rows, (start, rows) => this.e.write(this.#encoder.output.ptr, data.values.subarray(start * H, (start + rows) * H)));
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
    const data = this.#rows(x, "reconstruct(x)");
    const D = this.#D;
    const b = this.#b;
    return this.#decodeWith(data.rows, (start, rows) => {
      this.e.write(b.x.ptr, data.values.subarray(start * D, (start + rows) * D));
      this.#encoder.run(this.pass(0), b.x, rows, b.xnz.ptr);
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
    const data = this.#rows(x, "corrupt(x)", false);
    const seed = seedOf("corrupt: seed", o.seed, 0);
    const D = this.#D;
    const out = new Float32Array(data.values.length);
    const b = this.#b;
    this.#chunks(data.rows, (start, rows) => {
      this.e.write(b.x.ptr, data.values.subarray(start * D, (start + rows) * D));
      this.#corruptRows(rows, noise, seed, STREAM.corrupt, start);
      out.set(this.e.f32(b.xn.ptr, rows * D), start * D);
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
    const data = this.#rows(x, "gradients(x)");
    const seed = seedOf("gradients: seed", optionsOf(options, ["seed"], "gradients").seed, 0);
    const n = data.rows;
    this.fits("gradients(x)", n);
    this.#lay(n); // one batch: the KL penalty is a function of the whole batch
    this.e.write(this.#b.x.ptr, data.values);
    if (this.cfg.denoising) this.#corruptRows(n, this.cfg.denoising, seed, STREAM.corrupt, 0);
    this.e.k.zero_f32(this.grads, this.nParams);
    const t = this.#forwardBackward(n, 1);
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
    const data = this.#rows(x, "anomalyScore(x)");
    const out = new Float64Array(data.rows);
    const b = this.#b;
    this.#chunks(data.rows, (start, rows) => {
      this.e.write(b.x.ptr, data.values.subarray(start * this.#D, (start + rows) * this.#D));
      this.#forward(rows, b.x, 0);
      out.set(this.e.f32(b.rec.ptr, rows), start);
    });
    return out;
  }

  /** A deterministic code: no posterior, prior or likelihood of x. */
  get capabilities(): ModelCapabilities {
    return this.caps(this.#D, 0, { code: this.#H }, false);
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

  #rows(x: unknown, what: string, unit = this.#lik.unitData): Rows {
    return toRows(x, this.#D, what, unit, unit ? (this.#lik.unitData ? this.#lik.unitHint : " for dynamic binarization") : "", this.scan);
  }

  #code(v: ArrayLike<number>, what: string): Float32Array {
    const values = Float32Array.from(v);
    if (values.length === this.#H) return toRows(values, this.#H, what).values;
    if (values.length === this.#D) return this.encode(values);
    throw new InvalidInputError(`${what} has ${values.length} values; give a code (${this.#H} values) or an input (${this.#D} values)`);
  }

  /** Lays the workspace out for `rows` rows. */
  #lay(rows: number): void {
    this.ws.layout({ B: rows, K: 1, multi: false, total: 0 });
  }

  #chunks(n: number, body: (start: number, rows: number) => void): void {
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), body, CHUNK);
  }

  /** xn = corrupted x, rows at stream counters [offset, offset + rows) (per row, so batching doesn't matter). */
  #corruptRows(rows: number, noise: Denoising, seed: number, stream: number, offset: number): void {
    const D = this.#D, per = Math.ceil(D / 4), { x, xn } = this.#b;
    const call = (out: number, x: number, n: number, row: number) => {
      const c = row * per;
      const c0 = c % 2 ** 32, c1 = Math.floor(c / 2 ** 32);
      if (noise.type === "mask") this.e.k.mask_noise(out, x, n, noise.p, seed, stream, c0, c1);
      else this.e.k.gaussian_noise(out, x, n, noise.sigma, seed, stream, c0, c1);
    };
    if (D % 4 === 0) call(xn.ptr, x.ptr, rows * D, offset);
    else for (let r = 0; r < rows; r++) call(xn.ptr + r * D * 4, x.ptr + r * D * 4, D, offset + r);
  }

  /** Decodes n codes, written by fillCode into the encoder's output tensor, to the likelihood's mean. */
  #decodeWith(n: number, fillCode: (start: number, rows: number) => void): Float32Array {
    const D = this.#D;
    const out = new Float32Array(n * D);
    this.#chunks(n, (start, rows) => {
      fillCode(start, rows);
      const y = this.#decoder.run(this.pass(0), this.#encoder.output, rows);
      this.#lik.mean(this.e, y.ptr, rows);
      out.set(this.e.f32(y.ptr, rows * D), start * D);
    });
    return out;
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
    this.#lik.nll(t, this.#b.rec, out, this.#b.x, rows);
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
  #forwardBackward(rows: number, gradScale: number): AutoencoderTerms {
    const b = this.#b;
    const penalty = this.#forward(rows, this.cfg.denoising ? b.xn : b.x, gradScale);
    this.tape.backward();
    const sparsity = penalty();
    const reconstruction = this.sumAt(b.rec.ptr, rows);
    return { loss: reconstruction + sparsity, reconstruction, sparsity };
  }

  #target(): TrainingTarget<AutoencoderTerms, AeData> {
    const D = this.#D;
    let capacity = 1;
    let binarize: number | undefined;
    const b = this.#b;
    const ws = (): void => this.#lay(capacity);
    return {
      ...this.targetBase(),
      validate: (data, what, unit) => {
        const r = this.#rows(data, what, this.#lik.unitData || unit);
        return { rows: r.rows, x: r.values };
      },
      // layer lists with batch norm after a dense layer need 2 rows per batch (a Stack knows; an Mlp has no minimum)
      minRows: Math.max((this.#encoder as { minRows?: number }).minRows ?? 1, (this.#decoder as { minRows?: number }).minRows ?? 1),
      batchInput: (rows, o) => {
        capacity = rows;
        binarize = o.binarizeSeed;
        ws();
        return (r, data, src, epoch, index, total) => {
          ws();
          this.writeTrainingRow(b.x, b.uni, r, data.x, data.rows, D, src, epoch, binarize, index, total);
        };
      },
      forwardBackward: (rows, gradScale) => {
        ws();
        const noise = this.cfg.denoising;
        if (noise) {
          const c = this.trainBlocks[STREAM.trainNoise] ?? 0;
          this.#corruptRows(rows, noise, this.cfg.seed, STREAM.trainNoise, c / Math.ceil(D / 4));
          this.trainBlocks[STREAM.trainNoise] = c + rows * Math.ceil(D / 4);
        }
        this.e.k.zero_f32(this.grads, this.nParams);
        return this.#forwardBackward(rows, gradScale);
      },
      evaluate: (data) => this.evaluate(data.x),
    };
  }
}
