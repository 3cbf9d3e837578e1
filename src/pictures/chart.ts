// Training curves: one polyline per series (e.g. training and validation loss per epoch) on axes with round-number
// ticks, axis titles and a legend, drawn into pixels or as SVG.
import { InvalidInputError } from "../errors.js";
import { CAP_HEIGHT, LINE_HEIGHT, textWidth } from "./font.js";
import { FRAME, GRID, INK, PALETTE } from "./palette.js";
import { WHITE, type Picture, type Rgb } from "./picture.js";
import { areaOf, frameItems, rangeOf, side, toX, toY, type Area, type Margin } from "./plot-area.js";
import { rasterize, toSvg, type Item, type Scene } from "./scene.js";
import { niceRange, ticksAt, ticksOf } from "./ticks.js";

/**
 * One line of a chart: its values (point i at x = i; NaN leaves a gap), its colour (default PALETTE[index]), and
 * optionally a name (shown in the legend) and a dashed stroke.
 *
 * @example
 * ```ts
 * const s: ChartSeries = { values: history.map((e) => e.validation!.loss), name: "validation", dash: true };
 * ```
 */
export interface ChartSeries {
  values: ArrayLike<number>;
  colour?: Rgb;
  /** The series' entry in the legend; series without a name get none. */
  name?: string;
  /** Draw the line dashed (6 pixels on, 4 off). Default false. */
  dash?: boolean;
}

/**
 * One entry of a chart's legend: a short stretch of line in `colour` (dashed if `dash`) and its name.
 *
 * @example
 * ```ts
 * const entries: LegendEntry[] = [{ name: "training", colour: [64, 64, 64] }, { name: "validation", colour: [64, 64, 64], dash: true }];
 * ```
 */
export interface LegendEntry {
  name: string;
  colour: Rgb;
  dash?: boolean;
}

/**
 * Options of `lineChart` and `lineChartSvg`.
 *
 * @example
 * ```ts
 * const options: ChartOptions = { width: 480, height: 300, xTitle: "epoch", yTitle: "loss (nats)", title: "MNIST, 784-400-20" };
 * ```
 */
export interface ChartOptions {
  /** Picture size in pixels. Default 480 × 300. */
  width?: number;
  height?: number;
  /**
   * Values at the bottom and top of the plot area. Default: the extent of all finite values, widened to the
   * nearest round ticks when `labels` is on.
   */
  yRange?: readonly [number, number];
  /** Space around the plot area. Default: room for the tick labels, titles and frame. */
  margin?: Margin;
  /** Line width in pixels. Default 2. */
  lineWidth?: number;
  /**
   * Ticks at round numbers (steps of 1, 2 or 5 × 10^k; whole numbers across) on both axes, with their values, light
   * grid lines at them, and the axis titles. Default true.
   */
  labels?: boolean;
  /** The x value of the first point (for the labels). Default 1 (epochs count from 1). */
  xStart?: number;
  /** A title above the plot. */
  title?: string;
  /** The title under the x axis (e.g. "epoch"). */
  xTitle?: string;
  /** The title beside the y axis, reading upwards (e.g. "loss"). */
  yTitle?: string;
  /**
   * The legend: `false` for none, or its entries. Default: one entry per series with a `name`. It is drawn in the
   * corner (or the middle of the top or bottom edge) of the plot area that hides the fewest points of the lines; when
   * it would still hide some and the y range is automatic, the axis gets up to 3 ticks of headroom for it.
   */
  legend?: false | readonly LegendEntry[];
  /** Font pixels per picture pixel for all text (the font is 5 × 7 per capital). Default 2. */
  textScale?: number;
}

const DASH = [6, 4] as const;

