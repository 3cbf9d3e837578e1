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
});
