// The hybrid VAE of the lecture notes ("single vs multiple observations", "learning with partial observations"):
// several observations of one thing (an image's top and bottom halves, an image and its label, …) — named parts,
// each with its own likelihood and decoder — share one latent z. Which parts an example has is a per-example mask;
// training uses whatever is present.
//
// The encoder is a product of experts (Wu & Goodman 2018): one Gaussian expert q_p(z|x_p) per part and the prior,
//   q(z | x_O) ∝ N(0, I) · Π_{p∈O} q_p(z | x_p)      (O: the parts present in the example)
// and the objective per example is the ELBO of what it has,
//   log p(x_O) ≥ Σ_{p∈O} E_q(z|x_O)[log p(x_p | z)] − KL(q(z|x_O) ‖ p(z)).
// Why a product of experts rather than one encoder over masked inputs: a missing part is absent from the posterior
// by construction (its expert is left out, so no fill value or mask input is learned, and it gets no gradient);
// the posterior for ANY subset of parts is the same formula, so q(z|d) — what imputation and the importance-sampled
// log p(h|d) need — is trained directly by the examples that have only d; and the precisions add, so more parts
// give a sharper posterior. The notes' alternative bound with a learned q(h|d) would need a sampler of h for every
// likelihood; the product of experts integrates h out instead.
import { logSumExp } from "./importance.js";
import { InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data, type Rows } from "../io/data.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { ParameterLayout } from "../nn/dense.js";
import { gaussianLogDensity } from "../nn/gaussian.js";
import { klStandardNormal } from "../nn/kl.js";
import { Mlp } from "../nn/mlp.js";
import { Parts } from "../nn/parts.js";
import { productOfExperts, productOfExpertsBackward } from "../nn/product-of-gaussians.js";
import { reparameterize } from "../nn/reparameterize.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor, Workspace } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { EpochLog, FitOptions, LossTerms, TrainingTarget } from "../train/fit.js";
import { configFromFile, readModelFile } from "./format.js";
import { resolveHybridConfig, type HybridVAEConfig, type ResolvedHybridVAEConfig } from "./hybrid-config.js";
import type { Encoding, GradientResult } from "./latent-model.js";
import type { ModelCapabilities } from "./model-api.js";
import { CHUNK, Model, STREAM, type EngineOptions } from "./model.js";
import { intOption, optionsOf } from "./options.js";

/**
 * Which parts each example has: rows of one 0/1 per part ([n, parts], in the config's part order), or per part name
 * an array of n booleans (or 0/1); parts not named are present everywhere. Omitted: every part is present.
 *
 * @example
 * ```ts
 * const present: Presence = { bottom: hasBottom }; // hasBottom: boolean[] — top always present
 * ```
 */
export type Presence = Data | Record<string, ArrayLike<boolean | number>>;

/**
 * Options of `HybridVAE.fit`: fit's options plus which parts each example has.
 *
 * @example
 * ```ts
 * await model.fit(rows, { present: { bottom: hasBottom }, epochs: 10, batchSize: 128 });
 * ```
 */
export interface HybridFitOptions extends FitOptions {
  present?: Presence;
}

/**
 * Options of `logLikelihood` and `conditionalLogLikelihood`.
 *
 * @example
 * ```ts
 * const o: HybridLikelihoodOptions = { present: { bottom: has }, samples: 1000, seed: 1 };
 * ```
 */
export interface HybridLikelihoodOptions {
  present?: Presence;
  /** Importance samples per example (1 … 100 000). Default 1000. */
  samples?: number;
  /** Seed of the samples. Default 0. */
  seed?: number;
  /** Decoder rows per kernel call: bounds memory. Default 1024. */
  batchSize?: number;
}

/**
 * Options of `conditionalLogLikelihood`: the parts scored, and the importance proposal. `"given"` (default):
 * q(z | parts given). `"mixture"`: the equal mixture of q(z | parts given), q(z | parts given and target parts) and
 * the prior N(0, I), the samples split evenly among the three (deterministic multiple importance sampling, weights
 * against the whole mixture's density). The estimate of log p(x_T | x_G) is consistent with either; the mixture
 * stays usable when the given parts' posterior is a poor proposal — as for a model that never trained q(z | x_G)
 * alone (every training example had every part): the prior bounds the weights, and the posterior with the target
 * parts puts samples where p(x_T | z) is large.
 *
 * @example
 * ```ts
 * const o: HybridConditionalOptions = { target: ["bottom"], proposal: "mixture", samples: 1000, seed: 1 };
 * ```
 */
export interface HybridConditionalOptions extends HybridLikelihoodOptions {
  target: readonly string[];
  proposal?: "given" | "mixture";
}

interface HybridData {
  rows: number;
  x: Float32Array;
  mask: Float32Array;
}

interface Buffers {
  x: Tensor; mask: Tensor; xB: Tensor; maskB: Tensor; xp: Tensor[];
  /** The classification term's encoder mask (its part removed), scoring mask (its part only) and ε. */
  maskC: Tensor; scoreC: Tensor; epsC: Tensor;
  stats: Tensor; statsRep: Tensor; eps: Tensor; z: Tensor; losses: Tensor; kl: Tensor; lq: Tensor; lp: Tensor;
}

