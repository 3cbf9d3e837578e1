// Learning-rate schedules: the named ones (step, exponential, cosine with warm-up, reduce-on-plateau) and functions
// of the step, each resolved to one form — a factor of the learning rate at (optimizer step, epoch) — plus, for
// reduce-on-plateau, the state that the monitored quantity moves at the end of each epoch. That state lives beside
// the optimizer state it scales (a WeakMap keyed by the Optimizer), so it carries over between fit calls as Adam's
// moments do and is saved with them by `save({ optimizer: true })`.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Optimizer } from "./optimizer.js";

/**
 * A learning-rate schedule as a function: the factor that multiplies the learning rate at optimizer step `step`
 * (0-based: the updates the optimizer state has taken before this one) during epoch `epoch` (1-based, as fit numbers
 * it). It must return a finite number ≥ 0.
 *
 * @example
 * ```ts
 * const warmUp: Schedule = (step) => Math.min(1, (step + 1) / 100);
 * ```
 */
export type Schedule = (step: number, epoch: number) => number;

/**
 * A named learning-rate schedule; each gives a factor of the learning rate. `per` says what the index i counts:
 * "epoch" (default; i = epoch − 1, the epochs fit has numbered before this one) or "step" (i = optimizer steps
 * taken before this update).
 *
 * - `{ type: "step", every, gamma = 0.1 }`: gamma^⌊i / every⌋ (PyTorch's StepLR).
 * - `{ type: "exponential", gamma }`: gamma^i (ExponentialLR).
 * - `{ type: "cosine", total, warmup = 0, minFactor = 0 }`: (i + 1) / warmup while i < warmup, then
 *   minFactor + (1 − minFactor)·(1 + cos(π·(i − warmup) / (total − warmup))) / 2, and minFactor from i = total on
 *   (linear warm-up, then CosineAnnealingLR without restarts).
 * - `{ type: "plateau", monitor = "validation.loss", factor = 0.1, patience = 10, minDelta = 0, cooldown = 0,
 *   minFactor = 0 }`: starts at 1; when more than `patience` epochs in a row have not brought the monitored
 *   quantity below its best by more than minDelta, multiplies the factor by `factor` (not below minFactor), then
 *   ignores `cooldown` epochs before counting again (PyTorch's ReduceLROnPlateau, absolute threshold). It is
 *   updated at the end of each epoch, so the new rate applies from the next epoch. The monitored quantity is a key
 *   of the epoch's log: "loss", "kl", …, or "validation.loss", … (needs validationData).
 *
 * @example
 * ```ts
 * await vae.fit(x, { epochs: 50, schedule: { type: "cosine", total: 50, warmup: 5 } });
 * await vae.fit(x, { epochs: 50, validationData: testX, schedule: { type: "plateau", patience: 3, factor: 0.5 } });
 * ```
 */
export type NamedSchedule =
  | { type: "step"; every: number; gamma?: number; per?: "epoch" | "step" }
  | { type: "exponential"; gamma: number; per?: "epoch" | "step" }
  | { type: "cosine"; total: number; warmup?: number; minFactor?: number; per?: "epoch" | "step" }
  | { type: "plateau"; monitor?: string; factor?: number; patience?: number; minDelta?: number; cooldown?: number; minFactor?: number };

/**
 * A learning-rate schedule setting: a named schedule or a function of the step (see `Schedule`).
 *
 * @example
 * ```ts
 * const s: ScheduleSetting = { type: "step", every: 10, gamma: 0.5 };
 * ```
 */
export type ScheduleSetting = Schedule | NamedSchedule;

/** A reduce-on-plateau schedule's state (per optimizer state). */
export interface PlateauState {
  factor: number;
  best: number;
  wait: number;
  cooldown: number;
}

/** A resolved schedule: the factor at (step, epoch), and for plateau the monitor and the end-of-epoch update. */
export interface Resolved {
  factor(step: number, epoch: number, optimizer: Optimizer): number;
  /** reduce-on-plateau only: the log key it watches and its update with the epoch's value of it. */
  plateau?: { monitor: string; update(value: number, optimizer: Optimizer): void };
}

const PLATEAUS = new WeakMap<Optimizer, PlateauState>();

/** The plateau state of an optimizer state (a fresh one: factor 1). */
export function plateauOf(o: Optimizer): PlateauState {
  let s = PLATEAUS.get(o);
  if (!s) PLATEAUS.set(o, (s = { factor: 1, best: Infinity, wait: 0, cooldown: 0 }));
  return s;
}

/** Sets (or, with undefined, clears) an optimizer state's plateau state: resume and early stopping use it. */
export function setPlateau(o: Optimizer, s: PlateauState | undefined): void {
  if (s) PLATEAUS.set(o, { ...s });
  else PLATEAUS.delete(o);
}

/** The plateau state of `o` if it has one (for saving). */
export function plateauIf(o: Optimizer): PlateauState | undefined {
  return PLATEAUS.get(o);
}

