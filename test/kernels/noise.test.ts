// noise: masking and Gaussian input corruption — SIMD (four Philox blocks per lane group) vs scalar twin
// (bit-identical), the exact relation to rng_uniform / rng_normal with the same key and counter (including a
// counter carry inside a lane group), the strict u < p comparison, p = 0 and p = 1, the drop rate on 1e5 draws,
// counter advance by ceil(n/4) blocks and in-place use.
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

const NS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 1001];
const STREAMS: [number, number, number, number][] = [
  [0x12345678, 0x9abcdef0, 0, 0],
  [7, 0, 0xfffffffe, 3], // block counter carries into ctr1 inside the first group of four blocks
  [0xdeadbeef, 42, 0xfffffff0, 0xffffffff], // wraps the whole 64-bit counter
];

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

function noise(name: "mask_noise" | "gaussian_noise", variant: "" | "_scalar", x: Float32Array, param: number,
  s: [number, number, number, number]): Float32Array {
  k.reset();
  const out = k.alloc(x.length);
  k.x[name + variant](out, k.put(x), x.length, param, ...s);
  return k.get(out, x.length);
}

function stream(kind: "rng_uniform" | "rng_normal", n: number, s: [number, number, number, number]): Float32Array {
  k.reset();
  const out = k.alloc(n);
  k.x[kind](out, n, ...s);
  return k.get(out, n);
}

describe("mask_noise", () => {
  it("SIMD vs scalar twin are bit-identical for every n and stream (NaN payloads in x copied too)", () => {
    for (const s of STREAMS) for (const n of NS) for (const p of [0.25, 0.9]) {
      const x = randomArray(n, n, -2, 2);
      if (n > 5) new Uint32Array(x.buffer)[5] = 0x7fc01234;
      const a = noise("mask_noise", "", x, p, s), b = noise("mask_noise", "_scalar", x, p, s);
      const label = `n=${n} p=${p} stream=${s}`;
      expect(Array.from(new Uint32Array(a.buffer)), label).toEqual(Array.from(new Uint32Array(b.buffer)));
    }
  });

  it("out[i] = u_i < p ? +0 : x[i], u_i = rng_uniform's i-th value with the same key and counter (exactly)", () => {
    for (const s of STREAMS) for (const n of [17, 64, 1001]) {
      const u = stream("rng_uniform", n, s);
      const x = randomArray(n, n + 1, 0.5, 2); // never 0: a kept value is recognisable
      for (const p of [0, 1 / 3, 0.5, 0.999, 1, u[3], u[n - 1], Math.fround(u[7] + 2 ** -24)]) {
        for (const variant of ["", "_scalar"] as const) {
          const out = noise("mask_noise", variant, x, p, s);
          for (let i = 0; i < n; i++) {
            const want = u[i] < p ? 0 : x[i];
            if (!Object.is(out[i], want)) expect(out[i], `n=${n} p=${p} i=${i} u=${u[i]}`).toBe(want);
          }
        }
      }
    }
  });

  it("drops a share p of 1e5 entries within 4.5 binomial standard deviations; p = 0 keeps all, p = 1 drops all", () => {
    const n = 100000;
    const x = new Float32Array(n).fill(1);
    for (const p of [0.1, 0.3, 0.75]) {
      const out = noise("mask_noise", "", x, p, [2024, 11, 5, 0]);
      const dropped = out.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
      expect(Math.abs(dropped / n - p), `p=${p}: ${dropped}`).toBeLessThanOrEqual(4.5 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(noise("mask_noise", "", x, 0, [1, 2, 3, 4]).every((v) => v === 1)).toBe(true);
    expect(noise("mask_noise", "", x, 1, [1, 2, 3, 4]).every((v) => Object.is(v, 0))).toBe(true);
    expect(noise("mask_noise", "", x, NaN, [1, 2, 3, 4]).every((v) => v === 1)).toBe(true);
  });

  it("consumes ceil(n/4) blocks: a call started j blocks later reproduces elements 4j.. ; works in place", () => {
    const n = 103, j = 5;
    const x = randomArray(n, 3, 1, 2);
    const all = noise("mask_noise", "", x, 0.4, [9, 8, 100, 0]);
    const later = noise("mask_noise", "", x.subarray(4 * j), 0.4, [9, 8, 100 + j, 0]);
    expect(later).toEqual(all.subarray(4 * j));
    k.reset();
    const p = k.put(x);
    k.x.mask_noise(p, p, n, 0.4, 9, 8, 100, 0);
    expect(k.get(p, n)).toEqual(all);
  });
});

describe("gaussian_noise", () => {
  it("SIMD vs scalar twin are bit-identical for every n and stream", () => {
    for (const s of STREAMS) for (const n of NS) {
      const x = randomArray(n, 2 * n, -2, 2);
      expectBitIdentical(noise("gaussian_noise", "", x, 0.3, s), noise("gaussian_noise", "_scalar", x, 0.3, s), `n=${n} stream=${s}`);
    }
  });

  it("out[i] = x[i] + f32(σ)·ε_i bit for bit, ε_i = rng_normal's i-th value with the same key and counter", () => {
    for (const s of STREAMS) for (const n of [5, 64, 1001]) {
      const eps = stream("rng_normal", n, s);
      const x = randomArray(n, n, -1, 1);
      for (const sigma of [0.1, 1, 0.7071067811865476, 0]) {
        const sf = Math.fround(sigma);
        for (const variant of ["", "_scalar"] as const) {
          const out = noise("gaussian_noise", variant, x, sigma, s);
          const want = Float32Array.from(x, (v, i) => Math.fround(v + Math.fround(sf * eps[i])));
          expectBitIdentical(out, want, `n=${n} σ=${sigma} stream=${s}`);
        }
      }
    }
  });

  it("consumes ceil(n/4) blocks and works in place; the noise has mean ≈ 0 and variance ≈ σ² on 1e5 draws", () => {
    const n = 70, j = 3;
    const x = randomArray(n, 4);
    const all = noise("gaussian_noise", "", x, 0.5, [1, 1, 40, 2]);
    expect(noise("gaussian_noise", "", x.subarray(4 * j), 0.5, [1, 1, 40 + j, 2])).toEqual(all.subarray(4 * j));
    k.reset();
    const p = k.put(x);
    k.x.gaussian_noise(p, p, n, 0.5, 1, 1, 40, 2);
    expect(k.get(p, n)).toEqual(all);
    const N = 100000, sigma = 2;
    const out = noise("gaussian_noise", "", new Float32Array(N), sigma, [77, 0, 0, 0]);
    let m = 0, v = 0;
    for (const e of out) m += e;
    m /= N;
    for (const e of out) v += (e - m) ** 2;
    v /= N - 1;
    expect(Math.abs(m)).toBeLessThan(4.5 * sigma / Math.sqrt(N));
    expect(Math.abs(v / (sigma * sigma) - 1)).toBeLessThan(4.5 * Math.sqrt(2 / N));
  });
});
