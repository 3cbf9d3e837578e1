// vaekit/pictures: grids reproduce their images pixel for pixel, charts and scatters put their marks where the
// documented mapping says, and encodePng's bytes decode (with pngjs, an independent decoder) to the same pixels.
import { PNG } from "pngjs";
import { describe, expect, it, vi } from "vitest";
import { InvalidInputError, type VaekitError } from "../../src/index.js";
import {
  encodePng, imageGrid, latentScatter, lineChart, PALETTE, reconstructionGrid, type Picture,
} from "../../src/pictures.js";

function decode(bytes: Uint8Array): { width: number; height: number; data: Uint8Array; colourType: number } {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data), colourType: bytes[25] };
}

function pixel(p: { width: number; data: ArrayLike<number> }, x: number, y: number): number[] {
  const at = (y * p.width + x) * 4;
  return [p.data[at], p.data[at + 1], p.data[at + 2], p.data[at + 3]];
}

/** n images of h × w whose values are whole multiples of 1/255, distinct per position. */
function knownImages(n: number, h: number, w: number): Float32Array {
  const v = new Float32Array(n * h * w);
  for (let i = 0; i < v.length; i++) v[i] = ((i * 37 + 11) % 256) / 255;
  return v;
}

describe("imageGrid", () => {
  it("reproduces every image exactly at its documented place, zoomed, with white padding and empty cells", async () => {
    const [n, h, w, columns, padding, zoom] = [5, 3, 4, 2, 1, 2];
    const values = knownImages(n, h, w);
    const png = decode(await encodePng(imageGrid(values, { shape: [h, w], columns, padding, zoom })));
    expect([png.width, png.height]).toEqual([padding + columns * (w * zoom + padding), padding + 3 * (h * zoom + padding)]);
    expect(png.colourType).toBe(0); // greyscale
    const inside = new Set<number>();
    for (let k = 0; k < n; k++) {
      const x0 = padding + (k % columns) * (w * zoom + padding), y0 = padding + Math.floor(k / columns) * (h * zoom + padding);
      for (let y = 0; y < h * zoom; y++) {
        for (let x = 0; x < w * zoom; x++) {
          const g = Math.round(values[k * h * w + Math.floor(y / zoom) * w + Math.floor(x / zoom)] * 255);
          expect(pixel(png, x0 + x, y0 + y)).toEqual([g, g, g, 255]);
          inside.add((y0 + y) * png.width + x0 + x);
        }
      }
    }
    let white = 0;
    for (let i = 0; i < png.width * png.height; i++) {
      if (inside.has(i)) continue;
      expect(pixel(png, i % png.width, Math.floor(i / png.width))).toEqual([255, 255, 255, 255]);
      white++;
    }
    expect(white).toBe(png.width * png.height - n * h * w * zoom * zoom); // the sixth cell is background too
  });

  it("maps range to black and white, clamping outside it, and defaults to a square-ish layout", () => {
    const p = imageGrid([-1, 0, 1, 2], { shape: [1, 1], range: [-1, 1], padding: 0 });
    expect([p.width, p.height]).toEqual([2, 2]);
    expect([pixel(p, 0, 0)[0], pixel(p, 1, 0)[0], pixel(p, 0, 1)[0], pixel(p, 1, 1)[0]]).toEqual([0, 128, 255, 255]);
    expect(imageGrid(new Float32Array(10 * 4), { shape: [2, 2] }).width).toBe(1 + 4 * 3); // ⌈√10⌉ = 4 columns
  });

  it("rejects values that are not whole images, NaN, and bad options, with InvalidInputError", () => {
    expect(() => imageGrid(new Float32Array(785), { shape: [28, 28] })).toThrow(/785 values, not a whole number of 28 × 28/);
    expect(() => imageGrid([0, NaN], { shape: [1, 2] })).toThrow(/image 0, row 0, column 1 is NaN/);
    expect(() => imageGrid([0], { shape: [0, 1] })).toThrow(InvalidInputError);
    expect(() => imageGrid([0], { shape: [1, 1], range: [1, 0] })).toThrow(/range must be \[lo, hi\]/);
    expect(() => imageGrid([0], { shape: [1, 1], columns: 1.5 })).toThrow(/columns must be a whole number/);
  });

  it("draws channels-last RGB images ([h, w, 3]) in colour, and [h, w, 1] as [h, w]", async () => {
    const [n, h, w] = [3, 2, 3];
    const values = knownImages(n, h, w * 3); // n × h × w × 3 values on the 1/255 lattice
    const png = decode(await encodePng(imageGrid(values, { shape: [h, w, 3], columns: 2, padding: 1 })));
    expect(png.colourType).toBe(2); // truecolour: the channels differ
    expect([png.width, png.height]).toEqual([1 + 2 * (w + 1), 1 + 2 * (h + 1)]);
    for (let k = 0; k < n; k++) {
      const x0 = 1 + (k % 2) * (w + 1), y0 = 1 + Math.floor(k / 2) * (h + 1);
      for (let r = 0; r < h; r++) {
        for (let c = 0; c < w; c++) {
          const i = ((k * h + r) * w + c) * 3;
          expect(pixel(png, x0 + c, y0 + r)).toEqual([values[i], values[i + 1], values[i + 2]].map((v) => Math.round(v * 255)).concat(255));
        }
      }
    }
    const grey = knownImages(2, h, w);
    expect(imageGrid(grey, { shape: [h, w, 1] }).data).toEqual(imageGrid(grey, { shape: [h, w] }).data);
    expect(() => imageGrid(new Float32Array(8), { shape: [2, 2, 2] })).toThrow(/channels\) must be 1 \(grey\) or 3 \(RGB\); got 2/);
    expect(() => imageGrid(new Float32Array(13), { shape: [2, 2, 3] })).toThrow(/13 values, not a whole number of 2 × 2 × 3 images/);
  });
});

