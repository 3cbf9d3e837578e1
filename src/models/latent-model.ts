// The shared implementation of every encoder–decoder model (VAE, ConditionalVAE, HierarchicalVAE, Autoencoder): the
// data and label rows, the noise streams, chunking and bounded-memory importance sampling, and encode / decode /
// sample / evaluate / gradients / logLikelihood / elbo and the training target over them. A model supplies its graph:
// the training objective on a batch of B examples × K samples, log w per sample (models with a prior and a
// likelihood), what its encoder gives per latent layer, how a latent input is decoded, and how the prior is drawn.
import { InvalidInputError } from "../errors.js";
import { toRows, type Rows } from "../io/data.js";
import { logMeanExp } from "../nn/repeat.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { Dataset, Terms, TrainingTarget } from "../train/fit.js";
import type { ModelFile, ModelKind } from "./format.js";
import { sampleBlocks } from "./importance.js";
import { LikelihoodHead } from "./likelihood.js";
import { CHUNK, Model, STREAM, type EngineOptions } from "./model.js";
import type { ParameterLayout } from "../nn/dense.js";
import type { LikelihoodChoice } from "./config-checks.js";

/** Training and evaluation data of a latent model: x rows and (conditional models) one-hot label rows. */
export interface LatentData extends Dataset {
  readonly x: Float32Array;
  readonly y?: Float32Array;
}

/**
 * The posterior q(z|x) = N(mean, exp(logVar)) of each example, row-major [n, latentSize].
 *
 * @example
 * ```ts
 * const { mean, logVar }: Encoding = vae.encode(x);
 * ```
 */
export interface Encoding {
  mean: Float32Array;
  logVar: Float32Array;
}

/**
 * Result of `gradients`: sums over the batch, and the gradient of `loss` per tensor (PyTorch layout).
 *
 * @example
 * ```ts
 * const { loss, gradients }: GradientResult = vae.gradients(batch, { seed: 1 });
 * ```
 */
export interface GradientResult {
  /** Σ over the batch of the training objective (reconstruction + β·kl for the ELBO; −bound for IWAE). */
  loss: number;
  reconstruction: number;
  kl: number;
  gradients: Record<string, Float32Array>;
}

/**
 * Options of `logLikelihood`.
 *
 * @example
 * ```ts
 * const o: LogLikelihoodOptions = { samples: 5000, seed: 1, batchSize: 2048 };
 * ```
 */
export interface LogLikelihoodOptions {
  /** Importance samples k per example (1 … 100 000). Default 1000. */
  samples?: number;
  /** Seed of the samples. Default 0. */
  seed?: number;
  /** Decoder rows per kernel call (examples × samples): bounds memory. Default 1024. */
  batchSize?: number;
}

export const DEFAULT_LL_SAMPLES = 1000;
export const MAX_LL_SAMPLES = 100_000;
const DEFAULT_BLOCK = 1024;

/** What the shared implementation reads of a latent model's config. */
export interface LatentConfig extends LikelihoodChoice {
  readonly seed: number;
  readonly inputSize: number;
  readonly objective?: string;
  readonly samples?: number;
}

/** Whether a config's likelihood needs the EXT kernels (the continuous Bernoulli's live in dist/vaekit-ext.wasm). */
const extLikelihood = (cfg: LatentConfig): boolean => cfg.likelihood === "continuous-bernoulli";

/** Adds loss terms into running sums (f64, from 0, in call order): the sums, made at the first call. */
function addTerms<T extends Terms>(sums: T | undefined, t: T): T {
  if (!sums) {
    sums = { ...t };
    for (const k of Object.keys(t) as (keyof T)[]) (sums[k] as number) = 0;
  }
  for (const k of Object.keys(t) as (keyof T)[]) (sums[k] as number) += t[k] as number;
  return sums;
}

export abstract class LatentModel<C extends LatentConfig, T extends Terms> extends Model<C, T> {
  protected readonly lik: LikelihoodHead;
  /** Width of the conditioning label (0: unconditional). */
  protected readonly classes: number;
  protected readonly D: number;
  /** x [B, D], labels y [B, C], the likelihood's scratch [D]. */
  protected readonly x: Tensor;
  protected readonly y: Tensor;
  protected readonly uni: Tensor;
  /**
   * k-sample passes (Dims.multi): log w [R], its normalized weights [R], log-mean-exp (f64) [B]; a whole
   * log-likelihood estimate's log w, weights and results (Dims.total samples per example).
   */
  protected readonly logw: Tensor;
  protected readonly wts: Tensor;
  protected readonly lme: Tensor;
  readonly #all: { logw: Tensor; w: Tensor; lme: Tensor };
  /** The ε tensors of a pass, [B·K rows, width] each: noise i draws from its purpose's stream + i·STREAM.second. */
  protected noise: readonly { tensor: Tensor; width: number }[] = [];

