// Class labels for conditional models: class indices or one-hot (probability) rows, checked and turned into rows.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";

/**
 * Labels of n examples: class indices (an integer typed array or number[] of length n), or one row of `classes`
 * values per example (one-hot, or any probability vector: non-negative, summing to 1) as a flat Float32Array /
 * Float64Array of n × classes or an array of rows.
 *
 * @example
 * ```ts
 * const a: Labels = [3, 1, 4];                          // class indices
 * const b: Labels = Int32Array.from([3, 1, 4]);
 * const c: Labels = [[0, 1, 0], [1, 0, 0]];             // one-hot rows (classes = 3)
 * ```
 */
export type Labels =
  | Int32Array | Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array
  | Float32Array | Float64Array | readonly number[] | readonly (ArrayLike<number>)[];

function fromIndices(v: ArrayLike<number>, classes: number, what: string): Float32Array {
  const out = new Float32Array(v.length * classes);
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c >= classes) {
      throw new InvalidInputError(`${what}: label ${i} is ${show(c)}; expected a class index from 0 to ${classes - 1}`);
    }
    out[i * classes + c] = 1;
  }
  return out;
}

function checkRows(out: Float32Array, classes: number, what: string): Float32Array {
  for (let r = 0; r < out.length / classes; r++) {
    let s = 0;
    for (let j = 0; j < classes; j++) {
      const v = out[r * classes + j];
      if (!(v >= 0 && v <= 1)) {
        throw new InvalidInputError(`${what}: row ${r}, column ${j} is ${show(v)}; one-hot rows hold values in [0, 1]`);
      }
      s += v;
    }
    if (Math.abs(s - 1) > 1e-4) throw new InvalidInputError(`${what}: row ${r} sums to ${s}; a one-hot (or probability) row sums to 1`);
  }
  return out;
}

/** Checks labels for `n` examples and returns them as one-hot rows [n, classes]. */
export function labelRows(labels: unknown, n: number, classes: number, what: string): Float32Array {
  const count = (got: number, unit: string) =>
    new InvalidInputError(`${what}: got ${got} ${unit} for ${n} examples; give one class index or one row of ${classes} values per example`);
  if (labels === undefined || labels === null) {
    throw new InvalidInputError(`${what}: labels are required (class indices from 0 to ${classes - 1}, or one-hot rows)`);
  }
  if (labels instanceof Float32Array || labels instanceof Float64Array) {
    if (labels.length === n * classes) return checkRows(new Float32Array(labels), classes, what);
    if (labels.length === n) return fromIndices(labels, classes, what);
    throw count(labels.length, "values");
  }
  if (ArrayBuffer.isView(labels) && !(labels instanceof DataView) && !(labels instanceof BigInt64Array) && !(labels instanceof BigUint64Array)) {
    const v = labels as unknown as ArrayLike<number>;
    if (v.length !== n) throw count(v.length, "labels");
    return fromIndices(v, classes, what);
  }
  if (Array.isArray(labels)) {
    if (labels.length > 0 && typeof labels[0] === "object" && labels[0] !== null) {
      if (labels.length !== n) throw count(labels.length, "rows");
      const out = new Float32Array(n * classes);
      labels.forEach((row: ArrayLike<number>, r) => {
        if (typeof row !== "object" || row === null || row.length !== classes) {
          throw new InvalidInputError(`${what}: row ${r} should hold ${classes} values (one-hot)`);
        }
        for (let j = 0; j < classes; j++) out[r * classes + j] = Number(row[j]);
      });
      return checkRows(out, classes, what);
    }
    if (labels.length === n) return fromIndices(labels as number[], classes, what);
    if (labels.length === n * classes) return checkRows(Float32Array.from(labels as number[]), classes, what);
    throw count(labels.length, "values");
  }
  throw new InvalidInputError(`${what}: expected class indices (Int32Array or number[]) or one-hot rows; got ${typeof labels}`);
}
