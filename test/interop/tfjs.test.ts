// vaekit/tfjs: tf.Tensor wrappers, and Dense weights imported from real TF.js layers models (built with
// @tensorflow/tfjs 4.22 on its CPU backend) in all three forms: a live tf.LayersModel, the artifacts a save
// handler receives, and model.json + weight shards.
//
// Tolerance per value: |vaekit − TF.js predict()| ≤ 1e-5 · max(1, |TF.js|); both compute in float32 from the same
// weights, so only summation order differs (measured below 1e-6). The wrappers are compared bit for bit with the
// Float32Array methods they wrap.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError, ModelFormatError, VAE } from "../../src/index.js";
import { decodeTensor, encodeTensor, loadTfjs, readTfjs, reconstructTensor, sampleTensor, type TfjsArtifacts } from "../../src/tfjs.js";
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
  console.log(`tfjs import, worst |Δ|/max(1,|ref|) per case: ${JSON.stringify(measured)}`);
});

/** Gives every weight of a model a seeded uniform value in ±2/√fan_in (kernels) or ±0.5 (biases). */
function seedWeights(model: TF, seed: number): void {
  model.setWeights(model.getWeights().map((w: TF, i: number) => {
    const n = w.size;
    const bound = w.shape.length === 2 ? 2 / Math.sqrt(w.shape[0]) : 0.5;
    return tf.tensor(randomArray(n, seed + i, -bound, bound), w.shape);
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

/** model.json + two shards split at an arbitrary byte, as tfjs-converter or model.save("file://…") lay them out. */
async function files(model: TF): Promise<{ modelJson: string; weights: Uint8Array[] }> {
  const a = await artifacts(model);
  const data = new Uint8Array(a.weightData as ArrayBuffer);
  const cut = Math.floor(data.length / 3);
  const modelJson = JSON.stringify({
    modelTopology: a.modelTopology, format: "layers-model", generatedBy: "test",
    weightsManifest: [{ paths: ["group1-shard1of2.bin", "group1-shard2of2.bin"], weights: a.weightSpecs }],
  });
  return { modelJson, weights: [data.slice(0, cut), data.slice(cut)] };
}

const predict = (model: TF, x: Float32Array, cols: number): Float32Array[] => {
  const out = model.predict(tf.tensor2d(x, [x.length / cols, cols]));
  return (Array.isArray(out) ? out : [out]).map((t: TF) => t.dataSync() as Float32Array);
};

interface Case {
  label: string;
  encoder: () => TF; // functional with [mean, logvar] outputs, or Sequential with a 2·L head
  decoder: () => TF;
  fused: boolean;
  D: number;
  L: number;
  expect: Record<string, unknown>;
}

const CASES: Case[] = [
  {
    label: "functional encoder (relu, z_mean/z_log_var heads), Sequential decoder with sigmoid output",
    D: 12, L: 3, fused: false,
    encoder: () => {
      const x = tf.input({ shape: [12], name: "x" });
      const h = tf.layers.dense({ units: 9, activation: "relu", name: "enc_h" }).apply(x);
      const mu = tf.layers.dense({ units: 3, name: "z_mean" }).apply(h);
      const lv = tf.layers.dense({ units: 3, name: "z_log_var" }).apply(h);
      return tf.model({ inputs: x, outputs: [mu, lv] });
    },
    decoder: () => tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [3], units: 9, activation: "relu", name: "dec_h" }),
      tf.layers.dense({ units: 12, activation: "sigmoid", name: "dec_out" }),
    ] }),
    expect: { hiddenSizes: [9], decoderHiddenSizes: [9], activation: "relu", likelihood: "bernoulli" },
  },
  {
    label: "Sequential encoder with a fused 2·latent head, LeakyReLU(0.2) layers, Dropout, linear output (Gaussian), decoder hidden without bias",
    D: 10, L: 2, fused: true,
    encoder: () => tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [10], units: 7 }), tf.layers.leakyReLU({ alpha: 0.2 }), tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 5 }), tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 4 }),
    ] }),
    decoder: () => tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [2], units: 6, useBias: false }), tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 10 }),
    ] }),
    expect: { hiddenSizes: [7, 5], decoderHiddenSizes: [6], activation: "leaky_relu", leakySlope: 0.2, likelihood: "gaussian" },
  },
  {
    label: "tanh via Activation layers, two decoder hidden layers, sigmoid via an Activation layer",
    D: 8, L: 4, fused: false,
    encoder: () => {
      const x = tf.input({ shape: [8] });
      const h = tf.layers.activation({ activation: "tanh" }).apply(tf.layers.dense({ units: 6 }).apply(x));
      return tf.model({ inputs: x, outputs: [tf.layers.dense({ units: 4 }).apply(h), tf.layers.dense({ units: 4 }).apply(h)] });
    },
    decoder: () => tf.sequential({ layers: [
      tf.layers.dense({ inputShape: [4], units: 5, activation: "tanh" }), tf.layers.dense({ units: 6, activation: "tanh" }),
      tf.layers.dense({ units: 8 }), tf.layers.activation({ activation: "sigmoid" }),
    ] }),
    expect: { hiddenSizes: [6], decoderHiddenSizes: [5, 6], activation: "tanh", likelihood: "bernoulli" },
  },
];

