// PyTorch state_dicts (safetensors) loaded into vaekit give PyTorch's outputs. Fixtures: test/fixtures/interop/,
// written by scripts/make-torch-fixture.py from real torch.nn.Modules (no Python needed here).
//
// Tolerance, per output value: |vaekit − torch| ≤ 1e-5 · max(1, |torch|) (absolute 1e-5 for values of magnitude
// up to 1, relative 1e-5 above), on encode's mean and log-variance, decode(z) and reconstruct(x). Both sides
// compute in float32 from the same float32 weights, so only summation order differs (measured: under 1e-6).
// A wrong activation, likelihood, transposed weight or swapped head is off by 1e-2 or more and fails.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { encodeSafetensors, InvalidConfigError, InvalidInputError, ModelFormatError, VAE } from "../../src/index.js";
import { loadTorch, readFloatSafetensors, readTorch, type TorchImportOptions } from "../../src/torch.js";
import { randomArray } from "../helpers/wasm.js";
import { f32Bytes, parseRaw, writeRaw, type RawTensor } from "./raw-safetensors.js";

const TOL = 1e-5;
const dir = new URL("../fixtures/interop/", import.meta.url);

interface Fixture {
  name: string;
  description: string;
  safetensors?: string;
  options: TorchImportOptions;
  rows: number;
  x: number[];
  z: number[];
  expected: { mean: number[]; logVar: number[]; decode: number[]; reconstruct: number[] };
  weightsGenerator?: Record<string, { shape: number[]; seed: number; lo: number; hi: number; check: { sum: number; first: number[] } }>;
}

const fixture = (name: string): Fixture => JSON.parse(readFileSync(new URL(`${name}.json`, dir), "utf8"));
const bytesOf = (fx: Fixture): Uint8Array => new Uint8Array(readFileSync(new URL(fx.safetensors!, dir)));

/** Largest |got − want| / max(1, |want|). */
function worst(got: Float32Array, want: number[]): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return m;
}

function compare(vae: VAE, fx: Fixture): Record<string, number> {
  const x = Float32Array.from(fx.x);
  const z = Float32Array.from(fx.z);
  const { mean, logVar } = vae.encode(x);
  return {
    mean: worst(mean, fx.expected.mean),
    logVar: worst(logVar, fx.expected.logVar),
    decode: worst(vae.decode(z), fx.expected.decode),
    reconstruct: worst(vae.reconstruct(x), fx.expected.reconstruct),
  };
}

const measured: Record<string, number> = {};
afterAll(() => {
  console.log(`torch import, worst |Δ|/max(1,|ref|) per fixture: ${JSON.stringify(measured)}`);
});

const SMALL = [
  { name: "notes-relu-bernoulli", naming: "lecture notes", dtype: "F32", sizes: [24, [16], 4, [16]] },
  { name: "examples-leaky-f64", naming: "pytorch/examples", dtype: "F64", sizes: [30, [12], 3, [12]] },
  { name: "examples-relu-f16", naming: "pytorch/examples", dtype: "F16", sizes: [20, [10], 2, [10]] },
  { name: "examples-relu-bf16", naming: "pytorch/examples", dtype: "BF16", sizes: [20, [10], 2, [10]] },
  { name: "vaekit-tanh-gaussian", naming: "vaekit", dtype: "F32", sizes: [18, [10, 6], 3, [6, 10]] },
] as const;

