// gemm.ts — the three GEMMs of a dense layer (forward Y = X·W, dW += Xᵀ·dZ, dX = dZ·Wᵀ), register-blocked
// f32x4 kernels plus plain scalar twins. All tensors f32 row-major, pointers are byte offsets.
//
// Summation order (so tests can demand bit-identical twins; no FMA anywhere, every step is one rounded
// f32 mul then one rounded f32 add, identical in a SIMD lane and in scalar code):
//   gemm_nn_4x8_f32x4 ≡ gemm_nn_scalar (bit-identical): C[m,n] = (((0 + a0·b0) + a1·b1) + …) in k order.
//     K is split into chunks for cache reuse, but the partial sum is stored and reloaded between chunks,
//     which does not change the order; the last M%4 rows are accumulated in place in C (same order).
//   gemm_tn_4x8_f32x4 ≡ gemm_tn_scalar (bit-identical): s = (((0 + a0·b0) + a1·b1) + …) in m order,
//     then C[k,n] = C[k,n] + s (one rounding for the accumulate).
//   sparse.ts (dense_forward_sparse_x, dense_backward_sparse_x) keeps the nn and tn orders but leaves out terms
//   with a = ±0: bit-identical to these kernels for finite B, because a sum from +0 never becomes −0.
//   gemm_nt_f32x4 ≡ gemm_nt_scalar (bit-identical): four lane partial sums s_j over n ≡ j (mod 4) for
//     n < N&~3 (each in n order, from 0), combined as (s0 + s2) + (s1 + s3), then the N%4 tail terms are
//     added one by one in n order.
//
// Kernels never read or write outside the tensors they are given (no use of the allocation slack), need no
// alignment, and use no scratch: the only static data is a 160-byte read-only table of constants (ACTK).
// Pointers must not alias between an output and an input.
//
// Shapes: 4-row blocks go through 4×8 register tiles (then 4×4, then scalar columns) along 8-column strips
// of B, K in balanced chunks of ≤ 128; the last M%4 rows (every row at batch 1–3) are matrix-vector
// products that stream B row by row. TN uses 4×8 tiles over C = dW; NT uses 2×4 dot-product tiles.
//
// Hot loops are `do { … } while (p < end)` on a pointer already being advanced: V8 (11.3) then emits no
// separate counter and keeps each accumulator in one register; a counted `for` made it rotate the eight
// accumulators through extra register moves every few iterations (about 10 % slower).

// ---------------------------------------------------------------------------------------------------
// Helpers shared with dense.ts are declared `@global` (not `export`): `export * from "./gemm"` in
// index.ts would otherwise turn them into wasm exports, which the ABI forbids. Their names carry a
// `vk_` prefix to keep the global scope clean: vk_act_f32, vk_act_vec, vk_nn_fused, vk_nn_fused_scalar, vk_tn,
// vk_tn_scalar.

import "./vmath"; // for its @global exp_f32x4 / exp_f32 (tanh, sigmoid)
import "./madd"; // for its @global vk_madd (the exact/fast switch of every GEMM inner loop)
import { gemv_forward } from "./gemv";

// Epilogue codes: EPI_NONE stores the raw sum; 0..4 add bias[n], then the activation of that code.
const EPI_NONE: i32 = -1;

/** Largest K chunk of the forward GEMM: a 4×8 tile then walks at most KC rows of B, and a strip of
 *  B (KC rows × 8 columns, KC cache lines) stays in L1 while all the row blocks of A pass over it.
 *  128 measured about 4 % faster than 256 and 392 at 128×784·784×400 (chunks are balanced: 7 × 112). */
const KC: i32 = 128;

// ---- activations --------------------------------------------------------------------------------------------
// tanh and sigmoid are built on vmath.ts's exp_f32x4 / exp_f32 (@global; lane-for-lane bit-identical twins, both
// compiled into the module, so results are the same on every engine), with the same f32 operations in the same
// order in the vector and scalar forms. Measured against float64 over a dense sweep (test/kernels/dense.test.ts):
// a few ulp at most.
//   sigmoid(z): e = exp(−|z|) ∈ (0, 1]; z ≥ 0 ? 1/(1 + e) : e/(1 + e). Never overflows; sigmoid(−∞) = 0, (+∞) = 1.
//   tanh(z), a = |z|: a < 0.625 ? Cephes' odd polynomial a + a·a²·P(a²) : (1 − e)/(1 + e) with e = exp(−2a)
//   (no cancellation there: e ≤ 0.287), then the sign of z (tanh(−0) = −0).

