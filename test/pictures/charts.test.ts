// The readable charts: round-number ticks that cover the data, the bitmap font drawn as its art says, legends in the
// series' and classes' colours, dashed lines, and SVG that parses as XML (with an independent parser) and carries
// the same titles, tick labels and marks as the pixels.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/index.js";
import { latentScatter, latentScatterSvg, lineChart, lineChartSvg, PALETTE, type Picture, type Rgb } from "../../src/pictures.js";
import { drawText, textWidth } from "../../src/pictures/font.js";
import { CHARS, ROWS } from "../../src/pictures/glyphs.js";
import { blank } from "../../src/pictures/picture.js";
import { niceRange, ticksAt, ticksOf } from "../../src/pictures/ticks.js";
// @ts-expect-error -- plain .mjs build scripts without types
import { glyphsSource } from "../../scripts/build-font.mjs";
// @ts-expect-error -- the same
import { ART } from "../../scripts/font-art.mjs";
import { readFileSync } from "node:fs";

const INK: Rgb = [64, 64, 64];
const same = (p: Picture, x: number, y: number, c: Rgb) => {
  const at = (y * p.width + x) * 4;
  return p.data[at] === c[0] && p.data[at + 1] === c[1] && p.data[at + 2] === c[2];
};
const countIn = (p: Picture, c: Rgb, x0 = 0, y0 = 0, x1 = p.width, y1 = p.height) => {
  let k = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (same(p, x, y, c)) k++;
  return k;
};
/** The longest run of pixels of colour c along row y. */
const longestRun = (p: Picture, y: number, c: Rgb) => {
  let best = 0, run = 0;
  for (let x = 0; x < p.width; x++) {
    run = same(p, x, y, c) ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
};

/** Every element named `tag` anywhere in a parsed XML tree. */
function elements(node: unknown, tag: string, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(node)) for (const n of node) elements(n, tag, out);
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === tag) for (const e of Array.isArray(v) ? v : [v]) out.push(e as Record<string, unknown>);
      elements(v, tag, out);
    }
  }
  return out;
}

function parseSvg(svg: string): { root: Record<string, unknown>; texts: { text: string; x: number; y: number; anchor?: string }[] } {
  expect(XMLValidator.validate(svg)).toBe(true);
  const root = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", parseAttributeValue: false, textNodeName: "#text" }).parse(svg);
  expect(root.svg.xmlns).toBe("http://www.w3.org/2000/svg");
  const texts = elements(root, "text").map((t) => ({ text: String(t["#text"]), x: Number(t.x), y: Number(t.y), anchor: t["text-anchor"] as string | undefined }));
  return { root, texts };
}

const isRoundStep = (step: number) => {
  const m = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
  return [1, 2, 5, 10].some((r) => Math.abs(m - r) < 1e-9);
};

