// dense.ts — a dense layer Y = act(X·W + b), W stored [in, out] = [K, N], and its backward pass.
// Activation codes: 0 identity, 1 relu, 2 leaky_relu (slope alpha), 3 tanh, 4 sigmoid.
//
// Twins: every SIMD kernel here is bit-identical to its `_scalar` twin (same operations in the same order;
// tanh/sigmoid are built on vmath.ts's exp with bit-identical twins). See gemm.ts for the GEMM orders.
//
// Uses the `@global` helpers of gemm.ts: vk_nn_fused(_scalar), vk_act_f32, vk_act_vec. The first-layer variants
// for inputs with many zeros (dense_forward_sparse_x, dense_backward_sparse_x) run sparse.ts's GEMMs.
import { gemm_tn_4x8_f32x4, gemm_tn_scalar, gemm_nt_f32x4, gemm_nt_scalar } from "./gemm";
import { sx_at_most_nonzero, sx_nn, sx_nn_scalar, sx_tn, sx_tn_scalar } from "./sparse";

export function dense_forward(Y: usize, X: usize, W: usize, b: usize, M: i32, K: i32, N: i32,
                              act: i32, alpha: f32): void {
  // Y [M,N] (written), X [M,K], W [K,N], b [N]: Y = act(X·W + b). Bias and activation are applied to each
  // 4×8 tile as it is stored (tanh/sigmoid over the tile right after the store, while it is in L1).
  vk_nn_fused(Y, X, W, M, K, N, act, b, alpha);
}

export function dense_forward_scalar(Y: usize, X: usize, W: usize, b: usize, M: i32, K: i32, N: i32,
                                     act: i32, alpha: f32): void {
  // Y [M,N] (written), X [M,K], W [K,N], b [N]. Bit-identical to dense_forward.
  vk_nn_fused_scalar(Y, X, W, M, K, N, act, b, alpha);
}

// ---------------------------------------------------------------------------------------------------
// dZ = dY ⊙ act'(Y) (in place), db += colsum(dZ). act' from the output: relu y>0; leaky y>0 ? 1 : alpha
// (PyTorch's convention at 0); tanh 1 − y²; sigmoid y(1 − y). Column sums: s = 0 + z0 + z1 + … in row
// order, then db[n] += s.

@inline
function dz_vec(dy: v128, y: v128, act: i32, alpha: v128): v128 {
  if (act == 1) return v128.and(dy, f32x4.gt(y, f32x4.splat(0)));
  if (act == 2) return v128.bitselect(dy, f32x4.mul(dy, alpha), f32x4.gt(y, f32x4.splat(0)));
  if (act == 3) return f32x4.mul(dy, f32x4.sub(f32x4.splat(1), f32x4.mul(y, y)));
  if (act == 4) return f32x4.mul(dy, f32x4.mul(y, f32x4.sub(f32x4.splat(1), y)));
  return dy;
}

@inline
function dz_f32(dy: f32, y: f32, act: i32, alpha: f32): f32 {
  if (act == 1) return y > 0 ? dy : <f32>0;
  if (act == 2) return y > 0 ? dy : alpha * dy;
  if (act == 3) return dy * (<f32>1 - y * y);
  if (act == 4) return dy * (y * (<f32>1 - y));
  return dy;
}

/** One column of dZ and its sum (scalar; also the N%4 tail of the SIMD version). */
@inline
function dz_column(db: usize, dY: usize, Y: usize, ld: usize, M: i32, act: i32, alpha: f32): void {
  let s: f32 = 0;
  let pd = dY, py = Y;
  for (let m = 0; m < M; m++) {
    const z = dz_f32(load<f32>(pd), load<f32>(py), act, alpha);
    if (act != 0) store<f32>(pd, z);
    s += z;
    pd += ld; py += ld;
  }
  store<f32>(db, load<f32>(db) + s);
}