// Constants for the vector forms are pre-splatted in static memory and loaded (one instruction each): V8 11.3
// rematerializes every v128.const inside a loop (the finding recorded in vmath.ts), and Binaryen folds splats
// of constants into v128.const, so loads are the cheap way. Slot i holds four copies of one f32 bit pattern.
const ACTK: usize = memory.data<i32>([
  /* 0 one        */ 0x3F800000, 0x3F800000, 0x3F800000, 0x3F800000,
  /* 1 zero       */ 0, 0, 0, 0,
  /* 2 sign bit   */ 0x80000000, 0x80000000, 0x80000000, 0x80000000,
  /* 3 0.625      */ 0x3F200000, 0x3F200000, 0x3F200000, 0x3F200000,
  /* 4 -2         */ 0xC0000000, 0xC0000000, 0xC0000000, 0xC0000000,
  /* 5 P0         */ 0xBBBAF0EA, 0xBBBAF0EA, 0xBBBAF0EA, 0xBBBAF0EA,
  /* 6 P1         */ 0x3CA9134E, 0x3CA9134E, 0x3CA9134E, 0x3CA9134E,
  /* 7 P2         */ 0xBD5C1E2D, 0xBD5C1E2D, 0xBD5C1E2D, 0xBD5C1E2D,
  /* 8 P3         */ 0x3E088393, 0x3E088393, 0x3E088393, 0x3E088393,
  /* 9 P4         */ 0xBEAAAA99, 0xBEAAAA99, 0xBEAAAA99, 0xBEAAAA99,
], 16);
// The same constants as scalars (bit patterns identical to the slots above).
// @ts-ignore: decorator
@inline const TANH_SMALL: f32 = reinterpret<f32>(0x3F200000); // 0.625
// @ts-ignore: decorator
@inline const TANH_P0: f32 = reinterpret<f32>(0xBBBAF0EA); // -5.70498872745e-3
// @ts-ignore: decorator
@inline const TANH_P1: f32 = reinterpret<f32>(0x3CA9134E); // 2.06390887954e-2
// @ts-ignore: decorator
@inline const TANH_P2: f32 = reinterpret<f32>(0xBD5C1E2D); // -5.37397155531e-2
// @ts-ignore: decorator
@inline const TANH_P3: f32 = reinterpret<f32>(0x3E088393); // 1.33314422036e-1
// @ts-ignore: decorator
@inline const TANH_P4: f32 = reinterpret<f32>(0xBEAAAA99); // -3.33332819422e-1

/** Pre-splatted constant `slot` of ACTK. */
// @ts-ignore: decorator
@inline
function ak(slot: i32): v128 {
  return v128.load(ACTK + (<usize>slot << 4));
}

// @ts-ignore: decorator
@inline
function sigmoid_f32(z: f32): f32 {
  const e = exp_f32(-abs<f32>(z));
  const d = <f32>1 + e;
  return z >= 0 ? <f32>1 / d : e / d;
}

// @ts-ignore: decorator
@inline
function sigmoid_f32x4(z: v128): v128 {
  const one = ak(0);
  const e = exp_f32x4(f32x4.neg(f32x4.abs(z)));
  const d = f32x4.add(one, e);
  return v128.bitselect(f32x4.div(one, d), f32x4.div(e, d), f32x4.ge(z, ak(1)));
}

// @ts-ignore: decorator
@inline
function tanh_f32(z: f32): f32 {
  const a = abs<f32>(z);
  const s = a * a;
  const p = (((TANH_P0 * s + TANH_P1) * s + TANH_P2) * s + TANH_P3) * s + TANH_P4;
  const small = p * s * a + a;
  const e = exp_f32(<f32>-2 * a);
  const big = (<f32>1 - e) / (<f32>1 + e);
  return copysign<f32>(a < TANH_SMALL ? small : big, z);
}

