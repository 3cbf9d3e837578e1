// reparam: z = μ + exp(½·logσ²)·ε and its backward pass — SIMD vs scalar twin (bit-identical), values vs a
// float64 reference, gradients vs float64 central differences and vs TensorFlow.js autograd.
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17, 33, 784];
const BATCHES = [1, 3, 4, 5];

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

interface Case {
  B: number;
  L: number;
  stats: Float32Array; // [B, 2L] = [μ | lv]
  eps: Float32Array; // [B, L]
  dz: Float32Array; // [B, L]
}

function makeCase(B: number, L: number, seed: number, lvLo = -4, lvHi = 3): Case {
  const stats = randomArray(B * 2 * L, seed, -2, 2);
  const lv = randomArray(B * L, seed + 1, lvLo, lvHi);
  for (let b = 0; b < B; b++) for (let d = 0; d < L; d++) stats[b * 2 * L + L + d] = lv[b * L + d];
  return { B, L, stats, eps: randomArray(B * L, seed + 2, -3, 3), dz: randomArray(B * L, seed + 3, -1, 1) };
}

function forward(name: string, c: Case): Float32Array {
  k.reset();
  const z = k.alloc(c.B * c.L);
  k.x[name](z, k.put(c.eps), k.put(c.stats), c.B, c.L);
  return k.get(z, c.B * c.L);
}

function backward(name: string, c: Case, init?: Float32Array): Float32Array {
  k.reset();
  const n = c.B * 2 * c.L;
  const ds = init ? k.put(init) : k.alloc(n);
  k.x[name](ds, k.put(c.dz), k.put(c.eps), k.put(c.stats), c.B, c.L);
  return k.get(ds, n);
}

const mu = (c: Case, b: number, d: number) => c.stats[b * 2 * c.L + d];
const lv = (c: Case, b: number, d: number) => c.stats[b * 2 * c.L + c.L + d];

/** J(stats) = Σ dz ⊙ z in float64 (its gradient is what reparam_backward adds). */
function objective(c: Case, stats: Float64Array): number {
  let J = 0;
  for (let b = 0; b < c.B; b++) {
    for (let d = 0; d < c.L; d++) {
      const z = stats[b * 2 * c.L + d] + Math.exp(0.5 * stats[b * 2 * c.L + c.L + d]) * c.eps[b * c.L + d];
      J += c.dz[b * c.L + d] * z;
    }
  }
  return J;
}

describe("reparam_forward", () => {
  it("SIMD and scalar twin are bit-identical for every L and B", () => {
    for (const B of BATCHES) {
      for (const L of SIZES) {
        const c = makeCase(B, L, 10 * L + B, -40, 40);
        expectBitIdentical(forward("reparam_forward", c), forward("reparam_forward_scalar", c), `B=${B} L=${L}`);
      }
    }
  });

  it("matches μ + exp(½·lv)·ε in float64 to a few ulp", () => {
    for (const [B, L] of [[3, 5], [4, 20], [5, 33]]) {
      const c = makeCase(B, L, 7 * L);
      const z = forward("reparam_forward", c);
      for (let b = 0; b < B; b++) {
        for (let d = 0; d < L; d++) {
          const se = Math.exp(0.5 * lv(c, b, d)) * c.eps[b * L + d];
          const ref = mu(c, b, d) + se;
          const scale = Math.abs(mu(c, b, d)) + Math.abs(se);
          expect(Math.abs(z[b * L + d] - ref), `b=${b} d=${d}`).toBeLessThanOrEqual(3e-7 * scale);
        }
      }
    }
  });

  it("is finite and accurate for logσ² = ±30", () => {
    const c = makeCase(2, 9, 5);
    for (let b = 0; b < 2; b++) for (let d = 0; d < 9; d++) c.stats[b * 18 + 9 + d] = d % 2 ? 30 : -30;
    const z = forward("reparam_forward", c);
    for (let b = 0; b < 2; b++) {
      for (let d = 0; d < 9; d++) {
        const ref = mu(c, b, d) + Math.exp(0.5 * lv(c, b, d)) * c.eps[b * 9 + d];
        expect(Number.isFinite(z[b * 9 + d])).toBe(true);
        expect(Math.abs(z[b * 9 + d] - ref)).toBeLessThanOrEqual(3e-7 * (Math.abs(ref) + Math.abs(mu(c, b, d))));
      }
    }
  });
});

