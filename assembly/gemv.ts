// gemv.ts — a dense layer on ONE input row (batch 1): y = act(x·W + b), W stored [in, out] = [K, N].
// The batch-1 inference path (encode, decode, reconstruct, sample of one example) and the leftover M%4 rows of
// every batched forward: gemm.ts's driver (vk_nn_fused, behind dense_forward and dense_forward_sparse_x's dense
// path) calls gemv_forward for each row that does not fill a 4-row block, so batch 1 and the rows of a batch
// share this code. A matrix-vector product reads every weight once for one mul+add, so it is bound by streaming
// W: the loops walk W row by row (contiguous, the prefetchers' favourite pattern).
//   gemv_forward            every row of W.
//   gemv_forward_sparse_x   only the rows k with x[k] ≠ 0 (±0 skipped). The SDK runs every layer at batch 1 with
//                           it (except a first layer, which keeps dense_forward_sparse_x): behind a ReLU about half
//                           the inputs are exact zeros, so about half of W is never read.
//
// Exactness. Each output is summed exactly as the batched kernels sum it (gemm.ts's NN order):
//   y[n] = act(((((0 + x0·W[0,n]) + x1·W[1,n]) + …) + x_{K−1}·W[K−1,n]) + b[n]), every step one rounded f32 mul
//   then one rounded f32 add (vk_madd in the exact build; the fast build fuses them like every GEMM, and its scalar
//   N%4 columns stay unfused as in gemm.ts), so gemv_forward ≡ dense_forward at M = 1 ≡ the same row inside any batch,
//   bit for bit. gemv_forward_sparse_x leaves out the terms with x = ±0: a running sum from +0 is never −0 and
//   s + (±0) = s, so for finite W (the SDK's weights always are) it gives the same bits too (see sparse.ts).
//   Each has a `_scalar` twin, bit-identical.
//
// Shape of the loops (measured at 784→400 and 400→784 on Zen 4, V8 11.3): the rows taken are gathered 8 at a
// time in k order (their indices shifted through 8 locals), then one pass over those 8 rows of W updates y in
// place (y stays in L1), one f32x4 of y per step: 8 loads of W, 8 mul+add. These were no faster, most of them
// slower: column blocks of 32 or 16 outputs in register accumulators walking down all of K (each row of W read in
// 128- or 64-byte pieces at a stride of 4N bytes: 25–40 % slower), the same within K bands of 4–256 rows (0–30 %
// slower), two vectors of y per step (15 % slower), 16 rows per pass with the splats reloaded (60 % slower). The
// f32x4 mul+add issue rate, not the memory, is the limit: a plain read of the same bytes (v128.or) runs about 2×
// faster. The N%4 last columns are summed one at a time at the end (same terms, same order), then the bias and
// activation are applied in one pass over y.
//
// No allocation, no scratch; nothing outside y, x, W and b is read or written; pointers need no alignment; y must
// not alias x or W.

import "./madd"; // for its @global vk_madd: c + a·b (exact), FMA in the fast build (see madd.ts)

/** y[0..N) = act(y + b) (vector part, then the N%4 tail). */
// @ts-ignore: decorator
@inline
function gv_epilogue(y: usize, b: usize, N: i32, act: i32, alpha: f32): void {
  const al = f32x4.splat(alpha);
  const N4 = N & ~3;
  let py = y, pb = b;
  const end = y + (<usize>N4 << 2);
  while (py < end) {
    v128.store(py, vk_act_vec(f32x4.add(v128.load(py), v128.load(pb)), act, al));
    py += 16; pb += 16;
  }
  for (let n = N4; n < N; n++) {
    const o = <usize>n << 2;
    store<f32>(y + o, vk_act_f32(load<f32>(y + o) + load<f32>(b + o), act, alpha));
  }
}

/** y[0..N&~3) += a·W[row, 0..N&~3) for one row (the leftovers after the last pass of 8). */
function gv_row1(y: usize, a: f32, row: usize, N: i32): void {
  const N4 = N & ~3;
  const va = f32x4.splat(a);
  const end = y + (<usize>N4 << 2);
  let py = y, pw = row;
  while (py < end) {
    v128.store(py, vk_madd(va, v128.load(pw), v128.load(py)));
    py += 16; pw += 16;
  }
}

/** y[0..N&~3) += a0·W[row r0] + a1·W[row r1] + … + a7·W[row r7], each element's terms added in that order:
 *  one pass over 8 rows of W (consecutive ones, or the rows of x's nonzeros). */
function gv_pass8(y: usize, r0: usize, r1: usize, r2: usize, r3: usize, r4: usize, r5: usize, r6: usize, r7: usize,
                  s0: f32, s1: f32, s2: f32, s3: f32, s4: f32, s5: f32, s6: f32, s7: f32, N: i32): void {
  const N4 = N & ~3;
  const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1), a2 = f32x4.splat(s2), a3 = f32x4.splat(s3);
  const a4 = f32x4.splat(s4), a5 = f32x4.splat(s5), a6 = f32x4.splat(s6), a7 = f32x4.splat(s7);
  const end = y + (<usize>N4 << 2);
  let py = y, p0 = r0, p1 = r1, p2 = r2, p3 = r3, p4 = r4, p5 = r5, p6 = r6, p7 = r7;
  if (N4 > 0) do {
    let v = v128.load(py);
    v = vk_madd(a0, v128.load(p0), v);
    v = vk_madd(a1, v128.load(p1), v);
    v = vk_madd(a2, v128.load(p2), v);
    v = vk_madd(a3, v128.load(p3), v);
    v = vk_madd(a4, v128.load(p4), v);
    v = vk_madd(a5, v128.load(p5), v);
    v = vk_madd(a6, v128.load(p6), v);
    v = vk_madd(a7, v128.load(p7), v);
    v128.store(py, v);
    py += 16; p0 += 16; p1 += 16; p2 += 16; p3 += 16; p4 += 16; p5 += 16; p6 += 16; p7 += 16;
  } while (py < end);
}

