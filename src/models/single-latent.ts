// The graph of VAE and ConditionalVAE on the shared implementation (latent-model.ts): an encoder to (μ, log σ²) of
// q(z|x[, y]), the reparameterization z = μ + σ·ε, a decoder p(x|z[, y]), a fused likelihood and the KL or
// importance-weighted terms. A label y (one-hot rows, `classes` wide) is appended to the encoder's input and to the
// decoder's input when classes > 0.
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
import type { LossTerms } from "../train/fit.js";
import type { ResolvedVAEConfig } from "./config.js";
import type { ModelKind } from "./format.js";
import { LatentModel, type Encoding, type LatentData } from "./latent-model.js";
import type { LikelihoodHead } from "./likelihood.js";
import { STREAM } from "./model.js";
import type { ModelCapabilities } from "./model-api.js";
import { betaAt, capacityAt } from "./schedule.js";

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
  ext: boolean;
}

/** A layer-list config's networks (loaded with their modules on first use), or undefined for an MLP config. */
export const layerNetsOf = async (cfg: ResolvedVAEConfig, classes: number): Promise<Nets | undefined> =>
  cfg.encoder && (await import("./layer-nets.js")).layerNets(cfg, classes);

function build(cfg: ResolvedVAEConfig, classes: number): Omit<Nets, "lik" | "ext"> & { logSigma: number } {
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
  return { layout, encoder, decoder, logSigma };
}

/** The typed tensors of the graph's passes (B examples, K samples each, R = B·K decoder rows). */
interface SingleTensors {
  /** Encoder input [x | y] [B, D + C], the first layer's zero-skipping scratch. */
  xc: Tensor; xnz: Tensor;
  /** ε, z [R, L] (z with gradient), the decoder input [z | y] [R, L + C]. */
  eps: Tensor; z: Tensor; zc: Tensor;
  /** Per row: −log p(x|z) [R], KL [B], capacity weights. */
  rec: Tensor; kl: Tensor; rw: Tensor;
  /** k-sample pass: repeated stats and x, log q and log p (gradients: the seeds). */
  statsRep: Tensor; xRep: Tensor; lq: Tensor; lp: Tensor;
}

export abstract class SingleLatentModel<C extends ResolvedVAEConfig> extends LatentModel<C, LossTerms> {
  protected readonly encoder: Net;
  protected readonly decoder: Net;
  protected readonly L: number;
  readonly #b: SingleTensors;

  protected constructor(e: Engine, cfg: C, kind: ModelKind, classes: number, given?: Nets) {
    const nets = given ?? build(cfg, classes);
    super(e, cfg, nets.layout, kind, classes, given ? given.lik.logSigma : (nets as ReturnType<typeof build>).logSigma);
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    const D = this.D, L = (this.L = cfg.latentSize), C = classes;
    const ws = this.ws;
    const B = (d: Dims): number => d.B, R = (d: Dims): number => d.B * d.K;
    const multi = (n: (d: Dims) => number) => (d: Dims): number => (d.multi ? n(d) : 0);
    this.#b = {
      xc: ws.tensor((d) => (C ? B(d) * (D + C) : 0)), xnz: ws.tensor((d) => sparseInputScratch(B(d), D + C)),
      eps: ws.tensor((d) => R(d) * L), z: ws.tensor((d) => R(d) * L, true), zc: ws.tensor((d) => (C ? R(d) * (L + C) : 0), true),
      rec: ws.tensor(R), kl: ws.tensor(B), rw: ws.tensor((d) => Math.max(B(d), R(d))),
      statsRep: ws.tensor(multi((d) => R(d) * 2 * L), true), xRep: ws.tensor(multi((d) => R(d) * D)),
      lq: ws.tensor(multi(R), true), lp: ws.tensor(multi(R), true),
    };
    this.noise = [{ tensor: this.#b.eps, width: L }];
    if (this.encoder.join) this.encoder.join.y = this.y;
    this.encoder.declare(ws, B);
    this.decoder.declare(ws, R);
  }

  /** Encoder input: x, or [x | y] rows for a conditional model. */
  /** Layer lists with batch norm: the encoder sees rows, the decoder rows·K (a Stack knows its minimum; an Mlp has none). */
  protected minRows(K: number): number {
    return Math.max((this.encoder as { minRows?: number }).minRows ?? 1, Math.ceil(((this.decoder as { minRows?: number }).minRows ?? 1) / K));
  }

  #encIn(t: Tape, rows: number): Tensor {
    const b = this.#b;
    if (!this.classes || this.encoder.join) return this.x;
    concatCols(t, b.xc, this.x, this.D, this.y, this.classes, rows);
    return b.xc;
  }

