// The variational RNN (Chung et al. 2015): at each step t, a prior p(z_t | h_{t−1}), a posterior
// q(z_t | x_t, h_{t−1}), a decoder p(x_t | z_t, h_{t−1}) and the recurrence h_t = RNN([φx(x_t), φz(z_t)], h_{t−1});
// the loss is Σ_t −log p(x_t | z_t, h_{t−1}) + KL(q_t ‖ p_t) per sequence (−ELBO). Steps past a sequence's length
// are masked: they add nothing to the loss and carry h over.
//
// Buffers are step-major, [T, S, width] (S = rows per pass), so each step's rows are one contiguous block for the
// dense kernels; the backward pass walks the steps in reverse (BPTT) in a fixed order, so results do not depend on
// the thread count (the GEMMs' own splits are bit-identical).
import { InvalidConfigError, InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";
import { count, seedOf } from "../io/data.js";
import { sequences, toSequences, type SequenceInput, type Sequences } from "../io/sequences.js";
import { ParameterLayout, stackBackward, stackForward, type Activation, type DenseLayer } from "../nn/dense.js";
import { RecurrentCell, type CellKind } from "../nn/recurrent.js";
import type { Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { EpochLog, FitOptions, LossTerms, TrainingTarget } from "../train/fit.js";
import { activationOf, configObject, likelihoodOf, seedConfig, size, sizes, type Likelihood } from "./config-checks.js";
import { configFromFile, readModelFile } from "./format.js";
import { LikelihoodHead } from "./likelihood.js";
import { Model, STREAM, type EngineOptions } from "./model.js";
import type { ModelCapabilities } from "./model-api.js";
import { intOption, optionsOf } from "./options.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";

/**
 * A VRNN's configuration. Widths of φx, φz and of the prior's, encoder's and decoder's hidden layers are layer lists.
 *
 * @example
 * ```ts
 * const config: VRNNConfig = { inputSize: 28, hiddenSize: 100, latentSize: 16, likelihood: "bernoulli", seed: 1 };
 * ```
 */
export interface VRNNConfig {
  /** Values per step (D). */
  inputSize: number;
  /**
   * The length of sequences given as flat rows (n × steps·inputSize values, every sequence full length), and
   * sample's default. Optional: without it, data must come as Sequences (sequences()) or nested arrays.
   */
  steps?: number;
  /** The recurrent state's width H. Default 100. */
  hiddenSize?: number;
  /** z per step. Default 16. */
  latentSize?: number;
  /** "gru" (default) or "lstm": PyTorch's GRUCell / LSTMCell. */
  cell?: CellKind;
  /** φx: x_t → features, layer widths. Default [100, 100]. */
  phiX?: number[];
  /** φz: z_t → features. Default [100]. */
  phiZ?: number[];
  /** Prior h → hidden layers → (μ, log σ²). Default [100]. */
  priorSizes?: number[];
  /** Encoder [φx, h] → hidden layers → (μ, log σ²). Default [100, 100]. */
  encoderSizes?: number[];
  /** Decoder [φz, h] → hidden layers → x. Default [100, 100]. */
  decoderSizes?: number[];
  /** Of every hidden layer. Default "relu". */
  activation?: Activation;
  leakySlope?: number;
  /** Any of vaekit's likelihoods; default "bernoulli". */
  likelihood?: Likelihood;
  /** σ (Gaussian; "learned" for a learned per-dimension σ) or b (Laplace). Default 1. */
  likelihoodScale?: number | "learned";
  seed?: number;
}

/**
 * A resolved VRNN configuration (every default filled in; steps 0 when none was given), as `vrnn.config` returns it.
 *
 * @example
 * ```ts
 * const c: ResolvedVRNNConfig = vrnn.config; c.cell; // "gru"
 * ```
 */
export type ResolvedVRNNConfig = Required<Omit<VRNNConfig, "likelihoodScale">> & { likelihoodScale: number | "learned" }; // steps 0: none

const KEYS = ["inputSize", "steps", "hiddenSize", "latentSize", "cell", "phiX", "phiZ", "priorSizes", "encoderSizes", "decoderSizes",
  "activation", "leakySlope", "likelihood", "likelihoodScale", "seed"];

function resolveVRNNConfig(config: unknown): ResolvedVRNNConfig {
  const c = configObject(config, "VRNN", KEYS, "{ inputSize: 28, hiddenSize: 100, latentSize: 16 }");
  if (c.inputSize === undefined) throw new InvalidConfigError("VRNN config needs inputSize (values per step)");
  const cell = c.cell ?? "gru";
  if (cell !== "gru" && cell !== "lstm") throw new InvalidConfigError(`cell must be "gru" or "lstm"; got ${show(c.cell)}`);
  const list = (name: string, def: number[]): number[] => {
    const v = c[name] === undefined ? def : sizes(name, c[name]);
    if (v.length === 0) throw new InvalidConfigError(`${name} needs at least one layer width, e.g. [100]`);
    return v;
  };
  const slope = c.leakySlope ?? 0.01;
  if (typeof slope !== "number" || !Number.isFinite(slope)) throw new InvalidConfigError(`leakySlope must be a finite number; got ${show(slope)}`);
  return {
    inputSize: size("inputSize", c.inputSize),
    steps: c.steps === undefined || c.steps === 0 ? 0 : size("steps", c.steps), // 0: none (as a saved config says)
    hiddenSize: c.hiddenSize === undefined ? 100 : size("hiddenSize", c.hiddenSize),
    latentSize: c.latentSize === undefined ? 16 : size("latentSize", c.latentSize),
    cell,
    phiX: list("phiX", [100, 100]),
    phiZ: list("phiZ", [100]),
    priorSizes: list("priorSizes", [100]),
    encoderSizes: list("encoderSizes", [100, 100]),
    decoderSizes: list("decoderSizes", [100, 100]),
    activation: activationOf("activation", c.activation, "relu"),
    leakySlope: slope,
    ...likelihoodOf(c),
    seed: seedConfig(c.seed),
  };
}

/**
 * Per-step and per-sequence anomaly scores: −ELBO terms, reconstruction + KL, in nats (0 on padded steps).
 *
 * @example
 * ```ts
 * const { perStep, perSequence } = vrnn.anomalyScore(x, { seed: 1 });
 * ```
 */
export interface SequenceScores {
  /** Per step, shape [n, steps]: −log p(x_t | z_t, h) + KL(q_t ‖ p_t), averaged over the samples. */
  perStep: Float32Array;
  /** Per sequence, shape [n]: the sum over its real steps. */
  perSequence: Float64Array;
}

/**
 * Per-step posteriors q(z_t | x_≤t, z_<t), each [n, steps, latentSize] (along the posterior means).
 *
 * @example
 * ```ts
 * const { mean, logVar } = vrnn.encode(x);
 * ```
 */
export interface SequenceEncoding {
  mean: Float32Array;
  logVar: Float32Array;
}

interface SeqData {
  readonly rows: number;
  readonly s: Sequences;
}

/** How z is chosen in a pass. */
const enum Z { Sampled, Mean, Prior, Given }

/** Dense layers of one network (hidden layers, then a head): outputs [T, S, width] per layer. */
class Net {
  outs: Tensor[] = [];
  douts: Tensor[] = [];
  constructor(readonly layers: DenseLayer[]) {}
  get out(): Tensor {
    return this.outs[this.outs.length - 1];
  }
  get dout(): Tensor {
    return this.douts[this.douts.length - 1];
  }
}

/**
 * The variational RNN (Chung et al. 2015) on a GRU or LSTM cell: a model of sequences with a latent z_t per step,
 * a learned prior p(z_t | h_{t−1}) and a posterior q(z_t | x_t, h_{t−1}). Trains on the −ELBO summed over the steps;
 * scores each step (anomalyScore), encodes, reconstructs, samples and estimates log-likelihoods.
 *
 * @example
 * ```ts
 * const vrnn = await VRNN.create({ inputSize: 28, steps: 28, hiddenSize: 100, latentSize: 16, seed: 1 });
 * await vrnn.fit(images, { epochs: 3, clipNorm: 10 }); // each 784-pixel image = 28 steps of 28
 * const { perStep } = vrnn.anomalyScore(images.subarray(0, 784));
 * ```
 */
export class VRNN extends Model<ResolvedVRNNConfig, LossTerms> {
  readonly #D: number;
  readonly #H: number;
  readonly #L: number;
  readonly #alpha: number;
  readonly #phiX: Net;
  readonly #phiZ: Net;
  readonly #prior: Net;
  readonly #enc: Net;
  readonly #dec: Net;
  readonly #cell: RecurrentCell;
  readonly #lik: LikelihoodHead;
  readonly #t: Record<string, Tensor> = {};
  /** Steps of the training data (fit's layout). */
  #trainSteps = 1;
  #trainRows = 1;
  #trainLengths = new Int32Array(0);

  private constructor(e: Engine, cfg: ResolvedVRNNConfig) {
    const layout = new ParameterLayout();
    const D = cfg.inputSize, H = cfg.hiddenSize, L = cfg.latentSize, act = cfg.activation;
    const stack = (prefix: string, inSize: number, widths: number[]): DenseLayer[] =>
      widths.map((w, i) => layout.add(`${prefix}.${i}`, i ? widths[i - 1] : inSize, w, act));
    const Fx = cfg.phiX[cfg.phiX.length - 1], Fz = cfg.phiZ[cfg.phiZ.length - 1];
    const phiX = stack("phi_x", D, cfg.phiX);
    const phiZ = stack("phi_z", L, cfg.phiZ);
    const prior = stack("prior.hidden", H, cfg.priorSizes);
    const enc = stack("encoder.hidden", Fx + H, cfg.encoderSizes);
    const dec = stack("decoder.hidden", Fz + H, cfg.decoderSizes);
    const head = (name: string, from: number[]): DenseLayer => layout.add(`${name}`, from[from.length - 1], 2 * L, "identity",
      [{ name: `${name.split(".")[0]}.mean`, col: 0, cols: L }, { name: `${name.split(".")[0]}.logvar`, col: L, cols: L }]);
    prior.push(head("prior.head", cfg.priorSizes));
    enc.push(head("encoder.head", cfg.encoderSizes));
    dec.push(layout.add("decoder.output", cfg.decoderSizes[cfg.decoderSizes.length - 1], D, "identity"));
    const cell = new RecurrentCell(layout, "rnn", cfg.cell, Fx + Fz, H);
    const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
    super(e, cfg, layout, "VRNN");
    this.#D = D; this.#H = H; this.#L = L;
    this.#alpha = cfg.leakySlope;
    this.#phiX = new Net(phiX); this.#phiZ = new Net(phiZ); this.#prior = new Net(prior); this.#enc = new Net(enc); this.#dec = new Net(dec);
    this.#cell = cell;
    this.#lik = new LikelihoodHead(cfg, D, logSigma);
    // buffers: sizes as functions of (B = S rows per pass, K = T steps)
    const ws = this.ws;
    const per = (w: number) => ws.tensor((d) => d.K * d.B * w);
    const plus1 = (w: number) => ws.tensor((d) => (d.K + 1) * d.B * w);
    const one = (w: number) => ws.tensor((d) => d.B * w);
    for (const net of [this.#phiX, this.#phiZ, this.#prior, this.#enc, this.#dec]) {
      net.outs = net.layers.map((l) => per(l.outSize));
      net.douts = net.layers.map((l) => per(l.outSize));
    }
    const G = cell.gates * H;
    Object.assign(this.#t, {
      x: per(D), mask: per(1), eps: per(L), z: per(L), dz: per(L),
      h: plus1(H), dh: plus1(H), c: plus1(H), dc: plus1(H),
      encIn: per(Fx + H), dEncIn: one(Fx + H), decIn: per(Fz + H), dDecIn: one(Fz + H), rnnIn: per(Fx + Fz), dRnnIn: one(Fx + Fz),
      gi: per(G), gh: per(G), gates: per(G), dgi: one(G), dgh: one(G), dhs: one(H),
      rec: per(1), kl: per(1), lq: per(1), lp: per(1),
    });
  }

  /**
   * A new VRNN with weights initialised as PyTorch's nn.Linear and nn.GRUCell / nn.LSTMCell.
   *
   * @example
   * ```ts
   * const vrnn = await VRNN.create({ inputSize: 28, hiddenSize: 100, latentSize: 16, seed: 1 });
   * ```
   */
  static async create(config: VRNNConfig, options: EngineOptions = {}): Promise<VRNN> {
    const cfg = resolveVRNNConfig(config);
    const m = new VRNN(await Model.engine(options, undefined, true), cfg);
    m.initialise();
    return m;
  }

  /**
   * Loads a VRNN written by `save()`; other files throw ModelFormatError.
   *
   * @example
   * ```ts
   * const again = await VRNN.load(vrnn.save());
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<VRNN> {
    const file = await readModelFile(bytes, "VRNN");
    const cfg = configFromFile(() => resolveVRNNConfig(file.config));
    return new VRNN(await Model.engine(options, file, true), cfg).restore(file);
  }

  /**
   * What the model can do (see ModelApi): inputSize and latentSize are per sequence (steps × per-step sizes, with
   * config.steps), a posterior per step, sampling and log-likelihoods; no sampled reconstruction.
   *
   * @example
   * ```ts
   * vrnn.capabilities.latentSize; // steps × latentSize
   * ```
   */
  get capabilities(): ModelCapabilities {
    const T = this.cfg.steps || 1;
    return this.caps(T * this.#D, 0, { z: T * this.#L }, true, false);
  }

  // ---------------------------------------------------------------------------------------------- the pass

  /** Lays out buffers for T steps of S rows. */
  #layout(S: number, T: number): void {
    this.ws.layout({ B: S, K: T, multi: false, total: 0 });
  }

  /** Writes sequences [first, first + rows) of s into x and mask (step-major, stride S). */
  #put(s: Sequences, first: number, rows: number, S: number, row0 = 0): void {
    const D = this.#D, T = s.steps, x = this.#t.x.ptr, m = this.#t.mask.ptr;
    const mask = this.e.f32(m, T * S);
    for (let r = 0; r < rows; r++) {
      const i = first + r, len = s.lengths[i];
      for (let t = 0; t < T; t++) {
        const at = (t * S + row0 + r);
        this.e.write(x + at * D * 4, s.values.subarray((i * T + t) * D, (i * T + t + 1) * D));
        mask[at] = t < len ? 1 : 0;
      }
    }
  }

  /** ε rows for sequences [first, first + rows): per sequence T·L normals from (seed, stream) at its own index. */
  #noise(rows: number, T: number, S: number, seed: number, stream: number, offset: number): void {
    const L = this.#L, tmp = new Float32Array(T * L);
    const eps = this.#t.eps.ptr;
    const scratch = this.#t.z.ptr; // free before the pass
    for (let r = 0; r < rows; r++) {
      this.normals(scratch, 1, T * L, seed, stream, offset + r);
      tmp.set(this.e.f32(scratch, T * L));
      for (let t = 0; t < T; t++) this.e.write(eps + (t * S + r) * L * 4, tmp.subarray(t * L, (t + 1) * L));
    }
  }

  /** True when some row of step t is padding (rows [0, n) of stride-S mask). */
  #padded(t: number, n: number, S: number): boolean {
    const m = this.e.f32(this.#t.mask.ptr + t * S * 4, n);
    for (let r = 0; r < n; r++) if (m[r] === 0) return true;
    return false;
  }

  /**
   * Forward over T steps of n rows (stride S; x, mask and ε written), gradient scale `scale` (0: inference, no
   * gradients); z from q (sampled or its mean) or, for Z.Prior, sampled from the prior with x̂ fed back.
   * Returns nothing: per-row per-step terms are in rec, kl (and lq, lp when `densities`).
   */
  #forward(n: number, T: number, S: number, scale: number, zmode: Z, densities = false): void {
    const e = this.e, k = e.k, t_ = this.#t, P = this.params, G = scale ? this.grads : 0;
    const D = this.#D, H = this.#H, L = this.#L, al = this.#alpha;
    const Fx = this.#phiX.out, Fz = this.#phiZ.out;
    const fxW = this.#phiX.layers[this.#phiX.layers.length - 1].outSize, fzW = this.#phiZ.layers[this.#phiZ.layers.length - 1].outSize;
    const at = (tn: Tensor, t: number, w: number): number => tn.ptr + t * S * w * 4;
    const run = (net: Net, x: number, t: number, rows: number): void =>
      stackForward(e, net.layers, P, x, net.outs.map((o, i) => at(o, t, net.layers[i].outSize)), rows, al);
    k.zero_f32(t_.h.ptr, S * H);
    if (this.#cell.kind === "lstm") k.zero_f32(t_.c.ptr, S * H);
    if (zmode !== Z.Prior && zmode !== Z.Given) stackForward(e, this.#phiX.layers, P, t_.x.ptr, this.#phiX.outs.map((o) => o.ptr), T * S, al);
    const mask = (t: number): number => at(t_.mask, t, 1);
    for (let t = 0; t < T; t++) {
      const h = at(t_.h, t, H), padded = this.#padded(t, n, S);
      run(this.#prior, h, t, n);
      const ps = at(this.#prior.out, t, 2 * L), z = at(t_.z, t, L), eps = at(t_.eps, t, L);
      let qs = 0;
      if (zmode === Z.Prior) {
        k.reparam_forward(z, eps, ps, n, L);
      } else if (zmode === Z.Given) {
        // z_t written by the caller
      } else {
        const encIn = at(t_.encIn, t, fxW + H);
        k.rows_concat(encIn, at(Fx, t, fxW), h, n, fxW, H);
        run(this.#enc, encIn, t, n);
        qs = at(this.#enc.out, t, 2 * L);
        if (zmode === Z.Mean) k.zero_f32(eps, n * L);
        k.reparam_forward(z, eps, qs, n, L);
      }
      run(this.#phiZ, z, t, n);
      const decIn = at(t_.decIn, t, fzW + H);
      k.rows_concat(decIn, at(Fz, t, fzW), h, n, fzW, H);
      run(this.#dec, decIn, t, n);
      const out = at(this.#dec.out, t, D), rec = at(t_.rec, t, 1), kl = at(t_.kl, t, 1);
      if (zmode === Z.Prior || zmode === Z.Given) {
        // x̂_t = the likelihood's mean, fed to φx for the recurrence
        e.k.zero_f32(rec, n);
        e.k.zero_f32(kl, n);
        const x = at(t_.x, t, D);
        e.f32(x, n * D).set(e.f32(out, n * D));
        this.#lik.mean(e, x, n);
        run(this.#phiX, x, t, n);
      } else {
        this.#likelihood(out, rec, at(t_.x, t, D), at(this.#dec.dout, t, D), n, S, t, scale, padded);
        k.kl_gauss_loss(scale ? at(this.#enc.dout, t, 2 * L) : 0, scale ? at(this.#prior.dout, t, 2 * L) : 0, kl, qs, ps,
          mask(t), n, L, scale);
        if (densities) {
          k.gaussian_logpdf_forward(at(t_.lq, t, 1), z, qs, n, L);
          k.gaussian_logpdf_forward(at(t_.lp, t, 1), z, ps, n, L);
        }
      }
      const rnnIn = at(t_.rnnIn, t, fxW + fzW);
      k.rows_concat(rnnIn, at(Fx, t, fxW), at(Fz, t, fzW), n, fxW, fzW);
      this.#cell.forward(e, P, { x: rnnIn, hprev: h, h: at(t_.h, t + 1, H), gi: at(t_.gi, t, this.#cell.gates * H),
        gh: at(t_.gh, t, this.#cell.gates * H), gates: at(t_.gates, t, this.#cell.gates * H), cprev: at(t_.c, t, H),
        c: at(t_.c, t + 1, H), mask: padded ? mask(t) : 0 }, n);
    }
    if (!scale) return;
    // ---- backward through time
    const GH = this.#cell.gates * H;
    k.zero_f32(at(t_.dh, T, H), n * H);
    if (this.#cell.kind === "lstm") k.zero_f32(at(t_.dc, T, H), n * H);
    const dFx = this.#phiX.dout, dFz = this.#phiZ.dout; // φx's and φz's output gradients, gathered here
    k.zero_f32(dFx.ptr, T * S * fxW);
    const back = (net: Net, x: number, dx: number, t: number): void => stackBackward(e, net.layers, P, G, x,
      net.outs.map((o, i) => at(o, t, net.layers[i].outSize)), net.douts.map((o, i) => at(o, t, net.layers[i].outSize)), dx, n, al);
    for (let t = T - 1; t >= 0; t--) {
      const h = at(t_.h, t, H), dh = at(t_.dh, t, H), padded = this.#padded(t, n, S);
      k.zero_f32(dh, n * H);
      if (this.#cell.kind === "lstm") k.zero_f32(at(t_.dc, t, H), n * H);
      const rnnIn = at(t_.rnnIn, t, fxW + fzW);
      this.#cell.backward(e, P, G, { x: rnnIn, hprev: h, h: at(t_.h, t + 1, H), gi: at(t_.gi, t, GH), gh: at(t_.gh, t, GH),
        gates: at(t_.gates, t, GH), cprev: at(t_.c, t, H), c: at(t_.c, t + 1, H), mask: padded ? mask(t) : 0 },
      { dh: at(t_.dh, t + 1, H), dhprev: dh, dx: t_.dRnnIn.ptr, dc: this.#cell.kind === "lstm" ? at(t_.dc, t + 1, H) : 0,
        dcprev: at(t_.dc, t, H), dgi: t_.dgi.ptr, dgh: t_.dgh.ptr, dhs: t_.dhs.ptr }, n);
      const dfx = at(dFx, t, fxW), dfz = at(dFz, t, fzW);
      k.zero_f32(dfz, n * fzW);
      k.rows_split_add(dfx, dfz, t_.dRnnIn.ptr, n, fxW, fzW);
      // decoder (its output gradient was written by the likelihood in the forward pass)
      back(this.#dec, at(t_.decIn, t, fzW + H), t_.dDecIn.ptr, t);
      k.rows_split_add(dfz, dh, t_.dDecIn.ptr, n, fzW, H);
      // φz, then z = μ + σ·ε into the posterior's gradient (which holds the KL's already)
      const dz = at(t_.dz, t, L);
      back(this.#phiZ, at(t_.z, t, L), dz, t);
      k.reparam_backward(at(this.#enc.dout, t, 2 * L), dz, at(t_.eps, t, L), at(this.#enc.out, t, 2 * L), n, L);
      back(this.#enc, at(t_.encIn, t, fxW + H), t_.dEncIn.ptr, t);
      k.rows_split_add(dfx, dh, t_.dEncIn.ptr, n, fxW, H);
      back(this.#prior, h, t_.dhs.ptr, t);
      k.rows_split_add(dh, 0, t_.dhs.ptr, n, H, 0);
    }
    stackBackward(e, this.#phiX.layers, P, G, t_.x.ptr, this.#phiX.outs.map((o) => o.ptr), this.#phiX.douts.map((o) => o.ptr), 0, T * S, al);
  }

  /** rec [n] = −log p(x_t | out) of step t; with scale, dOut written (padded rows: 0 loss and gradient). */
  #likelihood(out: number, rec: number, x: number, dOut: number, n: number, S: number, t: number, scale: number, padded: boolean): void {
    const e = this.e, D = this.#D, G = scale ? this.grads : 0;
    if (!padded) {
      this.#lik.loss(e, this.params, G, scale ? dOut : 0, rec, out, x, n, scale);
      return;
    }
    // padded rows: only the real rows' runs are scored (a learned σ's gradient must not see padding)
    const m = e.read(this.#t.mask.ptr + t * S * 4, n);
    e.k.zero_f32(rec, n);
    if (scale) e.k.zero_f32(dOut, n * D);
    for (let r = 0; r < n;) {
      if (m[r] === 0) { r++; continue; }
      let q = r;
      while (q < n && m[q] !== 0) q++;
      this.#lik.loss(e, this.params, G, scale ? dOut + r * D * 4 : 0, rec + r * 4, out + r * D * 4, x + r * D * 4, q - r, scale);
      r = q;
    }
  }

  /** Σ over steps of rec and kl per row (f64), rows [0, n). */
  #terms(n: number, T: number, S: number): { rec: Float64Array; kl: Float64Array } {
    const rec = new Float64Array(n), kl = new Float64Array(n);
    const R = this.e.read(this.#t.rec.ptr, T * S), K = this.e.read(this.#t.kl.ptr, T * S);
    for (let t = 0; t < T; t++) for (let r = 0; r < n; r++) {
      rec[r] += R[t * S + r];
      kl[r] += K[t * S + r];
    }
    return { rec, kl };
  }

  #data(x: unknown, what: string): Sequences {
    const D = this.#D, T = this.cfg.steps;
    const flat = ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === "number"));
    if (flat) {
      if (!T) throw new InvalidInputError(`${what}: a flat array needs the sequence length: pass sequences(values, { steps, size: ${D} }), or create the VRNN with steps`);
      const v = x as ArrayLike<number>;
      if (v.length === 0 || v.length % (T * D) !== 0) {
        throw new InvalidInputError(`${what}: ${v.length} values is not a whole number of sequences of ${T} steps × ${D} values (config.steps × inputSize)`);
      }
      x = sequences(v, { steps: T, size: D });
    }
    return toSequences(x, D, what, this.#lik.unitData, this.#lik.unitHint);
  }

  /** Runs `body` over chunks of sequences, laid out for the chunk. */
  #chunks(s: Sequences, body: (first: number, rows: number) => void, chunk = 128): void {
    this.fits("this call", Math.min(chunk, s.n) * s.steps); // every step's rows are kept (the workspace grows with T)
    this.#layout(Math.min(chunk, s.n), s.steps);
    for (let first = 0; first < s.n; first += chunk) body(first, Math.min(chunk, s.n - first));
  }

  // ---------------------------------------------------------------------------------------------- public calls

  /**
   * Trains on sequences; resolves with one log per epoch (loss terms per sequence: −ELBO summed over its steps).
   * Options as every model's fit (clipNorm clips the gradient's global norm, as the VRNN reference's clip 10).
   *
   * @example
   * ```ts
   * await vrnn.fit(sequences(train, { steps: 28, size: 28 }), { epochs: 5, batchSize: 128, clipNorm: 10 });
   * ```
   */
  fit(x: SequenceInput, options?: FitOptions): Promise<EpochLog[]> {
    return this.train(() => this.#target(), x, options);
  }

  #target(): TrainingTarget<LossTerms, SeqData> {
    return {
      ...this.targetBase(),
      fits: (rows) => this.fits("fit: batchSize × steps", rows * this.#trainSteps),
      validate: (data, what, unit) => {
        if (unit) throw new InvalidInputError("fit: dynamicBinarization is not available for VRNN (binarize the sequences beforehand)");
        const s = this.#data(data, what);
        if (what === "fit(x)") this.#trainSteps = s.steps;
        return { rows: s.n, s };
      },
      batchInput: (rows) => {
        this.#trainRows = rows;
        this.#layout(rows, this.#trainSteps);
        return (r, data, src) => {
          if (r === 0) this.#layout(this.#trainRows, this.#trainSteps);
          this.#put(data.s, src, 1, this.#trainRows, r);
        };
      },
      forwardBackward: (rows, gradScale) => {
        const T = this.#trainSteps, S = this.#trainRows;
        this.#layout(S, T);
        this.e.k.zero_f32(this.grads, this.nParams);
        this.trainNormals(this.#t.eps.ptr, T * S * this.#L);
        this.#forward(rows, T, S, gradScale, Z.Sampled);
        const { rec, kl } = this.#terms(rows, T, S);
        let r = 0, k = 0;
        for (let i = 0; i < rows; i++) { r += rec[i]; k += kl[i]; }
        return { loss: r + k, reconstruction: r, kl: k };
      },
      evaluate: (d, seed) => this.#evaluate(d.s, seed),
    };
  }

  #evaluate(s: Sequences, seed: number): LossTerms {
    let r = 0, k = 0;
    this.#chunks(s, (first, rows) => {
      const S = rows;
      this.#layout(S, s.steps);
      this.#put(s, first, rows, S);
      this.#noise(rows, s.steps, S, seed, STREAM.evaluate, first);
      this.#forward(rows, s.steps, S, 0, Z.Sampled);
      const t = this.#terms(rows, s.steps, S);
      for (let i = 0; i < rows; i++) { r += t.rec[i]; k += t.kl[i]; }
    });
    return { loss: (r + k) / s.n, reconstruction: r / s.n, kl: k / s.n };
  }

  /**
   * Mean loss terms per sequence (nats, summed over its steps), one sampled z per step from a seeded stream
   * (default seed 0): `loss` = −ELBO.
   *
   * @example
   * ```ts
   * const { loss, reconstruction, kl } = vrnn.evaluate(testSequences, { seed: 1 });
   * ```
   */
  evaluate(x: SequenceInput, options: { seed?: number } = {}): LossTerms {
    this.live("evaluate");
    const seed = seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0);
    return this.#evaluate(this.#data(x, "evaluate(x)"), seed);
  }

  /**
   * The loss (−ELBO summed over the sequences) and its gradient for given ε ([n, steps, latentSize], or the ε of
   * `evaluate(x, { seed })`), without changing the model. Names and layout as `getWeights`.
   *
   * @example
   * ```ts
   * const { loss, gradients } = vrnn.gradients(x, { epsilon });
   * gradients["rnn.weight_hh"];
   * ```
   */
  gradients(x: SequenceInput, options: { epsilon?: ArrayLike<number>; seed?: number } = {}): { loss: number; gradients: Record<string, Float32Array> } {
    this.live("gradients");
    const o = optionsOf(options, ["epsilon", "seed"], "gradients");
    const s = this.#data(x, "gradients(x)");
    const L = this.#L, T = s.steps, n = s.n;
    const eps = o.epsilon as ArrayLike<number> | undefined;
    if (eps !== undefined && (typeof eps !== "object" || eps.length !== n * T * L)) {
      throw new InvalidInputError(`gradients: epsilon must hold n·steps·latentSize = ${n * T * L} numbers ([n, steps, latentSize])`);
    }
    const seed = seedOf("gradients: seed", o.seed, 0);
    this.fits("gradients", n * T);
    this.#layout(n, T);
    this.#put(s, 0, n, n);
    if (eps) {
      const v = this.e.f32(this.#t.eps.ptr, T * n * L);
      for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) for (let j = 0; j < L; j++) v[(t * n + i) * L + j] = eps[(i * T + t) * L + j];
    } else this.#noise(n, T, n, seed, STREAM.evaluate, 0);
    // the gradient buffer is scratch here: saved and put back, so a fit in progress is not disturbed
    const saved = this.e.read(this.grads, this.nParams);
    this.e.k.zero_f32(this.grads, this.nParams);
    this.pass(1);
    this.#forward(n, T, n, 1, Z.Sampled);
    const { rec, kl } = this.#terms(n, T, n);
    let loss = 0;
    for (let i = 0; i < n; i++) loss += rec[i] + kl[i];
    const gradients = this.gradientTensors();
    this.e.write(this.grads, saved);
    return { loss, gradients };
  }

  /**
   * The posterior q(z_t | x_≤t, z_<t) of every step, along the posterior means (z_t = μ_t feeds the recurrence):
   * mean and log-variance, each [n, steps, latentSize] (padded steps: the state carried over).
   *
   * @example
   * ```ts
   * const { mean } = vrnn.encode(x); // mean[(i·steps + t)·latentSize + j]
   * ```
   */
  encode(x: SequenceInput): SequenceEncoding {
    this.live("encode");
    const s = this.#data(x, "encode(x)"), L = this.#L, T = s.steps;
    const mean = new Float32Array(s.n * T * L), logVar = new Float32Array(s.n * T * L);
    this.#chunks(s, (first, rows) => {
      this.#layout(rows, T);
      this.#put(s, first, rows, rows);
      this.#forward(rows, T, rows, 0, Z.Mean);
      const q = this.e.read(this.#enc.out.ptr, T * rows * 2 * L);
      for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) {
        const src = (t * rows + r) * 2 * L, dst = ((first + r) * T + t) * L;
        mean.set(q.subarray(src, src + L), dst);
        logVar.set(q.subarray(src + L, src + 2 * L), dst);
      }
    });
    return { mean, logVar };
  }

  /**
   * Each step's reconstruction: the likelihood's mean (pixel probabilities for "bernoulli") given z_t = the
   * posterior mean, [n, steps, inputSize].
   *
   * @example
   * ```ts
   * const again = vrnn.reconstruct(x);
   * ```
   */
  reconstruct(x: SequenceInput): Float32Array {
    this.live("reconstruct");
    const s = this.#data(x, "reconstruct(x)"), D = this.#D, T = s.steps;
    const out = new Float32Array(s.n * T * D);
    this.#chunks(s, (first, rows) => {
      this.#layout(rows, T);
      this.#put(s, first, rows, rows);
      this.#forward(rows, T, rows, 0, Z.Mean);
      const p = this.#dec.out.ptr;
      this.#lik.mean(this.e, p, T * rows);
      const v = this.e.read(p, T * rows * D);
      for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) out.set(v.subarray((t * rows + r) * D, (t * rows + r + 1) * D), ((first + r) * T + t) * D);
    });
    return out;
  }

  /**
   * Draws n sequences of `steps` steps (default config.steps, else 28): z_t from the prior p(z_t | h_{t−1}), x_t = the likelihood's mean,
   * fed back through φx. [n, steps, inputSize]. With a seed the result is reproducible; without one each call
   * continues the model's own stream.
   *
   * @example
   * ```ts
   * const rows = vrnn.sample(8, { steps: 28, seed: 1 }); // 8 digits drawn row by row
   * ```
   */
  sample(n: number, options: { steps?: number; seed?: number } = {}): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["steps", "seed"], "sample");
    const T = intOption("sample: steps", o.steps, this.cfg.steps || 28, 1, 1 << 16);
    this.fits("sample: rows × steps", Math.min(n, 128) * T);
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    const D = this.#D;
    this.fits("sample", n * T, true);
    return this.sampled(n, o.seed !== undefined, (offset) => {
      const out = new Float32Array(n * T * D);
      const chunk = 128;
      this.#layout(Math.min(chunk, n), T);
      for (let first = 0; first < n; first += chunk) {
        const rows = Math.min(chunk, n - first);
        this.e.f32(this.#t.mask.ptr, T * rows).fill(1);
        this.#noise(rows, T, rows, seed, STREAM.sample, offset + first);
        this.#forward(rows, T, rows, 0, Z.Prior);
        const v = this.e.read(this.#t.x.ptr, T * rows * D);
        for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) out.set(v.subarray((t * rows + r) * D, (t * rows + r + 1) * D), ((first + r) * T + t) * D);
      }
      return out;
    });
  }

  /**
   * Decodes latent trajectories: z [n, steps, latentSize] (steps = options.steps, else config.steps) run through the
   * model as sample() runs its prior draws — x_t = the likelihood's mean given z_t and h_{t−1}, fed back through φx.
   * Returns [n, steps, inputSize].
   *
   * @example
   * ```ts
   * const { mean } = vrnn.encode(x);
   * const again = vrnn.decode(mean, { steps: 28 }); // the sequences the posterior means describe
   * ```
   */
  decode(z: ArrayLike<number>, options: { steps?: number } = {}): Float32Array {
    this.live("decode");
    const o = optionsOf(options, ["steps"], "decode");
    const T = intOption("decode: steps", o.steps, this.cfg.steps || 0, 1, 1 << 16);
    const L = this.#L, D = this.#D;
    if (typeof z !== "object" || z === null || typeof z.length !== "number" || z.length === 0 || z.length % (T * L) !== 0) {
      throw new InvalidInputError(`decode(z): expected n × ${T} steps × ${L} latent values; got ${show(z)}`);
    }
    for (let i = 0; i < z.length; i++) if (!Number.isFinite(z[i])) throw new InvalidInputError(`decode(z): z[${i}] is ${z[i]}; values must be finite`);
    const n = z.length / (T * L);
    this.fits("decode", n * T, true);
    this.fits("decode: rows × steps", Math.min(n, 128) * T);
    const out = new Float32Array(n * T * D);
    const chunk = 128;
    this.#layout(Math.min(chunk, n), T);
    for (let first = 0; first < n; first += chunk) {
      const rows = Math.min(chunk, n - first);
      this.e.f32(this.#t.mask.ptr, T * rows).fill(1);
      const v = this.e.f32(this.#t.z.ptr, T * rows * L);
      for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) for (let j = 0; j < L; j++) v[(t * rows + r) * L + j] = z[((first + r) * T + t) * L + j];
      this.#forward(rows, T, rows, 0, Z.Given);
      const x = this.e.read(this.#t.x.ptr, T * rows * D);
      for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) out.set(x.subarray((t * rows + r) * D, (t * rows + r + 1) * D), ((first + r) * T + t) * D);
    }
    return out;
  }

  /** A latent trajectory [steps·latentSize] (steps = config.steps) from user values. */
  #trajectory(z: unknown, what: string): Float32Array {
    const n = (this.cfg.steps || 0) * this.#L;
    if (!n) throw new InvalidInputError(`${what}: latent trajectories need config.steps (the VRNN was created without it); decode() with { steps } instead`);
    const v = z as ArrayLike<number>;
    if (typeof v !== "object" || v === null || v.length !== n) throw new InvalidInputError(`${what} must be one latent trajectory of ${n} values (steps × latentSize); got ${show(z)}`);
    const out = Float32Array.from(v);
    for (let i = 0; i < n; i++) if (!Number.isFinite(out[i])) throw new InvalidInputError(`${what}[${i}] is ${v[i]}; values must be finite`);
    return out;
  }

  /**
   * Decodes the path between two latent trajectories (each [steps·latentSize], config.steps): `steps` points
   * (default 10), linear or slerp, each decoded as decode() does. [points, steps·inputSize].
   *
   * @example
   * ```ts
   * const { mean } = vrnn.encode(x);
   * const path = vrnn.interpolate(mean.subarray(0, 28 * 16), mean.subarray(28 * 16, 2 * 28 * 16), { steps: 8 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    return this.decode(interpolatePath(this.#trajectory(a, "interpolate: a"), this.#trajectory(b, "interpolate: b"), o.steps, o.method));
  }

  /**
   * Decodes a latent trajectory [steps·latentSize] with coordinate `dim` set to each of `values` (default −3…3 in 7
   * steps). [values, steps·inputSize].
   *
   * @example
   * ```ts
   * const sweep = vrnn.traverse(vrnn.encode(x).mean.subarray(0, 28 * 16), 0, { values: [-2, 0, 2] });
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    return this.decode(traversePoints(this.#trajectory(z, "traverse: z"), dim, o.values));
  }

  /**
   * A grid over a 2-value latent space (steps·latentSize = 2), decoded; any other size throws InvalidInputError
   * (use traverse() or sample()).
   *
   * @example
   * ```ts
   * const tiles = vrnn.latentGrid({ size: 10 }); // a VRNN with steps 2 and latentSize 1
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    const n = (this.cfg.steps || 0) * this.#L;
    if (n !== 2) throw new InvalidInputError(`latentGrid needs a 2-value latent space; this VRNN's trajectories have ${n || "steps × latentSize"} values: draw with sample() or sweep one coordinate with traverse()`);
    return this.decode(gridPoints(optionsOf(options, ["size", "range"], "latentGrid")).points);
  }

  /**
   * Anomaly scores: each step's −ELBO term (reconstruction + KL, nats) averaged over `samples` draws of z (default
   * 1), and their sum per sequence. High = unlikely under the model. Padded steps score 0.
   *
   * @example
   * ```ts
   * const { perStep, perSequence } = vrnn.anomalyScore(windows, { samples: 10, seed: 1 });
   * ```
   */
  anomalyScore(x: SequenceInput, options: { samples?: number; seed?: number } = {}): SequenceScores {
    this.live("anomalyScore");
    const o = optionsOf(options, ["samples", "seed"], "anomalyScore");
    const K = intOption("anomalyScore: samples", o.samples, 1, 1, 10_000);
    const seed = seedOf("anomalyScore: seed", o.seed, 0);
    const s = this.#data(x, "anomalyScore(x)"), T = s.steps;
    const perStep = new Float32Array(s.n * T), perSequence = new Float64Array(s.n);
    const acc = new Float64Array(s.n * T);
    for (let k = 0; k < K; k++) {
      this.#chunks(s, (first, rows) => {
        this.#layout(rows, T);
        this.#put(s, first, rows, rows);
        this.#noise(rows, T, rows, seed, STREAM.evaluate, k * s.n + first);
        this.#forward(rows, T, rows, 0, Z.Sampled);
        const R = this.e.read(this.#t.rec.ptr, T * rows), Kl = this.e.read(this.#t.kl.ptr, T * rows);
        for (let r = 0; r < rows; r++) for (let t = 0; t < T; t++) acc[(first + r) * T + t] += R[t * rows + r] + Kl[t * rows + r];
      });
    }
    for (let i = 0; i < s.n; i++) for (let t = 0; t < T; t++) {
      const v = acc[i * T + t] / K;
      perStep[i * T + t] = v;
      perSequence[i] += v;
    }
    return { perStep, perSequence };
  }

  /**
   * log p(x) per sequence by importance sampling with the filtering posterior as proposal: log (1/k) Σ_i w_i,
   * log w = Σ_t log p(x_t | z_t, h) + log p(z_t | h) − log q(z_t | x_t, h), float64 log-mean-exp. Default 100 samples.
   *
   * @example
   * ```ts
   * const ll = vrnn.logLikelihood(testSequences, { samples: 100, seed: 1 }); // Float64Array, nats per sequence
   * ```
   */
  logLikelihood(x: SequenceInput, options: { samples?: number; seed?: number } = {}): Float64Array {
    this.live("logLikelihood");
    const o = optionsOf(options, ["samples", "seed"], "logLikelihood");
    const K = intOption("logLikelihood: samples", o.samples, 100, 1, 100_000);
    const seed = seedOf("logLikelihood: seed", o.seed, 0);
    const s = this.#data(x, "logLikelihood(x)"), T = s.steps;
    const logw = new Float64Array(s.n * K);
    for (let k = 0; k < K; k++) {
      this.#chunks(s, (first, rows) => {
        this.#layout(rows, T);
        this.#put(s, first, rows, rows);
        this.#noise(rows, T, rows, seed, STREAM.evaluate, k * s.n + first);
        this.#forward(rows, T, rows, 0, Z.Sampled, true);
        const R = this.e.read(this.#t.rec.ptr, T * rows), lq = this.e.read(this.#t.lq.ptr, T * rows), lp = this.e.read(this.#t.lp.ptr, T * rows);
        const m = this.e.read(this.#t.mask.ptr, T * rows);
        for (let r = 0; r < rows; r++) {
          let w = 0;
          for (let t = 0; t < T; t++) if (m[t * rows + r]) w += -R[t * rows + r] + lp[t * rows + r] - lq[t * rows + r];
          logw[(first + r) * K + k] = w;
        }
      });
    }
    const out = new Float64Array(s.n);
    for (let i = 0; i < s.n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) mx = Math.max(mx, logw[i * K + k]);
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(logw[i * K + k] - mx);
      out[i] = mx + Math.log(sum / K);
    }
    return out;
  }
}
