// The engine of VAE and ConditionalVAE: an MLP encoder to (μ, log σ²) of q(z|x[, y]), the reparameterization
// z = μ + σ·ε, an MLP decoder p(x|z[, y]), a fused likelihood and the KL or importance-weighted terms. A label y
// (one-hot rows, `classes` wide) is appended to the encoder's input and to the decoder's input when classes > 0.
import { InvalidInputError } from "../errors.js";
import { toRows, type Rows } from "../io/data.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { Mlp } from "../nn/mlp.js";
import type { Buffers } from "../nn/workspace.js";
import type { Engine } from "../runtime/engine.js";
import type { Dataset, LossTerms, TrainingTarget } from "../train/fit.js";
import type { ResolvedVAEConfig } from "./config.js";
import type { ModelKind } from "./format.js";
import { sampleBlocks } from "./importance.js";
import { LikelihoodHead } from "./likelihood.js";
import { CHUNK, Model, STREAM } from "./model.js";
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

interface Nets {
  layout: ParameterLayout;
  encoder: Mlp;
  decoder: Mlp;
  lik: LikelihoodHead;
}

function build(cfg: ResolvedVAEConfig, classes: number): Nets {
  const layout = new ParameterLayout();
  const L = cfg.latentSize, D = cfg.inputSize;
  const encoder = new Mlp(layout, {
    key: "e", prefix: "encoder", inSize: D + classes, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation,
    outSize: 2 * L, outName: "head", outParts: [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }],
  }, cfg.leakySlope);
  const decoder = new Mlp(layout, {
    key: "d", prefix: "decoder", inSize: L + classes, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation,
    outSize: D, outName: "output",
  }, cfg.leakySlope);
  const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
  return { layout, encoder, decoder, lik: new LikelihoodHead(cfg, D, logSigma) };
}


export abstract class LatentModel<C extends ResolvedVAEConfig> extends Model<C, LossTerms> {
  protected readonly encoder: Mlp;
  protected readonly decoder: Mlp;
  protected readonly lik: LikelihoodHead;
  /** Width of the conditioning label (0: unconditional). */
  protected readonly classes: number;
  protected readonly D: number;
  protected readonly L: number;
  #memo: [number, Record<string, number>] = [0, {}];

  protected constructor(e: Engine, cfg: C, kind: ModelKind, classes: number) {
    const nets = build(cfg, classes);
    super(e, cfg, nets.layout, kind);
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    this.lik = nets.lik;
    this.classes = classes;
    this.D = cfg.inputSize;
    this.L = cfg.latentSize;
  }

  // ---- data ----

  protected rowsOf(x: unknown, what: string, unit = this.lik.unitData): Rows {
    return toRows(x, this.D, what, unit, unit ? (this.lik.unitData ? this.lik.unitHint : " for dynamic binarization") : "", this.scan);
  }

  // ---- workspace ----

  /** Buffers for B examples with K samples each (R = B·K decoder rows); `multi` adds the importance-sampling ones. */
  protected sizes(B: number, K: number, multi: boolean): Record<string, number> {
    // one-sample tables are cached for the last B (every encode/decode/sample call of one size asks for the same)
    const one = K === 1 && !multi;
    if (one && this.#memo[0] === B) return this.#memo[1];
    const { D, L, classes: C } = this;
    const R = B * K;
    const s: Record<string, number> = {
      x: B * D, xnz: sparseInputScratch(B, D + C), eps: R * L, z: R * L, dz: R * L, rec: R, kl: B, rw: Math.max(B, R), uni: D,
    };
    if (C) {
      s.xc = B * (D + C);
      s.zc = R * (L + C);
      s.dzc = R * (L + C);
    }
    this.encoder.sizes(B, s);
    this.decoder.sizes(R, s);
    if (multi) {
      Object.assign(s, {
        statsRep: R * 2 * L, dstatsRep: R * 2 * L, xRep: R * D, lq: R, lp: R, logw: R, wts: R, g: R, gn: R, lme: 2 * B,
      });
    }
    if (one) this.#memo = [B, s];
    return s;
  }

  protected encIn(p: Buffers): number {
    return this.classes ? p.xc : p.x;
  }

  /** Writes rows [start, start + rows) of x (and y) into the batch buffers. */
  protected putRows(p: Buffers, x: Float32Array, y: Float32Array | undefined, start: number, rows: number): void {
    const { D, classes: C } = this;
    this.e.write(p.x, x.subarray(start * D, (start + rows) * D));
    if (C) for (let r = 0; r < rows; r++) this.#joinLabel(p, r, y!.subarray((start + r) * C, (start + r + 1) * C));
  }

  /** xc row r = [x row r | label]. */
  #joinLabel(p: Buffers, r: number, label: Float32Array): void {
    const { D, classes: C } = this;
    const xc = this.e.f32(p.xc + r * (D + C) * 4, D + C);
    xc.set(this.e.f32(p.x + r * D * 4, D));
    xc.set(label, D);
  }

