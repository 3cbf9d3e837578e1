// The training loop shared by every model: batching, shuffling, the optimizer, callbacks, stopping, divergence.
import { InvalidConfigError, InvalidInputError, TrainingDivergedError } from "../errors.js";
import { show } from "../errors-format.js";
import { count, seedOf } from "../io/data.js";
import { suggest } from "../models/config-checks.js";
import { yieldToEventLoop } from "../runtime/env.js";
import { type Batch, Batcher, checkFieldSet, type FieldSet, groupBatches, groupMembers, splitGroups } from "./fields.js";
import { GROUP_KEYS, type GroupOptions, type ParameterGroups, scheduleOf } from "./groups.js";
import type { Optimizer, OptimizerOptions } from "./optimizer.js";
import { permutation } from "./shuffle.js";
import type { Resolved, ScheduleSetting } from "./schedules.js";
import {
  type CheckpointOptions, type CheckpointPlan, checkMonitor, checkpointPlan, type EarlyStoppingOptions, epochsOf,
  monitored, type Order, orderOf, setEpochs, setOrder, type StopPlan, stopPlan, type TrainedModel, type Weights, weightsAt,
} from "./control.js";
import "./state.js"; // save({ optimizer: true }) can write the state once training code is loaded
import { type BatchStream, type RowSource, rangeOrder, streamKind } from "./source.js";
import { openStream, streamedEpochs, streamedValidation, type StreamPlan, streamPlan, STREAM_KEYS } from "./stream-run.js";

export type { Batch, Field, FieldSet, FieldValues } from "./fields.js";
export type { GroupOptions, ParameterGroup, Schedule } from "./groups.js";
export type { NamedSchedule, ScheduleSetting } from "./schedules.js";
export type { CheckpointOptions, EarlyStoppingOptions } from "./control.js";
export type { BatchStream, RowSource } from "./source.js";

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
  /**
   * Targets with several steps per batch only: each step's terms (means per example over the epoch), by step name.
   * The top-level `loss` is then the sum of the steps' losses.
   */
  steps?: Record<string, StepTerms>;
  /** With a schedule: the learning rate of the epoch's last update (one optimizer) … */
  learningRate?: number;
  /** … or, with parameter groups, each scheduled group's, by group name. */
  learningRates?: Record<string, number>;
};

/**
 * One step's loss terms (means per example), as logged per step.
 *
 * @example
 * ```ts
 * const d: StepTerms = history[0].steps!.discriminator; d.loss; d.real;
 * ```
 */
export type StepTerms = Terms & Record<string, number>;

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
  /** Batches per epoch (an async iterable of batches: NaN in the first epoch, then the previous epoch's count). */
  batches: number;
  /** Targets with several steps per batch only: each step's terms (means per example of the batch). */
  steps?: Record<string, StepTerms>;
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
  /**
   * Shuffle whole ranges of this many consecutive rows instead of single rows: the epoch's order is the ranges in the
   * order of a seeded permutation (the row shuffle's generator, on ⌈n / shuffleRange⌉ items, keyed by shuffleSeed
   * and the epoch), each range's rows in order; batches are then contiguous slices of that order. With 1 it is
   * exactly the row shuffle. In-memory data: default off (the row shuffle, unchanged). A RowSource: default 16, and
   * the same value on the same rows gives the same order in memory and streamed, so both train to the same bits.
   */
  shuffleRange?: number;
  /** A RowSource: batches read ahead while a batch trains (each at most batchSize rows). Default 2. */
  readAhead?: number;
  /**
   * Data evaluated after every epoch (one sampled z per example). A RowSource is evaluated in chunks of
   * max(batchSize, 1024) rows (its noise keyed per chunk) and the chunks' terms averaged by rows.
   */
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
  /** Called after every batch with its loss terms; a returned promise is awaited before the next batch. */
  onBatchEnd?: (log: BatchLog<T>) => void | Promise<void>;
  /** Called after every epoch with its mean loss terms (and the validation terms); awaited like onBatchEnd. */
  onEpochEnd?: (log: EpochLog<T>) => void | Promise<void>;
  /** Stops training at the next batch boundary; fit then rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Models with parameter groups only: settings per group (by group name) that override both the options above and
   * the model's own settings for that group, e.g. `{ discriminator: { learningRate: 2e-4, beta1: 0.5 } }`.
   */
  parameterGroups?: Record<string, GroupOptions>;
  /**
   * A learning-rate schedule: a named one (`{ type: "step" | "exponential" | "cosine" | "plateau", … }`) or a
   * function (step, epoch) => factor of learningRate. With parameter groups it is every group's default schedule.
   * The rate used is logged per epoch (`learningRate`, or `learningRates` by group).
   */
  schedule?: ScheduleSetting;
  /** Stop when a monitored quantity (validation loss by default) stops improving; see EarlyStoppingOptions. */
  earlyStopping?: EarlyStoppingOptions;
  /** Hand the model file to `write` every k epochs and/or on improvement; see CheckpointOptions. */
  checkpoint?: CheckpointOptions;
  /**
   * Continue the epoch count where this model's last fit (or the file it was loaded from, saved with
   * `{ optimizer: true }`) stopped, instead of numbering epochs from 1: shuffling, dynamic binarization and
   * per-epoch schedules then go on as if the two fit calls were one. Default false. The order options left out
   * (shuffle, shuffleSeed, shuffleRange) are then those of the model's last fit, or of the file's (so a streamed run
   * resumed in memory, or the other way round, shuffles as one run would); given ones win.
   */
  resume?: boolean;
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
   * batch (epoch is 1-based; it keys per-epoch randomness such as binarization). Streamed data pass a chunk of the
   * batch's rows as `data`, and `index` and `total`: the example's row in the whole set and the set's size, which
   * key the randomness instead of `src` and `data.rows` (so that it equals the in-memory run's).
   */
  batchInput(rows: number, options: BatchOptions): (r: number, data: D, src: number, epoch: number, index?: number, total?: number) => void;
  /** Zeroes gradients, runs forward and backward on the first `rows` of the batch; returns summed terms. */
  forwardBackward(rows: number, gradScale: number): T;
  /**
   * Marks the hidden state a step moves besides the weights (noise stream positions); the returned function puts
   * it back, so a step that is refused (a non-finite loss or gradient) leaves no trace.
   */
  mark?(): () => void;
  /** Throws a typed error when batches of `rows` would take the model past its memory limit. */
  fits?(rows: number): void;
  /**
   * The fewest rows a training batch may have (2 when a batch-norm layer follows a dense one: one row has no
   * variance). fit refuses in-memory data whose batches would have fewer before the first step.
   */
  minRows?: number;
  /** Called after each optimizer step (advances schedules such as KL warm-up). */
  stepTaken(): void;
  /** Squared L2 norm of the gradient buffer. */
  gradNormSquared(): number;
  /** How many gradient values are NaN or ±Inf (cheaper than the norm, and split over threads). */
  gradNonFinite(): number;
  scaleGradients(s: number): void;
  evaluate(data: D, seed: number): T;
  /** The model being trained (vaekit's models): epoch counter, weights for early stopping, save for checkpoints. */
  readonly model?: TrainedModel;
}

