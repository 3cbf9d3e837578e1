// The latent space as a scatter plot: one dot per example at two of its latent coordinates, coloured by label, with
// (when asked) round-number ticks, axis titles and a legend of the classes; drawn into pixels or as SVG.
import { InvalidInputError } from "../errors.js";
import { CAP_HEIGHT, LINE_HEIGHT, textWidth } from "./font.js";
import { AXIS, GRID, INK, PALETTE } from "./palette.js";
import { WHITE, type Picture } from "./picture.js";
import { areaOf, frameItems, rangeOf, side, toX, toY, type Margin } from "./plot-area.js";
import { rasterize, toSvg, type Item, type Scene } from "./scene.js";
import { niceRange, ticksAt, ticksOf } from "./ticks.js";

/**
 * Options of `latentScatter` and `latentScatterSvg`.
 *
 * @example
 * ```ts
 * const options: ScatterOptions = { labels: testY, columns: 20, axes: [3, 7], width: 400, height: 400, ticks: true, legend: true };
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
  /** Space around the plot area. Default 8 pixels on each side, or room for the ticks, titles and legend. */
  margin?: Margin;
  /** Data ranges shown across and up. Default: the points' extent (widened to round ticks with `ticks`). */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  /** Ticks at round numbers on both axes, with their values and light grid lines. Default false. */
  ticks?: boolean;
  /** A title above the plot. */
  title?: string;
  /** The title under the x axis (e.g. "z0"). */
  xTitle?: string;
  /** The title beside the y axis, reading upwards (e.g. "z1"). */
  yTitle?: string;
  /**
   * A legend of the classes right of the plot: `true` names each label that occurs by its number, an array names
   * class k `legend[k]`. Default false.
   */
  legend?: boolean | readonly string[];
  /** Font pixels per picture pixel for all text. Default 2. */
  textScale?: number;
}

