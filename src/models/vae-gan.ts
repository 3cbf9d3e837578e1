// VAE-GAN (Larsen, Sønderby, Larochelle & Winther 2015, "Autoencoding beyond pixels using a learned similarity
// metric"): a VAE whose reconstruction error is measured in the feature space of a GAN discriminator's l-th layer,
// trained as three parameter groups with three optimizers, updated per batch in Larsen's order:
//   encoder        β·L_prior + L_llike
//   decoder        γ·L_llike + L_adv     (L_adv: the GAN loss of reconstructions and prior samples)
//   discriminator  L_GAN                 (real data vs reconstructions and prior samples)
// with L_prior = KL(q(z|x) ‖ N(0, I)), L_llike = ½‖Dis_l(x) − Dis_l(x̃)‖² + ½·h·log 2π (a unit Gaussian in feature
// space), x̃ = Dec(z), z ~ q(z|x), x_p = Dec(z_p), z_p ~ N(0, I). Each step's gradient is taken at the weights the
// previous steps of the batch left (alternating updates, as GAN training does); its backward skips the networks it
// does not update where it can (a frozen network's forward records nothing).
import { count, seedOf, toRows, type Data } from "../io/data.js";
import type { Engine } from "../runtime/engine.js";
import type { Batch, EpochLog, FieldSet, FitOptions, SteppedTarget, Terms } from "../train/fit.js";
import type { ResolvedVAEGANConfig, VAEGANConfig } from "./gan-config.js";
import { configFromFile, readModelFile } from "./format.js";
import { buildNets, GanModel, NO_BINARIZATION, type GanGradients, type PassPlan } from "./gan-model.js";
import type { Encoding } from "./latent-model.js";
import { Model, type EngineOptions } from "./model.js";
import { optionsOf } from "./options.js";
import { InvalidInputError } from "../errors.js";

/**
 * VAEGAN's loss terms as means per example: the prior KL, the feature reconstruction error L_llike, the decoder's
 * GAN loss and the discriminator's; `loss` is the sum of the three steps' losses (encoder β·kl + reconstruction,
 * decoder γ·reconstruction + adversarial, discriminator).
 *
 * @example
 * ```ts
 * const { kl, reconstruction, adversarial, discriminator } = model.evaluate(testX, { seed: 1 });
 * ```
 */
export interface VAEGANTerms extends Terms {
  kl: number;
  reconstruction: number;
  adversarial: number;
  discriminator: number;
}

/**
 * The three training steps of a batch, in Larsen's order.
 *
 * @example
 * ```ts
 * const step: VAEGANStep = "decoder";
 * ```
 */
export type VAEGANStep = "encoder" | "decoder" | "discriminator";

export type { GanGradients } from "./gan-model.js";

const STEPS: readonly VAEGANStep[] = ["encoder", "decoder", "discriminator"];

/**
 * A VAE-GAN (Larsen et al. 2015): encoder, decoder (the generator) and discriminator, each a layer list; the
 * decoder learns from a reconstruction error in the discriminator's feature space and from the GAN game, so its
 * samples come out sharper than a pixel-likelihood VAE's. `fit` runs three parameter groups ("encoder", "decoder",
 * "discriminator"), each with its own optimizer state, settable per group through `parameterGroups`; every epoch
 * log carries each step's terms under `steps`.
 *
 * @example
 * ```ts
 * import { VAEGAN } from "vaekit/gan";
 * const model = await VAEGAN.create({ inputSize: 784, latentSize: 16, seed: 1 });
 * const history = await model.fit(trainX, { epochs: 10, batchSize: 64, learningRate: 3e-4,
 *   parameterGroups: { discriminator: { learningRate: 1e-4 } } });
 * history[9].steps!.discriminator.loss;
 * const digits = model.sample(16, { seed: 7 });
 * ```
 */
export class VAEGAN extends GanModel<ResolvedVAEGANConfig, VAEGANTerms> {
  #trainDiscriminator = true;
  /** The step count when the current batch began: its noise is keyed on it in all three steps. */
  #batchStep = 0;

  private constructor(e: Engine, cfg: ResolvedVAEGANConfig) {
    super(e, cfg, buildNets(cfg, 0), "VAEGAN", 0);
  }

  /**
   * Creates a VAE-GAN with weights initialised like PyTorch's nn.Linear from `config.seed`.
   *
   * @example
   * ```ts
   * const model = await VAEGAN.create({ inputSize: 784, latentSize: 16, gamma: 1, seed: 1 });
   * ```
   */
  static async create(config: VAEGANConfig, options: EngineOptions = {}): Promise<VAEGAN> {
    const { resolveVAEGANConfig } = await import("./gan-config.js");
    const cfg = resolveVAEGANConfig(config);
    const m = new VAEGAN(await Model.engine(options, undefined, !!cfg.inputShape), cfg);
    m.initialise();
    return m;
  }

