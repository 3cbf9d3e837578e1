// gemv.ts — a dense layer on ONE input row (batch 1): y = act(x·W + b), W stored [in, out] = [K, N].
// The batch-1 inference path (encode, decode, reconstruct, sample of one example) and the leftover M%4 rows of
// every batched forward: gemm.ts's driver (vk_nn_fused, behind dense_forward and dense_forward_sparse_x's dense
// path) calls gemv_forward for each row that does not fill a 4-row block, so batch 1 and the rows of a batch
// share this code. A matrix-vector product reads every weight once and does one mul+add per weight, so it is
// bound by streaming W: the loops walk W row by row (contiguous, the prefetchers' favourite pattern).
//
// Exactness. Each output is summed exactly as the batched kernels sum it (gemm.ts's NN order):
//   y[n] = act(((((0 + x0·W[0,n]) + x1·W[1,n]) + …) + x_{K−1}·W[K−1,n]) + b[n]), every step one rounded f32 mul
//   then one rounded f32 add, no FMA, so gemv_forward ≡ dense_forward at M = 1 ≡ the same row inside any batch,
//   bit for bit. gemv_forward_scalar is its bit-identical twin.
//
// Shape of the loops (measured at 784→400 and 400→784 on Zen 4, V8 11.3): 8 rows of W per pass, y kept in the
// output (L1), one f32x4 of y per step: 8 loads of W, 8 mul+add. These were no faster, most of them slower:
// column blocks of 32 or 16 outputs in register accumulators walking down all of K (each row of W read in
// 128- or 64-byte pieces at a stride of 4N bytes: 25–40 % slower), the same within K bands of 4–256 rows
// (0–30 % slower), two vectors of y per step (15 % slower), 16 rows per pass with the splats reloaded (the
// splats no longer fit in registers: 60 % slower). The f32x4 mul+add issue rate, not the memory, is the limit:
// a plain read of the same bytes (v128.or) runs about 2× faster.
// A first-layer variant listing the nonzero x (MNIST) and streaming only those rows measured 4.4–4.8 µs at
// 784→400 against 4.7–5.2 µs for dense_forward_sparse_x's own zero-skipping path at M = 1: not worth its
// 0.7 KB (gzipped) in the shipped module, so the SDK keeps using dense_forward_sparse_x for first layers.
//
// The bias and activation are applied in one pass over y at the end (y is still in L1). No allocation, no
// scratch; nothing outside y, x, W and b is read or written; pointers need no alignment; y must not alias x or W.

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

/** y[0..N) += a·W[row, 0..N) for one row (the K%8 leftovers and short lists). */
// @ts-ignore: decorator
@inline
function gv_row1(y: usize, ap: usize, row: usize, N: i32): void {
  const N4 = N & ~3;
  const a0 = v128.load32_splat(ap);
  const a = load<f32>(ap);
  const end = y + (<usize>N4 << 2);
  let py = y, pw = row;
  while (py < end) {
    v128.store(py, f32x4.add(v128.load(py), f32x4.mul(a0, v128.load(pw))));
    py += 16; pw += 16;
  }
  for (let n = N4; n < N; n++) {
    const o = <usize>n << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(row + o));
  }
}

/** y += Σ_{j<8} x[k+j]·W[k+j, :] for 8 consecutive rows, each element's terms added in j order. */
// @ts-ignore: decorator
@inline
function gv_rows8(y: usize, pa: usize, rows: usize, ldw: usize, N: i32): void {
  const N4 = N & ~3;
  const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
  const a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
  const a4 = v128.load32_splat(pa, 16), a5 = v128.load32_splat(pa, 20);
  const a6 = v128.load32_splat(pa, 24), a7 = v128.load32_splat(pa, 28);
  const l2 = ldw << 1, l3 = l2 + ldw, l4 = ldw << 2, l5 = l4 + ldw, l6 = l4 + l2, l7 = l6 + ldw;
  const end = y + (<usize>N4 << 2);
  let py = y, p0 = rows;
  if (N4 > 0) do {
    let v = v128.load(py);
    v = f32x4.add(v, f32x4.mul(a0, v128.load(p0)));
    v = f32x4.add(v, f32x4.mul(a1, v128.load(p0 + ldw)));
    v = f32x4.add(v, f32x4.mul(a2, v128.load(p0 + l2)));
    v = f32x4.add(v, f32x4.mul(a3, v128.load(p0 + l3)));
    v = f32x4.add(v, f32x4.mul(a4, v128.load(p0 + l4)));
    v = f32x4.add(v, f32x4.mul(a5, v128.load(p0 + l5)));
    v = f32x4.add(v, f32x4.mul(a6, v128.load(p0 + l6)));
    v = f32x4.add(v, f32x4.mul(a7, v128.load(p0 + l7)));
    v128.store(py, v);
    py += 16; p0 += 16;
  } while (py < end);
  for (let n = N4; n < N; n++) {
    const o = <usize>n << 2;
    let s = load<f32>(y + o);
    let pw = rows + o;
    for (let j = 0; j < 8; j++) {
      s += load<f32>(pa + (<usize>j << 2)) * load<f32>(pw);
      pw += ldw;
    }
    store<f32>(y + o, s);
  }
}

/** y = x·W (dense), rows of W 8 at a time. */
function gv_dense(y: usize, x: usize, W: usize, K: i32, N: i32): void {
  const ldw = <usize>N << 2;
  memory.fill(y, 0, ldw);
  const K8 = K & ~7;
  let k = 0;
  for (; k < K8; k += 8) gv_rows8(y, x + (<usize>k << 2), W + <usize>k * ldw, ldw, N);
  for (; k < K; k++) gv_row1(y, x + (<usize>k << 2), W + <usize>k * ldw, N);
}

export function gemv_forward(y: usize, x: usize, W: usize, b: usize, K: i32, N: i32, act: i32, alpha: f32): void {
  // y [N] (written), x [K], W [K,N], b [N]: y = act(x·W + b). Bit-identical to dense_forward with M = 1.
  // act = −1 (gemm.ts's EPI_NONE, used for its leftover rows): y = x·W, b unread.
  gv_dense(y, x, W, K, N);
  if (act >= 0) gv_epilogue(y, b, N, act, alpha);
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
