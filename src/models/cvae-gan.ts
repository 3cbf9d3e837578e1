// CVAE-GAN (Bao, Chen, Wen, Li & Hua 2017, "CVAE-GAN: fine-grained image generation through asymmetric
// training"): an encoder E(x, c), a generator G(z, c), a discriminator D and a classifier C, four parameter groups
// updated per batch in this order:
//   encoder        λ1·L_KL + λ2·L_G
//   generator      λ3·L_G + λ4·(L_GD + L_GC)
//   discriminator  L_D    (real data vs reconstructions x′ and class-conditional samples x_p; binary cross-entropy)
//   classifier     L_C = −log P(c|x) on real data
// with x′ = G(z, c), z ~ q(z|x, c); x_p = G(z_p, c), z_p ~ N(0, I) with the batch's own labels; the pairwise
// feature matching L_G = ½(w_pixel·‖x − x′‖² + ‖f_D(x) − f_D(x′)‖² + ‖f_C(x) − f_C(x′)‖²) per example (w_pixel 1 by default, the paper's); the mean feature
// matching L_GD = ½‖mean f_D(x) − mean f_D(x_p)‖² and L_GC = ½ Σ_c ‖mean_c f_C(x) − mean_c f_C(x_p)‖² over the
// batch (class c's examples; counted batch size × in the summed objective, as per-example terms are).
import { InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data } from "../io/data.js";
import type { Tape } from "../nn/tape.js";
import type { Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { Batch, EpochLog, FieldSet, FitOptions, SteppedTarget, Terms } from "../train/fit.js";
import type { Label } from "./conditional-vae.js";
import type { CVAEGANConfig, ResolvedCVAEGANConfig } from "./gan-config.js";
import { configFromFile, readModelFile } from "./format.js";
import { buildLayers, buildNets, GanModel, NO_BINARIZATION, splitLayerNet, Stack, type GanGradients, type Net, type PassPlan } from "./gan-model.js";
import { labelRows, type Labels } from "./labels.js";
import type { Encoding } from "./latent-model.js";
import { Model, type EngineOptions } from "./model.js";
import { optionsOf } from "./options.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * CVAEGAN's loss terms as means per example: KL, the pairwise feature matching L_G, the mean feature matching
 * L_GD and L_GC, the discriminator's and the classifier's losses; `loss` is the sum of the four steps' losses.
 *
 * @example
 * ```ts
 * const { kl, pairwise, classifier } = model.evaluate(testX, testY, { seed: 1 });
 * ```
 */
export interface CVAEGANTerms extends Terms {
  kl: number;
  pairwise: number;
  featureMatchingD: number;
  featureMatchingC: number;
  discriminator: number;
  classifier: number;
}

/**
 * The four training steps of a batch, in order.
 *
 * @example
 * ```ts
 * const step: CVAEGANStep = "classifier";
 * ```
 */
export type CVAEGANStep = "encoder" | "generator" | "discriminator" | "classifier";

const STEPS: readonly CVAEGANStep[] = ["encoder", "generator", "discriminator", "classifier"];

/**
 * A CVAE-GAN (Bao et al. 2017): a class-conditional VAE whose generator learns from pairwise and mean feature
 * matching against a discriminator and a classifier, so `sample(n, { label })` draws sharp examples of the class
 * asked for. Four parameter groups ("encoder", "generator", "discriminator", "classifier"), each with its own
 * optimizer state (`parameterGroups` sets each one's options); per-epoch logs carry every step's terms.
 *
 * @example
 * ```ts
 * import { CVAEGAN } from "vaekit/gan";
 * const model = await CVAEGAN.create({ inputSize: 784, latentSize: 16, classes: 10, seed: 1 });
 * await model.fit(trainX, trainLabels, { epochs: 10, batchSize: 64, learningRate: 3e-4, beta1: 0.5 });
 * const sevens = model.sample(16, { label: 7, seed: 1 });
 * ```
 */
export class CVAEGAN extends GanModel<ResolvedCVAEGANConfig, CVAEGANTerms> {
  #trainDiscriminator = true;
  #batchStep = 0;
  readonly #cFeatures: Net;
  readonly #cHead: Net;

  private constructor(e: Engine, cfg: ResolvedCVAEGANConfig) {
    const nets = buildNets(cfg, cfg.classes, {
      group: "classifier",
      build: (layout) => {
        if (cfg.inputShape) {
          const c = splitLayerNet(layout, "classifier", cfg.classifier, cfg.inputShape, cfg.leakySlope, cfg.classifier.length - 1, { size: cfg.classes, activation: "identity" });
          return { features: c.first, head: c.rest };
        }
        const layers = buildLayers(layout, "classifier", cfg.inputSize, cfg.classifier, { name: "output", size: cfg.classes, activation: "identity" });
        return { features: new Stack(layers.slice(0, -1), cfg.leakySlope), head: new Stack(layers.slice(-1), cfg.leakySlope) };
      },
    });
    super(e, cfg, nets, "CVAEGAN", cfg.classes);
    this.#cFeatures = this.extra.features;
    this.#cHead = this.extra.head;
    this.#cFeatures.declare(this.ws, (d) => 3 * d.B, true);
    this.#cHead.declare(this.ws, (d) => 3 * d.B);
  }

  /**
   * Creates a CVAE-GAN with weights initialised like PyTorch's nn.Linear from `config.seed`.
   *
   * @example
   * ```ts
   * const model = await CVAEGAN.create({ inputSize: 784, latentSize: 16, classes: 10, seed: 1 });
   * ```
   */
  static async create(config: CVAEGANConfig, options: EngineOptions = {}): Promise<CVAEGAN> {
    const { resolveCVAEGANConfig } = await import("./gan-config.js");
    const cfg = resolveCVAEGANConfig(config);
    const m = new CVAEGAN(await Model.engine(options, undefined, !!cfg.inputShape), cfg);
    m.initialise();
    return m;
  }

  /**
   * Loads a CVAEGAN written by `save()` (ModelFormatError for anything else).
   *
   * @example
   * ```ts
   * const model = await CVAEGAN.load(bytes);
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<CVAEGAN> {
    const file = await readModelFile(bytes, "CVAEGAN");
    const { resolveCVAEGANConfig } = await import("./gan-config.js");
    const cfg = configFromFile(() => resolveCVAEGANConfig(file.config));
    return new CVAEGAN(await Model.engine(options, file, !!cfg.inputShape), cfg).restore(file);
  }

  /**
   * Trains the four groups on examples and their labels, four steps per batch. Logs per epoch: `steps.encoder`
   * {loss, kl, pairwise}, `steps.generator` {loss, pairwise, featureMatchingD, featureMatchingC},
   * `steps.discriminator` {loss, real, reconstructed, prior, updated}, `steps.classifier` {loss, accuracy}.
   *
   * @example
   * ```ts
   * await model.fit(trainX, trainY, { epochs: 10, batchSize: 64, onEpochEnd: (l) => console.log(l.steps) });
   * ```
   */
  fit(x: Data, labels: Labels, options?: FitOptions<CVAEGANTerms>): Promise<EpochLog<CVAEGANTerms>[]> {
    return this.train(() => this.#target(), { x, labels }, options);
  }

  /**
   * Mean loss terms per example with ε and z_p from `seed` (default 0).
   *
   * @example
   * ```ts
   * const { pairwise, classifier } = model.evaluate(testX, testY, { seed: 1 });
   * ```
   */
  evaluate(x: Data, labels: Labels, options: { seed?: number } = {}): CVAEGANTerms {
    this.live("evaluate");
    const seed = seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0);
    const d = this.#data(x, labels, "evaluate");
    return this.#evaluate(d.x, d.y, d.rows, seed);
  }

  /**
   * q(z|x, c) of each example: mean and log-variance, each [n, latentSize].
   *
   * @example
   * ```ts
   * const { mean } = model.encode(images, labels);
   * ```
   */
  encode(x: Data, labels: Labels): Encoding {
    this.live("encode");
    const d = this.#data(x, labels, "encode");
    return this.encodeData(d.x, d.y, d.rows);
  }

  /**
   * Decodes latent rows with their labels (or one label for all) to images.
   *
   * @example
   * ```ts
   * const img = model.decode(new Float32Array(16), 3);
   * ```
   */
  decode(z: Data, labels: Labels | Label): Float32Array {
    this.live("decode");
    const r = toRows(z, this.L, "decode(z)");
    this.fits("decode", r.rows, true);
    const y = this.#labelsFor(labels, r.rows, "decode");
    return this.decodeWith(r.rows, y, (start, rows, p) => this.e.write(p, r.values.subarray(start * this.L, (start + rows) * this.L)));
  }

  /**
   * G(μ(x, c), c): each example through the encoder's mean and the generator, with its label (give other labels to
   * move an example to another class in the same style).
   *
   * @example
   * ```ts
   * const again = model.reconstruct(images, labels);
   * ```
   */
  reconstruct(x: Data, labels: Labels, options: Record<string, never> = {}): Float32Array {
    this.live("reconstruct");
    optionsOf(options, [], "reconstruct");
    const d = this.#data(x, labels, "reconstruct");
    return this.reconstructData(d.x, d.y, d.rows);
  }

  /**
   * n examples of a class: z ~ N(0, I) generated with `label` (one class index or one-hot row for all, or n labels).
   *
   * @example
   * ```ts
   * const sevens = model.sample(64, { label: 7, seed: 1 });
   * ```
   */
  sample(n: number, options: { label: Label | Labels; seed?: number }): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["label", "seed"], "sample");
    if (o.label === undefined) throw new InvalidInputError(`sample: give { label } (a class from 0 to ${this.classes - 1}) to choose what to draw`);
    this.fits("sample", n, true);
    const y = this.#labelsFor(o.label, n, "sample");
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    return this.sampled(n, o.seed !== undefined, (offset) => this.sampleData(n, y, seed, offset));
  }

  /**
   * The classifier's predicted class of each image.
   *
   * @example
   * ```ts
   * const predicted = model.classify(images);
   * ```
   */
  classify(x: Data): Int32Array {
    this.live("classify");
    const r = this.rowsOf(x, "classify(x)");
    const C = this.classes, out = new Int32Array(r.rows);
    this.chunks(r.rows, (start, rows) => {
      this.e.write(this.b.dIn.ptr, r.values.subarray(start * this.D, (start + rows) * this.D));
      const t = this.pass(0);
      const a = this.e.f32(this.#cHead.run(t, this.#cFeatures.run(t, this.b.dIn, rows), rows).ptr, rows * C);
      for (let i = 0; i < rows; i++) {
        let best = 0;
        for (let c = 1; c < C; c++) if (a[i * C + c] > a[i * C + best]) best = c;
        out[start + i] = best;
      }
    });
    return out;
  }

  /**
   * The discriminator's logit per example: high for what it takes to be real data.
   *
   * @example
   * ```ts
   * const logits = model.discriminate(images);
   * ```
   */
  discriminate(x: Data): Float32Array {
    this.live("discriminate");
    const r = this.rowsOf(x, "discriminate(x)");
    return this.discriminateData(r.values, r.rows);
  }

  /**
   * One step's loss (summed over the batch) and its gradient over every tensor at the current weights, without
   * changing the model; ε and z_p as `epsilon` and `prior` ([n, latentSize]) or drawn from `seed`.
   *
   * @example
   * ```ts
   * const { loss, gradients } = model.gradients(x, labels, { step: "generator", seed: 1 });
   * ```
   */
  gradients(x: Data, labels: Labels, options: { step?: CVAEGANStep; epsilon?: Data; prior?: Data; seed?: number } = {}): GanGradients {
    this.live("gradients");
    const o = optionsOf(options, ["step", "epsilon", "prior", "seed"], "gradients");
    const step = (o.step ?? "encoder") as CVAEGANStep;
    if (!STEPS.includes(step)) throw new InvalidInputError(`gradients: step must be one of ${STEPS.map((s) => `"${s}"`).join(", ")}; got ${String(o.step)}`);
    const d = this.#data(x, labels, "gradients");
    return this.stepGradients(o, d.x, d.y, d.rows, (n) => this.#step(step, n, 1, false));
  }

  /**
   * Generated points between two latent codes, all with one label.
   *
   * @example
   * ```ts
   * const frames = model.interpolate(za, zb, { label: 3, steps: 8 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { label: Label; steps?: number; method?: "linear" | "slerp" }): Float32Array {
    this.live("interpolate");
    const o = optionsOf(options, ["label", "steps", "method"], "interpolate");
    const za = toRows(Array.from(a), this.L, "interpolate: a (a latent code)").values;
    const zb = toRows(Array.from(b), this.L, "interpolate: b (a latent code)").values;
    if (za.length !== this.L || zb.length !== this.L) throw new InvalidInputError(`interpolate: a and b must be latent codes of ${this.L} values`);
    return this.#decodeOne(this.interpolationPoints(za, zb, o, ["label"]), o.label, "interpolate");
  }

  /**
   * z with one latent dimension swept over `values`, generated with one label.
   *
   * @example
   * ```ts
   * const sweep = model.traverse(new Float32Array(16), 0, { label: 4 });
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { label: Label; values?: ArrayLike<number> }): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["label", "values"], "traverse");
    return this.#decodeOne(this.traversalPoints(z, dim, o, ["label"]), o.label, "traverse");
  }

  /**
   * For a 2-D latent space: the generated size × size grid for one label.
   *
   * @example
   * ```ts
   * const tiles = model.latentGrid({ label: 2, size: 10 });
   * ```
   */
  latentGrid(options: { label: Label; size?: number; range?: number | [number, number] }): Float32Array {
    this.live("latentGrid");
    const o = optionsOf(options, ["label", "size", "range"], "latentGrid");
    return this.#decodeOne(this.gridOf(o, ["label"]), o.label, "latentGrid");
  }

  // ---- internals ----

  #data(x: unknown, labels: unknown, what: string): { rows: number; x: Float32Array; y: Float32Array } {
    const r = this.rowsOf(x, `${what}(x)`);
    return { rows: r.rows, x: r.values, y: labelRows(labels, r.rows, this.classes, `${what}: labels`) };
  }

  #labelsFor(labels: unknown, n: number, what: string): Float32Array {
    const C = this.classes;
    if (typeof labels === "number") return labelRows(new Array<number>(n).fill(labels), n, C, `${what}: label`);
    if ((Array.isArray(labels) || ArrayBuffer.isView(labels)) && (labels as ArrayLike<unknown>).length === C && n !== C &&
      typeof (labels as ArrayLike<unknown>)[0] === "number") {
      const row = labelRows([Array.from(labels as ArrayLike<number>)], 1, C, `${what}: label`);
      const out = new Float32Array(n * C);
      for (let r = 0; r < n; r++) out.set(row, r * C);
      return out;
    }
    return labelRows(labels, n, C, `${what}: labels`);
  }

  #decodeOne(z: Float32Array, label: unknown, what: string): Float32Array {
    if (label === undefined) throw new InvalidInputError(`${what}: give { label } (a class from 0 to ${this.classes - 1}, or a one-hot row)`);
    const n = z.length / this.L;
    return this.decode(z, labelRows(new Array(n).fill(label), n, this.classes, `${what}: label`));
  }

  /** pixel·½‖x − x′‖² per example summed (rows 0 … B against B … 2B of the discriminator's input), gradient into x′'s rows. */
  #pixelPairwise(t: Tape, B: number, R: number, scale: number): number {
    const b = this.b, D = this.D, k = this.e.k, pixel = this.cfg.weights.pixel;
    const real = b.dIn.ptr, fake = b.dIn.ptr + B * D * 4;
    if (t.scale && scale) {
      const g = t.acc(b.dIn.grad!, R * D);
      k.gaussian_loss(g + B * D * 4, b.rec.ptr, fake, real, B, D, 1, pixel * scale * t.scale);
    } else k.gaussian_loss(0, b.rec.ptr, fake, real, B, D, 1, 0);
    return pixel * (this.sumAt(b.rec.ptr, B) - B * D * HALF_LOG_2PI);
  }

  /**
   * ½ Σ_c ‖mean_c F(x) − mean_c F(x_p)‖² over the batch (rows 0 … B against 2B … 3B of F; `byClass` false: one
   * class of every row), returned times B, and its gradient times B·scale added into F's gradient rows.
   */
  #meanMatch(t: Tape, F: Tensor, h: number, B: number, R: number, byClass: boolean, scale: number): number {
    const C = byClass ? this.classes : 1;
    const f = this.e.f32(F.ptr, R * h);
    const y = byClass ? this.e.f32(this.b.y.ptr, B * C) : undefined;
    const w = (r: number, c: number): number => (y ? y[r * C + c] : 1);
    const diff = new Float64Array(C * h), nc = new Float64Array(C);
    for (let r = 0; r < B; r++) {
      for (let c = 0; c < C; c++) {
        const wr = w(r, c);
        if (wr === 0) continue;
        nc[c] += wr;
        for (let j = 0; j < h; j++) diff[c * h + j] += wr * (f[r * h + j] - f[(2 * B + r) * h + j]);
      }
    }
    let loss = 0;
    for (let c = 0; c < C; c++) {
      if (nc[c] === 0) continue;
      for (let j = 0; j < h; j++) {
        diff[c * h + j] /= nc[c]; // mean_c F(x) − mean_c F(x_p)
        loss += 0.5 * diff[c * h + j] ** 2;
      }
    }
    if (t.scale && scale) {
      const g = this.e.f32(t.acc(F.grad!, R * h), R * h);
      const s = B * scale * t.scale;
      for (let r = 0; r < B; r++) {
        for (let c = 0; c < C; c++) {
          const wr = w(r, c);
          if (wr === 0 || nc[c] === 0) continue;
          const a = (s * wr) / nc[c];
          for (let j = 0; j < h; j++) {
            const v = a * diff[c * h + j];
            g[r * h + j] += v;
            g[(2 * B + r) * h + j] -= v;
          }
        }
      }
    }
    return B * loss;
  }

  /** Cross-entropy of the classifier's logits [B, C] against the label rows, its gradient (p − y)·scale; and the hits. */
  #crossEntropy(t: Tape, B: number, scale: number): { ce: number; hits: number } {
    const C = this.classes;
    const a = this.e.f32(this.#cHead.output.ptr, B * C), y = this.e.f32(this.b.y.ptr, B * C);
    const g = t.scale && scale ? this.e.f32(this.#cHead.output.grad!.ptr, B * C) : undefined;
    let ce = 0, hits = 0;
    for (let r = 0; r < B; r++) {
      let m = -Infinity, best = 0, want = 0;
      for (let c = 0; c < C; c++) {
        if (a[r * C + c] > m) [m, best] = [a[r * C + c], c];
        if (y[r * C + c] > y[r * C + want]) want = c;
      }
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(a[r * C + c] - m);
      const lse = m + Math.log(s);
      for (let c = 0; c < C; c++) {
        ce -= y[r * C + c] * (a[r * C + c] - lse);
        if (g) g[r * C + c] = scale * t.scale * (Math.exp(a[r * C + c] - lse) - y[r * C + c]);
      }
      if (best === want) hits++;
    }
    return { ce, hits };
  }

  #step(step: CVAEGANStep, B: number, gradScale: number, train: boolean): Terms & Record<string, number> {
    const w = this.cfg.weights;
    const t = this.pass(gradScale);
    const cF = this.#cFeatures, hD = this.features.outSize, hC = cF.outSize;
    if (step === "classifier") {
      this.e.k.repeat_rows_forward(this.b.dIn.ptr, this.b.x.ptr, 1, B * this.D, 1);
      cF.run(t, this.b.dIn, B, false);
      this.#cHead.run(t, cF.output, B);
      const { ce, hits } = this.#crossEntropy(t, B, 1);
      if (gradScale) t.backward();
      return { loss: ce, accuracy: hits };
    }
    if (step === "discriminator") {
      const { real, reconstructed, prior } = this.discriminatorLoss(t, B, train);
      const verdict = this.balanceOf(real / B, prior / B);
      this.#trainDiscriminator = verdict.discriminator || !this.cfg.balance;
      if (gradScale) t.backward();
      return { loss: real + reconstructed + prior, real, reconstructed, prior, updated: this.#trainDiscriminator ? B : 0 };
    }
    const enc = step === "encoder";
    // the generator step also decodes prior samples (the mean feature matching); the encoder step does not need them
    const plan: PassPlan = { prior: !enc, head: false, frozen: { encoder: !enc && train } };
    const { R } = this.forward(t, B, plan, enc ? w.kl : 0);
    cF.run(t, this.b.dIn, R);
    const lg = enc ? w.encoderPairwise : w.generatorPairwise;
    const px = this.#pixelPairwise(t, B, R, lg);
    const fd = this.featureLoss(t, B, R, lg) - B * hD * HALF_LOG_2PI;
    const fc = this.featureLoss(t, B, R, lg, cF.output, hC) - B * hC * HALF_LOG_2PI;
    const pairwise = px + fd + fc;
    if (enc) {
      const kl = this.sumAt(this.b.kl.ptr, B);
      if (gradScale) t.backward();
      return { loss: w.kl * kl + w.encoderPairwise * pairwise, kl, pairwise };
    }
    const gd = this.#meanMatch(t, this.features.output, hD, B, R, false, w.featureMatching);
    const gc = this.#meanMatch(t, cF.output, hC, B, R, true, w.featureMatching);
    if (gradScale) t.backward();
    return { loss: w.generatorPairwise * pairwise + w.featureMatching * (gd + gc), pairwise, featureMatchingD: gd, featureMatchingC: gc };
  }

  #evaluate(x: Float32Array, y: Float32Array, n: number, seed: number): CVAEGANTerms {
    const s = { kl: 0, pairwise: 0, featureMatchingD: 0, featureMatchingC: 0, discriminator: 0, classifier: 0, loss: 0 };
    this.chunks(n, (start, rows) => {
      this.putRows(x, y, start, rows);
      this.evalNoise(rows, seed, start);
      const e = this.#step("encoder", rows, 0, false);
      const g = this.#step("generator", rows, 0, false);
      const d = this.#step("discriminator", rows, 0, false);
      const c = this.#step("classifier", rows, 0, false);
      s.kl += e.kl;
      s.pairwise += e.pairwise;
      s.featureMatchingD += g.featureMatchingD;
      s.featureMatchingC += g.featureMatchingC;
      s.discriminator += d.loss;
      s.classifier += c.loss;
      s.loss += e.loss + g.loss + d.loss + c.loss;
    });
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v / n])) as unknown as CVAEGANTerms;
  }

  #target(): SteppedTarget<FieldSet> {
    const C = this.classes;
    const run = (step: CVAEGANStep) => (batch: Batch, gradScale: number) => {
      const B = batch.rows;
      this.dims(B);
      this.e.write(this.b.x.ptr, batch.fields.x.values as Float32Array);
      this.e.write(this.b.y.ptr, batch.fields.y.values as Float32Array);
      if (step === "encoder") this.#batchStep = this.steps;
      this.trainNoise(B, this.#batchStep);
      return this.#step(step, B, gradScale, true);
    };
    return {
      seed: this.cfg.seed,
      groups: this.groups,
      model: this as never, // resumable files: the epoch counter and order are the model's
      steps: [
        { name: "encoder", groups: ["encoder"], forwardBackward: run("encoder") },
        { name: "generator", groups: ["decoder"], forwardBackward: run("generator") },
        { name: "discriminator", groups: ["discriminator"], forwardBackward: run("discriminator"), shouldUpdate: (t) => (t as Terms & { updated: number }).updated !== 0 },
        { name: "classifier", groups: ["classifier"], forwardBackward: run("classifier") },
      ],
      validate: (data, what, unit) => {
        if (unit) throw new InvalidInputError(NO_BINARIZATION);
        if (typeof data !== "object" || data === null || !("x" in data) || !("labels" in data)) {
          throw new InvalidInputError(`${what}: expected { x, labels } (examples and their class labels)`);
        }
        const d = data as { x: unknown; labels: unknown };
        const r = this.#data(d.x, d.labels, what.replace(/\(x\)$/, ""));
        return { rows: r.rows, fields: { x: { width: this.D, values: r.x }, y: { width: C, values: r.y } } };
      },
      begin: (capacity, o) => {
        if (o?.binarizeSeed !== undefined) throw new InvalidInputError(NO_BINARIZATION);
        this.fits("fit: batchSize", 3 * capacity);
        this.dims(capacity);
      },
      stepTaken: (name) => {
        if (name === "encoder") this.steps++;
      },
      evaluate: (data, seed) => {
        const d = data as FieldSet;
        return this.#evaluate(d.fields.x.values as Float32Array, d.fields.y.values as Float32Array, d.rows, seed);
      },
    };
  }
}
