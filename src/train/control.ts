// Training control around fit's epochs: the epoch counter that resume continues, monitored quantities, early stopping
// (with the best epoch's weights kept and put back bit for bit), checkpoints. Part of the training chunk; the model
// side it needs (its engine, flat parameter buffer and save) is reached through `TrainedModel`.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Engine } from "../runtime/engine.js";
import type { Optimizer } from "./optimizer.js";

/**
 * Early stopping: stop when the monitored quantity has not improved (fallen below its best by more than minDelta)
 * for more than `patience` epochs in a row.
 *
 * @example
 * ```ts
 * await vae.fit(x, { epochs: 200, validationData: testX,
 *   earlyStopping: { patience: 5, minDelta: 0.01, restoreBestWeights: true } });
 * ```
 */
export interface EarlyStoppingOptions {
  /** A key of the epoch log: "loss", "kl", … or "validation.loss", … Default "validation.loss" (needs validationData). */
  monitor?: string;
  /** Epochs in a row without improvement that are tolerated; the next one stops training. Default 0. */
  patience?: number;
  /** An improvement is a fall below the best value by more than this. Default 0. */
  minDelta?: number;
  /**
   * Put back the weights of the best epoch (bit for bit) when training ends, by stopping or after the last epoch.
   * The optimizer state, step counters and noise streams stay where training left them. Default false.
   */
  restoreBestWeights?: boolean;
}

/**
 * Checkpoints: the model file (with its optimizer state, by default) handed to `write` every `every` epochs and/or
 * whenever the monitored quantity improves. `write` does the storing, so it works in every runtime.
 *
 * @example
 * ```ts
 * import { writeFile } from "node:fs/promises";
 * await vae.fit(x, { epochs: 20, checkpoint: { every: 5,
 *   write: (bytes, log) => writeFile(`vae-epoch${log.epoch}.safetensors`, bytes) } });
 * ```
 */
export interface CheckpointOptions {
  /** Receives each checkpoint's bytes (`model.save({ optimizer })`) and the epoch's log; a promise is awaited. */
  write: (bytes: Uint8Array, log: { epoch: number } & Record<string, unknown>) => void | Promise<void>;
  /** Write every `every` epochs (by fit's epoch numbers). Default 1 unless onImprovement is set. */
  every?: number;
  /** Write when the monitored quantity improves (see EarlyStoppingOptions). Default false. */
  onImprovement?: boolean;
  /** What onImprovement watches. Default "validation.loss". */
  monitor?: string;
  /** An improvement is a fall below the best by more than this. Default 0. */
  minDelta?: number;
  /** Store the optimizer state too (a file to resume from). Default true. */
  optimizer?: boolean;
}

/** The parts of a vaekit Model that training control uses (protected members of src/models/model.ts). */
export interface TrainedModel {
  readonly e: Engine;
  readonly params: number;
  readonly nParams: number;
  steps: number;
  trainBlocks: Record<number, number>;
  /** The optimizer state if the model has one (Model's `opt`); `optimizer` creates it. */
  readonly opt: Optimizer | undefined;
  readonly optimizer: Optimizer;
  save(options?: { optimizer?: boolean }): Uint8Array;
}

/** Epochs completed by each model or group set (the last epoch number fit gave it): `resume` continues from it. */
const EPOCHS = new WeakMap<object, number>();

/** The epoch counter of `owner` (0 before any epoch). */
export function epochsOf(owner: object): number {
  return EPOCHS.get(owner) ?? 0;
}

export function setEpochs(owner: object, n: number): void {
  EPOCHS.set(owner, n);
}

/**
 * How a model's last fit ordered its examples (resumable files store it, so that a resumed fit that leaves these
 * options out shuffles as the first did, in memory or streamed): the shuffle seed, and the rows per shuffled range
 * (1: the row shuffle, which equals ranges of one row; absent when batches were whole groups, or the data an async
 * iterable that fit doesn't order).
 */
export interface Order {
  seed: number;
  range?: number;
  /** false when the last fit did not shuffle (absent: it did). */
  shuffle?: false;
}

const ORDERS = new WeakMap<object, Order>();

/** The order of `owner`'s last fit (undefined before any epoch, or without shuffling). */
export function orderOf(owner: object): Order | undefined {
  return ORDERS.get(owner);
}

export function setOrder(owner: object, o: Order | undefined): void {
  if (o) ORDERS.set(owner, { ...o });
  else ORDERS.delete(owner);
}

const MONITOR = /^(validation\.)?[A-Za-z_]\w*$/;

/** Checks a monitor's name before training: a log key, "validation.*" only with validation data. */
export function checkMonitor(monitor: unknown, validation: boolean, where: string): string {
  const m = monitor ?? "validation.loss";
  if (typeof m !== "string" || !MONITOR.test(m)) {
    throw new InvalidInputError(`${where}.monitor must name a key of the epoch log such as "loss" or "validation.loss"; got ${show(monitor)}`);
  }
  if (m.startsWith("validation.") && !validation) {
    throw new InvalidInputError(`${where} monitors '${m}', which needs validationData; give validationData or monitor a training quantity such as "loss"`);
  }
  return m;
}

