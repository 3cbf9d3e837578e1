// Pictures of conv models from the CLI: a model with inputShape [h, w, 3] draws its samples and reconstructions as
// colour images of its own shape without --shape (the model's inputShape is the default), pixel for pixel what
// imageGrid draws from the SDK's own calls; --shape HxWxC overrides, and a wrong one is a usage error.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VAE, type LayerSpec } from "../../src/index.js";
import { imageGrid, reconstructionGrid } from "../../src/pictures.js";
import { cli, oneLine, readPng } from "./helpers.js";

const SHAPE: [number, number, number] = [6, 6, 3];
const ENCODER: LayerSpec[] = [
  { type: "conv2d", filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
  { type: "flatten" },
];
const DECODER: LayerSpec[] = [
  { type: "dense", units: 3 * 3 * 4, activation: "relu" },
  { type: "reshape", shape: [3, 3, 4] },
  { type: "conv2dTranspose", filters: 3, kernelSize: 2, strides: 2, padding: "valid" },
];

let dir: string, modelPath: string, dataPath: string, vae: VAE, x: Float32Array;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vaekit-conv-pictures-"));
  vae = await VAE.create({ inputShape: SHAPE, encoder: ENCODER, decoder: DECODER, latentSize: 2, seed: 5 });
  modelPath = join(dir, "rgb.safetensors");
  writeFileSync(modelPath, vae.save());
  // 5 colour images: values on a 1/255 lattice so the grid's grey levels are exact
  x = new Float32Array(5 * 108);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 53 + 7) % 256) / 255;
  dataPath = join(dir, "rgb.csv");
  const rows: string[] = [];
  for (let r = 0; r < 5; r++) rows.push(Array.from(x.subarray(r * 108, (r + 1) * 108), (v) => String(v)).join(","));
  writeFileSync(dataPath, rows.join("\n") + "\n");
});
afterAll(() => vae?.dispose());

function samePixels(png: { width: number; height: number; data: Uint8Array }, p: { width: number; height: number; data: Uint8ClampedArray | Uint8Array }): void {
  expect([png.width, png.height]).toEqual([p.width, p.height]);
  expect(png.data).toEqual(new Uint8Array(p.data));
}

describe("CLI pictures of a colour conv model", () => {
  it("sample draws colour images of the model's inputShape, as imageGrid does", async () => {
    const out = join(dir, "samples.png");
    const r = await cli(["sample", modelPath, "-o", out, "--count", "4", "--seed", "9"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const png = readPng(out);
    const expected = imageGrid(vae.sample(4, { seed: 9 }), { shape: SHAPE, columns: 2 });
    samePixels(png, expected);
    expect(png.width).toBe(1 + 2 * (6 + 1));
    // colour, not grey: some pixel's channels differ
    let coloured = false;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] !== png.data[i + 1] || png.data[i + 1] !== png.data[i + 2]) coloured = true;
    expect(coloured).toBe(true);
  });

  it("reconstruct draws originals beside reconstructions in colour; --shape 6x6x3 gives the same picture", async () => {
    const a = join(dir, "recon-a.png"), b = join(dir, "recon-b.png");
    const ra = await cli(["reconstruct", modelPath, dataPath, "-o", a, "--columns", "2"]);
    expect(ra.stderr).toBe("");
    const rb = await cli(["reconstruct", modelPath, dataPath, "-o", b, "--columns", "2", "--shape", "6x6x3"]);
    expect(rb.code).toBe(0);
    const expected = reconstructionGrid(x, vae.reconstruct(x), { shape: SHAPE, columns: 2 });
    samePixels(readPng(a), expected);
    samePixels(readPng(b), expected);
    // the first original's top-left pixel, in colour, at (padding, padding)
    const png = readPng(a), at = (1 * png.width + 1) * 4;
    expect(Array.from(png.data.subarray(at, at + 3))).toEqual([0, 1, 2].map((c) => Math.round(x[c] * 255)));
  });

  it("a --shape that doesn't fit, or 2 channels, is a usage error naming what to give", async () => {
    const wrong = await cli(["sample", modelPath, "-o", join(dir, "w.png"), "--shape", "6x6"]);
    expect(wrong.code).not.toBe(0);
    expect(oneLine(wrong)).toMatch(/--shape 6x6 holds 36 values, but each example has 108/);
    const two = await cli(["sample", modelPath, "-o", join(dir, "w.png"), "--shape", "6x9x2"]);
    expect(oneLine(two)).toMatch(/--shape must be HxW or HxWxC with C = 1 or 3/);
  });
});
