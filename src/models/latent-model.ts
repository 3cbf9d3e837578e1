// The engine of VAE and ConditionalVAE: an MLP encoder to (μ, log σ²) of q(z|x[, y]), the reparameterization
// z = μ + σ·ε, an MLP decoder p(x|z[, y]), a fused likelihood and the KL or importance-weighted terms. A label y
// (one-hot rows, `classes` wide) is appended to the encoder's input and to the decoder's input when classes > 0.
import { InvalidInputError } from "../errors.js";
import { toRows, type Rows } from "../io/data.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { concatCols } from "../nn/concat.js";
import { gaussianLogDensity } from "../nn/gaussian.js";
import { klStandardNormal } from "../nn/kl.js";
import { Mlp } from "../nn/mlp.js";
import { logMeanExp, repeatRows } from "../nn/repeat.js";
import { reparameterize } from "../nn/reparameterize.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor, Workspace } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { Dataset, LossTerms, TrainingTarget } from "../train/fit.js";
import type { ResolvedVAEConfig } from "./config.js";
import type { ModelKind } from "./format.js";
import { sampleBlocks } from "./importance.js";
import { LikelihoodHead } from "./likelihood.js";
import { CHUNK, Model, STREAM } from "./model.js";
import type { ModelCapabilities } from "./model-api.js";
import { betaAt, capacityAt } from "./schedule.js";

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

/** An encoder or decoder: an Mlp, or a layer list's Stack (src/nn/stack.ts: loaded only for layer-list configs). */
interface Net {
  declare(ws: Workspace, rows: (d: Dims) => number): void;
  run(t: Tape, x: Tensor, rows: number, scratch?: number): Tensor;
  /** A layer list's label join after its flatten (a conditional model's label is then not joined at the input). */
  join?: { y: Tensor };
}

export interface Nets {
  layout: ParameterLayout;
  encoder: Net;
  decoder: Net;
  lik: LikelihoodHead;
  ext?: boolean;
}

/** A layer-list config's networks (loaded with their modules on first use), or undefined for an MLP config. */
export const layerNetsOf = async (cfg: ResolvedVAEConfig, classes: number): Promise<Nets | undefined> =>
  cfg.encoder && (await import("./layer-nets.js")).layerNets(cfg, classes);

function build(cfg: ResolvedVAEConfig, classes: number): Nets {
  const layout = new ParameterLayout();
  const L = cfg.latentSize, D = cfg.inputSize;
  const encoder = new Mlp(layout, {
    prefix: "encoder", inSize: D + classes, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation,
    outSize: 2 * L, outName: "head", outParts: [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }],
  }, cfg.leakySlope);
  const decoder = new Mlp(layout, {
    prefix: "decoder", inSize: L + classes, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation,
    outSize: D, outName: "output",
  }, cfg.leakySlope);
  const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
  return { layout, encoder, decoder, lik: new LikelihoodHead(cfg, D, logSigma) };
}

/** The typed tensors of a latent model's passes (B examples, K samples each, R = B·K decoder rows). */
interface LatentTensors {
  /** x [B, D], labels y [B, C], encoder input [x | y] [B, D + C], the first layer's zero-skipping scratch. */
  x: Tensor; y: Tensor; xc: Tensor; xnz: Tensor;
  /** ε, z [R, L] (z with gradient), the decoder input [z | y] [R, L + C]. */
  eps: Tensor; z: Tensor; zc: Tensor;
  /** Per row: −log p(x|z) [R], KL [B], capacity weights, likelihood scratch [D]. */
  rec: Tensor; kl: Tensor; rw: Tensor; uni: Tensor;
  /** k-sample pass: repeated stats and x, log q and log p (gradients: the seeds), log w, weights, log-mean-exp (f64). */
  statsRep: Tensor; xRep: Tensor; lq: Tensor; lp: Tensor; logw: Tensor; wts: Tensor; lme: Tensor;
  /** A whole log-likelihood estimate's log w, weights and results (Dims.total samples per example). */
  logwAll: Tensor; wAll: Tensor; lmeAll: Tensor;
}

