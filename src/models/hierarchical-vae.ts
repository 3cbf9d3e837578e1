// The two-stochastic-layer VAE of Burda et al.'s IWAE paper: q(z1|x) q(z2|z1) for inference; p(z2) = N(0, I), a
// learned Gaussian p(z1|z2) and p(x|z1) for generation. Every term of log w = log p(x|z1) + log p(z1|z2) + log p(z2)
// − log q(z1|x) − log q(z2|z1) is a kernel (likelihood, gaussian_logpdf), so the ELBO, the IWAE bound and
// log-likelihood estimates share one forward pass over B examples × K samples.
import { InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data, type Rows } from "../io/data.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { activeUnits, thresholdOf, type ActiveUnits } from "../latent/statistics.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { gaussianLogDensity } from "../nn/gaussian.js";
import { Mlp } from "../nn/mlp.js";
import { logMeanExp, repeatRows } from "../nn/repeat.js";
import { reparameterize } from "../nn/reparameterize.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { BatchStream, EpochLog, FitOptions, LossTerms, RowSource } from "../train/fit.js";
import {
  resolveHierarchicalConfig, type HierarchicalVAEConfig, type ResolvedHierarchicalVAEConfig,
} from "./hierarchical-config.js";
import { configFromFile, readModelFile } from "./format.js";
import {
  DEFAULT_LL_SAMPLES, LatentModel, MAX_LL_SAMPLES, type Encoding, type LatentData, type LogLikelihoodOptions,
} from "./latent-model.js";
import { CHUNK, STREAM, type EngineOptions } from "./model.js";
import type { LatentCode, ModelCapabilities } from "./model-api.js";
import { intOption, optionsOf } from "./options.js";
import { betaAt } from "./schedule.js";

/**
 * The posteriors of a HierarchicalVAE: q(z1|x), and q(z2|z1) at z1 = the mean of q(z1|x).
 *
 * @example
 * ```ts
 * const { z1, z2 }: HierarchicalEncoding = hvae.encode(x);
 * ```
 */
export interface HierarchicalEncoding {
  z1: Encoding;
  z2: Encoding;
}

/**
 * Noise for `HierarchicalVAE.gradients`: ε of z1 [n·k, z1 size] and of z2 [n·k, z2 size], example-major.
 *
 * @example
 * ```ts
 * const eps: HierarchicalEpsilon = { z1: new Float32Array(n * 100), z2: new Float32Array(n * 50) };
 * ```
 */
export interface HierarchicalEpsilon {
  z1: Data;
  z2: Data;
}

/**
 * Result of `HierarchicalVAE.gradients`: sums over the batch (kl is the sampled log q(z1, z2|x) − log p(z1, z2)).
 *
 * @example
 * ```ts
 * const { loss, gradients }: HierarchicalGradients = hvae.gradients(batch, { seed: 1 });
 * ```
 */
export interface HierarchicalGradients extends LossTerms {
  gradients: Record<string, Float32Array>;
}

/** The typed tensors of a pass: B examples, K samples each (R = B·K rows below the first encoder). */
interface HTensors {
  xnz: Tensor; xRep: Tensor;
  /** q(z1|x)'s stats repeated K times [R, 2·L1], ε and z of both layers. */
  s1r: Tensor; eps1: Tensor; z1: Tensor; eps2: Tensor; z2: Tensor;
  /** Per row: −log p(x|z1), the four log-densities (their gradients: the objective's seeds), a = ∂L/∂rec. */
  rec: Tensor; lq1: Tensor; lq2: Tensor; lp1: Tensor; lp2: Tensor; a: Tensor;
}