describe("reconstructionGrid", () => {
  it("puts each reconstruction beside its original, pairs gap pixels apart", () => {
    const [n, h, w, padding, gap, columns] = [3, 2, 3, 1, 4, 2];
    const originals = new Float32Array(n * h * w).fill(0);
    const recon = new Float32Array(n * h * w).fill(1);
    for (let k = 0; k < n; k++) originals[k * h * w] = (k + 1) / 255; // mark each original's first value
    const p = reconstructionGrid(originals, recon, { shape: [h, w], columns, padding, gap, background: [255, 0, 0] });
    const pw = 2 * (w + padding) + gap - padding;
    expect([p.width, p.height]).toEqual([padding + columns * pw - gap + padding, padding + 2 * (h + padding)]);
    for (let k = 0; k < n; k++) {
      const x = padding + (k % columns) * pw, y = padding + Math.floor(k / columns) * (h + padding);
      expect(pixel(p, x, y)).toEqual([k + 1, k + 1, k + 1, 255]);
      expect(pixel(p, x + w - 1, y + h - 1)).toEqual([0, 0, 0, 255]);
      expect(pixel(p, x + w, y)).toEqual([255, 0, 0, 255]); // the padding between original and reconstruction
      expect(pixel(p, x + w + padding, y)).toEqual([255, 255, 255, 255]);
      expect(pixel(p, x + 2 * w + padding - 1, y + h - 1)).toEqual([255, 255, 255, 255]);
      expect(pixel(p, x + 2 * w + padding, y)).toEqual([255, 0, 0, 255]); // the gap after the pair
    }
    expect(() => reconstructionGrid(originals, recon.subarray(1), { shape: [h, w] })).toThrow(/one reconstruction per original/);
  });
});

describe("lineChart", () => {
  const margin = { top: 10, right: 10, bottom: 10, left: 10 };
  // Plot area: x from 10 to 90, y from 10 (top, value 1) to 50 (bottom, value 0).
  const options = { width: 101, height: 61, margin, yRange: [0, 1] as [number, number], labels: false, lineWidth: 1 };

  it("draws each series through its points, later series on top, with a frame 4 pixels outside", () => {
    const p = lineChart([[0, 1, 0.5], { values: [0.25, 0.25, 0.25], colour: [1, 2, 3] }], options);
    const blue = [...PALETTE[0], 255];
    expect(pixel(p, 10, 50)).toEqual(blue);
    expect(pixel(p, 50, 10)).toEqual(blue);
    expect(pixel(p, 90, 30)).toEqual(blue);
    expect(pixel(p, 30, 30)).toEqual(blue); // halfway along the first segment
    expect(pixel(p, 70, 20)).toEqual(blue); // halfway along the second
    for (let x = 10; x <= 90; x++) expect(pixel(p, x, 40)).toEqual([1, 2, 3, 255]); // 0.25 → row 50 − 0.25·40
    expect(pixel(p, 30, 45)).toEqual([255, 255, 255, 255]);
    expect(pixel(p, 6, 6)).toEqual([200, 200, 200, 255]);
    expect(pixel(p, 94, 54)).toEqual([200, 200, 200, 255]);
    let coloured = 0;
    for (let i = 0; i < p.data.length; i += 4) if (p.data[i] !== p.data[i + 1] || p.data[i] !== p.data[i + 2]) coloured++;
    expect(coloured).toBe(81 + 81 - 1); // one pixel per column for each series, crossing once; nothing else coloured
  });

  it("leaves a gap at NaN, auto-ranges to the data, and draws axis numbers only when asked", () => {
    const gap = lineChart([[0, NaN, 1]], options);
    expect(pixel(gap, 30, 40)).toEqual([255, 255, 255, 255]);
    expect(pixel(gap, 10, 50)).toEqual([...PALETTE[0], 255]);
    expect(pixel(gap, 90, 10)).toEqual([...PALETTE[0], 255]);
    const auto = lineChart([[5, 7]], { ...options, yRange: undefined });
    expect(pixel(auto, 10, 50)).toEqual([...PALETTE[0], 255]);
    expect(pixel(auto, 90, 10)).toEqual([...PALETTE[0], 255]);
    const ink = (q: Picture) => { let c = 0; for (let i = 0; i < q.data.length; i += 4) if (q.data[i] === 64) c++; return c; };
    expect(ink(lineChart([[100, 120]], { labels: false }))).toBe(0);
    expect(ink(lineChart([[100, 120]]))).toBeGreaterThan(20);
    expect(() => lineChart([])).toThrow(InvalidInputError);
    expect(() => lineChart([[1]], { width: 4 })).toThrow(/width must be a whole number of pixels/);
  });
});