describe("ticks", () => {
  it("are whole multiples of a 1-2-5 step, inside the range, at most a step from either end, labelled exactly", () => {
    let seed = 3;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 500; trial++) {
      const scale = 10 ** Math.floor(rand() * 12 - 6);
      const lo = (rand() - 0.5) * 10 * scale, hi = lo + (0.01 + rand() * 5) * scale;
      const target = 2 + Math.floor(rand() * 8);
      const t = ticksOf(lo, hi, target);
      expect(isRoundStep(t.step)).toBe(true);
      expect(t.values.length).toBeGreaterThanOrEqual(1);
      expect(t.values.length).toBeLessThanOrEqual(3 * target + 1);
      for (const v of t.values) {
        expect(Math.abs(v / t.step - Math.round(v / t.step))).toBeLessThan(1e-6);
        expect(v).toBeGreaterThanOrEqual(lo - t.step * 1e-6);
        expect(v).toBeLessThanOrEqual(hi + t.step * 1e-6);
      }
      expect(t.values[0] - lo).toBeLessThan(t.step * (1 + 1e-9));
      expect(hi - t.values[t.values.length - 1]).toBeLessThan(t.step * (1 + 1e-9));
      t.labels.forEach((s, k) => expect(Math.abs(Number(s) - t.values[k])).toBeLessThanOrEqual(Math.abs(t.values[k]) * 1e-3 + t.step * 1e-6));
      const [a, b, step] = niceRange(lo, hi, target);
      expect(isRoundStep(step)).toBe(true);
      expect(a).toBeLessThanOrEqual(lo);
      expect(b).toBeGreaterThanOrEqual(hi);
      expect(lo - a).toBeLessThan(step * (1 + 1e-9));
      expect(b - hi).toBeLessThan(step * (1 + 1e-9));
      const widened = ticksAt(a, b, step); // the ticks of a widened axis sit on both its ends
      expect(widened.values[0]).toBeCloseTo(a, 9);
      expect(widened.values[widened.values.length - 1] / step).toBeCloseTo(b / step, 6);
    }
    expect(ticksOf(0, 1, 5).labels).toEqual(["0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
    expect(ticksOf(104.3, 183.2, 4).labels).toEqual(["120", "140", "160", "180"]);
    expect(niceRange(104.3, 183.2, 4)).toEqual([100, 200, 20]);
    expect(ticksOf(1, 10, 5, 1).values).toEqual([2, 4, 6, 8, 10]);
    expect(ticksOf(1, 3, 8, 1).values).toEqual([1, 2, 3]); // never a step below 1 across epochs
  });
});

describe("the bitmap font", () => {
  it("is the packed form of its art, and draws each glyph's pixels exactly (across, and turned upwards)", () => {
    const src = readFileSync(new URL("../../src/pictures/glyphs.ts", import.meta.url), "utf8");
    expect(src).toBe(glyphsSource(ART));
    expect(CHARS.length * 9).toBe(ROWS.length);
    for (const ch of "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-+e") expect(CHARS).toContain(ch);
    for (const ch of ["E", "g", "7", "β"]) {
      const rows = (ART[ch] as string).split("/");
      for (const scale of [1, 2]) {
        const p = blank(20, 40, [255, 255, 255], "test");
        drawText(p, ch, 3, 4, INK, scale);
        const up = blank(40, 20, [255, 255, 255], "test");
        drawText(up, ch, 4, 16, INK, scale, true);
        for (let r = 0; r < 9; r++) {
          for (let c = 0; c < 5; c++) {
            const ink = (rows[r] ?? ".....")[c] === "#";
            for (let d = 0; d < scale * scale; d++) {
              const dx = d % scale, dy = Math.floor(d / scale);
              expect(same(p, 3 + c * scale + dx, 4 + r * scale + dy, INK)).toBe(ink);
              // turned a quarter left: glyph column c runs up from the baseline corner, glyph row r to the right
              expect(same(up, 4 + r * scale + dy, 16 - (c + 1) * scale + dx, INK)).toBe(ink);
            }
          }
        }
        expect(countIn(p, INK)).toBe((rows.join("").match(/#/g)?.length ?? 0) * scale * scale);
      }
    }
    expect(textWidth("120", 2)).toBe((3 * 6 - 1) * 2);
    const unknown = blank(8, 12, [255, 255, 255], "t"), question = blank(8, 12, [255, 255, 255], "t");
    drawText(unknown, "\u2603", 0, 0, INK, 1);
    drawText(question, "?", 0, 0, INK, 1);
    expect(unknown.data).toEqual(question.data); // a character the font lacks shows as "?"
  });
});

describe("lineChart's axes, titles and legend", () => {
  const loss = [183.2, 141.5, 128.3, 121.0, 116.4, 113.1, 110.9, 109.0, 107.6, 106.3];
  const kl = loss.map((_, i) => 18 + i * 0.5);

  it("labels round ticks covering the data, titles both axes, and puts the legend in the series' colours", () => {
    const series = [{ values: loss, name: "loss" }, { values: kl, name: "KL", dash: true }];
    const options = { xTitle: "epoch", yTitle: "nats per example", title: "MNIST" };
    const { texts } = parseSvg(lineChartSvg(series, options));
    const words = texts.map((t) => t.text);
    for (const w of ["epoch", "nats per example", "MNIST", "loss", "KL"]) expect(words).toContain(w);
    const yTicks = texts.filter((t) => t.anchor === "end").map((t) => Number(t.text));
    const xTicks = texts.filter((t) => t.anchor === "middle" && /^\d+$/.test(t.text)).map((t) => Number(t.text));
    expect(yTicks.length).toBeGreaterThanOrEqual(4);
    const step = yTicks[1] - yTicks[0];
    expect(isRoundStep(step)).toBe(true);
    yTicks.forEach((v, k) => expect(v).toBeCloseTo(yTicks[0] + k * step, 9));
    expect(yTicks[0]).toBeLessThanOrEqual(Math.min(...kl)); // the axis covers the data: auto range widened to ticks
    expect(yTicks[yTicks.length - 1]).toBeGreaterThanOrEqual(Math.max(...loss));
    expect(xTicks.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...xTicks)).toBeLessThanOrEqual(2);
    expect(Math.max(...xTicks)).toBe(10);
    for (const v of xTicks) expect(Number.isInteger(v)).toBe(true);

    // The legend, against the same chart without one (a fixed y range, so the layout is the same): what it adds is a
    // white box with a solid swatch in the loss's colour, a dashed one (steps 5 on, 3 off) in the KL's, and the names in ink.
    const fixed = { ...options, yRange: [0, 250] as [number, number] };
    const p = lineChart(series, fixed), none = lineChart(series, { ...fixed, legend: false });
    expect([p.width, p.height]).toEqual([none.width, none.height]);
    const added = (c: Rgb) => {
      const at: [number, number][] = [];
      for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) if (same(p, x, y, c) && !same(none, x, y, c)) at.push([x, y]);
      return at;
    };
    const solid = added(PALETTE[0]), dashed = added(PALETTE[1]), ink = added(INK);
    expect(solid.length).toBeGreaterThanOrEqual(24 * 2); // 24 pixels long, 2 wide
    const dashRow = dashed.filter(([, y]) => y === dashed[0][1]).map(([x]) => x);
    const x0 = dashRow[0];
    // dots 2 pixels wide at steps 0–4, 8–12, 16–20 of the 24: dashes of 6 with gaps of 2
    expect(dashRow.map((x) => x - x0)).toEqual([0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21]);
    expect(Math.min(...dashed.map(([, y]) => y))).toBeGreaterThan(Math.max(...solid.map(([, y]) => y))); // KL's row under loss's
    expect(ink.length).toBeGreaterThan(100); // "loss" and "KL" in the font
    for (const [x, y] of ink) expect(x).toBeGreaterThan(x0 + 20); // the names right of the swatches
  });

  it("draws dashed series 6 pixels on and 4 off, and the SVG's lines at the same pixels as the PNG's", () => {
    const options = { width: 121, height: 61, margin: { top: 10, right: 10, bottom: 10, left: 10 }, yRange: [0, 1] as [number, number], labels: false, lineWidth: 1 };
    const p = lineChart([{ values: [0.5, 0.5], dash: true, colour: [9, 9, 9] as Rgb }], options);
    const row = [...Array(101).keys()].map((i) => same(p, 10 + i, 30, [9, 9, 9]));
    row.forEach((on, i) => expect(on).toBe(i % 10 < 6));
    const { root } = parseSvg(lineChartSvg([[0, 1, 0.25]], options));
    const lines = elements(root, "polyline").filter((l) => l.stroke === "#1f77b4");
    expect(lines).toHaveLength(1);
    const pts = String(lines[0].points).split(" ").map((s) => s.split(",").map(Number));
    const solid = lineChart([[0, 1, 0.25]], options);
    for (const [x, y] of pts) expect(same(solid, x - 0.5, y - 0.5, PALETTE[0])).toBe(true);
    expect(pts).toEqual([[10.5, 50.5], [60.5, 10.5], [110.5, 40.5]]);
  });

  it("rejects bad titles, legends and text scales with InvalidInputError", () => {
    expect(() => lineChart([[1, 2]], { xTitle: 3 as unknown as string })).toThrow(/xTitle must be a string/);
    expect(() => lineChart([[1, 2]], { textScale: 0 })).toThrow(/textScale must be a whole number/);
    expect(() => lineChart([[1, 2]], { legend: [{ name: "a" } as never] })).toThrow(InvalidInputError);
    expect(() => lineChartSvg([[1, 2]], { width: 3 })).toThrow(/lineChartSvg: width/);
  });
});

describe("latentScatter's axes and class legend", () => {
  const n = 300;
  const points = new Float32Array(2 * n), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 4;
    points[2 * i] = -2.3 + (4.6 * i) / n;
    points[2 * i + 1] = Math.sin(i) * 1.7;
  }
  const options = { labels, ticks: true, xTitle: "z0", yTitle: "z1", legend: ["zero", "one", "two", "three"] };

  it("draws a legend dot in each class colour beside its name, right of the plot, and ticks covering the points", () => {
    const p = latentScatter(points, options);
    const { root, texts } = parseSvg(latentScatterSvg(points, options));
    const words = texts.map((t) => t.text);
    for (const w of ["z0", "z1", "zero", "one", "two", "three"]) expect(words).toContain(w);
    const circles = elements(root, "circle");
    expect(circles).toHaveLength(n + 4);
    const legendDots = circles.slice(n);
    legendDots.forEach((c, k) => expect(c.fill).toBe("#" + PALETTE[k].map((v) => v.toString(16).padStart(2, "0")).join("")));
    // In the pixels: the legend column (right of every data dot) holds a disc of each class colour.
    const dataRight = Math.max(...circles.slice(0, n).map((c) => Number(c.cx)));
    for (let k = 0; k < 4; k++) expect(countIn(p, PALETTE[k], Math.ceil(dataRight) + 8, 0)).toBeGreaterThanOrEqual(60);
    const xTicks = texts.filter((t) => t.anchor === "middle" && /^-?[\d.]+$/.test(t.text)).map((t) => Number(t.text));
    const yTicks = texts.filter((t) => t.anchor === "end").map((t) => Number(t.text));
    expect(Math.min(...xTicks)).toBeLessThanOrEqual(-2.3);
    expect(Math.max(...xTicks)).toBeGreaterThanOrEqual(2.3 - 4.6 / n);
    expect(Math.min(...yTicks)).toBeLessThanOrEqual(-1.69);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(1.69);
    expect(isRoundStep(xTicks[1] - xTicks[0])).toBe(true);
  });

  it("legend: true names the labels that occur, and anything but true, false or names is rejected", () => {
    const { texts } = parseSvg(latentScatterSvg(points, { labels, legend: true }));
    expect(texts.map((t) => t.text)).toEqual(["0", "1", "2", "3"]);
    expect(() => latentScatter(points, { legend: 3 as never })).toThrow(/legend must be true, false or an array/);
  });
});
