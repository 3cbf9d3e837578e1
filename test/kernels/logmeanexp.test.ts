// logmeanexp: importance weights and log-mean-exp (f64 output) — SIMD vs scalar twin (bit-identical), values vs
// float64, the weights as the gradient (closed form softmax, central differences, TF.js autograd of logSumExp),
// K = 1 and K = 5000, −∞ / −1e30 entries, all-−∞, +∞ and NaN rows; scale_rows and repeat_rows (copy, the
// backward's fixed order, the adjoint identity, TF.js autograd of tile).
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const BATCHES = [1, 2, 3, 4, 5];

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

/** Runs logmeanexp_forward; returns out (f64) and weights (or null when the pointer is 0). */
function lme(variant: "" | "_scalar", logw: Float32Array, B: number, K: number, withWeights = true): { out: Float64Array; w: Float32Array | null } {
  k.reset();
  const out = k.alloc(2 * B); // B f64
  const w = k.alloc(B * K);
  k.x["logmeanexp_forward" + variant](out, withWeights ? w : 0, k.put(logw), B, K);
  return { out: new Float64Array(k.memory.buffer, out, B).slice(), w: withWeights ? k.get(w, B * K) : null };
}

/** float64 log((1/K) Σ exp(v)) and softmax, from the row max. */
function refRow(v: ArrayLike<number>): { out: number; w: number[] } {
  let m = -Infinity;
  for (let i = 0; i < v.length; i++) m = Math.max(m, v[i]);
  if (m === -Infinity) return { out: -Infinity, w: Array.from(v, () => 0) };
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.exp(v[i] - m);
  return { out: m + Math.log(s / v.length), w: Array.from(v, (x) => Math.exp(x - m) / s) };
}

/** Log-weights like an IWAE's: around −100 with spread, and a few −∞ / −1e30 entries. */
function logws(n: number, seed: number, spread = 20): Float32Array {
  const v = randomArray(n, seed, -100 - spread, -100 + spread);
  for (let i = 3; i < n; i += 11) v[i] = i % 2 ? -Infinity : -1e30;
  return v;
}

describe("logmeanexp_forward: SIMD vs scalar twin", () => {
  it("bit-identical out and weights over B × K sweeps (K up to 5000), with −∞ entries, with and without weights", () => {
    for (const B of BATCHES) for (const K of [...SIZES, 64, 5000]) {
      if (K === 5000 && B > 2) continue;
      const v = logws(B * K, 17 * K + B);
      const a = lme("", v, B, K), s = lme("_scalar", v, B, K);
      expect(Array.from(a.out), `out B=${B} K=${K}`).toEqual(Array.from(s.out));
      expectBitIdentical(a.w!, s.w!, `weights B=${B} K=${K}`);
      expect(Array.from(lme("", v, B, K, false).out)).toEqual(Array.from(a.out));
    }
  });
});

