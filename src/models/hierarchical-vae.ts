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
import type { Dims, Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { BatchStream, Dataset, EpochLog, FitOptions, LossTerms, RowSource, TrainingTarget } from "../train/fit.js";
import {
  resolveHierarchicalConfig, type HierarchicalVAEConfig, type ResolvedHierarchicalVAEConfig,
} from "./hierarchical-config.js";
import { configFromFile, readModelFile } from "./format.js";
import { sampleBlocks } from "./importance.js";
import { DEFAULT_LL_SAMPLES, MAX_LL_SAMPLES, type Encoding, type LogLikelihoodOptions } from "./latent-model.js";
import { LikelihoodHead } from "./likelihood.js";
import { CHUNK, cbern, Model, STREAM, type EngineOptions } from "./model.js";
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

interface HData extends Dataset {
  readonly x: Float32Array;
}


/** The typed tensors of a pass: B examples, K samples each (R = B·K rows below the first encoder). */
interface HTensors {
  x: Tensor; xnz: Tensor; xRep: Tensor;
  /** q(z1|x)'s stats repeated K times [R, 2·L1], ε and z of both layers. */
  s1r: Tensor; eps1: Tensor; z1: Tensor; eps2: Tensor; z2: Tensor;
  /** Per row: −log p(x|z1), the four log-densities (their gradients: the objective's seeds), log w, IWAE weights, a = ∂L/∂rec. */
  rec: Tensor; lq1: Tensor; lq2: Tensor; lp1: Tensor; lp2: Tensor; logw: Tensor; wts: Tensor; a: Tensor;
  lme: Tensor; uni: Tensor; logwAll: Tensor; wAll: Tensor; lmeAll: Tensor;
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
export class HierarchicalVAE extends Model<ResolvedHierarchicalVAEConfig, LossTerms> {
  readonly #q1: Mlp;
  readonly #q2: Mlp;
  readonly #p1: Mlp;
  readonly #px: Mlp;
  readonly #lik: LikelihoodHead;
  readonly #D: number;
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
    super(e, cfg, layout, "HierarchicalVAE");
    this.#q1 = q1;
    this.#q2 = q2;
    this.#p1 = p1;
    this.#px = px;
    this.#lik = new LikelihoodHead(cfg, D, logSigma);
    this.#D = D;
    this.#L1 = L1;
    this.#L2 = L2;
    const ws = this.ws;
    const B = (d: Dims): number => d.B, R = (d: Dims): number => d.B * d.K;
    const all = (d: Dims): number => (d.total ? Math.max(d.B * d.total, d.total) : 0);
    this.#b = {
      x: ws.tensor((d) => B(d) * D), xnz: ws.tensor((d) => sparseInputScratch(B(d), D)), xRep: ws.tensor((d) => R(d) * D),
      s1r: ws.tensor((d) => R(d) * 2 * L1, true),
      eps1: ws.tensor((d) => R(d) * L1), z1: ws.tensor((d) => R(d) * L1, true, true),
      eps2: ws.tensor((d) => R(d) * L2), z2: ws.tensor((d) => R(d) * L2, true),
      rec: ws.tensor(R), lq1: ws.tensor(R, true), lq2: ws.tensor(R, true), lp1: ws.tensor(R, true), lp2: ws.tensor(R, true),
      logw: ws.tensor(R), wts: ws.tensor(R), a: ws.tensor(R), lme: ws.tensor((d) => 2 * B(d)), uni: ws.tensor(() => D),
      logwAll: ws.tensor(all), wAll: ws.tensor(all), lmeAll: ws.tensor((d) => (d.total ? 2 * B(d) : 0)),
    };
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
    const m = new HierarchicalVAE(await Model.engine(options, undefined, cbern(cfg)), cfg);
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
    return new HierarchicalVAE(await Model.engine(options, file, cbern(cfg)), cfg).restore(file);
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
    return this.train(() => this.#target(), x, options);
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
    return this.#evaluate(this.#data(x, "evaluate(x)"), seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0));
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
    const n = data.rows;
    const out = { z1: { mean: new Float32Array(n * L1), logVar: new Float32Array(n * L1) }, z2: { mean: new Float32Array(n * L2), logVar: new Float32Array(n * L2) } };
    const split = (src: Float32Array, rows: number, L: number, e: Encoding, start: number) => {
      for (let r = 0; r < rows; r++) {
        e.mean.set(src.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        e.logVar.set(src.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    };
    this.#chunks(n, 1, (start, rows) => {
      this.e.write(this.#b.x.ptr, data.x.subarray(start * this.#D, (start + rows) * this.#D));
      this.#meanZ1(rows);
      this.#q2.run(this.tape, this.#b.z1, rows);
      split(this.e.f32(this.#q1.output.ptr, rows * 2 * L1), rows, L1, out.z1, start);
      split(this.e.f32(this.#q2.output.ptr, rows * 2 * L2), rows, L2, out.z2, start);
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
    return this.#decodeWith(data.rows, (start, rows) => {
      this.e.write(this.#b.z2.ptr, data.values.subarray(start * L2, (start + rows) * L2));
      this.#meanPrior(rows);
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
    return this.#decodeWith(data.rows, (start, rows) => {
      this.e.write(this.#b.x.ptr, data.x.subarray(start * this.#D, (start + rows) * this.#D));
      this.#meanZ1(rows);
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
    const [L1, L2] = [this.#L1, this.#L2];
    const b = this.#b;
    return this.sampled(n, o.seed !== undefined, (offset) => this.#decodeWith(n, (start, rows) => {
      this.normals(b.z2.ptr, rows, L2, seed, STREAM.sample, offset + start);
      const prior = this.#p1.run(this.tape, b.z2, rows);
      this.normals(b.eps1.ptr, rows, L1, seed, STREAM.sample + STREAM.second, offset + start);
      reparameterize(this.tape, b.z1, b.eps1, prior, rows, L1);
    }));
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
    const K = this.#K;
    let e1: Rows | undefined, e2: Rows | undefined;
    if (o.epsilon !== undefined) {
      const eps = o.epsilon as HierarchicalEpsilon;
      if (typeof eps !== "object" || eps === null) throw new InvalidInputError("gradients: epsilon must be { z1, z2 }");
      e1 = toRows(eps.z1, this.#L1, "gradients: epsilon.z1");
      e2 = toRows(eps.z2, this.#L2, "gradients: epsilon.z2");
      if (e1.rows !== data.rows * K || e2.rows !== data.rows * K) {
        throw new InvalidInputError(`gradients: epsilon.z1 and .z2 need ${data.rows * K} rows (examples × samples); got ${e1.rows} and ${e2.rows}`);
      }
    }
    const seed = seedOf("gradients: seed", o.seed, 0);
    this.e.k.zero_f32(this.grads, this.nParams);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    const b = this.#b;
    this.#chunks(data.rows, K, (start, rows) => {
      this.e.write(b.x.ptr, data.x.subarray(start * this.#D, (start + rows) * this.#D));
      if (e1 && e2) {
        this.e.write(b.eps1.ptr, e1.values.subarray(start * K * this.#L1, (start + rows) * K * this.#L1));
        this.e.write(b.eps2.ptr, e2.values.subarray(start * K * this.#L2, (start + rows) * K * this.#L2));
      } else this.#evalNoise(rows * K, seed, start * K);
      const t = this.#objective(rows, K, 1);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    });
    return { ...sums, gradients: this.gradientTensors() };
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
    const out = new Float64Array(data.rows);
    const rowsMax = Math.min(block, K * CHUNK);
    const B = Math.max(1, Math.min(CHUNK, Math.floor(rowsMax / K)));
    const kMax = Math.min(K, rowsMax);
    const b = this.#b;
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      this.ws.layout({ B, K: kMax, multi: false, total: K });
      if (blk.k0 === 0) this.e.write(b.x.ptr, data.x.subarray(blk.start * this.#D, (blk.start + blk.examples) * this.#D));
      this.#evalNoise(blk.examples * blk.samples, seed, blk.start * K + blk.k0);
      this.#forward(blk.examples, blk.samples, 0, b.logwAll.ptr + blk.k0 * 4);
      if (blk.k0 + blk.samples === K) out.set(logMeanExp(this.tape, b.lmeAll.ptr, b.wAll.ptr, b.logwAll.ptr, blk.examples, K), blk.start);
    }
    return out;
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
    const B = Math.max(1, Math.min(CHUNK, Math.floor(1024 / K)));
    const kMax = Math.min(K, 1024);
    const out = new Float64Array(data.rows);
    const b = this.#b;
    for (const blk of sampleBlocks(data.rows, K, B, kMax)) {
      this.ws.layout({ B, K: kMax, multi: false, total: 0 });
      if (blk.k0 === 0) this.e.write(b.x.ptr, data.x.subarray(blk.start * this.#D, (blk.start + blk.examples) * this.#D));
      this.#evalNoise(blk.examples * blk.samples, seed, blk.start * K + blk.k0);
      this.#forward(blk.examples, blk.samples, 0, b.logw.ptr);
      const lw = this.e.f32(b.logw.ptr, blk.examples * blk.samples);
      for (let i = 0; i < blk.examples; i++) {
        let s = 0;
        for (let j = 0; j < blk.samples; j++) s += lw[i * blk.samples + j];
        out[blk.start + i] += s / K;
      }
    }
    return out;
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
    return this.caps(this.#D, 0, { z1: this.#L1, z2: this.#L2 }, true, false);
  }

  protected codeOf(encoding: HierarchicalEncoding, layer: "z1" | "z2"): LatentCode {
    return encoding[layer];
  }

  // ---- internals ----

  get #K(): number {
    return this.cfg.objective === "iwae" || this.cfg.samples > 1 ? this.cfg.samples : 1;
  }

  #data(x: unknown, what: string, unit = this.#lik.unitData): HData {
    const r = toRows(x, this.#D, what, unit, unit ? (this.#lik.unitData ? this.#lik.unitHint : " for dynamic binarization") : "", this.scan);
    return { rows: r.rows, x: r.values };
  }

  #code(v: ArrayLike<number>, what: string): Float32Array {
    const values = Float32Array.from(v);
    if (values.length === this.#L2) return toRows(values, this.#L2, what).values;
    if (values.length === this.#D) return this.encode(values).z2.mean;
    throw new InvalidInputError(`${what} has ${values.length} values; give a z2 code (${this.#L2} values) or an input (${this.#D} values)`);
  }

  /** Runs `body` over chunks of at most CHUNK / K examples, the workspace laid out for K samples each. */
  #chunks(n: number, K: number, body: (start: number, rows: number) => void): void {
    this.ws.chunks(n, (B) => ({ B, K, multi: false, total: 0 }), body, Math.max(1, Math.floor(CHUNK / K)));
  }

  /** Evaluation noise for rows [offset, offset + R) of the (example, sample) sequence. */
  #evalNoise(R: number, seed: number, offset: number): void {
    this.normals(this.#b.eps1.ptr, R, this.#L1, seed, STREAM.evaluate, offset);
    this.normals(this.#b.eps2.ptr, R, this.#L2, seed, STREAM.evaluate + STREAM.second, offset);
  }

  /** z1 = mean of q(z1|x) for `rows` rows of x (an inference pass). */
  #meanZ1(rows: number): void {
    this.pass(0);
    this.#mean(this.#q1.run(this.tape, this.#b.x, rows, this.#b.xnz.ptr), rows);
  }

  /** z1 = mean of p(z1|z2) for `rows` rows of z2 (an inference pass). */
  #meanPrior(rows: number): void {
    this.pass(0);
    this.#mean(this.#p1.run(this.tape, this.#b.z2, rows), rows);
  }

  #mean(stats: Tensor, rows: number): void {
    const L1 = this.#L1;
    const s = this.e.f32(stats.ptr, rows * 2 * L1);
    const z = this.e.f32(this.#b.z1.ptr, rows * L1);
    for (let r = 0; r < rows; r++) z.set(s.subarray(r * 2 * L1, r * 2 * L1 + L1), r * L1);
  }

  #decodeWith(n: number, fillZ1: (start: number, rows: number) => void): Float32Array {
    const D = this.#D;
    const out = new Float32Array(n * D);
    this.#chunks(n, 1, (start, rows) => {
      this.pass(0);
      fillZ1(start, rows);
      const y = this.#px.run(this.tape, this.#b.z1, rows);
      this.#lik.mean(this.e, y.ptr, rows);
      out.set(this.e.f32(y.ptr, rows * D), start * D);
    });
    return out;
  }

  /**
   * B examples (x) × K samples (ε in eps1, eps2): every log-density term per row, and log w into `logw`. With grad,
   * out's gradient = ∂rec/∂out (scale 1; the backward step weights the rows by `a`) and the backward steps stay on
   * the tape. The calls are ordered so that the reverse replay adds into z1's and z2's gradients in the order this
   * model always summed them (decoder, log p(z1|z2), then the path through q(z2|z1), then log q(z1|x)).
   */
  #forward(B: number, K: number, grad: number, logw: number): void {
    const b = this.#b, [D, L1, L2] = [this.#D, this.#L1, this.#L2];
    const R = B * K;
    const t = this.pass(grad ? 1 : 0);
    repeatRows(t, b.s1r, this.#q1.run(t, b.x, B, b.xnz.ptr), B, 2 * L1, K);
    reparameterize(t, b.z1, b.eps1, b.s1r, R, L1);
    gaussianLogDensity(t, b.lq1, b.z1, b.s1r, R, L1);
    const s2 = this.#q2.run(t, b.z1, R);
    reparameterize(t, b.z2, b.eps2, s2, R, L2);
    gaussianLogDensity(t, b.lq2, b.z2, s2, R, L2);
    gaussianLogDensity(t, b.lp2, b.z2, undefined, R, L2);
    gaussianLogDensity(t, b.lp1, b.z1, this.#p1.run(t, b.z2, R), R, L1);
    const out = this.#px.run(t, b.z1, R);
    repeatRows(t, b.xRep, b.x, B, D, K);
    this.#lik.nll(t, b.rec, out, b.xRep, R, b.a, b.uni);
    const [rec, lq1, lq2, lp1, lp2] = [b.rec, b.lq1, b.lq2, b.lp1, b.lp2].map((q) => this.e.f32(q.ptr, R));
    const lw = this.e.f32(logw, R);
    for (let r = 0; r < R; r++) lw[r] = -rec[r] + lp1[r] + lp2[r] - lq1[r] - lq2[r];
  }

  /** The training objective on B examples × K samples (noise in place); backward when gradScale ≠ 0. Sums. */
  #objective(B: number, K: number, gradScale: number): LossTerms {
    const R = B * K, bt = this.#b;
    this.#forward(B, K, gradScale, bt.logw.ptr);
    const rec = this.e.f32(bt.rec.ptr, R), lw = this.e.f32(bt.logw.ptr, R);
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
      const lme = logMeanExp(this.tape, bt.lme.ptr, bt.wts.ptr, bt.logw.ptr, B, K);
      loss = 0;
      for (let i = 0; i < B; i++) loss -= lme[i];
      const w = this.e.f32(bt.wts.ptr, R);
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

  #evaluate(data: HData, seed: number): LossTerms {
    const K = this.#K;
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    this.#chunks(data.rows, K, (start, rows) => {
      this.e.write(this.#b.x.ptr, data.x.subarray(start * this.#D, (start + rows) * this.#D));
      this.#evalNoise(rows * K, seed, start * K);
      const t = this.#objective(rows, K, 0);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    });
    const n = data.rows;
    return { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n };
  }

  #target(): TrainingTarget<LossTerms, HData> {
    const D = this.#D, K = this.#K;
    let capacity = 1;
    let binarize: number | undefined;
    const b = this.#b;
    const ws = (): void => this.ws.layout({ B: capacity, K, multi: false, total: 0 });
    return {
      ...this.targetBase(),
      validate: (data, what, unit) => this.#data(data, what, this.#lik.unitData || unit),
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
        this.trainNormals(b.eps1.ptr, rows * K * this.#L1);
        this.trainNormals(b.eps2.ptr, rows * K * this.#L2, STREAM.train + STREAM.second);
        this.e.k.zero_f32(this.grads, this.nParams);
        return this.#objective(rows, K, gradScale);
      },
      evaluate: (data, seed) => this.#evaluate(data, seed),
    };
  }
}
