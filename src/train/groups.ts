// Parameter groups: named slices [offset, offset + size) of a model's flat parameter buffer (and the same slices of
// its gradient buffer), each with an optimizer state of its own, its own settings and a learning-rate schedule.
// Every call here is one kernel call per group over that group's slice: no per-element JavaScript.
import { InvalidConfigError } from "../errors.js";
import type { Engine } from "../runtime/engine.js";
import { type Weights, weightsAt } from "./control.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";
import { type Resolved, resolveSchedule, type ScheduleSetting } from "./schedules.js";

export type { Schedule } from "./schedules.js";

/**
 * A group's optimizer settings; what is left out comes from `fit`'s options (learningRate, optimizer, beta1, …).
 *
 * @example
 * ```ts
 * const d: GroupOptions = { optimizer: "sgd", learningRate: 0.05, momentum: 0.9 };
 * ```
 */
export interface GroupOptions extends Partial<OptimizerOptions> {
  /** A learning-rate schedule: a named one or a function of the step (see `NamedSchedule`, `Schedule`). */
  schedule?: ScheduleSetting;
}

/**
 * One parameter group as a model declares it: `size` values from `offset` (in f32 elements) of the flat parameter
 * buffer, plus settings of its own that override fit's options for this group.
 *
 * @example
 * ```ts
 * const groups: ParameterGroup[] = [
 *   { name: "generator", offset: 0, size: 9 },
 *   { name: "discriminator", offset: 9, size: 49, learningRate: 2e-4, beta1: 0.5 },
 * ];
 * ```
 */
export interface ParameterGroup extends GroupOptions {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** The option keys a group may set (fit's optimizer options and a schedule). */
export const GROUP_KEYS = [
  "optimizer", "learningRate", "beta1", "beta2", "eps", "weightDecay", "momentum", "dampening", "nesterov", "schedule",
];

/**
 * The groups of one model and their optimizer states (created on first use, kept between fit calls while a group's
 * kind of optimizer stays the same, freed by `free`).
 *
 * @example
 * ```ts
 * const g = new ParameterGroups(engine, params, grads, total, [{ name: "all", offset: 0, size: total }]);
 * g.optimizer("all").step(options); // one Adam/SGD step over the slice
 * g.free();
 * ```
 */
export class ParameterGroups {
  readonly list: readonly ParameterGroup[];
  readonly #byName = new Map<string, ParameterGroup>();
  readonly #optimizers = new Map<string, Optimizer>();

  /** `params` and `grads` are byte addresses of `total` f32 each; the groups are checked against them. */
  constructor(private readonly e: Engine, private readonly params: number, private readonly grads: number,
    private readonly total: number, groups: readonly ParameterGroup[]) {
    if (!Array.isArray(groups) || groups.length === 0) {
      throw new InvalidConfigError("parameter groups: expected a non-empty array of { name, offset, size }");
    }
    const spans: [number, number, string][] = [];
    for (const g of groups) {
      const name = g?.name;
      if (typeof name !== "string" || name === "") throw new InvalidConfigError("parameter groups: every group needs a non-empty name");
      if (this.#byName.has(name)) throw new InvalidConfigError(`parameter groups: the name '${name}' is used twice`);
      const { offset, size } = g;
      if (!Number.isInteger(offset) || !Number.isInteger(size) || offset < 0 || size < 1 || offset + size > total) {
        throw new InvalidConfigError(`parameter groups: group '${name}' must be a slice of the ${total} parameters ` +
          `(integers, offset ≥ 0, size ≥ 1, offset + size ≤ ${total}); got offset ${offset}, size ${size}`);
      }
      if (g.schedule !== undefined) scheduleOf(g.schedule, `parameter groups: group '${name}'`);
      spans.push([offset, offset + size, name]);
      this.#byName.set(name, g);
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) {
      if (spans[i][0] < spans[i - 1][1]) {
        throw new InvalidConfigError(`parameter groups: groups '${spans[i - 1][2]}' and '${spans[i][2]}' overlap; ` +
          "each parameter belongs to at most one group");
      }
    }
    this.list = groups.slice();
  }

  /** The group called `name`, or undefined. */
  get(name: string): ParameterGroup | undefined {
    return this.#byName.get(name);
  }

  /** The optimizer state of group `name` (created on first use). */
  optimizer(name: string): Optimizer {
    let o = this.#optimizers.get(name);
    if (!o) {
      const g = this.#byName.get(name)!;
      o = new Optimizer(this.e, this.params + g.offset * 4, this.grads + g.offset * 4, g.size);
      this.#optimizers.set(name, o);
    }
    return o;
  }

  /** The optimizer states made so far, by group name, in the groups' order (resumable files store them). */
  made(): [ParameterGroup, Optimizer][] {
    return this.list.filter((g) => this.#optimizers.has(g.name)).map((g) => [g, this.#optimizers.get(g.name)!]);
  }

  /** Zeroes the whole gradient buffer (every group's slice and whatever lies between them). */
  zeroGradients(): void {
    this.e.k.zero_f32(this.grads, this.total);
  }

  /** Σ over `names` of the squared L2 norm of each group's gradient slice (f64, groups in the order given). */
  gradNormSquared(names: readonly string[]): number {
    let s = 0;
    for (const n of names) {
      const g = this.#byName.get(n)!;
      s += this.e.k.sum_squares(this.grads + g.offset * 4, g.size);
    }
    return s;
  }

  /** How many gradient values of the groups `names` are NaN or ±Inf. */
  gradNonFinite(names: readonly string[]): number {
    let c = 0;
    for (const n of names) {
      const g = this.#byName.get(n)!;
      c += this.e.k.count_nonfinite(this.grads + g.offset * 4, g.size);
    }
    return c;
  }

  /** Multiplies the gradients of the groups `names` by s. */
  scaleGradients(names: readonly string[], s: number): void {
    for (const n of names) {
      const g = this.#byName.get(n)!;
      this.e.k.scale_inplace(this.grads + g.offset * 4, g.size, s);
    }
  }

  /** The whole parameter buffer as a copy, and the way to put one back (early stopping's best weights). */
  weights(): Weights {
    return weightsAt(this.e, this.params, this.total);
  }

  /** Frees every group's optimizer state (a later step starts fresh). Safe to call twice. */
  free(): void {
    for (const o of this.#optimizers.values()) o.free();
    this.#optimizers.clear();
  }
}

/** The one place a schedule setting becomes a resolved schedule (src/train/schedules.ts). */
export function scheduleOf(value: unknown, where: string): Resolved {
  return resolveSchedule(value, where);
}
