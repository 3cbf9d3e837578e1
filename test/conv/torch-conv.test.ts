// A file saved by vaekit loads into PyTorch: scripts/make-conv-file.mjs trained a small conv VAE in vaekit and saved
// it (test/fixtures/conv/vaekit-conv-vae.safetensors); scripts/make-conv-fixture.py loaded that file with
// load_state_dict(strict=True) into nn.Conv2d / nn.BatchNorm2d / nn.Linear / nn.BatchNorm1d / nn.ConvTranspose2d
// modules (flatten(1) and view(-1, C, H, W) on NCHW tensors) and recorded their eval-mode outputs
// (conv-vae-torch.json). Here vaekit loads the same file and must give the same outputs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, loadModel, VAE } from "../../src/index.js";

const dir = new URL("../fixtures/conv/", import.meta.url);
const bytes = readFileSync(new URL("vaekit-conv-vae.safetensors", dir));
const torch = JSON.parse(readFileSync(new URL("conv-vae-torch.json", dir), "utf8")) as Record<string, number[]> & { loadedStrict: string[] };

const rel = (a: ArrayLike<number>, b: number[]): number => {
  expect(a.length).toBe(b.length);
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / m;
};

describe("a conv VAE saved by vaekit, loaded into PyTorch", () => {
  it("PyTorch loaded every tensor of the file by name (strict), running statistics included", () => {
    const names = [...decodeSafetensors(bytes).tensors.keys()].sort();
    expect(torch.loadedStrict).toEqual(names);
    expect(names).toContain("encoder.layers.1.running_var");
    expect(names).toContain("decoder.layers.3.weight"); // conv2dTranspose after the reshape (index 2 has no tensors)
    expect(names.some((n) => n.startsWith("decoder.layers.2."))).toBe(false);
  });

  it("gives PyTorch's eval-mode encode, decode and reconstruct", async () => {
    const vae = await VAE.load(bytes);
    try {
      const x = Float32Array.from(torch.x), z = Float32Array.from(torch.z);
      const { mean, logVar } = vae.encode(x);
      expect(rel(mean, torch.mean)).toBeLessThan(1e-5);
      expect(rel(logVar, torch.logVar)).toBeLessThan(1e-5);
      expect(rel(vae.decode(z), torch.decode)).toBeLessThan(1e-5);
      expect(rel(vae.reconstruct(x), torch.reconstruct)).toBeLessThan(1e-5);
      // the file's bytes survive a load/save round trip, through loadModel too
      expect(Buffer.from(vae.save()).equals(bytes)).toBe(true);
      const any = await loadModel(bytes);
      expect(any).toBeInstanceOf(VAE);
      any.dispose();
    } finally {
      vae.dispose();
    }
  });
});

describe("interop with layer-list models", () => {
  it("exportOnnx writes the conv VAE (Conv, BatchNormalization, ConvTranspose) and onnxruntime gives PyTorch's eval-mode outputs", async () => {
    // (this case asserted the refusal before conv export existed; the export is checked more widely in test/interop/onnx-conv.test.ts)
    const { exportOnnx } = await import("../../src/onnx.js");
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = 1;
    const vae = await VAE.load(bytes);
    try {
      const D = vae.config.inputSize, L = vae.config.latentSize;
      const run = async (part: "encoder" | "decoder", input: number[], width: number): Promise<Record<string, ArrayLike<number>>> => {
        const session = await ort.InferenceSession.create(exportOnnx(vae, { part }));
        try {
          const name = part === "encoder" ? "x" : "z";
          const out = await session.run({ [name]: new ort.Tensor("float32", Float32Array.from(input), [input.length / width, width]) });
          return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
        } finally {
          await session.release();
        }
      };
      const enc = await run("encoder", torch.x, D);
      expect(rel(enc.mean, torch.mean)).toBeLessThan(1e-5);
      expect(rel(enc.logvar, torch.logVar)).toBeLessThan(1e-5);
      expect(rel((await run("decoder", torch.z, L)).x, torch.decode)).toBeLessThan(1e-5);
    } finally {
      vae.dispose();
    }
  });
});
