// gemv_forward and gemv_forward_sparse_x (assembly/gemv.ts), the batch-1 dense layer: SIMD ≡ scalar twin bit for
// bit over sizes at, below, between and above its tiles (4 columns per vector, 8 rows of W per pass), ≡ dense_forward
// at M = 1 and ≡ the same row inside a batched dense_forward (rows in 4-row register tiles and leftover rows), close
// to a float64 reference; the zero-skipping variant gives the same bits on inputs with any share of exact zeros (±0).
import { describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert.js";
import { loadKernels, randomArray } from "../helpers/wasm.js";

const ACTS = [0, 1, 2, 3, 4] as const; // identity, relu, leaky_relu, tanh, sigmoid
const ALPHA = 0.2;

function act64(z: number, act: number): number {
  if (act === 1) return z < 0 ? 0 : z;
  if (act === 2) return z > 0 ? z : ALPHA * z;
  if (act === 3) return Math.tanh(z);
  if (act === 4) return 1 / (1 + Math.exp(-z));
  return z;
}

/** y = act(x·W + b) in float64 from the f32 inputs, and Σ|x_k·W_kn| per output (the rounding scale). */
function reference(x: Float32Array, W: Float32Array, b: Float32Array, K: number, N: number, act: number) {
  const y = new Float64Array(N), mag = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let s = 0, m = 0;
    for (let k = 0; k < K; k++) {
      s += x[k] * W[k * N + n];
      m += Math.abs(x[k] * W[k * N + n]);
    }
    y[n] = act64(s + b[n], act);
    mag[n] = m + Math.abs(b[n]);
  }
  return { y, mag };
}

