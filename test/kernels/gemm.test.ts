// GEMM kernels of assembly/gemm.ts: SIMD against their scalar twins (bit for bit), against an exact JS
// emulation of the documented f32 summation order, and against a float64 reference; edges and real shapes.
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

const SIZES = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
// The layer shapes of the MNIST VAE (M = batch, K = in, N = out).
const REAL: [number, number, number][] = [[128, 784, 400], [128, 400, 40], [128, 20, 400], [128, 400, 784]];
const SENTINEL = -1234.5; // exactly representable in f32
const f = Math.fround;

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

/** An output buffer of n floats framed by 4 sentinel floats on each side, pre-filled with `fill`. */
function framed(n: number, fill: ArrayLike<number> | number): { ptr: number; get: () => Float32Array; intact: () => boolean } {
  const base = k.alloc(n + 8);
  const all = k.f32(base, n + 8);
  all.fill(SENTINEL);
  if (typeof fill === "number") all.fill(fill, 4, 4 + n);
  else all.set(fill, 4);
  const ptr = base + 16;
  return {
    ptr,
    get: () => k.get(ptr, n),
    intact: () => {
      const v = k.f32(base, n + 8);
      for (let i = 0; i < 4; i++) if (v[i] !== SENTINEL || v[n + 4 + i] !== SENTINEL) return false;
      return true;
    },
  };
}

/** First index where the bit patterns differ, or -1. */
function firstBitMismatch(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

/** Largest err/(Σ|terms|) over the outputs (NaN counts as a failure: returns Infinity). */
function worstRelToTerms(got: Float32Array, ref: Float64Array, terms: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    if (!(err === err)) return Infinity;
    const r = terms[i] === 0 ? (err === 0 ? 0 : Infinity) : err / terms[i];
    if (r > worst) worst = r;
  }
  return worst;
}

// ---- float64 references: value and Σ|terms| -------------------------------------------------------------
function refNN(A: Float32Array, B: Float32Array, M: number, K: number, N: number) {
  const ref = new Float64Array(M * N), terms = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let kk = 0; kk < K; kk++) {
    const a = A[m * K + kk];
    for (let n = 0; n < N; n++) {
      const t = a * B[kk * N + n];
      ref[m * N + n] += t;
      terms[m * N + n] += Math.abs(t);
    }
  }
  return { ref, terms };
}
function refTN(C0: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number) {
  const ref = Float64Array.from(C0), terms = Float64Array.from(C0, Math.abs);
  for (let m = 0; m < M; m++) for (let kk = 0; kk < K; kk++) {
    const a = A[m * K + kk];
    for (let n = 0; n < N; n++) {
      const t = a * B[m * N + n];
      ref[kk * N + n] += t;
      terms[kk * N + n] += Math.abs(t);
    }
  }
  return { ref, terms };
}
function refNT(A: Float32Array, B: Float32Array, M: number, K: number, N: number) {
  const ref = new Float64Array(M * K), terms = new Float64Array(M * K);
  for (let m = 0; m < M; m++) for (let kk = 0; kk < K; kk++) {
    let s = 0, t = 0;
    for (let n = 0; n < N; n++) {
      const p = A[m * N + n] * B[kk * N + n];
      s += p;
      t += Math.abs(p);
    }
    ref[m * K + kk] = s;
    terms[m * K + kk] = t;
  }
  return { ref, terms };
}

