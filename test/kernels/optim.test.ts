// optim: Adam / AdamW / SGD against float64 transcriptions of PyTorch's single-tensor formulas and against an
// exact float32 emulation of the documented operation order; clipping helpers; SIMD vs scalar twins.
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

const SIZES = [1, 3, 4, 5, 7, 8, 9, 17, 33, 784];
const f = Math.fround;

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

interface Adam { lr: number; beta1: number; beta2: number; eps: number; wd: number; decoupled: boolean }
interface Sgd { lr: number; momentum: number; dampening: number; wd: number; nesterov: boolean }

const ADAMS: Record<string, Adam> = {
  adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0, decoupled: false },
  "adam+l2": { lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, wd: 0.05, decoupled: false },
  adamw: { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true },
};
const SGDS: Record<string, Sgd> = {
  plain: { lr: 0.05, momentum: 0, dampening: 0, wd: 0, nesterov: false },
  "momentum+dampening+wd": { lr: 0.02, momentum: 0.9, dampening: 0.1, wd: 1e-3, nesterov: false },
  "nesterov+wd": { lr: 0.01, momentum: 0.8, dampening: 0, wd: 0.02, nesterov: true },
};

/** Parameters spanning 1e-3..20 with a zero; gradients with a zero, a tiny (ε matters) and a large one. */
function problem(n: number, steps: number, seed: number): { p0: Float32Array; grads: Float32Array[] } {
  const p0 = randomArray(n, seed, -2, 2);
  for (let i = 0; i < n; i += 5) p0[i] *= 10;
  p0[0] = 0;
  const grads: Float32Array[] = [];
  for (let t = 0; t < steps; t++) {
    const g = randomArray(n, seed + 100 + t, -1, 1);
    if (n > 1) g[1] = 0;
    if (n > 2) g[2] = 1e-6;
    if (n > 3) g[3] = -250;
    grads.push(g);
  }
  return { p0, grads };
}

/** Runs T steps of adam_update (or its twin) as the SDK host does and returns params after each step. */
function runAdam(name: string, h: Adam, p0: Float32Array, grads: Float32Array[]): Float32Array[] {
  k.reset();
  const n = p0.length;
  const p = k.put(p0), m = k.alloc(n), v = k.alloc(n), g = k.alloc(n);
  const out: Float32Array[] = [];
  grads.forEach((gt, i) => {
    const t = i + 1;
    k.f32(g, n).set(gt);
    k.x[name](p, g, m, v, n, h.lr, h.beta1, h.beta2, h.eps, h.wd, h.decoupled ? 1 : 0,
      1 - Math.pow(h.beta1, t), Math.sqrt(1 - Math.pow(h.beta2, t)));
    expect(k.get(g, n), "grads are not modified").toEqual(gt);
    out.push(k.get(p, n));
  });
  return out;
}

/** torch.optim.Adam/AdamW (_single_tensor_adam) transcribed in float64 from float32 inputs. */
function adamRef64(h: Adam, p0: Float32Array, grads: Float32Array[]): Float64Array[] {
  const n = p0.length;
  const p = Float64Array.from(p0), m = new Float64Array(n), v = new Float64Array(n);
  const out: Float64Array[] = [];
  grads.forEach((gt, s) => {
    const t = s + 1;
    const bc1 = 1 - h.beta1 ** t, bc2s = Math.sqrt(1 - h.beta2 ** t);
    for (let i = 0; i < n; i++) {
      let g = gt[i];
      if (h.wd !== 0) {
        if (h.decoupled) p[i] *= 1 - h.lr * h.wd;
        else g += h.wd * p[i];
      }
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
      p[i] -= (h.lr / bc1) * m[i] / (Math.sqrt(v[i]) / bc2s + h.eps);
    }
    out.push(p.slice());
  });
  return out;
}

