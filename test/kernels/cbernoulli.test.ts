// cbernoulli: the continuous Bernoulli loss and mean — SIMD vs scalar twin (bit-identical), S(l) and S'(l)
// within a few ulp of float64 across |l| ∈ [1e-8, 3e38] and at the series/closed-form switch points,
// losses vs a float64 reference (itself checked against the textbook formula), gradients vs the closed form,
// float64 central differences and TF.js autograd, the density integrating to 1 with the kernel's mean as
// its first moment, extreme logits, evaluation mode and the scale.
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

// ---- float64 references

function fact(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}
const BERNOULLI_2N = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510, 43867 / 798, -174611 / 330];

/** S(l) = log(sinh(l/2)/(l/2)): series of sinh(u)/u − 1 for |l| < 2, closed form above (both f64-exact to ~1e-16). */
function S64(l: number): number {
  const a = Math.abs(l);
  if (a < 2) {
    const v = (a / 2) ** 2;
    let s = 0, p = 1;
    for (let j = 1; j <= 12; j++) {
      p *= v;
      s += p / fact(2 * j + 1);
    }
    return Math.log1p(s);
  }
  return a / 2 + Math.log(-Math.expm1(-a)) - Math.log(a);
}

/** S'(l) = ½·coth(l/2) − 1/l: Bernoulli-number series for |l| < 1, closed form above. */
function dS64(l: number): number {
  if (Math.abs(l) < 1) {
    const v = (l / 2) ** 2;
    let s = 0, p = 1;
    for (let n = 1; n <= 10; n++) {
      s += ((2 ** (2 * n) * BERNOULLI_2N[n - 1]) / fact(2 * n) / 4) * p;
      p *= v;
    }
    return l * s;
  }
  return 0.5 / Math.tanh(l / 2) - 1 / l;
}

/** −log CB(x | l) = (½ − x)·l + S(l). */
const term64 = (l: number, x: number) => (0.5 - x) * l + S64(l);
/** The textbook form softplus(l) − x·l − log(l / tanh(l/2)), fine in f64 away from l = 0 and below |l| ≈ 700. */
const textbook = (l: number, x: number) => Math.log1p(Math.exp(l)) - x * l - Math.log(l / Math.tanh(l / 2));
const sigmoid = (l: number) => 1 / (1 + Math.exp(-l));

/** Size of one f32 ulp at |v| (subnormal ulp below the normal range). */
function ulp(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
}

function run(variant: "" | "_scalar", l: Float32Array, x: Float32Array, B: number, D: number, scale: number, withGrad = true,
): { losses: Float32Array; grad: Float32Array } {
  k.reset();
  const g = k.alloc(B * D);
  const losses = k.alloc(B);
  k.x["continuous_bernoulli_loss" + variant](withGrad ? g : 0, losses, k.put(l), k.put(x), B, D, scale);
  return { losses: k.get(losses, B), grad: k.get(g, B * D) };
}

function mean(variant: "" | "_scalar", l: Float32Array): Float32Array {
  k.reset();
  const out = k.alloc(l.length);
  k.x["cbernoulli_mean" + variant](out, k.put(l), l.length);
  return k.get(out, l.length);
}

function pixels(n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, -0.3, 1.3);
  for (let i = 0; i < n; i++) x[i] = Math.min(1, Math.max(0, x[i]));
  return x;
}

const EXTREMES = [1e4, -1e4, 100, -100, 0, 1e-8, -1e-8, 4, -4, 2.5, -2.5, 3e38, -3e38, 20, -20, 1e-30];
function logits(n: number, seed: number): Float32Array {
  const l = randomArray(n, seed, -9, 9);
  for (let i = 0; i < n; i += 5) l[i] = EXTREMES[(i / 5) % EXTREMES.length];
  return l;
}

/** |l| on a log grid from 1e-8 to 1e4, the switch points and their f32 neighbours, both signs. */
function logitGrid(): Float32Array {
  const v: number[] = [];
  for (let i = 0; i <= 24000; i++) v.push(10 ** (-8 + (12 * i) / 24000));
  const near = (t: number) => {
    const f = new Float32Array([t]);
    const u = new Uint32Array(f.buffer);
    const out: number[] = [];
    for (let d = -3; d <= 3; d++) out.push(new Float32Array(new Uint32Array([u[0] + d]).buffer)[0]);
    return out;
  };
  v.push(...near(4), ...near(2.5), 3e38, 1e30, 88, 89, 104);
  while (v.length % 8) v.push(1 + v.length / 1e4); // 16 | 2·length, for rows of 16
  const out = new Float32Array(v.length * 2);
  v.forEach((a, i) => ((out[2 * i] = a), (out[2 * i + 1] = -a)));
  return out;
}