function scatterScene(points: ArrayLike<number>, options: ScatterOptions, what: string): Scene {
  const cols = options.columns ?? 2;
  if (!Number.isInteger(cols) || cols < 1) throw new InvalidInputError(`${what}: columns must be a whole number ≥ 1; got ${JSON.stringify(cols)}`);
  if (!points || typeof points.length !== "number" || points.length === 0 || points.length % cols !== 0) {
    throw new InvalidInputError(`${what}: expected n × ${cols} values (columns = ${cols}); got ${points?.length}`);
  }
  const n = points.length / cols;
  const [ax, ay] = options.axes ?? [0, 1];
  for (const d of [ax, ay]) {
    if (!Number.isInteger(d) || d < 0 || d >= cols) throw new InvalidInputError(`${what}: axes must name two columns from 0 to ${cols - 1}; got ${JSON.stringify(options.axes)}`);
  }
  const labels = options.labels;
  if (labels !== undefined) {
    if (typeof labels.length !== "number" || labels.length !== n) {
      throw new InvalidInputError(`${what}: got ${labels.length} labels for ${n} points; give one per point`);
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isInteger(labels[i]) || labels[i] < 0) throw new InvalidInputError(`${what}: label ${i} is ${labels[i]}; labels are class indices ≥ 0`);
    }
  }
  const radius = options.radius ?? 1.5;
  if (typeof radius !== "number" || !(radius >= 0 && radius <= 64)) throw new InvalidInputError(`${what}: radius must be a number from 0 to 64; got ${JSON.stringify(radius)}`);
  const width = side(`${what}: width`, options.width, 480);
  const height = side(`${what}: height`, options.height, 480);
  const s = options.textScale ?? 2;
  if (!Number.isInteger(s) || s < 1 || s > 8) throw new InvalidInputError(`${what}: textScale must be a whole number from 1 to 8; got ${JSON.stringify(s)}`);
  for (const k of ["title", "xTitle", "yTitle"] as const) {
    if (options[k] !== undefined && typeof options[k] !== "string") throw new InvalidInputError(`${what}: ${k} must be a string; got ${JSON.stringify(options[k])}`);
  }
  const legend = options.legend ?? false;
  if (typeof legend !== "boolean" && !(Array.isArray(legend) && legend.every((t) => typeof t === "string"))) {
    throw new InvalidInputError(`${what}: legend must be true, false or an array of class names; got ${JSON.stringify(legend)}`);
  }
  const ticks = options.ticks === true;
  const lineH = LINE_HEIGHT * s, capH = CAP_HEIGHT * s;

  // The classes of the legend: those that occur (named by number), or every named class.
  let classes: number[] = [];
  if (Array.isArray(legend)) classes = legend.map((_, k) => k);
  else if (legend) classes = labels ? [...new Set(Array.from(labels))].sort((p, q) => p - q) : [0];
  const nameOf = (k: number) => (Array.isArray(legend) ? legend[k] : String(k));
  const rowH = lineH + 4, legendW = classes.length ? 12 + 10 + 6 + Math.max(...classes.map((k) => textWidth(nameOf(k), s))) + 8 : 0;

  const coord = function* (d: number) { for (let i = 0; i < n; i++) yield points[i * cols + d]; };
  let [xlo, xhi] = rangeOf(options.xRange, coord(ax), `${what}: xRange`);
  let [ylo, yhi] = rangeOf(options.yRange, coord(ay), `${what}: yRange`);
  const decorated = ticks || legend !== false || options.title || options.xTitle || options.yTitle;
  const given = options.margin ?? (decorated ? undefined : { top: 8, right: 8, bottom: 8, left: 8 });
  const top = given?.top ?? 12 + (options.title ? lineH + 8 : 0);
  const bottom = given?.bottom ?? 12 + (ticks ? 6 + capH + 6 : 0) + (options.xTitle ? lineH + 6 : 0);
  const yTarget = Math.max(2, Math.round((height - top - bottom) / (14 * s + 30)));
  let yStep = 0, xStep = 0;
  if (ticks && options.yRange === undefined) [ylo, yhi, yStep] = niceRange(ylo, yhi, yTarget);
  const yTicks = yStep ? ticksAt(ylo, yhi, yStep) : ticksOf(ylo, yhi, yTarget);
  const yLabelW = ticks ? Math.max(...yTicks.labels.map((t) => textWidth(t, s))) : 0;
  const left = given?.left ?? 12 + (ticks ? 6 + yLabelW + 8 : 0) + (options.yTitle ? lineH + 8 : 0);
  const right = given?.right ?? 12 + legendW;
  const a = areaOf(width, height, { top, right, bottom, left }, what);
  const xTarget = Math.max(2, Math.round((a.right - a.left) / (30 * s + 30)));
  if (ticks && options.xRange === undefined) [xlo, xhi, xStep] = niceRange(xlo, xhi, xTarget);
  const xTicks = xStep ? ticksAt(xlo, xhi, xStep) : ticksOf(xlo, xhi, xTarget);

  const items: Item[] = [];
  const f = { l: a.left - 4, r: a.right + 4, t: a.top - 4, b: a.bottom + 4 };
  if (ticks) {
    for (const v of xTicks.values) items.push({ kind: "path", points: [[toX(a, v, xlo, xhi), a.top], [toX(a, v, xlo, xhi), a.bottom]], colour: GRID, width: 1 });
    for (const v of yTicks.values) items.push({ kind: "path", points: [[a.left, toY(a, v, ylo, yhi)], [a.right, toY(a, v, ylo, yhi)]], colour: GRID, width: 1 });
  }
  if (xlo < 0 && xhi > 0) items.push({ kind: "path", points: [[toX(a, 0, xlo, xhi), a.top], [toX(a, 0, xlo, xhi), a.bottom]], colour: AXIS, width: 1 });
  if (ylo < 0 && yhi > 0) items.push({ kind: "path", points: [[a.left, toY(a, 0, ylo, yhi)], [a.right, toY(a, 0, ylo, yhi)]], colour: AXIS, width: 1 });
  frameItems(items, f, !!ticks, xTicks.values.map((v) => toX(a, v, xlo, xhi)), xTicks.labels,
    yTicks.values.map((v) => toY(a, v, ylo, yhi)), yTicks.labels, s);
  const midX = Math.round((a.left + a.right) / 2), midY = Math.round((a.top + a.bottom) / 2);
  if (options.xTitle) items.push({ kind: "text", text: options.xTitle, x: midX, y: f.b + 8 + (ticks ? capH + 8 : 0), anchor: "middle", colour: INK, scale: s });
  if (options.yTitle) items.push({ kind: "text", text: options.yTitle, x: Math.max(0, f.l - 8 - (ticks ? yLabelW + 8 : 0) - lineH), y: midY, anchor: "middle", colour: INK, scale: s, upward: true });
  if (options.title) items.push({ kind: "text", text: options.title, x: Math.round(width / 2), y: 6, anchor: "middle", colour: INK, scale: s });

  for (let i = 0; i < n; i++) {
    const x = points[i * cols + ax], y = points[i * cols + ay];
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new InvalidInputError(`${what}: point ${i} is (${x}, ${y}); expected finite numbers`);
    if (x < xlo || x > xhi || y < ylo || y > yhi) continue;
    items.push({ kind: "dot", x: toX(a, x, xlo, xhi), y: toY(a, y, ylo, yhi), radius, colour: PALETTE[(labels ? labels[i] : 0) % PALETTE.length] });
  }

  classes.forEach((k, row) => {
    const x = f.r + 12, y = a.top + row * rowH;
    items.push({ kind: "dot", x: x + 5, y: y + Math.floor(capH / 2), radius: 4.5, colour: PALETTE[k % PALETTE.length] });
    items.push({ kind: "text", text: nameOf(k), x: x + 16, y, anchor: "start", colour: INK, scale: s });
  });
  return { width, height, background: WHITE, items };
}