/** The kernel's documented f32 operation order, emulated with Math.fround (must agree bit for bit). */
function adamRef32(h: Adam, p0: Float32Array, grads: Float32Array[]): Float32Array[] {
  const n = p0.length;
  const p = Float32Array.from(p0), m = new Float32Array(n), v = new Float32Array(n);
  const out: Float32Array[] = [];
  const b1 = f(h.beta1), omb1 = f(1 - h.beta1), b2 = f(h.beta2), omb2 = f(1 - h.beta2), e = f(h.eps), wd = f(h.wd);
  const decay = f(1 - h.lr * h.wd);
  grads.forEach((gt, s) => {
    const t = s + 1;
    const nstep = f(-(h.lr / (1 - h.beta1 ** t))), bc2 = f(Math.sqrt(1 - h.beta2 ** t));
    for (let i = 0; i < n; i++) {
      let g = gt[i];
      let pi = p[i];
      if (h.wd !== 0) {
        if (h.decoupled) pi = f(pi * decay);
        else g = f(g + f(wd * pi));
      }
      m[i] = f(f(b1 * m[i]) + f(omb1 * g));
      v[i] = f(f(b2 * v[i]) + f(f(omb2 * g) * g));
      const denom = f(f(f(Math.sqrt(v[i])) / bc2) + e);
      p[i] = f(pi + f(f(nstep * m[i]) / denom));
    }
    out.push(p.slice());
  });
  return out;
}

function runSgd(name: string, h: Sgd, p0: Float32Array, grads: Float32Array[], bufPtrZero = false): Float32Array[] {
  k.reset();
  const n = p0.length;
  const p = k.put(p0), buf = k.alloc(n), g = k.alloc(n);
  const out: Float32Array[] = [];
  grads.forEach((gt, i) => {
    k.f32(g, n).set(gt);
    k.x[name](p, g, bufPtrZero ? 0 : buf, n, h.lr, h.momentum, h.dampening, h.wd, h.nesterov ? 1 : 0, i === 0 ? 1 : 0);
    out.push(k.get(p, n));
  });
  return out;
}

/** torch.optim.SGD (_single_tensor_sgd) in float64: first step buf = d_p (clone), then buf = μ·buf + (1 − τ)·d_p. */
function sgdRef64(h: Sgd, p0: Float32Array, grads: Float32Array[]): Float64Array[] {
  const n = p0.length;
  const p = Float64Array.from(p0), buf = new Float64Array(n);
  return grads.map((gt, s) => {
    for (let i = 0; i < n; i++) {
      let d = gt[i];
      if (h.wd !== 0) d += h.wd * p[i];
      if (h.momentum !== 0) {
        buf[i] = s === 0 ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
        d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
      }
      p[i] -= h.lr * d;
    }
    return p.slice();
  });
}

function sgdRef32(h: Sgd, p0: Float32Array, grads: Float32Array[]): Float32Array[] {
  const n = p0.length;
  const p = Float32Array.from(p0), buf = new Float32Array(n);
  const wd = f(h.wd), mom = f(h.momentum), omd = f(1 - h.dampening), nlr = f(-h.lr);
  return grads.map((gt, s) => {
    for (let i = 0; i < n; i++) {
      let d = gt[i];
      if (h.wd !== 0) d = f(d + f(wd * p[i]));
      if (h.momentum !== 0) {
        buf[i] = s === 0 ? d : f(f(mom * buf[i]) + f(omd * d));
        d = h.nesterov ? f(d + f(mom * buf[i])) : buf[i];
      }
      p[i] = f(p[i] + f(nlr * d));
    }
    return p.slice();
  });
}

/** max over elements of |got − want| / max(|want|, |before|) — a parameter-relative error. */
function worstRel(got: Float32Array, want: ArrayLike<number>, before: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < got.length; i++) {
    const scale = Math.max(Math.abs(want[i]), Math.abs(before[i]), 1e-30);
    w = Math.max(w, Math.abs(got[i] - want[i]) / scale);
  }
  return w;
}