describe("readTfjs / loadTfjs: TF.js layers models give the same outputs in vaekit", () => {
  CASES.forEach((c, k) => {
    it(c.label, async () => {
      const encoder = c.encoder();
      const decoder = c.decoder();
      seedWeights(encoder, 100 * k);
      seedWeights(decoder, 100 * k + 50);
      const x = randomArray(5 * c.D, 7 + k, 0, 1);
      const z = randomArray(5 * c.L, 9 + k, -2, 2);
      const ref = predict(encoder, x, c.D);
      const [mean, logVar] = c.fused
        ? [0, 1].map((h) => Float32Array.from({ length: 5 * c.L }, (_, i) => ref[0][Math.floor(i / c.L) * 2 * c.L + h * c.L + (i % c.L)]))
        : ref;
      const [dec] = predict(decoder, z, c.L);
      const forms = {
        "tf.LayersModel": { encoder, decoder },
        artifacts: { encoder: await artifacts(encoder), decoder: await artifacts(decoder) },
        "model.json + shards": { encoder: await files(encoder), decoder: await files(decoder) },
      };
      let err = 0;
      for (const [form, source] of Object.entries(forms)) {
        const { config } = await readTfjs(source);
        expect(config, form).toMatchObject({ inputSize: c.D, latentSize: c.L, ...c.expect });
        const vae = await loadTfjs(source, { seed: 1 });
        const e = vae.encode(x);
        const errs = [worst(e.mean, mean), worst(e.logVar, logVar), worst(vae.decode(z), dec)];
        vae.dispose();
        for (const v of errs) expect(v, form).toBeLessThanOrEqual(TOL);
        err = Math.max(err, ...errs);
      }
      measured[c.label.slice(0, 40)] = err;
    });
  });

  it("one model holding both parts, mapped with options.names", async () => {
    const x = tf.input({ shape: [6] });
    const z = tf.input({ shape: [2] });
    const h = tf.layers.dense({ units: 5, activation: "sigmoid", name: "a" }).apply(x);
    const mu = tf.layers.dense({ units: 2, name: "b" }).apply(h);
    const lv = tf.layers.dense({ units: 2, name: "c" }).apply(h);
    const g = tf.layers.dense({ units: 4, activation: "sigmoid", name: "d" }).apply(z);
    const out = tf.layers.dense({ units: 6, activation: "sigmoid", name: "e" }).apply(g);
    const model = tf.model({ inputs: [x, z], outputs: [mu, lv, out] });
    seedWeights(model, 500);
    const names = { "encoder.hidden.0": "a", "encoder.mean": "b", "encoder.logvar": "c", "decoder.hidden.0": "d", "decoder.output": "e" };
    const xs = randomArray(3 * 6, 1, 0, 1);
    const zs = randomArray(3 * 2, 2, -2, 2);
    const [m, l, o] = model.predict([tf.tensor2d(xs, [3, 6]), tf.tensor2d(zs, [3, 2])]).map((t: TF) => t.dataSync());
    const { layers } = await readTfjs(model, { names });
    expect(layers).toEqual(names);
    const vae = await loadTfjs(model, { names });
    const e = vae.encode(xs);
    const errs = [worst(e.mean, m), worst(e.logVar, l), worst(vae.decode(zs), o)];
    expect(vae.config.activation).toBe("sigmoid");
    vae.dispose();
    for (const v of errs) expect(v).toBeLessThanOrEqual(TOL);
    await expect(readTfjs(model)).rejects.toThrow(InvalidInputError);
    await expect(readTfjs(model)).rejects.toThrow(/with a single model, pass options\.names/);
  });

  it("quantized weights (uint8, uint16, float16) are read as TF.js itself decodes them", async () => {
    const enc = CASES[0].encoder();
    const dec = CASES[0].decoder();
    seedWeights(enc, 1);
    seedWeights(dec, 2);
    const a = await artifacts(dec);
    const src = new Float32Array(a.weightData as ArrayBuffer);
    const kinds = ["uint8", "uint16", "float16", "uint8"];
    const parts: Uint8Array[] = [];
    let at = 0;
    const specs = a.weightSpecs.map((s, i) => {
      const n = s.shape.reduce((p, q) => p * q, 1);
      const v = src.subarray(at, at + n);
      at += n;
      const kind = kinds[i];
      if (kind === "float16") {
        const h = new Uint16Array(n);
        for (let j = 0; j < n; j++) h[j] = toHalf(v[j]);
        parts.push(new Uint8Array(h.buffer));
        return { ...s, quantization: { dtype: "float16" } };
      }
      const levels = kind === "uint8" ? 255 : 65535;
      const min = Math.min(...v);
      const scale = (Math.max(...v) - min) / levels;
      const q = kind === "uint8" ? new Uint8Array(n) : new Uint16Array(n);
      for (let j = 0; j < n; j++) q[j] = Math.round((v[j] - min) / scale);
      parts.push(new Uint8Array(q.buffer));
      return { ...s, quantization: { dtype: kind, scale, min } };
    });
    const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    const quantized = { modelTopology: a.modelTopology, weightSpecs: specs, weightData: data.buffer };
    const { weights, layers } = await readTfjs({ encoder: enc, decoder: quantized });
    expect(layers["decoder.output"]).toBe("dec_out");
    const decoded = tf.io.decodeWeights(data.buffer, specs); // TF.js' own dequantization
    for (const [vk, tfName] of [["decoder.hidden.0", "dec_h"], ["decoder.output", "dec_out"]]) {
      const kernel = decoded[`${tfName}/kernel`];
      const [inSize, outSize] = kernel.shape;
      const kt = kernel.transpose().dataSync();
      expect(worst(weights[`${vk}.weight`], kt), vk).toBeLessThanOrEqual(1e-6);
      expect(weights[`${vk}.weight`].length).toBe(inSize * outSize);
      expect(worst(weights[`${vk}.bias`], decoded[`${tfName}/bias`].dataSync()), vk).toBeLessThanOrEqual(1e-6);
    }
  });
});