describe("loadTorch: PyTorch's outputs from its state_dict", () => {
  for (const c of SMALL) {
    it(`${c.name}: ${c.naming} naming, ${c.dtype}, within ${TOL}`, async () => {
      const fx = fixture(c.name);
      const bytes = bytesOf(fx);
      // the fixture really holds the dtype under test
      expect(new Set([...parseRaw(bytes).tensors.values()].map((t) => t.dtype))).toEqual(new Set([c.dtype]));
      const { config, naming } = readTorch(bytes, fx.options);
      expect(naming).toBe(c.naming);
      expect([config.inputSize, config.hiddenSizes, config.latentSize, config.decoderHiddenSizes]).toEqual(c.sizes);
      const vae = await loadTorch(bytes, fx.options);
      try {
        const errs = compare(vae, fx);
        measured[c.name] = Math.max(...Object.values(errs));
        for (const [k, e] of Object.entries(errs)) expect(e, `${c.name} ${k}`).toBeLessThanOrEqual(TOL);
        expect(vae.config.activation).toBe(fx.options.activation ?? "relu");
        expect(vae.config.likelihood).toBe(fx.options.likelihood ?? "bernoulli");
      } finally {
        vae.dispose();
      }
    });
  }

  it("the lecture notes' model at its real sizes 784-400-20 (weights regenerated from the fixture's seeds)", async () => {
    const fx = fixture("notes-784-400-20");
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, g] of Object.entries(fx.weightsGenerator!)) {
      const data = randomArray(g.shape.reduce((a, b) => a * b, 1), g.seed, g.lo, g.hi);
      expect([...data.subarray(0, 3)]).toEqual(g.check.first.map(Math.fround));
      expect(data.reduce((a, b) => a + b, 0)).toBeCloseTo(g.check.sum, 3);
      tensors.set(name, { shape: g.shape, data });
    }
    const vae = await loadTorch(encodeSafetensors(tensors, { format: "pt" }));
    try {
      expect(vae.config.inputSize).toBe(784);
      expect(vae.config.hiddenSizes).toEqual([400]);
      expect(vae.config.latentSize).toBe(20);
      const errs = compare(vae, fx);
      measured[fx.name] = Math.max(...Object.values(errs));
      for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThanOrEqual(TOL);
    } finally {
      vae.dispose();
    }
  });

  it("the comparison has teeth: a wrong activation or likelihood option is far outside the tolerance", async () => {
    const fx = fixture("notes-relu-bernoulli");
    const bytes = bytesOf(fx);
    for (const options of [{ activation: "tanh" }, { likelihood: "gaussian" }] as TorchImportOptions[]) {
      const vae = await loadTorch(bytes, options);
      const errs = compare(vae, fx);
      vae.dispose();
      expect(Math.max(errs.decode, errs.reconstruct)).toBeGreaterThan(1e-2);
    }
  });

  it("weights land in vaekit's names and PyTorch's [out, in] layout unchanged (F32 bit for bit)", async () => {
    const fx = fixture("notes-relu-bernoulli");
    const raw = parseRaw(bytesOf(fx)).tensors;
    const vae = await loadTorch(bytesOf(fx));
    const w = vae.getWeights();
    vae.dispose();
    const pairs = [["encoder.hidden.0", "encoder.fc1"], ["encoder.mean", "encoder.fc_mu"], ["encoder.logvar", "encoder.fc_logvar"], ["decoder.hidden.0", "decoder.fc1"], ["decoder.output", "decoder.fc2"]];
    for (const [vk, pt] of pairs) {
      for (const part of ["weight", "bias"]) {
        const t = raw.get(`${pt}.${part}`)!;
        expect(new Uint8Array(w[`${vk}.${part}`].buffer)).toEqual(t.bytes);
      }
    }
  });
});