/** The scene of a line chart: grid, frame, ticks and titles, the series, then the legend on top. */
function chartScene(series: readonly (ArrayLike<number> | ChartSeries)[], options: ChartOptions, what: string): Scene {
  if (!Array.isArray(series) || series.length === 0) throw new InvalidInputError(`${what}: give at least one series of values`);
  const list = series.map((s, k) => {
    const plain = Array.isArray(s) || ArrayBuffer.isView(s);
    const values = plain ? (s as ArrayLike<number>) : (s as ChartSeries)?.values;
    if (!values || typeof values.length !== "number" || typeof values === "string") {
      throw new InvalidInputError(`${what}: series ${k} must be an array of numbers or { values, colour, name, dash }`);
    }
    const c: Partial<ChartSeries> = plain ? {} : (s as ChartSeries);
    if (c.name !== undefined && typeof c.name !== "string") throw new InvalidInputError(`${what}: series ${k}'s name must be a string; got ${JSON.stringify(c.name)}`);
    return { values, colour: c.colour || PALETTE[k % PALETTE.length], name: c.name, dash: c.dash === true };
  });
  const n = Math.max(...list.map((s) => s.values.length));
  if (n === 0) throw new InvalidInputError(`${what}: every series is empty`);
  const width = side(`${what}: width`, options.width, 480);
  const height = side(`${what}: height`, options.height, 300);
  const lw = options.lineWidth ?? 2;
  if (!Number.isInteger(lw) || lw < 1 || lw > 16) throw new InvalidInputError(`${what}: lineWidth must be a whole number from 1 to 16; got ${JSON.stringify(lw)}`);
  const s = options.textScale ?? 2;
  if (!Number.isInteger(s) || s < 1 || s > 8) throw new InvalidInputError(`${what}: textScale must be a whole number from 1 to 8; got ${JSON.stringify(s)}`);
  for (const k of ["title", "xTitle", "yTitle"] as const) {
    if (options[k] !== undefined && typeof options[k] !== "string") throw new InvalidInputError(`${what}: ${k} must be a string; got ${JSON.stringify(options[k])}`);
  }
  const labels = options.labels ?? true;
  const x0 = options.xStart ?? 1;
  if (!Number.isFinite(x0)) throw new InvalidInputError(`${what}: xStart must be a finite number; got ${JSON.stringify(options.xStart)}`);
  const all = function* () { for (const q of list) for (let i = 0; i < q.values.length; i++) yield q.values[i]; };
  const lineH = LINE_HEIGHT * s, capH = CAP_HEIGHT * s;

  const entries = options.legend === false ? [] : options.legend ?? list.filter((q) => q.name).map((q) => ({ name: q.name!, colour: q.colour, dash: q.dash }));
  if (!Array.isArray(entries)) throw new InvalidInputError(`${what}: legend must be false or an array of { name, colour, dash }`);

  // Vertical layout first (it fixes how many y ticks fit), then the y labels' width fixes the left margin.
  const given = options.margin;
  const top = given?.top ?? 12 + (options.title ? lineH + 8 : 0);
  const bottom = given?.bottom ?? (labels ? 8 + 6 + capH + 6 + (options.xTitle ? lineH + 6 : 0) : 28);
  const yTarget = Math.max(2, Math.round((height - top - bottom) / (14 * s + 24)));
  const [lo0, hi0] = rangeOf(options.yRange, all(), `${what}: yRange`);
  const auto = labels && options.yRange === undefined;
  const [nlo, nhi, yStep] = auto ? niceRange(lo0, hi0, yTarget) : [lo0, hi0, 0];

  /** The layout with `extra` more ticks of headroom above the data, the series' pixels, and where the legend goes. */
  const layout = (extra: number) => {
    const lo = nlo, hi = nhi + extra * yStep;
    const yTicks = yStep ? ticksAt(lo, hi, yStep) : ticksOf(lo, hi, yTarget);
    const yLabelW = labels ? Math.max(...yTicks.labels.map((t) => textWidth(t, s))) : 0;
    const left = given?.left ?? (labels ? 8 + 6 + yLabelW + 8 + (options.yTitle ? lineH + 8 : 0) : 64);
    const right = given?.right ?? 16;
    const a = areaOf(width, height, { top, right, bottom, left }, what);
    const xOf = (i: number) => (n === 1 ? Math.round((a.left + a.right) / 2) : toX(a, i, 0, n - 1));
    // The series: a polyline per run of finite values, clamped into [lo, hi]; `drawn` samples them for the legend.
    const runs: { q: (typeof list)[number]; points: [number, number][] }[] = [];
    const drawn: [number, number][] = [];
    for (const q of list) {
      let run: [number, number][] = [];
      for (let i = 0; i <= q.values.length; i++) {
        const v = i < q.values.length ? q.values[i] : NaN;
        if (!Number.isFinite(v)) {
          if (run.length) runs.push({ q, points: run });
          run = [];
          continue;
        }
        const pt: [number, number] = [xOf(i), toY(a, Math.min(hi, Math.max(lo, v)), lo, hi)];
        if (run.length) {
          const [px, py] = run[run.length - 1];
          for (let t = 1; t < 8; t++) drawn.push([px + ((pt[0] - px) * t) / 8, py + ((pt[1] - py) * t) / 8]);
        }
        drawn.push(pt);
        run.push(pt);
      }
    }
    const legend = entries.length ? placeLegend(entries, a, drawn, s, what) : undefined;
    return { lo, hi, yTicks, yLabelW, a, xOf, runs, legend };
  };
  // A legend that would hide part of a line gets up to 3 ticks of headroom above the data to sit in, when the y range
  // is automatic.
  let L = layout(0);
  for (let extra = 1; extra <= 3 && auto && L.legend && L.legend.hidden > 0; extra++) {
    const M = layout(extra);
    if (M.legend!.hidden < L.legend.hidden) L = M;
  }
  const { lo, hi, yTicks, yLabelW, a, xOf } = L;
  const xTicks = n > 1 ? ticksOf(x0, x0 + n - 1, Math.max(2, Math.round((a.right - a.left) / (30 * s + 20))), 1) : ticksOf(x0, x0, 1, 1);

  const items: Item[] = [];
  const f = { l: a.left - 4, r: a.right + 4, t: a.top - 4, b: a.bottom + 4 };
  if (labels) {
    for (const v of yTicks.values) {
      const y = toY(a, v, lo, hi);
      items.push({ kind: "path", points: [[a.left, y], [a.right, y]], colour: GRID, width: 1 });
    }
    for (const v of xTicks.values) {
      const x = xOf(v - x0);
      items.push({ kind: "path", points: [[x, a.top], [x, a.bottom]], colour: GRID, width: 1 });
    }
  }
  frameItems(items, f, !!labels, xTicks.values.map((v) => xOf(v - x0)), xTicks.labels,
    yTicks.values.map((v) => toY(a, v, lo, hi)), yTicks.labels, s);
  if (labels) {
    const midX = Math.round((a.left + a.right) / 2), midY = Math.round((a.top + a.bottom) / 2);
    if (options.xTitle) items.push({ kind: "text", text: options.xTitle, x: midX, y: f.b + 8 + capH + 8, anchor: "middle", colour: INK, scale: s });
    if (options.yTitle) items.push({ kind: "text", text: options.yTitle, x: Math.max(0, f.l - 8 - yLabelW - 8 - lineH), y: midY, anchor: "middle", colour: INK, scale: s, upward: true });
  }
  if (options.title) items.push({ kind: "text", text: options.title, x: Math.round(width / 2), y: 6, anchor: "middle", colour: INK, scale: s });

  for (const r of L.runs) items.push({ kind: "path", points: r.points, colour: r.q.colour, width: lw, ...(r.q.dash ? { dash: DASH } : {}) });
  if (L.legend) items.push(...legendItems(entries, L.legend, lw, s));
  return { width, height, background: WHITE, items };
}

