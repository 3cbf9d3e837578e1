// vaekit/onnx for layer-list (conv) VAEs: Conv / ConvTranspose / BatchNormalization / Flatten / Reshape graphs,
// built from the module kinds' own export hooks, run by onnxruntime-web (its wasm build, in Node) and compared with
// vaekit's encode/decode (batch norm in inference: the running statistics). Tolerance per value:
// |onnxruntime − vaekit| ≤ 1e-5 · max(1, |vaekit|) (float32 both, different summation orders).
import * as ort from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, VAE, type VAEConfig } from "../../src/index.js";
import { exportOnnx } from "../../src/onnx.js";
import { randomArray } from "../helpers/wasm.js";

const TOL = 1e-5;

beforeAll(() => {
  ort.env.wasm.numThreads = 1;
});

function worst(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return m;
}

async function run(bytes: Uint8Array, name: string, data: Float32Array, width: number): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [name]: new ort.Tensor("float32", data, [data.length / width, width]) });
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/**
 * Seeded weights in every non-linear range: kernels ±2/√fan_in, biases ±0.5, batch norm γ ∈ [0.5, 1.5], β ±0.5,
 * running mean ±0.5 and running variance ∈ [0.3, 2] (so the inference path really normalises).
 */
function randomise(vae: VAE, seed: number): void {
  const w = vae.getWeights();
  for (const [i, k] of Object.keys(w).sort().entries()) {
    const n = w[k].length;
    const s = seed + 17 * i;
    if (k.endsWith(".running_var")) w[k] = randomArray(n, s, 0.3, 2);
    else if (k.endsWith(".running_mean")) w[k] = randomArray(n, s, -0.5, 0.5);
    else if (k.endsWith(".bias")) w[k] = randomArray(n, s, -0.5, 0.5);
    else if (w[k.replace(/weight$/, "running_var")]) w[k] = randomArray(n, s, 0.5, 1.5); // batch norm γ
    else {
      const fanIn = n / w[k.replace(/weight$/, "bias")].length;
      w[k] = randomArray(n, s, -2 / Math.sqrt(fanIn), 2 / Math.sqrt(fanIn));
    }
  }
  vae.setWeights(w);
}

const measured: Record<string, number> = {};
afterAll(() => {
  console.log(`onnx conv export, worst |Δ|/max(1,|ref|) per case: ${JSON.stringify(measured)}`);
});

const CASES: (VAEConfig & { label: string })[] = [
  {
    label: "the issue's conv VAE at 12×10×3 with batch norm after conv, conv-transpose and dense layers (dense → BN → reshape)",
    inputShape: [12, 10, 3], latentSize: 3, likelihood: "bernoulli", activation: "identity", leakySlope: 0.15,
    encoder: [
      { type: "conv2d", filters: 4, kernelSize: 3, strides: 2, padding: 1 },
      { type: "batchNorm", activation: "relu" },
      { type: "conv2d", filters: 5, kernelSize: 3, strides: 1, padding: "same", activation: "leaky_relu" },
      { type: "flatten" },
      { type: "dense", units: 7, activation: "tanh" },
      { type: "batchNorm", epsilon: 1e-3 },
    ],
    decoder: [
      { type: "dense", units: 6 * 5 * 4 },
      { type: "batchNorm", activation: "relu" },
      { type: "reshape", shape: [6, 5, 4] },
      { type: "conv2dTranspose", filters: 5, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, activation: "relu" },
      { type: "batchNorm", activation: "sigmoid" },
      { type: "conv2dTranspose", filters: 3, kernelSize: 3, strides: 1, padding: 1 },
    ],
  },
  {
    label: "Keras padding: conv2d 'same' with stride 2 on odd sizes (the extra zero at the end), 'valid'; conv2dTranspose 'same' with kernel < stride (output_padding) and 'valid'",
    inputShape: [7, 9, 2], latentSize: 4, likelihood: "gaussian",
    encoder: [
      { type: "conv2d", filters: 3, kernelSize: [3, 2], strides: 2, padding: "same", activation: "relu" },
      { type: "conv2d", filters: 4, kernelSize: 2, strides: [1, 2], padding: "valid", activation: "tanh" },
      { type: "flatten" },
    ],
    decoder: [
      { type: "dense", units: 3 * 4 * 3, activation: "relu" },
      { type: "reshape", shape: [3, 4, 3] },
      { type: "conv2dTranspose", filters: 2, kernelSize: 1, strides: 2, padding: "same", activation: "leaky_relu" },
      { type: "conv2dTranspose", filters: 2, kernelSize: 2, strides: 1, padding: "valid" },
    ],
  },
  {
    label: "a conv encoder over flat-ended decoder (dense output layer, Laplace), batch norm with momentum",
    inputShape: [6, 6, 1], latentSize: 2, likelihood: "laplace",
    encoder: [
      { type: "conv2d", filters: 2, kernelSize: 5, strides: 1, padding: 2, activation: "sigmoid" },
      { type: "batchNorm", momentum: 0.01 },
      { type: "flatten" },
      { type: "dense", units: 5, activation: "relu" },
    ],
    decoder: [
      { type: "dense", units: 9, activation: "tanh" },
      { type: "dense", units: 36 },
    ],
  },
];

