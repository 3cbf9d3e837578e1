// vaekit/tfjs imports conv VAEs: Keras's conv VAE (its example's architecture) and a batch-norm variant, built with
// TensorFlow.js layers (@tensorflow/tfjs 4.22, CPU backend), read from the live tf.LayersModel and from model.json +
// weight shards. vaekit's encode/decode must give TF.js predict()'s outputs (batch norm in inference: the moving
// statistics) within |Δ| ≤ 1e-5 · max(1, |TF.js|) — float32 both, only summation orders differ.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, ModelFormatError } from "../../src/index.js";
import { loadTfjs, readTfjs, type TfjsArtifacts } from "../../src/tfjs.js";
import { loadTf, type TF } from "../helpers/tf.js";
import { randomArray } from "../helpers/wasm.js";

const TOL = 1e-5;
let tf: TF;
beforeAll(async () => {
  tf = await loadTf();
});

function worst(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return m;
}

const measured: Record<string, number> = {};
afterAll(() => {
  console.log(`tfjs conv import, worst |Δ|/max(1,|ref|) per case: ${JSON.stringify(measured)}`);
});

/** Seeded weights: kernels ±2/√fan_in, biases and β ±0.5, γ ∈ [0.5, 1.5], moving mean ±0.5, moving variance ∈ [0.3, 2]. */
function seedWeights(model: TF, seed: number): void {
  const names: string[] = model.weights.map((w: TF) => w.originalName ?? w.name);
  model.setWeights(model.getWeights().map((w: TF, i: number) => {
    const n = w.size, name = names[i], s = seed + i;
    let v: Float32Array;
    if (/moving_variance/.test(name)) v = randomArray(n, s, 0.3, 2);
    else if (/moving_mean|beta|bias/.test(name)) v = randomArray(n, s, -0.5, 0.5);
    else if (/gamma/.test(name)) v = randomArray(n, s, 0.5, 1.5);
    else {
      const fanIn = n / w.shape[w.shape.length - 1];
      v = randomArray(n, s, -2 / Math.sqrt(fanIn), 2 / Math.sqrt(fanIn));
    }
    return tf.tensor(v, w.shape);
  }));
}

async function artifacts(model: TF): Promise<TfjsArtifacts> {
  let got: TfjsArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a: TfjsArtifacts) => {
    got = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  return got!;
}

/** model.json (as text) + two weight shards, as model.save("file://…") or tfjs-converter lay them out. */
async function files(model: TF): Promise<{ modelJson: string; weights: Uint8Array[] }> {
  const a = await artifacts(model);
  const data = new Uint8Array(a.weightData as ArrayBuffer);
  const cut = Math.floor(data.length / 2) + 3;
  const modelJson = JSON.stringify({
    modelTopology: a.modelTopology, format: "layers-model", generatedBy: "test",
    weightsManifest: [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights: a.weightSpecs }],
  });
  return { modelJson, weights: [data.slice(0, cut), data.slice(cut)] };
}

function predict(model: TF, x: Float32Array, shape: number[]): Float32Array[] {
  const rows = x.length / shape.reduce((a, b) => a * b, 1);
  const out = model.predict(tf.tensor(x, [rows, ...shape]));
  return (Array.isArray(out) ? out : [out]).map((t: TF) => t.dataSync() as Float32Array);
}

/** Keras's conv VAE example: encoder and decoder as its code builds them (the sampling layer left out). */
function kerasExample(): { encoder: TF; decoder: TF } {
  const x = tf.input({ shape: [28, 28, 1], name: "encoder_input" });
  let h = tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", strides: 2, padding: "same" }).apply(x);
  h = tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", strides: 2, padding: "same" }).apply(h);
  h = tf.layers.flatten().apply(h);
  h = tf.layers.dense({ units: 16, activation: "relu" }).apply(h);
  const mean = tf.layers.dense({ units: 2, name: "z_mean" }).apply(h);
  const logVar = tf.layers.dense({ units: 2, name: "z_log_var" }).apply(h);
  const encoder = tf.model({ inputs: x, outputs: [mean, logVar], name: "encoder" });
  const z = tf.input({ shape: [2] });
  let d = tf.layers.dense({ units: 7 * 7 * 64, activation: "relu" }).apply(z);
  d = tf.layers.reshape({ targetShape: [7, 7, 64] }).apply(d);
  d = tf.layers.conv2dTranspose({ filters: 64, kernelSize: 3, activation: "relu", strides: 2, padding: "same" }).apply(d);
  d = tf.layers.conv2dTranspose({ filters: 32, kernelSize: 3, activation: "relu", strides: 2, padding: "same" }).apply(d);
  d = tf.layers.conv2dTranspose({ filters: 1, kernelSize: 3, activation: "sigmoid", padding: "same" }).apply(d);
  return { encoder, decoder: tf.model({ inputs: z, outputs: d, name: "decoder" }) };
}

