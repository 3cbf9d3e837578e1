// The range-split kernels threads run (assembly/dense.ts, "Range-split kernels"): run piece by piece over a
// partition of the outputs, they must give the whole-tensor kernels' results bit for bit — the whole kernels are
// the ones checked against float64 and TF.js autograd in test/kernels — and their scalar twins must agree with
// them bit for bit. Partitions: the full range, single columns/rows, the thread splits' aligned ranges, and random
// cuts; sizes at, below, between and above the SIMD width and the 4×8 tiles.
import { describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray } from "../helpers/wasm";

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 33];
const ALPHA = 0.1;

/** Cut points [0, …, n] of a few kinds of partition of [0, n). */
function partitions(n: number, seed: number): number[][] {
  const out = [[0, n]];
  if (n > 1) out.push(Array.from({ length: n + 1 }, (_, i) => i)); // one per column/row
  for (const parts of [2, 3]) {
    const b = [0];
    for (let i = 1; i < parts; i++) b.push(Math.min(n, 8 * Math.floor((i * Math.ceil(n / 8)) / parts)));
    b.push(n);
    out.push([...new Set(b)]);
  }
  let s = seed >>> 0;
  const cuts = new Set([0, n]);
  for (let i = 0; i < 3; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    cuts.add(s % (n + 1));
  }
  out.push([...cuts].sort((a, b) => a - b));
  return out;
}

/** X [M,K] in [-1, 1) with about `zeros` of its entries exact zeros (both signs). */
function makeX(M: number, K: number, zeros: number, seed: number): Float32Array {
  const X = randomArray(M * K, seed);
  const r = randomArray(M * K, seed + 1, 0, 1);
  for (let i = 0; i < X.length; i++) if (r[i] < zeros) X[i] = i % 2 ? 0 : -0;
  return X;
}