/** A part's encoder or decoder: an MLP or a layer list. */
interface Net {
  declare(ws: Workspace, rows: (d: Dims) => number): void;
  run(t: Tape, x: Tensor, rows: number): Tensor;
}

/**
 * The networks: per part an MLP of hiddenSizes, or (the part's encoder / decoder layer lists) a layer list from a
 * chunk loaded on demand; in the config's part order, encoder then decoder, so an MLP-only model's layout is as before.
 */
async function build(cfg: ResolvedHybridVAEConfig) {
  const layout = new ParameterLayout();
  const L = cfg.latentSize;
  const names = Object.keys(cfg.parts);
  const layered = names.some((n) => cfg.parts[n].encoder);
  const lib = layered ? { ...(await import("./layer-nets.js")), ...(await import("./layers-config.js")) } : undefined;
  const encoders: Net[] = [], decoders: Net[] = [];
  const plans = names.map((n) => {
    const p = cfg.parts[n];
    return lib && p.encoder && p.decoder && p.shape ? lib.planModel(p.shape, p.encoder, p.decoder, L, 0) : undefined;
  });
  names.forEach((n, i) => {
    const plan = plans[i];
    encoders.push(plan ? lib!.layerStack(layout, `encoder.${n}`, plan.encoder, cfg.parts[n].size, cfg.leakySlope, 0, {
      size: 2 * L, parts: [{ name: `encoder.${n}.mean`, col: 0, cols: L }, { name: `encoder.${n}.logvar`, col: L, cols: L }],
    }) : new Mlp(layout, {
      prefix: `encoder.${n}`, inSize: cfg.parts[n].size, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation, outSize: 2 * L, outName: "head",
      outParts: [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }],
    }, cfg.leakySlope));
  });
  names.forEach((n, i) => {
    const plan = plans[i];
    decoders.push(plan ? lib!.layerStack(layout, `decoder.${n}`, plan.decoder, L, cfg.leakySlope, 0) : new Mlp(layout, {
      prefix: `decoder.${n}`, inSize: L, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation, outSize: cfg.parts[n].size, outName: "output",
    }, cfg.leakySlope));
  });
  const parts = new Parts(names.map((n) => ({ name: n, likelihood: cfg.parts[n].likelihood, width: cfg.parts[n].size, ...(cfg.parts[n].scale !== undefined ? { scale: cfg.parts[n].scale } : {}) })), layout, "decoder");
  return { layout, names, encoders, decoders, parts };
}

const LSE = logSumExp;

/**
 * A hybrid VAE: named observation parts (each its own likelihood and decoder) sharing one latent, trained on
 * examples that may lack some parts (a per-example presence mask), with a product-of-experts encoder. It imputes
 * missing parts and scores a missing part given the present ones (importance-sampled log p(h | d)). Its engine runs
 * vaekit-ext.wasm (the parts' likelihood kernels). Create with `HybridVAE.create` or `load`; free with `dispose()`.
 *
 * @example
 * ```ts
 * import { HybridVAE } from "vaekit/grouped";
 * const m = await HybridVAE.create({ parts: { top: { size: 392, likelihood: "bernoulli" },
 *   bottom: { size: 392, likelihood: "bernoulli" } }, latentSize: 20, hiddenSizes: [400], seed: 1 });
 * await m.fit(rows, { present: { bottom: hasBottom }, epochs: 10 }); // rows: [top | bottom] per image
 * const completed = m.impute(tops, { present: { bottom: tops.map(() => false) } });
 * m.dispose();
 * ```
 */
export class HybridVAE extends Model<ResolvedHybridVAEConfig, LossTerms> {
  readonly #names: readonly string[];
  readonly #enc: readonly Net[];
  readonly #dec: readonly Net[];
  readonly #parts: Parts;
  readonly #P: number;
  readonly #W: number;
  readonly #L: number;
  readonly #b: Buffers;