interface LegendBox {
  x: number;
  y: number;
  w: number;
  h: number;
  /** How many sampled points of the lines the box covers. */
  hidden: number;
}

const PAD = 5, SWATCH = 24;

/** The legend box where it covers the fewest of the lines' points: a corner of the plot area, or the top or bottom middle. */
function placeLegend(entries: readonly LegendEntry[], a: Area, drawn: readonly [number, number][], s: number, what: string): LegendBox {
  entries.forEach((e, k) => {
    if (!e || typeof e.name !== "string" || !Array.isArray(e.colour) || e.colour.length !== 3) {
      throw new InvalidInputError(`${what}: legend entry ${k} must be { name: string, colour: [r, g, b], dash?: boolean }`);
    }
  });
  const rowH = LINE_HEIGHT * s + 2;
  const w = PAD + SWATCH + 6 + Math.max(...entries.map((e) => textWidth(e.name, s))) + PAD;
  const h = PAD + entries.length * rowH - 2 - 2 * s + PAD; // the last row's descenders may reach into the padding
  const inset = 6, cx = Math.round((a.left + a.right - w) / 2);
  const corners: [number, number][] = [
    [a.right - inset - w, a.top + inset], [a.left + inset, a.top + inset],
    [a.right - inset - w, a.bottom - inset - h], [a.left + inset, a.bottom - inset - h],
    [cx, a.top + inset], [cx, a.bottom - inset - h],
  ];
  let best: LegendBox = { x: corners[0][0], y: corners[0][1], w, h, hidden: Infinity };
  for (const [x, y] of corners) {
    let hidden = 0;
    for (const [px, py] of drawn) if (px >= x - 2 && px <= x + w + 2 && py >= y - 2 && py <= y + h + 2) hidden++;
    if (hidden < best.hidden) best = { x, y, w, h, hidden };
  }
  return best;
}

