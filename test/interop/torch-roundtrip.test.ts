// The round trip vaekit → PyTorch → vaekit for every class exportTorch writes, MLP and conv (issues 19 and 13), and
// a PyTorch conv VAE written the PyTorch way read by loadTorch. The committed fixtures in
// test/fixtures/torch-roundtrip/ are the exports of the models below (checked byte for byte here, so the Python
// that ran is this exact code) and what PyTorch 1.13 computed with them (scripts/make-torch-roundtrip.py): eval-mode
// outputs, the exported module's own loss on fixed inputs and noise, and the state_dict after 3 Adam steps in
// PyTorch, saved as safetensors.torch.save_file saves it. No Python here.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, InvalidConfigError, InvalidInputError, ModelFormatError, VAE,
  type LayerSpec, type ModelApi, type Terms,
} from "../../src/index.js";
import {
  exportTorch, loadTorch, readTorch, type TorchImportOptions, type TorchModelKind,
} from "../../src/torch.js";
import { f32Bytes, parseRaw, writeRaw } from "./raw-safetensors.js";

const DIR = join(__dirname, "..", "fixtures", "torch-roundtrip");
const WRITE = process.env.VAEKIT_WRITE_TORCH_ROUNDTRIP === "1";
const TOL = 1e-5;
const ROWS = 6; // the script's batch
const NOISE_SEED = 3;

/**
 * A denoising autoencoder's corruption noise as vaekit draws it for `gradients(x, { seed: NOISE_SEED })` (per
 * position, whatever x): for a mask the kept positions (1) and dropped ones (0), which the script hands the module's
 * torch.rand_like (kept ⇔ ≥ p); for Gaussian noise ε of x + σ·ε, handed to torch.randn_like.
 */
function corruptionNoise(m: Autoencoder): { fn: string; values: number[] } | undefined {
  const d = m.config.denoising;
  if (!d) return undefined;
  const D = m.config.inputSize;
  if (d.type === "mask") return { fn: "rand_like", values: Array.from(m.corrupt(new Float32Array(ROWS * D).fill(1), { seed: NOISE_SEED })) };
  return { fn: "randn_like", values: Array.from(m.corrupt(new Float32Array(ROWS * D), { seed: NOISE_SEED }), (v) => v / d.sigma) };
}

// a conv VAE with every layer kind and both of Keras's uneven "same" paddings (PaddedConv2d, CroppedConvTranspose2d)
const CONV_ENCODER: LayerSpec[] = [
  { type: "conv2d", filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }, // 7×6 → 4×3, pads 1/1, 0/1
  { type: "batchNorm", momentum: 0.2 },
  { type: "conv2d", filters: 4, kernelSize: [2, 3], strides: 1, padding: 1, activation: "tanh" }, // → 5×3
  { type: "flatten" },
  { type: "dense", units: 8, activation: "leaky_relu" },
];
const CONV_DECODER: LayerSpec[] = [
  { type: "dense", units: 24, activation: "relu" },
  { type: "batchNorm", epsilon: 1e-3 },
  { type: "reshape", shape: [2, 3, 4] },
  { type: "conv2dTranspose", filters: 3, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, activation: "relu" }, // → 4×6
  { type: "batchNorm" },
  { type: "conv2dTranspose", filters: 2, kernelSize: 2, strides: [2, 1], padding: "same" }, // → 8×6, crops 0/0, 0/1
  { type: "conv2d", filters: 2, kernelSize: [2, 1], padding: "valid" }, // → 7×6
];