@inline
function dz_colsum(db: usize, dY: usize, Y: usize, M: i32, N: i32, ldN: i32, act: i32, alpha: f32): void {
  const ld = <usize>ldN << 2;
  const al = f32x4.splat(alpha);
  const N16 = N & ~15, N4 = N & ~3;
  let n = 0;
  // 16 columns (4 vectors) per pass down the rows.
  for (; n < N16; n += 16) {
    const off = <usize>n << 2;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let pd = dY + off, py = Y + off;
    for (let m = 0; m < M; m++) {
      const z0 = dz_vec(v128.load(pd), v128.load(py), act, al);
      const z1 = dz_vec(v128.load(pd, 16), v128.load(py, 16), act, al);
      const z2 = dz_vec(v128.load(pd, 32), v128.load(py, 32), act, al);
      const z3 = dz_vec(v128.load(pd, 48), v128.load(py, 48), act, al);
      if (act != 0) {
        v128.store(pd, z0); v128.store(pd, z1, 16); v128.store(pd, z2, 32); v128.store(pd, z3, 48);
      }
      s0 = f32x4.add(s0, z0); s1 = f32x4.add(s1, z1); s2 = f32x4.add(s2, z2); s3 = f32x4.add(s3, z3);
      pd += ld; py += ld;
    }
    const pb = db + off;
    v128.store(pb, f32x4.add(v128.load(pb), s0)); v128.store(pb, f32x4.add(v128.load(pb, 16), s1), 16);
    v128.store(pb, f32x4.add(v128.load(pb, 32), s2), 32); v128.store(pb, f32x4.add(v128.load(pb, 48), s3), 48);
  }
  for (; n < N4; n += 4) {
    const off = <usize>n << 2;
    let s0 = f32x4.splat(0);
    let pd = dY + off, py = Y + off;
    for (let m = 0; m < M; m++) {
      const z0 = dz_vec(v128.load(pd), v128.load(py), act, al);
      if (act != 0) v128.store(pd, z0);
      s0 = f32x4.add(s0, z0);
      pd += ld; py += ld;
    }
    v128.store(db + off, f32x4.add(v128.load(db + off), s0));
  }
  for (; n < N; n++) {
    const off = <usize>n << 2;
    dz_column(db + off, dY + off, Y + off, ld, M, act, alpha);
  }
}

@inline
function dz_colsum_scalar(db: usize, dY: usize, Y: usize, M: i32, N: i32, ldN: i32, act: i32, alpha: f32): void {
  const ld = <usize>ldN << 2;
  for (let n = 0; n < N; n++) {
    const off = <usize>n << 2;
    dz_column(db + off, dY + off, Y + off, ld, M, act, alpha);
  }
}

/** dZ and db (SIMD) over N columns whose rows are ldN floats apart, with the activation code made a constant in
 *  each copy. */
function dz_pass(db: usize, dY: usize, Y: usize, M: i32, N: i32, ldN: i32, act: i32, alpha: f32): void {
  if (act == 1) dz_colsum(db, dY, Y, M, N, ldN, 1, alpha);
  else if (act == 2) dz_colsum(db, dY, Y, M, N, ldN, 2, alpha);
  else if (act == 3) dz_colsum(db, dY, Y, M, N, ldN, 3, alpha);
  else if (act == 4) dz_colsum(db, dY, Y, M, N, ldN, 4, alpha);
  else dz_colsum(db, dY, Y, M, N, ldN, 0, alpha);
}

export function dense_backward(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, Y: usize,
                               M: i32, K: i32, N: i32, act: i32, alpha: f32): void {
  // dX [M,K] (written unless dX == 0), dW [K,N] (+=), db [N] (+=), dY [M,N] (in: dL/dY, out: dZ),
  // X [M,K], W [K,N], Y [M,N] (the forward output).
  // dZ = dY ⊙ act'(Y); db += colsum(dZ); dW += Xᵀ·dZ; dX = dZ·Wᵀ.
  dz_pass(db, dY, Y, M, N, N, act, alpha);
  gemm_tn_4x8_f32x4(dW, X, dY, M, K, N);
  if (dX != 0) gemm_nt_f32x4(dX, dY, W, M, K, N);
}

export function dense_backward_scalar(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, Y: usize,
                                      M: i32, K: i32, N: i32, act: i32, alpha: f32): void {
  // Same shapes as dense_backward. Bit-identical to it.
  dz_colsum_scalar(db, dY, Y, M, N, N, act, alpha);
  gemm_tn_scalar(dW, X, dY, M, K, N);
  if (dX != 0) gemm_nt_scalar(dX, dY, W, M, K, N);
}

// ---------------------------------------------------------------------------------------------------
// The first layer on inputs with many exact zeros (sparse.ts): the same results as dense_forward and
// dense_backward (dX = 0) bit for bit, zero signs included, given finite W and dZ (see sparse.ts), faster
// when X is mostly zeros. Each counts the nonzeros of X first (SIMD, stopping once past the limit) and takes
// the dense kernel when their share is above the limit below; returns 1 if it took the sparse path, else 0.