/** The monitored value from an epoch's log; a key the log lacks is an error naming the keys it has. */
export function monitored(log: Record<string, unknown>, monitor: string, where: string): number {
  const [src, key] = monitor.startsWith("validation.") ? [log.validation as Record<string, unknown>, monitor.slice(11)] : [log, monitor];
  const v = src?.[key];
  if (typeof v !== "number") {
    const keys = Object.keys(src ?? {}).filter((k) => typeof src[k] === "number");
    throw new InvalidInputError(`${where} monitors '${monitor}', but the epoch log has no such number; it has ${keys.join(", ")}`);
  }
  return v;
}

/** Watches a monitored quantity: `improved(v)` is true when v falls below the best by more than minDelta. */
export class Watch {
  best = Infinity;
  wait = 0;
  constructor(readonly monitor: string, readonly minDelta: number) {}
  improved(v: number): boolean {
    if (v < this.best - this.minDelta) {
      this.best = v;
      this.wait = 0;
      return true;
    }
    this.wait++;
    return false;
  }
}

function number(o: Record<string, unknown>, key: string, def: number, where: string, int: boolean, lo: number): number {
  const v = o[key] ?? def;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || (int && !Number.isInteger(v))) {
    throw new InvalidInputError(`${where}.${key} must be ${int ? "an integer" : "a number"} ≥ ${lo}; got ${show(o[key])}`);
  }
  return v;
}

function keys(o: unknown, allowed: string[], where: string): Record<string, unknown> {
  if (typeof o !== "object" || o === null) throw new InvalidInputError(`${where} must be an object`);
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new InvalidInputError(`${where}: unknown setting '${k}'; its settings: ${allowed.join(", ")}`);
  }
  return o as Record<string, unknown>;
}

/** Early stopping's settings, checked before training. */
export interface StopPlan {
  watch: Watch;
  patience: number;
  restore: boolean;
}

export function stopPlan(value: unknown, validation: boolean): StopPlan | undefined {
  if (value === undefined) return undefined;
  const w = "fit: earlyStopping";
  const o = keys(value, ["monitor", "patience", "minDelta", "restoreBestWeights"], w);
  if (o.restoreBestWeights !== undefined && typeof o.restoreBestWeights !== "boolean") {
    throw new InvalidInputError(`${w}.restoreBestWeights must be true or false`);
  }
  return {
    watch: new Watch(checkMonitor(o.monitor, validation, w), number(o, "minDelta", 0, w, false, 0)),
    patience: number(o, "patience", 0, w, true, 0),
    restore: (o.restoreBestWeights as boolean | undefined) ?? false,
  };
}

/** Checkpoint settings, checked before training. */
export interface CheckpointPlan {
  write: CheckpointOptions["write"];
  every: number;
  watch: Watch | undefined;
  optimizer: boolean;
}

export function checkpointPlan(value: unknown, validation: boolean, canSave: boolean): CheckpointPlan | undefined {
  if (value === undefined) return undefined;
  const w = "fit: checkpoint";
  const o = keys(value, ["write", "every", "onImprovement", "monitor", "minDelta", "optimizer"], w);
  if (typeof o.write !== "function") throw new InvalidInputError(`${w}.write must be a function (bytes, log) => … that stores the file`);
  for (const k of ["onImprovement", "optimizer"]) {
    if (o[k] !== undefined && typeof o[k] !== "boolean") throw new InvalidInputError(`${w}.${k} must be true or false`);
  }
  if (!canSave) throw new InvalidInputError(`${w}: this training target is not a model that can save itself`);
  const onImprovement = (o.onImprovement as boolean | undefined) ?? false;
  const every = o.every === undefined ? (onImprovement ? 0 : 1) : number(o, "every", 1, w, true, 1);
  if (!onImprovement && (o.monitor !== undefined || o.minDelta !== undefined)) {
    throw new InvalidInputError(`${w}: monitor and minDelta go with onImprovement: true`);
  }
  return {
    write: o.write as CheckpointOptions["write"],
    every,
    watch: onImprovement ? new Watch(checkMonitor(o.monitor, validation, w), number(o, "minDelta", 0, w, false, 0)) : undefined,
    optimizer: (o.optimizer as boolean | undefined) ?? true,
  };
}

/** A copy of a flat parameter buffer and the way back. */
export interface Weights {
  read(): Float32Array;
  write(w: Float32Array): void;
}

export function weightsAt(e: Engine, ptr: number, n: number): Weights {
  return { read: () => e.read(ptr, n), write: (w) => e.write(ptr, w) };
}
