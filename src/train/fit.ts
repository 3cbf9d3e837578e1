// The training loop shared by every model: batching, shuffling, the optimizer, callbacks, stopping, divergence.
import { InvalidInputError, TrainingDivergedError } from "../errors.js";
import { count, seedOf, type Rows } from "../io/data.js";
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
 * What `fit` reports after each epoch.
 *
 * @example
 * ```ts
 * const history: EpochLog[] = await vae.fit(x, { epochs: 2 });
 * history[1].validation?.loss;
 * ```
 */
export interface EpochLog extends LossTerms {
  /** 1-based epoch number. */
  epoch: number;
  /** Loss terms on validationData, when given. */
  validation?: LossTerms;
  /** Wall time of the epoch's training (without validation), seconds. */
  seconds: number;
  /** Training throughput. */
  examplesPerSecond: number;
}

/**
 * What `fit` reports after each batch.
 *
 * @example
 * ```ts
 * await vae.fit(x, { onBatchEnd: (b: BatchLog) => console.log(`${b.batch + 1}/${b.batches}`, b.loss) });
 * ```
 */
export interface BatchLog extends LossTerms {
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
}

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
export interface FitOptions {
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
  onBatchEnd?: (log: BatchLog) => void | Promise<void>;
  onEpochEnd?: (log: EpochLog) => void | Promise<void>;
  /** Stops training at the next batch boundary; fit then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What a model exposes to the training loop. */
export interface TrainingTarget {
  readonly inputSize: number;
  readonly seed: number;
  readonly optimizer: Optimizer;
  validate(data: unknown, what: string): Rows;
  /** Makes room for batches of `rows` and returns a function that puts one example into row r of the batch. */
  batchInput(rows: number): (r: number, example: Float32Array) => void;
  /** Zeroes gradients, runs forward and backward on the first `rows` of the batch; returns summed terms. */
  forwardBackward(rows: number, gradScale: number): { loss: number; reconstruction: number; kl: number };
  /** Squared L2 norm of the gradient buffer. */
  gradNormSquared(): number;
  scaleGradients(s: number): void;
  evaluate(rows: Rows, seed: number): LossTerms;
}

const KEYS = [
  "epochs", "batchSize", "learningRate", "optimizer", "beta1", "beta2", "eps", "weightDecay", "momentum", "dampening",
  "nesterov", "clipNorm", "lossReduction", "shuffle", "shuffleSeed", "validationData", "validationSeed", "onBatchEnd",
  "onEpochEnd", "signal",
];

function num(o: Record<string, unknown>, key: string, def: number, lo: number, hi: number, open = false): number {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (open && v === lo)) {
    throw new InvalidInputError(`fit: ${key} must be a number in ${open ? "(" : "["}${lo}, ${hi}]; got ${JSON.stringify(v)}`);
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
    throw new InvalidInputError(`fit: optimizer must be "adam", "adamw" or "sgd"; got ${JSON.stringify(o.optimizer)}`);
  }
  const reduction = o.lossReduction ?? "sum";
  if (reduction !== "sum" && reduction !== "mean") {
    throw new InvalidInputError(`fit: lossReduction must be "sum" or "mean"; got ${JSON.stringify(reduction)}`);
  }
  for (const f of ["onBatchEnd", "onEpochEnd"]) {
    if (o[f] !== undefined && typeof o[f] !== "function") throw new InvalidInputError(`fit: ${f} must be a function`);
  }
  if (o.signal !== undefined && !(typeof o.signal === "object" && o.signal !== null && "aborted" in o.signal)) {
    throw new InvalidInputError("fit: signal must be an AbortSignal");
  }
  for (const f of ["nesterov", "shuffle"]) {
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
  };
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
export async function fit(target: TrainingTarget, data: unknown, options?: FitOptions): Promise<EpochLog[]> {
  const p = plan(options, target.seed);
  const o = (options ?? {}) as FitOptions;
  const train = target.validate(data, "fit(x)");
  const validation = o.validationData === undefined ? undefined : target.validate(o.validationData, "fit: validationData");
  stopIfAborted(o.signal);
  const D = target.inputSize;
  const n = train.rows;
  const bs = Math.min(p.batchSize, n);
  const batches = Math.ceil(n / bs);
  const put = target.batchInput(bs);
  target.optimizer.prepare(p.optimizer);
  const history: EpochLog[] = [];
  const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());
  let lastYield = now();

  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const order = p.shuffle ? permutation(n, p.shuffleSeed, epoch - 1) : undefined;
    const t0 = now();
    let sumLoss = 0, sumRec = 0, sumKl = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * bs;
      const rows = Math.min(bs, n - start);
      for (let r = 0; r < rows; r++) {
        const src = order ? order[start + r] : start + r;
        put(r, train.values.subarray(src * D, src * D + D));
      }
      const t = target.forwardBackward(rows, p.mean ? 1 / rows : 1);
      if (!Number.isFinite(t.loss)) {
        throw new TrainingDivergedError(
          `fit: the loss became ${t.loss} at epoch ${epoch}, batch ${b}; training stopped before applying that batch, so ` +
            `the weights are those of the last good step. Try a lower learningRate (now ${p.learningRate}), set clipNorm, ` +
            "or check the data",
          epoch, b,
        );
      }
      const norm2 = target.gradNormSquared();
      if (!Number.isFinite(norm2)) {
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
      sumLoss += t.loss;
      sumRec += t.reconstruction;
      sumKl += t.kl;
      if (o.onBatchEnd) {
        await o.onBatchEnd({ epoch, batch: b, batches, loss: t.loss / rows, reconstruction: t.reconstruction / rows, kl: t.kl / rows });
      }
      if (now() - lastYield > 25) {
        await yieldToEventLoop();
        lastYield = now();
      }
      stopIfAborted(o.signal);
    }
    const seconds = (now() - t0) / 1000;
    const log: EpochLog = {
      epoch, loss: sumLoss / n, reconstruction: sumRec / n, kl: sumKl / n, seconds, examplesPerSecond: n / seconds,
    };
    if (validation) log.validation = target.evaluate(validation, p.validationSeed);
    history.push(log);
    if (o.onEpochEnd) await o.onEpochEnd(log);
    stopIfAborted(o.signal);
  }
  return history;
}