  protected constructor(e: Engine, cfg: C, layout: ParameterLayout, kind: ModelKind, classes: number, logSigma: number) {
    super(e, cfg, layout, kind);
    const D = (this.D = cfg.inputSize), C = (this.classes = classes);
    this.lik = new LikelihoodHead(cfg, D, logSigma);
    const ws = this.ws;
    const multi = (n: (d: Dims) => number) => (d: Dims): number => (d.multi ? n(d) : 0);
    const all = (d: Dims): number => (d.total ? Math.max(d.B * d.total, d.total) : 0);
    this.x = ws.tensor((d) => d.B * D);
    this.y = ws.tensor((d) => d.B * C);
    this.uni = ws.tensor(() => D);
    this.logw = ws.tensor(multi((d) => d.B * d.K));
    this.wts = ws.tensor(multi((d) => d.B * d.K));
    this.lme = ws.tensor(multi((d) => 2 * d.B));
    this.#all = { logw: ws.tensor(all), w: ws.tensor(all), lme: ws.tensor((d) => (d.total ? 2 * d.B : 0)) };
  }

  /**
   * The engine of a new or loaded latent model, the one place that decides its kernels: the EXT build when a layer
   * of its networks (`nets.ext`) or its likelihood (the continuous Bernoulli) calls EXT kernels.
   */
  protected static engineFor(options: EngineOptions, file: ModelFile | undefined, cfg: LatentConfig, nets?: { ext: boolean }): Promise<Engine> {
    return Model.engine(options, file, nets?.ext || extLikelihood(cfg));
  }

  // ---- what a model's graph provides ----

  /** The training objective on B examples × K samples (x, labels and noise in place), summed; backward when gradScale ≠ 0. */
  protected abstract objective(B: number, K: number, gradScale: number): T;

  /** log w per (example, sample) row into `logw` (f32, byte pointer) for B examples × K samples, noise in place. */
  protected logWeights(_B: number, _K: number, _logw: number): void {
    throw new Error(`vaekit internal: ${this.kind} has no importance weights`);
  }

  /** The generative network on its latent input (filled by the caller): the likelihood's parameters [rows, D]. */
  protected abstract generate(t: Tape, rows: number): Tensor;

  /** Draws the prior into the generative network's latent input: `rows` rows at counter `row` of the sample stream. */
  protected drawPrior(_t: Tape, _rows: number, _seed: number, _row: number): void {
    throw new Error(`vaekit internal: ${this.kind} has no prior`);
  }

  // ---- data ----

  protected rowsOf(x: unknown, what: string, unit = this.lik.unitData): Rows {
    return toRows(x, this.D, what, unit, unit ? (this.lik.unitData ? this.lik.unitHint : " for dynamic binarization") : "", this.scan);
  }

  /** Checks fit's data (`unit`: dynamic binarization needs [0, 1]); a conditional model's holds labels too. */
  protected validateData(data: unknown, what: string, unit: boolean): LatentData {
    const r = this.rowsOf(data, what, this.lik.unitData || unit);
    return { rows: r.rows, x: r.values };
  }

  /** True when training and evaluate use the k-sample path (IWAE, or an ELBO averaged over several samples). */
  protected get multiSample(): boolean {
    return this.cfg.objective === "iwae" || (this.cfg.samples ?? 1) > 1;
  }

  /** Samples per example of training, evaluate and gradients. */
  protected get K(): number {
    return this.multiSample ? this.cfg.samples! : 1;
  }

  /** Whether those passes need the k-sample tensors (log w and its weights). */
  protected get multi(): boolean {
    return this.multiSample;
  }

  /** Runs `body` over chunks of at most `chunk` examples, the workspace laid out for the first (largest) one. */
  protected chunks(n: number, K: number, multi: boolean, body: (start: number, rows: number) => void, chunk = CHUNK): void {
    this.ws.chunks(n, (B) => ({ B, K, multi, total: 0 }), body, chunk);
  }

  /** Writes rows [start, start + rows) of x (and y) into the batch tensors. */
  protected putRows(data: LatentData, start: number, rows: number): void {
    const { D, classes: C } = this;
    this.e.write(this.x.ptr, data.x.subarray(start * D, (start + rows) * D));
    if (C) this.e.write(this.y.ptr, data.y!.subarray(start * C, (start + rows) * C));
  }