/**
 * One of a stepped target's ordered steps per batch (e.g. the discriminator's, then the generator's).
 *
 * @example
 * ```ts
 * const step: TrainingStep = { name: "generator", groups: ["generator"],
 *   forwardBackward: (batch, gradScale) => ({ loss: generatorLoss(batch, gradScale) }) };
 * ```
 */
export interface TrainingStep<S extends Terms = Terms> {
  readonly name: string;
  /**
   * The parameter groups this step updates. Every other group is frozen for the step: its backward may write their
   * gradients, but only these groups are checked, clipped and updated.
   */
  readonly groups: readonly string[];
  /**
   * Runs forward and backward on the batch, accumulating (+=) gradients into the gradient buffer, which the loop
   * zeroes before every step; `gradScale` (1, or 1/rows for lossReduction "mean") multiplies the loss being
   * differentiated. Returns the step's terms summed over the batch's rows.
   */
  forwardBackward(batch: Batch, gradScale: number): S;
  /**
   * Optional: whether this batch's update happens, given the step's terms (e.g. a GAN's equilibrium rule, which
   * skips the discriminator while it wins by too much). When it returns false the step's groups are not updated
   * (their optimizer state does not move either) and `stepTaken` is not called; the terms are logged as usual.
   */
  shouldUpdate?(terms: S): boolean;
}

/**
 * What a model with parameter groups and ordered steps exposes to the training loop. Its data are named fields
 * (`validate` returns a FieldSet); a `groups` field makes batches of whole groups.
 *
 * @example
 * ```ts
 * const target: SteppedTarget = { seed: 1, groups, steps: [discriminatorStep, generatorStep],
 *   validate: (data) => ({ rows: n, fields: { x: { width: 1, values: data as Float32Array } } }),
 *   evaluate: () => ({ loss: 0 }) };
 * await fit(target, x, { epochs: 2, parameterGroups: { discriminator: { learningRate: 2e-4 } } });
 * ```
 */
export interface SteppedTarget<D extends FieldSet = FieldSet> {
  readonly seed: number;
  /** The model's parameter groups and their optimizer states (the model owns and frees them). */
  readonly groups: ParameterGroups;
  /** Run in this order on every batch. */
  readonly steps: readonly TrainingStep[];
  /** Checks data; `unit` demands values in [0, 1] (dynamic binarization). */
  validate(data: unknown, what: string, unit: boolean): D;
  /** Called once before the first batch: batches will have at most `capacity` rows. */
  begin?(capacity: number, options: BatchOptions): void;
  /** Called after each step's update (advances schedules such as KL warm-up). */
  stepTaken?(step: string): void;
  /** Loss terms on data (means per example); needed for fit's validationData. */
  evaluate?(data: D, seed: number): Terms;
  /** The model being trained, when it is a vaekit model (checkpoints need its save). */
  readonly model?: TrainedModel;
  /**
   * With a `groups` field: groups of more than this many examples are cut into sub-groups of at most this size
   * (afresh each epoch, see splitGroups) that travel as whole groups; at most the batch size. Unset: a group larger
   * than the batch is refused.
   */
  readonly subgroupSize?: number;
}

