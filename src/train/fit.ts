// The training loop shared by every model: batching, shuffling, the optimizer, callbacks, stopping, divergence.
import { InvalidInputError, TrainingDivergedError } from "../errors.js";
import { show } from "../errors-format.js";
import { count, seedOf } from "../io/data.js";
import { suggest } from "../models/config.js";
import { yieldToEventLoop } from "../runtime/env.js";
import type { Optimizer, OptimizerOptions } from "./optimizer.js";
import { permutation } from "./shuffle.js";

/**
 * Loss terms as means per example, in nats.
 *
 * @example
 * ```ts
 * const { loss, reconstruction, kl }: LossTerms = vae.evaluate(testX);
 * ```
 */
export interface LossTerms {
  /** The objective: reconstruction + β·kl (−ELBO when β = 1). */
  loss: number;
  /** −log p(x|z), one sampled z per example. */
  reconstruction: number;
  /** KL(q(z|x) ‖ p(z)). */
  kl: number;
}

/**
 * Per-example loss terms of any model: `loss` is the training objective; the other keys depend on the model
 * (`reconstruction` and `kl` for VAEs, `reconstruction` and `sparsity` for autoencoders).
 *
 * @example
 * ```ts
 * const t: Terms = { loss: 101.2, reconstruction: 80.1, kl: 21.1 };
 * ```
 */
export interface Terms {
  loss: number;
}

/**
 * What `fit` reports after each epoch: the model's loss terms (means per example over the epoch's batches).
 *
 * @example
 * ```ts
 * const history: EpochLog[] = await vae.fit(x, { epochs: 2 });
 * history[1].validation?.loss;
 * ```
 */
export type EpochLog<T extends Terms = LossTerms> = T & {
  /** 1-based epoch number. */
  epoch: number;
  /** Loss terms on validationData, when given. */
  validation?: T;
  /** Wall time of the epoch's training (without validation), seconds. */
  seconds: number;
  /** Training throughput. */
  examplesPerSecond: number;
};

/**
 * What `fit` reports after each batch (terms as means per example of the batch).
 *
 * @example
 * ```ts
 * await vae.fit(x, { onBatchEnd: (b: BatchLog) => console.log(`${b.batch + 1}/${b.batches}`, b.loss) });
 * ```
 */
export type BatchLog<T extends Terms = LossTerms> = T & {
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
};

/**
 * Options of `fit`. Defaults follow the PyTorch reference VAE: Adam, learning rate 1e-3, batch 128,
 * loss summed over the batch.
 *
 * @example
 * ```ts
 * await vae.fit(trainX, { epochs: 10, batchSize: 128, learningRate: 1e-3, validationData: testX, shuffleSeed: 1,
 *   onEpochEnd: (log) => console.log(log.epoch, log.loss, log.validation?.loss) });
 * ```
 */
export interface FitOptions<T extends Terms = LossTerms> {
  /** Passes over the data. Default 10. */
  epochs?: number;
  /** Examples per step; the last batch of an epoch may be smaller. Default 128. */
  batchSize?: number;
  /** Default 1e-3. */
  learningRate?: number;
  /** "adam" (default), "adamw" or "sgd". State carries over between fit calls while this stays the same. */
  optimizer?: "adam" | "adamw" | "sgd";
  /** Adam's β1, β2 and ε. Defaults 0.9, 0.999, 1e-8. */
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** L2 penalty (Adam, SGD) or decoupled decay (AdamW). Default 0 (AdamW: 0.01, as PyTorch). */
  weightDecay?: number;
  /** SGD momentum, dampening and Nesterov. Defaults 0, 0, false. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** Rescales the gradient when its global L2 norm exceeds this (PyTorch's clip_grad_norm_). */
  clipNorm?: number;
  /** "sum" (default, as the reference) or "mean" of the per-example loss within a batch. */
  lossReduction?: "sum" | "mean";
  /** Shuffle every epoch. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffling. Default: the model's seed. */
  shuffleSeed?: number;
  /** Data evaluated after every epoch (one sampled z per example). */
  validationData?: unknown;
  /** Seed of the validation noise. Default 0. */
  validationSeed?: number;
  /**
   * Replaces every training input value v (which must lie in [0, 1]) by a fresh Bernoulli(v) draw each epoch
   * (dynamic binarization, as in the IWAE paper's MNIST experiments); seeded by `binarizationSeed`, the same for
   * an example and epoch whatever the batching. Default false.
   */
  dynamicBinarization?: boolean;
  /** Seed of the binarization draws. Default: the model's seed. */
  binarizationSeed?: number;
  onBatchEnd?: (log: BatchLog<T>) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog<T>) => void | Promise<void>;
  /** Stops training at the next batch boundary; fit then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A validated training set: `rows` examples, whatever the model needs per example (models define it).
 *
 * @example
 * ```ts
 * const d: Dataset = { rows: 60000 };
 * ```
 */
