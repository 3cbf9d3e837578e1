// The fast build's kernels against the exact build's (run with relaxed SIMD enabled: vitest's "fast" project).
//
// What is proven:
// - FMA is really used, in every vector inner loop of every GEMM (forward 4×8 / 4×4 tiles and row streams, the
//   sparse-input forward and backward, TN and NT): a witness input whose exact answer is 2^-24 comes out 2^-24
//   from the fast build (one rounding) and 0 from the exact build (the product rounds first); the scalar
//   column tails, which have no FMA, give 0 in both. A "fast" build that were really the exact one fails here.
// - fast results are within the rigorous error bound of a float64 reference (|ŝ − s| ≤ γ_n Σ|terms|,
//   γ_n = n·u/(1 − n·u), u = 2^-24) over a sweep of sizes at, below, between and above the tiles, and within
//   twice that of the exact build; at 128×784·784×400 the relative difference from the exact build is < 1e-5
//   per GEMM (norm-wise), and nonzero.
// - everything the switch does not touch keeps its bits: db (column sums), activations, losses, optimizer.
// - within the fast build the sparse-input kernels still give the dense kernels' bits (same FMA order).
import { describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert.js";
import { randomArray, type Kernels } from "../helpers/wasm.js";
import { loadBoth } from "./modules.js";

const U = 2 ** -24;
const A = 1 + 2 ** -12; // A·A = 1 + 2^-11 + 2^-24: rounds (to even) to 1 + 2^-11 in f32
const C = -(1 + 2 ** -11); // so (0 + 1·C) + A·A is 2^-24 with one rounding, 0 with two
const gamma = (n: number) => (n * U) / (1 - n * U);

/** Which outputs of a witness must be 2^-24 in the fast build: the vector columns n < N&~3 (scalar tails: 0). */
function expectWitness(fast: Float32Array, exact: Float32Array, rows: number, N: number, label: string, fusedRows = rows): void {
  const N4 = N & ~3;
  for (let r = 0; r < rows; r++) {
    for (let n = 0; n < N; n++) {
      const want = r < fusedRows && n < N4 ? U : 0;
      expect(fast[r * N + n], `${label}: fast [${r}, ${n}]`).toBe(want);
      expect(exact[r * N + n], `${label}: exact [${r}, ${n}]`).toBe(0);
    }
  }
}

describe("the fast build identifies itself; the exact one doesn't", () => {
  it("exports precision_fast() = 1 only in the fast build", () => {
    const { exact, fast } = loadBoth();
    expect(fast.x.precision_fast()).toBe(1);
    expect(exact.x.precision_fast).toBeUndefined();
  });
});

describe("FMA witness: one rounding per multiply-add in every GEMM vector loop", () => {
  it("dense_forward: 4×8 and 4×4 tiles (M ≥ 4) and the row stream (M % 4 rows, K < 8 and K ≥ 8)", () => {
    const { exact, fast } = loadBoth();
    for (const M of [1, 3, 4, 5, 8]) {
      for (const K of [2, 9]) {
        for (const N of [3, 4, 7, 8, 12, 13, 16]) {
          const run = (k: Kernels) => {
            k.reset();
            const X = new Float32Array(M * K), W = new Float32Array(K * N);
            for (let m = 0; m < M; m++) { X[m * K] = 1; X[m * K + 1] = A; }
            for (let n = 0; n < N; n++) { W[n] = C; W[N + n] = A; }
            const Y = k.alloc(M * N);
            k.x.dense_forward(Y, k.put(X), k.put(W), k.alloc(N), M, K, N, 0, 0);
            return k.get(Y, M * N);
          };
          expectWitness(run(fast), run(exact), M, N, `dense_forward M=${M} K=${K} N=${N}`);
        }
      }
    }
  });

  it("dense_forward_sparse_x (sparse path: 4-vector panels, single vectors, scalar tail)", () => {
    const { exact, fast } = loadBoth();
    const K = 9;
    for (const M of [1, 4, 6]) {
      for (const N of [5, 16, 20, 23, 36]) {
        const run = (k: Kernels) => {
          k.reset();
          const X = new Float32Array(M * K), W = new Float32Array(K * N);
          for (let m = 0; m < M; m++) { X[m * K] = 1; X[m * K + 1] = A; } // density 2/9: sparse path
          for (let n = 0; n < N; n++) { W[n] = C; W[N + n] = A; }
          const Y = k.alloc(M * N);
          const path = k.x.dense_forward_sparse_x(Y, k.put(X), k.put(W), k.alloc(N), k.alloc(2 * M * K + M + 1), M, K, N, 0, 0);
          expect(path, "took the sparse path").toBe(1);
          return k.get(Y, M * N);
        };
        expectWitness(run(fast), run(exact), M, N, `dense_forward_sparse_x M=${M} N=${N}`);
      }
    }
  });

  it("dense_backward dW (TN: 4×8, 1×8, 4×4, 1×4 tiles) and dense_backward_sparse_x dW", () => {
    const { exact, fast } = loadBoth();
    const M = 2;
    for (const K of [1, 3, 4, 5, 8]) {
      for (const N of [3, 4, 7, 8, 12, 13]) {
        for (const sparse of [false, true]) {
          const run = (k: Kernels) => {
            k.reset();
            // dW[k, n] = Σ_m X[m, k]·dZ[m, n] = (0 + 1·C) + A·A. Sparse: only column 0 of X is nonzero.
            const X = new Float32Array(M * K), dY = new Float32Array(M * N);
            for (let kk = 0; kk < (sparse ? 1 : K); kk++) { X[kk] = 1; X[K + kk] = A; }
            for (let n = 0; n < N; n++) { dY[n] = C; dY[N + n] = A; }
            const dW = k.alloc(K * N), db = k.alloc(N), pX = k.put(X), pdY = k.put(dY), Y = k.alloc(M * N);
            if (sparse) {
              const path = k.x.dense_backward_sparse_x(dW, db, pdY, pX, Y, k.alloc(5 * M), M, K, N, 0, 0);
              expect(path, `sparse path at K=${K}`).toBe(K >= 3 ? 1 : 0);
            } else {
              k.x.dense_backward(0, dW, db, pdY, pX, k.alloc(K * N), Y, M, K, N, 0, 0);
            }
            return k.get(dW, K * N);
          };
          expectWitness(run(fast), run(exact), K, N, `dW K=${K} N=${N}${sparse ? " sparse" : ""}`, sparse ? 1 : K);
        }
      }
    }
  });

  it("dense_backward dX (NT: 2×4, 1×4 and 1×1 dot-product tiles, lanes combined after the loop)", () => {
    const { exact, fast } = loadBoth();
    for (const M of [1, 2, 3]) {
      for (const K of [1, 4, 5]) {
        for (const N of [8, 9, 11, 12]) {
          const run = (k: Kernels) => {
            k.reset();
            // dX[m, k] = Σ_n dZ[m, n]·W[k, n]; lane 0 sums n = 0, 4: (0 + 1·C) + A·A.
            const dY = new Float32Array(M * N), W = new Float32Array(K * N);
            for (let m = 0; m < M; m++) { dY[m * N] = 1; dY[m * N + 4] = A; }
            for (let kk = 0; kk < K; kk++) { W[kk * N] = C; W[kk * N + 4] = A; }
            // dense_backward's W is [K_in, N_out] = [K, N] here: dX [M, K] = dZ [M, N] · Wᵀ.
            const dX = k.alloc(M * K);
            k.x.dense_backward(dX, k.alloc(K * N), k.alloc(N), k.put(dY), k.alloc(M * K), k.put(W), k.alloc(M * N), M, K, N, 0, 0);
            return k.get(dX, M * K);
          };
          const f = run(fast), e = run(exact);
          for (let i = 0; i < M * K; i++) {
            expect(f[i], `dX M=${M} K=${K} N=${N} [${i}] fast`).toBe(U);
            expect(e[i], `dX M=${M} K=${K} N=${N} [${i}] exact`).toBe(0);
          }
        }
      }
    }
  });
});

interface Case { M: number; K: number; N: number }

/** Runs forward (relu) and backward on both builds with the same inputs; returns everything plus f64 references. */
function runBoth(kernels: { exact: Kernels; fast: Kernels }, { M, K, N }: Case, seed: number) {
  const X = randomArray(M * K, seed, -1, 1), W = randomArray(K * N, seed + 1, -0.1, 0.1);
  const b = randomArray(N, seed + 2, -0.5, 0.5), dY = randomArray(M * N, seed + 3, -1, 1);
  const out: Record<"exact" | "fast", { Y: Float32Array; dW: Float32Array; db: Float32Array; dX: Float32Array }> = {} as never;
  let Yexact: Float32Array | undefined;
  for (const which of ["exact", "fast"] as const) {
    const k = kernels[which];
    k.reset();
    const pX = k.put(X), pW = k.put(W), pb = k.put(b), Y = k.alloc(M * N);
    k.x.dense_forward(Y, pX, pW, pb, M, K, N, 1, 0);
    const Yw = k.get(Y, M * N);
    Yexact ??= Yw;
    // The backward pass of both builds sees the same forward output (the exact one), so relu's mask agrees.
    const pY = k.put(Yexact), pdY = k.put(dY), dW = k.alloc(K * N), db = k.alloc(N), dX = k.alloc(M * K);
    k.x.dense_backward(dX, dW, db, pdY, pX, pW, pY, M, K, N, 1, 0);
    out[which] = { Y: Yw, dW: k.get(dW, K * N), db: k.get(db, N), dX: k.get(dX, M * K) };
  }
  // float64 references and Σ|terms| (the magnitude the error bounds scale with)
  const z = Float64Array.from(dY, (d, i) => (Yexact![i] > 0 ? d : 0));
  const ref = { Y: new Float64Array(M * N), Ymag: new Float64Array(M * N), dW: new Float64Array(K * N), dWmag: new Float64Array(K * N),
    dX: new Float64Array(M * K), dXmag: new Float64Array(M * K) };
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = b[n], a = Math.abs(b[n]);
    for (let k = 0; k < K; k++) { const t = X[m * K + k] * W[k * N + n]; s += t; a += Math.abs(t); }
    ref.Y[m * N + n] = Math.max(0, s); ref.Ymag[m * N + n] = a;
  }
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) {
    let s = 0, a = 0;
    for (let m = 0; m < M; m++) { const t = X[m * K + k] * z[m * N + n]; s += t; a += Math.abs(t); }
    ref.dW[k * N + n] = s; ref.dWmag[k * N + n] = a;
  }
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) {
    let s = 0, a = 0;
    for (let n = 0; n < N; n++) { const t = z[m * N + n] * W[k * N + n]; s += t; a += Math.abs(t); }
    ref.dX[m * K + k] = s; ref.dXmag[m * K + k] = a;
  }
  return { ...out, ref };
}