const KEYS = [
  "epochs", "batchSize", "learningRate", "optimizer", "beta1", "beta2", "eps", "weightDecay", "momentum", "dampening",
  "nesterov", "clipNorm", "lossReduction", "shuffle", "shuffleSeed", "validationData", "validationSeed", "onBatchEnd",
  "onEpochEnd", "signal", "dynamicBinarization", "binarizationSeed", "parameterGroups",
  "schedule", "earlyStopping", "checkpoint", "resume",
];

function num(o: Record<string, unknown>, key: string, def: number, lo: number, hi: number, open = false, where = "fit: "): number {
  const v = o[key];
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (open && v === lo)) {
    throw new InvalidInputError(`${where}${key} must be a number in ${open ? "(" : "["}${lo}, ${hi}]; got ${show(v)}`);
  }
  return v;
}

/** An optimizer's settings from options `o` (fit's, or a group's merged ones); `where` prefixes the errors. */
function optimizerPlan(o: Record<string, unknown>, where: string): OptimizerOptions {
  const optimizer = (o.optimizer ?? "adam") as OptimizerOptions["optimizer"];
  if (!["adam", "adamw", "sgd"].includes(optimizer)) {
    throw new InvalidInputError(`${where}optimizer must be "adam", "adamw" or "sgd"; got ${show(o.optimizer)}`);
  }
  if (o.nesterov !== undefined && typeof o.nesterov !== "boolean") throw new InvalidInputError(`${where}nesterov must be true or false`);
  const p: OptimizerOptions = {
    learningRate: num(o, "learningRate", 1e-3, 0, 1e6, true, where),
    optimizer,
    beta1: num(o, "beta1", 0.9, 0, 1, false, where),
    beta2: num(o, "beta2", 0.999, 0, 1, false, where),
    eps: num(o, "eps", 1e-8, 0, 1, true, where),
    weightDecay: num(o, "weightDecay", optimizer === "adamw" ? 0.01 : 0, 0, 1e6, false, where),
    momentum: num(o, "momentum", 0, 0, 1, false, where),
    dampening: num(o, "dampening", 0, 0, 1, false, where),
    nesterov: (o.nesterov as boolean | undefined) ?? false,
  };
  if (p.beta1 >= 1 || p.beta2 >= 1) throw new InvalidInputError(`${where}beta1 and beta2 must be below 1`);
  if (p.nesterov && (p.momentum <= 0 || p.dampening !== 0)) {
    throw new InvalidInputError(`${where}nesterov needs momentum > 0 and dampening 0 (as in PyTorch)`);
  }
  return p;
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

function plan(options: unknown, seed: number): Plan & StreamPlan {
  if (options === undefined) options = {};
  if (typeof options !== "object" || options === null) throw new InvalidInputError("fit: options must be an object");
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KEYS.includes(k) && !STREAM_KEYS.includes(k)) throw new InvalidInputError(`fit: unknown option '${k}'${suggest(k, [...KEYS, ...STREAM_KEYS])}`);
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
  for (const f of ["shuffle", "dynamicBinarization"]) {
    if (o[f] !== undefined && typeof o[f] !== "boolean") throw new InvalidInputError(`fit: ${f} must be true or false`);
  }
  const p: Plan = {
    epochs: o.epochs === undefined ? 10 : count("fit: epochs", o.epochs, 1e9),
    batchSize: o.batchSize === undefined ? 128 : count("fit: batchSize", o.batchSize, 1 << 20),
    ...optimizerPlan(o, "fit: "),
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
  return { ...p, ...streamPlan(o) };
}

/**
 * A resumed fit's order options that `o` leaves out, from the model's last fit (`stored`): the shuffle seed, shuffle
 * off, and the rows per shuffled range (1 = the row shuffle, the same order in memory and streamed). Returns true
 * when the range came from there (batches of whole groups then drop it).
 */
function inheritOrder(p: Plan & StreamPlan, o: FitOptions<Terms>, stored: Order | undefined, kind: string | undefined): boolean {
  if (!stored) return false;
  if (o.shuffleSeed === undefined) p.shuffleSeed = stored.seed;
  if (o.shuffle === undefined && stored.shuffle === false) p.shuffle = false;
  // an async iterable of batches is trained in the order it yields: no range to inherit
  if (o.shuffleRange !== undefined || stored.range === undefined || kind === "batches") return false;
  p.range = stored.range;
  return true;
}

function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException("fit was aborted", "AbortError");
  }
}