describe("logmeanexp_forward values", () => {
  it("out within 3e-7 (absolute) of float64 log-mean-exp; weights within 4e-7·(1 + |logw − max|/4) relative of the softmax", () => {
    for (const [B, K, spread] of [[4, 5, 20], [3, 33, 1], [2, 5000, 30], [5, 17, 80], [1, 1, 1]] as const) {
      const v = logws(B * K, B + K, spread);
      const { out, w } = lme("", v, B, K);
      for (let b = 0; b < B; b++) {
        const row = v.subarray(b * K, (b + 1) * K);
        const r = refRow(row);
        expect(Math.abs(out[b] - r.out), `B=${B} K=${K} b=${b}: ${out[b]} vs ${r.out}`).toBeLessThanOrEqual(3e-7);
        const m = Math.max(...row);
        let sum = 0;
        for (let i = 0; i < K; i++) {
          const got = w![b * K + i];
          sum += got;
          if (row[i] < -1e29) expect(got).toBe(0); // −∞ and −1e30 entries
          else expect(Math.abs(got - r.w[i]), `w ${b},${i}`).toBeLessThanOrEqual(4e-7 * r.w[i] * (1 + (m - row[i]) / 4) + 1e-45);
        }
        expect(Math.abs(sum - 1)).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it("K = 1 gives out = logw and weight 1 exactly; equal entries give out = logw, weights 1/K", () => {
    const v = new Float32Array([-123.456, 7.5, -1e-20, 0]);
    const { out, w } = lme("", v, 4, 1);
    expect(Array.from(out)).toEqual(Array.from(v));
    expect(Array.from(w!)).toEqual([1, 1, 1, 1]);
    const eq = new Float32Array(8).fill(-3.25);
    const r = lme("", eq, 1, 8);
    expect(r.out[0]).toBe(-3.25);
    expect(Array.from(r.w!)).toEqual(new Array(8).fill(0.125));
  });

  it("rows of all −∞ give out = −∞ and weights 0; +∞ gives out = +∞ and NaN weights; NaN gives NaN", () => {
    const K = 6;
    const v = new Float32Array([
      ...new Array(K).fill(-Infinity),
      -1, -Infinity, 2, Infinity, 0, -5,
      -1, NaN, 2, 3, 0, -5,
      -2, -Infinity, -Infinity, -1e30, -2, -Infinity,
    ]);
    for (const variant of ["", "_scalar"] as const) {
      const { out, w } = lme(variant, v, 4, K);
      expect(out[0]).toBe(-Infinity);
      expect(Array.from(w!.subarray(0, K))).toEqual(new Array(K).fill(0));
      expect(out[1]).toBe(Infinity);
      expect(Array.from(w!.subarray(K, 2 * K)).every(Number.isNaN)).toBe(true);
      expect(out[2]).toBeNaN();
      expect(Array.from(w!.subarray(2 * K, 3 * K)).every(Number.isNaN)).toBe(true);
      // two entries of −2 among six: log(2·e^(−2)/6), weights ½ where finite, 0 elsewhere
      expect(Math.abs(out[3] - (-2 + Math.log(2 / 6)))).toBeLessThanOrEqual(1e-15);
      expect(Array.from(w!.subarray(3 * K, 4 * K))).toEqual([0.5, 0, 0, 0, 0.5, 0]);
    }
  });

  it("the weights are the gradient of out: float64 central differences and TF.js autograd of logSumExp − log K", () => {
    const B = 3, K = 13;
    const v = randomArray(B * K, 5, -8, 4);
    const { w } = lme("", v, B, K);
    const f64 = Float64Array.from(v);
    for (let b = 0; b < B; b++) for (let i = 0; i < K; i++) {
      const j = b * K + i, x0 = f64[j], h = 1e-6;
      f64[j] = x0 + h;
      const fp = refRow(f64.subarray(b * K, (b + 1) * K)).out;
      f64[j] = x0 - h;
      const fm = refRow(f64.subarray(b * K, (b + 1) * K)).out;
      f64[j] = x0;
      const fd = (fp - fm) / (2 * h);
      expect(Math.abs(w![j] - fd), `${b},${i}: ${w![j]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * fd + 1e-9);
    }
    const dout = tf.tensor1d([0.5, -2, 1.25]);
    const f = (t: TF) => tf.sum(tf.mul(tf.sub(tf.logSumExp(t, 1), Math.log(K)), dout));
    const tg: Float32Array = tf.grad(f)(tf.tensor2d(v, [B, K])).dataSync();
    const dv = [0.5, -2, 1.25];
    for (let j = 0; j < B * K; j++) {
      const mine = dv[Math.floor(j / K)] * w![j];
      expect(Math.abs(mine - tg[j]), `${j}: ${mine} vs tf ${tg[j]}`).toBeLessThanOrEqual(2e-6 * Math.abs(tg[j]) + 1e-8);
    }
  });
});

// ---- scale_rows and repeat_rows

function repeatF(variant: "" | "_scalar", x: Float32Array, B: number, D: number, K: number): Float32Array {
  k.reset();
  const out = k.alloc(B * K * D);
  k.x["repeat_rows_forward" + variant](out, k.put(x), B, D, K);
  return k.get(out, B * K * D);
}

function repeatB(variant: "" | "_scalar", dx0: Float32Array, dout: Float32Array, B: number, D: number, K: number): Float32Array {
  k.reset();
  const dx = k.put(dx0);
  k.x["repeat_rows_backward" + variant](dx, k.put(dout), B, D, K);
  return k.get(dx, B * D);
}

function scaleRows(variant: "" | "_scalar", x: Float32Array, w: Float32Array, B: number, D: number): Float32Array {
  k.reset();
  const p = k.put(x);
  k.x["scale_rows" + variant](p, k.put(w), B, D);
  return k.get(p, B * D);
}

describe("scale_rows and repeat_rows", () => {
  it("SIMD vs scalar twins are bit-identical over B × D × K sweeps", () => {
    for (const B of BATCHES) for (const D of SIZES) for (const K of [1, 2, 3, 5]) {
      const x = randomArray(B * D, D + B + K, -3, 3), dout = randomArray(B * K * D, 7 * D + K, -3, 3);
      const dx0 = randomArray(B * D, 3 * D + B, -1, 1), w = randomArray(B, B + D, -2, 2);
      const label = `B=${B} D=${D} K=${K}`;
      expectBitIdentical(repeatF("", x, B, D, K), repeatF("_scalar", x, B, D, K), `repeat forward ${label}`);
      expectBitIdentical(repeatB("", dx0, dout, B, D, K), repeatB("_scalar", dx0, dout, B, D, K), `repeat backward ${label}`);
      if (K === 1) expectBitIdentical(scaleRows("", x, w, B, D), scaleRows("_scalar", x, w, B, D), `scale_rows ${label}`);
    }
  });

  it("scale_rows multiplies row b by w[b] (one f32 rounding)", () => {
    const B = 3, D = 7;
    const x = randomArray(B * D, 1, -5, 5), w = new Float32Array([0.3, -2, 0]);
    const got = scaleRows("", x, w, B, D);
    for (let i = 0; i < B * D; i++) expect(got[i]).toBe(Math.fround(x[i] * w[Math.floor(i / D)]));
  });

  it("repeat forward copies each row K times bit for bit (NaN payloads too); backward adds the K rows in order", () => {
    const B = 2, D = 5, K = 3;
    const x = randomArray(B * D, 2, -5, 5);
    new Uint32Array(x.buffer)[3] = 0x7fc00abc; // a NaN with a payload
    const out = repeatF("", x, B, D, K);
    const bits = new Uint32Array(out.buffer), xb = new Uint32Array(x.buffer);
    for (let b = 0; b < B; b++) for (let kk = 0; kk < K; kk++) for (let d = 0; d < D; d++) {
      expect(bits[(b * K + kk) * D + d]).toBe(xb[b * D + d]);
    }
    const dout = randomArray(B * K * D, 3, -1, 1), dx0 = randomArray(B * D, 4, -1, 1);
    const dx = repeatB("", dx0, dout, B, D, K);
    for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) {
      let acc = dx0[b * D + d];
      for (let kk = 0; kk < K; kk++) acc = Math.fround(acc + dout[(b * K + kk) * D + d]);
      expect(dx[b * D + d]).toBe(acc);
    }
  });

  it("backward is the adjoint of forward: <repeat(x), y> = <x, repeat_backward(y)> (exactly on integers, 1e-6 on floats)", () => {
    for (const [B, D, K] of [[3, 9, 4], [1, 33, 7], [5, 2, 50]]) {
      for (const ints of [true, false]) {
        const round = (a: Float32Array) => (ints ? a.map(Math.round) : a);
        const x = round(randomArray(B * D, B * D, -20, 20)), y = round(randomArray(B * K * D, K, -20, 20));
        const rx = repeatF("", x, B, D, K), ry = repeatB("", new Float32Array(B * D), y, B, D, K);
        let lhs = 0, rhs = 0, mag = 0;
        for (let i = 0; i < rx.length; i++) lhs += rx[i] * y[i];
        for (let i = 0; i < x.length; i++) rhs += x[i] * ry[i];
        for (let i = 0; i < rx.length; i++) mag += Math.abs(rx[i] * y[i]);
        if (ints) expect(rhs, `B=${B} D=${D} K=${K}`).toBe(lhs);
        else expect(Math.abs(lhs - rhs), `B=${B} D=${D} K=${K}`).toBeLessThanOrEqual(1e-6 * mag);
      }
    }
  });

  it("repeat backward equals TF.js autograd of tile", () => {
    const B = 3, D = 6, K = 4;
    const x = randomArray(B * D, 8), y = randomArray(B * K * D, 9);
    const yt = tf.tensor2d(y, [B * K, D]);
    const f = (t: TF) => tf.sum(tf.mul(tf.reshape(tf.tile(tf.expandDims(t, 1), [1, K, 1]), [B * K, D]), yt));
    const tg: Float32Array = tf.grad(f)(tf.tensor2d(x, [B, D])).dataSync();
    const mine = repeatB("", new Float32Array(B * D), y, B, D, K);
    for (let i = 0; i < B * D; i++) expect(Math.abs(mine[i] - tg[i]), `${i}`).toBeLessThanOrEqual(1e-6 * (Math.abs(tg[i]) + 1));
  });
});