  /**
   * Loads a VAEGAN written by `save()` (ModelFormatError for anything else).
   *
   * @example
   * ```ts
   * const model = await VAEGAN.load(bytes);
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<VAEGAN> {
    const file = await readModelFile(bytes, "VAEGAN");
    const { resolveVAEGANConfig } = await import("./gan-config.js");
    const cfg = configFromFile(() => resolveVAEGANConfig(file.config));
    return new VAEGAN(await Model.engine(options, file, !!cfg.inputShape), cfg).restore(file);
  }

  /**
   * Trains the three groups on x, three steps per batch (encoder, decoder, discriminator). fit's optimizer options
   * apply to every group; `parameterGroups` sets a group's own (e.g. a slower discriminator). Resolves with one log
   * per epoch: `steps.encoder` {loss, kl, reconstruction}, `steps.decoder` {loss, reconstruction, adversarial,
   * updated}, `steps.discriminator` {loss, real, reconstructed, prior, updated} (means per example; `updated` is the
   * share of examples whose batch updated that group under the balance rule).
   *
   * @example
   * ```ts
   * const history = await model.fit(trainX, { epochs: 5, batchSize: 64, learningRate: 3e-4,
   *   onEpochEnd: (log) => console.log(log.epoch, log.steps) });
   * ```
   */
  fit(x: Data, options?: FitOptions<VAEGANTerms>): Promise<EpochLog<VAEGANTerms>[]> {
    return this.train(() => this.#target(), x, options);
  }

  /**
   * Mean loss terms per example on x, with ε and z_p from `seed` (default 0).
   *
   * @example
   * ```ts
   * const { reconstruction, discriminator } = model.evaluate(testX, { seed: 1 });
   * ```
   */
  evaluate(x: Data, options: { seed?: number } = {}): VAEGANTerms {
    this.live("evaluate");
    const seed = seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0);
    const r = this.rowsOf(x, "evaluate(x)");
    return this.#evaluate(r.values, r.rows, seed);
  }

  /**
   * q(z|x) of each example: mean and log-variance, each [n, latentSize].
   *
   * @example
   * ```ts
   * const { mean, logVar } = model.encode(images);
   * ```
   */
  encode(x: Data): Encoding {
    this.live("encode");
    const r = this.rowsOf(x, "encode(x)");
    return this.encodeData(r.values, undefined, r.rows);
  }

  /**
   * Decodes latent rows [n, latentSize] to images [n, inputSize] (the decoder's output activation applied).
   *
   * @example
   * ```ts
   * const images = model.decode(z);
   * ```
   */
  decode(z: Data): Float32Array {
    this.live("decode");
    const r = toRows(z, this.L, "decode(z)");
    this.fits("decode", r.rows, true);
    return this.decodeWith(r.rows, undefined, (start, rows, p) => this.e.write(p, r.values.subarray(start * this.L, (start + rows) * this.L)));
  }

  /**
   * decode(μ(x)): each example through the encoder's mean and the decoder.
   *
   * @example
   * ```ts
   * const again = model.reconstruct(images);
   * ```
   */
  reconstruct(x: Data, options: Record<string, never> = {}): Float32Array {
    this.live("reconstruct");
    optionsOf(options, [], "reconstruct");
    const r = this.rowsOf(x, "reconstruct(x)");
    return this.reconstructData(r.values, undefined, r.rows);
  }