describe("readTorch: other namings and options", () => {
  it("options.names maps any naming; a DataParallel 'module.' prefix is dropped", async () => {
    const fx = fixture("notes-relu-bernoulli");
    const raw = parseRaw(bytesOf(fx)).tensors;
    const rename: Record<string, string> = {
      "encoder.fc1": "net.enc.0", "encoder.fc_mu": "net.mu", "encoder.fc_logvar": "net.lv", "decoder.fc1": "net.dec.0", "decoder.fc2": "net.out",
    };
    const renamed = new Map<string, RawTensor>();
    for (const [k, t] of raw) {
      const [prefix, part] = [k.replace(/\.(weight|bias)$/, ""), k.endsWith(".weight") ? "weight" : "bias"];
      renamed.set(`module.${rename[prefix]}.${part}`, t);
    }
    const names = { "encoder.hidden.0": "net.enc.0", "encoder.mean": "net.mu", "encoder.logvar": "net.lv", "decoder.hidden.0": "net.dec.0", "decoder.output": "net.out" };
    const vae = await loadTorch(writeRaw(renamed), { names });
    const errs = compare(vae, fx);
    vae.dispose();
    for (const e of Object.values(errs)) expect(e).toBeLessThanOrEqual(TOL);
    expect(() => readTorch(writeRaw(renamed))).toThrow(/no known VAE naming.*net\.enc\.0.*options\.names/);
  });

  it("accepts an ArrayBuffer and passes seed, β and the likelihood scale into the config", () => {
    const fx = fixture("vaekit-tanh-gaussian");
    const b = bytesOf(fx);
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const { config } = readTorch(ab as ArrayBuffer, { ...fx.options, seed: 9, beta: 0.5, likelihoodScale: 0.1 });
    expect(config).toMatchObject({ seed: 9, beta: 0.5, likelihoodScale: 0.1, activation: "tanh", likelihood: "gaussian" });
  });

  it("rejects bad options with the option named", () => {
    const b = bytesOf(fixture("notes-relu-bernoulli"));
    expect(() => readTorch(b, { activaton: "relu" } as never)).toThrow(InvalidInputError);
    expect(() => readTorch(b, { activaton: "relu" } as never)).toThrow(/unknown option 'activaton'.*did you mean 'activation'/);
    expect(() => readTorch(b, { activation: "rleu" } as never)).toThrow(InvalidConfigError);
    expect(() => readTorch(b, { names: { "encoder.mean": "fc21" } })).toThrow(/options\.names\["encoder\.logvar"\] must be/);
    expect(() => readTorch(b, { names: { "encoder.hidden.1": "a", "encoder.mean": "b", "encoder.logvar": "c", "decoder.output": "d" } }))
      .toThrow(/options\.names has 'encoder\.hidden\.1'.*without gaps/);
  });
});