// ---- exact emulations of the documented f32 orders (f64 arithmetic + fround is exact f32 for + and ×) ------
function emuNN(A: Float32Array, B: Float32Array, M: number, K: number, N: number): Float32Array {
  const C = new Float32Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let kk = 0; kk < K; kk++) s = f(s + f(A[m * K + kk] * B[kk * N + n]));
    C[m * N + n] = s;
  }
  return C;
}
function emuTN(C0: Float32Array, A: Float32Array, B: Float32Array, M: number, K: number, N: number): Float32Array {
  const C = Float32Array.from(C0);
  for (let kk = 0; kk < K; kk++) for (let n = 0; n < N; n++) {
    let s = 0;
    for (let m = 0; m < M; m++) s = f(s + f(A[m * K + kk] * B[m * N + n]));
    C[kk * N + n] = f(C[kk * N + n] + s);
  }
  return C;
}
function emuNT(A: Float32Array, B: Float32Array, M: number, K: number, N: number): Float32Array {
  const C = new Float32Array(M * K), N4 = N & ~3;
  for (let m = 0; m < M; m++) for (let kk = 0; kk < K; kk++) {
    const l = [0, 0, 0, 0];
    for (let n = 0; n < N4; n++) l[n & 3] = f(l[n & 3] + f(A[m * N + n] * B[kk * N + n]));
    let s = f(f(l[0] + l[2]) + f(l[1] + l[3]));
    for (let n = N4; n < N; n++) s = f(s + f(A[m * N + n] * B[kk * N + n]));
    C[m * K + kk] = s;
  }
  return C;
}

type Kind = "nn" | "tn" | "nt";
const TOL = 2e-6; // |err| ≤ TOL · Σ|terms|: f32 accumulation of ≤ 784 random terms stays below ~3e-7 here

/** Runs SIMD and scalar kernels of one kind on fresh random operands; returns everything needed to judge. */
function runPair(kind: Kind, M: number, K: number, N: number, seed: number) {
  k.reset();
  const shapeA = kind === "nt" ? M * N : M * K;
  const shapeB = kind === "nn" ? K * N : kind === "tn" ? M * N : K * N;
  const shapeC = kind === "nn" ? M * N : kind === "tn" ? K * N : M * K;
  const A = randomArray(shapeA, seed), B = randomArray(shapeB, seed + 1);
  // tn accumulates into C; nn/nt must overwrite, so their outputs start as NaN (any read-back shows).
  const C0 = kind === "tn" ? randomArray(shapeC, seed + 2) : new Float32Array(shapeC).fill(NaN);
  const pA = k.put(A), pB = k.put(B);
  const simd = framed(shapeC, C0), scalar = framed(shapeC, C0);
  const name = kind === "nn" ? "gemm_nn_4x8_f32x4" : kind === "tn" ? "gemm_tn_4x8_f32x4" : "gemm_nt_f32x4";
  k.x[name](simd.ptr, pA, pB, M, K, N);
  k.x[`gemm_${kind}_scalar`](scalar.ptr, pA, pB, M, K, N);
  return { A, B, C0, simd, scalar };
}

function reference(kind: Kind, r: ReturnType<typeof runPair>, M: number, K: number, N: number) {
  return kind === "nn" ? refNN(r.A, r.B, M, K, N) : kind === "tn" ? refTN(r.C0, r.A, r.B, M, K, N) : refNT(r.A, r.B, M, K, N);
}
function emulation(kind: Kind, r: ReturnType<typeof runPair>, M: number, K: number, N: number) {
  return kind === "nn" ? emuNN(r.A, r.B, M, K, N) : kind === "tn" ? emuTN(r.C0, r.A, r.B, M, K, N) : emuNT(r.A, r.B, M, K, N);
}

describe.each<Kind>(["nn", "tn", "nt"])("gemm_%s", (kind) => {
  it("SIMD ≡ scalar twin ≡ documented f32 order, bit for bit, and within 2e-6·Σ|terms| of float64, for every M, K, N in {1,3,4,5,7,8,9,15,16,17,33}", () => {
    let seed = 1000;
    let checked = 0;
    for (const M of SIZES) for (const K of SIZES) for (const N of SIZES) {
      const r = runPair(kind, M, K, N, (seed += 7));
      const got = r.simd.get(), twin = r.scalar.get();
      const at = `M=${M} K=${K} N=${N}`;
      expect(r.simd.intact() && r.scalar.intact(), `${at}: wrote outside C`).toBe(true);
      expect(firstBitMismatch(got, twin), `${at}: SIMD vs scalar`).toBe(-1);
      expect(firstBitMismatch(got, emulation(kind, r, M, K, N)), `${at}: vs order emulation`).toBe(-1);
      const { ref, terms } = reference(kind, r, M, K, N);
      expect(worstRelToTerms(got, ref, terms), `${at}: vs float64`).toBeLessThanOrEqual(TOL);
      checked++;
    }
    expect(checked).toBe(SIZES.length ** 3);
  });

  it.each(REAL)("real shape M=%i K=%i N=%i: SIMD ≡ scalar, and within 2e-6·Σ|terms| of float64", (M, K, N) => {
    const r = runPair(kind, M, K, N, M * 31 + K * 7 + N);
    const got = r.simd.get();
    expect(r.simd.intact() && r.scalar.intact()).toBe(true);
    expect(firstBitMismatch(got, r.scalar.get())).toBe(-1);
    const { ref, terms } = reference(kind, r, M, K, N);
    const worst = worstRelToTerms(got, ref, terms);
    expect(worst).toBeLessThanOrEqual(TOL);
    expect(worst).toBeGreaterThan(0); // the check is live: f32 accumulation does differ from float64
  });
});

