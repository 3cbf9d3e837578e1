// An RGBA picture in memory, and the few pixel operations the grids and charts are drawn with.
import { InvalidInputError } from "../errors.js";

/**
 * An image: `width` × `height` pixels, row-major RGBA bytes (4 per pixel, top row first), the layout of the
 * browser's ImageData (`new ImageData(p.data, p.width, p.height)` shows it on a canvas).
 *
 * @example
 * ```ts
 * const p: Picture = imageGrid(samples, { shape: [28, 28] });
 * const [r, g, b, a] = p.data.subarray(0, 4); // the top-left pixel
 * ```
 */
export interface Picture {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/**
 * A colour as red, green, blue bytes (0–255).
 *
 * @example
 * ```ts
 * const red: Rgb = [255, 0, 0];
 * ```
 */
export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const MAX_SIDE = 1 << 14;

/** A picture filled with one colour. */
export function blank(width: number, height: number, colour: Rgb, what: string): Picture {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new InvalidInputError(`${what}: the picture would be ${width} × ${height} pixels; each side must be from 1 to ${MAX_SIDE}`);
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) {
    data[i] = colour[0];
    data[i + 1] = colour[1];
    data[i + 2] = colour[2];
    data[i + 3] = 255;
  }
  return { width, height, data };
}

/** Paints one pixel; coordinates outside the picture are ignored. */
export function plot(p: Picture, x: number, y: number, c: Rgb): void {
  if (x < 0 || y < 0 || x >= p.width || y >= p.height) return;
  const at = (y * p.width + x) * 4;
  p.data[at] = c[0];
  p.data[at + 1] = c[1];
  p.data[at + 2] = c[2];
  p.data[at + 3] = 255;
}

/** Paints the rectangle [x, x + w) × [y, y + h), clipped to the picture. */
export function fillRect(p: Picture, x: number, y: number, w: number, h: number, c: Rgb): void {
  for (let j = Math.max(0, y); j < Math.min(p.height, y + h); j++) {
    for (let i = Math.max(0, x); i < Math.min(p.width, x + w); i++) plot(p, i, j, c);
  }
}

/** A straight line of square dots `width` pixels wide from (x0, y0) to (x1, y1) (Bresenham's walk, ends included). */
export function line(p: Picture, x0: number, y0: number, x1: number, y1: number, c: Rgb, width = 1): void {
  [x0, y0, x1, y1] = [Math.round(x0), Math.round(y0), Math.round(x1), Math.round(y1)];
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  const half = Math.floor((width - 1) / 2);
  let err = dx + dy;
  for (;;) {
    fillRect(p, x0 - half, y0 - half, width, width, c);
    if (x0 === x1 && y0 === y1) return;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/** Checks that `p` is a well-formed Picture. */
export function checkPicture(p: unknown, what: string): Picture {
  const q = p as Picture;
  if (typeof p !== "object" || p === null || !Number.isInteger(q.width) || !Number.isInteger(q.height) || q.width < 1 || q.height < 1) {
    throw new InvalidInputError(`${what}: expected a picture { width, height, data } with whole positive width and height`);
  }
  const d: unknown = q.data;
  if (!(d instanceof Uint8ClampedArray || d instanceof Uint8Array) || q.data.length !== q.width * q.height * 4) {
    throw new InvalidInputError(
      `${what}: data must hold width × height × 4 RGBA bytes (${q.width * q.height * 4}) in a Uint8ClampedArray or Uint8Array`,
    );
  }
  return q;
}