// @ts-ignore: decorator
@inline
function tanh_f32x4(z: v128): v128 {
  const one = ak(0);
  const a = f32x4.abs(z);
  const s = f32x4.mul(a, a);
  let p = f32x4.add(f32x4.mul(ak(5), s), ak(6));
  p = f32x4.add(f32x4.mul(p, s), ak(7));
  p = f32x4.add(f32x4.mul(p, s), ak(8));
  p = f32x4.add(f32x4.mul(p, s), ak(9));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, s), a), a);
  const e = exp_f32x4(f32x4.mul(ak(4), a));
  const big = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  const y = v128.bitselect(small, big, f32x4.lt(a, ak(3)));
  // y ≥ 0 (or NaN): or-ing in z's sign bit is copysign
  return v128.or(y, v128.and(z, ak(2)));
}

/** Scalar activation, shared by every twin so SIMD and scalar results agree bit for bit.
 *  0 identity; 1 relu: z < 0 ? 0 : z (= f32x4.pmax(z, 0): NaN propagates, relu(−0) = −0);
 *  2 leaky: z > 0 ? z : alpha·z; 3 tanh; 4 sigmoid (see above). */
// @ts-ignore: decorator
@global @inline
function vk_act_f32(z: f32, act: i32, alpha: f32): f32 {
  if (act == 1) return z < 0 ? <f32>0 : z;
  if (act == 2) return z > 0 ? z : alpha * z;
  if (act == 3) return tanh_f32(z);
  if (act == 4) return sigmoid_f32(z);
  return z;
}

/** The same on four lanes (lane i of the result is bit-identical to vk_act_f32 of lane i). */
// @ts-ignore: decorator
@global @inline
function vk_act_vec(z: v128, act: i32, alpha: v128): v128 {
  if (act == 1) return f32x4.pmax(z, f32x4.splat(0));
  if (act == 2) return v128.bitselect(z, f32x4.mul(z, alpha), f32x4.gt(z, f32x4.splat(0)));
  if (act == 3) return tanh_f32x4(z);
  if (act == 4) return sigmoid_f32x4(z);
  return z;
}

/** A tile's epilogue, run once per tile after its last K chunk is stored (the block is still in L1):
 *  C = act(C + bias) over rows × (4·vecs) floats. Kept out of line so that the tiles' hot loops compile
 *  exactly as in the plain GEMM (inlining it cost the fused forward about 5 %). */
