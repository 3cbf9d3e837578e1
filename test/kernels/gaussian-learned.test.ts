// gaussian-learned: the Gaussian likelihood with a learned per-dimension log σ — SIMD vs scalar twin
// (bit-identical), losses vs float64, dy and dlogsigma vs the closed form, float64 central differences and
// TF.js autograd, accumulation into dlogsigma, each gradient pointer 0 on its own, and extreme log σ.
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const BATCHES = [1, 2, 3, 4, 5];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

interface Out { losses: Float32Array; dy: Float32Array; dls: Float32Array }

/** Runs the kernel; dls0 is dlogsigma's initial content (it accumulates). */
function run(variant: "" | "_scalar", y: Float32Array, x: Float32Array, s: Float32Array, B: number, D: number, scale: number,
  opts: { dy?: boolean; dls?: boolean; dls0?: Float32Array } = {}): Out {
  k.reset();
  const dy = k.alloc(B * D);
  const dls = k.put(opts.dls0 ?? new Float32Array(D));
  const losses = k.alloc(B);
  k.x["gaussian_learned_loss" + variant](opts.dy === false ? 0 : dy, opts.dls === false ? 0 : dls, losses,
    k.put(y), k.put(x), k.put(s), B, D, scale);
  return { losses: k.get(losses, B), dy: k.get(dy, B * D), dls: k.get(dls, D) };
}

/** Per-row float64 losses. */
function ref(y: ArrayLike<number>, x: ArrayLike<number>, s: ArrayLike<number>, B: number, D: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let t = 0;
    for (let d = 0; d < D; d++) {
      const r = (x[b * D + d] - y[b * D + d]) / Math.exp(s[d]);
      t += 0.5 * r * r + s[d] + HALF_LOG_2PI;
    }
    out.push(t);
  }
  return out;
}

function centralDiff(v: Float64Array, i: number, f: () => number, h: number): number {
  const x0 = v[i];
  v[i] = x0 + h;
  const fp = f();
  v[i] = x0 - h;
  const fm = f();
  v[i] = x0;
  return (fp - fm) / (2 * h);
}

function data(B: number, D: number, seed: number, sLo = -2, sHi = 1) {
  const y = randomArray(B * D, seed, -1, 2), x = randomArray(B * D, seed + 1, 0, 1), s = randomArray(D, seed + 2, sLo, sHi);
  for (let i = 0; i < B * D; i += 7) y[i] = x[i]; // exact zeros of y − x
  return { y, x, s };
}

describe("gaussian_learned_loss: SIMD vs scalar twin", () => {
  it("bit-identical losses, dy and accumulated dlogsigma over B × D sweeps, for every pointer combination", () => {
    for (const B of BATCHES) for (const D of SIZES) {
      const { y, x, s } = data(B, D, 13 * D + B, -6, 6);
      const dls0 = randomArray(D, D + 99, -3, 3);
      for (const opts of [{}, { dy: false }, { dls: false }]) {
        const a = run("", y, x, s, B, D, -0.6, { ...opts, dls0 });
        const b = run("_scalar", y, x, s, B, D, -0.6, { ...opts, dls0 });
        const label = `B=${B} D=${D} ${JSON.stringify(opts)}`;
        expectBitIdentical(a.losses, b.losses, `losses ${label}`);
        expectBitIdentical(a.dy, b.dy, `dy ${label}`);
        expectBitIdentical(a.dls, b.dls, `dlogsigma ${label}`);
      }
    }
  });
});

