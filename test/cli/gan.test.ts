// vaekit train --model vae-gan|cvae-gan: the options reach vaekit/gan's models, and the file is the one the SDK
// writes after the same fit.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { CVAEGAN, VAEGAN } from "../../src/gan.js";
import { cli, mnistFiles, type Files } from "./helpers.js";

let f: Files;
beforeAll(async () => {
  f = await mnistFiles();
});

async function cliBytes(argv: string[]): Promise<{ code: number; stderr: string; bytes?: Uint8Array }> {
  const out = f.path(`g${Math.random().toString(36).slice(2)}.safetensors`);
  const r = await cli(["train", f.npy, "-o", out, "--quiet", ...argv]);
  return { code: r.code, stderr: r.stderr, bytes: r.code === 0 ? new Uint8Array(readFileSync(out)) : undefined };
}

const dense = (units: number) => ({ type: "dense" as const, units });

describe("vaekit train --model vae-gan|cvae-gan", () => {
  it("VAEGAN: widths, discriminator, feature layer, β (--kl-weight), γ", async () => {
    const r = await cliBytes(["--model", "vae-gan", "--latent", "3", "--hidden", "16", "--discriminator", "24,8", "--feature-layer", "0",
      "--kl-weight", "0.5", "--gamma", "2", "--epochs", "1", "--batch-size", "100", "--seed", "2"]);
    expect(r.stderr).toBe("");
    const m = await VAEGAN.create({ inputSize: 784, latentSize: 3, encoder: [dense(16)], discriminator: [dense(24), dense(8)], featureLayer: 0, beta: 0.5, gamma: 2, seed: 2 });
    await m.fit(f.x, { epochs: 1, batchSize: 100 });
    expect(r.bytes).toEqual(m.save());
    m.dispose();
  });

  it("CVAEGAN: labels and classifier widths; GAN-only flags refused elsewhere", async () => {
    const r = await cliBytes(["--model", "cvae-gan", "--labels", f.labelsCsv, "--latent", "2", "--hidden", "8", "--discriminator", "8",
      "--classifier", "8", "--epochs", "1", "--batch-size", "200", "--seed", "3"]);
    expect(r.stderr).toBe("");
    const m = await CVAEGAN.create({ inputSize: 784, latentSize: 2, classes: 10, encoder: [dense(8)], discriminator: [dense(8)], classifier: [dense(8)], seed: 3 });
    await m.fit(f.x, f.y, { epochs: 1, batchSize: 200 });
    expect(r.bytes).toEqual(m.save());
    m.dispose();
    const bad = await cliBytes(["--model", "vae", "--gamma", "2", "--epochs", "1"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--gamma applies to --model vae-gan/);
    const noLabels = await cliBytes(["--model", "cvae-gan", "--epochs", "1"]);
    expect(noLabels.code).not.toBe(0);
    expect(noLabels.stderr).toMatch(/--labels/);
  });

  it("layer lists: --encoder/--decoder/--shape (conv) with --discriminator/--classifier as lists or widths, as the SDK builds them", async () => {
    const enc = "conv2d:4:k4:s2:p1:relu,flatten,dense:8:relu";
    const dec = "dense:196:relu,reshape:7x7x4,conv2dTranspose:4:k4:s2:p1:relu,conv2dTranspose:1:k4:s2:p1";
    const conv = { type: "conv2d" as const, filters: 4, kernelSize: 4, strides: 2, padding: 1 };
    const encoder = [{ ...conv, activation: "relu" as const }, { type: "flatten" as const }, { type: "dense" as const, units: 8, activation: "relu" as const }];
    const decoder = [{ type: "dense" as const, units: 196, activation: "relu" as const }, { type: "reshape" as const, shape: [7, 7, 4] as [number, number, number] },
      { type: "conv2dTranspose" as const, filters: 4, kernelSize: 4, strides: 2, padding: 1, activation: "relu" as const },
      { type: "conv2dTranspose" as const, filters: 1, kernelSize: 4, strides: 2, padding: 1 }];
    const r = await cliBytes(["--model", "vae-gan", "--shape", "28x28x1", "--encoder", enc, "--decoder", dec, "--discriminator", "conv2d:4:k4:s2:p1,flatten,dense:8",
      "--latent", "3", "--epochs", "1", "--batch-size", "200", "--seed", "4"]);
    expect(r.stderr).toBe("");
    const m = await VAEGAN.create({ inputShape: [28, 28, 1], latentSize: 3, encoder, decoder, discriminator: [conv, { type: "flatten" }, dense(8)], seed: 4 });
    expect(m.config.inputShape).toEqual([28, 28, 1]);
    await m.fit(f.x, { epochs: 1, batchSize: 200 });
    expect(r.bytes).toEqual(m.save());
    m.dispose();
    // cvae-gan: the classifier as widths becomes a flatten and dense layers
    const c = await cliBytes(["--model", "cvae-gan", "--labels", f.labelsCsv, "--shape", "28x28x1", "--encoder", enc, "--decoder", dec,
      "--discriminator", "conv2d:4:k4:s2:p1,flatten,dense:8", "--classifier", "8", "--latent", "2", "--epochs", "1", "--batch-size", "200", "--seed", "5"]);
    expect(c.stderr).toBe("");
    const cm = await CVAEGAN.create({ inputShape: [28, 28, 1], latentSize: 2, classes: 10, encoder, decoder, discriminator: [conv, { type: "flatten" }, dense(8)],
      classifier: [{ type: "flatten" }, dense(8)], seed: 5 });
    await cm.fit(f.x, f.y, { epochs: 1, batchSize: 200 });
    expect(c.bytes).toEqual(cm.save());
    cm.dispose();
    // MLP layer lists without --shape; a conv list without --shape is refused by the model's config check
    const mlp = await cliBytes(["--model", "vae-gan", "--encoder", "dense:16:relu", "--decoder", "dense:16:relu", "--discriminator", "24,8",
      "--latent", "3", "--epochs", "1", "--batch-size", "200", "--seed", "6"]);
    expect(mlp.stderr).toBe("");
    const mm = await VAEGAN.create({ inputSize: 784, latentSize: 3, encoder: [{ ...dense(16), activation: "relu" }], decoder: [{ ...dense(16), activation: "relu" }],
      discriminator: [dense(24), dense(8)], seed: 6 });
    await mm.fit(f.x, { epochs: 1, batchSize: 200 });
    expect(mlp.bytes).toEqual(mm.save());
    mm.dispose();
    const noShape = await cliBytes(["--model", "vae-gan", "--encoder", enc, "--decoder", dec, "--discriminator", "8", "--epochs", "1"]);
    expect(noShape.code).not.toBe(0);
    expect(noShape.stderr).toMatch(/inputShape/);
    const noDis = await cliBytes(["--model", "vae-gan", "--shape", "28x28x1", "--encoder", enc, "--decoder", dec, "--epochs", "1"]);
    expect(noDis.code).not.toBe(0);
    expect(noDis.stderr).toMatch(/needs --discriminator/);
    const mixed = await cliBytes(["--model", "vae-gan", "--shape", "28x28x1", "--encoder", enc, "--decoder", dec, "--discriminator", "8", "--hidden", "16", "--epochs", "1"]);
    expect(mixed.code).not.toBe(0);
    expect(mixed.stderr).toMatch(/--hidden/);
  });
});