interface Case { make: () => Promise<ModelApi<Terms>>; load: TorchImportOptions<TorchModelKind> }
const CASES: Record<string, Case> = {
  "vae-relu-bernoulli": {
    make: () => VAE.create({ inputSize: 10, hiddenSizes: [8], latentSize: 3, activation: "relu", seed: 11 }),
    load: { activation: "relu" },
  },
  "vae-tanh-gaussian-learned": {
    make: () => VAE.create({ inputSize: 10, hiddenSizes: [9, 7], decoderHiddenSizes: [6], latentSize: 2, activation: "tanh", likelihood: "gaussian", likelihoodScale: "learned", seed: 12 }),
    load: { activation: "tanh", likelihood: "gaussian" },
  },
  "vae-leaky-laplace-beta": {
    make: () => VAE.create({ inputSize: 10, hiddenSizes: [7], latentSize: 3, activation: "leaky_relu", leakySlope: 0.2, likelihood: "laplace", likelihoodScale: 0.6, beta: 0.5, seed: 13 }),
    load: { activation: "leaky_relu", leakySlope: 0.2, likelihood: "laplace", likelihoodScale: 0.6, beta: 0.5 },
  },
  "vae-sigmoid-cbernoulli": {
    make: () => VAE.create({ inputSize: 10, hiddenSizes: [8], latentSize: 2, activation: "sigmoid", likelihood: "continuous-bernoulli", seed: 14 }),
    load: { activation: "sigmoid", likelihood: "continuous-bernoulli" },
  },
  "cvae-tanh-bernoulli": {
    make: () => ConditionalVAE.create({ inputSize: 10, hiddenSizes: [8], latentSize: 2, classes: 4, activation: "tanh", seed: 15 }),
    load: { kind: "ConditionalVAE", activation: "tanh" },
  },
  "hvae-relu-gaussian": {
    make: () => HierarchicalVAE.create({ inputSize: 10, latentSizes: [4, 2], hiddenSizes: [[8], [5]], activation: "relu", likelihood: "gaussian", likelihoodScale: 0.8, seed: 16 }),
    load: { kind: "HierarchicalVAE", activation: "relu", likelihood: "gaussian", likelihoodScale: 0.8 },
  },
  "hvae-tanh-learned": {
    make: () => HierarchicalVAE.create({ inputSize: 10, latentSizes: [3, 2], hiddenSizes: [[7], [5]], decoderHiddenSizes: [[6, 5], [4]], likelihood: "gaussian", likelihoodScale: "learned", seed: 17 }),
    load: { kind: "HierarchicalVAE", likelihood: "gaussian" },
  },
  "ae-l1-gaussian": {
    make: () => Autoencoder.create({ inputSize: 10, hiddenSizes: [8], latentSize: 3, activation: "tanh", likelihood: "gaussian", likelihoodScale: 0.5, sparsity: { type: "l1", weight: 0.1 }, seed: 18 }),
    load: { kind: "Autoencoder", activation: "tanh", likelihood: "gaussian", likelihoodScale: 0.5 },
  },
  "ae-kl-bernoulli": {
    make: () => Autoencoder.create({ inputSize: 10, hiddenSizes: [8], latentSize: 3, activation: "relu", latentActivation: "sigmoid", sparsity: { type: "kl", rho: 0.1, weight: 0.3 }, seed: 19 }),
    load: { kind: "Autoencoder", activation: "relu", latentActivation: "sigmoid" },
  },
  "ae-mask-bernoulli": {
    make: () => Autoencoder.create({ inputSize: 10, hiddenSizes: [8], latentSize: 3, activation: "relu", denoising: { type: "mask", p: 0.3 }, seed: 23 } as never),
    load: { kind: "Autoencoder", activation: "relu" },
  },
  "conv-vae-bernoulli": {
    make: () => VAE.create({ inputShape: [7, 6, 2], encoder: CONV_ENCODER, decoder: CONV_DECODER, latentSize: 3, seed: 20 }),
    load: { inputShape: [7, 6, 2], encoder: CONV_ENCODER, decoder: CONV_DECODER },
  },
  "conv-cvae-gaussian-learned": {
    make: () => ConditionalVAE.create({ inputShape: [7, 6, 2], encoder: CONV_ENCODER, decoder: CONV_DECODER, latentSize: 2, classes: 3, likelihood: "gaussian", likelihoodScale: "learned", seed: 21 }),
    load: { kind: "ConditionalVAE", inputShape: [7, 6, 2], encoder: CONV_ENCODER, decoder: CONV_DECODER, likelihood: "gaussian" },
  },
  "conv-ae-laplace": {
    make: () => Autoencoder.create({ inputShape: [7, 6, 2], encoder: CONV_ENCODER, decoder: CONV_DECODER, latentSize: 3, latentActivation: "tanh", likelihood: "laplace", likelihoodScale: 0.7, denoising: { type: "gaussian", sigma: 0.3 }, seed: 22 } as never),
    load: { kind: "Autoencoder", inputShape: [7, 6, 2], encoder: CONV_ENCODER, decoder: CONV_DECODER, latentActivation: "tanh", likelihood: "laplace", likelihoodScale: 0.7 },
  },
};