describe("gaussian_learned_loss values and gradients", () => {
  it("losses match Σ ½((x − y)/σ)² + log σ + ½ log 2π in float64 (relative 3e-7 of the terms' magnitudes)", () => {
    for (const [B, D, lo, hi] of [[3, 784, -2, 1], [5, 33, -6, 6], [4, 9, 0, 0], [2, 17, -0.01, 0.01]]) {
      const { y, x, s } = data(B, D, B + D, lo, hi);
      const { losses } = run("", y, x, s, B, D, 1);
      const want = ref(y, x, s, B, D);
      for (let b = 0; b < B; b++) {
        let mag = 0;
        for (let d = 0; d < D; d++) mag += 0.5 * ((x[b * D + d] - y[b * D + d]) / Math.exp(s[d])) ** 2 + Math.abs(s[d]) + HALF_LOG_2PI;
        expect(Math.abs(losses[b] - want[b]) / mag, `B=${B} D=${D} b=${b}: ${losses[b]} vs ${want[b]}`).toBeLessThan(3e-7);
      }
    }
  });

  it("dy = scale·(y − x)/σ² and dlogsigma += scale·Σ_b (1 − ((x − y)/σ)²): closed form, central differences, tfjs", () => {
    const B = 5, D = 19, scale = 0.8;
    const { y, x, s } = data(B, D, 7);
    const dls0 = randomArray(D, 8, -1, 1);
    const { dy, dls } = run("", y, x, s, B, D, scale, { dls0 });
    // closed form
    for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) {
      const i = b * D + d;
      const want = (scale * (y[i] - x[i])) / Math.exp(2 * s[d]);
      expect(Math.abs(dy[i] - want), `dy ${i}`).toBeLessThanOrEqual(4e-7 * Math.abs(want));
    }
    for (let d = 0; d < D; d++) {
      let sum = 0, mag = 0;
      for (let b = 0; b < B; b++) {
        const q = ((x[b * D + d] - y[b * D + d]) / Math.exp(s[d])) ** 2;
        sum += 1 - q;
        mag += 1 + q;
      }
      const want = dls0[d] + scale * sum;
      expect(Math.abs(dls[d] - want), `dlogsigma ${d}: ${dls[d]} vs ${want}`).toBeLessThanOrEqual(4e-7 * (scale * mag + Math.abs(dls0[d])));
    }
    // float64 central differences of the total loss, for y and for log σ
    const vy = Float64Array.from(y), vs = Float64Array.from(s);
    const total = () => ref(vy, x, vs, B, D).reduce((a, b) => a + b, 0);
    for (let i = 0; i < B * D; i++) {
      const fd = scale * centralDiff(vy, i, total, 1e-6);
      expect(Math.abs(dy[i] - fd), `dy ${i}: ${dy[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-6);
    }
    for (let d = 0; d < D; d++) {
      const fd = scale * centralDiff(vs, d, total, 1e-6);
      expect(Math.abs(dls[d] - dls0[d] - fd), `dlogsigma ${d}: ${dls[d] - dls0[d]} vs ${fd}`).toBeLessThanOrEqual(2e-6 * (Math.abs(fd) + B));
    }
    // TF.js autograd of the same formula, with respect to both y and log σ
    const xt = tf.tensor2d(x, [B, D]);
    const f = (yt: TF, st: TF) => tf.mul(scale, tf.sum(tf.add(tf.add(
      tf.mul(0.5, tf.square(tf.div(tf.sub(xt, yt), tf.exp(st)))), st), HALF_LOG_2PI)));
    const [gy, gs] = tf.grads(f)([tf.tensor2d(y, [B, D]), tf.tensor1d(s)]);
    const ty: Float32Array = gy.dataSync(), ts: Float32Array = gs.dataSync();
    for (let i = 0; i < B * D; i++) expect(Math.abs(dy[i] - ty[i]), `dy ${i} vs tf`).toBeLessThanOrEqual(2e-6 * Math.abs(ty[i]) + 1e-7);
    for (let d = 0; d < D; d++) {
      expect(Math.abs(dls[d] - dls0[d] - ts[d]), `dlogsigma ${d} vs tf ${ts[d]}`).toBeLessThanOrEqual(4e-6 * (Math.abs(ts[d]) + B));
    }
  });

  it("a zero gradient pointer skips exactly that output; the losses never change", () => {
    const B = 3, D = 10;
    const { y, x, s } = data(B, D, 3);
    const dls0 = randomArray(D, 4);
    const all = run("", y, x, s, B, D, 2, { dls0 });
    const noDy = run("", y, x, s, B, D, 2, { dls0, dy: false });
    const noDls = run("", y, x, s, B, D, 2, { dls0, dls: false });
    expect(noDy.losses).toEqual(all.losses);
    expect(noDls.losses).toEqual(all.losses);
    expect(noDy.dls).toEqual(all.dls);
    expect(noDy.dy).toEqual(new Float32Array(B * D));
    expect(noDls.dy).toEqual(all.dy);
    expect(noDls.dls).toEqual(dls0);
    for (const variant of ["", "_scalar"] as const) {
      k.reset();
      const low = new Uint8Array(k.memory.buffer, 0, 4096).slice();
      const losses = k.alloc(B);
      k.x["gaussian_learned_loss" + variant](0, 0, losses, k.put(y), k.put(x), k.put(s), B, D, 1);
      expect(new Uint8Array(k.memory.buffer, 0, 4096)).toEqual(low);
      expect(k.get(losses, B)).toEqual(all.losses);
    }
  });

  it("log σ = 0 reduces to gaussian_loss with σ = 1; log σ = ±20 stays finite and accurate", () => {
    const B = 4, D = 13;
    const { y, x } = data(B, D, 5);
    const a = run("", y, x, new Float32Array(D), B, D, 0.5);
    k.reset();
    const g = k.alloc(B * D), l = k.alloc(B);
    k.x.gaussian_loss(g, l, k.put(y), k.put(x), B, D, 1, 0.5);
    expect(a.dy).toEqual(k.get(g, B * D));
    const fixed = k.get(l, B);
    for (let b = 0; b < B; b++) expect(Math.abs(a.losses[b] - fixed[b])).toBeLessThanOrEqual(2 ** -23 * Math.abs(fixed[b]));
    const s = Float32Array.from({ length: D }, (_, d) => (d % 2 ? 20 : -20));
    const x2 = Float32Array.from(x, (v, i) => v * (i % D % 2 ? 1e8 : 1e-8)); // r² of order 1 both ways
    const y2 = new Float32Array(B * D);
    const r = run("", y2, x2, s, B, D, 1);
    const want = ref(y2, x2, s, B, D);
    for (let b = 0; b < B; b++) {
      expect(Number.isFinite(r.losses[b])).toBe(true);
      expect(Math.abs(r.losses[b] - want[b])).toBeLessThanOrEqual(1e-6 * (20 * D + Math.abs(want[b])));
    }
    for (let i = 0; i < B * D; i++) {
      const d = i % D;
      const wdy = (y2[i] - x2[i]) / Math.exp(2 * s[d]);
      expect(Math.abs(r.dy[i] - wdy), `dy ${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(wdy) + 1e-45);
    }
  });
});