function epi_block(c: usize, ldc: usize, rows: i32, vecs: i32, bias: usize, act: i32, alpha: f32): void {
  const al = f32x4.splat(alpha);
  for (let i = 0; i < rows; i++) {
    let p = c + <usize>i * ldc, pb = bias;
    for (let j = 0; j < vecs; j++) {
      v128.store(p, vk_act_vec(f32x4.add(v128.load(p), v128.load(pb)), act, al));
      p += 16; pb += 16;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// NN: C[M,N] = A[M,K]·B[K,N] — micro-kernels. `accum`: start from C (a previous K chunk) instead of 0.
// `epi`: EPI_NONE, or an activation code applied after adding bias[n..] (only on the last K chunk).

@inline
function nn_4x8(c: usize, a: usize, b: usize, lda: usize, ldb: usize, ldc: usize, kc: i32,
                accum: bool, epi: i32, bias: usize, alpha: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (accum) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(r1); c11 = v128.load(r1, 16);
    c20 = v128.load(r2); c21 = v128.load(r2, 16);
    c30 = v128.load(r3); c31 = v128.load(r3, 16);
  }
  let p0 = a, p1 = a + lda, p2 = p1 + lda, p3 = p2 + lda, pb = b;
  const pend = a + (<usize>kc << 2); // kc >= 1
  do {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(p0);
    c00 = vk_madd(a0, b0, c00); c01 = vk_madd(a0, b1, c01);
    const a1 = v128.load32_splat(p1);
    c10 = vk_madd(a1, b0, c10); c11 = vk_madd(a1, b1, c11);
    const a2 = v128.load32_splat(p2);
    c20 = vk_madd(a2, b0, c20); c21 = vk_madd(a2, b1, c21);
    const a3 = v128.load32_splat(p3);
    c30 = vk_madd(a3, b0, c30); c31 = vk_madd(a3, b1, c31);
    p0 += 4; p1 += 4; p2 += 4; p3 += 4; pb += ldb;
  } while (p0 < pend);
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(r1, c10); v128.store(r1, c11, 16);
  v128.store(r2, c20); v128.store(r2, c21, 16);
  v128.store(r3, c30); v128.store(r3, c31, 16);
  if (epi != EPI_NONE) epi_block(c, ldc, 4, 2, bias, epi, alpha);
}

@inline
function nn_4x4(c: usize, a: usize, b: usize, lda: usize, ldb: usize, ldc: usize, kc: i32,
                accum: bool, epi: i32, bias: usize, alpha: f32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (accum) { c0 = v128.load(c); c1 = v128.load(r1); c2 = v128.load(r2); c3 = v128.load(r3); }
  let p0 = a, p1 = a + lda, p2 = p1 + lda, p3 = p2 + lda, pb = b;
  const pend = a + (<usize>kc << 2);
  do {
    const b0 = v128.load(pb);
    c0 = vk_madd(v128.load32_splat(p0), b0, c0);
    c1 = vk_madd(v128.load32_splat(p1), b0, c1);
    c2 = vk_madd(v128.load32_splat(p2), b0, c2);
    c3 = vk_madd(v128.load32_splat(p3), b0, c3);
    p0 += 4; p1 += 4; p2 += 4; p3 += 4; pb += ldb;
  } while (p0 < pend);
  v128.store(c, c0); v128.store(r1, c1); v128.store(r2, c2); v128.store(r3, c3);
  if (epi != EPI_NONE) epi_block(c, ldc, 4, 1, bias, epi, alpha);
}

@inline
function nn_1x1(c: usize, a: usize, b: usize, ldb: usize, kc: i32,
                accum: bool, epi: i32, bias: usize, alpha: f32): void {
  let s: f32 = accum ? load<f32>(c) : 0;
  let p0 = a, pb = b;
  for (let k = 0; k < kc; k++) {
    s += load<f32>(p0) * load<f32>(pb);
    p0 += 4; pb += ldb;
  }
  if (epi != EPI_NONE) s = vk_act_f32(s + load<f32>(bias), epi, alpha);
  store<f32>(c, s);
}

/** The forward driver: C[M,N] = A[M,K]·B[K,N], then (if epi != EPI_NONE) act(C + bias[N]) fused into
 *  the store of each tile's last K chunk. Loop order: K chunk › 8-column strip › 4-row block; then the
 *  M%4 leftover rows, each along 32-column tiles. */
// @ts-ignore: decorator
@global @inline
function vk_nn_fused(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32,
                          epi: i32, bias: usize, alpha: f32): void {
  const lda = <usize>K << 2, ldb = <usize>N << 2, ldc = <usize>N << 2;
  const M4 = M & ~3, N8 = N & ~7, N4 = N & ~3;
  const chunks = (K + KC - 1) / KC;
  const step = (K + chunks - 1) / chunks; // balanced chunks, all ≤ KC
  if (M4 > 0) for (let k0 = 0; k0 < K; k0 += step) {
    const kc = min(step, K - k0);
    const accum = k0 > 0;
    const e = k0 + kc >= K ? epi : EPI_NONE;
    const ak = A + (<usize>k0 << 2), bk = B + <usize>k0 * ldb;
    // Blocks of 4 rows: 4×8 tiles along each 8-column strip (the strip of B stays in L1), then 4×4, then scalar.
    {
      let n = 0;
      for (; n < N8; n += 8) {
        const bn = bk + (<usize>n << 2), cn = C + (<usize>n << 2), biasn = bias + (<usize>n << 2);
        for (let m = 0; m < M4; m += 4) {
          nn_4x8(cn + <usize>m * ldc, ak + <usize>m * lda, bn, lda, ldb, ldc, kc, accum, e, biasn, alpha);
        }
      }
      if (n < N4) {
        const bn = bk + (<usize>n << 2), cn = C + (<usize>n << 2), biasn = bias + (<usize>n << 2);
        for (let m = 0; m < M4; m += 4) {
          nn_4x4(cn + <usize>m * ldc, ak + <usize>m * lda, bn, lda, ldb, ldc, kc, accum, e, biasn, alpha);
        }
        n += 4;
      }
      for (; n < N; n++) {
        const bn = bk + (<usize>n << 2), cn = C + (<usize>n << 2), biasn = bias + (<usize>n << 2);
        for (let m = 0; m < M4; m++) {
          nn_1x1(cn + <usize>m * ldc, ak + <usize>m * lda, bn, ldb, kc, accum, e, biasn, alpha);
        }
      }
    }
  }
  // The last M%4 rows (all rows at batch 1–3) are matrix-vector products, bound by streaming B: gemv.ts's
  // kernel (the batch-1 path) accumulates each row in place in C, walking B row by row (contiguous, 8 rows of
  // B per pass), so the prefetchers see plain sequential streams. Same per-element order: 0 + a0·b0 + a1·b1 + …
  // in k order (epi = EPI_NONE: no bias, no activation).
  for (let m = M4; m < M; m++) {
    gemv_forward(C + <usize>m * ldc, A + <usize>m * lda, B, bias, K, N, epi, alpha);
  }
}

/** Scalar twin of vk_nn_fused (same summation order: plain k order from 0, then + bias, then act). */
// @ts-ignore: decorator
@global @inline
function vk_nn_fused_scalar(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32,
                                 epi: i32, bias: usize, alpha: f32): void {
  const lda = <usize>K << 2, ldb = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const arow = A + <usize>m * lda;
    const crow = C + <usize>m * ldb;
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      let pa = arow, pb = B + (<usize>n << 2);
      for (let k = 0; k < K; k++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += 4; pb += ldb;
      }
      if (epi != EPI_NONE) s = vk_act_f32(s + load<f32>(bias + (<usize>n << 2)), epi, alpha);
      store<f32>(crow + (<usize>n << 2), s);
    }
  }
}