describe("adam_update (PyTorch Adam / AdamW)", () => {
  for (const [name, h] of Object.entries(ADAMS)) {
    it(`${name}: 6 steps match the float64 PyTorch transcription (1e-6 parameter-relative) and the f32 emulation exactly`, () => {
      const T = 6;
      const { p0, grads } = problem(37, T, 1);
      const got = runAdam("adam_update", h, p0, grads);
      const r64 = adamRef64(h, p0, grads);
      const r32 = adamRef32(h, p0, grads);
      for (let t = 0; t < T; t++) {
        const before = t === 0 ? p0 : got[t - 1];
        expect(worstRel(got[t], r64[t], before), `step ${t + 1}`).toBeLessThan(1e-6);
        expect(got[t], `step ${t + 1} vs f32 emulation`).toEqual(r32[t]);
        // the update itself is right to 1e-4 relative (ε and bias corrections matter at this level)
        let wu = 0;
        for (let i = 0; i < p0.length; i++) {
          const du = r64[t][i] - (t === 0 ? p0[i] : r64[t - 1][i]);
          const dg = got[t][i] - before[i];
          if (Math.abs(du) > 1e-4 * Math.abs(before[i])) wu = Math.max(wu, Math.abs(dg - du) / Math.abs(du));
        }
        expect(wu, `step ${t + 1} update`).toBeLessThan(0.05);
      }
    });
  }

  it("the comparison has teeth: dropping a bias correction or coupling AdamW's decay moves parameters far beyond 1e-6", () => {
    const { p0, grads } = problem(37, 3, 1);
    const h = ADAMS.adamw;
    const got = runAdam("adam_update", h, p0, grads);
    const coupled = adamRef64({ ...h, decoupled: false }, p0, grads);
    expect(worstRel(got[2], coupled[2], got[1])).toBeGreaterThan(1e-5);
    k.reset();
    const n = p0.length;
    const p = k.put(p0), m = k.alloc(n), v = k.alloc(n), g = k.put(grads[0]);
    k.x.adam_update(p, g, m, v, n, h.lr, h.beta1, h.beta2, h.eps, h.wd, 1, 1, Math.sqrt(1 - h.beta2)); // bc1 forgotten
    expect(worstRel(k.get(p, n), adamRef64(h, p0, grads)[0], p0)).toBeGreaterThan(1e-4);
  });

  it("SIMD and scalar twin are bit-identical for every size and mode", () => {
    for (const n of SIZES) {
      const { p0, grads } = problem(n, 3, n);
      for (const [name, h] of Object.entries(ADAMS)) {
        const a = runAdam("adam_update", h, p0, grads);
        const s = runAdam("adam_update_scalar", h, p0, grads);
        a.forEach((x, t) => expectBitIdentical(x, s[t], `${name} n=${n} step ${t + 1}`));
      }
    }
  });
});

describe("sgd_update (PyTorch SGD)", () => {
  for (const [name, h] of Object.entries(SGDS)) {
    it(`${name}: 6 steps match the float64 PyTorch transcription and the f32 emulation exactly`, () => {
      const T = 6;
      const { p0, grads } = problem(37, T, 2);
      const got = runSgd("sgd_update", h, p0, grads);
      const r64 = sgdRef64(h, p0, grads);
      const r32 = sgdRef32(h, p0, grads);
      for (let t = 0; t < T; t++) {
        const before = t === 0 ? p0 : got[t - 1];
        expect(worstRel(got[t], r64[t], before), `step ${t + 1}`).toBeLessThan(1e-6);
        expect(got[t], `step ${t + 1} vs f32 emulation`).toEqual(r32[t]);
      }
    });
  }

  it("momentum = 0 never touches the buffer (pointer 0 is fine); first_step sets buf = d_p", () => {
    const { p0, grads } = problem(9, 3, 3);
    const h = SGDS.plain;
    const got = runSgd("sgd_update", h, p0, grads, true);
    expect(got[2]).toEqual(sgdRef32(h, p0, grads)[2]);
    // the first step with momentum is a plain step with d_p (dampening is not applied to the clone)
    const hm = { ...SGDS["momentum+dampening+wd"], dampening: 0.5 };
    const first = runSgd("sgd_update", hm, p0, grads.slice(0, 1))[0];
    const plainWd = sgdRef32({ ...hm, momentum: 0 }, p0, grads.slice(0, 1))[0];
    expect(first).toEqual(plainWd);
  });

  it("SIMD and scalar twin are bit-identical for every size and mode", () => {
    for (const n of SIZES) {
      const { p0, grads } = problem(n, 3, n + 1);
      for (const [name, h] of Object.entries(SGDS)) {
        const a = runSgd("sgd_update", h, p0, grads);
        const s = runSgd("sgd_update_scalar", h, p0, grads);
        a.forEach((x, t) => expectBitIdentical(x, s[t], `${name} n=${n} step ${t + 1}`));
      }
    }
  });
});