  /**
   * n draws z ~ N(0, I), decoded. With a seed, the same images every time; without one, a stream that moves on.
   *
   * @example
   * ```ts
   * const images = model.sample(64, { seed: 7 });
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
   * The discriminator's logit per example (log D(x) − log(1 − D(x))): high for what it takes to be real data.
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
   * One training step's loss (summed over the batch) and its gradient over every tensor, at the current weights,
   * without changing the model: ε and z_p given as `epsilon` and `prior` ([n, latentSize] each) or drawn from
   * `seed` as evaluate draws them.
   *
   * @example
   * ```ts
   * const { loss, gradients } = model.gradients(batch, { step: "decoder", seed: 1 });
   * ```
   */
  gradients(x: Data, options: { step?: VAEGANStep; epsilon?: Data; prior?: Data; seed?: number } = {}): GanGradients {
    this.live("gradients");
    const o = optionsOf(options, ["step", "epsilon", "prior", "seed"], "gradients");
    const step = (o.step ?? "encoder") as VAEGANStep;
    if (!STEPS.includes(step)) throw new InvalidInputError(`gradients: step must be "encoder", "decoder" or "discriminator"; got ${String(o.step)}`);
    const r = this.rowsOf(x, "gradients(x)");
    return this.stepGradients(o, r.values, undefined, r.rows, (n) => this.#step(step, n, 1, false));
  }

  /**
   * Decoded points between two latent codes or two inputs (encoded to their means): `steps` points, ends included.
   *
   * @example
   * ```ts
   * const frames = model.interpolate(imageA, imageB, { steps: 8 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: "linear" | "slerp" } = {}): Float32Array {
    this.live("interpolate");
    const enc = (v: Float32Array): Float32Array => this.encode(v).mean;
    return this.decode(this.interpolationPoints(this.code(a, "interpolate: a", enc), this.code(b, "interpolate: b", enc), options, []));
  }

  /**
   * Decodes z with one latent dimension swept over `values` (default −3 … 3 in 7 steps).
   *
   * @example
   * ```ts
   * const sweep = model.traverse(new Float32Array(16), 0);
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    return this.decode(this.traversalPoints(z, dim, options, []));
  }

  /**
   * For a 2-D latent space: the decoded size × size grid (as `VAE.latentGrid`).
   *
   * @example
   * ```ts
   * const tiles = model.latentGrid({ size: 10 });
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    return this.decode(this.gridOf(options, []));
  }

  // ---- the objectives ----

  /**
   * Runs one step's forward pass and objective on B rows (x, ε and z_p in place) with gradScale (0: inference);
   * `train`: frozen networks record nothing. Returns the step's summed terms.
   */
  #step(step: VAEGANStep, B: number, gradScale: number, train: boolean): Terms & Record<string, number> {
    const c = this.cfg;
    const t = this.pass(gradScale);
    if (step === "encoder") {
      const plan: PassPlan = { prior: false, head: false, frozen: {} };
      const { R } = this.forward(t, B, plan, c.beta);
      const rec = this.featureLoss(t, B, R, 1);
      const kl = this.sumAt(this.b.kl.ptr, B);
      if (gradScale) t.backward();
      return { loss: c.beta * kl + rec, kl, reconstruction: rec };
    }
    if (step === "decoder") {
      const plan: PassPlan = { prior: true, head: true, frozen: { encoder: train } };
      const { R } = this.forward(t, B, plan, 0);
      const rec = this.featureLoss(t, B, R, c.gamma);
      const realBce = this.bce(t, 0, B, 1, 0, R); // −log D(x), for the balance rule
      const priorBce = this.bce(t, 2 * B, B, 0, 0, R); // −log(1 − D(x_p)), the same
      let adversarial: number;
      if (c.generatorLoss === "non-saturating") adversarial = this.bce(t, B, 2 * B, 1, 1, R);
      else adversarial = -this.bce(t, B, 2 * B, 0, -1, R);
      const verdict = this.balanceOf(realBce / B, priorBce / B);
      this.#trainDiscriminator = verdict.discriminator;
      if (gradScale) t.backward();
      return { loss: c.gamma * rec + adversarial, reconstruction: rec, adversarial, updated: verdict.decoder ? B : 0 };
    }
    const { real, reconstructed, prior } = this.discriminatorLoss(t, B, train);
    if (gradScale) t.backward();
    return { loss: real + reconstructed + prior, real, reconstructed, prior, updated: this.#trainDiscriminator ? B : 0 };
  }

  #evaluate(x: Float32Array, n: number, seed: number): VAEGANTerms {
    const s = { kl: 0, reconstruction: 0, adversarial: 0, discriminator: 0 };
    const c = this.cfg;
    this.chunks(n, (start, rows) => {
      this.putRows(x, undefined, start, rows);
      this.evalNoise(rows, seed, start);
      const enc = this.#step("encoder", rows, 0, false);
      const dec = this.#step("decoder", rows, 0, false);
      const dis = this.#step("discriminator", rows, 0, false);
      s.kl += enc.kl;
      s.reconstruction += enc.reconstruction;
      s.adversarial += dec.adversarial;
      s.discriminator += dis.loss;
    });
    const m = { kl: s.kl / n, reconstruction: s.reconstruction / n, adversarial: s.adversarial / n, discriminator: s.discriminator / n };
    return { loss: c.beta * m.kl + m.reconstruction + c.gamma * m.reconstruction + m.adversarial + m.discriminator, ...m };
  }

  #target(): SteppedTarget<FieldSet> {
    const run = (step: VAEGANStep) => (batch: Batch, gradScale: number) => {
      const B = batch.rows;
      this.dims(B);
      this.e.write(this.b.x.ptr, batch.fields.x.values as Float32Array);
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
        { name: "decoder", groups: ["decoder"], forwardBackward: run("decoder"), shouldUpdate: (t) => (t as Terms & { updated: number }).updated !== 0 },
        { name: "discriminator", groups: ["discriminator"], forwardBackward: run("discriminator"), shouldUpdate: (t) => (t as Terms & { updated: number }).updated !== 0 },
      ],
      validate: (data, what, unit) => {
        if (unit) throw new InvalidInputError(NO_BINARIZATION);
        const r = this.rowsOf(data, what);
        return { rows: r.rows, fields: { x: { width: this.D, values: r.values } } };
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
        return this.#evaluate(d.fields.x.values as Float32Array, d.rows, seed);
      },
    };
  }
}
