// A small conv VAE (conv2d, batch norm after a conv, a dense and a conv2dTranspose, flatten, reshape; 7×11×2 images)
// against PyTorch (test/fixtures/conv/conv-vae-golden.json, written by scripts/make-conv-fixture.py): the same
// float32 weights loaded by name in PyTorch's layouts; loss and every gradient in training mode (batch statistics),
// the running statistics after one training step, and eval-mode (running statistics) encode and decode.
// Tolerances as test/golden/torch-golden.test.ts: relative 1e-5 (loss), max |Δ| ≤ 1e-5·max|g| per tensor.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VAE, type VAEConfig } from "../../src/index.js";

interface Fixture {
  config: VAEConfig;
  leakySlope: number;
  batch: number;
  x: number[];
  epsilon: number[];
  z: number[];
  weights: Record<string, { shape: number[]; data: number[] }>;
  expected: {
    loss: number; reconstruction: number; kl: number;
    gradients: Record<string, number[]>;
    runningAfterStep: Record<string, number[]>;
    evalMean: number[]; evalLogVar: number[]; evalDecode: number[];
  };
  torchFloat32: { lossRelErr: number; gradMaxErrOverMaxAbs: number };
}

const fx: Fixture = JSON.parse(readFileSync(new URL("../fixtures/conv/conv-vae-golden.json", import.meta.url), "utf8"));
const TOL = 1e-5;

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

async function model(): Promise<VAE> {
  const vae = await VAE.create({ ...fx.config, leakySlope: fx.leakySlope });
  const w: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(fx.weights)) w[k] = Float32Array.from(t.data);
  const own = vae.getWeights();
  expect(Object.keys(own).sort(), "tensor names (PyTorch's state_dict without num_batches_tracked)").toEqual(Object.keys(w).sort());
  const file = new Map<string, number[]>();
  const { decodeSafetensors } = await import("../../src/index.js");
  for (const [k, t] of decodeSafetensors(vae.save()).tensors) file.set(k, [...t.shape]);
  for (const [k, t] of Object.entries(fx.weights)) expect(file.get(k), `${k} shape`).toEqual(t.shape);
  vae.setWeights(w);
  return vae;
}

describe("conv VAE against PyTorch (scripts/make-conv-fixture.py)", () => {
  it("loss and every gradient match PyTorch autograd in training mode", async () => {
    const vae = await model();
    try {
      const r = vae.gradients(Float32Array.from(fx.x), { epsilon: Float32Array.from(fx.epsilon) });
      const e = fx.expected;
      expect(Math.abs(r.loss - e.loss) / Math.abs(e.loss), `loss ${r.loss} vs ${e.loss}`).toBeLessThan(TOL);
      expect(Math.abs(r.reconstruction - e.reconstruction) / Math.abs(e.reconstruction)).toBeLessThan(TOL);
      expect(Math.abs(r.kl - e.kl) / Math.abs(e.kl)).toBeLessThan(1e-4);
      const names = Object.keys(fx.weights).filter((k) => !k.includes("running"));
      expect(Object.keys(r.gradients).sort(), "gradients: parameters only").toEqual(names.sort());
      for (const [k, want] of Object.entries(e.gradients)) {
        const err = maxDiff(r.gradients[k], want) / maxAbs(want);
        expect(err, `${k}: max |Δ| / max |g|`).toBeLessThan(TOL);
      }
      // gradients() runs batch statistics but leaves the running statistics alone
      const after = vae.getWeights();
      for (const k of Object.keys(fx.weights)) expect(Array.from(after[k]), k).toEqual(fx.weights[k].data.map(Math.fround));
    } finally {
      vae.dispose();
    }
  });

  it("eval mode (encode, decode) uses the running statistics, as PyTorch's model.eval()", async () => {
    const vae = await model();
    try {
      const { mean, logVar } = vae.encode(Float32Array.from(fx.x));
      const e = fx.expected;
      expect(maxDiff(mean, e.evalMean) / maxAbs(e.evalMean)).toBeLessThan(TOL);
      expect(maxDiff(logVar, e.evalLogVar) / maxAbs(e.evalLogVar)).toBeLessThan(TOL);
      const dec = vae.decode(Float32Array.from(fx.z));
      expect(maxDiff(dec, e.evalDecode)).toBeLessThan(1e-6);
    } finally {
      vae.dispose();
    }
  });

  it("a training step updates the running statistics with PyTorch's momentum and unbiased variance", async () => {
    const vae = await model();
    try {
      // the encoder's batch norm sees only x (the decoder's see z, drawn from the model's own stream)
      await vae.fit(Float32Array.from(fx.x), { epochs: 1, batchSize: fx.batch, learningRate: 1e-9 });
      const w = vae.getWeights();
      for (const k of ["encoder.layers.1.running_mean", "encoder.layers.1.running_var"]) {
        const want = fx.expected.runningAfterStep[k];
        expect(maxDiff(w[k], want) / maxAbs(want), k).toBeLessThan(TOL);
      }
      for (const k of ["decoder.layers.1.running_var", "decoder.layers.4.running_mean"]) {
        expect(maxDiff(w[k], fx.weights[k].data), `${k} moved`).toBeGreaterThan(1e-4);
      }
    } finally {
      vae.dispose();
    }
  });
});