describe("readTorch: clear ModelFormatErrors", () => {
  const base = (): Map<string, RawTensor> => parseRaw(bytesOf(fixture("examples-relu-f16"))).tensors; // 20-10-2
  const f32 = (shape: number[]): RawTensor => ({ dtype: "F32", shape, bytes: f32Bytes(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1)) });
  const expectError = (m: Map<string, RawTensor>, pattern: RegExp): void => {
    let err: unknown;
    try {
      readTorch(writeRaw(m));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(pattern);
  };

  it("a missing tensor: its name, vaekit's name and the shape expected", () => {
    const m = base();
    m.delete("fc22.bias");
    expectError(m, /missing tensor 'fc22\.bias' \(vaekit's encoder\.logvar\.bias, expected shape \[2\]\) in a state_dict read with pytorch\/examples naming/);
  });

  it("an unexpected tensor", () => {
    const m = base();
    m.set("bn1.running_mean", f32([10]));
    expectError(m, /unexpected tensor 'bn1\.running_mean' \[10\].*fc1, fc21, fc22, fc3, fc4/);
  });

  it("mis-shaped tensors: wrong input width, transposed weight, head mismatch, output ≠ input size, bias length", () => {
    let m = base();
    m.set("fc21.weight", f32([2, 11]));
    expectError(m, /'fc21\.weight' \(vaekit's encoder\.mean\.weight\) has shape \[2, 11\]; expected \[out, 10\] \(its input must match the 10 outputs of 'fc1'\)/);
    m = base();
    m.set("fc3.weight", f32([2, 10]));
    expectError(m, /'fc3\.weight'.*has shape \[2, 10\]; expected \[out, 2\] \(its input must match the latent size 2 of 'fc21'\)/);
    m = base();
    m.set("fc22.weight", f32([3, 10]));
    m.set("fc22.bias", f32([3]));
    expectError(m, /'fc22\.weight'.*has shape \[3, 10\]; expected \[2, 10\] \(the shape of 'fc21\.weight'\)/);
    m = base();
    m.set("fc4.weight", f32([21, 10]));
    m.set("fc4.bias", f32([21]));
    expectError(m, /'fc4\.weight'.*has shape \[21, 10\]; expected \[20, 10\].*input size 20 of 'fc1'/);
    m = base();
    m.set("fc1.bias", f32([11]));
    expectError(m, /'fc1\.bias' \(vaekit's encoder\.hidden\.0\.bias\) has shape \[11\]; expected \[10\]/);
    m = base();
    m.set("fc1.weight", f32([200]));
    expectError(m, /'fc1\.weight'.*has shape \[200\]; expected \[out, in\]/);
  });

  it("dtypes other than F32, F64, F16 and BF16, non-finite weights, broken files", () => {
    let m = base();
    m.set("fc1.bias", { dtype: "I64", shape: [10], bytes: new Uint8Array(80) });
    expectError(m, /tensor 'fc1\.bias' has dtype "I64"; vaekit converts floating-point tensors only \(F32, F64, F16, BF16\)/);
    m = base();
    m.set("fc1.bias", { dtype: "F8_E4M3", shape: [10], bytes: new Uint8Array(10) });
    expectError(m, /dtype "F8_E4M3"/);
    m = base();
    m.set("fc4.bias", { dtype: "F16", shape: [20], bytes: new Uint8Array(new Uint16Array(20).fill(0x7c00).buffer) }); // +Infinity
    expectError(m, /tensor 'fc4\.bias' holds Infinity at index 0; weights must be finite/);
    m = base();
    m.set("fc4.bias", { dtype: "F64", shape: [20], bytes: new Uint8Array(new Float64Array(20).fill(1e300).buffer) });
    expectError(m, /holds Infinity.*beyond float32's range/);
    const good = bytesOf(fixture("examples-relu-f16"));
    expect(() => readTorch(good.subarray(0, good.length - 3))).toThrow(/truncated/);
    expect(() => readTorch(new Uint8Array([1, 2, 3]))).toThrow(ModelFormatError);
    m = base();
    m.set("fc1.bias", { dtype: "F16", shape: [10], bytes: new Uint8Array(18) });
    expectError(m, /'fc1\.bias' spans 18 bytes but its shape \[\d+\] of F16 needs 20/);
  });

  it("loadTorch rejects before creating anything, with the same errors", async () => {
    const m = base();
    m.delete("fc4.weight");
    await expect(loadTorch(writeRaw(m))).rejects.toThrow(/missing tensor 'fc4\.weight'/);
  });
});

describe("half-precision conversion is exact", () => {
  it("F16 subnormals, normals, signed zeros and the largest value; BF16 bit patterns", () => {
    const h = new Uint16Array([0x0001, 0x03ff, 0x0400, 0x3c00, 0xc000, 0x7bff, 0x8000, 0x3555]);
    const want = [2 ** -24, 1023 * 2 ** -24, 2 ** -14, 1, -2, 65504, -0, (1 + 0x155 / 1024) / 4];
    const bf = new Uint16Array([0x3f80, 0xbf80, 0x4049, 0x0001, 0x7f7f]);
    const m = new Map<string, RawTensor>([
      ["h", { dtype: "F16", shape: [8], bytes: new Uint8Array(h.buffer) }],
      ["b", { dtype: "BF16", shape: [5], bytes: new Uint8Array(bf.buffer) }],
    ]);
    const { tensors } = readFloatSafetensors(writeRaw(m));
    expect([...tensors.get("h")!.data]).toEqual(want);
    expect(Object.is(tensors.get("h")!.data[6], -0)).toBe(true);
    const bits = new Uint32Array(tensors.get("b")!.data.buffer);
    expect([...bits]).toEqual([...bf].map((v) => (v << 16) >>> 0));
  });
});