describe("exportOnnx of conv VAEs: onnxruntime runs the graphs and agrees with vaekit", () => {
  CASES.forEach(({ label, ...config }, c) => {
    it(label, async () => {
      const vae = await VAE.create({ ...config, seed: 300 + c });
      try {
        randomise(vae, 1000 * (c + 1));
        const D = vae.config.inputSize, L = config.latentSize;
        const encoder = exportOnnx(vae, { part: "encoder" });
        const decoder = exportOnnx(vae, { part: "decoder" });
        let err = 0;
        for (const rows of [1, 4]) {
          const x = randomArray(rows * D, 7 * rows + c, 0, 1);
          const z = randomArray(rows * L, 11 * rows + c, -2, 2);
          const enc = await run(encoder, "x", x, D);
          const ref = vae.encode(x);
          expect(Object.keys(enc).sort()).toEqual(["logvar", "mean"]);
          err = Math.max(err, worst(enc.mean, ref.mean), worst(enc.logvar, ref.logVar));
          const dec = await run(decoder, "z", z, L);
          expect(Object.keys(dec)).toEqual(["x"]);
          err = Math.max(err, worst(dec.x, vae.decode(z)));
        }
        measured[label.slice(0, 40)] = err;
        expect(err).toBeLessThanOrEqual(TOL);
      } finally {
        vae.dispose();
      }
    });
  });

  it("the graph: boundary Reshape + Transpose to NCHW, the modules' own nodes, PyTorch-layout initializers", async () => {
    const { label: _, ...config } = CASES[0];
    const vae = await VAE.create({ ...config, seed: 1 });
    try {
      const bytes = exportOnnx(vae, { part: "encoder" });
      const text = new TextDecoder("latin1").decode(bytes);
      // op types appear in node order: find them in that order in the serialised graph
      const ops = ["Reshape", "Transpose", "Conv", "BatchNormalization", "Relu", "Conv", "LeakyRelu", "Flatten", "Gemm", "Tanh", "BatchNormalization", "Gemm", "Gemm"];
      let at = 0;
      for (const op of ops) {
        const next = text.indexOf(`\x22${String.fromCharCode(op.length)}${op}`, at); // field 4 (op_type), length-prefixed
        expect(next, op).toBeGreaterThanOrEqual(at);
        at = next + 1;
      }
      expect(text).not.toContain("ConvTranspose");
      const dec = new TextDecoder("latin1").decode(exportOnnx(vae, { part: "decoder" }));
      for (const op of ["ConvTranspose", "Sigmoid", "Flatten"]) expect(dec).toContain(op);
      const w = vae.getWeights();
      delete (w as Record<string, Float32Array | undefined>)["decoder.layers.4.running_var"];
      expect(() => exportOnnx({ config: vae.config, weights: w }, { part: "decoder" })).toThrow(/weight 'decoder\.layers\.4\.running_var' should be a Float32Array of 5 values \[5\]; got nothing/);
      w["decoder.layers.4.running_var"] = new Float32Array(4);
      expect(() => exportOnnx({ config: vae.config, weights: w }, { part: "decoder" })).toThrow(InvalidInputError);
    } finally {
      vae.dispose();
    }
  });

  it("refuses what it cannot export, saying why", async () => {
    const vae = await VAE.create({ inputSize: 6, hiddenSizes: [4], latentSize: 2, likelihood: "continuous-bernoulli", seed: 2 });
    try {
      expect(exportOnnx(vae, { part: "encoder" }).length).toBeGreaterThan(0);
      expect(() => exportOnnx(vae, { part: "decoder" })).toThrow(/continuous-Bernoulli/);
      expect(() => exportOnnx({ config: { ...vae.config, classes: 3 } as never, weights: vae.getWeights() }, { part: "encoder" })).toThrow(/conditional models/);
    } finally {
      vae.dispose();
    }
  });
});