/** One step of the loop as it runs: the legacy target's single step, or one of a stepped target's. */
interface Lane {
  readonly name: string;
  run(batch: Batch | undefined, rows: number, gradScale: number): Terms;
  /** Marks the hidden state the step moves besides the weights; the returned function puts it back. */
  mark?(): () => void;
  norm2(): number;
  nonFinite(): number;
  scale(s: number): void;
  update(): void;
  taken(): void;
  /** A stepped target's shouldUpdate, negated: true when this batch's update is to be skipped. */
  skip?(terms: Terms): boolean;
}

/** How one fit call moves data: the steps, each epoch's batches and how a batch is filled. */
export interface Run {
  readonly lanes: Lane[];
  /** Examples in batch order (undefined: row order) and where each batch starts, plus the end. */
  epoch(epoch: number): { order: Uint32Array | undefined; starts: number[] };
  feed(order: Uint32Array | undefined, start: number, rows: number, epoch: number): Batch | undefined;
  /**
   * Streamed data: puts a validated chunk (the batch's rows, in batch order) into the batch; `index` holds their
   * examples' rows in the whole set of `total` rows (NaN: unknown, an async iterable).
   */
  put(chunk: Dataset, index: Uint32Array, epoch: number, total: number): Batch | undefined;
}

/** One epoch's batches as the loop takes them: `next(b)` is batch b (undefined after the last). */
export interface Epoch {
  readonly batches: number;
  next(b: number): { rows: number; batch: Batch | undefined } | undefined | Promise<{ rows: number; batch: Batch | undefined } | undefined>;
}

/** In-memory data: batches of the run's order, filled synchronously. */
function memoryEpoch(run: Run, epoch: number): Epoch {
  const { order, starts } = run.epoch(epoch);
  const batches = starts.length - 1;
  return {
    batches,
    next: (b) => (b < batches
      ? { rows: starts[b + 1] - starts[b], batch: run.feed(order, starts[b], starts[b + 1] - starts[b], epoch) }
      : undefined),
  };
}

/** Contiguous batches of `bs` over a seeded permutation (or row order): today's order, exactly. */
function plainEpoch(n: number, bs: number, p: Plan & StreamPlan): Run["epoch"] {
  const starts: number[] = [];
  for (let s = 0; s < n; s += bs) starts.push(s);
  starts.push(n);
  const shuffled = (epoch: number): Uint32Array | undefined => (!p.shuffle ? undefined
    : p.range === undefined ? permutation(n, p.shuffleSeed, epoch - 1) : rangeOrder(n, p.range, p.shuffleSeed, epoch - 1));
  return (epoch) => ({ order: shuffled(epoch), starts });
}

/**
 * What the epoch/step control shares with the lanes: the epoch running, fit's own schedule (one-optimizer targets)
 * and the learning rate each scheduled optimizer used last (by group name; "" for the one optimizer).
 */
interface Control {
  epoch: number;
  schedule: Resolved | undefined;
  rates: Map<string, number>;
}

/** A schedule's factor at the optimizer's next step, checked: a bad one stops training before anything moves. */
function factorAt(schedule: Resolved, opt: Optimizer, step: number, epoch: number, who: string): number {
  const f = schedule.factor(step, epoch, opt);
  if (typeof f !== "number" || !Number.isFinite(f) || f < 0) {
    throw new InvalidInputError(`fit: the schedule${who} returned ${f} at step ${step}; it must ` +
      `return a finite factor ≥ 0 of the learning rate. The step's ${who ? "groups were" : "weights were"} not updated`);
  }
  return f;
}

/** Today's one-optimizer, one-step target, run as the one-group/one-step case of the loop (`train`: in memory). */
function legacyRun<T extends Terms, D extends Dataset>(target: TrainingTarget<T, D>, p: Plan & StreamPlan, train: D | undefined,
  n: number, ctl: Control): Run {
  const bs = Math.min(p.batchSize, n);
  target.fits?.(bs);
  if (train && target.minRows && Math.min(bs, n % bs || bs) < target.minRows) {
    throw new InvalidInputError(`fit: ${n} examples in batches of ${bs} leave a batch of ${Math.min(bs, n % bs || bs)} row(s), and this ` +
      `model's batch-norm layers need at least ${target.minRows} rows per training batch (one row has no batch variance). ` +
      "Choose a batchSize that leaves a larger last batch, or drop or add an example");
  }
  const put = target.batchInput(bs, { binarizeSeed: p.binarizeSeed });
  // no optimizer.prepare here: its state is (re)made by the first step, so a fit refused at its first batch leaves
  // the state of the last fit as it was
  return {
    lanes: [{
      name: "",
      run: (_, rows, gradScale) => target.forwardBackward(rows, gradScale),
      mark: target.mark && (() => target.mark!()),
      norm2: () => target.gradNormSquared(),
      nonFinite: () => target.gradNonFinite(),
      scale: (s) => target.scaleGradients(s),
      update: () => {
        if (!ctl.schedule) return target.optimizer.step(p);
        // the state is remade by this step when the kind of optimizer changes: its step count then starts at 0
        const o = target.optimizer;
        const t = (o as unknown as { kind?: string }).kind === p.optimizer ? o.steps : 0;
        const rate = p.learningRate * factorAt(ctl.schedule, o, t, ctl.epoch, "");
        o.step({ ...p, learningRate: rate });
        ctl.rates.set("", rate);
      },
      taken: () => target.stepTaken(),
    }],
    epoch: plainEpoch(n, bs, p),
    feed: (order, start, rows, epoch) => {
      for (let r = 0; r < rows; r++) put(r, train!, order ? order[start + r] : start + r, epoch);
      return undefined;
    },
    put: (chunk, index, epoch, total) => {
      for (let r = 0; r < index.length; r++) put(r, chunk as D, r, epoch, index[r], total);
      return undefined;
    },
  };
}