/** The legend: a white box with a frame, and per entry a stretch of its line and its name. */
function legendItems(entries: readonly LegendEntry[], box: LegendBox, lw: number, s: number): Item[] {
  const { x, y, w, h } = box, rowH = LINE_HEIGHT * s + 2;
  const items: Item[] = [
    { kind: "rect", x, y, w, h, colour: WHITE },
    { kind: "path", points: [[x, y], [x + w - 1, y], [x + w - 1, y + h - 1], [x, y + h - 1], [x, y]], colour: FRAME, width: 1 },
  ];
  entries.forEach((e, k) => {
    const top = y + PAD + k * rowH, mid = top + Math.floor((CAP_HEIGHT * s) / 2);
    items.push({ kind: "path", points: [[x + PAD, mid], [x + PAD + SWATCH - 1, mid]], colour: e.colour, width: Math.max(2, lw), ...(e.dash ? { dash: [5, 3] as const } : {}) });
    items.push({ kind: "text", text: e.name, x: x + PAD + SWATCH + 6, y: top, anchor: "start", colour: INK, scale: s });
  });
  return items;
}

/**
 * A line chart as pixels: point i of every series at pixel column left + i·(right − left)/(n − 1) (n = the longest
 * series; a single point sits in the middle), a value v at row bottom − (v − lo)/(hi − lo)·(bottom − top), where the
 * plot area is [margin.left, width − 1 − margin.right] × [margin.top, height − 1 − margin.bottom]. A grey frame sits
 * 4 pixels outside the plot area. With `labels` (the default) both axes get ticks at round numbers with their
 * values and light grid lines, and `xTitle`/`yTitle`/`title` are drawn; series k is drawn in PALETTE[k] unless
 * given a colour, and named series get a legend (or give `legend` entries yourself). `lineChartSvg` draws the same
 * chart as SVG.
 *
 * @example
 * ```ts
 * import { lineChart, encodePng } from "vaekit/pictures";
 * const history = await vae.fit(x, { epochs: 10, validationData: testX });
 * const png = await encodePng(lineChart([
 *   { values: history.map((e) => e.loss), name: "training" },
 *   { values: history.map((e) => e.validation!.loss), name: "validation" },
 * ], { xTitle: "epoch", yTitle: "loss" }));
 * ```
 */
export function lineChart(series: readonly (ArrayLike<number> | ChartSeries)[], options: ChartOptions = {}): Picture {
  return rasterize(chartScene(series, options, "lineChart"), "lineChart");
}

/**
 * The chart `lineChart` draws, as an SVG document (a string): the same layout in the same pixel coordinates, with
 * lines as polylines and every title, tick value and legend name as a `<text>` element, so it stays sharp at any zoom.
 *
 * @example
 * ```ts
 * import { writeFile } from "node:fs/promises";
 * import { lineChartSvg } from "vaekit/pictures";
 * await writeFile("curves.svg", lineChartSvg([{ values: history.map((e) => e.loss), name: "loss" }], { xTitle: "epoch" }));
 * ```
 */
export function lineChartSvg(series: readonly (ArrayLike<number> | ChartSeries)[], options: ChartOptions = {}): string {
  return toSvg(chartScene(series, options, "lineChartSvg"));
}