export function gemm_nn_4x8_f32x4(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32): void {
  // C [M,N] (written), A [M,K], B [K,N]: C = A·B.
  vk_nn_fused(C, A, B, M, K, N, EPI_NONE, 0, 0);
}

export function gemm_nn_scalar(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32): void {
  // C [M,N] (written), A [M,K], B [K,N]: C = A·B. Bit-identical to gemm_nn_4x8_f32x4.
  vk_nn_fused_scalar(C, A, B, M, K, N, EPI_NONE, 0, 0);
}

// ---------------------------------------------------------------------------------------------------
// TN: C[K,N] += A[M,K]ᵀ·B[M,N] (reduction over M). A tile covers C rows k..k+3 × columns n..n+7; per m it
// broadcasts A[m,k..k+3] (contiguous: constant load offsets) and loads B[m,n..n+7].

@inline
function tn_4x8(c: usize, a: usize, b: usize, lda: usize, ldb: usize, ldc: usize, M: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pa = a, pb = b;
  const pend = b + <usize>M * ldb; // M >= 1
  do {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = vk_madd(a0, b0, c00); c01 = vk_madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = vk_madd(a1, b0, c10); c11 = vk_madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = vk_madd(a2, b0, c20); c21 = vk_madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = vk_madd(a3, b0, c30); c31 = vk_madd(a3, b1, c31);
    pa += lda; pb += ldb;
  } while (pb < pend);
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
  v128.store(r1, f32x4.add(v128.load(r1), c10)); v128.store(r1, f32x4.add(v128.load(r1, 16), c11), 16);
  v128.store(r2, f32x4.add(v128.load(r2), c20)); v128.store(r2, f32x4.add(v128.load(r2, 16), c21), 16);
  v128.store(r3, f32x4.add(v128.load(r3), c30)); v128.store(r3, f32x4.add(v128.load(r3, 16), c31), 16);
}