/** Asserts |got − ref| ≤ bound · mag element-wise. */
function expectWithin(got: Float32Array, ref: Float64Array, mag: Float64Array, bound: number, label: string): void {
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const excess = Math.abs(got[i] - ref[i]) - bound * mag[i];
    if (excess > worst) { worst = excess; at = i; }
  }
  expect(at, `${label}: [${at}] ${got[at]} vs ${ref[at]} (allowed ±${bound * mag[at]})`).toBe(-1);
}

function relNormDiff(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num / (den || 1));
}

function differing(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe("fast vs exact vs float64: dense_forward and dense_backward", () => {
  it("a sweep of sizes at, below, between and above the tiles: fast within γ of float64 and 2γ of exact; db identical", () => {
    const kernels = loadBoth();
    let seed = 100;
    for (const M of [1, 3, 4, 5, 8, 13]) {
      for (const K of [1, 2, 7, 8, 9, 130]) {
        for (const N of [1, 3, 4, 5, 8, 12, 17, 33]) {
          const r = runBoth(kernels, { M, K, N }, (seed += 7));
          const at = `M=${M} K=${K} N=${N}`;
          // + bias is one more rounding in the forward; dW is accumulated into (zeroed) memory: one more too.
          expectWithin(r.fast.Y, r.ref.Y, r.ref.Ymag, gamma(K + 1), `fast Y vs float64, ${at}`);
          expectWithin(r.exact.Y, r.ref.Y, r.ref.Ymag, gamma(K + 1), `exact Y vs float64, ${at}`);
          expectWithin(r.fast.Y, Float64Array.from(r.exact.Y), r.ref.Ymag, 2 * gamma(K + 1), `fast Y vs exact, ${at}`);
          expectWithin(r.fast.dW, r.ref.dW, r.ref.dWmag, gamma(M + 1), `fast dW vs float64, ${at}`);
          expectWithin(r.fast.dW, Float64Array.from(r.exact.dW), r.ref.dWmag, 2 * gamma(M + 1), `fast dW vs exact, ${at}`);
          expectWithin(r.fast.dX, r.ref.dX, r.ref.dXmag, gamma(N), `fast dX vs float64, ${at}`);
          expectWithin(r.fast.dX, Float64Array.from(r.exact.dX), r.ref.dXmag, 2 * gamma(N), `fast dX vs exact, ${at}`);
          expectBitIdentical(r.fast.db, r.exact.db, `db (no multiply-add) ${at}`);
        }
      }
    }
  });

  it("128×784·784×400 (the reference model's first layer): relative difference from exact < 1e-5 per GEMM, and not zero", () => {
    const r = runBoth(loadBoth(), { M: 128, K: 784, N: 400 }, 7);
    for (const t of ["Y", "dW", "dX"] as const) {
      const rel = relNormDiff(r.fast[t], r.exact[t]);
      expect(rel, `${t}: ‖fast − exact‖ / ‖exact‖`).toBeLessThan(1e-5);
      expect(differing(r.fast[t], r.exact[t]), `${t}: elements whose bits differ`).toBeGreaterThan(r.fast[t].length / 10);
    }
    expectWithin(r.fast.Y, r.ref.Y, r.ref.Ymag, gamma(785), "fast Y vs float64");
    expectWithin(r.fast.dW, r.ref.dW, r.ref.dWmag, gamma(129), "fast dW vs float64");
    expectWithin(r.fast.dX, r.ref.dX, r.ref.dXmag, gamma(400), "fast dX vs float64");
    expectBitIdentical(r.fast.db, r.exact.db, "db");
  });
});

describe("what the switch leaves alone", () => {
  it("activations, a loss, the optimizer and the scalar twins give the exact build's bits", () => {
    const { exact, fast } = loadBoth();
    const n = 1037;
    const x = randomArray(n, 11, -6, 6), y = randomArray(n, 12, 0, 1), g = randomArray(n, 13, -1, 1);
    const results = ([exact, fast] as const).map((k) => {
      k.reset();
      const out: Float32Array[] = [];
      for (const act of [1, 2, 3, 4]) {
        const Y = k.alloc(n);
        k.x.activation_forward(Y, k.put(x), n, act, 0.01);
        out.push(k.get(Y, n));
      }
      const dl = k.alloc(n), losses = k.alloc(1);
      k.x.bernoulli_logits_loss(dl, losses, k.put(x), k.put(y), 1, n, 1);
      out.push(k.get(dl, n), k.get(losses, 1));
      const p = k.put(x), m = k.alloc(n), v = k.alloc(n);
      k.x.adam_update(p, k.put(g), m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.03);
      out.push(k.get(p, n), k.get(m, n), k.get(v, n));
      const [M, K, N] = [5, 37, 11];
      const Y = k.alloc(M * N);
      k.x.dense_forward_scalar(Y, k.put(randomArray(M * K, 14)), k.put(randomArray(K * N, 15)), k.put(randomArray(N, 16)), M, K, N, 3, 0);
      out.push(k.get(Y, M * N));
      return out;
    });
    results[0].forEach((e, i) => expectBitIdentical(results[1][i], e, `output ${i}`));
  });

  it("in the fast build, the sparse-input kernels still give the dense kernels' bits (MNIST-like zeros)", () => {
    const { fast: k } = loadBoth();
    for (const [M, K, N] of [[128, 784, 400], [7, 50, 23], [3, 9, 16]]) {
      k.reset();
      const keep = randomArray(M * K, 99, 0, 1);
      const X = randomArray(M * K, M + K, 0, 1).map((v, i) => (keep[i] < 0.8 ? 0 : v));
      const pX = k.put(X), W = k.put(randomArray(K * N, 3, -0.1, 0.1)), b = k.put(randomArray(N, 4));
      const dY = randomArray(M * N, 5);
      const Y1 = k.alloc(M * N), Y2 = k.alloc(M * N);
      k.x.dense_forward(Y1, pX, W, b, M, K, N, 1, 0);
      expect(k.x.dense_forward_sparse_x(Y2, pX, W, b, k.alloc(2 * M * K + M + 1), M, K, N, 1, 0)).toBe(1);
      expectBitIdentical(k.get(Y2, M * N), k.get(Y1, M * N), `forward ${M}×${K}·${K}×${N}`);
      const dW1 = k.alloc(K * N), dW2 = k.alloc(K * N), db1 = k.alloc(N), db2 = k.alloc(N);
      k.x.dense_backward(0, dW1, db1, k.put(dY), pX, W, Y1, M, K, N, 1, 0);
      expect(k.x.dense_backward_sparse_x(dW2, db2, k.put(dY), pX, Y1, k.alloc(5 * M), M, K, N, 1, 0)).toBe(1);
      expectBitIdentical(k.get(dW2, K * N), k.get(dW1, K * N), `dW ${M}×${K}·${K}×${N}`);
      expectBitIdentical(k.get(db2, N), k.get(db1, N), `db ${M}×${K}·${K}×${N}`);
    }
  });
});