/** Largest nonzero share of X for which the sparse paths run. Measured at 128×784·784×400 with zeros placed
 *  uniformly at random (the worst case for the backward's blocks of 4): the forward breaks even near 0.45, so
 *  0.35 keeps a margin; the backward's listed tiles are about as fast as the dense ones even at density 1 (they
 *  lose only the list building), so it switches late. On MNIST (density 0.19) both run sparse. */
const SPARSE_MAX_DENSITY_FWD: f64 = 0.35;
const SPARSE_MAX_DENSITY_BWD: f64 = 0.75;

// @ts-ignore: decorator
@inline
function sparse_enough(X: usize, M: i32, K: i32, limit: f64): bool {
  return sx_at_most_nonzero(X, M * K, limit * (<f64>M * <f64>K));
}

export function dense_forward_sparse_x(Y: usize, X: usize, W: usize, b: usize, scratch: usize,
                                       M: i32, K: i32, N: i32, act: i32, alpha: f32): i32 {
  // Y [M,N] (written), X [M,K], W [K,N], b [N], scratch [2·M·K + M + 1 words] (overwritten when sparse).
  // Y = act(X·W + b), identical to dense_forward.
  if (!sparse_enough(X, M, K, SPARSE_MAX_DENSITY_FWD)) {
    vk_nn_fused(Y, X, W, M, K, N, act, b, alpha);
    return 0;
  }
  sx_nn(Y, X, W, b, scratch, M, K, N, act, alpha);
  return 1;
}

export function dense_forward_sparse_x_scalar(Y: usize, X: usize, W: usize, b: usize, scratch: usize,
                                              M: i32, K: i32, N: i32, act: i32, alpha: f32): i32 {
  // Same arguments (scratch unused). Bit-identical to dense_forward_sparse_x, and takes the same path.
  if (!sparse_enough(X, M, K, SPARSE_MAX_DENSITY_FWD)) {
    vk_nn_fused_scalar(Y, X, W, M, K, N, act, b, alpha);
    return 0;
  }
  sx_nn_scalar(Y, X, W, b, M, K, N, act, alpha);
  return 1;
}

export function dense_backward_sparse_x(dW: usize, db: usize, dY: usize, X: usize, Y: usize, scratch: usize,
                                        M: i32, K: i32, N: i32, act: i32, alpha: f32): i32 {
  // dW [K,N] (+=), db [N] (+=), dY [M,N] (in: dL/dY, out: dZ), X [M,K], Y [M,N] (the forward output),
  // scratch [5·M words] (overwritten when sparse). As dense_backward with dX = 0: dZ = dY ⊙ act'(Y);
  // db += colsum(dZ); dW += Xᵀ·dZ.
  dz_pass(db, dY, Y, M, N, N, act, alpha);
  if (!sparse_enough(X, M, K, SPARSE_MAX_DENSITY_BWD)) {
    gemm_tn_4x8_f32x4(dW, X, dY, M, K, N);
    return 0;
  }
  sx_tn(dW, X, dY, scratch, M, K, N, N);
  return 1;
}

export function dense_backward_sparse_x_scalar(dW: usize, db: usize, dY: usize, X: usize, Y: usize, scratch: usize,
                                               M: i32, K: i32, N: i32, act: i32, alpha: f32): i32 {
  // Same arguments (scratch unused). Bit-identical to dense_backward_sparse_x, and takes the same path.
  dz_colsum_scalar(db, dY, Y, M, N, N, act, alpha);
  if (!sparse_enough(X, M, K, SPARSE_MAX_DENSITY_BWD)) {
    gemm_tn_scalar(dW, X, dY, M, K, N);
    return 0;
  }
  sx_tn_scalar(dW, X, dY, M, K, N, N);
  return 1;
}

// ---------------------------------------------------------------------------------------------------