/** Each group's settings: fit's options, overridden by the model's group settings, overridden by parameterGroups. */
function groupPlans(target: SteppedTarget<FieldSet>, o: Record<string, unknown>): Map<string, [OptimizerOptions, Resolved | undefined]> {
  const G = target.groups;
  const steps = target.steps;
  const names = G.list.map((g) => g.name);
  if (!Array.isArray(steps) || steps.length === 0) throw new InvalidConfigError("fit: the model declares no training steps");
  const seen = new Set<string>();
  for (const st of steps) {
    if (typeof st?.name !== "string" || seen.has(st.name) || typeof st.forwardBackward !== "function") {
      throw new InvalidConfigError(`fit: every training step needs a unique name and a forwardBackward function (step ${show(st?.name)})`);
    }
    seen.add(st.name);
    if (!Array.isArray(st.groups) || st.groups.length === 0) throw new InvalidConfigError(`fit: step '${st.name}' updates no parameter group`);
    for (const g of st.groups) {
      if (!G.get(g)) throw new InvalidConfigError(`fit: step '${st.name}' updates an unknown parameter group '${g}'${suggest(String(g), names)}`);
    }
  }
  const over = o.parameterGroups as Record<string, unknown> | undefined;
  if (over !== undefined && (typeof over !== "object" || over === null)) {
    throw new InvalidInputError("fit: parameterGroups must be an object of settings by group name");
  }
  for (const [name, v] of Object.entries(over ?? {})) {
    if (!G.get(name)) throw new InvalidInputError(`fit: parameterGroups: this model has no parameter group '${name}'${suggest(name, names)}; its groups: ${names.join(", ")}`);
    if (typeof v !== "object" || v === null) throw new InvalidInputError(`fit: parameterGroups.${name} must be an object`);
    for (const k of Object.keys(v)) {
      if (!GROUP_KEYS.includes(k)) throw new InvalidInputError(`fit: parameterGroups.${name}: unknown setting '${k}'${suggest(k, GROUP_KEYS)}`);
    }
  }
  const plans = new Map<string, [OptimizerOptions, Resolved | undefined]>();
  for (const g of G.list) {
    const merged: Record<string, unknown> = {};
    const own = (over?.[g.name] ?? {}) as Record<string, unknown>;
    for (const k of GROUP_KEYS) merged[k] = own[k] ?? (g as unknown as Record<string, unknown>)[k] ?? o[k];
    const where = `fit: parameter group '${g.name}': `;
    plans.set(g.name, [optimizerPlan(merged, where), merged.schedule === undefined ? undefined : scheduleOf(merged.schedule, where)]);
  }
  return plans;
}

/**
 * A target with parameter groups, ordered steps and named fields (`train`: in memory; `ids`: the groups field of
 * streamed data, read beforehand).
 */
