// Grids of images — grey (one channel) or colour (three, channels-last like a conv model's rows): samples,
// interpolation rows, traversals, the 2-D manifold (one image per cell), and reconstructions beside their originals.
import { InvalidInputError } from "../errors.js";
import { blank, WHITE, type Picture, type Rgb } from "./picture.js";

/**
 * How `imageGrid` and `reconstructionGrid` lay images out.
 *
 * @example
 * ```ts
 * const options: GridOptions = { shape: [28, 28], columns: 10, padding: 2, zoom: 2, range: [0, 1] };
 * const colour: GridOptions = { shape: [32, 32, 3] }; // channels-last RGB rows, as a conv model's inputShape
 * ```
 */
export interface GridOptions {
  /**
   * One image's layout in values: [height, width] for grey images (e.g. [28, 28] for MNIST's 784), or
   * [height, width, channels] with 1 (grey) or 3 (red, green, blue) channels-last, as a conv model's `inputShape`.
   */
  shape: readonly [number, number] | readonly [number, number, number];
  /** Images per row (pairs per row for reconstructionGrid). Default ⌈√n⌉. */
  columns?: number;
  /** Pixels of background between images and around the grid. Default 1. */
  padding?: number;
  /** Each value drawn as zoom × zoom pixels. Default 1. */
  zoom?: number;
  /** The values drawn black and white; values between are grey levels, values outside are clamped. Default [0, 1]. */
  range?: readonly [number, number];
  /** Colour of the padding. Default white. */
  background?: Rgb;
}

interface Layout {
  h: number;
  w: number;
  /** Channels: 1 (grey) or 3 (RGB). */
  c: number;
  n: number;
  columns: number;
  padding: number;
  zoom: number;
  lo: number;
  hi: number;
  background: Rgb;
}

function whole(what: string, v: unknown, fallback: number, lo: number, hi: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
    throw new InvalidInputError(`${what} must be a whole number from ${lo} to ${hi}; got ${JSON.stringify(v)}`);
  }
  return v;
}

function layoutOf(values: ArrayLike<number>, o: GridOptions, what: string): Layout {
  if (typeof o !== "object" || o === null) throw new InvalidInputError(`${what}: options with shape: [height, width] are required`);
  const s = o.shape;
  if (!Array.isArray(s) || (s.length !== 2 && s.length !== 3)) {
    throw new InvalidInputError(`${what}: shape must be [height, width] or [height, width, channels], e.g. [28, 28] or [32, 32, 3]; got ${JSON.stringify(s)}`);
  }
  const h = whole(`${what}: shape[0]`, s[0], 0, 1, 4096);
  const w = whole(`${what}: shape[1]`, s[1], 0, 1, 4096);
  const c = s.length === 3 ? s[2] : 1;
  if (c !== 1 && c !== 3) {
    throw new InvalidInputError(`${what}: shape[2] (channels) must be 1 (grey) or 3 (RGB); got ${JSON.stringify(c)} — draw other channel counts one channel at a time`);
  }
  if (!values || typeof values.length !== "number") throw new InvalidInputError(`${what}: expected the images' values as an array`);
  const size = h * w * c;
  if (values.length === 0 || values.length % size !== 0) {
    throw new InvalidInputError(`${what}: got ${values.length} values, not a whole number of ${h} × ${w}${c === 1 ? "" : ` × ${c}`} images`);
  }
  const n = values.length / size;
  const range = o.range ?? [0, 1];
  if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) {
    throw new InvalidInputError(`${what}: range must be [lo, hi] with lo < hi; got ${JSON.stringify(o.range)}`);
  }
  return {
    h, w, c, n,
    columns: whole(`${what}: columns`, o.columns, Math.ceil(Math.sqrt(n)), 1, 4096),
    padding: whole(`${what}: padding`, o.padding, 1, 0, 256),
    zoom: whole(`${what}: zoom`, o.zoom, 1, 1, 64),
    lo: range[0], hi: range[1],
    background: o.background ?? WHITE,
  };
}