interface Fixture {
  kind: string; x: number[]; z: number[]; y?: number[]; epsilon: number[][];
  encode: number[][] | number[]; decode: number[]; loss: number; loss32: number;
  trainedEncode: number[][] | number[]; trainedDecode: number[]; losses: number[];
}
const fixture = (name: string): Fixture => JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Fixture;

function worst(actual: ArrayLike<number>, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let w = 0;
  for (let i = 0; i < expected.length; i++) w = Math.max(w, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  return w;
}
const close = (actual: ArrayLike<number>, expected: number[], what: string): void => {
  expect(worst(actual, expected), `${what}: largest difference`).toBeLessThanOrEqual(TOL);
};

/** vaekit's encode as the Python module returns it: (mean, logvar), (m1, v1, m2, v2), or the code. */
function encoded(m: ModelApi<Terms>, x: Float32Array, y?: number[]): Float32Array[] {
  if (m instanceof HierarchicalVAE) {
    const e = m.encode(x);
    return [e.z1.mean, e.z1.logVar, e.z2.mean, e.z2.logVar];
  }
  if (m instanceof Autoencoder) return [m.encode(x)];
  const e = m instanceof ConditionalVAE ? m.encode(x, y!) : (m as VAE).encode(x);
  return [e.mean, e.logVar];
}
const decoded = (m: ModelApi<Terms>, z: Float32Array, y?: number[]): Float32Array =>
  m instanceof ConditionalVAE ? m.decode(z, y!) : m.decodeAny(z);
const parts = (e: number[][] | number[]): number[][] => (Array.isArray(e[0]) ? e : [e]) as number[][];

/** vaekit's summed training loss on the fixture's inputs and noise (training mode: batch statistics). */
function loss(m: ModelApi<Terms>, f: Fixture): number {
  const x = Float32Array.from(f.x);
  if (m instanceof HierarchicalVAE) return m.gradients(x, { epsilon: { z1: Float32Array.from(f.epsilon[0]), z2: Float32Array.from(f.epsilon[1]) } }).loss;
  if (m instanceof Autoencoder) return m.gradients(x, { seed: NOISE_SEED }).loss;
  if (m instanceof ConditionalVAE) return m.gradients(x, f.y!, { epsilon: Float32Array.from(f.epsilon[0]) }).loss;
  return (m as VAE).gradients(x, { epsilon: Float32Array.from(f.epsilon[0]) }).loss;
}

describe("vaekit → PyTorch → vaekit (scripts/make-torch-roundtrip.py)", () => {
  if (WRITE) {
    it("writes the exports for scripts/make-torch-roundtrip.py", async () => {
      mkdirSync(DIR, { recursive: true });
      for (const [name, c] of Object.entries(CASES)) {
        const m = await c.make();
        const ex = exportTorch(m);
        writeFileSync(join(DIR, `${name}.py`), ex.python);
        writeFileSync(join(DIR, `${name}.safetensors`), ex.stateDict);
        writeFileSync(join(DIR, `${name}.config.json`), `${JSON.stringify(m.config)}\n`);
        const noise = m instanceof Autoencoder ? corruptionNoise(m) : undefined;
        if (noise) writeFileSync(join(DIR, `${name}.noise.json`), `${JSON.stringify(noise)}\n`);
        m.dispose();
      }
    });
    return;
  }

  it.each(Object.keys(CASES))("%s: PyTorch's outputs and loss equal vaekit's within 1e-5; PyTorch's trained weights load back", async (name) => {
    const c = CASES[name];
    const m = await c.make();
    try {
      const ex = exportTorch(m);
      expect(ex.className).toBe(m.kind);
      // the committed module and state_dict are exactly this export, so the fixture's numbers are this code's
      expect(ex.python).toBe(readFileSync(join(DIR, `${name}.py`), "utf8"));
      expect(Buffer.from(ex.stateDict).equals(readFileSync(join(DIR, `${name}.safetensors`)))).toBe(true);
      const f = fixture(name);
      expect(f.kind).toBe(m.kind);
      const x = Float32Array.from(f.x), z = Float32Array.from(f.z);

      // the exported module in PyTorch (eval mode) computes vaekit's encode and decode
      const enc = encoded(m, x, f.y);
      const want = parts(f.encode);
      expect(enc.length).toBe(want.length);
      enc.forEach((e, i) => close(e, want[i], `encode[${i}]`));
      close(decoded(m, z, f.y), f.decode, "decode");

      // and its loss, forward(x), on the same inputs and noise is vaekit's training loss
      const l = loss(m, f);
      expect(Math.abs(l - f.loss) / Math.abs(f.loss), `loss: vaekit ${l}, PyTorch ${f.loss} (float32 ${f.loss32})`).toBeLessThanOrEqual(TOL);

      // the exported state_dict loads straight back through loadTorch, bit for bit
      const back = await loadTorch(ex.stateDict, c.load as never) as ModelApi<Terms>;
      try {
        expect(back.kind).toBe(m.kind);
        const a = back.getWeights(), w = m.getWeights();
        expect(Object.keys(a).sort()).toEqual(Object.keys(w).sort());
        for (const k of Object.keys(w)) expect(Buffer.from(a[k].buffer).equals(Buffer.from(w[k].buffer)), `loadTorch ${k}`).toBe(true);
      } finally {
        back.dispose();
      }

      // PyTorch trained it on (3 Adam steps) and saved it as safetensors.torch.save_file does (num_batches_tracked as
      // I64): loadTorch reads that file into a new model whose outputs are PyTorch's after training
      const trained = new Uint8Array(readFileSync(join(DIR, `${name}-trained.safetensors`)));
      const t = await loadTorch(trained, c.load as never) as ModelApi<Terms>;
      try {
        const te = encoded(t, x, f.y);
        parts(f.trainedEncode).forEach((e, i) => close(te[i], e, `encode after training in PyTorch [${i}]`));
        close(decoded(t, z, f.y), f.trainedDecode, "decode after training in PyTorch");
        // the training moved the weights far beyond the tolerance, so the comparison has teeth
        expect(worst(decoded(m, z, f.y), f.trainedDecode)).toBeGreaterThan(1e-3);
      } finally {
        t.dispose();
      }
    } finally {
      m.dispose();
    }
  });

  it("the fixtures exist (run scripts/make-torch-roundtrip.py after writing the exports)", () => {
    for (const name of [...Object.keys(CASES), "native-conv-vae"]) expect(existsSync(join(DIR, `${name}.json`)), name).toBe(true);
  });
});

// the PyTorch conv VAE of scripts/make-torch-roundtrip.py (NativeConvVAE), as vaekit layer lists
const NATIVE_ENCODER: LayerSpec[] = [
  { type: "conv2d", filters: 4, kernelSize: 3, strides: 2, padding: 1 },
  { type: "batchNorm", activation: "relu" },
  { type: "conv2d", filters: 6, kernelSize: 3, strides: 2, padding: 1, activation: "leaky_relu" },
  { type: "flatten" },
  { type: "dense", units: 10, activation: "tanh" },
];
const NATIVE_DECODER: LayerSpec[] = [
  { type: "dense", units: 36, activation: "relu" },
  { type: "reshape", shape: [3, 2, 6] },
  { type: "conv2dTranspose", filters: 4, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1 },
  { type: "batchNorm", activation: "relu" },
  { type: "conv2dTranspose", filters: 2, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1 },
];
const NATIVE: TorchImportOptions = { inputShape: [12, 8, 2], encoder: NATIVE_ENCODER, decoder: NATIVE_DECODER, leakySlope: 0.2 };

describe("vaekit/torch reads PyTorch conv VAEs", () => {
  const bytes = (): Uint8Array => new Uint8Array(readFileSync(join(DIR, "native-conv-vae.safetensors")));
  const f = (): Record<string, number[]> => JSON.parse(readFileSync(join(DIR, "native-conv-vae.json"), "utf8")) as Record<string, number[]>;

  it("an nn.Sequential conv VAE (Conv2d without bias, BatchNorm2d, Flatten, Linear, fc_mu / fc_var, Unflatten, ConvTranspose2d) gives PyTorch's eval-mode outputs", async () => {
    const { config, naming } = readTorch(bytes(), NATIVE);
    expect(naming).toBe("containers");
    expect(config.latentSize).toBe(3);
    const vae = await loadTorch(bytes(), NATIVE);
    try {
      const fx = f();
      const { mean, logVar } = vae.encode(Float32Array.from(fx.x));
      close(mean, fx.mean, "mean");
      close(logVar, fx.logVar, "logVar");
      close(vae.decode(Float32Array.from(fx.z)), fx.decode, "decode");
      // the conv without bias got a zero bias
      expect(Array.from(vae.getWeights()["encoder.layers.0.bias"])).toEqual([0, 0, 0, 0]);
    } finally {
      vae.dispose();
    }
  });

  it("the comparison has teeth: a wrong stride-free geometry or activation in the lists is far off or refused", async () => {
    const wrongAct = NATIVE_ENCODER.map((l, i) => (i === 4 ? { ...l, activation: "relu" } : l)) as LayerSpec[];
    const vae = await loadTorch(bytes(), { ...NATIVE, encoder: wrongAct });
    try {
      expect(worst(vae.encode(Float32Array.from(f().x)).mean, f().mean)).toBeGreaterThan(1e-3);
    } finally {
      vae.dispose();
    }
    const wrongKernel = NATIVE_ENCODER.map((l, i) => (i === 2 ? { ...l, kernelSize: 5, padding: 2 } : l)) as LayerSpec[];
    expect(() => readTorch(bytes(), { ...NATIVE, encoder: wrongKernel })).toThrow(ModelFormatError);
    expect(() => readTorch(bytes(), { ...NATIVE, encoder: wrongKernel })).toThrow(/'encoder\.3\.weight' \(vaekit's encoder\.layers\.2\.weight\) has shape \[6, 4, 3, 3\]; expected \[6, 4, 5, 5\], for encoder\[2\] \(conv2d\)/);
  });

  it("refuses what does not fit, saying what and where", () => {
    const fewer = NATIVE_DECODER.filter((_, i) => i !== 3) as LayerSpec[];
    expect(() => readTorch(bytes(), { ...NATIVE, decoder: fewer })).toThrow(/the state_dict's decoder has 4 modules with tensors \(decoder\.0, decoder\.3, decoder\.4, decoder\.6\) but options\.decoder has 3 layers with parameters/);
    expect(() => readTorch(bytes(), { inputShape: [12, 8, 2], encoder: NATIVE_ENCODER } as never)).toThrow(InvalidInputError);
    expect(() => readTorch(bytes())).toThrow(/tensor 'decoder\.3\.weight' \[6, 4, 3, 3\] belongs to a conv \/ layer-list model.*pass them/);
    expect(() => readTorch(bytes(), { ...NATIVE, activation: "relu" } as never)).toThrow(/each layer carries its own activation/);
    expect(() => readTorch(bytes(), { ...NATIVE, kind: "HierarchicalVAE" } as never)).toThrow(/layer lists.*go with kind VAE, ConditionalVAE, Autoencoder/);
    expect(() => readTorch(bytes(), { ...NATIVE, names: { "encoder.mean": "fc_mu", "encoder.logvar": "fc_lv" } })).toThrow(/missing tensor 'fc_lv\.weight'/);
  });

  it("other module trees through options.names (a decoder split over modules, renamed heads); strays are refused", async () => {
    // the same weights as PyTorch-VAE lays them out: decoder_input, then the decoder's Sequential; heads mu / lv
    const rename = (k: string): string => k.replace(/^decoder\.0\./, "decoder_input.").replace(/^fc_mu\./, "mu.").replace(/^fc_var\./, "lv.");
    // (the raw tensors, so batch norm's I64 num_batches_tracked stays as PyTorch wrote it)
    const raw = new Map([...parseRaw(bytes()).tensors].map(([k, t]) => [rename(k), t]));
    const renamed = writeRaw(raw);
    const names = { "decoder.layers": ["decoder_input", "decoder"], "encoder.mean": "mu", "encoder.logvar": "lv" };
    expect(() => readTorch(renamed, NATIVE)).toThrow(/no mean \/ log-variance heads found/);
    const { naming } = readTorch(renamed, { ...NATIVE, names });
    expect(naming).toBe("options.names");
    const vae = await loadTorch(renamed, { ...NATIVE, names });
    try {
      close(vae.decode(Float32Array.from(f().z)), f().decode, "decode");
    } finally {
      vae.dispose();
    }
    raw.set("extra.weight", { dtype: "F32", shape: [2], bytes: f32Bytes([1, 2]) });
    expect(() => readTorch(writeRaw(raw), { ...NATIVE, names })).toThrow(/unexpected tensor 'extra\.weight' \[2\]/);
  });
});

describe("loadTorch's kinds: errors that teach", () => {
  it("HierarchicalVAE and Autoencoder options are checked like create's", async () => {
    const h = await CASES["hvae-tanh-learned"].make();
    const hv = exportTorch(h).stateDict;
    h.dispose();
    expect(() => readTorch(hv, { kind: "HierarchicalVAE", activation: "rleu" } as never)).toThrow(InvalidConfigError);
    expect(() => readTorch(hv, { kind: "HierarchicalVAE", names: { "encoder.mean": "x" } } as never)).toThrow(/read in vaekit's naming/);
    expect(() => readTorch(hv, { kind: "HierarchicalVAE" })).toThrow(/"learned" is available for the Gaussian likelihood only/);
    const { config } = readTorch(hv, { kind: "HierarchicalVAE", likelihood: "gaussian" });
    expect([config.latentSizes, config.hiddenSizes, config.decoderHiddenSizes, config.likelihoodScale]).toEqual([[3, 2], [[7], [5]], [[6, 5], [4]], "learned"]);
    const a = await CASES["ae-kl-bernoulli"].make();
    const av = exportTorch(a).stateDict;
    a.dispose();
    expect(() => readTorch(av, { kind: "Autoencoder", beta: 2 } as never)).toThrow(/an Autoencoder has no KL term/);
    expect(() => readTorch(av, { kind: "Autoencoder", latentActivation: "sigmoidd" } as never)).toThrow(InvalidConfigError);
    expect(() => readTorch(av)).toThrow(/no known VAE naming/); // read as a VAE: no mean / logvar heads
  });

  it("a ConditionalVAE's state_dict read as a VAE says the shapes don't fit; a wrong kind is refused", async () => {
    const m = await CASES["cvae-tanh-bernoulli"].make();
    const { stateDict } = exportTorch(m);
    m.dispose();
    expect(() => readTorch(stateDict)).toThrow(ModelFormatError);
    expect(() => readTorch(stateDict, { kind: "VAEE" } as never)).toThrow(/options\.kind must be one of VAE, ConditionalVAE, HierarchicalVAE, Autoencoder/);
    const { config } = readTorch(stateDict, { kind: "ConditionalVAE" });
    expect(config.classes).toBe(4);
    expect(config.inputSize).toBe(10);
  });

  it("a learned σ contradicted by a fixed likelihoodScale option is refused", async () => {
    const m = await CASES["vae-tanh-gaussian-learned"].make();
    const { stateDict } = exportTorch(m);
    m.dispose();
    expect(() => readTorch(stateDict, { likelihood: "gaussian", likelihoodScale: 0.5 })).toThrow(/learned σ \(decoder\.logsigma\) but options\.likelihoodScale is 0\.5/);
    expect(readTorch(stateDict, { likelihood: "gaussian" }).config.likelihoodScale).toBe("learned");
  });
});