describe("reparam_backward", () => {
  it("SIMD and scalar twin are bit-identical for every L and B (accumulating into existing gradients)", () => {
    for (const B of BATCHES) {
      for (const L of SIZES) {
        const c = makeCase(B, L, 11 * L + B, -40, 40);
        const init = randomArray(B * 2 * L, L + B, -1, 1);
        expectBitIdentical(backward("reparam_backward", c, init), backward("reparam_backward_scalar", c, init), `B=${B} L=${L}`);
      }
    }
  });

  it("accumulates: the result from an existing gradient is that gradient plus the result from zero", () => {
    const c = makeCase(3, 7, 3);
    const init = randomArray(3 * 14, 4, -1, 1);
    const fromZero = backward("reparam_backward", c);
    const acc = backward("reparam_backward", c, init);
    for (let i = 0; i < acc.length; i++) expect(acc[i]).toBe(Math.fround(init[i] + fromZero[i]));
  });

  it("equals float64 central differences of Σ dz ⊙ z", () => {
    for (const [B, L] of [[1, 1], [3, 5], [4, 20]]) {
      const c = makeCase(B, L, 100 + L);
      const g = backward("reparam_backward", c);
      const s = Float64Array.from(c.stats);
      for (let i = 0; i < s.length; i++) {
        const h = 1e-6 * Math.max(1, Math.abs(s[i]));
        const x0 = s[i];
        s[i] = x0 + h;
        const jp = objective(c, s);
        s[i] = x0 - h;
        const jm = objective(c, s);
        s[i] = x0;
        const fd = (jp - jm) / (2 * h);
        expect(Math.abs(g[i] - fd), `B=${B} L=${L} i=${i}: ${g[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-8);
      }
    }
  });

  it("equals TensorFlow.js autograd of sum(dz * (μ + exp(0.5·lv)·ε))", () => {
    for (const [B, L] of [[3, 5], [4, 20]]) {
      const c = makeCase(B, L, 200 + L);
      const g = backward("reparam_backward", c);
      const eps = tf.tensor2d(c.eps, [B, L]);
      const dz = tf.tensor2d(c.dz, [B, L]);
      const f = (st: TF) => {
        const m = tf.slice(st, [0, 0], [B, L]);
        const v = tf.slice(st, [0, L], [B, L]);
        return tf.sum(tf.mul(dz, tf.add(m, tf.mul(tf.exp(tf.mul(v, 0.5)), eps))));
      };
      const want: Float32Array = tf.grad(f)(tf.tensor2d(c.stats, [B, 2 * L])).dataSync();
      for (let i = 0; i < g.length; i++) {
        expect(Math.abs(g[i] - want[i]), `i=${i}: ${g[i]} vs tf ${want[i]}`).toBeLessThanOrEqual(2e-6 * Math.abs(want[i]) + 1e-7);
      }
    }
  });

  it("is finite and exact for logσ² = ±30", () => {
    const c = makeCase(2, 6, 9);
    for (let b = 0; b < 2; b++) for (let d = 0; d < 6; d++) c.stats[b * 12 + 6 + d] = d % 2 ? 30 : -30;
    const g = backward("reparam_backward", c);
    for (let b = 0; b < 2; b++) {
      for (let d = 0; d < 6; d++) {
        const i = b * 6 + d;
        expect(g[b * 12 + d]).toBe(c.dz[i]);
        const ref = 0.5 * c.dz[i] * c.eps[i] * Math.exp(0.5 * lv(c, b, d));
        expect(Number.isFinite(g[b * 12 + 6 + d])).toBe(true);
        expect(Math.abs(g[b * 12 + 6 + d] - ref)).toBeLessThanOrEqual(5e-7 * Math.abs(ref));
      }
    }
  });
});