function steppedRun<D extends FieldSet>(target: SteppedTarget<D>, p: Plan & StreamPlan, train: D | undefined,
  plans: Map<string, [OptimizerOptions, Resolved | undefined]>, n: number, ctl: Control, ids?: ArrayLike<number>): Run {
  if (train) checkFieldSet(train, "fit(x)");
  const G = target.groups;
  const bs = Math.min(p.batchSize, n);
  let epoch = plainEpoch(n, bs, p);
  if (train) ids = train.fields.groups?.values;
  if (ids) {
    const members = groupMembers(ids);
    const sub = target.subgroupSize;
    if (sub !== undefined && (!Number.isInteger(sub) || sub < 1 || sub > p.batchSize)) {
      throw new InvalidInputError(`fit: subgroupSize must be an integer from 1 to batchSize ${p.batchSize}; got ${show(sub)}`);
    }
    const big = sub === undefined ? members.find((m) => m.length > p.batchSize) : undefined;
    if (big) {
      throw new InvalidInputError(`fit: group ${ids[big[0]]} has ${big.length} examples, more than batchSize ${p.batchSize}; ` +
        "batches are made of whole groups, so raise batchSize or split that group");
    }
    epoch = sub === undefined || !members.some((m) => m.length > sub)
      ? (e) => groupBatches(members, p.batchSize, p.shuffle, p.shuffleSeed, e - 1)
      : (e) => groupBatches(splitGroups(members, sub, p.shuffle, p.shuffleSeed, e - 1), p.batchSize, p.shuffle, p.shuffleSeed, e - 1);
    if (p.range !== undefined) {
      throw new InvalidInputError("fit: shuffleRange: with a groups field batches are made of whole groups, shuffled as groups; leave shuffleRange out");
    }
  }
  const lanes = target.steps.map((st): Lane => {
    const names = st.groups;
    const groups = names.map((g) => [g, ...plans.get(g)!] as const);
    return {
      name: st.name,
      run: (batch, _, gradScale) => {
        G.zeroGradients();
        return st.forwardBackward(batch!, gradScale);
      },
      norm2: () => G.gradNormSquared(names),
      nonFinite: () => G.gradNonFinite(names),
      scale: (s) => G.scaleGradients(names, s),
      update: () => {
        // every factor first, so that a bad schedule stops training before any group of the step moves
        const rates = groups.map(([g, opts, schedule]) => {
          if (!schedule) return opts.learningRate;
          const o = G.optimizer(g);
          return opts.learningRate * factorAt(schedule, o, o.steps, ctl.epoch, ` of parameter group '${g}'`);
        });
        groups.forEach(([g, opts, schedule], i) => {
          G.optimizer(g).step(schedule ? { ...opts, learningRate: rates[i] } : opts);
          if (schedule) ctl.rates.set(g, rates[i]);
        });
      },
      taken: () => target.stepTaken?.(st.name),
      skip: st.shouldUpdate && ((t: Terms) => !st.shouldUpdate!(t)),
    };
  });
  target.begin?.(bs, { binarizeSeed: p.binarizeSeed });
  for (const [g, [opts]] of plans) if (target.steps.some((st) => st.groups.includes(g))) G.optimizer(g).prepare(opts.optimizer);
  const batcher = train && new Batcher(train, bs);
  return {
    lanes, epoch, feed: (order, start, rows, e) => batcher!.fill(order, start, rows, e),
    put: (chunk, index, e) => {
      checkFieldSet(chunk as FieldSet, "fit(x)");
      return { rows: index.length, fields: (chunk as FieldSet).fields, epoch: e, index };
    },
  };
}

/** ", step 'name'" in messages when a batch has several steps. */
const stepName = (lane: Lane, multi: boolean): string => (multi ? `, step '${lane.name}'` : "");

/**
 * One step on one batch: forward and backward, the loss and gradient checks, clipping, the update. Returns the
 * step's summed terms. (A function of its own, out of fit's async body, so that the engine optimises it whole.)
 */
function step(lane: Lane, batch: Batch | undefined, rows: number, p: Plan, epoch: number, b: number, multi: boolean): Terms {
  const undo = lane.mark?.();
  let t: Terms;
  try {
    t = lane.run(batch, rows, p.mean ? 1 / rows : 1);
  } catch (e) {
    undo?.(); // a pass refused mid-way (e.g. batch norm on one row) leaves the noise streams where they were
    throw e;
  }
  if (!Number.isFinite(t.loss)) {
    undo?.();
    throw new TrainingDivergedError(
      `fit: the loss became ${t.loss} at epoch ${epoch}, batch ${b}${stepName(lane, multi)}; training stopped before applying that ` +
        `${multi ? "step" : "batch"}, so the weights are those of the last good step. Try a lower learningRate ` +
        `(now ${p.learningRate}), set clipNorm, or check the data`,
      epoch, b,
    );
  }
  if (lane.skip?.(t)) return t; // the step asked to sit this batch out: nothing moves
  // the norm only when clipping needs it; otherwise a count of non-finite values (order-free, so threads split it)
  const norm2 = p.clipNorm !== Infinity ? lane.norm2() : lane.nonFinite() === 0 ? 0 : NaN;
  if (!Number.isFinite(norm2)) {
    undo?.();
    throw new TrainingDivergedError(
      `fit: the gradient became non-finite at epoch ${epoch}, batch ${b}${stepName(lane, multi)}; the weights are those of the last good ` +
        `step. Try a lower learningRate (now ${p.learningRate}) or set clipNorm`,
      epoch, b,
    );
  }
  if (p.clipNorm !== Infinity) {
    const norm = Math.sqrt(norm2);
    if (norm > p.clipNorm) lane.scale(p.clipNorm / (norm + 1e-6));
  }
  lane.update();
  lane.taken();
  return t;
}

/** Means per example: each value divided by `rows`. */
function means<T>(t: Record<string, number>, rows: number): T {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / rows])) as T;
}

/**
 * Trains `target` on `data`. Everything is validated before the first step; a failure during training leaves the
 * weights of the last completed step (with several steps per batch: every group keeps the weights of its last
 * completed update; the steps before the failing one in that batch stay applied).
 *
 * A `TrainingTarget` (one optimizer over every parameter, one forward/backward per batch) is the one-group,
 * one-step case; a `SteppedTarget` declares parameter groups, ordered steps and named fields.
 *
 * @example
 * ```ts
 * const history = await fit(target, data, { epochs: 2, batchSize: 64 });
 * history[1].steps?.discriminator.loss;
 * ```
 */