describe("latentScatter", () => {
  it("puts each point at its documented pixel in its label's colour", () => {
    const points = [0, 0, 1, 1, -1, -1, 1, -1, 0.5, 0];
    const p = latentScatter(points, {
      labels: [0, 1, 2, 13, 4], width: 101, height: 101, radius: 0, xRange: [-1, 1], yRange: [-1, 1],
    });
    // Plot area 8 … 92 both ways; x = −1 → 8, 1 → 92; y = 1 → 8 (top), −1 → 92.
    expect(pixel(p, 50, 50)).toEqual([...PALETTE[0], 255]);
    expect(pixel(p, 92, 8)).toEqual([...PALETTE[1], 255]);
    expect(pixel(p, 8, 92)).toEqual([...PALETTE[2], 255]);
    expect(pixel(p, 92, 92)).toEqual([...PALETTE[3], 255]); // label 13 → colour 3
    expect(pixel(p, 71, 50)).toEqual([...PALETTE[4], 255]);
    expect(pixel(p, 50, 20)).toEqual([232, 232, 232, 255]); // the x = 0 line
    expect(pixel(p, 4, 4)).toEqual([200, 200, 200, 255]); // the frame
  });

  it("draws discs of the given radius, picks the axes asked for, and checks its input", () => {
    const p = latentScatter([9, 5, 0, 1, 5, 3], { columns: 3, axes: [2, 0], radius: 2, width: 64, height: 64 });
    let dots = 0;
    for (let i = 0; i < p.data.length; i += 4) if (p.data[i] === PALETTE[0][0] && p.data[i + 1] === PALETTE[0][1]) dots++;
    // Two points, (0, 9) and (3, 1) on axes (2, 0): corners of the auto range; a disc of radius 2 covers 13 pixels.
    expect(dots).toBe(2 * 13);
    expect(pixel(p, 8, 8)).toEqual([...PALETTE[0], 255]);
    expect(pixel(p, 55, 55)).toEqual([...PALETTE[0], 255]);
    expect(() => latentScatter([0, 0, 1], {})).toThrow(/n × 2 values/);
    expect(() => latentScatter([0, 0], { labels: [0, 1] })).toThrow(/2 labels for 1 points/);
    expect(() => latentScatter([0, 0], { labels: [0.5] })).toThrow(/class indices/);
    expect(() => latentScatter([0, 0], { axes: [0, 2] })).toThrow(/axes must name two columns/);
  });
});

describe("encodePng", () => {
  it("writes RGB when every pixel is opaque and RGBA otherwise, and the pixels come back exactly", async () => {
    const rgb = lineChart([[1, 2, 3]], { width: 120, height: 80 });
    const a = decode(await encodePng(rgb));
    expect(a.colourType).toBe(2);
    expect(a.data).toEqual(new Uint8Array(rgb.data));
    const data = new Uint8ClampedArray(3 * 2 * 4).map((_, i) => (i * 29) % 256);
    const b = decode(await encodePng({ width: 3, height: 2, data }));
    expect(b.colourType).toBe(6);
    expect(b.data).toEqual(new Uint8Array(data));
    await expect(encodePng({ width: 3, height: 2, data: new Uint8ClampedArray(5) })).rejects.toThrow(/width × height × 4 RGBA bytes/);
  });

  it("says how to install fast-png when it is missing", async () => {
    vi.resetModules();
    vi.doMock("fast-png", () => { throw new Error("Cannot find package 'fast-png'"); });
    try {
      const fresh = await import("../../src/pictures.js");
      const { VaekitError: FreshError } = await import("../../src/index.js"); // the class of the fresh module graph
      const err = await fresh.encodePng(imageGrid([0], { shape: [1, 1] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FreshError);
      expect((err as VaekitError).code).toBe("MISSING_DEPENDENCY");
      expect((err as Error).message).toMatch(/npm install fast-png/);
    } finally {
      vi.doUnmock("fast-png");
      vi.resetModules();
    }
  });
});