/** y = act(x·W + b) (act < 0: y = x·W, b unread); with `skip`, the rows of W whose x is ±0 are left out. The
 *  rows taken are gathered 8 at a time in k order (the last 8 row indices held in locals k0 … k7, shifted in). */
function gv_forward(y: usize, x: usize, W: usize, b: usize, K: i32, N: i32, act: i32, alpha: f32, skip: bool): void {
  const ldw = <usize>N << 2;
  memory.fill(y, 0, ldw);
  let k0: usize = 0, k1: usize = 0, k2: usize = 0, k3: usize = 0, k4: usize = 0, k5: usize = 0, k6: usize = 0, k7: usize = 0;
  let taken = 0;
  for (let k = 0; k < K; k++) {
    const kk = <usize>k;
    if (skip && load<f32>(x + (kk << 2)) == 0) continue;
    k0 = k1; k1 = k2; k2 = k3; k3 = k4; k4 = k5; k5 = k6; k6 = k7; k7 = kk;
    if (++taken == 8) {
      gv_pass8(y, W + k0 * ldw, W + k1 * ldw, W + k2 * ldw, W + k3 * ldw, W + k4 * ldw, W + k5 * ldw, W + k6 * ldw, W + k7 * ldw,
        load<f32>(x + (k0 << 2)), load<f32>(x + (k1 << 2)), load<f32>(x + (k2 << 2)), load<f32>(x + (k3 << 2)),
        load<f32>(x + (k4 << 2)), load<f32>(x + (k5 << 2)), load<f32>(x + (k6 << 2)), load<f32>(x + (k7 << 2)), N);
      taken = 0;
    }
  }
  // the last `taken` rows taken are k_{8−taken} … k7, in that order
  for (let j = 8 - taken; j < 8; j++) {
    const kk = j == 1 ? k1 : j == 2 ? k2 : j == 3 ? k3 : j == 4 ? k4 : j == 5 ? k5 : j == 6 ? k6 : k7;
    gv_row1(y, load<f32>(x + (kk << 2)), W + kk * ldw, N);
  }
  // the N%4 last columns: the same terms in the same order, one column at a time
  for (let n = N & ~3; n < N; n++) {
    let v: f32 = 0;
    let px = x, pw = W + (<usize>n << 2);
    for (let k = 0; k < K; k++) {
      const a = load<f32>(px);
      if (!skip || a != 0) v += a * load<f32>(pw);
      px += 4; pw += ldw;
    }
    store<f32>(y + (<usize>n << 2), v);
  }
  if (act >= 0) gv_epilogue(y, b, N, act, alpha);
}

export function gemv_forward(y: usize, x: usize, W: usize, b: usize, K: i32, N: i32, act: i32, alpha: f32): void {
  // y [N] (written), x [K], W [K,N], b [N]: y = act(x·W + b). Bit-identical to dense_forward with M = 1.
  // act = −1 (gemm.ts's EPI_NONE, used for its leftover rows): y = x·W, b unread.
  gv_forward(y, x, W, b, K, N, act, alpha, false);
}

export function gemv_forward_sparse_x(y: usize, x: usize, W: usize, b: usize, K: i32, N: i32, act: i32, alpha: f32): void {
  // y [N] (written), x [K], W [K,N], b [N]: y = act(x·W + b), reading only the rows of W whose x is nonzero.
  // Bit-identical to gemv_forward (and so to dense_forward at M = 1) when W is finite.
  gv_forward(y, x, W, b, K, N, act, alpha, true);
}

export function gemv_forward_scalar(y: usize, x: usize, W: usize, b: usize, K: i32, N: i32, act: i32, alpha: f32): void {
  // y [N] (written), x [K], W [K,N], b [N]. Bit-identical to gemv_forward.
  const ldw = <usize>N << 2;
  for (let n = 0; n < N; n++) {
    let s: f32 = 0;
    let px = x, pw = W + (<usize>n << 2);
    for (let k = 0; k < K; k++) {
      s += load<f32>(px) * load<f32>(pw);
      px += 4; pw += ldw;
    }
    store<f32>(y + (<usize>n << 2), vk_act_f32(s + load<f32>(b + (<usize>n << 2)), act, alpha));
  }
}

export function gemv_forward_sparse_x_scalar(y: usize, x: usize, W: usize, b: usize, K: i32, N: i32, act: i32, alpha: f32): void {
  // y [N] (written), x [K], W [K,N], b [N]. Bit-identical to gemv_forward_sparse_x (the same terms, x ≠ 0, in k order).
  const ldw = <usize>N << 2;
  for (let n = 0; n < N; n++) {
    let s: f32 = 0;
    let px = x, pw = W + (<usize>n << 2);
    for (let k = 0; k < K; k++) {
      const a = load<f32>(px);
      if (a != 0) s += a * load<f32>(pw);
      px += 4; pw += ldw;
    }
    store<f32>(y + (<usize>n << 2), vk_act_f32(s + load<f32>(b + (<usize>n << 2)), act, alpha));
  }
}