// ---------------------------------------------------------------------------------------------------------

describe("SIMD kernels vs their scalar twins (bit-identical)", () => {
  it("continuous_bernoulli_loss: losses and gradients over B × D sweeps with extreme logits", () => {
    for (const B of BATCHES) for (const D of SIZES) {
      const l = logits(B * D, 11 * D + B), x = pixels(B * D, 5 * D + B);
      const a = run("", l, x, B, D, 0.37);
      const s = run("_scalar", l, x, B, D, 0.37);
      expectBitIdentical(a.losses, s.losses, `losses B=${B} D=${D}`);
      expectBitIdentical(a.grad, s.grad, `grad B=${B} D=${D}`);
    }
  });

  it("cbernoulli_mean over n sweeps (and the whole accuracy grid)", () => {
    for (const n of [...SIZES, 64, 1001]) {
      const l = logits(n, n);
      expectBitIdentical(mean("", l), mean("_scalar", l), `n=${n}`);
    }
    const g = logitGrid();
    expectBitIdentical(mean("", g), mean("_scalar", g), "grid");
  });
});

describe("continuous_bernoulli_loss accuracy", () => {
  it("the float64 reference equals softplus(l) − x·l − log(l / tanh(l/2)) (relative 1e-12)", () => {
    for (let i = 0; i < 2000; i++) {
      const l = (i % 2 ? -1 : 1) * 10 ** (-2 + (4.4 * i) / 2000); // 0.01 .. 250
      for (const x of [0, 0.3, 0.5, 1]) {
        const want = textbook(l, x), got = term64(l, x);
        expect(Math.abs(got - want), `l=${l} x=${x}`).toBeLessThanOrEqual(1e-12 * (Math.abs(want) + Math.abs(l)));
      }
      const dWant = sigmoid(l) - 0.5 - (1 / l - 1 / Math.sinh(l));
      expect(Math.abs(dS64(l) - dWant), `l=${l}`).toBeLessThanOrEqual(1e-13 * (Math.abs(dWant) + 1));
    }
  });

  it("x = ½ isolates S(l) and S'(l): ≤ 3 ulp and ≤ 2 ulp from float64 for |l| ∈ [1e-8, 3e38] and at the switch points", () => {
    const l = logitGrid();
    const x = new Float32Array(l.length).fill(0.5);
    for (const variant of ["", "_scalar"] as const) {
      // one element per row, and the same data as rows of 16 for the vector path
      const rows = run(variant, l, x, l.length, 1, 1);
      const flat = run(variant, l, x, l.length / 16, 16, 1);
      expectBitIdentical(rows.grad, flat.grad, "grad, D=1 vs D=16");
      let worstS = 0, worstG = 0;
      for (let i = 0; i < l.length; i++) {
        const s = S64(l[i]), g = dS64(l[i]);
        worstS = Math.max(worstS, Math.abs(rows.losses[i] - s) / ulp(s));
        worstG = Math.max(worstG, Math.abs(rows.grad[i] - g) / ulp(g));
      }
      expect(worstS).toBeLessThanOrEqual(3);
      expect(worstG).toBeLessThanOrEqual(2);
    }
  });

  it("per-element losses for x ∈ [0, 1] match (½ − x)·l + S(l) within 4e-7 of the magnitudes, row sums within 1e-6", () => {
    const l = logitGrid();
    const x = pixels(l.length, 3);
    const { losses } = run("", l, x, l.length, 1, 1);
    let worst = 0, at = "";
    for (let i = 0; i < l.length; i++) {
      const a = Math.abs(l[i]);
      const want = term64(l[i], x[i]);
      // a ≥ 4 is evaluated as (𝟙[l>0] − x)·l + (log1p(−e^(−a)) − log a): its parts' sizes bound the rounding
      const parts = a < 4 ? Math.abs((0.5 - x[i]) * l[i]) + S64(l[i])
        : Math.abs(((l[i] > 0 ? 1 : 0) - x[i]) * l[i]) + Math.abs(Math.log(a)) + Math.abs(Math.log1p(-Math.exp(-a)));
      const r = Math.abs(losses[i] - want) / (parts + 2 ** -126);
      if (r > worst) [worst, at] = [r, `l=${l[i]} x=${x[i]}: ${losses[i]} vs ${want}`];
    }
    expect(worst, at).toBeLessThanOrEqual(4e-7);
    for (const [B, D] of [[3, 784], [5, 33], [4, 7]]) {
      const lr = randomArray(B * D, D, -12, 12), xr = pixels(B * D, D + 1);
      const r = run("", lr, xr, B, D, 1);
      for (let b = 0; b < B; b++) {
        let want = 0, mag = 0;
        for (let d = 0; d < D; d++) {
          const i = b * D + d;
          want += term64(lr[i], xr[i]);
          mag += Math.abs((0.5 - xr[i]) * lr[i]) + S64(lr[i]);
        }
        expect(Math.abs(r.losses[b] - want) / mag, `B=${B} D=${D} b=${b}`).toBeLessThan(1e-6);
      }
    }
  });

  it("extreme logits (±1e4, ±100, 0, ±1e-8, ±3e38) give finite, accurate losses and gradients", () => {
    const ls = [1e4, -1e4, 100, -100, 0, -0, 1e-8, -1e-8, 3e38, -3e38, 1e-40];
    const xs = [0, 1, 0.25, 0.5, 0.75];
    const l = new Float32Array(ls.length * xs.length), x = new Float32Array(l.length);
    ls.forEach((lv, i) => xs.forEach((xv, j) => ((l[i * xs.length + j] = lv), (x[i * xs.length + j] = xv))));
    for (const variant of ["", "_scalar"] as const) {
      const { losses, grad } = run(variant, l, x, l.length, 1, 1);
      for (let i = 0; i < l.length; i++) {
        const want = term64(l[i], x[i]), gw = 0.5 - x[i] + dS64(l[i]);
        const label = `l=${l[i]} x=${x[i]}: ${losses[i]} vs ${want}, grad ${grad[i]} vs ${gw}`;
        expect(Number.isFinite(losses[i]) && Number.isFinite(grad[i]), label).toBe(true);
        const a = Math.abs(l[i]);
        const parts = Math.abs(((l[i] > 0 ? 1 : 0) - x[i]) * l[i]) + Math.abs(Math.log(a || 1)) + S64(l[i]) + Math.abs((0.5 - x[i]) * l[i]);
        expect(Math.abs(losses[i] - want), label).toBeLessThanOrEqual(4e-7 * parts + 2 ** -149);
        expect(Math.abs(grad[i] - gw), label).toBeLessThanOrEqual(3e-7 * (Math.abs(0.5 - x[i]) + 1) + 2 ** -149);
      }
    }
    // exact values at l = 0: loss 0 for every x, gradient ½ − x, mean ½
    const z = run("", new Float32Array([0, 0, 0]), new Float32Array([0, 0.5, 1]), 3, 1, 1);
    expect(Array.from(z.losses)).toEqual([0, 0, 0]);
    expect(Array.from(z.grad)).toEqual([0.5, 0, -0.5]);
    expect(Array.from(mean("", new Float32Array([0, -0, 1e-30])))).toEqual([0.5, 0.5, 0.5]);
  });
});

