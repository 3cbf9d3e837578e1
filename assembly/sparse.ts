// sparse.ts — the two GEMMs of a dense layer that read its input X, skipping exact zeros of X (±0): the forward
// product X·W and the weight gradient dW += Xᵀ·dZ. For the first layer of a model on data with many zero
// inputs (MNIST pixels are ~81 % zeros). Used by dense.ts's dense_forward_sparse_x / dense_backward_sparse_x;
// this file is not re-exported by index.ts, so its `export`s are not wasm exports.
//
// Exactness. The dense kernels (gemm.ts) sum each output as s = (((0 + t0) + t1) + …) in k (resp. m) order,
// from +0, with no FMA. Under round-to-nearest such a running sum is never −0 (+0 + (±0) = +0, and an exact
// cancellation x + (−x) gives +0), and s + (±0) = s for every other s. A term x·w with x = ±0 and w finite is
// ±0, so leaving it out changes nothing: the results here are bit-identical to the dense kernels', zero signs
// included, whenever the other operand (W resp. dZ) is finite (the SDK guarantees finite weights; a dZ with
// an inf or NaN next to a zero x is where they could differ: 0·inf = NaN is then skipped). The SIMD kernels
// and their scalar twins here skip exactly the same terms, so they agree bit for bit for every input.
//
// Forward, sx_nn (row-wise sparse × dense): each row of X is first compressed into a list of its nonzero
// entries (W row byte offset k·4N, x) — the CSR of X, in the caller's scratch — then for each panel of 4
// vectors (16 columns) of W, every row walks its list with 4 f32x4 accumulators: one splat and 4 loads of W per
// nonzero. Then single vectors and scalar columns; bias + activation are applied right after each (row, panel)
// is stored (out of line, still in L1). Per multiply this is about 2× slower than the dense register tile (one
// load of W per mul+add, from L1/L2), so it pays below a density of about 0.45 (see dense.ts).
// Backward, sx_tn: for each block of 4 columns k..k+3 of X, the rows m with any nonzero in X[m, k..k+3] are
// listed with their 4 values (20-byte entries: dZ row byte offset, x0..x3; one v128 load + any_true per row);
// then 4×8 register tiles of dW[k..k+3, n..n+7] walk that list (4 splats + 2 loads of dZ per entry). Rows with
// X[m, k..k+3] all zero are skipped; zeros inside a listed block are multiplied like any value (exact, see above).
//
// Scratch: sx_nn needs (2·M·K + M + 1) words, sx_tn 5·M words. Nothing is read or written outside the given
// tensors and the scratch.

import "./madd"; // for its @global vk_madd (exact: mul then add; fast build: relaxed FMA)

/** C row block: c[0..4·vecs) = act(c + bias) (the epilogue of one (row, panel), out of line). */
function sx_epi(c: usize, bias: usize, vecs: i32, act: i32, alpha: f32): void {
  const al = f32x4.splat(alpha);
  let p = c, pb = bias;
  for (let j = 0; j < vecs; j++) {
    v128.store(p, vk_act_vec(f32x4.add(v128.load(p), v128.load(pb)), act, al));
    p += 16; pb += 16;
  }
}

/** Whether X[0..n) has at most `limit` nonzeros (±0 count as zero, NaN as nonzero). Counts with SIMD in
 *  blocks of 4096 floats and stops once the limit is passed, so on dense data it reads only the first
 *  (limit/n) of X. */