/** Draws image `k` of `values` with its top-left corner at (x, y); a grey value fills all three colour bytes. */
function drawImage(p: Picture, values: ArrayLike<number>, k: number, x: number, y: number, l: Layout, what: string): void {
  const { h, w, c: channels, zoom, lo, hi } = l;
  const scale = 255 / (hi - lo);
  const level = (v: number, r: number, c: number): number => {
    if (Number.isNaN(v)) throw new InvalidInputError(`${what}: image ${k}, row ${r}, column ${c} is NaN`);
    return Math.round(Math.min(255, Math.max(0, (v - lo) * scale)));
  };
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const i = ((k * h + r) * w + c) * channels;
      const red = level(values[i], r, c);
      const green = channels === 3 ? level(values[i + 1], r, c) : red;
      const blue = channels === 3 ? level(values[i + 2], r, c) : red;
      for (let dy = 0; dy < zoom; dy++) {
        let at = ((y + r * zoom + dy) * p.width + x + c * zoom) * 4;
        for (let dx = 0; dx < zoom; dx++, at += 4) {
          p.data[at] = red;
          p.data[at + 1] = green;
          p.data[at + 2] = blue;
          p.data[at + 3] = 255;
        }
      }
    }
  }
}

/**
 * A grid of images, row by row: n images of shape [height, width] (grey) or [height, width, 3] (RGB, channels-last)
 * taken from row-major `values` (n × height·width·channels, e.g. the output of `sample`, `interpolate`, `traverse` or `latentGrid`). Image k sits in
 * grid row ⌊k / columns⌋, column k mod columns, its top-left pixel at
 * (padding + column·(width·zoom + padding), padding + row·(height·zoom + padding)). Use `columns` = steps for
 * interpolation rows and traversals, and the grid size for the 2-D manifold.
 *
 * @example
 * ```ts
 * import { imageGrid, encodePng } from "vaekit/pictures";
 * const png = await encodePng(imageGrid(vae.sample(64, { seed: 1 }), { shape: [28, 28], columns: 8 }));
 * ```
 */
export function imageGrid(values: ArrayLike<number>, options: GridOptions): Picture {
  const l = layoutOf(values, options, "imageGrid");
  const rows = Math.ceil(l.n / l.columns);
  const cw = l.w * l.zoom + l.padding, ch = l.h * l.zoom + l.padding;
  const p = blank(l.padding + l.columns * cw, l.padding + rows * ch, l.background, "imageGrid");
  for (let k = 0; k < l.n; k++) {
    drawImage(p, values, k, l.padding + (k % l.columns) * cw, l.padding + Math.floor(k / l.columns) * ch, l, "imageGrid");
  }
  return p;
}

/**
 * Reconstructions beside their originals: pair k (original k, then reconstruction k to its right, `padding`
 * apart) sits in grid row ⌊k / columns⌋, pair column k mod columns; pairs are `gap` pixels apart. The original's
 * top-left pixel is at (padding + column·(2·(width·zoom + padding) + gap − padding), padding + row·(height·zoom +
 * padding)).
 *
 * @example
 * ```ts
 * const x = testX.subarray(0, 32 * 784);
 * const picture = reconstructionGrid(x, vae.reconstruct(x), { shape: [28, 28], columns: 4 });
 * ```
 */
export function reconstructionGrid(
  originals: ArrayLike<number>, reconstructions: ArrayLike<number>, options: GridOptions & { gap?: number },
): Picture {
  const l = layoutOf(originals, options, "reconstructionGrid");
  if (!reconstructions || reconstructions.length !== originals.length) {
    throw new InvalidInputError(
      `reconstructionGrid: got ${originals.length} original and ${reconstructions?.length} reconstructed values; give one reconstruction per original`,
    );
  }
  const gap = whole("reconstructionGrid: gap", options.gap, l.padding + 3, l.padding, 256);
  const rows = Math.ceil(l.n / l.columns);
  const tw = l.w * l.zoom + l.padding, ch = l.h * l.zoom + l.padding;
  const pw = 2 * tw + gap - l.padding;
  const p = blank(l.padding + l.columns * pw - gap + l.padding, l.padding + rows * ch, l.background, "reconstructionGrid");
  for (let k = 0; k < l.n; k++) {
    const x = l.padding + (k % l.columns) * pw, y = l.padding + Math.floor(k / l.columns) * ch;
    drawImage(p, originals, k, x, y, l, "reconstructionGrid");
    drawImage(p, reconstructions, k, x + tw, y, l, "reconstructionGrid");
  }
  return p;
}