export abstract class LatentModel<C extends ResolvedVAEConfig> extends Model<C, LossTerms> {
  protected readonly encoder: Net;
  protected readonly decoder: Net;
  protected readonly lik: LikelihoodHead;
  /** Width of the conditioning label (0: unconditional). */
  protected readonly classes: number;
  protected readonly D: number;
  protected readonly L: number;
  readonly #b: LatentTensors;

  protected constructor(e: Engine, cfg: C, kind: ModelKind, classes: number, given?: Nets) {
    const nets = given ?? build(cfg, classes);
    super(e, cfg, nets.layout, kind);
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    this.lik = nets.lik;
    this.classes = classes;
    const D = (this.D = cfg.inputSize), L = (this.L = cfg.latentSize), C = classes;
    const ws = this.ws;
    const B = (d: Dims): number => d.B, R = (d: Dims): number => d.B * d.K;
    const multi = (n: (d: Dims) => number) => (d: Dims): number => (d.multi ? n(d) : 0);
    const all = (d: Dims): number => (d.total ? Math.max(d.B * d.total, d.total) : 0);
    this.#b = {
      x: ws.tensor((d) => B(d) * D), y: ws.tensor((d) => B(d) * C), xc: ws.tensor((d) => (C ? B(d) * (D + C) : 0)),
      xnz: ws.tensor((d) => sparseInputScratch(B(d), D + C)),
      eps: ws.tensor((d) => R(d) * L), z: ws.tensor((d) => R(d) * L, true), zc: ws.tensor((d) => (C ? R(d) * (L + C) : 0), true),
      rec: ws.tensor(R), kl: ws.tensor(B), rw: ws.tensor((d) => Math.max(B(d), R(d))), uni: ws.tensor(() => D),
      statsRep: ws.tensor(multi((d) => R(d) * 2 * L), true), xRep: ws.tensor(multi((d) => R(d) * D)),
      lq: ws.tensor(multi(R), true), lp: ws.tensor(multi(R), true), logw: ws.tensor(multi(R)), wts: ws.tensor(multi(R)),
      lme: ws.tensor(multi((d) => 2 * B(d))),
      logwAll: ws.tensor(all), wAll: ws.tensor(all), lmeAll: ws.tensor((d) => (d.total ? 2 * B(d) : 0)),
    };
    if (this.encoder.join) this.encoder.join.y = this.#b.y;
    this.encoder.declare(ws, B);
    this.decoder.declare(ws, R);
  }

  // ---- data ----

  protected rowsOf(x: unknown, what: string, unit = this.lik.unitData): Rows {
    return toRows(x, this.D, what, unit, unit ? (this.lik.unitData ? this.lik.unitHint : " for dynamic binarization") : "", this.scan);
  }

  // ---- workspace ----

  /** Lays the workspace out for B examples with K samples each (`multi`: the k-sample tensors too). */
  #dims(B: number, K: number, multi: boolean, total = 0): void {
    this.ws.layout({ B, K, multi, total });
  }

  /** Runs `body` over chunks of at most `chunk` examples, the workspace laid out for the first (largest) one. */
  #chunks(n: number, K: number, multi: boolean, body: (start: number, rows: number) => void, chunk = CHUNK): void {
    this.ws.chunks(n, (B) => ({ B, K, multi, total: 0 }), body, chunk);
  }

  /** Writes rows [start, start + rows) of x (and y) into the batch tensors. */
  #putRows(x: Float32Array, y: Float32Array | undefined, start: number, rows: number): void {
    const { D, classes: C } = this;
    this.e.write(this.#b.x.ptr, x.subarray(start * D, (start + rows) * D));
    if (C) this.e.write(this.#b.y.ptr, y!.subarray(start * C, (start + rows) * C));
  }

  /** Encoder input: x, or [x | y] rows for a conditional model. */
  #encIn(t: Tape, rows: number): Tensor {
    const b = this.#b;
    if (!this.classes || this.encoder.join) return b.x;
    concatCols(t, b.xc, b.x, this.D, b.y, this.classes, rows);
    return b.xc;
  }

  /** Decoder input: z, or [z | label of example ⌊r/K⌋] rows for a conditional model. */
  #decIn(t: Tape, R: number, K: number): Tensor {
    const b = this.#b;
    if (!this.classes) return b.z;
    concatCols(t, b.zc, b.z, this.L, b.y, this.classes, R, K);
    return b.zc;
  }

  // ---- the ELBO with one sample (ε in eps) ----

  /** −ELBO terms of `rows` examples (x, y, ε in place); with gradScale ≠ 0 its gradient accumulates into grads. */
  #elbo(rows: number, gradScale: number): LossTerms {
    const { k } = this.e;
    const c = this.cfg, b = this.#b, L = this.L;
    const t = this.pass(gradScale);
    const stats = this.encoder.run(t, this.#encIn(t, rows), rows, b.xnz.ptr);
    reparameterize(t, b.z, b.eps, stats, rows, L);
    const out = this.decoder.run(t, this.#decIn(t, rows, 1), rows);
    this.lik.nll(t, b.rec, out, b.x, rows);
    const sr = this.sumAt(b.rec.ptr, rows);
    let terms: LossTerms;
    if (c.capacity) {
      const cap = capacityAt(c.capacity, this.steps);
      const gamma = c.capacity.gamma;
      klStandardNormal(t, b.kl, stats, rows, L, gamma * gradScale);
      const kl = this.e.f32(b.kl.ptr, rows);
      const w = this.e.f32(b.rw.ptr, rows);
      let sk = 0, pen = 0;
      for (let r = 0; r < rows; r++) {
        sk += kl[r];
        pen += Math.abs(kl[r] - cap);
        w[r] = kl[r] > cap ? 1 : kl[r] < cap ? -1 : 0;
      }
      if (gradScale) k.scale_rows(stats.grad!.ptr, b.rw.ptr, rows, 2 * L);
      terms = { loss: sr + gamma * pen, reconstruction: sr, kl: sk };
    } else {
      const beta = betaAt(c.beta, c.klWarmup, this.steps);
      klStandardNormal(t, b.kl, stats, rows, L, beta * gradScale);
      const sk = this.sumAt(b.kl.ptr, rows);
      terms = { loss: sr + beta * sk, reconstruction: sr, kl: sk };
    }
    t.backward();
    return terms;
  }

  // ---- K samples per example (ε in eps, [B·K, L], example-major) ----

  /**
   * For B examples and K samples each: rec [R] = −log p(x|z), log w [R] = log p(x|z) + log p(z) − log q(z|x) into
   * `logw`, and the analytic KL per example into kl. The tape is left recorded for `#samplesObjective`'s backward.
   * (log q and log p are taken before the decoder runs, so that the backward pass adds their gradients into z's
   * after the decoder's, in the order the model always summed them.)
   */
  #samples(B: number, K: number, gradScale: number, logw: number, wts: Tensor | undefined): void {
    const b = this.#b, { L, D } = this;
    const R = B * K;
    const t = this.pass(gradScale);
    const stats = this.encoder.run(t, this.#encIn(t, B), B, b.xnz.ptr);
    repeatRows(t, b.statsRep, stats, B, 2 * L, K);
    reparameterize(t, b.z, b.eps, b.statsRep, R, L);
    gaussianLogDensity(t, b.lq, b.z, b.statsRep, R, L);
    gaussianLogDensity(t, b.lp, b.z, undefined, R, L);
    const out = this.decoder.run(t, this.#decIn(t, R, K), R);
    repeatRows(t, b.xRep, b.x, B, D, K);
    this.lik.nll(t, b.rec, out, b.xRep, R, wts, b.uni);
    klStandardNormal(t, b.kl, stats, B, L, 0, false);
    const rec = this.e.f32(b.rec.ptr, R), lq = this.e.f32(b.lq.ptr, R), lp = this.e.f32(b.lp.ptr, R);
    const lw = this.e.f32(logw, R);
    for (let r = 0; r < R; r++) lw[r] = -rec[r] + lp[r] - lq[r];
  }

  /**
   * The k-sample objective on B examples: IWAE's −log mean_k w, or (objective "elbo") −mean_k log w; with
   * gradScale, backward too. Returns summed terms (reconstruction and kl: the mean over samples of −log p(x|z)
   * and the analytic KL).
   */
  #samplesObjective(B: number, K: number, gradScale: number, iwae: boolean): LossTerms {
    const b = this.#b;
    const R = B * K;
    this.#samples(B, K, gradScale, b.logw.ptr, b.wts);
    let bound = 0;
    if (iwae) {
      const lme = logMeanExp(this.tape, b.lme.ptr, b.wts.ptr, b.logw.ptr, B, K);
      for (let i = 0; i < B; i++) bound += lme[i];
    } else {
      this.e.f32(b.wts.ptr, R).fill(1 / K);
      bound = this.sumAt(b.logw.ptr, R) / K;
    }
    const rec = this.sumAt(b.rec.ptr, R) / K;
    const kl = this.sumAt(b.kl.ptr, B);
    if (gradScale) {
      // seeds: ∂(−bound)/∂log q = gradScale·w, ∂(−bound)/∂log p = −gradScale·w (the likelihood weights its rows by w)
      const w = this.e.f32(b.wts.ptr, R), g = this.e.f32(b.lp.grad!.ptr, R), gn = this.e.f32(b.lq.grad!.ptr, R);
      for (let r = 0; r < R; r++) {
        gn[r] = gradScale * w[r];
        g[r] = -gn[r];
      }
      this.tape.backward();
    }
    return { loss: -bound, reconstruction: rec, kl };
  }

  /** One Gaussian latent layer z, a prior and a likelihood; conditioned on `classes` labels when > 0. */
  get capabilities(): ModelCapabilities {
    return this.caps(this.D, this.classes, { z: this.L }, true);
  }

  /** True when training uses the k-sample path (IWAE, or an ELBO averaged over several samples). */
  protected get multiSample(): boolean {
    return this.cfg.objective === "iwae" || this.cfg.samples > 1;
  }

  #objective(rows: number, K: number, gradScale: number): LossTerms {
    return this.multiSample ? this.#samplesObjective(rows, K, gradScale, this.cfg.objective === "iwae") : this.#elbo(rows, gradScale);
  }

  // ---- evaluation ----

  /** Mean objective terms per example with the evaluate stream's ε (row r of the data: counters of row r). */
  protected evaluateData(data: LatentData, seed: number): LossTerms {
    const { L } = this;
    const K = this.multiSample ? this.cfg.samples : 1;
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    this.#chunks(data.rows, K, this.multiSample, (start, rows) => {
      this.#putRows(data.x, data.y, start, rows);
      this.normals(this.#b.eps.ptr, rows * K, L, seed, STREAM.evaluate, start * K);
      const t = this.#objective(rows, K, 0);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    }, Math.max(1, Math.floor(CHUNK / K)));
    const n = data.rows;
    return { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n };
  }

  /** Gradient of the summed objective (ε given [n·K, L] or drawn like evaluate's); the model is unchanged. */
  protected gradientsData(data: LatentData, epsilon: Rows | undefined, seed: number): GradientResult {
    const { L } = this;
    const K = this.multiSample ? this.cfg.samples : 1;
    if (epsilon && epsilon.rows !== data.rows * K) {
      throw new InvalidInputError(
        `gradients: epsilon has ${epsilon.rows} rows but x has ${data.rows}` +
          (K > 1 ? ` examples × ${K} samples = ${data.rows * K}; give one ε row per example and sample (example-major)` : "; give one ε row per example"),
      );
    }
    this.e.k.zero_f32(this.grads, this.nParams);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    this.#chunks(data.rows, K, this.multiSample, (start, rows) => {
      this.#putRows(data.x, data.y, start, rows);
      if (epsilon) this.e.write(this.#b.eps.ptr, epsilon.values.subarray(start * K * L, (start + rows) * K * L));
      else this.normals(this.#b.eps.ptr, rows * K, L, seed, STREAM.evaluate, start * K);
      const t = this.#objective(rows, K, 1);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    }, Math.max(1, Math.floor(CHUNK / K)));
    return { ...sums, gradients: this.gradientTensors() };
  }

  /**
   * Per example: log p(x) estimated by log mean_k w_k over k importance samples from q(z|x) (IWAE's bound
   * L_k, which rises towards log p(x) as k grows), computed in blocks of at most `batchSize` decoder rows.
   */
  protected logLikelihoodData(data: LatentData, samples: number, seed: number, block: number): Float64Array {
    const { L } = this, b = this.#b;
    const K = samples;
    const out = new Float64Array(data.rows);
    const rowsMax = Math.min(block, Math.max(K, 1) * CHUNK);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(rowsMax / K)));
    const kMax = Math.min(K, rowsMax);
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      this.#dims(B, kMax, true, K);
      if (blk.k0 === 0) this.#putRows(data.x, data.y, blk.start, blk.examples);
      const R = blk.examples * blk.samples;
      this.normals(b.eps.ptr, R, L, seed, STREAM.evaluate, blk.start * K + blk.k0);
      this.#samples(blk.examples, blk.samples, 0, b.logwAll.ptr + blk.k0 * 4, undefined);
      if (blk.k0 + blk.samples === K) {
        out.set(logMeanExp(this.tape, b.lmeAll.ptr, b.wAll.ptr, b.logwAll.ptr, blk.examples, K), blk.start);
      }
    }
    return out;
  }

  /** Per example: the ELBO log p(x|z) − KL averaged over `samples` draws of z (evaluate's ε for sample 0). */
  protected elboData(data: LatentData, samples: number, seed: number): Float64Array {
    const { L } = this, b = this.#b;
    const K = samples;
    const out = new Float64Array(data.rows);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(DEFAULT_BLOCK / K)));
    const kMax = Math.min(K, DEFAULT_BLOCK);
    const recSum = new Float64Array(data.rows);
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      this.#dims(B, kMax, true);
      if (blk.k0 === 0) this.#putRows(data.x, data.y, blk.start, blk.examples);
      this.normals(b.eps.ptr, blk.examples * blk.samples, L, seed, STREAM.evaluate, blk.start * K + blk.k0);
      this.#samples(blk.examples, blk.samples, 0, b.logw.ptr, undefined);
      const rec = this.e.f32(b.rec.ptr, blk.examples * blk.samples);
      const kl = this.e.f32(b.kl.ptr, blk.examples);
      for (let i = 0; i < blk.examples; i++) {
        let s = 0;
        for (let j = 0; j < blk.samples; j++) s += rec[i * blk.samples + j];
        recSum[blk.start + i] += s;
        if (blk.k0 + blk.samples === K) out[blk.start + i] = -recSum[blk.start + i] / K - kl[i];
      }
    }
    return out;
  }

  /** Posterior means and log-variances of every row. */
  protected encodeData(data: LatentData): { mean: Float32Array; logVar: Float32Array } {
    const L = this.L;
    const mean = new Float32Array(data.rows * L);
    const logVar = new Float32Array(data.rows * L);
    this.#chunks(data.rows, 1, false, (start, rows) => {
      this.#putRows(data.x, data.y, start, rows);
      const t = this.pass(0);
      const stats = this.e.f32(this.encoder.run(t, this.#encIn(t, rows), rows, this.#b.xnz.ptr).ptr, rows * 2 * L);
      for (let r = 0; r < rows; r++) {
        mean.set(stats.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        logVar.set(stats.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    });
    return { mean, logVar };
  }

  /**
   * Decodes n latent rows, written by fillZ at byte pointer z ([rows, L]), to the likelihood's mean (labels: one-hot
   * rows [n, C]).
   */
  protected decodeWith(n: number, labels: Float32Array | undefined, fillZ: (start: number, rows: number, z: number) => void): Float32Array {
    const D = this.D, C = this.classes;
    const out = new Float32Array(n * D);
    this.#chunks(n, 1, false, (start, rows) => {
      fillZ(start, rows, this.#b.z.ptr);
      if (C) this.e.write(this.#b.y.ptr, labels!.subarray(start * C, (start + rows) * C));
      const t = this.pass(0);
      const y = this.decoder.run(t, this.#decIn(t, rows, 1), rows);
      this.lik.mean(this.e, y.ptr, rows);
      out.set(this.e.f32(y.ptr, rows * D), start * D);
    });
    return out;
  }

  /** Reconstructions: decode(μ(x)) or, with sample, decode(z ~ q(z|x)). */
  protected reconstructData(data: LatentData, sample: boolean, seed: number): Float32Array {
    const { L } = this, b = this.#b;
    return this.decodeWith(data.rows, data.y, (start, rows) => {
      this.#putRows(data.x, data.y, start, rows);
      const t = this.pass(0);
      const stats = this.encoder.run(t, this.#encIn(t, rows), rows, b.xnz.ptr);
      if (sample) {
        this.normals(b.eps.ptr, rows, L, seed, STREAM.reconstruct, start);
        reparameterize(t, b.z, b.eps, stats, rows, L);
      } else {
        const s = this.e.f32(stats.ptr, rows * 2 * L);
        const z = this.e.f32(b.z.ptr, rows * L);
        for (let r = 0; r < rows; r++) z.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
      }
    });
  }

  /** n draws z ~ N(0, I) decoded (labels for a conditional model). */
  protected sampleData(n: number, labels: Float32Array | undefined, seed: number, offset: number): Float32Array {
    return this.decodeWith(n, labels, (start, rows, z) => this.normals(z, rows, this.L, seed, STREAM.sample, offset + start));
  }

  // ---- training ----

  protected abstract validateData(data: unknown, what: string, unit: boolean): LatentData;

  protected target(): TrainingTarget<LossTerms, LatentData> {
    const { D, L, classes: C } = this;
    const b = this.#b;
    const K = this.multiSample ? this.cfg.samples : 1;
    let capacity = 1;
    let binarize: number | undefined;
    // Laid out on every use: validation between epochs may have re-laid the workspace out for more rows.
    const ws = (): void => this.#dims(capacity, K, this.multiSample);
    return {
      ...this.targetBase(),
      validate: (data, what, unit) => this.validateData(data, what, unit),
      batchInput: (rows, o) => {
        capacity = rows;
        binarize = o.binarizeSeed;
        ws();
        return (r, data, src, epoch, index, total) => {
          ws();
          this.writeTrainingRow(b.x, b.uni, r, data.x, data.rows, D, src, epoch, binarize, index, total);
          if (C) this.e.write(b.y.ptr + r * C * 4, data.y!.subarray(src * C, (src + 1) * C));
        };
      },
      // layer lists with batch norm: the encoder sees rows, the decoder rows·K (a Stack knows its minimum; an Mlp has none)
      minRows: Math.max((this.encoder as { minRows?: number }).minRows ?? 1, Math.ceil(((this.decoder as { minRows?: number }).minRows ?? 1) / K)),
      forwardBackward: (rows, gradScale) => {
        ws();
        this.trainNormals(b.eps.ptr, rows * K * L);
        this.e.k.zero_f32(this.grads, this.nParams);
        return this.#objective(rows, K, gradScale);
      },
      evaluate: (data, seed) => this.evaluateData(data, seed),
    };
  }
}