@inline
function tn_4x4(c: usize, a: usize, b: usize, lda: usize, ldb: usize, ldc: usize, M: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let pa = a, pb = b;
  const pend = b + <usize>M * ldb;
  do {
    const b0 = v128.load(pb);
    c0 = vk_madd(v128.load32_splat(pa), b0, c0);
    c1 = vk_madd(v128.load32_splat(pa, 4), b0, c1);
    c2 = vk_madd(v128.load32_splat(pa, 8), b0, c2);
    c3 = vk_madd(v128.load32_splat(pa, 12), b0, c3);
    pa += lda; pb += ldb;
  } while (pb < pend);
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  v128.store(c, f32x4.add(v128.load(c), c0));
  v128.store(r1, f32x4.add(v128.load(r1), c1));
  v128.store(r2, f32x4.add(v128.load(r2), c2));
  v128.store(r3, f32x4.add(v128.load(r3), c3));
}

@inline
function tn_1x8(c: usize, a: usize, b: usize, lda: usize, ldb: usize, M: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let pa = a, pb = b;
  const pend = b + <usize>M * ldb;
  do {
    const a0 = v128.load32_splat(pa);
    c0 = vk_madd(a0, v128.load(pb), c0);
    c1 = vk_madd(a0, v128.load(pb, 16), c1);
    pa += lda; pb += ldb;
  } while (pb < pend);
  v128.store(c, f32x4.add(v128.load(c), c0)); v128.store(c, f32x4.add(v128.load(c, 16), c1), 16);
}

@inline
function tn_1x4(c: usize, a: usize, b: usize, lda: usize, ldb: usize, M: i32): void {
  let c0 = f32x4.splat(0);
  let pa = a, pb = b;
  const pend = b + <usize>M * ldb;
  do {
    c0 = vk_madd(v128.load32_splat(pa), v128.load(pb), c0);
    pa += lda; pb += ldb;
  } while (pb < pend);
  v128.store(c, f32x4.add(v128.load(c), c0));
}

@inline
function tn_1x1(c: usize, a: usize, b: usize, lda: usize, ldb: usize, M: i32): void {
  let s: f32 = 0;
  let pa = a, pb = b;
  for (let m = 0; m < M; m++) {
    s += load<f32>(pa) * load<f32>(pb);
    pa += lda; pb += ldb;
  }
  store<f32>(c, load<f32>(c) + s);
}

export function gemm_tn_4x8_f32x4(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32): void {
  // C [K,N] (accumulated: C += Aᵀ·B), A [M,K], B [M,N].
  vk_tn(C, A, B, M, K, N, N);
}

export function gemm_tn_scalar(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32): void {
  // C [K,N] (accumulated: C += Aᵀ·B), A [M,K], B [M,N]. Bit-identical to gemm_tn_4x8_f32x4.
  vk_tn_scalar(C, A, B, M, K, N, N);
}

/** The TN driver on N columns of B and C whose rows are `ld` floats apart (ld ≥ N): C[:, 0:N] += Aᵀ·B[:, 0:N].
 *  With ld > N it runs a column range of a wider product (dense.ts's range kernels for threads); every element
 *  is summed exactly as in the whole product, since each C[k,n] is one chain over m whatever tile holds it. */
// @ts-ignore: decorator
@global @inline
function vk_tn(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, ld: i32): void {
  const lda = <usize>K << 2, ldb = <usize>ld << 2, ldc = <usize>ld << 2;
  const K4 = K & ~3, N8 = N & ~7, N4 = N & ~3;
  // Loop order: 8-column strip of B (M rows, stays in L1) › 4-row block of C (A[:, k..k+3] streams).
  let n = 0;
  for (; n < N8; n += 8) {
    const bn = B + (<usize>n << 2), cn = C + (<usize>n << 2);
    let k = 0;
    for (; k < K4; k += 4) tn_4x8(cn + <usize>k * ldc, A + (<usize>k << 2), bn, lda, ldb, ldc, M);
    for (; k < K; k++) tn_1x8(cn + <usize>k * ldc, A + (<usize>k << 2), bn, lda, ldb, M);
  }
  if (n < N4) {
    const bn = B + (<usize>n << 2), cn = C + (<usize>n << 2);
    let k = 0;
    for (; k < K4; k += 4) tn_4x4(cn + <usize>k * ldc, A + (<usize>k << 2), bn, lda, ldb, ldc, M);
    for (; k < K; k++) tn_1x4(cn + <usize>k * ldc, A + (<usize>k << 2), bn, lda, ldb, M);
    n += 4;
  }
  for (; n < N; n++) {
    const bn = B + (<usize>n << 2), cn = C + (<usize>n << 2);
    for (let k = 0; k < K; k++) tn_1x1(cn + <usize>k * ldc, A + (<usize>k << 2), bn, lda, ldb, M);
  }
}