export function sx_at_most_nonzero(X: usize, n: i32, limit: f64): bool {
  const zero = f32x4.splat(0);
  const end16 = X + (<usize>(n & ~15) << 2), end = X + (<usize>n << 2);
  let c: f64 = 0;
  let p = X;
  while (p < end16) {
    const stop = min(end16, p + 16384);
    let acc = i32x4.splat(0);
    do {
      // f32x4.ne gives -1 per nonzero lane; subtracting accumulates the count
      acc = i32x4.sub(acc, f32x4.ne(v128.load(p), zero));
      acc = i32x4.sub(acc, f32x4.ne(v128.load(p, 16), zero));
      acc = i32x4.sub(acc, f32x4.ne(v128.load(p, 32), zero));
      acc = i32x4.sub(acc, f32x4.ne(v128.load(p, 48), zero));
      p += 64;
    } while (p < stop);
    c += <f64>(i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
    if (c > limit) return false;
  }
  while (p < end) {
    c += <f64>i32(load<f32>(p) != 0);
    p += 4;
  }
  return c <= limit;
}

// ---------------------------------------------------------------------------------------------------
// Forward: C[M,N] = A[M,K]·B[K,N] (then act(C + bias)), A sparse.

/** Builds the CSR of A into S: S[0..M] row starts (byte offsets of entries from S), then 8-byte entries
 *  (u32 byte offset k·ldb of B's row k, f32 a[m,k]) for each a[m,k] != 0 in k order. */
@inline
function sx_build_rows(S: usize, A: usize, M: i32, K: i32, ldb: usize): void {
  const zero = f32x4.splat(0);
  const K4 = K & ~3;
  let pe = S + (<usize>(M + 1) << 2);
  let pa = A;
  for (let m = 0; m < M; m++) {
    store<u32>(S + (<usize>m << 2), <u32>(pe - S));
    let koff: usize = 0;
    const e4 = pa + (<usize>K4 << 2), e = pa + (<usize>K << 2);
    // four at a time: an all-zero group (most of them on MNIST) costs one load and one test
    while (pa < e4) {
      if (v128.any_true(f32x4.ne(v128.load(pa), zero))) {
        for (let j = 0; j < 4; j++) {
          const x = load<f32>(pa);
          store<u32>(pe, <u32>koff); store<f32>(pe, x, 4);
          pe += select<usize>(8, 0, x != 0);
          pa += 4; koff += ldb;
        }
      } else {
        pa += 16; koff += ldb << 2;
      }
    }
    while (pa < e) {
      const x = load<f32>(pa);
      store<u32>(pe, <u32>koff); store<f32>(pe, x, 4);
      pe += select<usize>(8, 0, x != 0);
      pa += 4; koff += ldb;
    }
  }
  store<u32>(S + (<usize>M << 2), <u32>(pe - S));
}

@inline
function sx_row_4v(c: usize, b: usize, pe: usize, pend: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (pe < pend) do {
    const pb = b + <usize>load<u32>(pe);
    const a = v128.load32_splat(pe, 4);
    c0 = vk_madd(a, v128.load(pb), c0);
    c1 = vk_madd(a, v128.load(pb, 16), c1);
    c2 = vk_madd(a, v128.load(pb, 32), c2);
    c3 = vk_madd(a, v128.load(pb, 48), c3);
    pe += 8;
  } while (pe < pend);
  v128.store(c, c0); v128.store(c, c1, 16); v128.store(c, c2, 32); v128.store(c, c3, 48);
}

@inline
function sx_row_1v(c: usize, b: usize, pe: usize, pend: usize): void {
  let c0 = f32x4.splat(0);
  if (pe < pend) do {
    c0 = vk_madd(v128.load32_splat(pe, 4), v128.load(b + <usize>load<u32>(pe)), c0);
    pe += 8;
  } while (pe < pend);
  v128.store(c, c0);
}

/** C[M,N] = act(A·B + bias) (epi = activation code; bias always added), A[M,K] with many zeros; S = scratch. */
export function sx_nn(C: usize, A: usize, B: usize, bias: usize, S: usize, M: i32, K: i32, N: i32,
                      act: i32, alpha: f32): void {
  const ldb = <usize>N << 2, ldc = ldb;
  sx_build_rows(S, A, M, K, ldb);
  const N16 = N & ~15, N4 = N & ~3;
  // Panel of B (columns n..n+15) › rows of A: every row's list walks the panel (K·64 bytes: 50 KB at
  // K = 784, mostly in L1). Panels of 16 columns measured 1.2× faster than 32 and 1.2× faster than 8 on MNIST.
  let n = 0;
  for (; n < N16; n += 16) {
    const o = <usize>n << 2;
    for (let m = 0; m < M; m++) {
      const pm = S + (<usize>m << 2), c = C + <usize>m * ldc + o;
      sx_row_4v(c, B + o, S + <usize>load<u32>(pm), S + <usize>load<u32>(pm, 4));
      sx_epi(c, bias + o, 4, act, alpha);
    }
  }
  if (n < N4) {
    const o = <usize>n << 2, vecs = (N4 - n) >> 2;
    for (let m = 0; m < M; m++) {
      const pm = S + (<usize>m << 2), c = C + <usize>m * ldc + o;
      const pe = S + <usize>load<u32>(pm), pend = S + <usize>load<u32>(pm, 4);
      for (let j = 0; j < vecs; j++) sx_row_1v(c + (<usize>j << 4), B + o + (<usize>j << 4), pe, pend);
      sx_epi(c, bias + o, vecs, act, alpha);
    }
    n = N4;
  }
  for (; n < N; n++) {
    const o = <usize>n << 2;
    const bo = load<f32>(bias + o);
    for (let m = 0; m < M; m++) {
      const pm = S + (<usize>m << 2);
      let pe = S + <usize>load<u32>(pm);
      const pend = S + <usize>load<u32>(pm, 4);
      let s: f32 = 0;
      while (pe < pend) {
        s += load<f32>(pe, 4) * load<f32>(B + o + <usize>load<u32>(pe));
        pe += 8;
      }
      store<f32>(C + <usize>m * ldc + o, vk_act_f32(s + bo, act, alpha));
    }
  }
}

/** Scalar twin of sx_nn (no scratch): the same terms (a != 0) in the same k order, then + bias, then act. */
export function sx_nn_scalar(C: usize, A: usize, B: usize, bias: usize, M: i32, K: i32, N: i32,
                             act: i32, alpha: f32): void {
  const lda = <usize>K << 2, ldb = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const arow = A + <usize>m * lda, crow = C + <usize>m * ldb;
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      let pa = arow, pb = B + (<usize>n << 2);
      for (let k = 0; k < K; k++) {
        const a = load<f32>(pa);
        if (a != 0) s += a * load<f32>(pb);
        pa += 4; pb += ldb;
      }
      store<f32>(crow + (<usize>n << 2), vk_act_f32(s + load<f32>(bias + (<usize>n << 2)), act, alpha));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Backward: C[K,N] += A[M,K]ᵀ·B[M,N], A sparse.

/** Lists into S the rows m with any nonzero in A[m, k..k+w) (w = cols ≤ 4): 20-byte entries (u32 byte offset
 *  m·ldb of B's row m, then A[m, k..k+3], zero-padded past w). Returns the end of the list. */
@inline
function sx_build_block(S: usize, a: usize, lda: usize, ldb: usize, M: i32, w: i32): usize {
  const zero = f32x4.splat(0);
  let pe = S, pa = a;
  let boff: usize = 0;
  if (w == 4) {
    for (let m = 0; m < M; m++) {
      const v = v128.load(pa);
      store<u32>(pe, <u32>boff); v128.store(pe, v, 4);
      pe += select<usize>(20, 0, v128.any_true(f32x4.ne(v, zero)));
      pa += lda; boff += ldb;
    }
  } else {
    for (let m = 0; m < M; m++) {
      // the last block of columns: only w < 4 values exist in the row (never read past the tensor)
      const x0 = load<f32>(pa);
      const x1 = w > 1 ? load<f32>(pa, 4) : <f32>0;
      const x2 = w > 2 ? load<f32>(pa, 8) : <f32>0;
      store<u32>(pe, <u32>boff);
      store<f32>(pe, x0, 4); store<f32>(pe, x1, 8); store<f32>(pe, x2, 12); store<f32>(pe, 0, 16);
      pe += select<usize>(20, 0, x0 != 0 || x1 != 0 || x2 != 0);
      pa += lda; boff += ldb;
    }
  }
  return pe;
}

@inline
function sx_tn_4x8(c: usize, b: usize, ldc: usize, rows: i32, pe: usize, pend: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (pe < pend) do {
    const pb = b + <usize>load<u32>(pe);
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pe, 4);
    c00 = vk_madd(a0, b0, c00); c01 = vk_madd(a0, b1, c01);
    const a1 = v128.load32_splat(pe, 8);
    c10 = vk_madd(a1, b0, c10); c11 = vk_madd(a1, b1, c11);
    const a2 = v128.load32_splat(pe, 12);
    c20 = vk_madd(a2, b0, c20); c21 = vk_madd(a2, b1, c21);
    const a3 = v128.load32_splat(pe, 16);
    c30 = vk_madd(a3, b0, c30); c31 = vk_madd(a3, b1, c31);
    pe += 20;
  } while (pe < pend);
  // Every row of the tile is accumulated (C + 0 included: the dense kernel does that too, so −0 in C
  // becomes +0 in both).
  v128.store(c, f32x4.add(v128.load(c), c00)); v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
  if (rows > 1) {
    const r1 = c + ldc;
    v128.store(r1, f32x4.add(v128.load(r1), c10)); v128.store(r1, f32x4.add(v128.load(r1, 16), c11), 16);
  }
  if (rows > 2) {
    const r2 = c + (ldc << 1);
    v128.store(r2, f32x4.add(v128.load(r2), c20)); v128.store(r2, f32x4.add(v128.load(r2, 16), c21), 16);
  }
  if (rows > 3) {
    const r3 = c + ldc * 3;
    v128.store(r3, f32x4.add(v128.load(r3), c30)); v128.store(r3, f32x4.add(v128.load(r3, 16), c31), 16);
  }
}

@inline
function sx_tn_4x4(c: usize, b: usize, ldc: usize, rows: i32, pe: usize, pend: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  if (pe < pend) do {
    const b0 = v128.load(b + <usize>load<u32>(pe));
    c0 = vk_madd(v128.load32_splat(pe, 4), b0, c0);
    c1 = vk_madd(v128.load32_splat(pe, 8), b0, c1);
    c2 = vk_madd(v128.load32_splat(pe, 12), b0, c2);
    c3 = vk_madd(v128.load32_splat(pe, 16), b0, c3);
    pe += 20;
  } while (pe < pend);
  v128.store(c, f32x4.add(v128.load(c), c0));
  if (rows > 1) v128.store(c + ldc, f32x4.add(v128.load(c + ldc), c1));
  if (rows > 2) v128.store(c + (ldc << 1), f32x4.add(v128.load(c + (ldc << 1)), c2));
  if (rows > 3) v128.store(c + ldc * 3, f32x4.add(v128.load(c + ldc * 3), c3));
}

/** C[K,N] += A[M,K]ᵀ·B[M,N], skipping rows m where A[m, k..k+3] is all zero; S = scratch of 5·M words. The rows of
 *  B and C are ld floats apart (ld ≥ N; ld > N runs a column range of a wider product, for threads); k0..k1 (k0 a
 *  multiple of 4) computes only those rows of C (a row range, for threads: each range lists its own blocks). */
export function sx_tn(C: usize, A: usize, B: usize, S: usize, M: i32, K: i32, N: i32, ld: i32, k0: i32 = 0, k1: i32 = K): void {
  // C rows k0..k1 only (k0 a multiple of 4; the blocks of 4 columns of A are those of the whole product)
  const lda = <usize>K << 2, ldb = <usize>ld << 2, ldc = ldb;
  const N8 = N & ~7, N4 = N & ~3;
  // Block of 4 columns of A (listed once) › 8-column strips of B and C (C's 4 rows stay in L1).
  for (let k = k0; k < k1; k += 4) {
    const rows = min(4, k1 - k);
    const pend = sx_build_block(S, A + (<usize>k << 2), lda, ldb, M, rows);
    const ck = C + <usize>k * ldc;
    let n = 0;
    for (; n < N8; n += 8) sx_tn_4x8(ck + (<usize>n << 2), B + (<usize>n << 2), ldc, rows, S, pend);
    if (n < N4) { sx_tn_4x4(ck + (<usize>n << 2), B + (<usize>n << 2), ldc, rows, S, pend); n += 4; }
    for (; n < N; n++) {
      const o = <usize>n << 2;
      for (let r = 0; r < rows; r++) {
        let s: f32 = 0;
        for (let pe = S; pe < pend; pe += 20) {
          s += load<f32>(pe + 4 + (<usize>r << 2)) * load<f32>(B + o + <usize>load<u32>(pe));
        }
        const pc = ck + <usize>r * ldc + o;
        store<f32>(pc, load<f32>(pc) + s);
      }
    }
  }
}

/** Scalar twin of sx_tn: the same listed rows (any nonzero in the row's block of 4 columns), in m order. */
export function sx_tn_scalar(C: usize, A: usize, B: usize, M: i32, K: i32, N: i32, ld: i32, k0: i32 = 0, k1: i32 = K): void {
  const lda = <usize>K << 2, ldb = <usize>ld << 2;
  for (let k = k0; k < k1; k++) {
    const k0 = k & ~3, k1 = min(k0 + 4, K);
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      for (let m = 0; m < M; m++) {
        const arow = A + <usize>m * lda;
        let any = false;
        for (let j = k0; j < k1; j++) any = any || load<f32>(arow + (<usize>j << 2)) != 0;
        if (any) s += load<f32>(arow + (<usize>k << 2)) * load<f32>(B + <usize>m * ldb + (<usize>n << 2));
      }
      const pc = C + <usize>k * ldb + (<usize>n << 2);
      store<f32>(pc, load<f32>(pc) + s);
    }
  }
}
