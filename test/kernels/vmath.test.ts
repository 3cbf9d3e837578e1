// vmath: f32x4 exp / log1p against their scalar twins (bit-identical) and a float64 reference (ulp error).
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17, 33, 784];

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

/** Runs an array kernel Y = f(X) on data and returns Y. */
function run(name: string, data: ArrayLike<number>): Float32Array {
  k.reset();
  const X = k.put(data);
  const Y = k.alloc(data.length);
  k.x[name](Y, X, data.length);
  return k.get(Y, data.length);
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

/** Indices where a and b differ in bits (NaN matches any NaN: wasm leaves NaN payloads unspecified). */
function bitMismatches(a: Float32Array, b: Float32Array): number[] {
  const ba = bits(a);
  const bb = bits(b);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (ba[i] !== bb[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) out.push(i);
  }
  return out;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** The binary32 ulp at the magnitude of a (finite, nonzero) real r: 2^(max(e, −126) − 23). */
function ulp32(r: number): number {
  f64[0] = r;
  let e = ((u32[1] >>> 20) & 0x7ff) - 1023;
  if (e < -126) e = -126;
  return Math.pow(2, e - 23);
}

/** Max ulp error of y against ref(x) over all finite-reference points (inputs are f32 values). */
function maxUlp(xs: Float32Array, ys: Float32Array, ref: (x: number) => number): { max: number; at: number } {
  let max = 0;
  let at = NaN;
  for (let i = 0; i < xs.length; i++) {
    const r = ref(xs[i]);
    if (!Number.isFinite(r) || Math.abs(r) > 3.4028234663852886e38) continue;
    const err = Math.abs(ys[i] - r) / ulp32(r);
    if (!(err <= max)) {
      max = err;
      at = xs[i];
    }
  }
  return { max, at };
}

/** n f32 values whose bit patterns are uniform between the patterns of lo and hi (same sign). */
function bitPatterns(n: number, seed: number, loBits: number, hiBits: number): Float32Array {
  const u = randomArray(n, seed, 0, 1);
  const out = new Float32Array(n);
  const ob = bits(out);
  for (let i = 0; i < n; i++) ob[i] = (loBits + Math.floor(u[i] * (hiBits - loBits + 1))) >>> 0;
  return out;
}

function f32bits(x: number): number {
  return bits(new Float32Array([x]))[0];
}

const SPECIALS = [
  0, -0, 1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-45, -1e-45, 1.1754942e-38, 5.9604645e-8, -5.9604645e-8, 2.9e-8,
  0.41421357, 0.41421354, -0.29289323, -0.2928932, 0.6931472, -0.6931472, 88.72283, 88.72284, 88.7, 89, 90, 1000,
  -87.33655, -87.34, -100, -103.2789, -103.97208, -104, -105, -1000, 3.4028235e38, -3.4028235e38, Infinity, -Infinity,
  NaN, -0.9999999, -0.99999994, -1.0000001, -2, 1e10, 16777216, 0.34657359, -0.34657359,
];

describe("exp_f32x4 / exp_f32", () => {
  it("SIMD and scalar twins are bit-identical (all sizes, random and special inputs)", () => {
    for (const n of SIZES) {
      const data = randomArray(n, 100 + n, -110, 95);
      for (let i = 0; i < Math.min(n, SPECIALS.length); i += 2) data[i] = SPECIALS[(i + n) % SPECIALS.length];
      const a = run("vexp", data);
      const b = run("vexp_scalar", data);
      expect(bitMismatches(a, b)).toEqual([]);
    }
    const sp = Float32Array.from(SPECIALS);
    expect(bitMismatches(run("vexp", sp), run("vexp_scalar", sp))).toEqual([]);
    const many = bitPatterns(1 << 16, 7, 0, 0xffffffff);
    expect(bitMismatches(run("vexp", many), run("vexp_scalar", many))).toEqual([]);
  });

  it("is within 1 ulp of float64 exp over the whole finite range, including subnormal results", () => {
    // Exhaustively (all 2.24e9 floats in [−105, 90], done offline) the max error is 0.990 ulp; here a sample.
    const byValue = randomArray(1 << 19, 11, -104.5, 89.5);
    const posBits = bitPatterns(1 << 18, 12, 0, f32bits(89.5));
    const negBits = bitPatterns(1 << 18, 13, f32bits(-0), f32bits(-104.5));
    // dense sweeps where the reduction or the scaling changes regime
    const edges: number[] = [];
    for (const c of [88.72283, -87.33655, -103.2789, -103.97208, 0.34657359, -0.34657359, 0]) {
      const cb = f32bits(c);
      for (let d = -2000; d <= 2000; d++) edges.push(new Float32Array(new Uint32Array([(cb + d) >>> 0]).buffer)[0]);
    }
    for (const xs of [byValue, posBits, negBits, Float32Array.from(edges)]) {
      const ys = run("vexp", xs);
      const { max, at } = maxUlp(xs, ys, Math.exp);
      expect(max, `max ulp error ${max} at x = ${at}`).toBeLessThanOrEqual(1);
    }
  });

  it("handles overflow, underflow and special values", () => {
    const xs = [0, -0, Infinity, -Infinity, NaN, 89, 88.72284, 88.72283, 1000, 3.4028235e38, -104, -105, -1000, -3.4028235e38, 1e-45];
    const ys = run("vexp", xs);
    expect(ys[0]).toBe(1);
    expect(ys[1]).toBe(1);
    expect(ys[2]).toBe(Infinity);
    expect(ys[3]).toBe(0);
    expect(ys[4]).toBeNaN();
    expect(ys[5]).toBe(Infinity);
    expect(ys[6]).toBe(Infinity); // e^88.72284 > FLT_MAX
    expect(ys[7]).toBe(Math.fround(Math.exp(Math.fround(88.72283)))); // largest finite region, correctly rounded here
    expect(Number.isFinite(ys[7])).toBe(true);
    expect(ys[8]).toBe(Infinity);
    expect(ys[9]).toBe(Infinity);
    for (let i = 10; i <= 13; i++) expect(ys[i]).toBe(0);
    expect(ys[14]).toBe(1);
    // subnormal results: exp(−100) ≈ 3.72e−44 = 26.6 · 2^−149
    const sub = run("vexp", [-100, -103, -103.9])[0];
    expect(Math.abs(sub - Math.exp(-100)) / Math.pow(2, -149)).toBeLessThanOrEqual(1);
    expect(sub).toBeGreaterThan(0);
  });
});

describe("log1p_f32x4 / log1p_f32", () => {
  it("SIMD and scalar twins are bit-identical (all sizes, random and special inputs)", () => {
    for (const n of SIZES) {
      const data = randomArray(n, 200 + n, -1.2, 4);
      for (let i = 1; i < Math.min(n, SPECIALS.length); i += 2) data[i] = SPECIALS[(i + n) % SPECIALS.length];
      expect(bitMismatches(run("vlog1p", data), run("vlog1p_scalar", data))).toEqual([]);
    }
    const sp = Float32Array.from(SPECIALS);
    expect(bitMismatches(run("vlog1p", sp), run("vlog1p_scalar", sp))).toEqual([]);
    const many = bitPatterns(1 << 16, 8, 0, 0xffffffff);
    expect(bitMismatches(run("vlog1p", many), run("vlog1p_scalar", many))).toEqual([]);
  });

  it("is within 1 ulp of float64 log1p on (−1, FLT_MAX]", () => {
    // Exhaustively (every f32 in (−1, FLT_MAX], done offline) the max error is 0.835 ulp; here a sample.
    const byValue = randomArray(1 << 19, 21, -1, 4);
    const posBits = bitPatterns(1 << 18, 22, 0, 0x7f7fffff);
    const negBits = bitPatterns(1 << 18, 23, f32bits(-0), f32bits(-0.99999994));
    const edges: number[] = [];
    for (const c of [0.41421357, -0.29289323, 5.9604645e-8, -5.9604645e-8, -0.99999994, 1, 33554432]) {
      const cb = f32bits(c);
      for (let d = -2000; d <= 2000; d++) edges.push(new Float32Array(new Uint32Array([(cb + d) >>> 0]).buffer)[0]);
    }
    for (const xs of [byValue, posBits, negBits, Float32Array.from(edges)]) {
      const ys = run("vlog1p", xs);
      const { max, at } = maxUlp(xs, ys, Math.log1p);
      expect(max, `max ulp error ${max} at x = ${at}`).toBeLessThanOrEqual(1);
    }
  });

  it("handles 0, tiny, −1, < −1, Inf and NaN", () => {
    const tiny = [1e-45, -1e-45, 1e-30, -1e-30, 5.9e-8, -5.9e-8, 1.1754942e-38];
    const ys = run("vlog1p", [0, -0, -1, -1.0000001, -2, -Infinity, Infinity, NaN, 3.4028235e38, ...tiny]);
    expect(Object.is(ys[0], 0)).toBe(true);
    expect(Object.is(ys[1], -0)).toBe(true);
    expect(ys[2]).toBe(-Infinity);
    expect(ys[3]).toBeNaN();
    expect(ys[4]).toBeNaN();
    expect(ys[5]).toBeNaN();
    expect(ys[6]).toBe(Infinity);
    expect(ys[7]).toBeNaN();
    expect(ys[8]).toBe(Math.fround(Math.log1p(3.4028234663852886e38)));
    for (let i = 0; i < tiny.length; i++) expect(ys[9 + i]).toBe(Math.fround(tiny[i])); // log1p(x) = x exactly
  });
});