/** Scalar twin of vk_tn. */
// @ts-ignore: decorator
@global @inline
function vk_tn_scalar(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, ld: i32): void {
  const lda = <usize>K << 2, ldb = <usize>ld << 2;
  for (let k = 0; k < K; k++) {
    const crow = C + <usize>k * ldb;
    for (let n = 0; n < N; n++) {
      tn_1x1(crow + (<usize>n << 2), A + (<usize>k << 2), B + (<usize>n << 2), lda, ldb, M);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// NT: C[M,K] = A[M,N]·B[K,N]ᵀ — dot products of rows of A with rows of B (both contiguous along n).
// A 2×4 tile keeps 8 four-lane partial sums (rows m, m+1 of A × rows k..k+3 of B); a transposing
// horizontal reduction turns each row's four accumulators into one vector C[m, k..k+3].

/** [sum(a), sum(b), sum(c), sum(d)], each sum(x) = (x0 + x2) + (x1 + x3). */
@inline
function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  // ab = [a0+a2, b0+b2, a1+a3, b1+b3], cd likewise
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** (x0 + x2) + (x1 + x3) of one vector. */
@inline
function hsum1(x: v128): f32 {
  const h = f32x4.add(x, v128.shuffle<f32>(x, x, 2, 3, 0, 1));
  return f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
}

/** Adds the N%4 tail terms, in n order, to rows×cols outputs already stored at c. */
@inline
function nt_tail(c: usize, a: usize, b: usize, lda: usize, ldb: usize, ldc: usize,
                 rows: i32, cols: i32, n0: i32, N: i32): void {
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const pc = c + <usize>i * ldc + (<usize>j << 2);
      let s = load<f32>(pc);
      let pa = a + <usize>i * lda + (<usize>n0 << 2), pb = b + <usize>j * ldb + (<usize>n0 << 2);
      for (let n = n0; n < N; n++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += 4; pb += 4;
      }
      store<f32>(pc, s);
    }
  }
}

@inline
function nt_2x4(c: usize, a: usize, b: usize, lda: usize, ldb: usize, ldc: usize, N4: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  let pa0 = a, pa1 = a + lda, pb0 = b, pb1 = b + ldb, pb2 = pb1 + ldb, pb3 = pb2 + ldb;
  const pend = a + (<usize>N4 << 2);
  if (N4 > 0) do {
    const a0 = v128.load(pa0), a1 = v128.load(pa1);
    const b0 = v128.load(pb0);
    c00 = vk_madd(a0, b0, c00); c10 = vk_madd(a1, b0, c10);
    const b1 = v128.load(pb1);
    c01 = vk_madd(a0, b1, c01); c11 = vk_madd(a1, b1, c11);
    const b2 = v128.load(pb2);
    c02 = vk_madd(a0, b2, c02); c12 = vk_madd(a1, b2, c12);
    const b3 = v128.load(pb3);
    c03 = vk_madd(a0, b3, c03); c13 = vk_madd(a1, b3, c13);
    pa0 += 16; pa1 += 16; pb0 += 16; pb1 += 16; pb2 += 16; pb3 += 16;
  } while (pa0 < pend);
  v128.store(c, hsum4(c00, c01, c02, c03));
  v128.store(c + ldc, hsum4(c10, c11, c12, c13));
}

@inline
function nt_1x4(c: usize, a: usize, b: usize, ldb: usize, N4: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let pa = a, pb0 = b, pb1 = b + ldb, pb2 = pb1 + ldb, pb3 = pb2 + ldb;
  const pend = a + (<usize>N4 << 2);
  if (N4 > 0) do {
    const a0 = v128.load(pa);
    c0 = vk_madd(a0, v128.load(pb0), c0);
    c1 = vk_madd(a0, v128.load(pb1), c1);
    c2 = vk_madd(a0, v128.load(pb2), c2);
    c3 = vk_madd(a0, v128.load(pb3), c3);
    pa += 16; pb0 += 16; pb1 += 16; pb2 += 16; pb3 += 16;
  } while (pa < pend);
  v128.store(c, hsum4(c0, c1, c2, c3));
}

@inline
function nt_1x1(c: usize, a: usize, b: usize, N4: i32): void {
  let c0 = f32x4.splat(0);
  let pa = a, pb = b;
  const pend = a + (<usize>N4 << 2);
  if (N4 > 0) do {
    c0 = vk_madd(v128.load(pa), v128.load(pb), c0);
    pa += 16; pb += 16;
  } while (pa < pend);
  store<f32>(c, hsum1(c0));
}

export function gemm_nt_f32x4(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32): void {
  // C [M,K] (written), A [M,N], B [K,N]: C = A·Bᵀ.
  const lda = <usize>N << 2, ldb = <usize>N << 2, ldc = <usize>K << 2;
  const M2 = M & ~1, K4 = K & ~3, N4 = N & ~3;
  // Loop order: 4 rows of B (stay in L1) › pairs of rows of A.
  let k = 0;
  for (; k < K4; k += 4) {
    const bk = B + <usize>k * ldb, ck = C + (<usize>k << 2);
    let m = 0;
    for (; m < M2; m += 2) {
      const cm = ck + <usize>m * ldc, am = A + <usize>m * lda;
      nt_2x4(cm, am, bk, lda, ldb, ldc, N4);
      if (N4 < N) nt_tail(cm, am, bk, lda, ldb, ldc, 2, 4, N4, N);
    }
    if (m < M) {
      const cm = ck + <usize>m * ldc, am = A + <usize>m * lda;
      nt_1x4(cm, am, bk, ldb, N4);
      if (N4 < N) nt_tail(cm, am, bk, lda, ldb, ldc, 1, 4, N4, N);
    }
  }
  for (; k < K; k++) {
    const bk = B + <usize>k * ldb, ck = C + (<usize>k << 2);
    for (let m = 0; m < M; m++) {
      const cm = ck + <usize>m * ldc, am = A + <usize>m * lda;
      nt_1x1(cm, am, bk, N4);
      if (N4 < N) nt_tail(cm, am, bk, lda, ldb, ldc, 1, 1, N4, N);
    }
  }
}

export function gemm_nt_scalar(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32): void {
  // C [M,K] (written), A [M,N], B [K,N]: C = A·Bᵀ. Bit-identical to gemm_nt_f32x4: four lane sums
  // s_j over n ≡ j (mod 4) up to N&~3, combined (s0 + s2) + (s1 + s3), then the tail in n order.
  const lda = <usize>N << 2, ldb = <usize>N << 2, ldc = <usize>K << 2;
  const N4 = N & ~3;
  for (let m = 0; m < M; m++) {
    const arow = A + <usize>m * lda;
    for (let k = 0; k < K; k++) {
      const brow = B + <usize>k * ldb;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      let pa = arow, pb = brow;
      for (let n = 0; n < N4; n += 4) {
        s0 += load<f32>(pa) * load<f32>(pb);
        s1 += load<f32>(pa, 4) * load<f32>(pb, 4);
        s2 += load<f32>(pa, 8) * load<f32>(pb, 8);
        s3 += load<f32>(pa, 12) * load<f32>(pb, 12);
        pa += 16; pb += 16;
      }
      let s = (s0 + s2) + (s1 + s3);
      for (let n = N4; n < N; n++) {
        s += load<f32>(pa) * load<f32>(pb);
        pa += 4; pb += 4;
      }
      store<f32>(C + <usize>m * ldc + (<usize>k << 2), s);
    }
  }
}