describe("continuous_bernoulli_loss gradients", () => {
  it("equal scale·(sigmoid(l) − x − (1/l − 1/sinh l)), float64 central differences and tfjs autograd", () => {
    const B = 4, D = 29, scale = -0.75;
    const l = randomArray(B * D, 21, -14, 14), x = pixels(B * D, 22);
    for (let i = 0; i < B * D; i += 9) l[i] = [1e-3, -0.2, 2.5, -4, 0.6][(i / 9) % 5];
    const { grad } = run("", l, x, B, D, scale);
    for (let i = 0; i < B * D; i++) {
      const li = l[i];
      const want = scale * (sigmoid(li) - x[i] - (1 / li - 1 / Math.sinh(li)));
      const mag = Math.abs(scale) * (Math.abs(0.5 - x[i]) + 1);
      expect(Math.abs(grad[i] - want), `l=${li} x=${x[i]}`).toBeLessThanOrEqual(3e-7 * mag);
    }
    // central differences of the float64 total loss
    const v = Float64Array.from(l);
    const total = () => {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += term64(v[i], x[i]);
      return s;
    };
    for (let i = 0; i < v.length; i++) {
      const x0 = v[i], h = 1e-5;
      v[i] = x0 + h;
      const fp = total();
      v[i] = x0 - h;
      const fm = total();
      v[i] = x0;
      const fd = (scale * (fp - fm)) / (2 * h);
      expect(Math.abs(grad[i] - fd), `i=${i}: ${grad[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(scale) * (Math.abs(fd) + 1));
    }
    // TF.js autograd of the textbook formula (away from l = 0, where it is 0/0 in f32)
    const lt = Float32Array.from(l, (li) => (Math.abs(li) < 0.5 ? li + Math.sign(li || 1) * 0.5 : li));
    const { grad: g2 } = run("", lt, x, B, D, scale);
    const xt = tf.tensor2d(x, [B, D]);
    const f = (t: TF) => tf.mul(scale, tf.sum(tf.sub(tf.sub(tf.softplus(t), tf.mul(xt, t)), tf.log(tf.div(t, tf.tanh(tf.div(t, 2)))))));
    const tg: Float32Array = tf.grad(f)(tf.tensor2d(lt, [B, D])).dataSync();
    for (let i = 0; i < B * D; i++) {
      expect(Math.abs(g2[i] - tg[i]), `l=${lt[i]}: ${g2[i]} vs tf ${tg[i]}`).toBeLessThanOrEqual(2e-6 * Math.abs(scale) * (Math.abs(tg[i]) + 1));
    }
  });

  it("writes no gradient for pointer 0, and the scale only scales the gradient", () => {
    const B = 3, D = 9;
    const l = logits(B * D, 4), x = pixels(B * D, 5);
    const one = run("", l, x, B, D, 1);
    const scaled = run("", l, x, B, D, -0.25);
    expect(scaled.losses).toEqual(one.losses);
    for (let i = 0; i < B * D; i++) expect(scaled.grad[i]).toBe(Math.fround(one.grad[i] * -0.25));
    for (const variant of ["", "_scalar"] as const) {
      k.reset();
      const low = new Uint8Array(k.memory.buffer, 0, 4096).slice();
      const losses = k.alloc(B);
      k.x["continuous_bernoulli_loss" + variant](0, losses, k.put(l), k.put(x), B, D, 1);
      expect(new Uint8Array(k.memory.buffer, 0, 4096)).toEqual(low);
      expect(k.get(losses, B)).toEqual(one.losses);
    }
  });
});

describe("the continuous Bernoulli density", () => {
  it("exp(−loss) integrates to 1 over x ∈ [0, 1] and its first moment is cbernoulli_mean (Simpson, 4001 points)", () => {
    const n = 4000;
    const lvals = [-60, -7, -2.5, -0.3, 0, 1e-3, 0.9, 3.99, 4.01, 25];
    const xs = new Float32Array(n + 1);
    for (let i = 0; i <= n; i++) xs[i] = i / n; // rounded to f32: the moment below uses the same values
    const means = mean("", Float32Array.from(lvals));
    lvals.forEach((lv, j) => {
      const { losses } = run("", new Float32Array(n + 1).fill(lv), xs, n + 1, 1, 1);
      let z = 0, m = 0;
      for (let i = 0; i <= n; i++) {
        const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
        const p = Math.exp(-losses[i]);
        z += w * p;
        m += w * p * xs[i];
      }
      z /= 3 * n;
      m /= 3 * n;
      expect(Math.abs(z - 1), `l=${lv}: ∫p = ${z}`).toBeLessThan(2e-6);
      expect(Math.abs(m - means[j]), `l=${lv}: ∫x·p = ${m} vs mean ${means[j]}`).toBeLessThan(2e-6);
    });
  });

  it("cbernoulli_mean is within 2 ulp of 1/(1 − e^(−l)) − 1/l in float64 for |l| ∈ [1e-8, 3e38], ½ at 0", () => {
    const l = logitGrid();
    const m = mean("", l);
    let worst = 0;
    for (let i = 0; i < l.length; i++) {
      const li = l[i];
      // 1/(1 − e^(−l)) − 1/l, written for l ≤ −1 as −1/l − 1/expm1(−l) so that tiny means keep their digits
      const want = Math.abs(li) < 1 ? 0.5 + dS64(li) : li > 0 ? 1 / -Math.expm1(-li) - 1 / li : -1 / li - 1 / Math.expm1(-li);
      if (Math.abs(li) >= 1 && Math.abs(li) < 30) expect(Math.abs(want - (0.5 + dS64(li)))).toBeLessThan(1e-15);
      worst = Math.max(worst, Math.abs(m[i] - want) / ulp(want));
    }
    expect(worst).toBeLessThanOrEqual(2);
    // the limits: → 1 for l → +∞, → 0 for l → −∞, and 1 − m(l) = m(−l)
    const big = mean("", new Float32Array([1e4, -1e4, 3e38, -3e38]));
    expect(Math.abs(big[0] - (1 - 1e-4))).toBeLessThanOrEqual(2 ** -24);
    expect(Math.abs(big[1] - 1e-4)).toBeLessThanOrEqual(ulp(1e-4));
    expect(big[2]).toBe(1);
    expect(big[3]).toBeGreaterThan(0);
    expect(big[3]).toBeLessThan(4e-39);
    for (let i = 0; i < l.length; i += 2) expect(Math.abs(m[i] + m[i + 1] - 1)).toBeLessThanOrEqual(2 ** -23);
  });
});