  /** Evaluation noise for rows [offset, offset + R) of the (example, sample) sequence. */
  protected evalNoise(R: number, seed: number, offset: number): void {
    this.noise.forEach((n, i) => this.normals(n.tensor.ptr, R, n.width, seed, STREAM.evaluate + i * STREAM.second, offset));
  }

  /** Training noise for a batch of `rows` examples × K samples: continues the model's own streams. */
  protected trainNoise(rows: number, K: number): void {
    this.noise.forEach((n, i) => this.trainNormals(n.tensor.ptr, rows * K * n.width, STREAM.train + i * STREAM.second));
  }

  // ---- the shared calls ----

  /** Mean objective terms per example with the evaluate stream's noise (row r of the data: counters of row r). */
  protected evaluateData(data: LatentData, seed: number): T {
    const K = this.K;
    let sums: T | undefined;
    this.chunks(data.rows, K, this.multi, (start, rows) => {
      this.putRows(data, start, rows);
      this.evalNoise(rows * K, seed, start * K);
      sums = addTerms(sums, this.objective(rows, K, 0));
    }, Math.max(1, Math.floor(CHUNK / K)));
    const n = data.rows;
    const out = { ...sums! };
    for (const k of Object.keys(out) as (keyof T)[]) (out[k] as number) /= n;
    return out;
  }

  /**
   * Gradient of the summed objective, the noise given (`epsilon[i]`: [n·K, width] rows of noise i) or drawn like
   * evaluate's; the model is unchanged.
   */
  protected gradientsData(data: LatentData, epsilon: readonly Rows[] | undefined, seed: number): T & { gradients: Record<string, Float32Array> } {
    const K = this.K;
    this.e.k.zero_f32(this.grads, this.nParams);
    let sums: T | undefined;
    this.chunks(data.rows, K, this.multi, (start, rows) => {
      this.putRows(data, start, rows);
      if (epsilon) {
        this.noise.forEach((n, i) => this.e.write(n.tensor.ptr, epsilon[i].values.subarray(start * K * n.width, (start + rows) * K * n.width)));
      } else this.evalNoise(rows * K, seed, start * K);
      sums = addTerms(sums, this.objective(rows, K, 1));
    }, Math.max(1, Math.floor(CHUNK / K)));
    return { ...sums!, gradients: this.gradientTensors() };
  }

  /** Checks given ε rows against x's examples × the training samples K (example-major). */
  protected epsilonRows(eps: Rows, examples: number, what = "epsilon"): void {
    const K = this.K;
    if (eps.rows !== examples * K) {
      throw new InvalidInputError(
        `gradients: ${what} has ${eps.rows} rows but x has ${examples}` +
          (K > 1 ? ` examples × ${K} samples = ${examples * K}; give one ε row per example and sample (example-major)` : "; give one ε row per example"),
      );
    }
  }

