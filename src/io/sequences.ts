// The sequence data type: n sequences of up to `steps` steps of `size` values, [n, steps, size] row-major, with a
// length per sequence. Steps at or past a sequence's length are padding: models mask them (they change nothing).
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";

/**
 * n sequences as one [n, steps, size] Float32Array (row-major) and a length per sequence; steps t ≥ lengths[i] are
 * padding (their values are ignored by every model).
 *
 * @example
 * ```ts
 * const s: Sequences = { n: 2, steps: 3, size: 1, values: new Float32Array([1, 2, 3, 4, 5, 0]), lengths: new Int32Array([3, 2]) };
 * ```
 */
export interface Sequences {
  readonly n: number;
  readonly steps: number;
  readonly size: number;
  readonly values: Float32Array;
  readonly lengths: Int32Array;
}

/**
 * What sequence-taking calls accept: a Sequences object; an array of sequences, each an array of steps (each step
 * an array of `size` numbers; sequences may differ in length and are padded with zeros); or, for a model created
 * with a sequence length (config.steps), flat rows of steps × size numbers (full-length sequences).
 *
 * @example
 * ```ts
 * const x: SequenceInput = [[[0.1], [0.2], [0.3]], [[0.5], [0.4]]];
 * ```
 */
export type SequenceInput = Sequences | readonly (readonly ArrayLike<number>[])[] | ArrayLike<number>;

/**
 * Builds Sequences from a flat [n, steps, size] array (all full length unless `lengths` is given) or from nested
 * arrays (lengths from the arrays). Checks shapes, lengths and that every value of a real step is finite.
 *
 * @example
 * ```ts
 * const s = sequences(new Float32Array(2 * 28 * 28), { steps: 28, size: 28 });   // two 28-step sequences
 * const r = sequences([[[1, 2], [3, 4]], [[5, 6]]]);                           // lengths [2, 1], size 2
 * ```
 */
export function sequences(
  x: ArrayLike<number> | readonly (readonly ArrayLike<number>[])[],
  shape: { steps?: number; size?: number; lengths?: ArrayLike<number> } = {},
): Sequences {
  if (Array.isArray(x) && (x.length === 0 || Array.isArray(x[0]))) return fromNested(x as readonly (readonly ArrayLike<number>[])[], "sequences");
  const { steps, size } = shape;
  if (!Number.isInteger(steps) || steps! < 1 || !Number.isInteger(size) || size! < 1) {
    throw new InvalidInputError(`sequences: a flat array needs { steps, size } (positive integers); got steps ${show(steps)}, size ${show(size)}`);
  }
  const per = steps! * size!;
  if (typeof (x as ArrayLike<number>).length !== "number" || x.length === 0 || x.length % per !== 0) {
    throw new InvalidInputError(`sequences: ${x.length} values is not a whole number of sequences of ${steps} steps × ${size} values`);
  }
  const n = x.length / per;
  const lengths = new Int32Array(n).fill(steps!);
  if (shape.lengths !== undefined) {
    if (shape.lengths.length !== n) throw new InvalidInputError(`sequences: lengths has ${shape.lengths.length} entries; there are ${n} sequences`);
    for (let i = 0; i < n; i++) lengths[i] = shape.lengths[i];
  }
  return checked({ n, steps: steps!, size: size!, values: Float32Array.from(x as ArrayLike<number>), lengths }, "sequences");
}

function fromNested(x: readonly (readonly ArrayLike<number>[])[], what: string): Sequences {
  if (x.length === 0) throw new InvalidInputError(`${what}: no sequences`);
  const first = x.find((s) => Array.isArray(s) && s.length > 0)?.[0];
  if (!first || typeof first.length !== "number") throw new InvalidInputError(`${what}: expected sequences of steps (arrays of numbers)`);
  const size = first.length;
  let steps = 0;
  for (const s of x) {
    if (!Array.isArray(s)) throw new InvalidInputError(`${what}: every sequence must be an array of steps; got ${show(s)}`);
    steps = Math.max(steps, s.length);
  }
  const values = new Float32Array(x.length * steps * size);
  const lengths = new Int32Array(x.length);
  x.forEach((s, i) => {
    lengths[i] = s.length;
    s.forEach((step, t) => {
      if (!step || step.length !== size) {
        throw new InvalidInputError(`${what}: sequence ${i}, step ${t} has ${step?.length} values; expected ${size} like the first step`);
      }
      for (let d = 0; d < size; d++) values[(i * steps + t) * size + d] = step[d];
    });
  });
  return checked({ n: x.length, steps, size, values, lengths }, what);
}

function checked(s: Sequences, what: string): Sequences {
  for (let i = 0; i < s.n; i++) {
    const L = s.lengths[i];
    if (!Number.isInteger(L) || L < 1 || L > s.steps) {
      throw new InvalidInputError(`${what}: sequence ${i} has length ${show(L)}; lengths must be integers from 1 to ${s.steps}`);
    }
    const base = i * s.steps * s.size;
    for (let j = 0; j < L * s.size; j++) {
      if (!Number.isFinite(s.values[base + j])) {
        throw new InvalidInputError(`${what}: sequence ${i}, step ${Math.floor(j / s.size)} has a non-finite value (${s.values[base + j]})`);
      }
    }
  }
  return s;
}

/**
 * Checks any SequenceInput against a model's step size (and [0, 1] for `unit` likelihoods); returns Sequences.
 *
 * @example
 * ```ts
 * const s = toSequences([[[0.5, 0.5]]], 2, "fit(x)");
 * ```
 */
export function toSequences(x: unknown, size: number, what: string, unit = false, unitHint = ""): Sequences {
  let s: Sequences;
  if (Array.isArray(x)) s = fromNested(x as readonly (readonly ArrayLike<number>[])[], what);
  else if (typeof x === "object" && x !== null && (x as Sequences).values instanceof Float32Array &&
    (x as Sequences).lengths instanceof Int32Array) {
    const q = x as Sequences;
    if (!Number.isInteger(q.n) || !Number.isInteger(q.steps) || !Number.isInteger(q.size) || q.n < 1 || q.steps < 1 ||
      q.values.length !== q.n * q.steps * q.size || q.lengths.length !== q.n) {
      throw new InvalidInputError(`${what}: inconsistent Sequences (n ${q.n}, steps ${q.steps}, size ${q.size}, ${q.values.length} values, ${q.lengths.length} lengths); make one with sequences()`);
    }
    s = checked(q, what);
  } else {
    throw new InvalidInputError(`${what}: expected sequences: an array of sequences (arrays of steps) or sequences(values, { steps, size, lengths })`);
  }
  if (s.size !== size) throw new InvalidInputError(`${what}: steps have ${s.size} values; this model's inputSize is ${size}`);
  if (unit) {
    for (let i = 0; i < s.n; i++) {
      const base = i * s.steps * size;
      for (let j = 0; j < s.lengths[i] * size; j++) {
        const v = s.values[base + j];
        if (!(v >= 0 && v <= 1)) {
          throw new InvalidInputError(`${what}: sequence ${i}, step ${Math.floor(j / size)} has ${v}; values must lie in [0, 1]${unitHint}`);
        }
      }
    }
  }
  return s;
}