  private constructor(e: Engine, cfg: ResolvedHybridVAEConfig, nets: Awaited<ReturnType<typeof build>>) {
    super(e, cfg, nets.layout, "HybridVAE");
    this.#names = nets.names;
    this.#enc = nets.encoders;
    this.#dec = nets.decoders;
    this.#parts = nets.parts;
    const P = (this.#P = nets.names.length), W = (this.#W = nets.parts.width), L = (this.#L = cfg.latentSize);
    const ws = this.ws;
    const B = (d: Dims): number => d.B, R = (d: Dims): number => d.B * d.K;
    this.#b = {
      x: ws.tensor((d) => R(d) * W), mask: ws.tensor((d) => R(d) * P), xB: ws.tensor((d) => (d.multi ? B(d) * W : 0)),
      maskB: ws.tensor((d) => (d.multi ? B(d) * P : 0)), xp: nets.names.map((n) => ws.tensor((d) => B(d) * cfg.parts[n].size)),
      stats: ws.tensor((d) => B(d) * 2 * L, true), statsRep: ws.tensor((d) => (d.multi ? R(d) * 2 * L : 0)),
      eps: ws.tensor((d) => R(d) * L), z: ws.tensor((d) => R(d) * L, true, true), losses: ws.tensor((d) => R(d) * P),
      kl: ws.tensor(B), lq: ws.tensor(R), lp: ws.tensor(R),
      maskC: ws.tensor((d) => (cfg.classification ? B(d) * P : 0)), scoreC: ws.tensor((d) => (cfg.classification ? B(d) * P : 0)),
      epsC: ws.tensor((d) => (cfg.classification ? B(d) * L : 0)),
    };
    for (const m of this.#enc) m.declare(ws, B);
    for (const m of this.#dec) m.declare(ws, R);
  }

  /**
   * Creates a hybrid VAE with weights initialised like PyTorch's nn.Linear from `config.seed`.
   *
   * @example
   * ```ts
   * const m = await HybridVAE.create({ parts: { image: { size: 784, likelihood: "bernoulli" },
   *   label: { size: 10, likelihood: "categorical" } }, latentSize: 16, seed: 1 });
   * ```
   */
  static async create(config: HybridVAEConfig, options: EngineOptions = {}): Promise<HybridVAE> {
    const cfg = resolveHybridConfig(config);
    const m = new HybridVAE(await Model.engine(options, undefined, true), cfg, await build(cfg));
    m.initialise();
    return m;
  }

  /**
   * Loads a model written by `save()`; other classes' files and damaged bytes throw ModelFormatError.
   *
   * @example
   * ```ts
   * const m = await HybridVAE.load(await readFile("hybrid.safetensors"));
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<HybridVAE> {
    const file = await readModelFile(bytes, "HybridVAE");
    const cfg = configFromFile(() => resolveHybridConfig(file.config));
    const nets = await build(cfg);
    return new HybridVAE(await Model.engine(options, file, true), cfg, nets).restore(file);
  }

  /** The part names in data-row order, and where each part's values start in a row. */
  get partLayout(): { name: string; offset: number; size: number }[] {
    return this.#names.map((name, p) => ({ name, offset: this.#parts.offsets[p], size: this.#parts.specs[p].width }));
  }

  /** One Gaussian latent z, a standard normal prior and every part's likelihood (log p(x) of the parts present). */
  get capabilities(): ModelCapabilities {
    return this.caps(this.#W, 0, { z: this.#L }, true, false);
  }

  /**
   * Trains on rows [n, Σ part sizes] (each row the parts side by side in the config's order; a missing part's
   * values are ignored but must be finite, e.g. 0) with `present` saying which parts each example has (default:
   * all). Resolves with one log per epoch; `validationData` is rows, or `{ x, present }`.
   *
   * @example
   * ```ts
   * await m.fit(rows, { present: { bottom: hasBottom }, epochs: 10, batchSize: 128 });
   * ```
   */
  fit(x: Data, options: HybridFitOptions = {}): Promise<EpochLog[]> {
    const { present, ...rest } = (options ?? {}) as HybridFitOptions;
    return this.train(() => this.#target(), { x, present }, rest);
  }

  /**
   * Mean loss terms per example in nats (−ELBO of the parts present), z sampled from a seeded stream (default 0).
   *
   * @example
   * ```ts
   * const { loss } = m.evaluate(testRows, { present, seed: 1 });
   * ```
   */
  evaluate(x: Data, options: { present?: Presence; seed?: number } = {}): LossTerms {
    this.live("evaluate");
    const o = optionsOf(options, ["present", "seed"], "evaluate");
    const data = this.#data(x, o.present, "evaluate(x)");
    const seed = seedOf("evaluate: seed", o.seed, 0);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    const L = this.#L;
    this.ws.chunks(data.rows, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
      this.#put(data, start, rows);
      this.normals(this.#b.eps.ptr, rows, L, seed, STREAM.evaluate, start);
      const t = this.#forward(rows, 0);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    }, CHUNK);
    const n = data.rows;
    return { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n };
  }

  /**
   * The posterior q(z | parts present) of each example (the product of the present parts' experts and the prior).
   *
   * @example
   * ```ts
   * const { mean, logVar } = m.encode(rows, { present });
   * ```
   */
  encode(x: Data, options: { present?: Presence } = {}): Encoding {
    this.live("encode");
    const o = optionsOf(options, ["present"], "encode");
    const data = this.#data(x, o.present, "encode(x)");
    const L = this.#L, mean = new Float32Array(data.rows * L), logVar = new Float32Array(data.rows * L);
    this.ws.chunks(data.rows, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
      this.#put(data, start, rows);
      this.#posterior(this.pass(0), this.#b.x, this.#b.mask, rows);
      const s = this.e.f32(this.#b.stats.ptr, rows * 2 * L);
      for (let r = 0; r < rows; r++) {
        mean.set(s.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        logVar.set(s.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    }, CHUNK);
    return { mean, logVar };
  }

  /**
   * Decodes latent rows [n, latentSize] into every part's mean, rows [n, Σ part sizes]: probabilities (Bernoulli,
   * softmax for categorical), locations (Gaussian, Laplace), rates (Poisson).
   *
   * @example
   * ```ts
   * const rows = m.decode(m.encode(x).mean);
   * ```
   */
  decode(z: Data): Float32Array {
    this.live("decode");
    const data = toRows(z, this.#L, "decode(z)");
    this.fits("decode", data.rows, true);
    return this.#decodeRows(data.rows, (start, rows) => this.e.write(this.#b.z.ptr, data.values.subarray(start * this.#L, (start + rows) * this.#L)));
  }

  /**
   * Every part decoded at the posterior mean of the parts present.
   *
   * @example
   * ```ts
   * const again = m.reconstruct(rows);
   * ```
   */
  reconstruct(x: Data, options: { present?: Presence } = {}): Float32Array {
    this.live("reconstruct");
    return this.decode(this.encode(x, optionsOf(options, ["present"], "reconstruct")).mean);
  }

  /**
   * Fills in the missing parts: rows as given, each missing part replaced by its mean decoded from the posterior of
   * the present parts — at the posterior mean, or (`sample: true`) at a z drawn from it (seeded; default the model's
   * seed), one draw per row.
   *
   * @example
   * ```ts
   * const completed = m.impute(rows, { present: { bottom: rows.map(() => false) } });
   * const another = m.impute(rows, { present, sample: true, seed: 2 });
   * ```
   */
  impute(x: Data, options: { present?: Presence; sample?: boolean; seed?: number } = {}): Float32Array {
    this.live("impute");
    const o = optionsOf(options, ["present", "sample", "seed"], "impute");
    if (o.sample !== undefined && typeof o.sample !== "boolean") throw new InvalidInputError("impute: sample must be true or false");
    const data = this.#data(x, o.present, "impute(x)");
    const seed = seedOf("impute: seed", o.seed, this.cfg.seed);
    const { mean, logVar } = this.encode(data.x, { present: data.mask });
    const L = this.#L;
    if (o.sample) {
      const eps = new Float32Array(data.rows * L);
      this.ws.chunks(data.rows, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
        this.normals(this.#b.eps.ptr, rows, L, seed, STREAM.reconstruct, start);
        eps.set(this.e.f32(this.#b.eps.ptr, rows * L), start * L);
      }, CHUNK);
      for (let i = 0; i < mean.length; i++) mean[i] += Math.exp(0.5 * logVar[i]) * eps[i];
    }
    const filled = this.decode(mean), out = data.x.slice(), W = this.#W;
    for (let r = 0; r < data.rows; r++) {
      this.partLayout.forEach(({ offset, size }, p) => {
        if (data.mask[r * this.#P + p] === 0) out.set(filled.subarray(r * W + offset, r * W + offset + size), r * W + offset);
      });
    }
    return out;
  }

  /**
   * Draws n examples: z ~ N(0, I), every part decoded to its mean. Seeded, or continuing the model's own stream.
   *
   * @example
   * ```ts
   * const rows = m.sample(8, { seed: 1 });
   * ```
   */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["seed"], "sample");
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    return this.sampled(n, o.seed !== undefined, (offset) =>
      this.#decodeRows(n, (start, rows) => this.normals(this.#b.z.ptr, rows, this.#L, seed, STREAM.sample, offset + start)));
  }

  /**
   * log p(x_O) of the parts present in each example, by importance sampling with q(z | x_O): log (1/k) Σ_i
   * p(x_O | z_i) p(z_i) / q(z_i | x_O), in float64.
   *
   * @example
   * ```ts
   * const ll = m.logLikelihood(testRows, { samples: 1000, seed: 1 });
   * ```
   */
  logLikelihood(x: Data, options: HybridLikelihoodOptions = {}): Float64Array {
    this.live("logLikelihood");
    const o = optionsOf(options, ["present", "samples", "seed", "batchSize"], "logLikelihood");
    const data = this.#data(x, o.present, "logLikelihood(x)");
    const { samples, seed, block } = this.#sampling(o, "logLikelihood");
    return this.#importance(data, data.mask, undefined, samples, seed, block);
  }

  /**
   * log p(x_T | x_G) per example: the target parts `target` given the other parts present (G), by self-normalised
   * importance sampling with proposal q(z | x_G): log Σ_i w_i p(x_T | z_i) − log Σ_i w_i, w_i = p(x_G | z_i) p(z_i) /
   * q(z_i | x_G). The target parts must be present in every example (they are scored, not used to infer z).
   *
   * @example
   * ```ts
   * const ll = m.conditionalLogLikelihood(testRows, { target: ["bottom"], samples: 1000, seed: 1 }); // log p(bottom | top)
   * ```
   */
  conditionalLogLikelihood(x: Data, options: HybridConditionalOptions): Float64Array {
    this.live("conditionalLogLikelihood");
    const o = optionsOf(options, ["present", "samples", "seed", "batchSize", "target", "proposal"], "conditionalLogLikelihood");
    if (o.proposal !== undefined && o.proposal !== "given" && o.proposal !== "mixture") {
      throw new InvalidInputError(`conditionalLogLikelihood: proposal must be "given" (q(z | parts given)) or "mixture" (with q(z | all parts) and the prior); got ${String(o.proposal)}`);
    }
    const data = this.#data(x, o.present, "conditionalLogLikelihood(x)");
    const target = o.target as unknown;
    if (!Array.isArray(target) || target.length === 0) throw new InvalidInputError(`conditionalLogLikelihood: target must be a non-empty array of part names (${this.#names.join(", ")})`);
    const P = this.#P, isTarget = new Uint8Array(P);
    for (const name of target) {
      const p = this.#names.indexOf(name as string);
      if (p < 0) throw new InvalidInputError(`conditionalLogLikelihood: target '${String(name)}' is not a part of this model (${this.#names.join(", ")})`);
      isTarget[p] = 1;
    }
    for (let r = 0; r < data.rows; r++) {
      for (let p = 0; p < P; p++) {
        if (isTarget[p] && data.mask[r * P + p] === 0) throw new InvalidInputError(`conditionalLogLikelihood: example ${r} lacks target part '${this.#names[p]}'; a target is scored, so it must be present`);
      }
    }
    const given = data.mask.map((v, i) => (isTarget[i % P] ? 0 : v));
    const { samples, seed, block } = this.#sampling(o, "conditionalLogLikelihood");
    return this.#importance(data, given, isTarget, samples, seed, block, o.proposal === "mixture");
  }

  /**
   * The gradient of the summed training objective for a batch without changing the model; ε [n, latentSize] can
   * be given, else it is evaluate's for `seed`.
   *
   * @example
   * ```ts
   * const { loss, gradients } = m.gradients(rows, { present, epsilon });
   * ```
   */
  gradients(x: Data, options: { present?: Presence; epsilon?: Data; classificationEpsilon?: Data; seed?: number } = {}): GradientResult {
    this.live("gradients");
    const o = optionsOf(options, ["present", "epsilon", "classificationEpsilon", "seed"], "gradients");
    const data = this.#data(x, o.present, "gradients(x)");
    const L = this.#L, n = data.rows;
    const eps = o.epsilon === undefined ? undefined : toRows(o.epsilon, L, "gradients: epsilon");
    if (eps && eps.rows !== n) throw new InvalidInputError(`gradients: epsilon has ${eps.rows} rows but x has ${n}; give one ε row per example`);
    const seed = seedOf("gradients: seed", o.seed, 0);
    this.fits("gradients", n);
    this.ws.layout({ B: n, K: 1, multi: false, total: 0 });
    this.#put(data, 0, n);
    const epsC = o.classificationEpsilon === undefined ? undefined : toRows(o.classificationEpsilon, L, "gradients: classificationEpsilon");
    if (epsC && !this.cfg.classification) throw new InvalidInputError("gradients: classificationEpsilon applies to a model with a classification term (config.classification)");
    if (epsC && epsC.rows !== n) throw new InvalidInputError(`gradients: classificationEpsilon has ${epsC.rows} rows but x has ${n}; give one ε row per example`);
    if (eps) this.e.write(this.#b.eps.ptr, eps.values);
    else this.normals(this.#b.eps.ptr, n, L, seed, STREAM.evaluate, 0);
    // the classification term's ε: given, or evaluate's stream past the ELBO's rows
    if (this.cfg.classification) {
      if (epsC) this.e.write(this.#b.epsC.ptr, epsC.values);
      else this.normals(this.#b.epsC.ptr, n, L, seed, STREAM.evaluate, n);
    }
    this.e.k.zero_f32(this.grads, this.nParams);
    const t = this.#forward(n, 1);
    const c = this.cfg.classification ? this.#classify(n, 1) : undefined;
    return { ...t, ...(c === undefined ? {} : { loss: t.loss + c, classification: c }), gradients: this.gradientTensors() };
  }

  /**
   * Decoded points on the path between two latent codes (latentSize values each), ends included.
   *
   * @example
   * ```ts
   * const frames = m.interpolate(za, zb, { steps: 8 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    const one = (v: ArrayLike<number>, what: string): Float32Array => {
      const r = toRows(Array.from(v), this.#L, what);
      if (r.rows !== 1) throw new InvalidInputError(`${what} must be one latent code of ${this.#L} values; got ${r.rows} rows`);
      return r.values;
    };
    return this.decode(interpolatePath(one(a, "interpolate: a"), one(b, "interpolate: b"), o.steps, o.method));
  }

  /**
   * Decodes z with one latent dimension swept over `values` (default −3 … 3 in 7 steps).
   *
   * @example
   * ```ts
   * const sweep = m.traverse(z, 0, { values: [-2, 0, 2] });
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    const base = toRows(Array.from(z), this.#L, "traverse: z");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: z must be one latent code of ${this.#L} values; got ${base.rows} rows`);
    return this.decode(traversePoints(base.values, dim, o.values));
  }

  /**
   * For a 2-D latent space: the decoded size × size grid over [lo, hi]² (default 10, [−2, 2]).
   *
   * @example
   * ```ts
   * const tiles = m.latentGrid({ size: 12 });
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    if (this.#L !== 2) throw new InvalidInputError(`latentGrid needs a 2-D latent space; this model has latentSize ${this.#L}`);
    return this.decode(gridPoints(optionsOf(options, ["size", "range"], "latentGrid")).points);
  }

  /**
   * Frees the model's WebAssembly memory; later calls throw DisposedError.
   *
   * @example
   * ```ts
   * m.dispose();
   * ```
   */
  override dispose(): void {
    super.dispose();
    this.#parts.dispose();
  }

  // ---- internals ----

  #sampling(o: Record<string, unknown>, what: string): { samples: number; seed: number; block: number } {
    const samples = intOption(`${what}: samples`, o.samples, 1000, 1, 100_000);
    const seed = seedOf(`${what}: seed`, o.seed, 0);
    const block = intOption(`${what}: batchSize`, o.batchSize, 1024, 1, 1 << 20);
    this.fits(`${what}: batchSize`, Math.min(block, samples));
    return { samples, seed, block };
  }

  /** Checks rows and the presence mask; present parts' values must suit their likelihoods. */
  #data(x: unknown, present: unknown, what: string): HybridData {
    const W = this.#W, P = this.#P;
    const rows: Rows = toRows(x, W, what, false, "", this.scan);
    const n = rows.rows, where = what.replace(/\(x\)$/, "");
    const mask = new Float32Array(n * P).fill(1);
    if (present !== undefined) {
      if (typeof present === "object" && present !== null && !Array.isArray(present) && !ArrayBuffer.isView(present)) {
        for (const [name, v] of Object.entries(present as Record<string, unknown>)) {
          const p = this.#names.indexOf(name);
          if (p < 0) throw new InvalidInputError(`${where}: present names part '${name}', which this model lacks (${this.#names.join(", ")})`);
          const a = v as ArrayLike<unknown>;
          if (typeof a !== "object" || a === null || a.length !== n) throw new InvalidInputError(`${where}: present.${name} must hold one boolean per example (${n}); got ${a === null || typeof a !== "object" ? typeof a : a.length}`);
          for (let r = 0; r < n; r++) {
            const b = a[r];
            if (b !== true && b !== false && b !== 0 && b !== 1) throw new InvalidInputError(`${where}: present.${name}[${r}] is ${String(b)}; expected true/false or 1/0`);
            mask[r * P + p] = b === true || b === 1 ? 1 : 0;
          }
        }
      } else {
        const m = toRows(present, P, `${where}: present`);
        if (m.rows !== n) throw new InvalidInputError(`${where}: present has ${m.rows} rows but x has ${n} examples; give one row of ${P} flags (0 or 1) per example`);
        for (let i = 0; i < m.values.length; i++) {
          if (m.values[i] !== 0 && m.values[i] !== 1) throw new InvalidInputError(`${where}: present[${Math.floor(i / P)}][${i % P}] is ${m.values[i]}; expected 0 (missing) or 1 (present)`);
        }
        mask.set(m.values);
      }
    }
    const v = rows.values;
    this.#parts.specs.forEach((s, p) => {
      const off = this.#parts.offsets[p];
      const lo = s.likelihood === "bernoulli" || s.likelihood === "continuous-bernoulli" || s.likelihood === "categorical" || s.likelihood === "poisson" ? 0 : -Infinity;
      const hi = s.likelihood === "poisson" || s.likelihood === "gaussian" || s.likelihood === "laplace" ? Infinity : 1;
      for (let r = 0; r < n; r++) {
        if (mask[r * P + p] === 0) continue;
        for (let j = 0; j < s.width; j++) {
          const u = v[r * W + off + j];
          if (u < lo || u > hi) {
            throw new InvalidInputError(`${where}: part '${s.name}' of example ${r} has ${u}; its ${s.likelihood} likelihood needs values in [${lo}, ${hi}]` +
              (s.likelihood === "bernoulli" ? " (scale pixels by 1/255)" : ""));
          }
        }
      }
    });
    return { rows: n, x: v, mask };
  }

  /** Rows [start, start + rows) of data into x and mask. */
  #put(d: HybridData, start: number, rows: number): void {
    const W = this.#W, P = this.#P;
    this.e.write(this.#b.x.ptr, d.x.subarray(start * W, (start + rows) * W));
    this.e.write(this.#b.mask.ptr, d.mask.subarray(start * P, (start + rows) * P));
  }

  /** The product-of-experts posterior of `rows` rows of x (mask: presence) into stats; backward into the experts. */
  #posterior(t: Tape, x: Tensor, mask: Tensor, rows: number): void {
    const e = this.e, W = this.#W, P = this.#P, L = this.#L, b = this.#b;
    const E = this.#enc.map((enc, p) => {
      const w = this.#parts.specs[p].width, off = this.#parts.offsets[p];
      const src = e.f32(x.ptr, rows * W), dst = e.f32(b.xp[p].ptr, rows * w);
      for (let r = 0; r < rows; r++) dst.set(src.subarray(r * W + off, r * W + off + w), r * w);
      return enc.run(t, b.xp[p], rows);
    });
    productOfExperts(E.map((T) => e.f32(T.ptr, rows * 2 * L)), e.f32(mask.ptr, rows * P), P, rows, L, e.f32(b.stats.ptr, rows * 2 * L));
    t.record(() => {
      const g = E.map(() => new Float32Array(rows * 2 * L));
      productOfExpertsBackward(E.map((T) => e.f32(T.ptr, rows * 2 * L)), e.f32(mask.ptr, rows * P), P, rows, L, e.f32(b.stats.grad!.ptr, rows * 2 * L), g);
      E.forEach((T, p) => t.over(T.grad!, rows * 2 * L, (d) => e.f32(d, rows * 2 * L).set(g[p])));
    });
  }

  /** −ELBO terms of `rows` rows (x, mask and ε in place), summed; with gradScale, backward into grads. */
  #forward(rows: number, gradScale: number): LossTerms {
    const b = this.#b, L = this.#L, P = this.#P;
    const t = this.pass(gradScale);
    this.#posterior(t, b.x, b.mask, rows);
    klStandardNormal(t, b.kl, b.stats, rows, L, gradScale);
    reparameterize(t, b.z, b.eps, b.stats, rows, L);
    this.#dec.forEach((dec, p) => this.#parts.forwardPart(t, p, b.losses, dec.run(t, b.z, rows), b.x, b.mask, rows));
    const reconstruction = this.sumAt(b.losses.ptr, rows * P), kl = this.sumAt(b.kl.ptr, rows);
    t.backward();
    return { loss: reconstruction + kl, reconstruction, kl };
  }

  /**
   * The classification term of `rows` rows (x and mask in place, ε in epsC): weight · −log p(x_c | z), z from q(z |
   * the other parts present), on the rows that have part c; summed (weighted). With gradScale, backward into grads
   * (added to what the ELBO's pass wrote: call it after #forward).
   */
  #classify(rows: number, gradScale: number): number {
    const b = this.#b, P = this.#P, L = this.#L, e = this.e, { part, weight } = this.cfg.classification!;
    const c = this.#names.indexOf(part);
    const mask = e.f32(b.mask.ptr, rows * P), enc = e.f32(b.maskC.ptr, rows * P), score = e.f32(b.scoreC.ptr, rows * P);
    enc.set(mask);
    score.fill(0);
    for (let r = 0; r < rows; r++) {
      enc[r * P + c] = 0;
      score[r * P + c] = mask[r * P + c];
    }
    const t = this.pass(gradScale * weight);
    this.#posterior(t, b.x, b.maskC, rows);
    reparameterize(t, b.z, b.epsC, b.stats, rows, L);
    e.k.zero_f32(b.losses.ptr, rows * P);
    this.#parts.forwardPart(t, c, b.losses, this.#dec[c].run(t, b.z, rows), b.x, b.scoreC, rows);
    const loss = weight * this.sumAt(b.losses.ptr, rows * P);
    t.backward();
    return loss;
  }

  /** Decodes n latent rows written into z by `fill` into every part's mean [n, W]. */
  #decodeRows(n: number, fill: (start: number, rows: number) => void): Float32Array {
    const W = this.#W, out = new Float32Array(n * W);
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
      fill(start, rows);
      const t = this.pass(0);
      const raw = new Float32Array(rows * W);
      this.#dec.forEach((dec, p) => {
        const w = this.#parts.specs[p].width, off = this.#parts.offsets[p];
        const y = this.e.f32(dec.run(t, this.#b.z, rows).ptr, rows * w);
        for (let r = 0; r < rows; r++) raw.set(y.subarray(r * w, (r + 1) * w), r * W + off);
      });
      out.set(this.#parts.means(raw, rows), start * W);
    }, CHUNK);
    return out;
  }

  /**
   * Importance sampling with proposal q(z | parts of `proposal`): per example log mean_k p(x_prop | z) p(z) / q(z)
   * (isTarget undefined), or the self-normalised log p(x_target | x_prop).
   */
  #importance(data: HybridData, proposal: Float32Array, isTarget: Uint8Array | undefined, K: number, seed: number, block: number, mixture = false): Float64Array {
    const P = this.#P, W = this.#W, L = this.#L, b = this.#b, e = this.e;
    const kc = Math.min(K, block), B = Math.max(1, Math.min(CHUNK, Math.floor(block / kc)));
    const out = new Float64Array(data.rows);
    const score = new Float32Array(data.rows * P);
    for (let i = 0; i < score.length; i++) score[i] = proposal[i] || (isTarget?.[i % P] ? data.mask[i] : 0);
    for (let start = 0; start < data.rows; start += B) {
      const rows = Math.min(B, data.rows - start);
      this.ws.layout({ B, K: kc, multi: true, total: 0 });
      e.write(b.xB.ptr, data.x.subarray(start * W, (start + rows) * W));
      e.write(b.maskB.ptr, proposal.subarray(start * P, (start + rows) * P));
      const t = this.pass(0);
      this.#posterior(t, b.xB, b.maskB, rows);
      // the mixture's components: q(z | given) and q(z | given and target), float64 copies; the third is the prior
      const comps: Float64Array[] = [];
      if (mixture) {
        comps.push(Float64Array.from(e.f32(b.stats.ptr, rows * 2 * L)));
        e.write(b.maskB.ptr, score.subarray(start * P, (start + rows) * P));
        this.#posterior(t, b.xB, b.maskB, rows);
        comps.push(Float64Array.from(e.f32(b.stats.ptr, rows * 2 * L)));
      }
      const a = new Float64Array(rows * K), c = new Float64Array(rows * K);
      for (let k0 = 0; k0 < K; k0 += kc) {
        const kk = Math.min(kc, K - k0), R = rows * kk;
        e.k.repeat_rows_forward(b.x.ptr, b.xB.ptr, rows, W, kk);
        e.write(b.maskB.ptr, score.subarray(start * P, (start + rows) * P));
        e.k.repeat_rows_forward(b.mask.ptr, b.maskB.ptr, rows, P, kk);
        for (let i = 0; i < rows; i++) this.normals(b.eps.ptr + i * kk * L * 4, kk, L, seed, STREAM.evaluate, (start + i) * K + k0);
        if (mixture) this.#mixtureSamples(comps, rows, kk, k0);
        else {
          e.k.repeat_rows_forward(b.statsRep.ptr, b.stats.ptr, rows, 2 * L, kk);
          reparameterize(t, b.z, b.eps, b.statsRep, R, L);
          gaussianLogDensity(t, b.lq, b.z, b.statsRep, R, L);
          gaussianLogDensity(t, b.lp, b.z, undefined, R, L);
        }
        this.#dec.forEach((dec, p) => this.#parts.forwardPart(t, p, b.losses, dec.run(t, b.z, R), b.x, b.mask, R));
        const losses = e.f32(b.losses.ptr, R * P), lq = e.f32(b.lq.ptr, R), lp = e.f32(b.lp.ptr, R);
        for (let i = 0; i < rows; i++) {
          for (let k = 0; k < kk; k++) {
            const r = i * kk + k;
            let given = lp[r] - lq[r], target = 0;
            for (let p = 0; p < P; p++) {
              if (isTarget?.[p]) target -= losses[r * P + p];
              else given -= losses[r * P + p];
            }
            a[i * K + k0 + k] = given;
            c[i * K + k0 + k] = given + target;
          }
        }
      }
      for (let i = 0; i < rows; i++) {
        out[start + i] = isTarget ? LSE(c, i * K, K) - LSE(a, i * K, K) : LSE(a, i * K, K) - Math.log(K);
      }
    }
    return out;
  }

  /**
   * z for `rows` examples × kk samples (sample k0 + k of an example from component (k0 + k) mod 3: q(z | given),
   * q(z | given and target), the prior), from ε in place; log p(z) into lp and the mixture's log density into lq.
   */
  #mixtureSamples(comps: readonly Float64Array[], rows: number, kk: number, k0: number): void {
    const L = this.#L, b = this.#b, e = this.e, R = rows * kk;
    const eps = e.f32(b.eps.ptr, R * L), z = e.f32(b.z.ptr, R * L), lq = e.f32(b.lq.ptr, R), lp = e.f32(b.lp.ptr, R);
    const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI), dens = new Float64Array(3), zi = new Float64Array(L);
    for (let i = 0; i < rows; i++) {
      for (let k = 0; k < kk; k++) {
        const r = i * kk + k, which = (k0 + k) % 3;
        for (let j = 0; j < L; j++) {
          const v = eps[r * L + j];
          zi[j] = which === 2 ? v : comps[which][i * 2 * L + j] + Math.exp(0.5 * comps[which][i * 2 * L + L + j]) * v;
          z[r * L + j] = zi[j];
        }
        let prior = 0;
        for (let j = 0; j < L; j++) prior -= 0.5 * zi[j] * zi[j] + HALF_LOG_2PI;
        for (let m = 0; m < 2; m++) {
          let s = 0;
          for (let j = 0; j < L; j++) {
            const mu = comps[m][i * 2 * L + j], lv = comps[m][i * 2 * L + L + j], d = zi[j] - mu;
            s -= 0.5 * (d * d * Math.exp(-lv) + lv) + HALF_LOG_2PI;
          }
          dens[m] = s;
        }
        dens[2] = prior;
        lp[r] = prior;
        lq[r] = LSE(dens, 0, 3) - Math.log(3);
      }
    }
  }

  #target(): TrainingTarget<LossTerms, HybridData> {
    const L = this.#L, W = this.#W, P = this.#P;
    let capacity = 1;
    const ws = (): void => this.ws.layout({ B: capacity, K: 1, multi: false, total: 0 });
    return {
      ...this.targetBase(),
      validate: (d, what, unit) => {
        if (unit) throw new InvalidInputError("fit: dynamicBinarization is not available for a HybridVAE (its parts have different likelihoods); binarize the Bernoulli parts beforehand");
        const given = typeof d === "object" && d !== null && !Array.isArray(d) && !ArrayBuffer.isView(d) && "x" in d
          ? d as { x: unknown; present?: unknown } : { x: d };
        return this.#data(given.x, given.present, what);
      },
      batchInput: (rows) => {
        capacity = rows;
        ws();
        return (r, data, src) => {
          ws();
          this.e.write(this.#b.x.ptr + r * W * 4, data.x.subarray(src * W, (src + 1) * W));
          this.e.write(this.#b.mask.ptr + r * P * 4, data.mask.subarray(src * P, (src + 1) * P));
        };
      },
      forwardBackward: (rows, gradScale) => {
        ws();
        this.trainNormals(this.#b.eps.ptr, rows * L);
        this.e.k.zero_f32(this.grads, this.nParams);
        const terms = this.#forward(rows, gradScale);
        if (!this.cfg.classification) return terms;
        this.trainNormals(this.#b.epsC.ptr, rows * L);
        const c = this.#classify(rows, gradScale);
        return { ...terms, loss: terms.loss + c, classification: c };
      },
      evaluate: (d, seed) => this.evaluate(d.x, { present: d.mask, seed }),
    };
  }
}
