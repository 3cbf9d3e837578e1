// Turns user data into a validated row-major Float32Array, or says exactly what is wrong with it.
import { InvalidInputError } from "../errors.js";
import { kind as describe, show } from "../errors-format.js";

/**
 * Data accepted wherever vaekit takes examples: a flat row-major array of n × columns values
 * (Float32Array, Float64Array or number[]), or one array per row.
 *
 * @example
 * ```ts
 * const a: Data = new Float32Array(2 * 784);      // two examples
 * const b: Data = [[0, 0.5, 1], [1, 1, 0]];       // two examples of 3 values
 * ```
 */
export type Data = Float32Array | Float64Array | readonly number[] | readonly (ArrayLike<number>)[];

/** A validated matrix. */
export interface Rows {
  readonly values: Float32Array;
  readonly rows: number;
}


function badValue(what: string, i: number, cols: number, v: number, rule: string): InvalidInputError {
  const at = `row ${Math.floor(i / cols)}, column ${i % cols}`;
  return new InvalidInputError(`${what}: the value at ${at} is ${v}; ${rule}`);
}

/** A bulk check of values (true: all finite, and in [0, 1] with `unit`), e.g. in wasm (src/runtime/scan.ts). */
export type Scan = (values: Float32Array, unit: boolean) => boolean;

/** Below this many values the element loop is as fast as a scan (which copies the values first). */
const SCAN_MIN = 4096;

/**
 * Checks `data` holds whole rows of `cols` finite values (in [0, 1] when `unit` is set) and returns them
 * as a Float32Array (the caller's own Float32Array when it is one already; it is only read). With `scan`, large
 * inputs are checked by it first; the element loop below then only runs to name an offending value.
 */
export function toRows(data: unknown, cols: number, what: string, unit = false, unitHint = "", scan?: Scan,
  colsName = scan ? "the model's inputSize" : "the model's latent size"): Rows {
  const expected = `a Float32Array of n × ${cols} values (row-major) or an array of rows of ${cols} numbers`;
  let values: Float32Array;
  if (data instanceof Float32Array) values = data;
  else if (data instanceof Float64Array) values = new Float32Array(data);
  else if (Array.isArray(data) && data.length > 0 && typeof data[0] !== "number") {
    values = new Float32Array(data.length * cols);
    for (let r = 0; r < data.length; r++) {
      const row = data[r] as ArrayLike<number>;
      if (row === null || typeof row !== "object" || typeof row.length !== "number") {
        throw new InvalidInputError(`${what}: expected ${expected}; row ${r} is ${describe(row)}`);
      }
      if (row.length !== cols) {
        throw new InvalidInputError(`${what}: expected rows of ${cols} values; row ${r} has ${row.length}`);
      }
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        if (typeof v !== "number") {
          throw new InvalidInputError(`${what}: row ${r}, column ${j} is ${describe(v)}; expected a number`);
        }
        values[r * cols + j] = v;
      }
    }
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      if (typeof data[i] !== "number") {
        throw new InvalidInputError(`${what}: element ${i} is ${describe(data[i])}; expected ${expected}`);
      }
    }
    values = new Float32Array(data as number[]);
  } else {
    throw new InvalidInputError(`${what}: expected ${expected}; got ${describe(data)}`);
  }
  if (values.length === 0) throw new InvalidInputError(`${what}: got no examples; expected ${expected}`);
  if (values.length % cols !== 0) {
    throw new InvalidInputError(
      `${what}: got ${values.length} values, which is not a multiple of ${cols} (${colsName}); expected ${expected}`,
    );
  }
  const rows = values.length / cols;
  if (scan && values.length >= SCAN_MIN && scan(values, unit)) return { values, rows };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (unit) {
      if (!(v >= 0 && v <= 1)) {
        throw badValue(what, i, cols, v, Number.isNaN(v) ? "inputs must be finite numbers" : `expected values in [0, 1]${unitHint}`);
      }
    } else if (!Number.isFinite(v)) {
      throw badValue(what, i, cols, v, "inputs must be finite numbers");
    }
  }
  return { values, rows };
}

/** Checks a row count option (n in sample(n), batch sizes). */
export function count(what: string, v: unknown, max = 2 ** 31 - 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new InvalidInputError(`${what} must be an integer from 1 to ${max}; got ${show(v)}`);
  }
  return v;
}

/** Checks a seed option. */
export function seedOf(what: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) {
    throw new InvalidInputError(`${what} must be an integer in [0, 2^32); got ${show(v)}`);
  }
  return v;
}