/** float32 → nearest half-precision bits (normal range only; enough for these weights). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const b = new Uint32Array(f.buffer)[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const mant = b & 0x7fffff;
  if (exp <= 0) return sign;
  let h = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return h;
}

describe("readTfjs: clear errors", () => {
  const enc = (): TF => CASES[0].encoder();
  const dec = (): TF => CASES[0].decoder();
  const seq = (layers: TF[]): TF => tf.sequential({ layers });
  const fails = async (source: unknown, pattern: RegExp, type: unknown = ModelFormatError, options = {}): Promise<void> => {
    let err: unknown;
    try {
      await readTfjs(source as never, options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(pattern);
  };

  it("activations vaekit does not have, or that differ between hidden layers, or on a head", async () => {
    await fails({ encoder: enc(), decoder: seq([tf.layers.dense({ inputShape: [3], units: 9, activation: "elu", name: "e1" }), tf.layers.dense({ units: 12 })]) },
      /layer 'e1' has activation "elu"; vaekit's layers use relu, LeakyReLU, tanh, sigmoid or linear/);
    await fails({ encoder: enc(), decoder: seq([tf.layers.dense({ inputShape: [3], units: 9, activation: "tanh", name: "t1" }), tf.layers.dense({ units: 12 })]) },
      /hidden layers differ in activation: 'enc_h' uses relu but 't1' uses tanh/);
    await fails({ encoder: enc(), decoder: seq([tf.layers.dense({ inputShape: [3], units: 9, activation: "relu" }), tf.layers.dense({ units: 12, activation: "relu", name: "o" })]) },
      /the output layer 'o' applies relu; vaekit's decoder ends in a sigmoid \(Bernoulli\) or is linear/);
    await fails({ encoder: enc(), decoder: dec() }, /ends in a sigmoid.*options\.likelihood is "gaussian"/, ModelFormatError, { likelihood: "gaussian" });
    const x = tf.input({ shape: [12] });
    const h = tf.layers.dense({ units: 9, activation: "relu" }).apply(x);
    const badHead = tf.model({ inputs: x, outputs: [tf.layers.dense({ units: 3, name: "m" }).apply(h), tf.layers.dense({ units: 3, activation: "relu", name: "lv" }).apply(h)] });
    await fails({ encoder: badHead, decoder: dec() }, /the log-variance layer 'lv' applies relu \(layer 'lv'\); vaekit's heads are linear/);
  });

  it("shapes that do not chain, a head that cannot be found, layers with other weights", async () => {
    await fails({ encoder: enc(), decoder: seq([tf.layers.dense({ inputShape: [4], units: 9, activation: "relu", name: "d4" }), tf.layers.dense({ units: 12, activation: "sigmoid" })]) },
      /Dense layer 'd4' \(vaekit's decoder\.hidden\.0\) takes 4 inputs; expected 3, the latent size 3/);
    await fails({ encoder: enc(), decoder: seq([tf.layers.dense({ inputShape: [3], units: 9, activation: "relu" }), tf.layers.dense({ units: 11, activation: "sigmoid", name: "o11" })]) },
      /the output layer 'o11' has 11 units; expected 12, the input size of the encoder's first layer 'enc_h'/);
    await fails({ encoder: seq([tf.layers.dense({ inputShape: [12], units: 9, activation: "relu" }), tf.layers.dense({ units: 3, name: "odd" })]), decoder: dec() },
      /cannot tell the encoder's mean and log-variance layers apart.*'odd' has 3 units\. Pass options\.names/);
    // (BatchNormalization, refused here before, is imported since conv models are: test/interop/tfjs-conv.test.ts)
    await fails({ encoder: seq([tf.layers.dense({ inputShape: [12], units: 9 }), tf.layers.layerNormalization({ name: "ln" }), tf.layers.dense({ units: 6 })]), decoder: dec() },
      /layer 'ln' of the encoder model is a LayerNormalization with weights; vaekit imports Dense, Conv2D, Conv2DTranspose and BatchNormalization layers/);
  });

  it("broken files: missing shard, wrong format, unknown options and names", async () => {
    const f = await files(dec());
    await fails({ encoder: enc(), decoder: { ...f, weights: [f.weights[0]] } }, /the decoder model's weight data has \d+ bytes but its manifest needs more.*are all shards given/);
    await fails({ encoder: enc(), decoder: { ...f, modelJson: f.modelJson.replace('"layers-model"', '"graph-model"') } }, /format "graph-model"; vaekit imports "layers-model"/);
    await fails({ encoder: enc(), decoder: { ...f, modelJson: "{not json" } }, /model\.json is not JSON/);
    await fails({ encoder: enc(), decoder: 42 }, /the decoder model is not a TF\.js layers model/);
    await fails({ encoder: enc(), decoder: dec() }, /unknown option 'name'/, InvalidInputError, { name: "x" });
    await fails({ encoder: enc(), decoder: dec() }, /likelihood must be/, InvalidInputError, { likelihood: "poisson" });
    await fails({ encoder: enc(), decoder: dec() }, /options\.names\["encoder\.mean"\] is 'nope', but no Dense layer has that name \(Dense layers: enc_h, z_mean, z_log_var, dec_h, dec_out\)/, ModelFormatError,
      { names: { "encoder.mean": "nope", "encoder.logvar": "z_log_var", "decoder.output": "dec_out" } });
    const dupEnc = seq([tf.layers.dense({ inputShape: [12], units: 6, name: "dup" })]);
    const dupDec = seq([tf.layers.dense({ inputShape: [3], units: 12, name: "dup" })]);
    await fails({ encoder: dupEnc, decoder: dupDec }, /options\.names\["encoder\.mean"\] is 'dup', a layer name both the encoder and the decoder model use/, ModelFormatError,
      { names: { "encoder.mean": "dup", "encoder.logvar": "dup", "decoder.output": "dup" } });
  });
});

describe("tf.Tensor wrappers", () => {
  it("give exactly the Float32Array methods' results, as float32 tensors of the right shapes", async () => {
    const vae = await VAE.create({ inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 4 });
    const x = randomArray(18, 3, 0, 1);
    const z = randomArray(6, 4, -1, 1);
    const xt = tf.tensor2d(x, [3, 6]);
    const { mean, logVar } = encodeTensor(vae, xt);
    const e = vae.encode(x);
    expect(mean.shape).toEqual([3, 2]);
    expect(mean.dtype).toBe("float32");
    expect(mean.dataSync()).toEqual(e.mean);
    expect(logVar.dataSync()).toEqual(e.logVar);
    const d = decodeTensor(vae, tf.tensor2d(z, [3, 2]));
    expect(d.shape).toEqual([3, 6]);
    expect(d.dataSync()).toEqual(vae.decode(z));
    expect(reconstructTensor(vae, xt).dataSync()).toEqual(vae.reconstruct(x));
    expect(reconstructTensor(vae, xt, { sample: true, seed: 5 }).dataSync()).toEqual(vae.reconstruct(x, { sample: true, seed: 5 }));
    const s = sampleTensor(vae, 4, { seed: 2 });
    expect(s.shape).toEqual([4, 6]);
    expect(s.dataSync()).toEqual(vae.sample(4, { seed: 2 }));
    // int32 input is accepted (values converted)
    expect(decodeTensor(vae, tf.tensor2d([1, 0, 0, -1], [2, 2], "int32")).dataSync()).toEqual(vae.decode([1, 0, 0, -1]));
    vae.dispose();
  });

  it("reject tensors of the wrong shape, rank or dtype, disposed tensors and non-tensors", async () => {
    const vae = await VAE.create({ inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 4 });
    expect(() => encodeTensor(vae, tf.zeros([3, 5]))).toThrow(/encodeTensor\(x\): expected a tensor of shape \[n, 6\]; got shape \[3, 5\]/);
    expect(() => decodeTensor(vae, tf.zeros([2]))).toThrow(/decodeTensor\(z\): expected a tensor of shape \[n, 2\]; got shape \[2\]/);
    expect(() => decodeTensor(vae, tf.tensor2d([true, false, true, true], [2, 2], "bool"))).toThrow(/expected a float32 \(or int32\) tensor; got dtype bool/);
    const t = tf.zeros([1, 6]);
    t.dispose();
    expect(() => reconstructTensor(vae, t)).toThrow(/the tensor has been disposed/);
    expect(() => encodeTensor(vae, new Float32Array(6) as never)).toThrow(InvalidInputError);
    expect(() => encodeTensor(vae, tf.fill([1, 6], 2))).toThrow(InvalidInputError); // Bernoulli data must be in [0, 1]
    vae.dispose();
  });
});
