// vaekit/onnx: the exported encoder and decoder, run by onnxruntime-web (its wasm build, in Node), give vaekit's
// encode/decode outputs. Tolerance per value: |onnxruntime − vaekit| ≤ 1e-5 · max(1, |vaekit|); both compute in
// float32 with different summation orders (and FMA in onnxruntime), measured differences are below 1e-6.
import * as ort from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DisposedError, InvalidInputError, VAE, type VAEConfig } from "../../src/index.js";
import { ProtoWriter } from "../../src/interop/protobuf.js";
import { exportOnnx } from "../../src/onnx.js";
import { randomArray } from "../helpers/wasm.js";

const TOL = 1e-5;

beforeAll(() => {
  ort.env.wasm.numThreads = 1; // no worker threads in the test process
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

/** Draws weights of ±2/√fan_in (larger than nn.Linear's init) so every activation works in its non-linear range. */
function widen(vae: VAE, seed: number): void {
  const w = vae.getWeights();
  for (const [i, k] of Object.keys(w).entries()) {
    const bound = 2 / Math.sqrt(k.endsWith(".weight") ? w[k].length / w[k.replace(/weight$/, "bias")].length : 1);
    w[k] = randomArray(w[k].length, seed + i, -bound, bound);
  }
  vae.setWeights(w);
}

const measured: Record<string, number> = {};
afterAll(() => {
  console.log(`onnx export, worst |Δ|/max(1,|ref|) per case: ${JSON.stringify(measured)}`);
});

const CASES: (VAEConfig & { label: string })[] = [
  { label: "relu-bernoulli 30-[16]-4", inputSize: 30, hiddenSizes: [16], latentSize: 4, activation: "relu", likelihood: "bernoulli" },
  { label: "leaky(0.2)-gaussian 25-[13,7]-3, decoder [5]", inputSize: 25, hiddenSizes: [13, 7], latentSize: 3, decoderHiddenSizes: [5], activation: "leaky_relu", leakySlope: 0.2, likelihood: "gaussian" },
  { label: "tanh-laplace 9-[]-2 (no hidden layers)", inputSize: 9, hiddenSizes: [], latentSize: 2, activation: "tanh", likelihood: "laplace", likelihoodScale: 0.5 },
  { label: "sigmoid-bernoulli 12-[8,8]-5", inputSize: 12, hiddenSizes: [8, 8], latentSize: 5, activation: "sigmoid", likelihood: "bernoulli" },
  { label: "identity-gaussian 10-[6]-3", inputSize: 10, hiddenSizes: [6], latentSize: 3, activation: "identity", likelihood: "gaussian" },
  { label: "relu-bernoulli 784-[400]-20 (the demo model)", inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu", likelihood: "bernoulli" },
];

describe("exportOnnx: onnxruntime runs the exported graphs and agrees with vaekit", () => {
  CASES.forEach(({ label, ...config }, c) => {
    it(label, async () => {
      const vae = await VAE.create({ ...config, seed: 100 + c });
      try {
        const D = config.inputSize!; // every case is an MLP (VAEConfig's inputSize is optional only for layer lists)
        if (D < 100) widen(vae, 1000 * c);
        const L = config.latentSize;
        const encoder = exportOnnx(vae, { part: "encoder" });
        const decoder = exportOnnx(vae, { part: "decoder" });
        let err = 0;
        for (const rows of [1, 3, 17]) {
          const x = randomArray(rows * D, 7 * rows + c, 0, 1);
          const z = randomArray(rows * L, 11 * rows + c, -2.5, 2.5);
          const enc = await run(encoder, "x", x, D);
          const ref = vae.encode(x);
          expect(Object.keys(enc).sort()).toEqual(["logvar", "mean"]);
          err = Math.max(err, worst(enc.mean, ref.mean), worst(enc.logvar, ref.logVar));
          const dec = await run(decoder, "z", z, L);
          expect(Object.keys(dec)).toEqual(["x"]);
          const want = vae.decode(z);
          err = Math.max(err, worst(dec.x, want));
          if (config.likelihood === "bernoulli") expect(dec.x.every((p) => p >= 0 && p <= 1)).toBe(true);
        }
        measured[label] = err;
        expect(err).toBeLessThanOrEqual(TOL);
      } finally {
        vae.dispose();
      }
    });
  });

  it("accepts { config, weights } as well as a VAE, byte for byte the same file", async () => {
    const vae = await VAE.create({ inputSize: 8, hiddenSizes: [4], latentSize: 2, seed: 3 });
    const a = exportOnnx(vae, { part: "decoder" });
    const b = exportOnnx({ config: vae.config, weights: vae.getWeights() }, { part: "decoder" });
    vae.dispose();
    expect(b).toEqual(a);
  });

  it("says what is wrong with bad arguments", async () => {
    const vae = await VAE.create({ inputSize: 8, hiddenSizes: [4], latentSize: 2, seed: 3 });
    expect(() => exportOnnx(vae, { part: "encoderr" } as never)).toThrow(InvalidInputError);
    expect(() => exportOnnx(vae, { part: "encoderr" } as never)).toThrow(/part must be "encoder" or "decoder"; got "encoderr"/);
    expect(() => exportOnnx(vae, { part: "encoder", opset: 17 } as never)).toThrow(/unknown option 'opset'/);
    expect(() => exportOnnx(vae, undefined as never)).toThrow(/options must be/);
    expect(() => exportOnnx({} as never, { part: "encoder" })).toThrow(/expected a VAE, or \{ config, weights \}/);
    const weights = vae.getWeights();
    delete (weights as Record<string, Float32Array | undefined>)["encoder.logvar.bias"];
    expect(() => exportOnnx({ config: vae.config, weights }, { part: "encoder" })).toThrow(/weight 'encoder\.logvar\.bias' should be a Float32Array of 2 values \[2\]; got nothing/);
    vae.dispose();
    expect(() => exportOnnx(vae, { part: "encoder" })).toThrow(DisposedError);
  });
});

// ---------------------------------------------------------------------------------------------- the file itself
interface Field { field: number; wire: number; value: number | Uint8Array }

/** An independent wire-format reader (varint, length-delimited, fixed32) for checking the writer. */
function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const byte = b[at++];
      if (byte === undefined) throw new Error("truncated varint");
      v += (byte & 0x7f) * mul;
      mul *= 128;
      if (byte < 0x80) return v;
    }
  };
  while (at < b.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 2) {
      const n = varint();
      out.push({ field, wire, value: b.subarray(at, at + n) });
      at += n;
    } else if (wire === 5) {
      out.push({ field, wire, value: new DataView(b.buffer, b.byteOffset + at, 4).getFloat32(0, true) });
      at += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  expect(at).toBe(b.length);
  return out;
}
const text = (v: Field["value"]): string => new TextDecoder().decode(v as Uint8Array);
const sub = (fs: Field[], n: number): Field[][] => fs.filter((f) => f.field === n).map((f) => fields(f.value as Uint8Array));
const str = (fs: Field[], n: number): string[] => fs.filter((f) => f.field === n).map((f) => text(f.value));

describe("the protobuf writer and the ONNX structure", () => {
  it("varints at the 7-bit boundaries and up to 2^53 − 1, fixed32 floats, nested messages", () => {
    const values = [0, 1, 127, 128, 255, 16383, 16384, 2 ** 31 - 1, 2 ** 32, 2 ** 53 - 1];
    const w = new ProtoWriter();
    values.forEach((v, i) => w.int(i + 1, v));
    w.float(20, -1.5).message(21, new ProtoWriter().string(1, "ünï").bytes(2, new Uint8Array([0, 255])));
    const f = fields(w.finish());
    expect(f.slice(0, values.length).map((x) => x.value)).toEqual(values);
    expect(fields(w.finish().subarray(0, 2))[0]).toEqual({ field: 1, wire: 0, value: 0 });
    expect(w.finish().subarray(4, 9)).toEqual(new Uint8Array([0x18, 0x7f, 0x20, 0x80, 0x01])); // 127 in one byte, 128 in two // field 3, varint 127 in one byte
    expect(f[values.length]).toEqual({ field: 20, wire: 5, value: -1.5 });
    const inner = fields(f[values.length + 1].value as Uint8Array);
    expect(text(inner[0].value)).toBe("ünï");
    expect([...(inner[1].value as Uint8Array)]).toEqual([0, 255]);
    expect(() => new ProtoWriter().int(1, -1)).toThrow(RangeError);
  });

  it("a ModelProto: IR 7, opset 13, Gemm(transB=1) + activations, float initializers in [out, in], batch symbolic", async () => {
    const vae = await VAE.create({ inputSize: 6, hiddenSizes: [5, 4], latentSize: 2, activation: "leaky_relu", leakySlope: 0.3, seed: 5 });
    const weights = vae.getWeights();
    const bytes = exportOnnx(vae, { part: "encoder" });
    const model = fields(bytes);
    expect(model.find((f) => f.field === 1)!.value).toBe(7);
    const [opset] = sub(model, 8);
    expect([text(opset.find((f) => f.field === 1)!.value), opset.find((f) => f.field === 2)!.value]).toEqual(["", 13]);
    const [meta] = sub(model, 14);
    expect(str(meta, 1)).toEqual(["vaekit.config"]);
    expect(JSON.parse(str(meta, 2)[0])).toEqual(vae.config);
    const [graph] = sub(model, 7);
    const nodes = sub(graph, 1).map((n) => ({ op: str(n, 4)[0], inputs: str(n, 1), output: str(n, 2)[0], attrs: sub(n, 5) }));
    expect(nodes.map((n) => n.op)).toEqual(["Gemm", "LeakyRelu", "Gemm", "LeakyRelu", "Gemm", "Gemm"]);
    expect(nodes.filter((n) => n.op === "Gemm").every((n) => n.attrs.length === 1 && str(n.attrs[0], 1)[0] === "transB" && n.attrs[0].find((f) => f.field === 3)!.value === 1)).toBe(true);
    expect(nodes[1].attrs[0].find((f) => f.field === 2)!.value).toBeCloseTo(0.3, 7);
    expect(nodes.map((n) => n.output).slice(-2)).toEqual(["mean", "logvar"]);
    for (const t of sub(graph, 5)) {
      const name = str(t, 8)[0];
      const dims = t.filter((f) => f.field === 1).map((f) => f.value);
      expect(t.find((f) => f.field === 2)!.value).toBe(1); // FLOAT
      const raw = t.find((f) => f.field === 9)!.value as Uint8Array;
      expect(dims.reduce((a, b) => (a as number) * (b as number), 1) as number).toBe(weights[name].length);
      expect(new Float32Array(raw.slice().buffer)).toEqual(weights[name]);
      if (name.endsWith(".weight")) expect(dims[0]).toBe(name.startsWith("encoder.hidden.0") ? 5 : name.startsWith("encoder.hidden.1") ? 4 : 2);
    }
    const [input] = sub(graph, 11);
    expect(str(input, 1)).toEqual(["x"]);
    const shape = sub(sub(sub(input, 2)[0], 1)[0], 2)[0];
    const dims = sub(shape, 1);
    expect([text(dims[0][0].value), dims[1][0].value]).toEqual(["batch", 6]);
    vae.dispose();
  });
});