export async function fit<T extends Terms, D extends Dataset>(
  target: TrainingTarget<T, D>, data: unknown, options?: FitOptions<T>,
): Promise<EpochLog<T>[]>;
export async function fit<D extends FieldSet>(
  target: SteppedTarget<D>, data: unknown, options?: FitOptions<Terms>,
): Promise<EpochLog<Terms>[]>;
export async function fit<T extends Terms>(
  target: TrainingTarget<T, Dataset> | SteppedTarget<FieldSet>, data: unknown, options?: FitOptions<T>,
): Promise<EpochLog<T>[]> {
  const p = plan(options, target.seed);
  const o = (options ?? {}) as FitOptions<T>;
  const stepped = "steps" in target;
  if (!stepped && o.parameterGroups !== undefined) {
    throw new InvalidInputError("fit: parameterGroups: this model trains all its parameters as one group; " +
      "set learningRate, optimizer, … directly");
  }
  const plans = stepped ? groupPlans(target, o as Record<string, unknown>) : undefined;
  if (stepped && o.validationData !== undefined && !target.evaluate) {
    throw new InvalidInputError("fit: validationData: this model can't evaluate data; leave validationData out");
  }
  const ctl: Control = {
    epoch: 0,
    schedule: !stepped && o.schedule !== undefined ? scheduleOf(o.schedule, "fit: schedule") : undefined,
    rates: new Map(),
  };
  const control = controlPlan(target, o as FitOptions<Terms>, plans, ctl.schedule);
  // resume: the order options left out are the last fit's (stored in resumable files), so that shuffling goes on as
  // in one run, in memory or streamed
  const kind = streamKind(data);
  const inherited = o.resume === true ? inheritOrder(p, o as FitOptions<Terms>, orderOf(control.owner), kind) : false;
  // streamed data (a RowSource or an async iterable of batches) is validated chunk by chunk as it is read
  const train = kind ? undefined : target.validate(data, "fit(x)", p.binarizeSeed !== undefined);
  const vKind = streamKind(o.validationData);
  const validation = o.validationData === undefined || vKind ? undefined : target.validate(o.validationData, "fit: validationData", false);
  const streamed = kind && await openStream(target, data as RowSource | BatchStream, kind, p, stepped);
  stopIfAborted(o.signal);
  const size = train ? train.rows : streamed!.rows;
  const grouped = stepped && (train ? !!(train as FieldSet).fields.groups : !!streamed!.ids);
  if (grouped && inherited) p.range = undefined; // the stored order was of rows; batches of whole groups have none
  const run = stepped ? steppedRun(target, p, train as FieldSet | undefined, plans!, size, ctl, streamed ? streamed.ids : undefined)
    : legacyRun(target, p, train, size, ctl);
  const epochOf = kind ? streamedEpochs(target, run, data as RowSource | BatchStream, kind, p, size)
    : (e: number) => memoryEpoch(run, e);
  const lanes = run.lanes;
  const multi = lanes.length > 1;
  const history: EpochLog<T>[] = [];
  const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());
  let lastYield = now();
  const first = o.resume ? epochsOf(control.owner) + 1 : 1;

  for (let epoch = first; epoch < first + p.epochs; epoch++) {
    ctl.epoch = epoch;
    const ep = epochOf(epoch);
    const batches = ep.batches;
    const t0 = now();
    const sums: Record<string, number> = {};
    const stepSums: Record<string, number>[] = lanes.map(() => ({}));
    let n = 0;
    for (let b = 0; ; b++) {
      let fed = ep.next(b);
      if (fed instanceof Promise) fed = await fed;
      if (!fed) break;
      const { rows, batch } = fed;
      n += rows;
      let t!: Terms;
      let total = 0;
      const stepTerms: Terms[] | undefined = multi ? [] : undefined;
      for (let i = 0; i < lanes.length; i++) {
        const lane = lanes[i];
        t = step(lane, batch, rows, p, epoch, b, multi);
        if (stepTerms) {
          stepTerms.push(t);
          total += t.loss;
          for (const [k, v] of Object.entries(t) as [string, number][]) stepSums[i][k] = (stepSums[i][k] ?? 0) + v;
        }
      }
      if (multi) t = { loss: total };
      for (const [k, v] of Object.entries(t) as [string, number][]) sums[k] = (sums[k] ?? 0) + v;
      if (o.onBatchEnd) {
        const log = { ...means<T>(t as unknown as Record<string, number>, rows), epoch, batch: b, batches } as BatchLog<T>;
        if (stepTerms) log.steps = Object.fromEntries(lanes.map((l, i) => [l.name, means<StepTerms>(stepTerms[i] as StepTerms, rows)]));
        await o.onBatchEnd(log);
      }
      if (now() - lastYield > 25) {
        await yieldToEventLoop();
        lastYield = now();
      }
      stopIfAborted(o.signal);
    }
    setEpochs(control.owner, epoch);
    setOrder(control.owner, kind === "batches" ? undefined
      : { seed: p.shuffleSeed, ...(!p.shuffle ? { shuffle: false } : grouped ? {} : { range: p.range ?? 1 }) });
    const seconds = (now() - t0) / 1000;
    const log = { ...means<T>(sums, n), epoch, seconds, examplesPerSecond: n / seconds } as EpochLog<T>;
    if (multi) log.steps = Object.fromEntries(lanes.map((l, i) => [l.name, means<StepTerms>(stepSums[i], n)]));
    if (validation) log.validation = (target.evaluate as (d: unknown, s: number) => T)(validation, p.validationSeed);
    else if (vKind) log.validation = await streamedValidation(target as TrainingTarget<T>, o.validationData as RowSource | BatchStream, vKind, p) as T;
    history.push(log);
    const stop = await endOfEpoch(control, ctl, log as EpochLog<Terms>);
    if (o.onEpochEnd) await o.onEpochEnd(log);
    stopIfAborted(o.signal);
    if (stop) break;
  }
  // early stopping's best weights go back when training ends normally (a failure leaves the last good step's)
  if (control.stop?.restore && control.best && control.bestEpoch !== epochsOf(control.owner)) control.weights!.write(control.best);
  return history;
}