  /**
   * Per example: log p(x) estimated by log mean_k w_k over k importance samples from q (IWAE's bound L_k, which rises
   * towards log p(x) as k grows), computed in blocks of at most `block` decoder rows.
   */
  protected logLikelihoodData(data: LatentData, samples: number, seed: number, block: number): Float64Array {
    const K = samples, a = this.#all;
    const out = new Float64Array(data.rows);
    const rowsMax = Math.min(block, Math.max(K, 1) * CHUNK);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(rowsMax / K)));
    const kMax = Math.min(K, rowsMax);
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      this.ws.layout({ B, K: kMax, multi: true, total: K });
      if (blk.k0 === 0) this.putRows(data, blk.start, blk.examples);
      this.evalNoise(blk.examples * blk.samples, seed, blk.start * K + blk.k0);
      this.logWeights(blk.examples, blk.samples, a.logw.ptr + blk.k0 * 4);
      if (blk.k0 + blk.samples === K) out.set(logMeanExp(this.tape, a.lme.ptr, a.w.ptr, a.logw.ptr, blk.examples, K), blk.start);
    }
    return out;
  }

  /** Per example: the ELBO averaged over `samples` draws (evaluate's noise for sample 0). */
  protected elboData(data: LatentData, samples: number, seed: number): Float64Array {
    const K = samples;
    const out = new Float64Array(data.rows);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(DEFAULT_BLOCK / K)));
    const kMax = Math.min(K, DEFAULT_BLOCK);
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      this.ws.layout({ B, K: kMax, multi: true, total: 0 });
      if (blk.k0 === 0) this.putRows(data, blk.start, blk.examples);
      this.evalNoise(blk.examples * blk.samples, seed, blk.start * K + blk.k0);
      this.logWeights(blk.examples, blk.samples, this.logw.ptr);
      this.elboRows(blk.start, blk.examples, blk.samples, blk.k0 + blk.samples === K, K, out);
    }
    return out;
  }

  /**
   * Adds a block's share of the ELBO (`samples` samples of examples start …) into out: by default every term
   * sampled, mean over the K samples of log w.
   */
  protected elboRows(start: number, examples: number, samples: number, _last: boolean, K: number, out: Float64Array): void {
    const lw = this.e.f32(this.logw.ptr, examples * samples);
    for (let i = 0; i < examples; i++) {
      let s = 0;
      for (let j = 0; j < samples; j++) s += lw[i * samples + j];
      out[start + i] += s / K;
    }
  }

  /** Runs `run` on every row of data in chunks (inference passes, x and labels in place), e.g. to read codes out. */
  protected encodeRows(data: LatentData, run: (t: Tape, start: number, rows: number) => void): void {
    this.chunks(data.rows, 1, false, (start, rows) => {
      this.putRows(data, start, rows);
      run(this.pass(0), start, rows);
    });
  }

  /** An Encoding of n rows of L values, for `posteriorRows` to fill. */
  protected static encoding(n: number, L: number): Encoding {
    return { mean: new Float32Array(n * L), logVar: new Float32Array(n * L) };
  }

  /** Copies posterior stats rows [rows, 2L] ([μ | log σ²]) into rows start … of an Encoding. */
  protected posteriorRows(enc: Encoding, stats: Tensor, start: number, rows: number, L: number): void {
    const s = this.e.f32(stats.ptr, rows * 2 * L);
    for (let r = 0; r < rows; r++) {
      enc.mean.set(s.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
      enc.logVar.set(s.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
    }
  }

  /** z = the means of stats rows [rows, 2L] (written into z [rows, L]). */
  protected meanOf(z: Tensor, stats: Tensor, rows: number, L: number): void {
    const s = this.e.f32(stats.ptr, rows * 2 * L), d = this.e.f32(z.ptr, rows * L);
    for (let r = 0; r < rows; r++) d.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
  }

  /**
   * Decodes n rows to the likelihood's mean: `fill` writes the generative network's latent input for rows
   * [start, start + rows) (labels: one-hot rows [n, C] of a conditional model).
   */
  protected decodeWith(n: number, labels: Float32Array | undefined, fill: (t: Tape, start: number, rows: number) => void): Float32Array {
    const D = this.D, C = this.classes;
    const out = new Float32Array(n * D);
    this.chunks(n, 1, false, (start, rows) => {
      const t = this.pass(0);
      fill(t, start, rows);
      if (C) this.e.write(this.y.ptr, labels!.subarray(start * C, (start + rows) * C));
      const y = this.generate(t, rows);
      this.lik.mean(this.e, y.ptr, rows);
      out.set(this.e.f32(y.ptr, rows * D), start * D);
    });
    return out;
  }

  /** n ancestral draws from the prior, decoded (labels for a conditional model). */
  protected sampleData(n: number, labels: Float32Array | undefined, seed: number, offset: number): Float32Array {
    return this.decodeWith(n, labels, (t, start, rows) => this.drawPrior(t, rows, seed, offset + start));
  }

  // ---- training ----

  /** The fewest rows a training batch may have (layer lists with batch norm; see BatchNorm.minRows): 1 unless a model says. */
  protected minRows(_K: number): number {
    return 1;
  }

  protected target(): TrainingTarget<T, LatentData> {
    const { D, classes: C } = this;
    const K = this.K;
    let capacity = 1;
    let binarize: number | undefined;
    // Laid out on every use: validation between epochs may have re-laid the workspace out for more rows.
    const ws = (): void => this.ws.layout({ B: capacity, K, multi: this.multi, total: 0 });
    return {
      ...this.targetBase(),
      validate: (data, what, unit) => this.validateData(data, what, unit),
      batchInput: (rows, o) => {
        capacity = rows;
        binarize = o.binarizeSeed;
        ws();
        return (r, data, src, epoch, index, total) => {
          ws();
          this.writeTrainingRow(this.x, this.uni, r, data.x, data.rows, D, src, epoch, binarize, index, total);
          if (C) this.e.write(this.y.ptr + r * C * 4, data.y!.subarray(src * C, (src + 1) * C));
        };
      },
      minRows: this.minRows(K),
      forwardBackward: (rows, gradScale) => {
        ws();
        this.trainNoise(rows, K);
        this.e.k.zero_f32(this.grads, this.nParams);
        return this.objective(rows, K, gradScale);
      },
      evaluate: (data, seed) => this.evaluateData(data, seed),
    };
  }
}