const KEYS: Record<NamedSchedule["type"], string[]> = {
  step: ["type", "every", "gamma", "per"],
  exponential: ["type", "gamma", "per"],
  cosine: ["type", "total", "warmup", "minFactor", "per"],
  plateau: ["type", "monitor", "factor", "patience", "minDelta", "cooldown", "minFactor"],
};

/**
 * The one place a schedule setting becomes a resolved schedule; `where` prefixes the errors.
 *
 * @example
 * ```ts
 * resolveSchedule({ type: "step", every: 2, gamma: 0.5 }, "fit: schedule").factor(0, 3, optimizer); // 0.5
 * ```
 */
export function resolveSchedule(value: unknown, where: string): Resolved {
  if (typeof value === "function") {
    const f = value as Schedule;
    return { factor: (step, epoch) => f(step, epoch) };
  }
  const bad = (m: string): never => {
    throw new InvalidInputError(`${where}: ${m}`);
  };
  if (typeof value !== "object" || value === null) {
    bad("schedule must be a function of the step returning a factor of the learning rate, e.g. " +
      `(step) => Math.min(1, (step + 1) / 100), or a named schedule such as { type: "cosine", total: 50 }; got ${show(value)}`);
  }
  const o = value as Record<string, unknown>;
  const type = o.type as NamedSchedule["type"];
  if (!Object.hasOwn(KEYS, String(type))) bad(`schedule.type must be "step", "exponential", "cosine" or "plateau"; got ${show(o.type)}`);
  for (const k of Object.keys(o)) if (!KEYS[type].includes(k)) bad(`a ${type} schedule has no setting '${k}'; its settings: ${KEYS[type].join(", ")}`);
  const num = (k: string, def: number | undefined, lo: number, hi: number, int = false, openLo = false): number => {
    const v = o[k] ?? def;
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi || (openLo && v === lo) || (int && !Number.isInteger(v))) {
      bad(`schedule.${k} must be ${int ? "an integer" : "a number"} in ${openLo ? "(" : "["}${lo}, ${hi}]${def === undefined ? " (required)" : ""}; got ${show(o[k])}`);
    }
    return v as number;
  };
  if (type === "plateau") {
    const monitor = o.monitor ?? "validation.loss";
    if (typeof monitor !== "string" || !/^(validation\.)?[A-Za-z_][\w]*$/.test(monitor)) {
      bad(`schedule.monitor must name a key of the epoch log such as "loss" or "validation.loss"; got ${show(o.monitor)}`);
    }
    const factor = num("factor", 0.1, 0, 1, false, true);
    if (factor === 1) bad("schedule.factor must be below 1 (it multiplies the learning rate on a plateau)");
    const patience = num("patience", 10, 0, 1e9, true);
    const minDelta = num("minDelta", 0, 0, Infinity);
    const cooldown = num("cooldown", 0, 0, 1e9, true);
    const minFactor = num("minFactor", 0, 0, 1);
    return {
      factor: (_s, _e, opt) => plateauOf(opt).factor,
      plateau: {
        monitor: monitor as string,
        update: (value, opt) => {
          // PyTorch's ReduceLROnPlateau (mode "min", threshold_mode "abs"), step by step
          const s = plateauOf(opt);
          if (value < s.best - minDelta) {
            s.best = value;
            s.wait = 0;
          } else {
            s.wait++;
          }
          if (s.cooldown > 0) {
            s.cooldown--;
            s.wait = 0;
          }
          if (s.wait > patience) {
            s.factor = Math.max(minFactor, s.factor * factor);
            s.wait = 0;
            s.cooldown = cooldown;
          }
        },
      },
    };
  }
  const per = o.per ?? "epoch";
  if (per !== "epoch" && per !== "step") bad(`schedule.per must be "epoch" or "step"; got ${show(o.per)}`);
  const index = per === "step" ? (step: number) => step : (_: number, epoch: number) => epoch - 1;
  if (type === "step") {
    const every = num("every", undefined, 1, 1e12, true);
    const gamma = num("gamma", 0.1, 0, 1e6);
    return { factor: (s, e) => Math.pow(gamma, Math.floor(index(s, e) / every)) };
  }
  if (type === "exponential") {
    const gamma = num("gamma", undefined, 0, 1e6);
    return { factor: (s, e) => Math.pow(gamma, index(s, e)) };
  }
  const total = num("total", undefined, 1, 1e12, true);
  const warmup = num("warmup", 0, 0, total - 1, true);
  const minFactor = num("minFactor", 0, 0, 1);
  return {
    factor: (s, e) => {
      const i = index(s, e);
      if (i < warmup) return (i + 1) / warmup;
      if (i >= total) return minFactor;
      return minFactor + ((1 - minFactor) * (1 + Math.cos((Math.PI * (i - warmup)) / (total - warmup)))) / 2;
    },
  };
}