export interface Dataset {
  readonly rows: number;
}

/** How the loop asks a model to fill a batch. */
export interface BatchOptions {
  /** Seed of dynamic binarization, when on. */
  readonly binarizeSeed?: number;
}

/** What a model exposes to the training loop. */
export interface TrainingTarget<T extends Terms = Terms, D extends Dataset = Dataset> {
  readonly seed: number;
  readonly optimizer: Optimizer;
  /** Checks data; `unit` demands values in [0, 1] (dynamic binarization). */
  validate(data: unknown, what: string, unit: boolean): D;
  /**
   * Makes room for batches of `rows` and returns a function that puts example `src` of `data` into row r of the
   * batch (epoch is 1-based; it keys per-epoch randomness such as binarization).
   */
  batchInput(rows: number, options: BatchOptions): (r: number, data: D, src: number, epoch: number) => void;
  /** Zeroes gradients, runs forward and backward on the first `rows` of the batch; returns summed terms. */
  forwardBackward(rows: number, gradScale: number): T;
  /**
   * Marks the hidden state a step moves besides the weights (noise stream positions); the returned function puts
   * it back, so a step that is refused (a non-finite loss or gradient) leaves no trace.
   */
  mark?(): () => void;
  /** Throws a typed error when batches of `rows` would take the model past its memory limit. */
  fits?(rows: number): void;
  /** Called after each optimizer step (advances schedules such as KL warm-up). */
  stepTaken(): void;
  /** Squared L2 norm of the gradient buffer. */
  gradNormSquared(): number;
  /** How many gradient values are NaN or ±Inf (cheaper than the norm, and split over threads). */
  gradNonFinite(): number;
  scaleGradients(s: number): void;
  evaluate(data: D, seed: number): T;
}

const KEYS = [
  "epochs", "batchSize", "learningRate", "optimizer", "beta1", "beta2", "eps", "weightDecay", "momentum", "dampening",
  "nesterov", "clipNorm", "lossReduction", "shuffle", "shuffleSeed", "validationData", "validationSeed", "onBatchEnd",
  "onEpochEnd", "signal", "dynamicBinarization", "binarizationSeed",
];

function num(o: Record<string, unknown>, key: string, def: number, lo: number, hi: number, open = false): number {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (open && v === lo)) {
    throw new InvalidInputError(`fit: ${key} must be a number in ${open ? "(" : "["}${lo}, ${hi}]; got ${show(v)}`);
  }
  return v;
}

interface Plan extends OptimizerOptions {
  epochs: number;
  batchSize: number;
  clipNorm: number;
  mean: boolean;
  shuffle: boolean;
  shuffleSeed: number;
  validationSeed: number;
  binarizeSeed: number | undefined;
}

function plan(options: unknown, seed: number): Plan {
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null) throw new InvalidInputError("fit: options must be an object");
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KEYS.includes(k)) throw new InvalidInputError(`fit: unknown option '${k}'${suggest(k, KEYS)}`);
  }
  const optimizer = (o.optimizer ?? "adam") as Plan["optimizer"];
  if (!["adam", "adamw", "sgd"].includes(optimizer)) {
    throw new InvalidInputError(`fit: optimizer must be "adam", "adamw" or "sgd"; got ${show(o.optimizer)}`);
  }
  const reduction = o.lossReduction ?? "sum";
  if (reduction !== "sum" && reduction !== "mean") {
    throw new InvalidInputError(`fit: lossReduction must be "sum" or "mean"; got ${show(reduction)}`);
  }
  for (const f of ["onBatchEnd", "onEpochEnd"]) {
    if (o[f] !== undefined && typeof o[f] !== "function") throw new InvalidInputError(`fit: ${f} must be a function`);
  }
  if (o.signal !== undefined && !(typeof o.signal === "object" && o.signal !== null && "aborted" in o.signal)) {
    throw new InvalidInputError("fit: signal must be an AbortSignal");
  }
  for (const f of ["nesterov", "shuffle", "dynamicBinarization"]) {
    if (o[f] !== undefined && typeof o[f] !== "boolean") throw new InvalidInputError(`fit: ${f} must be true or false`);
  }
  const p: Plan = {
    epochs: o.epochs === undefined ? 10 : count("fit: epochs", o.epochs, 1e9),
    batchSize: o.batchSize === undefined ? 128 : count("fit: batchSize", o.batchSize, 1 << 20),
    learningRate: num(o, "learningRate", 1e-3, 0, 1e6, true),
    optimizer,
    beta1: num(o, "beta1", 0.9, 0, 1),
    beta2: num(o, "beta2", 0.999, 0, 1),
    eps: num(o, "eps", 1e-8, 0, 1, true),
    weightDecay: num(o, "weightDecay", optimizer === "adamw" ? 0.01 : 0, 0, 1e6),
    momentum: num(o, "momentum", 0, 0, 1),
    dampening: num(o, "dampening", 0, 0, 1),
    nesterov: (o.nesterov as boolean | undefined) ?? false,
    clipNorm: num(o, "clipNorm", Infinity, 0, Infinity, true),
    mean: reduction === "mean",
    shuffle: (o.shuffle as boolean | undefined) ?? true,
    shuffleSeed: seedOf("fit: shuffleSeed", o.shuffleSeed, seed),
    validationSeed: seedOf("fit: validationSeed", o.validationSeed, 0),
    binarizeSeed: o.dynamicBinarization ? seedOf("fit: binarizationSeed", o.binarizationSeed, seed) : undefined,
  };
  if (!o.dynamicBinarization && o.binarizationSeed !== undefined) {
    throw new InvalidInputError("fit: binarizationSeed needs dynamicBinarization: true");
  }
  if (p.beta1 >= 1 || p.beta2 >= 1) throw new InvalidInputError("fit: beta1 and beta2 must be below 1");
  if (p.nesterov && (p.momentum <= 0 || p.dampening !== 0)) {
    throw new InvalidInputError("fit: nesterov needs momentum > 0 and dampening 0 (as in PyTorch)");
  }
  return p;
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException("fit was aborted", "AbortError");
  }
}

