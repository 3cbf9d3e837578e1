// Points for decoding a latent space: a regular grid over a 2-D latent space, and a sweep of one latent dimension.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";

function range(what: string, v: unknown, fallback: [number, number]): [number, number] {
  if (v === undefined) return fallback;
  const pair = typeof v === "number" ? [-v, v] : v;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => typeof x === "number" && Number.isFinite(x)) || !(pair[0] < pair[1])) {
    throw new InvalidInputError(`${what}: range must be a positive number r (for [−r, r]) or [lo, hi] with lo < hi; got ${show(v)}`);
  }
  return [pair[0], pair[1]];
}

function linspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (n - 1)));
}

/**
 * size × size points of a 2-D latent space, row-major [size², 2]: row i of the grid holds z₁ = the i-th value
 * from the top of the range (hi first), column j holds z₀ = the j-th value from lo, so the decoded images tile
 * like a plot with z₀ across and z₁ up.
 */
export function gridPoints(o: { size?: unknown; range?: unknown }): { size: number; points: Float32Array } {
  const size = o.size ?? 10;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > 1000) {
    throw new InvalidInputError(`latentGrid: size must be an integer from 1 to 1000; got ${show(o.size)}`);
  }
  const [lo, hi] = range("latentGrid", o.range, [-2, 2]);
  const v = linspace(lo, hi, size);
  const points = new Float32Array(size * size * 2);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      points[(i * size + j) * 2] = v[j];
      points[(i * size + j) * 2 + 1] = v[size - 1 - i];
    }
  }
  return { size, points };
}

/** Rows of z with dimension `dim` set to each of `values` (default: 7 values from −3 to 3). */
export function traversePoints(z: Float32Array, dim: unknown, values: unknown): Float32Array {
  const L = z.length;
  if (typeof dim !== "number" || !Number.isInteger(dim) || dim < 0 || dim >= L) {
    throw new InvalidInputError(`traverse: dim must be a latent dimension from 0 to ${L - 1}; got ${show(dim)}`);
  }
  const vals = values === undefined ? linspace(-3, 3, 7) : values;
  if (!(Array.isArray(vals) || ArrayBuffer.isView(vals)) || (vals as ArrayLike<number>).length === 0) {
    throw new InvalidInputError(`traverse: values must be a non-empty array of numbers; got ${show(values)}`);
  }
  const list = Array.from(vals as ArrayLike<number>);
  const out = new Float32Array(list.length * L);
  list.forEach((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new InvalidInputError(`traverse: values[${i}] is ${show(v)}; expected a finite number`);
    out.set(z, i * L);
    out[i * L + dim] = v;
  });
  return out;
}