// ---- Training control: schedules' per-epoch updates, early stopping, checkpoints, the epoch counter ----

/** What fit checked before training for the per-epoch control, and its running state. */
interface ControlPlan {
  /** Who keeps the epoch counter: the model, else the target's groups or optimizer. */
  owner: object;
  stop: StopPlan | undefined;
  checkpoint: CheckpointPlan | undefined;
  /** reduce-on-plateau schedules: what each watches and the optimizer state it scales. */
  plateaus: { monitor: string; update(v: number, o: Optimizer): void; optimizer: () => Optimizer }[];
  weights: Weights | undefined;
  best?: Float32Array;
  bestEpoch?: number;
  model: TrainedModel | undefined;
}

function controlPlan(target: TrainingTarget<Terms, Dataset> | SteppedTarget<FieldSet>, o: FitOptions<Terms>,
  plans: Map<string, [OptimizerOptions, Resolved | undefined]> | undefined, schedule: Resolved | undefined): ControlPlan {
  if (o.resume !== undefined && typeof o.resume !== "boolean") throw new InvalidInputError("fit: resume must be true or false");
  const validation = o.validationData !== undefined;
  const model = target.model;
  const stepped = "steps" in target;
  const plateaus: ControlPlan["plateaus"] = [];
  const add = (s: Resolved | undefined, optimizer: () => Optimizer, where: string): void => {
    if (s?.plateau) {
      checkMonitor(s.plateau.monitor, validation, where);
      plateaus.push({ ...s.plateau, optimizer });
    }
  };
  if (stepped) {
    for (const [g, [, s]] of plans!) add(s, () => target.groups.optimizer(g), `fit: parameter group '${g}': the plateau schedule`);
  } else {
    add(schedule, () => target.optimizer, "fit: the plateau schedule");
  }
  const stop = stopPlan(o.earlyStopping, validation);
  const weights = model ? weightsAt(model.e, model.params, model.nParams) : stepped ? target.groups.weights() : undefined;
  if (stop?.restore && !weights) throw new InvalidInputError("fit: earlyStopping.restoreBestWeights: this target's weights can't be read");
  return {
    owner: model ?? (stepped ? target.groups : target.optimizer),
    stop, checkpoint: checkpointPlan(o.checkpoint, validation, !!model), plateaus, weights, model,
  };
}

/**
 * The end of an epoch, after its log (and validation) is made: the rates used, plateau schedules, early stopping's
 * watch (and best weights), checkpoints. Returns true when early stopping ends training.
 */
async function endOfEpoch(c: ControlPlan, ctl: Control, log: EpochLog<Terms>): Promise<boolean> {
  if (ctl.rates.size) {
    if (ctl.rates.has("")) log.learningRate = ctl.rates.get("");
    else log.learningRates = Object.fromEntries(ctl.rates);
  }
  const rec = log as unknown as Record<string, unknown>;
  for (const pl of c.plateaus) pl.update(monitored(rec, pl.monitor, "fit: the plateau schedule"), pl.optimizer());
  let stop = false;
  if (c.stop) {
    if (c.stop.watch.improved(monitored(rec, c.stop.watch.monitor, "fit: earlyStopping"))) {
      c.bestEpoch = log.epoch;
      if (c.stop.restore) c.best = c.weights!.read();
    } else if (c.stop.watch.wait > c.stop.patience) {
      stop = true;
    }
  }
  const cp = c.checkpoint;
  if (cp) {
    const improved = cp.watch ? cp.watch.improved(monitored(rec, cp.watch.monitor, "fit: checkpoint")) : false;
    if (improved || (cp.every > 0 && log.epoch % cp.every === 0)) await cp.write(c.model!.save({ optimizer: cp.optimizer }), rec as never);
  }
  return stop;
}