describe("range-split dense kernels", () => {
  it("dense_backward_cols over any column partition, then dense_backward_input over any row partition ≡ dense_backward (dZ, db, dW, dX), SIMD and scalar", () => {
    const k = loadKernels();
    let cases = 0;
    for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES.length; j++) for (let l = 0; l < SIZES.length; l++) {
      if ((i + 2 * j + 3 * l) % 5 !== 0) continue;
      const M = SIZES[i], K = SIZES[j], N = SIZES[l], act = (i + j + l) % 5, seed = 17 + 100 * i + 10 * j + l;
      const X = randomArray(M * K, seed), W = randomArray(K * N, seed + 1), Y = randomArray(M * N, seed + 2, -1, 1);
      const G = randomArray(M * N, seed + 3), dW0 = randomArray(K * N, seed + 4), db0 = randomArray(N, seed + 5);
      if (act === 4) for (let t = 0; t < Y.length; t++) Y[t] = 0.5 + 0.5 * Y[t]; // sigmoid outputs in (0, 1)
      k.reset();
      const pX = k.put(X), pW = k.put(W), pY = k.put(Y);
      const want = { dY: k.put(G), dW: k.put(dW0), db: k.put(db0), dX: k.alloc(M * K) };
      k.x.dense_backward(want.dX, want.dW, want.db, want.dY, pX, pW, pY, M, K, N, act, ALPHA);
      for (const cols of partitions(N, seed)) for (const rows of partitions(M, seed + 9).slice(0, 3)) for (const s of ["", "_scalar"]) {
        const dY = k.put(G), dW = k.put(dW0), db = k.put(db0), dX = k.put(new Float32Array(M * K).fill(NaN));
        for (let c = 0; c + 1 < cols.length; c++) {
          k.x[`dense_backward_cols${s}`](dW, db, dY, pX, pY, 0, M, K, N, cols[c], cols[c + 1], act, ALPHA, 0);
        }
        for (let r = 0; r + 1 < rows.length; r++) {
          const r0 = rows[r], r1 = rows[r + 1];
          k.x[`dense_backward_input${s}`](dX + r0 * K * 4, dY + r0 * N * 4, pW, r1 - r0, K, N);
        }
        const at = `M=${M} K=${K} N=${N} act ${act} cols ${cols} rows ${rows}${s}`;
        expectBitIdentical(k.get(dY, M * N), k.get(want.dY, M * N), `${at} dZ`);
        expectBitIdentical(k.get(db, N), k.get(want.db, N), `${at} db`);
        expectBitIdentical(k.get(dW, K * N), k.get(want.dW, K * N), `${at} dW`);
        expectBitIdentical(k.get(dX, M * K), k.get(want.dX, M * K), `${at} dX`);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(500);
  });

  it("sparse first layer: dense_sparse_x_path names the path the whole kernels take; dense_forward_sparse_x_path by rows and dense_backward_cols by columns (own scratch each) ≡ dense_forward_sparse_x / dense_backward_sparse_x, SIMD and scalar", () => {
    const k = loadKernels();
    const paths = new Set<string>();
    for (const [M, K, N] of [[1, 9, 13], [5, 17, 33], [9, 33, 17], [13, 16, 9], [4, 7, 8]]) for (const zeros of [0, 0.5, 0.8, 1]) {
      const act = (M + K + N) % 5, seed = M * 1000 + K * 10 + N;
      const X = makeX(M, K, zeros, seed), W = randomArray(K * N, seed + 2), b = randomArray(N, seed + 3);
      const G = randomArray(M * N, seed + 4), dW0 = randomArray(K * N, seed + 5), db0 = randomArray(N, seed + 6);
      k.reset();
      const pX = k.put(X), pW = k.put(W), pb = k.put(b);
      const S = k.alloc(2 * M * K + 5 * M + 1);
      const want = { Y: k.alloc(M * N), dY: k.put(G), dW: k.put(dW0), db: k.put(db0) };
      const fwd = k.x.dense_forward_sparse_x(want.Y, pX, pW, pb, S, M, K, N, act, ALPHA);
      const bwd = k.x.dense_backward_sparse_x(want.dW, want.db, want.dY, pX, want.Y, S, M, K, N, act, ALPHA);
      expect(k.x.dense_sparse_x_path(pX, M, K, 0)).toBe(fwd);
      expect(k.x.dense_sparse_x_path(pX, M, K, 1)).toBe(bwd);
      paths.add(`${fwd}${bwd}`);
      for (const rows of partitions(M, seed)) for (const cols of partitions(N, seed + 1)) for (const s of ["", "_scalar"]) {
        const Y = k.alloc(M * N), dY = k.put(G), dW = k.put(dW0), db = k.put(db0);
        const parts = Math.max(rows.length, cols.length) - 1;
        const scratch = Array.from({ length: parts }, () => k.alloc(2 * M * K + 5 * M + 1));
        for (let r = 0; r + 1 < rows.length; r++) {
          const r0 = rows[r], r1 = rows[r + 1];
          k.x[`dense_forward_sparse_x_path${s}`](Y + r0 * N * 4, pX + r0 * K * 4, pW, pb, scratch[r], r1 - r0, K, N, act, ALPHA, fwd);
        }
        for (let c = 0; c + 1 < cols.length; c++) {
          k.x[`dense_backward_cols${s}`](dW, db, dY, pX, Y, scratch[c], M, K, N, cols[c], cols[c + 1], act, ALPHA, bwd);
        }
        const at = `M=${M} K=${K} N=${N} zeros ${zeros} rows ${rows} cols ${cols}${s}`;
        expectBitIdentical(k.get(Y, M * N), k.get(want.Y, M * N), `${at} Y`);
        expectBitIdentical(k.get(dY, M * N), k.get(want.dY, M * N), `${at} dZ`);
        expectBitIdentical(k.get(db, N), k.get(want.db, N), `${at} db`);
        expectBitIdentical(k.get(dW, K * N), k.get(want.dW, K * N), `${at} dW`);
      }
    }
    expect(paths).toEqual(new Set(["00", "01", "11"])); // dense, dense forward + sparse backward, both sparse
  });

  it("sparse first layer, backward split the other way: dense_backward_dz_cols by columns, then dense_backward_rows_sparse_x by blocks of 4 rows of dW (own scratch each) ≡ dense_backward_sparse_x's sparse path, SIMD and scalar", () => {
    const k = loadKernels();
    let sparseCases = 0;
    for (const [M, K, N] of [[1, 9, 13], [5, 17, 33], [9, 33, 17], [13, 16, 9], [4, 7, 8], [37, 64, 21]]) for (const zeros of [0.5, 0.8, 1]) {
      const act = (M + K + N) % 5, seed = M * 1000 + K * 10 + N;
      const X = makeX(M, K, zeros, seed), Y0 = randomArray(M * N, seed + 3, -1, 1);
      const G = randomArray(M * N, seed + 4), dW0 = randomArray(K * N, seed + 5), db0 = randomArray(N, seed + 6);
      k.reset();
      const pX = k.put(X), pY = k.put(Y0);
      const want = { dY: k.put(G), dW: k.put(dW0), db: k.put(db0) };
      if (k.x.dense_sparse_x_path(pX, M, K, 1) !== 1) continue; // the dense path keeps the column split
      expect(k.x.dense_backward_sparse_x(want.dW, want.db, want.dY, pX, pY, k.alloc(5 * M), M, K, N, act, ALPHA)).toBe(1);
      sparseCases++;
      // row blocks of dW start on multiples of 4 (the blocks of X's columns the sparse path lists together)
      const every4 = Array.from({ length: Math.ceil(K / 4) }, (_, i) => 4 * i).concat(K);
      const rowCuts = [[0, K], every4, [...new Set([0, 4 * Math.floor(K / 8), K])]];
      for (const kr of rowCuts) for (const cols of partitions(N, seed + 1)) for (const s of ["", "_scalar"]) {
        const dY = k.put(G), dW = k.put(dW0), db = k.put(db0);
        for (let c = 0; c + 1 < cols.length; c++) k.x[`dense_backward_dz_cols${s}`](db, dY, pY, M, N, cols[c], cols[c + 1], act, ALPHA);
        for (let r = 0; r + 1 < kr.length; r++) {
          k.x[`dense_backward_rows_sparse_x${s}`](dW, dY, pX, k.alloc(5 * M), M, K, N, kr[r], kr[r + 1]);
        }
        const at = `M=${M} K=${K} N=${N} zeros ${zeros} rows of dW ${kr} cols ${cols}${s}`;
        expectBitIdentical(k.get(dY, M * N), k.get(want.dY, M * N), `${at} dZ`);
        expectBitIdentical(k.get(db, N), k.get(want.db, N), `${at} db`);
        expectBitIdentical(k.get(dW, K * N), k.get(want.dW, K * N), `${at} dW`);
      }
    }
    expect(sparseCases).toBeGreaterThanOrEqual(12);
  });

  it("dense_backward_cols writes only its columns of dY, db and dW", () => {
    const k = loadKernels();
    const M = 6, K = 9, N = 21, n0 = 5, n1 = 14;
    for (const sparse of [0, 1]) {
      k.reset();
      const pX = k.put(makeX(M, K, 0.5, 3)), pY = k.put(randomArray(M * N, 4));
      const dY = k.put(randomArray(M * N, 5)), dW = k.put(randomArray(K * N, 6)), db = k.put(randomArray(N, 7));
      const S = k.alloc(5 * M);
      const before = { dY: k.get(dY, M * N), dW: k.get(dW, K * N), db: k.get(db, N) };
      k.x.dense_backward_cols(dW, db, dY, pX, pY, S, M, K, N, n0, n1, 1, ALPHA, sparse);
      const after = { dY: k.get(dY, M * N), dW: k.get(dW, K * N), db: k.get(db, N) };
      let outside = 0, inside = 0;
      for (const [key, rows] of [["dY", M], ["dW", K], ["db", 1]] as const) {
        for (let r = 0; r < rows; r++) for (let c = 0; c < N; c++) {
          const changed = !Object.is(before[key][r * N + c], after[key][r * N + c]);
          if (c < n0 || c >= n1) outside += changed ? 1 : 0;
          else inside += changed ? 1 : 0;
        }
      }
      expect(outside).toBe(0);
      expect(inside).toBeGreaterThan(0);
    }
  });
});
