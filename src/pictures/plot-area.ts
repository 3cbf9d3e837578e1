// The rectangle a chart or scatter plot draws its data in, and how data values map onto its pixels.
import { InvalidInputError } from "../errors.js";
import { CAP_HEIGHT } from "./font.js";
import { FRAME, INK } from "./palette.js";
import type { Item } from "./scene.js";

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

/** A plot's frame: its left, right, top and bottom pixel lines. */
export interface Frame {
  l: number;
  r: number;
  t: number;
  b: number;
}

/**
 * Pushes the frame of a plot and, with `ticks`, its tick marks and labels: the y ticks at pixel rows `ys` left of
 * the frame, then the x ticks at pixel columns `xs` below it (text at scale `s`).
 */
export function frameItems(items: Item[], f: Frame, ticks: boolean, xs: readonly number[], xLabels: readonly string[],
  ys: readonly number[], yLabels: readonly string[], s: number): void {
  const capH = CAP_HEIGHT * s;
  items.push({ kind: "path", points: [[f.l, f.t], [f.r, f.t], [f.r, f.b], [f.l, f.b], [f.l, f.t]], colour: FRAME, width: 1 });
  if (!ticks) return;
  ys.forEach((y, k) => {
    items.push({ kind: "path", points: [[f.l - 5, y], [f.l - 1, y]], colour: FRAME, width: 1 });
    items.push({ kind: "text", text: yLabels[k], x: f.l - 8, y: y - Math.floor(capH / 2), anchor: "end", colour: INK, scale: s });
  });
  xs.forEach((x, k) => {
    items.push({ kind: "path", points: [[x, f.b + 1], [x, f.b + 5]], colour: FRAME, width: 1 });
    items.push({ kind: "text", text: xLabels[k], x, y: f.b + 8, anchor: "middle", colour: INK, scale: s });
  });
}
