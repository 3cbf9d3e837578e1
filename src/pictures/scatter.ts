// The latent space as a scatter plot: one dot per example at two of its latent coordinates, coloured by label.
import { InvalidInputError } from "../errors.js";
import { AXIS, FRAME, PALETTE } from "./palette.js";
import { blank, fillRect, line, plot, WHITE, type Picture } from "./picture.js";
import { areaOf, rangeOf, side, toX, toY, type Margin } from "./plot-area.js";

/**
 * Options of `latentScatter`.
 *
 * @example
 * ```ts
 * const options: ScatterOptions = { labels: testY, columns: 20, axes: [3, 7], width: 400, height: 400 };
 * ```
 */
export interface ScatterOptions {
  /** A class per point: point i is drawn in PALETTE[labels[i] mod 10]. Default: all PALETTE[0]. */
  labels?: ArrayLike<number>;
  /** Values per point in `points` (its latent size). Default 2. */
  columns?: number;
  /** The two coordinates plotted across and up. Default [0, 1]. */
  axes?: readonly [number, number];
  /** Picture size in pixels. Default 480 × 480. */
  width?: number;
  height?: number;
  /** Dot radius in pixels (a dot covers the pixels within this distance of its centre). Default 1.5. */
  radius?: number;
  /** Space around the plot area. Default 8 pixels on each side. */
  margin?: Margin;
  /** Data ranges shown across and up. Default: the points' extent. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
}

/**
 * A scatter plot of latent codes (e.g. `encode(x).mean`): point i at pixel (left + (x − xlo)/(xhi − xlo)·(right −
 * left), bottom − (y − ylo)/(yhi − ylo)·(bottom − top)) of the plot area [margin.left, width − 1 − margin.right] ×
 * [margin.top, height − 1 − margin.bottom], drawn in order over a grey frame and the x = 0 and y = 0 lines. No
 * legend: label k is always PALETTE[k mod 10].
 *
 * @example
 * ```ts
 * import { latentScatter, encodePng } from "vaekit/pictures";
 * const png = await encodePng(latentScatter(vae.encode(testX).mean, { labels: testY, columns: vae.config.latentSize }));
 * ```
 */
export function latentScatter(points: ArrayLike<number>, options: ScatterOptions = {}): Picture {
  const cols = options.columns ?? 2;
  if (!Number.isInteger(cols) || cols < 1) throw new InvalidInputError(`latentScatter: columns must be a whole number ≥ 1; got ${JSON.stringify(cols)}`);
  if (!points || typeof points.length !== "number" || points.length === 0 || points.length % cols !== 0) {
    throw new InvalidInputError(`latentScatter: expected n × ${cols} values (columns = ${cols}); got ${points?.length}`);
  }
  const n = points.length / cols;
  const [ax, ay] = options.axes ?? [0, 1];
  for (const d of [ax, ay]) {
    if (!Number.isInteger(d) || d < 0 || d >= cols) throw new InvalidInputError(`latentScatter: axes must name two columns from 0 to ${cols - 1}; got ${JSON.stringify(options.axes)}`);
  }
  const labels = options.labels;
  if (labels !== undefined) {
    if (typeof labels.length !== "number" || labels.length !== n) {
      throw new InvalidInputError(`latentScatter: got ${labels.length} labels for ${n} points; give one per point`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0) throw new InvalidInputError(`latentScatter: label ${i} is ${labels[i]}; labels are class indices ≥ 0`);
    }
  }
  const radius = options.radius ?? 1.5;
  if (typeof radius !== "number" || !(radius >= 0 && radius <= 64)) throw new InvalidInputError(`latentScatter: radius must be a number from 0 to 64; got ${JSON.stringify(radius)}`);
  const width = side("latentScatter: width", options.width, 480);
  const height = side("latentScatter: height", options.height, 480);
  const a = areaOf(width, height, options.margin ?? { top: 8, right: 8, bottom: 8, left: 8 }, "latentScatter");
  const coord = function* (d: number) { for (let i = 0; i < n; i++) yield points[i * cols + d]; };
  const [xlo, xhi] = rangeOf(options.xRange, coord(ax), "latentScatter: xRange");
  const [ylo, yhi] = rangeOf(options.yRange, coord(ay), "latentScatter: yRange");
  const p = blank(width, height, WHITE, "latentScatter");

  if (xlo < 0 && xhi > 0) line(p, toX(a, 0, xlo, xhi), a.top, toX(a, 0, xlo, xhi), a.bottom, AXIS);
  if (ylo < 0 && yhi > 0) line(p, a.left, toY(a, 0, ylo, yhi), a.right, toY(a, 0, ylo, yhi), AXIS);
  const f = { l: a.left - 4, r: a.right + 4, t: a.top - 4, b: a.bottom + 4 };
  line(p, f.l, f.t, f.r, f.t, FRAME);
  line(p, f.l, f.b, f.r, f.b, FRAME);
  line(p, f.l, f.t, f.l, f.b, FRAME);
  line(p, f.r, f.t, f.r, f.b, FRAME);

  const reach = Math.floor(radius);
  for (let i = 0; i < n; i++) {
    const x = points[i * cols + ax], y = points[i * cols + ay];
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new InvalidInputError(`latentScatter: point ${i} is (${x}, ${y}); expected finite numbers`);
    if (x < xlo || x > xhi || y < ylo || y > yhi) continue;
    const cx = toX(a, x, xlo, xhi), cy = toY(a, y, ylo, yhi);
    const c = PALETTE[(labels ? labels[i] : 0) % PALETTE.length];
    if (reach === 0) {
      plot(p, cx, cy, c);
      continue;
    }
    for (let dy = -reach; dy <= reach; dy++) {
      for (let dx = -reach; dx <= reach; dx++) if (dx * dx + dy * dy <= radius * radius) fillRect(p, cx + dx, cy + dy, 1, 1, c);
    }
  }
  return p;
}
