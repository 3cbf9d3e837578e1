// The rectangle a chart or scatter plot draws its data in, and how data values map onto its pixels.
import { InvalidInputError } from "../errors.js";

/**
 * Pixels left free around the plotted data (for the frame and the axis numbers).
 *
 * @example
 * ```ts
 * const margin: Margin = { top: 10, right: 10, bottom: 30, left: 60 };
 * ```
 */
export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** Pixel bounds of the data: x from left to right, y from top to bottom (inclusive). */
export interface Area {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function areaOf(width: number, height: number, m: Margin, what: string): Area {
  for (const k of ["top", "right", "bottom", "left"] as const) {
    const v = m[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new InvalidInputError(`${what}: margin.${k} must be a whole number ≥ 0; got ${JSON.stringify(v)}`);
  }
  const a = { left: m.left, right: width - 1 - m.right, top: m.top, bottom: height - 1 - m.bottom };
  if (a.right <= a.left || a.bottom <= a.top) {
    throw new InvalidInputError(`${what}: a ${width} × ${height} picture leaves no room for the data inside margins ${JSON.stringify(m)}`);
  }
  return a;
}

/** [lo, hi] as given (checked), or the finite values' extent widened when it is a single value. */
export function rangeOf(given: unknown, values: Iterable<number>, what: string): [number, number] {
  if (given !== undefined) {
    const r = given as number[];
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || !(r[0] < r[1])) {
      throw new InvalidInputError(`${what} must be [lo, hi] with lo < hi; got ${JSON.stringify(given)}`);
    }
    return [r[0], r[1]];
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (lo === Infinity) return [0, 1];
  if (lo === hi) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return [lo - d, hi + d];
  }
  return [lo, hi];
}

/** The pixel column of x in [lo, hi] (lo at area.left, hi at area.right). */
export function toX(a: Area, x: number, lo: number, hi: number): number {
  return Math.round(a.left + ((x - lo) / (hi - lo)) * (a.right - a.left));
}

/** The pixel row of y in [lo, hi] (lo at area.bottom, hi at area.top). */
export function toY(a: Area, y: number, lo: number, hi: number): number {
  return Math.round(a.bottom - ((y - lo) / (hi - lo)) * (a.bottom - a.top));
}

export function side(what: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 16 || v > 8192) {
    throw new InvalidInputError(`${what} must be a whole number of pixels from 16 to 8192; got ${JSON.stringify(v)}`);
  }
  return v;
}
