// exportTorch: every model class as a state_dict plus a Python nn.Module definition. The committed fixtures in
// test/fixtures/interop/export/ are the exports of the models below (checked byte for byte here, so the Python that
// ran is this exact code) and what PyTorch computed with them (scripts/make-export-fixture.py): vaekit's encode and
// decode equal PyTorch's within 1e-5; the state_dict comes back through loadTorch (VAE) and setWeights (any model)
// with the same weights; the weights PyTorch trained further come back and decode as they did in PyTorch.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, InvalidInputError, VAE, type ModelApi, type Terms,
} from "../../src/index.js";
import { exportTorch, loadTorch, readFloatSafetensors } from "../../src/torch.js";

const DIR = join(__dirname, "..", "fixtures", "interop", "export");
const WRITE = process.env.VAEKIT_WRITE_EXPORT_FIXTURES === "1";

const MODELS: Record<string, () => Promise<ModelApi<Terms>>> = {
  "vae-tanh-bernoulli": () => VAE.create({ inputSize: 12, hiddenSizes: [10, 8], latentSize: 3, activation: "tanh", seed: 1 }),
  "vae-relu-cbernoulli": () => VAE.create({ inputSize: 12, hiddenSizes: [9], latentSize: 2, activation: "relu", likelihood: "continuous-bernoulli", beta: 2, seed: 2 }),
  "cvae-leaky-gaussian": () => ConditionalVAE.create({ inputSize: 12, hiddenSizes: [10], latentSize: 3, classes: 3, activation: "leaky_relu", leakySlope: 0.1, likelihood: "gaussian", likelihoodScale: 0.5, seed: 3 }),
  "hvae-tanh-learned-sigma": () => HierarchicalVAE.create({ inputSize: 12, latentSizes: [4, 2], hiddenSizes: [[10], [6]], likelihood: "gaussian", sigma: "learned", seed: 4 } as never),
  "ae-sigmoid-code-laplace": () => Autoencoder.create({ inputSize: 12, hiddenSizes: [8], latentSize: 3, latentActivation: "sigmoid", likelihood: "laplace", likelihoodScale: 0.7, sparsity: { type: "kl", rho: 0.2, weight: 0.5 }, denoising: { type: "mask", p: 0.2 }, seed: 5 } as never),
};

interface Fixture { x: number[]; z: number[]; y?: number[]; encode: number[][] | number[]; decode: number[]; trainedDecode: number[]; losses: number[] }

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst, `${what}: largest difference`).toBeLessThanOrEqual(1e-5);
}

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

describe("exportTorch", () => {
  if (WRITE) {
    it("writes the exports for scripts/make-export-fixture.py", async () => {
      mkdirSync(DIR, { recursive: true });
      for (const [name, make] of Object.entries(MODELS)) {
        const m = await make();
        const ex = exportTorch(m);
        writeFileSync(join(DIR, `${name}.py`), ex.python);
        writeFileSync(join(DIR, `${name}.safetensors`), ex.stateDict);
        m.dispose();
      }
    });
    return;
  }

  it.each(Object.keys(MODELS))("%s: PyTorch's outputs equal vaekit's within 1e-5; the weights come and go back", async (name) => {
    const m = await MODELS[name]();
    const ex = exportTorch(m);
    expect(ex.className).toBe(m.kind);
    // the committed module and state_dict are exactly this export, so the fixture's numbers are this code's
    expect(ex.python).toBe(readFileSync(join(DIR, `${name}.py`), "utf8"));
    expect(Buffer.from(ex.stateDict).equals(readFileSync(join(DIR, `${name}.safetensors`)))).toBe(true);
    const f = JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Fixture;
    const x = Float32Array.from(f.x), z = Float32Array.from(f.z);
    const enc = encoded(m, x, f.y);
    const want = (Array.isArray(f.encode[0]) ? f.encode : [f.encode]) as number[][];
    expect(enc.length).toBe(want.length);
    enc.forEach((e, i) => close(e, want[i], `encode[${i}]`));
    close(decoded(m, z, f.y), f.decode, "decode");

    // back: the exported state_dict's tensors are the model's weights, bit for bit
    const { tensors } = readFloatSafetensors(ex.stateDict);
    const back = Object.fromEntries([...tensors].map(([k, t]) => [k, t.data]));
    const w = m.getWeights();
    expect(Object.keys(back).sort()).toEqual(Object.keys(w).sort());
    for (const k of Object.keys(w)) expect(Buffer.from(back[k].buffer).equals(Buffer.from(w[k].buffer)), k).toBe(true);
    if (m instanceof VAE && m.config.likelihoodScale !== "learned") {
      const again = await loadTorch(ex.stateDict, { activation: m.config.activation, likelihood: m.config.likelihood, seed: 1 });
      const a = again.getWeights();
      for (const k of Object.keys(w)) expect(Buffer.from(a[k].buffer).equals(Buffer.from(w[k].buffer)), `loadTorch ${k}`).toBe(true);
      again.dispose();
    }

    // the weights PyTorch trained further (3 Adam steps) come back and decode as in PyTorch
    const trained = readFloatSafetensors(new Uint8Array(readFileSync(join(DIR, `${name}-trained.safetensors`))));
    m.setWeights(Object.fromEntries([...trained.tensors].map(([k, t]) => [k, t.data])));
    close(decoded(m, z, f.y), f.trainedDecode, "decode after training in PyTorch");
    expect(f.trainedDecode).not.toEqual(f.decode);
    m.dispose();
  });

  it("refuses what is not a model", () => {
    expect(() => exportTorch({} as never)).toThrow(InvalidInputError);
    expect(() => exportTorch(null as never)).toThrow(InvalidInputError);
  });

  it("the fixtures exist (run scripts/make-export-fixture.py after writing the exports)", () => {
    for (const name of Object.keys(MODELS)) expect(existsSync(join(DIR, `${name}.json`)), name).toBe(true);
  });
});