describe("gemm semantics", () => {
  it("gemm_tn accumulates (C += Aᵀ·B): two calls equal one call on 2·B's worth, and C0 is kept", () => {
    const M = 9, K = 7, N = 13;
    k.reset();
    const A = randomArray(M * K, 5), B = randomArray(M * N, 6);
    const pA = k.put(A), pB = k.put(B);
    const C0 = randomArray(K * N, 7, 100, 101); // far from zero: dropping C0 would be caught
    const c = framed(K * N, C0);
    k.x.gemm_tn_4x8_f32x4(c.ptr, pA, pB, M, K, N);
    const once = c.get();
    const fresh = framed(K * N, 0);
    k.x.gemm_tn_4x8_f32x4(fresh.ptr, pA, pB, M, K, N);
    const s = fresh.get();
    for (let i = 0; i < K * N; i++) expect(once[i]).toBe(f(C0[i] + s[i]));
    k.x.gemm_tn_4x8_f32x4(c.ptr, pA, pB, M, K, N);
    const twice = c.get();
    for (let i = 0; i < K * N; i++) expect(twice[i]).toBe(f(once[i] + s[i]));
  });

  it("gemm_nn and gemm_nt overwrite C (a NaN-filled C gives finite results) and never touch their inputs", () => {
    for (const kind of ["nn", "nt"] as const) {
      const M = 17, K = 9, N = 15;
      k.reset();
      const A = randomArray(kind === "nn" ? M * K : M * N, 8), B = randomArray(kind === "nn" ? K * N : K * N, 9);
      const pA = k.put(A), pB = k.put(B);
      const c = framed(kind === "nn" ? M * N : M * K, NaN);
      k.x[kind === "nn" ? "gemm_nn_4x8_f32x4" : "gemm_nt_f32x4"](c.ptr, pA, pB, M, K, N);
      expect(c.get().every(Number.isFinite)).toBe(true);
      expect(firstBitMismatch(k.get(pA, A.length), A)).toBe(-1);
      expect(firstBitMismatch(k.get(pB, B.length), B)).toBe(-1);
    }
  });

  it("handles unaligned pointers (4-byte offsets) with the same results", () => {
    const M = 9, K = 17, N = 15;
    k.reset();
    const A = randomArray(M * K, 11), B = randomArray(K * N, 12);
    const pA = k.put([0, ...A]) + 4, pB = k.put([0, 0, 0, ...B]) + 12;
    const pC = k.alloc(M * N + 2) + 8;
    k.x.gemm_nn_4x8_f32x4(pC, pA, pB, M, K, N);
    expect(firstBitMismatch(k.get(pC, M * N), emuNN(A, B, M, K, N))).toBe(-1);
    const Bt = randomArray(K * N, 13), An = randomArray(M * N, 14);
    const pBt = k.put([0, ...Bt]) + 4, pAn = k.put([0, 0, ...An]) + 8;
    const pD = k.alloc(M * K + 1) + 4;
    k.x.gemm_nt_f32x4(pD, pAn, pBt, M, K, N);
    expect(firstBitMismatch(k.get(pD, M * K), emuNT(An, Bt, M, K, N))).toBe(-1);
  });
});