/** Batch norm after conv, conv-transpose and dense layers (dense → BN → reshape), activation layers, a fused head. */
function batchNormModel(): { encoder: TF; decoder: TF } {
  const encoder = tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [9, 7, 2], filters: 4, kernelSize: 3, strides: 2, padding: "same" }),
    tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }),
    tf.layers.leakyReLU({ alpha: 0.2 }),
    tf.layers.conv2d({ filters: 6, kernelSize: [2, 3], padding: "valid" }),
    tf.layers.activation({ activation: "tanh" }),
    tf.layers.dropout({ rate: 0.3 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 6 }),
  ] });
  const decoder = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [3], units: 5 * 4 * 3, useBias: false }),
    tf.layers.batchNormalization(),
    tf.layers.reLU(),
    tf.layers.reshape({ targetShape: [5, 4, 3] }),
    tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: "same" }),
    tf.layers.batchNormalization({ center: false }),
    tf.layers.leakyReLU({ alpha: 0.2 }),
    tf.layers.conv2d({ filters: 2, kernelSize: 2, padding: "valid" }),
  ] });
  return { encoder, decoder };
}

const CASES = [
  {
    label: "Keras's conv VAE example (28×28×1, strided 'same' conv and conv-transpose, sigmoid output)",
    make: kerasExample, shape: [28, 28, 1], L: 2, fused: false, rows: 3,
    expect: {
      inputShape: [28, 28, 1], latentSize: 2, likelihood: "bernoulli",
      encoder: [
        { type: "conv2d", filters: 32, kernelSize: [3, 3], strides: [2, 2], padding: "same", activation: "relu" },
        { type: "conv2d", filters: 64, kernelSize: [3, 3], strides: [2, 2], padding: "same", activation: "relu" },
        { type: "flatten" },
        { type: "dense", units: 16, activation: "relu" },
      ],
      decoder: [
        { type: "dense", units: 3136, activation: "relu" },
        { type: "reshape", shape: [7, 7, 64] },
        { type: "conv2dTranspose", filters: 64, kernelSize: [3, 3], strides: [2, 2], padding: "same", activation: "relu" },
        { type: "conv2dTranspose", filters: 32, kernelSize: [3, 3], strides: [2, 2], padding: "same", activation: "relu" },
        { type: "conv2dTranspose", filters: 1, kernelSize: [3, 3], strides: [1, 1], padding: "same" },
      ],
    },
  },
  {
    label: "batch norm (conv, conv-transpose, dense before reshape), LeakyReLU/Activation/ReLU layers, fused 2·latent head, Gaussian",
    make: batchNormModel, shape: [9, 7, 2], L: 3, fused: true, rows: 5,
    expect: {
      inputShape: [9, 7, 2], latentSize: 3, likelihood: "gaussian", leakySlope: 0.2,
      encoder: [
        { type: "conv2d", filters: 4, kernelSize: [3, 3], strides: [2, 2], padding: "same" },
        { type: "batchNorm", activation: "leaky_relu", epsilon: 1e-3 },
        { type: "conv2d", filters: 6, kernelSize: [2, 3], strides: [1, 1], padding: "valid", activation: "tanh" },
        { type: "flatten" },
      ],
      decoder: [
        { type: "dense", units: 60 },
        { type: "batchNorm", activation: "relu", momentum: 0.01 },
        { type: "reshape", shape: [5, 4, 3] },
        { type: "conv2dTranspose", filters: 4, kernelSize: [3, 3], strides: [2, 2], padding: "same" },
        { type: "batchNorm", activation: "leaky_relu" },
        { type: "conv2d", filters: 2, kernelSize: [2, 2], padding: "valid" },
      ],
    },
  },
  {
    label: "an MLP with batch norm (flat rows: BatchNorm1d after a dense layer)",
    make: () => ({
      encoder: tf.sequential({ layers: [
        tf.layers.dense({ inputShape: [12], units: 9, activation: "relu" }), tf.layers.batchNormalization({ epsilon: 1e-2 }), tf.layers.dense({ units: 4 }),
      ] }),
      decoder: tf.sequential({ layers: [
        tf.layers.dense({ inputShape: [2], units: 9 }), tf.layers.batchNormalization({ scale: false }), tf.layers.activation({ activation: "sigmoid" }),
        tf.layers.dense({ units: 12, activation: "sigmoid" }),
      ] }),
    }),
    shape: [12], L: 2, fused: true, rows: 4,
    expect: {
      inputShape: [12], latentSize: 2, likelihood: "bernoulli",
      encoder: [{ type: "dense", units: 9, activation: "relu" }, { type: "batchNorm", epsilon: 1e-2 }],
      decoder: [{ type: "dense", units: 9 }, { type: "batchNorm", activation: "sigmoid" }, { type: "dense", units: 12 }],
    },
  },
];

