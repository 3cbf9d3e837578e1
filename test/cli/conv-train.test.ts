// vaekit train with layer lists (--shape, --encoder, --decoder; compact specs or JSON): the file the command writes
// is byte for byte the one the SDK writes after the same fit, and mistakes are usage errors that say what to write.
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { VAE, type LayerSpec } from "../../src/index.js";
import { cli, mnistFiles, type Files } from "./helpers.js";

let f: Files;
beforeAll(async () => {
  f = await mnistFiles();
});

const ENCODER: LayerSpec[] = [
  { type: "conv2d", filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
  { type: "batchNorm" },
  { type: "flatten" },
  { type: "dense", units: 8, activation: "relu" },
];
const DECODER: LayerSpec[] = [
  { type: "dense", units: 196, activation: "relu" },
  { type: "reshape", shape: [7, 7, 4] },
  { type: "conv2dTranspose", filters: 1, kernelSize: 4, strides: 4, padding: "valid" },
];

describe("vaekit train --encoder/--decoder", () => {
  it("compact specs and a JSON file give the SDK's model, bit for bit", async () => {
    const out = f.path("conv.safetensors"), out2 = f.path("conv2.safetensors");
    const common = ["--shape", "28x28x1", "--latent", "2", "--epochs", "1", "--batch-size", "50", "--seed", "3", "--quiet"];
    const r = await cli(["train", f.npy, "-o", out, ...common,
      "--encoder", "conv2d:4:k3:s2:psame:relu,bn,flatten,dense:8:relu",
      "--decoder", "dense:196:relu,reshape:7x7x4,conv2dTranspose:1:k4:s4:pvalid"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const json = f.path("decoder.json");
    writeFileSync(json, JSON.stringify(DECODER));
    const r2 = await cli(["train", f.npy, "-o", out2, ...common, "--encoder", JSON.stringify(ENCODER), "--decoder", json]);
    expect(r2.code).toBe(0);
    const vae = await VAE.create({ inputShape: [28, 28, 1], encoder: ENCODER, decoder: DECODER, latentSize: 2, seed: 3 });
    await vae.fit(f.x, { epochs: 1, batchSize: 50 });
    const sdk = vae.save();
    vae.dispose();
    expect(new Uint8Array(readFileSync(out))).toEqual(sdk);
    expect(new Uint8Array(readFileSync(out2))).toEqual(sdk);
  });

  it("usage errors: a lone --encoder, a wrong --shape, an unknown layer, --hidden beside a list", async () => {
    const run = (...a: string[]) => cli(["train", f.npy, "-o", f.path("x.safetensors"), "--quiet", ...a]);
    expect((await run("--encoder", "flatten")).stderr).toMatch(/--encoder and --decoder go together/);
    expect((await run("--shape", "28x27x1", "--encoder", "flatten", "--decoder", "dense:784")).stderr).toMatch(/--shape 28x27x1 has 756 values; the data has 784/);
    expect((await run("--encoder", "pool:2", "--decoder", "dense:784")).stderr).toMatch(/unknown layer 'pool'/);
    expect((await run("--hidden", "32", "--encoder", "flatten", "--decoder", "dense:784")).stderr).toMatch(/--hidden, --decoder-hidden and --activation describe MLPs/);
    expect((await run("--shape", "28x28x1", "--encoder", "dense:8", "--decoder", "dense:784")).stderr).toMatch(/encoder\[0\] \(dense\): its input has shape \[28, 28, 1\]/);
  });
});