describe("clipping helpers", () => {
  /** The documented order: f64 squares into a[i mod 4], then (a0 + a2) + (a1 + a3). */
  function sumSquaresRef(x: Float32Array): number {
    const a = [0, 0, 0, 0];
    for (let i = 0; i < x.length; i++) a[i & 3] += x[i] * x[i];
    return (a[0] + a[2]) + (a[1] + a[3]);
  }

  it("sum_squares: documented order exactly, ≈ the naive f64 sum, SIMD = scalar, NaN/Inf propagate", () => {
    for (const n of SIZES) {
      const x = randomArray(n, n, -3, 3);
      x[0] = 1e30;
      k.reset();
      const p = k.put(x);
      const s = k.x.sum_squares(p, n);
      expect(s).toBe(sumSquaresRef(x));
      expect(k.x.sum_squares_scalar(p, n)).toBe(s);
      let naive = 0;
      for (const v of x) naive += v * v;
      expect(Math.abs(s - naive) / naive).toBeLessThan(1e-14);
    }
    k.reset();
    expect(k.x.sum_squares(k.put([1, 2, NaN, 4, 5]), 5)).toBeNaN();
    expect(k.x.sum_squares(k.put([1, 2, 3, 4, -Infinity]), 5)).toBe(Infinity);
    expect(k.x.sum_squares(k.put([3e38, 3e38, 3e38, 3e38]), 4)).toBe(4 * f(3e38) ** 2); // no f32 overflow
  });

  it("scale_inplace multiplies by fround(s); zero_f32 zeroes exactly n floats; SIMD = scalar", () => {
    for (const n of SIZES) {
      const x = randomArray(n, n + 7, -5, 5);
      for (const variant of ["", "_scalar"]) {
        k.reset();
        const p = k.put([...x, 42, 42, 42]);
        k.x["scale_inplace" + variant](p, n, 0.3);
        expect(Array.from(k.get(p, n + 3))).toEqual([...Array.from(x, (v) => f(v * f(0.3))), 42, 42, 42]);
        k.x["zero_f32" + variant](p, n);
        expect(Array.from(k.get(p, n + 3))).toEqual([...new Array(n).fill(0), 42, 42, 42]);
      }
    }
  });

  it("count_nonfinite counts NaN and ±Inf only; SIMD = scalar", () => {
    const specials = [NaN, Infinity, -Infinity, 3.4028235e38, -3.4028235e38, 1e-45, -0, 0, 1];
    for (const n of SIZES) {
      const x = randomArray(n, n + 9, -1, 1);
      let want = 0;
      for (let i = 0; i < n; i += 2) {
        x[i] = specials[(i / 2) % specials.length];
        if (!Number.isFinite(x[i])) want++;
      }
      k.reset();
      const p = k.put(x);
      expect(k.x.count_nonfinite(p, n), `n=${n}`).toBe(want);
      expect(k.x.count_nonfinite_scalar(p, n)).toBe(want);
    }
  });

  it("clip-by-global-norm with sum_squares and scale_inplace brings the norm to the limit", () => {
    const n = 1001;
    const g = randomArray(n, 5, -10, 10);
    k.reset();
    const p = k.put(g);
    const norm = Math.sqrt(k.x.sum_squares(p, n));
    const maxNorm = 1.5;
    expect(norm).toBeGreaterThan(maxNorm);
    k.x.scale_inplace(p, n, maxNorm / norm);
    expect(Math.abs(Math.sqrt(k.x.sum_squares(p, n)) - maxNorm)).toBeLessThan(1e-6 * maxNorm);
    expect(k.x.count_nonfinite(p, n)).toBe(0);
  });
});