describe("gemv_forward", () => {
  const k = loadKernels();

  function run(name: string, x: Float32Array, W: Float32Array, b: Float32Array, K: number, N: number, act: number): Float32Array {
    k.reset();
    const px = k.put(x), pw = k.put(W), pb = k.put(b), py = k.alloc(N);
    k.f32(py, N).fill(Number.NaN); // the kernel must write every output
    k.x[name](py, px, pw, pb, K, N, act, ALPHA);
    return k.get(py, N);
  }

  it("≡ its scalar twin and ≡ dense_forward at M = 1, bit for bit, for K, N = 1..37 and every activation", () => {
    let cases = 0;
    for (let K = 1; K <= 37; K++) {
      for (let N = 1; N <= 37; N++) {
        const act = ACTS[(K + N) % 5];
        const x = randomArray(K, K * 101 + N, -2, 2), W = randomArray(K * N, K * 7 + N * 13), b = randomArray(N, N + 3);
        const simd = run("gemv_forward", x, W, b, K, N, act);
        expectBitIdentical(simd, run("gemv_forward_scalar", x, W, b, K, N, act), `K=${K} N=${N} act=${act}: scalar twin`);
        // zeros (and negative zeros) at every third input: the sparse variant and its twin skip them, same bits
        const xz = x.map((v, i) => (i % 3 === 0 ? 0 : i % 3 === 1 && i % 2 ? -0 : v));
        const dz = run("gemv_forward", xz, W, b, K, N, act);
        expectBitIdentical(run("gemv_forward_sparse_x", xz, W, b, K, N, act), dz, `K=${K} N=${N} act=${act}: sparse ≡ dense`);
        expectBitIdentical(run("gemv_forward_sparse_x_scalar", xz, W, b, K, N, act), dz, `K=${K} N=${N} act=${act}: sparse twin`);
        expectBitIdentical(run("gemv_forward_sparse_x", x, W, b, K, N, act), simd, `K=${K} N=${N} act=${act}: sparse, no zeros`);
        k.reset();
        const px = k.put(x), pw = k.put(W), pb = k.put(b), py = k.alloc(N);
        k.x.dense_forward(py, px, pw, pb, 1, K, N, act, ALPHA);
        expectBitIdentical(simd, k.get(py, N), `K=${K} N=${N} act=${act}: dense_forward M=1`);
        cases++;
      }
    }
    expect(cases).toBe(37 * 37);
  });

  it("every activation at the reference model's shapes (784→400, 400→40, 20→400, 400→784): ≡ twin, ≈ float64", () => {
    for (const [K, N] of [[784, 400], [400, 40], [20, 400], [400, 784]]) {
      const x = randomArray(K, K, 0, 1), W = randomArray(K * N, K + N, -0.05, 0.05), b = randomArray(N, N, -0.1, 0.1);
      for (const act of ACTS) {
        const simd = run("gemv_forward", x, W, b, K, N, act);
        expectBitIdentical(simd, run("gemv_forward_scalar", x, W, b, K, N, act), `${K}×${N} act=${act}: scalar twin`);
        const { y, mag } = reference(x, W, b, K, N, act);
        let worst = 0;
        for (let n = 0; n < N; n++) {
          // K roundings of partial sums bounded by Σ|terms|, plus a few ulp for the activation
          const tol = (K + 2) * 2 ** -24 * mag[n] + 8 * 2 ** -24 * Math.abs(y[n]) + 1e-30;
          worst = Math.max(worst, Math.abs(simd[n] - y[n]) / tol);
        }
        expect(worst, `${K}×${N} act=${act}: error over tolerance`).toBeLessThanOrEqual(1);
      }
    }
  });

  it("gemv_forward_sparse_x ≡ gemv_forward ≡ twins at 784→400 and 400→784 for zero shares 0 … 1 (MNIST is ~0.81)", () => {
    for (const [K, N] of [[784, 400], [400, 784]]) {
      const W = randomArray(K * N, K, -0.05, 0.05), b = randomArray(N, N, -0.1, 0.1);
      for (const zeros of [0, 0.3, 0.5, 0.81, 0.97, 1]) {
        const u = randomArray(K, K + Math.round(zeros * 100));
        const x = randomArray(K, 5, 0, 1).map((v, i) => (u[i] < 2 * zeros - 1 ? 0 : v));
        const dense = run("gemv_forward", x, W, b, K, N, 1);
        expectBitIdentical(run("gemv_forward_sparse_x", x, W, b, K, N, 1), dense, `${K}×${N} zeros ${zeros}: sparse`);
        expectBitIdentical(run("gemv_forward_sparse_x_scalar", x, W, b, K, N, 1), dense, `${K}×${N} zeros ${zeros}: sparse twin`);
        expectBitIdentical(run("gemv_forward_scalar", x, W, b, K, N, 1), dense, `${K}×${N} zeros ${zeros}: twin`);
      }
    }
  });

  it("act = −1 (gemm.ts's raw product for leftover rows) writes x·W and ignores b", () => {
    const K = 19, N = 23;
    const x = randomArray(K, 1), W = randomArray(K * N, 2);
    const withBias = run("gemv_forward", x, W, randomArray(N, 3, 5, 9), K, N, -1);
    const scalar = run("gemv_forward_scalar", x, W, new Float32Array(N), K, N, 0); // + 0 bias is exact
    expectBitIdentical(withBias, scalar, "raw product");
    k.reset();
    const pa = k.put(x), pb = k.put(W), pc = k.alloc(N);
    k.x.gemm_nn_4x8_f32x4(pc, pa, pb, 1, K, N);
    expectBitIdentical(withBias, k.get(pc, N), "gemm_nn M=1");
  });

  it("each row of a batched dense_forward (4-row tiles and leftover rows) ≡ gemv_forward on that row alone", () => {
    for (const [M, K, N] of [[7, 784, 400], [9, 37, 29], [4, 8, 8], [5, 131, 17], [13, 400, 784]]) {
      for (const act of ACTS) {
        const X = randomArray(M * K, M + K + act, 0, 1), W = randomArray(K * N, K * N + act, -0.1, 0.1);
        const b = randomArray(N, N + act, -0.1, 0.1);
        k.reset();
        const pX = k.put(X), pW = k.put(W), pb = k.put(b), pY = k.alloc(M * N), py = k.alloc(N);
        k.x.dense_forward(pY, pX, pW, pb, M, K, N, act, ALPHA);
        const Y = k.get(pY, M * N);
        for (let m = 0; m < M; m++) {
          k.x.gemv_forward(py, pX + m * K * 4, pW, pb, K, N, act, ALPHA);
          expectBitIdentical(k.get(py, N), Y.subarray(m * N, (m + 1) * N), `M=${M} K=${K} N=${N} act=${act} row ${m}`);
        }
      }
    }
  });

  it("writes nothing outside y (neighbours of y keep their bits)", () => {
    const K = 13, N = 11;
    k.reset();
    const px = k.put(randomArray(K, 1)), pw = k.put(randomArray(K * N, 2)), pb = k.put(randomArray(N, 3));
    const guard = k.alloc(N + 8);
    k.f32(guard, N + 8).fill(7);
    k.x.gemv_forward(guard + 16, px, pw, pb, K, N, 1, 0);
    const g = k.get(guard, N + 8);
    expect(Array.from(g.subarray(0, 4))).toEqual([7, 7, 7, 7]);
    expect(Array.from(g.subarray(4 + N))).toEqual([7, 7, 7, 7]);
  });
});
