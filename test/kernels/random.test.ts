// random: Philox-4x32-10 known answers, an independent integer-only Philox in JS, the documented stream
// layout (block j ↔ counter ctr + j, carry into ctr1, tail dropped) and distribution checks.
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, type Kernels } from "../helpers/wasm";

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

// ---- an independent Philox4x32-10, written from the paper's constants with integer arithmetic only

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product a·b (a, b uint32), from 16-bit limbs (every partial product < 2^32). */
function mulhi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const hl = ah * bl;
  const lh = al * bh;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (hl & 0xffff) + (lh & 0xffff);
  return (hh + (hl >>> 16) + (lh >>> 16) + (mid >>> 16)) >>> 0;
}

function philoxRef(ctr: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = ctr.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The stream layout of docs/ABI.md, from the reference Philox: n values of kind "uniform" | "normal". */
function streamRef(kind: "uniform" | "normal", n: number, key0: number, key1: number, ctr0: number, ctr1: number): number[] {
  const out: number[] = [];
  for (let j = 0; out.length < n; j++) {
    const c = ctr0 + j; // < 2^33, exact
    const w = philoxRef([c % 2 ** 32, (ctr1 + Math.floor(c / 2 ** 32)) % 2 ** 32, 0, 0], [key0, key1]);
    if (kind === "uniform") {
      for (const x of w) out.push((x >>> 8) * 2 ** -24);
    } else {
      for (const [a, b] of [[w[0], w[1]], [w[2], w[3]]]) {
        const u0 = ((a >>> 8) + 1) * 2 ** -24;
        const u1 = (b >>> 8) * 2 ** -24;
        const r = Math.sqrt(-2 * Math.log(u0));
        out.push(Math.fround(r * Math.cos(2 * Math.PI * u1)), Math.fround(r * Math.sin(2 * Math.PI * u1)));
      }
    }
  }
  return out.slice(0, n);
}

function wasmPhilox(ctr: readonly number[], key: readonly number[]): number[] {
  k.reset();
  const out = k.alloc(4);
  k.x.philox4x32_10(out, ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1]);
  return Array.from(new Uint32Array(k.memory.buffer, out, 4));
}

/** Runs rng_normal / rng_uniform into a buffer with 8 sentinel floats after it; checks they survive. */
function gen(kind: "uniform" | "normal", n: number, key0: number, key1: number, ctr0: number, ctr1: number): Float32Array {
  k.reset();
  const out = k.alloc(n + 8);
  k.f32(out, n + 8).fill(-12345);
  k.x[kind === "uniform" ? "rng_uniform" : "rng_normal"](out, n, key0, key1, ctr0, ctr1);
  const all = k.get(out, n + 8);
  expect(Array.from(all.subarray(n)), "no write past out[n]").toEqual(new Array(8).fill(-12345));
  return all.slice(0, n);
}

function ulp32(r: number): number {
  const a = Math.abs(r);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

// Random123's kat_vectors for philox4x32_10: counter (4 words), key (2 words) → output (4 words).
const KAT: [number[], number[], number[]][] = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

describe("philox4x32_10", () => {
  it("matches Random123's known-answer vectors (wasm and the independent JS reference)", () => {
    for (const [ctr, key, want] of KAT) {
      expect(wasmPhilox(ctr, key).map((v) => v.toString(16))).toEqual(want.map((v) => v.toString(16)));
      expect(philoxRef(ctr, key)).toEqual(want);
    }
  });

  it("agrees with the JS reference on 2000 random counters and keys", () => {
    let s = 12345;
    const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
    for (let i = 0; i < 2000; i++) {
      const ctr = [next(), next(), next(), next()];
      const key = [next(), next()];
      expect(wasmPhilox(ctr, key)).toEqual(philoxRef(ctr, key));
    }
  });
});

describe("rng_uniform / rng_normal stream layout", () => {
  it("rng_uniform is (w >> 8)·2^-24 of blocks ctr, ctr+1, … (tail of the last block dropped)", () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 17, 33]) {
      const got = gen("uniform", n, 0xdeadbeef, 42, 1000 + n, 3);
      expect(Array.from(got)).toEqual(streamRef("uniform", n, 0xdeadbeef, 42, 1000 + n, 3));
    }
  });

  it("rng_normal is Box–Muller in f64 on ((0,1]-uniform of w0, [0,1)-uniform of w1), (w2, w3), rounded to f32", () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 1000]) {
      const got = gen("normal", n, 7, 0x9e3779b9, 77 * n, 0);
      const want = streamRef("normal", n, 7, 0x9e3779b9, 77 * n, 0);
      // JS's Math.log/cos/sin may differ from AssemblyScript's musl-derived ones in the last f64 bit
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i]), `i=${i}`).toBeLessThanOrEqual(ulp32(want[i]));
    }
  });

  it("is deterministic, and a call from counter c + j reproduces values 4j… of a call from c", () => {
    for (const kind of ["uniform", "normal"] as const) {
      const a = gen(kind, 101, 5, 6, 0x10, 0x20);
      expect(gen(kind, 101, 5, 6, 0x10, 0x20)).toEqual(a);
      expect(gen(kind, 101 - 12, 5, 6, 0x10 + 3, 0x20)).toEqual(a.slice(12));
      expect(gen(kind, 10, 5, 6, 0x10, 0x20)).toEqual(a.slice(0, 10)); // a prefix, whatever n mod 4
      // different keys or counter words give different streams
      expect(gen(kind, 101, 5, 7, 0x10, 0x20)).not.toEqual(a);
      expect(gen(kind, 101, 4, 6, 0x10, 0x20)).not.toEqual(a);
      expect(gen(kind, 101, 5, 6, 0x10, 0x21)).not.toEqual(a);
    }
  });

  it("carries the block counter from ctr0 into ctr1 (and wraps at 2^64)", () => {
    const u = gen("uniform", 16, 1, 2, 0xfffffffe, 7);
    const blocks = [
      [0xfffffffe, 7],
      [0xffffffff, 7],
      [0, 8],
      [1, 8],
    ];
    blocks.forEach(([c0, c1], j) => {
      const w = wasmPhilox([c0, c1, 0, 0], [1, 2]);
      expect(Array.from(u.slice(4 * j, 4 * j + 4))).toEqual(w.map((x) => (x >>> 8) * 2 ** -24));
    });
    const wrap = gen("uniform", 8, 1, 2, 0xffffffff, 0xffffffff);
    const w0 = wasmPhilox([0, 0, 0, 0], [1, 2]);
    expect(Array.from(wrap.slice(4))).toEqual(w0.map((x) => (x >>> 8) * 2 ** -24));
  });
});

