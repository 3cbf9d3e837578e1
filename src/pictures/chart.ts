// Training curves: one polyline per series (e.g. training and validation loss per epoch), drawn into pixels.
import { InvalidInputError } from "../errors.js";
import { drawText, formatNumber, textWidth } from "./font.js";
import { FRAME, INK, PALETTE } from "./palette.js";
import { blank, line, WHITE, type Picture, type Rgb } from "./picture.js";
import { areaOf, rangeOf, side, toX, toY, type Margin } from "./plot-area.js";

/**
 * One line of a chart: its values (point i at x = i; NaN leaves a gap) and its colour (default PALETTE[index]).
 *
 * @example
 * ```ts
 * const s: ChartSeries = { values: history.map((e) => e.loss), colour: [31, 119, 180] };
 * ```
 */
export interface ChartSeries {
  values: ArrayLike<number>;
  colour?: Rgb;
}

/**
 * Options of `lineChart`.
 *
 * @example
 * ```ts
 * const options: ChartOptions = { width: 480, height: 300, yRange: [90, 200] };
 * ```
 */
export interface ChartOptions {
  /** Picture size in pixels. Default 480 × 300. */
  width?: number;
  height?: number;
  /** Values at the bottom and top of the plot area. Default: the extent of all finite values. */
  yRange?: readonly [number, number];
  /** Space around the plot area. Default { top: 12, right: 16, bottom: 28, left: 64 }. */
  margin?: Margin;
  /** Line width in pixels. Default 2. */
  lineWidth?: number;
  /** Draw the y range's ends and the first and last x value as numbers. Default true. */
  labels?: boolean;
  /** The x value of the first point (for the labels). Default 1 (epochs count from 1). */
  xStart?: number;
}

/**
 * A line chart: point i of every series at pixel column left + i·(right − left)/(n − 1) (n = the longest series;
 * a single point sits in the middle), a value v at row bottom − (v − lo)/(hi − lo)·(bottom − top), where the
 * plot area is [margin.left, width − 1 − margin.right] × [margin.top, height − 1 − margin.bottom]. A grey frame
 * sits 4 pixels outside the plot area; the axis numbers (y range, first and last x) beside it. No legend: series
 * k is drawn in PALETTE[k] unless given a colour.
 *
 * @example
 * ```ts
 * import { lineChart, encodePng } from "vaekit/pictures";
 * const history = await vae.fit(x, { epochs: 10, validationData: testX });
 * const png = await encodePng(lineChart([history.map((e) => e.loss), history.map((e) => e.validation!.loss)]));
 * ```
 */
export function lineChart(series: readonly (ArrayLike<number> | ChartSeries)[], options: ChartOptions = {}): Picture {
  if (!Array.isArray(series) || series.length === 0) throw new InvalidInputError("lineChart: give at least one series of values");
  const list: { values: ArrayLike<number>; colour: Rgb }[] = series.map((s, k) => {
    const plain = Array.isArray(s) || ArrayBuffer.isView(s);
    const values = plain ? (s as ArrayLike<number>) : (s as ChartSeries)?.values;
    if (!values || typeof values.length !== "number" || typeof values === "string") {
      throw new InvalidInputError(`lineChart: series ${k} must be an array of numbers or { values, colour }`);
    }
    return { values, colour: (!plain && (s as ChartSeries).colour) || PALETTE[k % PALETTE.length] };
  });
  const n = Math.max(...list.map((s) => s.values.length));
  if (n === 0) throw new InvalidInputError("lineChart: every series is empty");
  const width = side("lineChart: width", options.width, 480);
  const height = side("lineChart: height", options.height, 300);
  const margin = options.margin ?? { top: 12, right: 16, bottom: 28, left: 64 };
  const a = areaOf(width, height, margin, "lineChart");
  const all = function* () { for (const s of list) for (let i = 0; i < s.values.length; i++) yield s.values[i]; };
  const [lo, hi] = rangeOf(options.yRange, all(), "lineChart: yRange");
  const lw = options.lineWidth ?? 2;
  if (!Number.isInteger(lw) || lw < 1 || lw > 16) throw new InvalidInputError(`lineChart: lineWidth must be a whole number from 1 to 16; got ${JSON.stringify(lw)}`);
  const p = blank(width, height, WHITE, "lineChart");

  const f = { l: a.left - 4, r: a.right + 4, t: a.top - 4, b: a.bottom + 4 };
  line(p, f.l, f.t, f.r, f.t, FRAME);
  line(p, f.l, f.b, f.r, f.b, FRAME);
  line(p, f.l, f.t, f.l, f.b, FRAME);
  line(p, f.r, f.t, f.r, f.b, FRAME);
  if (options.labels ?? true) {
    const s = 2, x0 = options.xStart ?? 1;
    const top = formatNumber(hi), bottom = formatNumber(lo);
    drawText(p, top, f.l - 4 - textWidth(top, s), a.top - 5, INK, s);
    drawText(p, bottom, f.l - 4 - textWidth(bottom, s), a.bottom - 5, INK, s);
    const first = formatNumber(x0), last = formatNumber(x0 + n - 1);
    drawText(p, first, a.left - Math.floor(textWidth(first, s) / 2), f.b + 6, INK, s);
    if (n > 1) drawText(p, last, a.right - Math.floor(textWidth(last, s) / 2), f.b + 6, INK, s);
  }

  const xOf = (i: number) => (n === 1 ? Math.round((a.left + a.right) / 2) : toX(a, i, 0, n - 1));
  for (const s of list) {
    let prev: [number, number] | undefined;
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      if (!Number.isFinite(v)) {
        prev = undefined;
        continue;
      }
      const pt: [number, number] = [xOf(i), toY(a, Math.min(hi, Math.max(lo, v)), lo, hi)];
      line(p, ...(prev ?? pt), ...pt, s.colour, lw);
      prev = pt;
    }
  }
  return p;
}