describe("readTfjs / loadTfjs: TF.js conv VAEs give the same outputs in vaekit", () => {
  CASES.forEach((c, k) => {
    it(c.label, async () => {
      const { encoder, decoder } = c.make();
      seedWeights(encoder, 100 * k + 1);
      seedWeights(decoder, 100 * k + 51);
      const D = c.shape.reduce((a, b) => a * b, 1);
      const x = randomArray(c.rows * D, 7 + k, 0, 1);
      const z = randomArray(c.rows * c.L, 9 + k, -2, 2);
      const ref = predict(encoder, x, c.shape);
      const [mean, logVar] = c.fused
        ? [0, 1].map((h) => Float32Array.from({ length: c.rows * c.L }, (_, i) => ref[0][Math.floor(i / c.L) * 2 * c.L + h * c.L + (i % c.L)]))
        : ref;
      const [dec] = predict(decoder, z, [c.L]);
      const forms = {
        "tf.LayersModel": { encoder, decoder },
        "model.json + shards": { encoder: await files(encoder), decoder: await files(decoder) },
      };
      let err = 0;
      for (const [form, source] of Object.entries(forms)) {
        const { config, layers } = await readTfjs(source);
        expect(config, form).toMatchObject(c.expect);
        expect(Object.keys(layers)).toContain("encoder.mean");
        const vae = await loadTfjs(source, { seed: 1 });
        try {
          const e = vae.encode(x);
          const errs = [worst(e.mean, mean), worst(e.logVar, logVar), worst(vae.decode(z), dec)];
          for (const v of errs) expect(v, form).toBeLessThanOrEqual(TOL);
          err = Math.max(err, ...errs);
        } finally {
          vae.dispose();
        }
      }
      measured[c.label.slice(0, 40)] = err;
    });
  });

  it("says which layer does not fit", async () => {
    const { encoder, decoder } = batchNormModel();
    await expect(readTfjs(encoder)).rejects.toThrow(/is read as two models, \{ encoder, decoder \}/);
    await expect(readTfjs({ encoder, decoder }, { names: { "encoder.mean": "x" } })).rejects.toThrow(InvalidInputError);
    const pooled = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, padding: "same" }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ] });
    await expect(readTfjs({ encoder: pooled, decoder })).rejects.toThrow(ModelFormatError);
    await expect(readTfjs({ encoder: pooled, decoder })).rejects.toThrow(/MaxPooling2D layer '.*' of the encoder model: .*has no vaekit equivalent/);
    const dilated = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, dilationRate: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ] });
    await expect(readTfjs({ encoder: dilated, decoder })).rejects.toThrow(/dilation_rate/);
    // the encoder's latent size (2) doesn't match the decoder's input (3)
    const small = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [9, 7, 2], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 4 })] });
    await expect(readTfjs({ encoder: small, decoder })).rejects.toThrow(ModelFormatError);
    const slopes = tf.sequential({ layers: [
      tf.layers.conv2d({ inputShape: [9, 7, 2], filters: 2, kernelSize: 3 }), tf.layers.leakyReLU({ alpha: 0.1 }), tf.layers.flatten(), tf.layers.dense({ units: 6 }),
    ] });
    await expect(readTfjs({ encoder: slopes, decoder })).rejects.toThrow(/LeakyReLU slopes differ/);
  });
});