  /** Decoder input: z itself, or zc rows [z_r | label of example ⌊r/K⌋] for a conditional model. */
  protected decIn(p: Buffers, R: number, K: number, labels?: Float32Array): number {
    const { L, classes: C } = this;
    if (!C) return p.z;
    const mem = this.e.f32(0, this.e.memoryBytes / 4);
    const lab = labels ?? this.#labelsOf(p, Math.ceil(R / K));
    for (let r = 0; r < R; r++) {
      const dst = p.zc / 4 + r * (L + C);
      mem.copyWithin(dst, p.z / 4 + r * L, p.z / 4 + (r + 1) * L);
      const b = Math.floor(r / K);
      mem.set(lab.subarray(b * C, (b + 1) * C), dst + L);
    }
    return p.zc;
  }

  /** The label rows sitting in xc (rows examples). */
  #labelsOf(p: Buffers, rows: number): Float32Array {
    const { D, classes: C } = this;
    const out = new Float32Array(rows * C);
    const xc = this.e.f32(p.xc, rows * (D + C));
    for (let r = 0; r < rows; r++) out.set(xc.subarray(r * (D + C) + D, (r + 1) * (D + C)), r * C);
    return out;
  }

  /** dz rows from the decoder's input gradient (conditional: the first L columns of dzc). */
  #dzFromDecoder(p: Buffers, R: number): void {
    const { L, classes: C } = this;
    if (!C) return;
    const mem = this.e.f32(0, this.e.memoryBytes / 4);
    for (let r = 0; r < R; r++) mem.copyWithin(p.dz / 4 + r * L, p.dzc / 4 + r * (L + C), p.dzc / 4 + r * (L + C) + L);
  }

  // ---- the ELBO with one sample (ε in p.eps) ----

  /** Encoder, reparameterization, decoder, likelihood and KL (gradients into dout buffers when gradScale ≠ 0). */
  protected forwardElbo(rows: number, p: Buffers, gradScale: number): LossTerms {
    const { k } = this.e;
    const c = this.cfg;
    const L = this.L;
    this.encoder.forward(this.e, this.params, this.encIn(p), p, rows, p.xnz);
    const stats = this.encoder.out(p);
    k.reparam_forward(p.z, p.eps, stats, rows, L);
    const zin = this.decIn(p, rows, 1);
    this.decoder.forward(this.e, this.params, zin, p, rows);
    const dOut = gradScale ? this.decoder.dout(p) : 0;
    const dStats = gradScale ? this.encoder.dout(p) : 0;
    this.lik.loss(this.e, this.params, this.grads, dOut, p.rec, this.decoder.out(p), p.x, rows, gradScale);
    const sr = this.sumAt(p.rec, rows);
    if (c.capacity) {
      const cap = capacityAt(c.capacity, this.steps);
      const gamma = c.capacity.gamma;
      k.kl_normal_loss(dStats, p.kl, stats, rows, L, gamma * gradScale);
      const kl = this.e.f32(p.kl, rows);
      const w = this.e.f32(p.rw, rows);
      let sk = 0, pen = 0;
      for (let r = 0; r < rows; r++) {
        sk += kl[r];
        pen += Math.abs(kl[r] - cap);
        w[r] = kl[r] > cap ? 1 : kl[r] < cap ? -1 : 0;
      }
      if (dStats) k.scale_rows(dStats, p.rw, rows, 2 * L);
      return { loss: sr + gamma * pen, reconstruction: sr, kl: sk };
    }
    const beta = betaAt(c.beta, c.klWarmup, this.steps);
    k.kl_normal_loss(dStats, p.kl, stats, rows, L, beta * gradScale);
    const sk = this.sumAt(p.kl, rows);
    return { loss: sr + beta * sk, reconstruction: sr, kl: sk };
  }

  /** forwardElbo, then backward; gradients accumulate into the gradient buffer. */
  protected forwardBackwardElbo(rows: number, p: Buffers, gradScale: number): LossTerms {
    const t = this.forwardElbo(rows, p, gradScale);
    const zin = this.classes ? p.zc : p.z;
    this.decoder.backward(this.e, this.params, this.grads, zin, p, rows, this.classes ? p.dzc : p.dz);
    this.#dzFromDecoder(p, rows);
    this.e.k.reparam_backward(this.encoder.dout(p), p.dz, p.eps, this.encoder.out(p), rows, this.L);
    this.encoder.backward(this.e, this.params, this.grads, this.encIn(p), p, rows, 0, p.xnz);
    return t;
  }

  // ---- K samples per example (ε in p.eps, [B·K, L], example-major) ----

  /**
   * For B examples (in p.x / p.xc) and K samples each: rec [R] = −log p(x|z), log w [R] = log p(x|z) + log p(z) −
   * log q(z|x) into `logw`, and the analytic KL per example into p.kl. With gradScale, dOut holds gradScale·∂rec/∂out.
   */
  protected forwardSamples(B: number, K: number, p: Buffers, gradScale: number, logw: number): void {
    const { k } = this.e;
    const { L, D } = this;
    const R = B * K;
    this.encoder.forward(this.e, this.params, this.encIn(p), p, B, p.xnz);
    const stats = this.encoder.out(p);
    k.repeat_rows_forward(p.statsRep, stats, B, 2 * L, K);
    k.reparam_forward(p.z, p.eps, p.statsRep, R, L);
    const zin = this.decIn(p, R, K);
    this.decoder.forward(this.e, this.params, zin, p, R);
    k.repeat_rows_forward(p.xRep, p.x, B, D, K);
    const dOut = gradScale ? this.decoder.dout(p) : 0;
    this.lik.loss(this.e, this.params, this.grads, dOut, p.rec, this.decoder.out(p), p.xRep, R, gradScale, false);
    k.gaussian_logpdf_forward(p.lq, p.z, p.statsRep, R, L);
    k.gaussian_logpdf_forward(p.lp, p.z, 0, R, L);
    k.kl_normal_loss(0, p.kl, stats, B, L, 0);
    const rec = this.e.f32(p.rec, R), lq = this.e.f32(p.lq, R), lp = this.e.f32(p.lp, R);
    const lw = this.e.f32(logw, R);
    for (let r = 0; r < R; r++) lw[r] = -rec[r] + lp[r] - lq[r];
  }

  /**
   * The k-sample objective on B examples: IWAE's −log mean_k w, or (objective "elbo") −mean_k log w; with
   * gradScale, backward too. Returns summed terms (reconstruction and kl: the mean over samples of −log p(x|z)
   * and the analytic KL).
   */
  protected forwardBackwardSamples(B: number, K: number, p: Buffers, gradScale: number, iwae: boolean): LossTerms {
    const { k } = this.e;
    const L = this.L;
    const R = B * K;
    this.forwardSamples(B, K, p, gradScale, p.logw);
    let bound = 0;
    if (iwae) {
      k.logmeanexp_forward(p.lme, p.wts, p.logw, B, K);
      const lme = new Float64Array(this.e.f32(0, 0).buffer, p.lme, B);
      for (let b = 0; b < B; b++) bound += lme[b];
    } else {
      this.e.f32(p.wts, R).fill(1 / K);
      bound = this.sumAt(p.logw, R) / K;
    }
    const rec = this.sumAt(p.rec, R) / K;
    const kl = this.sumAt(p.kl, B);
    if (gradScale) {
      const w = this.e.f32(p.wts, R), g = this.e.f32(p.g, R), gn = this.e.f32(p.gn, R);
      for (let r = 0; r < R; r++) {
        gn[r] = gradScale * w[r];
        g[r] = -gn[r];
      }
      const out = this.decoder.out(p), dOut = this.decoder.dout(p);
      this.lik.weightRows(this.e, this.params, this.grads, dOut, out, p.xRep, p.wts, R, gradScale, p.uni);
      const zin = this.classes ? p.zc : p.z;
      this.decoder.backward(this.e, this.params, this.grads, zin, p, R, this.classes ? p.dzc : p.dz);
      this.#dzFromDecoder(p, R);
      k.gaussian_logpdf_backward(p.dz, 0, p.g, p.z, 0, R, L);
      k.zero_f32(p.dstatsRep, R * 2 * L);
      k.gaussian_logpdf_backward(p.dz, p.dstatsRep, p.gn, p.z, p.statsRep, R, L);
      k.reparam_backward(p.dstatsRep, p.dz, p.eps, p.statsRep, R, L);
      const dStats = this.encoder.dout(p);
      k.zero_f32(dStats, B * 2 * L);
      k.repeat_rows_backward(dStats, p.dstatsRep, B, 2 * L, K);
      this.encoder.backward(this.e, this.params, this.grads, this.encIn(p), p, B, 0, p.xnz);
    }
    return { loss: -bound, reconstruction: rec, kl };
  }

  /** True when training uses the k-sample path (IWAE, or an ELBO averaged over several samples). */
  protected get multiSample(): boolean {
    return this.cfg.objective === "iwae" || this.cfg.samples > 1;
  }

  // ---- evaluation ----

  /** Mean objective terms per example with the evaluate stream's ε (row r of the data: counters of row r). */
  protected evaluateData(data: LatentData, seed: number): LossTerms {
    const { L } = this;
    const K = this.multiSample ? this.cfg.samples : 1;
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    const rowsPer = Math.max(1, Math.floor(CHUNK / K));
    this.chunks(data.rows, (rows) => this.sizes(rows, K, K > 1 || this.multiSample), (start, rows, p) => {
      this.putRows(p, data.x, data.y, start, rows);
      this.normals(p.eps, rows * K, L, seed, STREAM.evaluate, start * K);
      const t = this.multiSample ? this.forwardBackwardSamples(rows, K, p, 0, this.cfg.objective === "iwae") : this.forwardElbo(rows, p, 0);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    }, rowsPer);
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
    const rowsPer = Math.max(1, Math.floor(CHUNK / K));
    this.chunks(data.rows, (rows) => this.sizes(rows, K, this.multiSample), (start, rows, p) => {
      this.putRows(p, data.x, data.y, start, rows);
      if (epsilon) this.e.write(p.eps, epsilon.values.subarray(start * K * L, (start + rows) * K * L));
      else this.normals(p.eps, rows * K, L, seed, STREAM.evaluate, start * K);
      const t = this.multiSample
        ? this.forwardBackwardSamples(rows, K, p, 1, this.cfg.objective === "iwae")
        : this.forwardBackwardElbo(rows, p, 1);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    }, rowsPer);
    return { ...sums, gradients: this.gradientTensors() };
  }

  /**
   * Per example: log p(x) estimated by log mean_k w_k over k importance samples from q(z|x) (IWAE's bound
   * L_k, which rises towards log p(x) as k grows), computed in blocks of at most `batchSize` decoder rows.
   */
  protected logLikelihoodData(data: LatentData, samples: number, seed: number, block: number): Float64Array {
    const { L } = this;
    const K = samples;
    const out = new Float64Array(data.rows);
    const rowsMax = Math.min(block, Math.max(K, 1) * CHUNK);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(rowsMax / K)));
    const kMax = Math.min(K, rowsMax);
    const p0 = this.sizes(B, kMax, true);
    p0.logwAll = Math.max(B * K, K);
    p0.wAll = p0.logwAll;
    p0.lmeAll = 2 * B;
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      const p = this.ws.get(p0);
      if (blk.k0 === 0) this.putRows(p, data.x, data.y, blk.start, blk.examples);
      const R = blk.examples * blk.samples;
      this.normals(p.eps, R, L, seed, STREAM.evaluate, blk.start * K + blk.k0);
      this.forwardSamples(blk.examples, blk.samples, p, 0, p.logwAll + blk.k0 * 4);
      if (blk.k0 + blk.samples === K) {
        this.e.k.logmeanexp_forward(p.lmeAll, p.wAll, p.logwAll, blk.examples, K);
        out.set(new Float64Array(this.e.f32(0, 0).buffer, p.lmeAll, blk.examples), blk.start);
      }
    }
    return out;
  }

  /** Per example: the ELBO log p(x|z) − KL averaged over `samples` draws of z (evaluate's ε for sample 0). */
  protected elboData(data: LatentData, samples: number, seed: number): Float64Array {
    const { L } = this;
    const K = samples;
    const out = new Float64Array(data.rows);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(DEFAULT_BLOCK / K)));
    const kMax = Math.min(K, DEFAULT_BLOCK);
    const recSum = new Float64Array(data.rows);
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      const p = this.ws.get(this.sizes(B, kMax, true));
      if (blk.k0 === 0) this.putRows(p, data.x, data.y, blk.start, blk.examples);
      this.normals(p.eps, blk.examples * blk.samples, L, seed, STREAM.evaluate, blk.start * K + blk.k0);
      this.forwardSamples(blk.examples, blk.samples, p, 0, p.logw);
      const rec = this.e.f32(p.rec, blk.examples * blk.samples);
      const kl = this.e.f32(p.kl, blk.examples);
      for (let b = 0; b < blk.examples; b++) {
        let s = 0;
        for (let j = 0; j < blk.samples; j++) s += rec[b * blk.samples + j];
        recSum[blk.start + b] += s;
        if (blk.k0 + blk.samples === K) out[blk.start + b] = -recSum[blk.start + b] / K - kl[b];
      }
    }
    return out;
  }

  /** Posterior means and log-variances of every row. */
  protected encodeData(data: LatentData): { mean: Float32Array; logVar: Float32Array } {
    const L = this.L;
    const mean = new Float32Array(data.rows * L);
    const logVar = new Float32Array(data.rows * L);
    this.chunks(data.rows, (rows) => this.sizes(rows, 1, false), (start, rows, p) => {
      this.putRows(p, data.x, data.y, start, rows);
      this.encoder.forward(this.e, this.params, this.encIn(p), p, rows, p.xnz);
      const stats = this.e.f32(this.encoder.out(p), rows * 2 * L);
      for (let r = 0; r < rows; r++) {
        mean.set(stats.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        logVar.set(stats.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    });
    return { mean, logVar };
  }

  /** Decodes n latent rows, written by fillZ into p.z, to the likelihood's mean (labels: one-hot rows [n, C]). */
  protected decodeWith(n: number, labels: Float32Array | undefined,
    fillZ: (start: number, rows: number, p: Buffers) => void): Float32Array {
    const D = this.D, C = this.classes;
    const out = new Float32Array(n * D);
    this.chunks(n, (rows) => this.sizes(rows, 1, false), (start, rows, p) => {
      fillZ(start, rows, p);
      const zin = this.decIn(p, rows, 1, C ? labels!.subarray(start * C, (start + rows) * C) : undefined);
      this.decoder.forward(this.e, this.params, zin, p, rows);
      this.lik.mean(this.e, this.decoder.out(p), rows);
      out.set(this.e.f32(this.decoder.out(p), rows * D), start * D);
    });
    return out;
  }

  /** Reconstructions: decode(μ(x)) or, with sample, decode(z ~ q(z|x)). */
  protected reconstructData(data: LatentData, sample: boolean, seed: number): Float32Array {
    const { L } = this;
    return this.decodeWith(data.rows, data.y, (start, rows, p) => {
      this.putRows(p, data.x, data.y, start, rows);
      this.encoder.forward(this.e, this.params, this.encIn(p), p, rows, p.xnz);
      const stats = this.encoder.out(p);
      if (sample) {
        this.normals(p.eps, rows, L, seed, STREAM.reconstruct, start);
        this.e.k.reparam_forward(p.z, p.eps, stats, rows, L);
      } else {
        const s = this.e.f32(stats, rows * 2 * L);
        const z = this.e.f32(p.z, rows * L);
        for (let r = 0; r < rows; r++) z.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
      }
    });
  }

  /** n draws z ~ N(0, I) decoded (labels for a conditional model). */
  protected sampleData(n: number, labels: Float32Array | undefined, seed: number, offset: number): Float32Array {
    return this.decodeWith(n, labels, (start, rows, p) => this.normals(p.z, rows, this.L, seed, STREAM.sample, offset + start));
  }

  // ---- training ----

  protected abstract validateData(data: unknown, what: string, unit: boolean): LatentData;

  protected target(): TrainingTarget<LossTerms, LatentData> {
    const e = this.e;
    const { D, L, classes: C } = this;
    const K = this.multiSample ? this.cfg.samples : 1;
    let capacity = 1;
    let binarize: number | undefined;
    // The workspace is looked up on every use: validation between epochs may have replaced it with a larger one.
    const ws = (): Buffers => this.ws.get(this.sizes(capacity, K, this.multiSample));
    return {
      ...this.targetBase(),
      validate: (data, what, unit) => this.validateData(data, what, unit),
      batchInput: (rows, o) => {
        capacity = rows;
        binarize = o.binarizeSeed;
        ws();
        return (r, data, src, epoch) => {
          const p = ws();
          this.writeTrainingRow(p, r, data.x, data.rows, D, src, epoch, binarize);
          if (C) this.#joinLabel(p, r, data.y!.subarray(src * C, (src + 1) * C));
        };
      },
      forwardBackward: (rows, gradScale) => {
        const p = ws();
        this.trainNormals(p.eps, rows * K * L);
        e.k.zero_f32(this.grads, this.nParams);
        return this.multiSample
          ? this.forwardBackwardSamples(rows, K, p, gradScale, this.cfg.objective === "iwae")
          : this.forwardBackwardElbo(rows, p, gradScale);
      },
      evaluate: (data, seed) => this.evaluateData(data, seed),
    };
  }
}