  /** Decoder input: z, or [z | label of example ⌊r/K⌋] rows for a conditional model. */
  #decIn(t: Tape, R: number, K: number): Tensor {
    const b = this.#b;
    if (!this.classes) return b.z;
    concatCols(t, b.zc, b.z, this.L, this.y, this.classes, R, K);
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
    this.lik.nll(t, b.rec, out, this.x, rows);
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
    repeatRows(t, b.xRep, this.x, B, D, K);
    this.lik.nll(t, b.rec, out, b.xRep, R, wts, this.uni);
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
    this.#samples(B, K, gradScale, this.logw.ptr, this.wts);
    let bound = 0;
    if (iwae) {
      const lme = logMeanExp(this.tape, this.lme.ptr, this.wts.ptr, this.logw.ptr, B, K);
      for (let i = 0; i < B; i++) bound += lme[i];
    } else {
      this.e.f32(this.wts.ptr, R).fill(1 / K);
      bound = this.sumAt(this.logw.ptr, R) / K;
    }
    const rec = this.sumAt(b.rec.ptr, R) / K;
    const kl = this.sumAt(b.kl.ptr, B);
    if (gradScale) {
      // seeds: ∂(−bound)/∂log q = gradScale·w, ∂(−bound)/∂log p = −gradScale·w (the likelihood weights its rows by w)
      const w = this.e.f32(this.wts.ptr, R), g = this.e.f32(b.lp.grad!.ptr, R), gn = this.e.f32(b.lq.grad!.ptr, R);
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

  // ---- the graph, for the shared implementation ----

  protected objective(B: number, K: number, gradScale: number): LossTerms {
    return this.multiSample ? this.#samplesObjective(B, K, gradScale, this.cfg.objective === "iwae") : this.#elbo(B, gradScale);
  }

  protected logWeights(B: number, K: number, logw: number): void {
    this.#samples(B, K, 0, logw, undefined);
  }

  /** The ELBO's KL is exact: −mean_k of −log p(x|z) (summed in out until the last block) − KL. */
  protected elboRows(start: number, examples: number, samples: number, last: boolean, K: number, out: Float64Array): void {
    const rec = this.e.f32(this.#b.rec.ptr, examples * samples);
    const kl = this.e.f32(this.#b.kl.ptr, examples);
    for (let i = 0; i < examples; i++) {
      let s = 0;
      for (let j = 0; j < samples; j++) s += rec[i * samples + j];
      out[start + i] += s;
      if (last) out[start + i] = -out[start + i] / K - kl[i];
    }
  }

  protected generate(t: Tape, rows: number): Tensor {
    return this.decoder.run(t, this.#decIn(t, rows, 1), rows);
  }

  protected drawPrior(_t: Tape, rows: number, seed: number, row: number): void {
    this.normals(this.#b.z.ptr, rows, this.L, seed, STREAM.sample, row);
  }

  /** Posterior means and log-variances of every row. */
  protected encodeData(data: LatentData): Encoding {
    const L = this.L, enc = SingleLatentModel.encoding(data.rows, L);
    this.encodeRows(data, (t, start, rows) => this.posteriorRows(enc, this.encoder.run(t, this.#encIn(t, rows), rows, this.#b.xnz.ptr), start, rows, L));
    return enc;
  }

  /** Decodes n latent rows (labels: one-hot rows [n, C]) to the likelihood's mean. */
  protected decodeRows(n: number, z: Float32Array, labels: Float32Array | undefined): Float32Array {
    const L = this.L;
    return this.decodeWith(n, labels, (_t, start, rows) => this.e.write(this.#b.z.ptr, z.subarray(start * L, (start + rows) * L)));
  }

  /** Reconstructions: decode(μ(x)) or, with sample, decode(z ~ q(z|x)). */
  protected reconstructData(data: LatentData, sample: boolean, seed: number): Float32Array {
    const { L } = this, b = this.#b;
    return this.decodeWith(data.rows, data.y, (t, start, rows) => {
      this.putRows(data, start, rows);
      const stats = this.encoder.run(t, this.#encIn(t, rows), rows, b.xnz.ptr);
      if (sample) {
        this.normals(b.eps.ptr, rows, L, seed, STREAM.reconstruct, start);
        reparameterize(t, b.z, b.eps, stats, rows, L);
      } else this.meanOf(b.z, stats, rows, L);
    });
  }
}