/**
 * A VAE with two stochastic layers (Burda et al.'s two-layer model): inference q(z1|x), q(z2|z1); generation
 * p(z2) = N(0, I), p(z1|z2) = N(μ(z2), σ²(z2)), p(x|z1). Trains on the ELBO (every term sampled) or the IWAE bound;
 * logLikelihood estimates log p(x) by importance sampling.
 *
 * @example
 * ```ts
 * import { HierarchicalVAE } from "vaekit";
 * const hvae = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [100, 50], objective: "iwae", samples: 5, seed: 1 });
 * await hvae.fit(trainX, { epochs: 10, batchSize: 20, dynamicBinarization: true });
 * const ll = hvae.logLikelihood(testX, { samples: 5000 });
 * ```
 */
export class HierarchicalVAE extends LatentModel<ResolvedHierarchicalVAEConfig, LossTerms> {
  readonly #q1: Mlp;
  readonly #q2: Mlp;
  readonly #p1: Mlp;
  readonly #px: Mlp;
  readonly #L1: number;
  readonly #L2: number;
  readonly #b: HTensors;

  private constructor(e: Engine, cfg: ResolvedHierarchicalVAEConfig) {
    const layout = new ParameterLayout();
    const [L1, L2] = cfg.latentSizes;
    const D = cfg.inputSize;
    const a = cfg.leakySlope, act = cfg.activation;
    const head = (L: number) => [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }];
    const q1 = new Mlp(layout, { prefix: "encoder.z1", inSize: D, hiddenSizes: cfg.hiddenSizes[0], activation: act, outSize: 2 * L1, outName: "head", outParts: head(L1) }, a);
    const q2 = new Mlp(layout, { prefix: "encoder.z2", inSize: L1, hiddenSizes: cfg.hiddenSizes[1], activation: act, outSize: 2 * L2, outName: "head", outParts: head(L2) }, a);
    const p1 = new Mlp(layout, { prefix: "prior.z1", inSize: L2, hiddenSizes: cfg.decoderHiddenSizes[1], activation: act, outSize: 2 * L1, outName: "head", outParts: head(L1) }, a);
    const px = new Mlp(layout, { prefix: "decoder", inSize: L1, hiddenSizes: cfg.decoderHiddenSizes[0], activation: act, outSize: D, outName: "output" }, a);
    const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
    super(e, cfg, layout, "HierarchicalVAE", 0, logSigma);
    this.#q1 = q1;
    this.#q2 = q2;
    this.#p1 = p1;
    this.#px = px;
    this.#L1 = L1;
    this.#L2 = L2;
    const ws = this.ws;
    const B = (d: Dims): number => d.B, R = (d: Dims): number => d.B * d.K;
    this.#b = {
      xnz: ws.tensor((d) => sparseInputScratch(B(d), D)), xRep: ws.tensor((d) => R(d) * D),
      s1r: ws.tensor((d) => R(d) * 2 * L1, true),
      eps1: ws.tensor((d) => R(d) * L1), z1: ws.tensor((d) => R(d) * L1, true, true),
      eps2: ws.tensor((d) => R(d) * L2), z2: ws.tensor((d) => R(d) * L2, true),
      rec: ws.tensor(R), lq1: ws.tensor(R, true), lq2: ws.tensor(R, true), lp1: ws.tensor(R, true), lp2: ws.tensor(R, true),
      a: ws.tensor(R),
    };
    this.noise = [{ tensor: this.#b.eps1, width: L1 }, { tensor: this.#b.eps2, width: L2 }];
    q1.declare(ws, B);
    q2.declare(ws, R);
    p1.declare(ws, R);
    px.declare(ws, R);
  }

  /**
   * Creates a two-layer VAE (weights initialised like PyTorch's nn.Linear from `config.seed`).
   *
   * @example
   * ```ts
   * const hvae = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [100, 50], seed: 1 });
   * ```
   */
  static async create(config: HierarchicalVAEConfig, options: EngineOptions = {}): Promise<HierarchicalVAE> {
    const cfg = resolveHierarchicalConfig(config);
    const m = new HierarchicalVAE(await HierarchicalVAE.engineFor(options, undefined, cfg), cfg);
    m.initialise();
    return m;
  }

  /**
   * Loads a HierarchicalVAE written by `save()` (ModelFormatError for anything else).
   *
   * @example
   * ```ts
   * const hvae = await HierarchicalVAE.load(bytes);
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<HierarchicalVAE> {
    const file = await readModelFile(bytes, "HierarchicalVAE");
    const cfg = configFromFile(() => resolveHierarchicalConfig(file.config));
    return new HierarchicalVAE(await HierarchicalVAE.engineFor(options, file, cfg), cfg).restore(file);
  }

  /**
   * Trains on the configured objective; options as `VAE.fit`.
   *
   * @example
   * ```ts
   * await hvae.fit(trainX, { epochs: 10, batchSize: 20, dynamicBinarization: true });
   * ```
   */
  fit(x: Data | RowSource<Data> | BatchStream<Data>, options?: FitOptions): Promise<EpochLog[]> {
    return this.train(() => this.target(), x, options);
  }

  /**
   * Mean objective terms per example with evaluate's seeded noise: loss (the ELBO's negative with β, or −L_k),
   * reconstruction (mean over samples of −log p(x|z1)) and kl (mean over samples of log q(z1, z2|x) − log p(z1, z2)).
   *
   * @example
   * ```ts
   * const { loss } = hvae.evaluate(testX, { seed: 1 });
   * ```
   */
  evaluate(x: Data, options: { seed?: number } = {}): LossTerms {
    this.live("evaluate");
    return this.evaluateData(this.#data(x, "evaluate(x)"), seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0));
  }

  /**
   * q(z1|x) per example, and q(z2|z1) at z1 = its mean.
   *
   * @example
   * ```ts
   * const { z1, z2 } = hvae.encode(images);
   * ```
   */
  encode(x: Data): HierarchicalEncoding {
    this.live("encode");
    const data = this.#data(x, "encode(x)");
    const [L1, L2] = [this.#L1, this.#L2];
    const out = { z1: HierarchicalVAE.encoding(data.rows, L1), z2: HierarchicalVAE.encoding(data.rows, L2) };
    this.encodeRows(data, (t, start, rows) => {
      const s1 = this.#q1.run(t, this.x, rows, this.#b.xnz.ptr);
      this.meanOf(this.#b.z1, s1, rows, L1);
      const s2 = this.#q2.run(t, this.#b.z1, rows);
      this.posteriorRows(out.z1, s1, start, rows, L1);
      this.posteriorRows(out.z2, s2, start, rows, L2);
    });
    return out;
  }

  /**
   * Decodes top-level codes z2 [n, z2 size] along the means: z1 = mean of p(z1|z2), then the likelihood's mean.
   *
   * @example
   * ```ts
   * const images = hvae.decode(new Float32Array(50));
   * ```
   */
  decode(z2: Data): Float32Array {
    this.live("decode");
    const L2 = this.#L2;
    const data = toRows(z2, L2, "decode(z2)");
    this.fits("decode", data.rows, true);
    return this.decodeWith(data.rows, undefined, (t, start, rows) => {
      this.e.write(this.#b.z2.ptr, data.values.subarray(start * L2, (start + rows) * L2));
      this.meanOf(this.#b.z1, this.#p1.run(t, this.#b.z2, rows), rows, this.#L1);
    });
  }

  /**
   * Reconstructions: the likelihood's mean at z1 = the mean of q(z1|x).
   *
   * @example
   * ```ts
   * const again = hvae.reconstruct(testX.subarray(0, 8 * 784));
   * ```
   */
  reconstruct(x: Data): Float32Array {
    this.live("reconstruct");
    const data = this.#data(x, "reconstruct(x)");
    return this.decodeWith(data.rows, undefined, (t, start, rows) => {
      this.putRows(data, start, rows);
      this.meanOf(this.#b.z1, this.#q1.run(t, this.x, rows, this.#b.xnz.ptr), rows, this.#L1);
    });
  }

  /**
   * Ancestral samples: z2 ~ N(0, I), z1 ~ p(z1|z2), then the likelihood's mean of p(x|z1).
   *
   * @example
   * ```ts
   * const digits = hvae.sample(64, { seed: 1 });
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
   * The gradient of the summed training objective for a batch, with given ε ({ z1, z2 }, [n·k, size] each,
   * example-major) or evaluate's seeded ε; the model is unchanged.
   *
   * @example
   * ```ts
   * const { loss, gradients } = hvae.gradients(batch, { seed: 1 });
   * ```
   */
  gradients(x: Data, options: { epsilon?: HierarchicalEpsilon; seed?: number } = {}): HierarchicalGradients {
    this.live("gradients");
    const o = optionsOf(options, ["epsilon", "seed"], "gradients");
    const data = this.#data(x, "gradients(x)");
    let eps: Rows[] | undefined;
    if (o.epsilon !== undefined) {
      const e = o.epsilon as HierarchicalEpsilon;
      if (typeof e !== "object" || e === null) throw new InvalidInputError("gradients: epsilon must be { z1, z2 }");
      eps = [toRows(e.z1, this.#L1, "gradients: epsilon.z1"), toRows(e.z2, this.#L2, "gradients: epsilon.z2")];
      const R = data.rows * this.K;
      if (eps[0].rows !== R || eps[1].rows !== R) {
        throw new InvalidInputError(`gradients: epsilon.z1 and .z2 need ${R} rows (examples × samples); got ${eps[0].rows} and ${eps[1].rows}`);
      }
    }
    return this.gradientsData(data, eps, seedOf("gradients: seed", o.seed, 0));
  }

  /**
   * log p(x) per example by importance sampling with k samples of (z1, z2) from q (as `VAE.logLikelihood`).
   *
   * @example
   * ```ts
   * const ll = hvae.logLikelihood(testX, { samples: 5000, seed: 1 });
   * ```
   */
  logLikelihood(x: Data, options: LogLikelihoodOptions = {}): Float64Array {
    this.live("logLikelihood");
    const o = optionsOf(options, ["samples", "seed", "batchSize"], "logLikelihood");
    const data = this.#data(x, "logLikelihood(x)");
    const K = intOption("logLikelihood: samples", o.samples, DEFAULT_LL_SAMPLES, 1, MAX_LL_SAMPLES);
    const seed = seedOf("logLikelihood: seed", o.seed, 0);
    const block = intOption("logLikelihood: batchSize", o.batchSize, 1024, 1, 1 << 20);
    this.fits("logLikelihood: batchSize", Math.min(block, K * CHUNK));
    return this.logLikelihoodData(data, K, seed, block);
  }

  /**
   * The ELBO of each example, mean over `samples` draws (default 1) of log p(x, z1, z2) − log q(z1, z2|x).
   *
   * @example
   * ```ts
   * const elbo = hvae.elbo(testX, { samples: 10 });
   * ```
   */
  elbo(x: Data, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("elbo");
    const o = optionsOf(options, ["samples", "seed"], "elbo");
    const data = this.#data(x, "elbo(x)");
    const K = intOption("elbo: samples", o.samples, 1, 1, MAX_LL_SAMPLES);
    const seed = seedOf("elbo: seed", o.seed, 0);
    return this.elboData(data, K, seed);
  }

  /**
   * −ELBO per example (options as `elbo`).
   *
   * @example
   * ```ts
   * const scores = hvae.anomalyScore(batch);
   * ```
   */
  anomalyScore(x: Data, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("anomalyScore");
    return this.elbo(x, options).map((v) => -v);
  }

  /**
   * Decoded points between two top-level codes z2 (or two inputs, encoded to the mean of z2).
   *
   * @example
   * ```ts
   * const frames = hvae.interpolate(imageA, imageB, { steps: 8, method: "slerp" });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    return this.decode(interpolatePath(this.#code(a, "interpolate: a"), this.#code(b, "interpolate: b"), o.steps, o.method));
  }

  /**
   * Decodes a top-level code z2 with one dimension swept over `values`.
   *
   * @example
   * ```ts
   * const sweep = hvae.traverse(new Float32Array(50), 0);
   * ```
   */
  traverse(z2: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    const base = toRows(Array.from(z2), this.#L2, "traverse: z2");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: give one code of ${this.#L2} values`);
    return this.decode(traversePoints(base.values, dim, o.values));
  }

  /**
   * For a 2-D z2: the decoded size × size grid (as `VAE.latentGrid`).
   *
   * @example
   * ```ts
   * const tiles = hvae.latentGrid({ size: 10 });
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    if (this.#L2 !== 2) throw new InvalidInputError(`latentGrid needs a 2-D top latent space; this model's z2 has ${this.#L2} dimensions`);
    return this.decode(gridPoints(optionsOf(options, ["size", "range"], "latentGrid")).points);
  }

  /**
   * Active units of each layer: Var_x of the posterior mean of z1, and of z2 (at z1 = its mean) above `threshold`.
   *
   * @example
   * ```ts
   * const { z1, z2 } = hvae.activeUnits(testX);
   * ```
   */
  activeUnits(x: Data, options: { threshold?: number } = {}): { z1: ActiveUnits; z2: ActiveUnits } {
    this.live("activeUnits");
    const threshold = thresholdOf(optionsOf(options, ["threshold"], "activeUnits").threshold);
    const { z1, z2 } = this.encode(x);
    const n = z1.mean.length / this.#L1;
    return { z1: activeUnits(z1.mean, n, this.#L1, threshold), z2: activeUnits(z2.mean, n, this.#L2, threshold) };
  }

  /** Two Gaussian latent layers z1 → z2 (the uniform calls work in z2), a prior and a likelihood; no sampled reconstruction. */
  get capabilities(): ModelCapabilities {
    return this.caps(this.D, 0, { z1: this.#L1, z2: this.#L2 }, true, false);
  }

  protected codeOf(encoding: HierarchicalEncoding, layer: "z1" | "z2"): LatentCode {
    return encoding[layer];
  }

  // ---- internals ----

  #data(x: unknown, what: string): LatentData {
    const r = this.rowsOf(x, what);
    return { rows: r.rows, x: r.values };
  }

  #code(v: ArrayLike<number>, what: string): Float32Array {
    const values = Float32Array.from(v);
    if (values.length === this.#L2) return toRows(values, this.#L2, what).values;
    if (values.length === this.D) return this.encode(values).z2.mean;
    throw new InvalidInputError(`${what} has ${values.length} values; give a z2 code (${this.#L2} values) or an input (${this.D} values)`);
  }

  // ---- the graph, for the shared implementation ----

  /** Every pass of this model reads log w (the ELBO's KL is sampled too). */
  protected get multi(): boolean {
    return true;
  }

  protected generate(t: Tape, rows: number): Tensor {
    return this.#px.run(t, this.#b.z1, rows);
  }

  /** z2 ~ N(0, I), then z1 ~ p(z1|z2) (from the sample stream + STREAM.second). */
  protected drawPrior(t: Tape, rows: number, seed: number, row: number): void {
    const b = this.#b;
    this.normals(b.z2.ptr, rows, this.#L2, seed, STREAM.sample, row);
    const prior = this.#p1.run(t, b.z2, rows);
    this.normals(b.eps1.ptr, rows, this.#L1, seed, STREAM.sample + STREAM.second, row);
    reparameterize(t, b.z1, b.eps1, prior, rows, this.#L1);
  }

  protected logWeights(B: number, K: number, logw: number): void {
    this.#forward(B, K, 0, logw);
  }

  /**
   * B examples (x) × K samples (ε in eps1, eps2): every log-density term per row, and log w into `logw`. With grad,
   * out's gradient = ∂rec/∂out (scale 1; the backward step weights the rows by `a`) and the backward steps stay on
   * the tape. The calls are ordered so that the reverse replay adds into z1's and z2's gradients in the order this
   * model always summed them (decoder, log p(z1|z2), then the path through q(z2|z1), then log q(z1|x)).
   */
  #forward(B: number, K: number, grad: number, logw: number): void {
    const b = this.#b, [D, L1, L2] = [this.D, this.#L1, this.#L2];
    const R = B * K;
    const t = this.pass(grad ? 1 : 0);
    repeatRows(t, b.s1r, this.#q1.run(t, this.x, B, b.xnz.ptr), B, 2 * L1, K);
    reparameterize(t, b.z1, b.eps1, b.s1r, R, L1);
    gaussianLogDensity(t, b.lq1, b.z1, b.s1r, R, L1);
    const s2 = this.#q2.run(t, b.z1, R);
    reparameterize(t, b.z2, b.eps2, s2, R, L2);
    gaussianLogDensity(t, b.lq2, b.z2, s2, R, L2);
    gaussianLogDensity(t, b.lp2, b.z2, undefined, R, L2);
    gaussianLogDensity(t, b.lp1, b.z1, this.#p1.run(t, b.z2, R), R, L1);
    const out = this.#px.run(t, b.z1, R);
    repeatRows(t, b.xRep, this.x, B, D, K);
    this.lik.nll(t, b.rec, out, b.xRep, R, b.a, this.uni);
    const [rec, lq1, lq2, lp1, lp2] = [b.rec, b.lq1, b.lq2, b.lp1, b.lp2].map((q) => this.e.f32(q.ptr, R));
    const lw = this.e.f32(logw, R);
    for (let r = 0; r < R; r++) lw[r] = -rec[r] + lp1[r] + lp2[r] - lq1[r] - lq2[r];
  }

  /** The training objective on B examples × K samples (noise in place); backward when gradScale ≠ 0. Sums. */
  protected objective(B: number, K: number, gradScale: number): LossTerms {
    const R = B * K, bt = this.#b;
    this.#forward(B, K, gradScale, this.logw.ptr);
    const rec = this.e.f32(bt.rec.ptr, R), lw = this.e.f32(this.logw.ptr, R);
    let sr = 0, sk = 0;
    for (let r = 0; r < R; r++) {
      sr += rec[r];
      sk += -lw[r] - rec[r];
    }
    sr /= K;
    sk /= K;
    let loss: number;
    // seeds: a = ∂L/∂rec (the likelihood's row weights), b = ∂L/∂log q, −b = ∂L/∂log p
    const a = this.e.f32(bt.a.ptr, R), b = this.e.f32(bt.lq1.grad!.ptr, R);
    if (this.cfg.objective === "iwae") {
      const lme = logMeanExp(this.tape, this.lme.ptr, this.wts.ptr, this.logw.ptr, B, K);
      loss = 0;
      for (let i = 0; i < B; i++) loss -= lme[i];
      const w = this.e.f32(this.wts.ptr, R);
      for (let r = 0; r < R; r++) a[r] = b[r] = gradScale * w[r];
    } else {
      const beta = K === 1 ? betaAt(this.cfg.beta, this.cfg.klWarmup, this.steps) : 1;
      loss = sr + beta * sk;
      a.fill(gradScale / K);
      b.fill((beta * gradScale) / K);
    }
    if (gradScale) {
      const nb = this.e.f32(bt.lp1.grad!.ptr, R);
      for (let r = 0; r < R; r++) nb[r] = -b[r];
      this.e.f32(bt.lq2.grad!.ptr, R).set(b);
      this.e.f32(bt.lp2.grad!.ptr, R).set(nb);
      this.tape.backward();
    }
    return { loss, reconstruction: sr, kl: sk };
  }
}