// ---- distribution checks (fixed seeds, so deterministic; bounds at several standard errors)

function erfc(x: number): number {
  // Numerical Recipes' erfcc (Chebyshev), fractional error < 1.2e-7 everywhere
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 +
        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
const normCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

function ks(sample: Float32Array, cdf: (x: number) => number): number {
  const s = Float64Array.from(sample).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const F = cdf(s[i]);
    d = Math.max(d, Math.abs(F - i / n), Math.abs((i + 1) / n - F));
  }
  return d;
}

function moments(a: Float32Array): { mean: number; variance: number; skew: number; kurt: number } {
  const n = a.length;
  let m = 0;
  for (const v of a) m += v;
  m /= n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (const v of a) {
    const d = v - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean: m, variance: m2, skew: m3 / m2 ** 1.5, kurt: m4 / (m2 * m2) - 3 };
}

function corr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const N = 100_000;
// KS critical value at α = 1e-4: sqrt(−ln(α/2)/(2N)) ≈ 0.0070; mean ± 5 s.e.; variance ± 5 s.e.

describe("distributions (100k samples)", () => {
  it("standard normals: mean, variance, skewness, kurtosis, KS, tails, pair independence", () => {
    const z = gen("normal", N, 2024, 1, 0, 0);
    for (const v of z) if (!Number.isFinite(v)) throw new Error(`non-finite normal ${v}`);
    const m = moments(z);
    expect(Math.abs(m.mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(m.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(Math.abs(m.skew)).toBeLessThan(5 * Math.sqrt(6 / N));
    expect(Math.abs(m.kurt)).toBeLessThan(5 * Math.sqrt(24 / N));
    expect(ks(z, normCdf)).toBeLessThan(0.007);
    let beyond2 = 0, maxAbs = 0;
    for (const v of z) {
      if (Math.abs(v) > 2) beyond2++;
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    // P(|Z| > 2) = 0.0455; s.e. at N = 100k ≈ 0.00066
    expect(Math.abs(beyond2 / N - 0.0455)).toBeLessThan(0.0033);
    expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(-2 * Math.log(2 ** -24)) + 1e-6); // the documented 24-bit bound
    expect(maxAbs).toBeGreaterThan(3.5);
    // the cos and sin halves of a pair, neighbouring pairs and neighbouring blocks are uncorrelated
    const cosH: number[] = [], sinH: number[] = [], next: number[] = [], nextBlock: number[] = [];
    for (let i = 0; i + 7 < N; i += 4) {
      cosH.push(z[i]);
      sinH.push(z[i + 1]);
      next.push(z[i + 2]);
      nextBlock.push(z[i + 4]);
    }
    const lim = 5 / Math.sqrt(cosH.length);
    expect(Math.abs(corr(cosH, sinH))).toBeLessThan(lim);
    expect(Math.abs(corr(cosH, next))).toBeLessThan(lim);
    expect(Math.abs(corr(cosH, nextBlock))).toBeLessThan(lim);
    // the squared radius of a pair is Exp(1/2): E = 2, and the pairs' angles are uniform (checked via sign quadrants)
    const r2: number[] = [];
    let q1 = 0;
    for (let i = 0; i < N; i += 2) {
      r2.push(z[i] * z[i] + z[i + 1] * z[i + 1]);
      if (z[i] > 0 && z[i + 1] > 0) q1++;
    }
    expect(Math.abs(r2.reduce((a, b) => a + b, 0) / r2.length - 2)).toBeLessThan(5 * 2 / Math.sqrt(r2.length));
    expect(Math.abs(q1 / r2.length - 0.25)).toBeLessThan(5 * Math.sqrt(0.1875 / r2.length));
  });

  it("uniforms: in [0, 1) on the 2^-24 grid, mean, variance, KS, lag correlation", () => {
    const u = gen("uniform", N, 99, 3, 12, 0);
    let lo = 1, hi = 0;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      if (!(v >= 0 && v < 1) || !Number.isInteger(v * 2 ** 24)) throw new Error(`bad uniform ${v}`);
    }
    expect(lo).toBeLessThan(1e-3);
    expect(hi).toBeGreaterThan(1 - 1e-3);
    const m = moments(u);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
    expect(ks(u, (x) => Math.min(1, Math.max(0, x)))).toBeLessThan(0.007);
    expect(Math.abs(corr(u.subarray(0, N - 1), u.subarray(1)))).toBeLessThan(5 / Math.sqrt(N));
    // each of the 4 words of a block is uniform on its own
    for (let w = 0; w < 4; w++) {
      const lane = new Float32Array(N / 4);
      for (let i = 0; i < N / 4; i++) lane[i] = u[4 * i + w];
      expect(ks(lane, (x) => x)).toBeLessThan(2 * 0.007);
    }
  });
});