@inline
function act_apply(Y: usize, X: usize, n: i32, act: i32, alpha: f32): void {
  const al = f32x4.splat(alpha);
  const n16 = n & ~15, n4 = n & ~3;
  let px = X, py = Y;
  let i = 0;
  if (act < 3) {
    // cheap activations: four vectors per step
    for (; i < n16; i += 16) {
      v128.store(py, vk_act_vec(v128.load(px), act, al));
      v128.store(py, vk_act_vec(v128.load(px, 16), act, al), 16);
      v128.store(py, vk_act_vec(v128.load(px, 32), act, al), 32);
      v128.store(py, vk_act_vec(v128.load(px, 48), act, al), 48);
      px += 64; py += 64;
    }
  }
  for (; i < n4; i += 4) {
    v128.store(py, vk_act_vec(v128.load(px), act, al));
    px += 16; py += 16;
  }
  for (; i < n; i++) {
    store<f32>(py, vk_act_f32(load<f32>(px), act, alpha));
    px += 4; py += 4;
  }
}

export function activation_forward(Y: usize, X: usize, n: i32, act: i32, alpha: f32): void {
  // Y [n] (written; may be X), X [n]: Y = act(X) elementwise (tanh/sigmoid from vmath's exp_f32x4, see gemm.ts).
  if (act == 1) act_apply(Y, X, n, 1, alpha);
  else if (act == 2) act_apply(Y, X, n, 2, alpha);
  else if (act == 3) act_apply(Y, X, n, 3, alpha);
  else if (act == 4) act_apply(Y, X, n, 4, alpha);
  else if (Y != X) memory.copy(Y, X, <usize>n << 2);
}

export function activation_forward_scalar(Y: usize, X: usize, n: i32, act: i32, alpha: f32): void {
  // Y [n] (written; may be X), X [n]. Bit-identical to activation_forward.
  let px = X, py = Y;
  for (let i = 0; i < n; i++) {
    store<f32>(py, vk_act_f32(load<f32>(px), act, alpha));
    px += 4; py += 4;
  }
}

// ---------------------------------------------------------------------------------------------------
// Range-split kernels: the pieces threads run (dist/vaekit-mt.wasm, `threads > 1`; not in dist/vaekit.wasm). Each
// thread takes a disjoint part of the outputs, and every output element gets exactly the operations, in the same
// order, that the whole-tensor kernels above give it, so results are bit-identical for any split:
// - dense_forward and dense_forward_sparse_x_path by rows (pointer offsets);
// - the backward's dZ, db and dW by output columns n0..n1 (dense_backward_cols: each column's sums run over all
//   rows in row order), then dX by rows (dense_backward_input, after every column range is done); the sparse first
//   layer's dZ and db by columns (dense_backward_dz_cols), then its dW by rows (dense_backward_rows_sparse_x);
// - whether the first layer's sparse paths run is decided once for the whole batch (dense_sparse_x_path), so
//   every thread takes the same path.

export function dense_sparse_x_path(X: usize, M: i32, K: i32, backward: i32): i32 {
  // X [M,K]. Returns 1 where dense_backward_sparse_x (backward = 1) or dense_forward_sparse_x (backward = 0) would
  // take its sparse path for this X, else 0.
  return i32(sparse_enough(X, M, K, backward != 0 ? SPARSE_MAX_DENSITY_BWD : SPARSE_MAX_DENSITY_FWD));
}

export function dense_forward_sparse_x_path(Y: usize, X: usize, W: usize, b: usize, scratch: usize,
                                            M: i32, K: i32, N: i32, act: i32, alpha: f32, sparse: i32): void {
  // Y [M,N] (written), X [M,K], W [K,N], b [N], scratch [2·M·K + M + 1 words] (overwritten when sparse = 1).
  // Y = act(X·W + b) by dense_forward_sparse_x's sparse path (sparse = 1) or its dense one (0).
  if (sparse != 0) sx_nn(Y, X, W, b, scratch, M, K, N, act, alpha);
  else vk_nn_fused(Y, X, W, M, K, N, act, b, alpha);
}

export function dense_forward_sparse_x_path_scalar(Y: usize, X: usize, W: usize, b: usize, scratch: usize,
                                                   M: i32, K: i32, N: i32, act: i32, alpha: f32, sparse: i32): void {
  // Same arguments (scratch unused). Bit-identical to dense_forward_sparse_x_path.
  if (sparse != 0) sx_nn_scalar(Y, X, W, b, M, K, N, act, alpha);
  else vk_nn_fused_scalar(Y, X, W, M, K, N, act, b, alpha);
}