/**
 * A scatter plot of latent codes (e.g. `encode(x).mean`) as pixels: point i at pixel (left + (x − xlo)/(xhi −
 * xlo)·(right − left), bottom − (y − ylo)/(yhi − ylo)·(bottom − top)) of the plot area [margin.left, width − 1 −
 * margin.right] × [margin.top, height − 1 − margin.bottom], drawn in order over a grey frame and the x = 0 and y = 0
 * lines; label k is always PALETTE[k mod 10]. Ask for `ticks` (round-number axis values and grid lines),
 * `xTitle`/`yTitle`/`title` and a `legend` of the classes; `latentScatterSvg` draws the same plot as SVG.
 *
 * @example
 * ```ts
 * import { latentScatter, encodePng } from "vaekit/pictures";
 * const png = await encodePng(latentScatter(vae.encode(testX).mean, {
 *   labels: testY, columns: vae.config.latentSize, ticks: true, xTitle: "z0", yTitle: "z1", legend: true,
 * }));
 * ```
 */
export function latentScatter(points: ArrayLike<number>, options: ScatterOptions = {}): Picture {
  return rasterize(scatterScene(points, options, "latentScatter"), "latentScatter");
}

/**
 * The plot `latentScatter` draws, as an SVG document (a string): one `<circle>` per point, and the tick values,
 * titles and legend as `<text>` elements that stay sharp at any zoom.
 *
 * @example
 * ```ts
 * import { writeFile } from "node:fs/promises";
 * import { latentScatterSvg } from "vaekit/pictures";
 * await writeFile("latent.svg", latentScatterSvg(vae.encode(testX).mean, { labels: testY, ticks: true, legend: true }));
 * ```
 */
export function latentScatterSvg(points: ArrayLike<number>, options: ScatterOptions = {}): string {
  return toSvg(scatterScene(points, options, "latentScatterSvg"));
}