/**
 * Trains `target` on `data`. Everything is validated before the first step; a failure during training leaves the
 * weights of the last completed step.
 */
export async function fit<T extends Terms, D extends Dataset>(
  target: TrainingTarget<T, D>, data: unknown, options?: FitOptions<T>,
): Promise<EpochLog<T>[]> {
  const p = plan(options, target.seed);
  const o = (options ?? {}) as FitOptions<T>;
  const train = target.validate(data, "fit(x)", p.binarizeSeed !== undefined);
  const validation = o.validationData === undefined ? undefined : target.validate(o.validationData, "fit: validationData", false);
  stopIfAborted(o.signal);
  const n = train.rows;
  const bs = Math.min(p.batchSize, n);
  const batches = Math.ceil(n / bs);
  target.fits?.(bs);
  const put = target.batchInput(bs, { binarizeSeed: p.binarizeSeed });
  const history: EpochLog<T>[] = [];
  const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());
  let lastYield = now();

  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const order = p.shuffle ? permutation(n, p.shuffleSeed, epoch - 1) : undefined;
    const t0 = now();
    const sums: Record<string, number> = {};
    for (let b = 0; b < batches; b++) {
      const start = b * bs;
      const rows = Math.min(bs, n - start);
      for (let r = 0; r < rows; r++) put(r, train, order ? order[start + r] : start + r, epoch);
      const undo = target.mark?.();
      const t = target.forwardBackward(rows, p.mean ? 1 / rows : 1);
      if (!Number.isFinite(t.loss)) {
        undo?.();
        throw new TrainingDivergedError(
          `fit: the loss became ${t.loss} at epoch ${epoch}, batch ${b}; training stopped before applying that batch, so ` +
            `the weights are those of the last good step. Try a lower learningRate (now ${p.learningRate}), set clipNorm, ` +
            "or check the data",
          epoch, b,
        );
      }
      // the norm only when clipping needs it; otherwise a count of non-finite values (order-free, so threads split it)
      const norm2 = p.clipNorm !== Infinity ? target.gradNormSquared() : target.gradNonFinite() === 0 ? 0 : NaN;
      if (!Number.isFinite(norm2)) {
        undo?.();
        throw new TrainingDivergedError(
          `fit: the gradient became non-finite at epoch ${epoch}, batch ${b}; the weights are those of the last good ` +
            `step. Try a lower learningRate (now ${p.learningRate}) or set clipNorm`,
          epoch, b,
        );
      }
      if (p.clipNorm !== Infinity) {
        const norm = Math.sqrt(norm2);
        if (norm > p.clipNorm) target.scaleGradients(p.clipNorm / (norm + 1e-6));
      }
      target.optimizer.step(p);
      target.stepTaken();
      for (const [k, v] of Object.entries(t) as [string, number][]) sums[k] = (sums[k] ?? 0) + v;
      if (o.onBatchEnd) {
        const mean = Object.fromEntries((Object.entries(t) as [string, number][]).map(([k, v]) => [k, v / rows])) as unknown as T;
        await o.onBatchEnd({ ...mean, epoch, batch: b, batches });
      }
      if (now() - lastYield > 25) {
        await yieldToEventLoop();
        lastYield = now();
      }
      stopIfAborted(o.signal);
    }
    const seconds = (now() - t0) / 1000;
    const mean = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n])) as unknown as T;
    const log = { ...mean, epoch, seconds, examplesPerSecond: n / seconds } as EpochLog<T>;
    if (validation) log.validation = target.evaluate(validation, p.validationSeed);
    history.push(log);
    if (o.onEpochEnd) await o.onEpochEnd(log);
    stopIfAborted(o.signal);
  }
  return history;
}