export function dense_backward_cols(dW: usize, db: usize, dY: usize, X: usize, Y: usize, scratch: usize,
                                    M: i32, K: i32, N: i32, n0: i32, n1: i32, act: i32, alpha: f32, sparse: i32): void {
  // dW [K,N] (+=, columns n0..n1), db [N] (+=, n0..n1), dY [M,N] (columns n0..n1 in: dL/dY, out: dZ), X [M,K],
  // Y [M,N] (the forward output), scratch [5·M words] (overwritten when sparse = 1); 0 ≤ n0 ≤ n1 ≤ N.
  // On columns n0..n1: dZ = dY ⊙ act'(Y); db += colsum(dZ); dW += Xᵀ·dZ — dense_backward's first two steps
  // (sparse = 0) or dense_backward_sparse_x's sparse path (sparse = 1).
  const o = <usize>n0 << 2, w = n1 - n0;
  dz_pass(db + o, dY + o, Y + o, M, w, N, act, alpha);
  if (sparse != 0) sx_tn(dW + o, X, dY + o, scratch, M, K, w, N);
  else vk_tn(dW + o, X, dY + o, M, K, w, N);
}

export function dense_backward_cols_scalar(dW: usize, db: usize, dY: usize, X: usize, Y: usize, scratch: usize,
                                           M: i32, K: i32, N: i32, n0: i32, n1: i32, act: i32, alpha: f32,
                                           sparse: i32): void {
  // Same arguments (scratch unused). Bit-identical to dense_backward_cols.
  const o = <usize>n0 << 2, w = n1 - n0;
  dz_colsum_scalar(db + o, dY + o, Y + o, M, w, N, act, alpha);
  if (sparse != 0) sx_tn_scalar(dW + o, X, dY + o, M, K, w, N);
  else vk_tn_scalar(dW + o, X, dY + o, M, K, w, N);
}

export function dense_backward_dz_cols(db: usize, dY: usize, Y: usize, M: i32, N: i32, n0: i32, n1: i32, act: i32,
                                       alpha: f32): void {
  // db [N] (+=, n0..n1), dY [M,N] (columns n0..n1 in: dL/dY, out: dZ), Y [M,N]: dense_backward_cols without dW —
  // the first step of the first layer's backward when its dW is then split by rows.
  const o = <usize>n0 << 2;
  dz_pass(db + o, dY + o, Y + o, M, n1 - n0, N, act, alpha);
}

export function dense_backward_dz_cols_scalar(db: usize, dY: usize, Y: usize, M: i32, N: i32, n0: i32, n1: i32,
                                              act: i32, alpha: f32): void {
  // Same arguments. Bit-identical to dense_backward_dz_cols.
  const o = <usize>n0 << 2;
  dz_colsum_scalar(db + o, dY + o, Y + o, M, n1 - n0, N, act, alpha);
}

export function dense_backward_rows_sparse_x(dW: usize, dZ: usize, X: usize, scratch: usize, M: i32, K: i32, N: i32,
                                             k0: i32, k1: i32): void {
  // dW [K,N] (+=, rows k0..k1; k0 a multiple of 4), dZ [M,N] (after dense_backward_dz_cols), X [M,K], scratch
  // [5·M words]: dW += Xᵀ·dZ on rows k0..k1 by dense_backward_sparse_x's sparse path. Split by rows, each part lists
  // only its own blocks of X's columns (split by columns, every part would list all of them).
  sx_tn(dW, X, dZ, scratch, M, K, N, N, k0, k1);
}

export function dense_backward_rows_sparse_x_scalar(dW: usize, dZ: usize, X: usize, scratch: usize, M: i32, K: i32,
                                                    N: i32, k0: i32, k1: i32): void {
  // Same arguments (scratch unused). Bit-identical to dense_backward_rows_sparse_x.
  sx_tn_scalar(dW, X, dZ, M, K, N, N, k0, k1);
}

export function dense_backward_input(dX: usize, dY: usize, W: usize, M: i32, K: i32, N: i32): void {
  // dX [M,K] (written), dY [M,N] (dZ, as dense_backward_cols leaves it), W [K,N]: dX = dZ·Wᵀ, dense_backward's
  // last step.
  gemm_nt_f32x4(dX, dY, W, M, K, N);
}

export function dense_backward_input_scalar(dX: usize, dY: usize, W: usize, M: i32, K: i32, N: i32): void {
  // Same arguments. Bit-identical to dense_backward_input.
  gemm_nt_scalar(dX, dY, W, M, K, N);
}
