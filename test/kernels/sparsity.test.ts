// sparsity: L1 and KL-to-ρ activity penalties — SIMD vs scalar twin (bit-identical), values vs float64, gradients
// exactly as documented and vs float64 central differences and TF.js autograd, sign(±0) = 0, NaN propagation,
// clamping of ρ̂, ρ ∈ {0, 1}, and the gradient pointer 0.
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

function l1(variant: "" | "_scalar", h: Float32Array, B: number, H: number, weight: number, scale: number,
  dh0: Float32Array | null = new Float32Array(B * H)): { losses: Float32Array; dh: Float32Array } {
  k.reset();
  const dh = k.put(dh0 ?? new Float32Array(B * H));
  const losses = k.alloc(B);
  k.x["sparsity_l1_loss" + variant](dh0 ? dh : 0, losses, k.put(h), B, H, weight, scale);
  return { losses: k.get(losses, B), dh: k.get(dh, B * H) };
}

function kl(variant: "" | "_scalar", h: Float32Array, B: number, H: number, rho: number, weight: number, scale: number,
  dh0: Float32Array | null = new Float32Array(B * H)): { pen: number; rhohat: Float32Array; dh: Float32Array } {
  k.reset();
  const dh = k.put(dh0 ?? new Float32Array(B * H));
  const rh = k.alloc(H);
  const pen = k.x["sparsity_kl_loss" + variant](dh0 ? dh : 0, rh, k.put(h), B, H, rho, weight, scale);
  return { pen, rhohat: k.get(rh, H), dh: k.get(dh, B * H) };
}

/** Column means in float64 (b ascending, the kernels' order), clamped for the logs. */
function rhoHat(h: ArrayLike<number>, B: number, H: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < H; j++) {
    let s = 0;
    for (let b = 0; b < B; b++) s += h[b * H + j];
    out.push(s / B);
  }
  return out;
}
const clamp = (r: number) => Math.min(1 - 1e-6, Math.max(1e-6, r));
function klRef(h: ArrayLike<number>, B: number, H: number, rho: number, weight: number): number {
  let s = 0;
  for (const r of rhoHat(h, B, H)) {
    const c = clamp(r);
    if (rho > 0) s += rho * Math.log(rho / c);
    if (rho < 1) s += (1 - rho) * Math.log((1 - rho) / (1 - c));
  }
  return weight * s;
}

/** Hidden activations: sigmoids in (0, 1), with some exact zeros for L1. */
function acts(n: number, seed: number): Float32Array {
  return Float32Array.from(randomArray(n, seed, -4, 4), (v) => 1 / (1 + Math.exp(-v)));
}

describe("sparsity_l1_loss", () => {
  it("SIMD vs scalar twin: bit-identical losses and accumulated gradients over B × H sweeps", () => {
    for (const B of BATCHES) for (const H of SIZES) {
      const h = randomArray(B * H, H + 3 * B, -2, 2);
      for (let i = 0; i < h.length; i += 6) h[i] = i % 12 ? 0 : -0;
      const dh0 = randomArray(B * H, H + B, -1, 1);
      for (const g of [dh0, null]) {
        const a = l1("", h, B, H, 0.3, -1.5, g), s = l1("_scalar", h, B, H, 0.3, -1.5, g);
        expectBitIdentical(a.losses, s.losses, `losses B=${B} H=${H}`);
        expectBitIdentical(a.dh, s.dh, `dh B=${B} H=${H}`);
      }
    }
  });

  it("losses = weight·Σ|h| (relative 2e-7); dh += f32(scale·weight)·sign(h) exactly, sign(±0) = 0, NaN propagates", () => {
    const B = 4, H = 23, weight = 0.05, scale = 3;
    const h = randomArray(B * H, 9, -3, 3);
    h[2] = 0; h[5] = -0; h[7] = NaN;
    const dh0 = randomArray(B * H, 10);
    const { losses, dh } = l1("", h, B, H, weight, scale, dh0);
    const c = Math.fround(scale * weight);
    for (let i = 0; i < B * H; i++) {
      if (i === 7) { expect(dh[i]).toBeNaN(); continue; }
      const s = h[i] > 0 ? c : h[i] < 0 ? -c : 0;
      expect(dh[i], `i=${i}`).toBe(Math.fround(dh0[i] + s));
    }
    expect(losses[0]).toBeNaN();
    for (let b = 1; b < B; b++) {
      let want = 0;
      for (let j = 0; j < H; j++) want += Math.abs(h[b * H + j]);
      want *= weight;
      expect(Math.abs(losses[b] - want)).toBeLessThanOrEqual(2e-7 * want);
    }
  });

  it("the gradient matches float64 central differences and TF.js autograd (h away from 0)", () => {
    const B = 3, H = 14, weight = 0.7, scale = -0.4;
    const h = Float32Array.from(randomArray(B * H, 11, -2, 2), (v) => (Math.abs(v) < 0.05 ? 0.5 : v));
    const { dh } = l1("", h, B, H, weight, scale);
    const v = Float64Array.from(h);
    const total = () => v.reduce((a, x) => a + weight * Math.abs(x), 0);
    for (let i = 0; i < B * H; i++) {
      const x0 = v[i];
      v[i] = x0 + 1e-6;
      const fp = total();
      v[i] = x0 - 1e-6;
      const fm = total();
      v[i] = x0;
      const fd = (scale * (fp - fm)) / 2e-6;
      expect(Math.abs(dh[i] - fd), `${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd));
    }
    const tg: Float32Array = tf.grad((t: TF) => tf.mul(scale * weight, tf.sum(tf.abs(t))))(tf.tensor2d(h, [B, H])).dataSync();
    for (let i = 0; i < B * H; i++) expect(dh[i]).toBe(tg[i]);
  });

  it("writes no gradient for pointer 0", () => {
    const B = 2, H = 9, h = randomArray(B * H, 1);
    const want = l1("", h, B, H, 1, 1).losses;
    for (const variant of ["", "_scalar"] as const) {
      k.reset();
      const low = new Uint8Array(k.memory.buffer, 0, 4096).slice();
      const losses = k.alloc(B);
      k.x["sparsity_l1_loss" + variant](0, losses, k.put(h), B, H, 1, 1);
      expect(new Uint8Array(k.memory.buffer, 0, 4096)).toEqual(low);
      expect(k.get(losses, B)).toEqual(want);
    }
  });
});

describe("sparsity_kl_loss", () => {
  it("SIMD vs scalar twin: bit-identical penalty, rhohat and accumulated gradients over B × H sweeps", () => {
    for (const B of BATCHES) for (const H of SIZES) {
      const h = acts(B * H, 5 * H + B);
      const dh0 = randomArray(B * H, H + B, -1, 1);
      for (const g of [dh0, null]) {
        const a = kl("", h, B, H, 0.05, 0.8, 1.7, g), s = kl("_scalar", h, B, H, 0.05, 0.8, 1.7, g);
        expect(Object.is(a.pen, s.pen), `penalty B=${B} H=${H}: ${a.pen} vs ${s.pen}`).toBe(true);
        expectBitIdentical(a.rhohat, s.rhohat, `rhohat B=${B} H=${H}`);
        expectBitIdentical(a.dh, s.dh, `dh B=${B} H=${H}`);
      }
    }
  });

  it("penalty = weight·Σ_j KL(ρ ‖ ρ̂_j) in float64; rhohat = f32(mean); dh += f32(scale·weight/B·(−ρ/ρ̂ + (1−ρ)/(1−ρ̂)))", () => {
    for (const [B, H, rho] of [[5, 33, 0.05], [64, 20, 0.2], [1, 7, 0.5]] as const) {
      const h = acts(B * H, B * H);
      const weight = 0.3, scale = 2;
      const dh0 = randomArray(B * H, 2);
      const { pen, rhohat, dh } = kl("", h, B, H, rho, weight, scale, dh0);
      const want = klRef(h, B, H, rho, weight);
      expect(Math.abs(pen - want), `B=${B} H=${H}: ${pen} vs ${want}`).toBeLessThanOrEqual(1e-13 * Math.abs(want) + 1e-16);
      const rh = rhoHat(h, B, H);
      for (let j = 0; j < H; j++) {
        expect(rhohat[j]).toBe(Math.fround(rh[j]));
        const c = clamp(rh[j]);
        const g = Math.fround(((scale * weight) / B) * (-rho / c + (1 - rho) / (1 - c)));
        for (let b = 0; b < B; b++) expect(dh[b * H + j], `${b},${j}`).toBe(Math.fround(dh0[b * H + j] + g));
      }
    }
  });

  it("the gradient matches float64 central differences and TF.js autograd of the penalty", () => {
    const B = 6, H = 11, rho = 0.1, weight = 1.5, scale = 0.5;
    const h = acts(B * H, 77);
    const { dh } = kl("", h, B, H, rho, weight, scale);
    const v = Float64Array.from(h);
    for (let i = 0; i < B * H; i++) {
      const x0 = v[i];
      v[i] = x0 + 1e-7;
      const fp = klRef(v, B, H, rho, weight);
      v[i] = x0 - 1e-7;
      const fm = klRef(v, B, H, rho, weight);
      v[i] = x0;
      const fd = (scale * (fp - fm)) / 2e-7;
      expect(Math.abs(dh[i] - fd), `${i}: ${dh[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-7);
    }
    const f = (t: TF) => {
      const r = tf.mean(t, 0);
      return tf.mul(scale * weight, tf.sum(tf.add(tf.mul(rho, tf.log(tf.div(rho, r))), tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, r)))))));
    };
    const tg: Float32Array = tf.grad(f)(tf.tensor2d(h, [B, H])).dataSync();
    for (let i = 0; i < B * H; i++) expect(Math.abs(dh[i] - tg[i]), `${i} vs tf`).toBeLessThanOrEqual(2e-6 * Math.abs(tg[i]));
  });

  it("clamps ρ̂ to [1e-6, 1 − 1e-6] (dead and saturated units stay finite); ρ = 0 and ρ = 1 give no NaN", () => {
    const B = 3, H = 5;
    const h = new Float32Array(B * H);
    for (let b = 0; b < B; b++) { h[b * H + 1] = 1; h[b * H + 2] = 0.5; h[b * H + 3] = 1e-9; h[b * H + 4] = 0.25; }
    for (const rho of [0.05, 0, 1]) {
      for (const variant of ["", "_scalar"] as const) {
        const r = kl(variant, h, B, H, rho, 1, 1);
        expect(Number.isFinite(r.pen)).toBe(true);
        expect(Math.abs(r.pen - klRef(h, B, H, rho, 1))).toBeLessThanOrEqual(1e-13 * Math.abs(r.pen) + 1e-16);
        expect(r.dh.every(Number.isFinite)).toBe(true);
        expect(r.rhohat[0]).toBe(0); // written unclamped
        expect(r.rhohat[1]).toBe(1);
      }
    }
    // ρ = ρ̂ everywhere: penalty 0, gradient 0
    const flat = new Float32Array(4 * 6).fill(0.25);
    const z = kl("", flat, 4, 6, 0.25, 2, 1);
    expect(Math.abs(z.pen)).toBeLessThan(1e-16);
    for (const g of z.dh) expect(Math.abs(g)).toBeLessThan(1e-7);
  });

  it("writes no gradient for pointer 0 (only rhohat)", () => {
    const B = 3, H = 9, h = acts(B * H, 2);
    const want = kl("", h, B, H, 0.1, 1, 1);
    for (const variant of ["", "_scalar"] as const) {
      k.reset();
      const rh = k.alloc(H);
      const ph = k.put(h);
      const before = new Uint8Array(k.memory.buffer, 0, 8192).slice();
      const pen = k.x["sparsity_kl_loss" + variant](0, rh, ph, B, H, 0.1, 1, 1);
      const after = new Uint8Array(k.memory.buffer, 0, 8192).slice();
      after.fill(0, rh, rh + 4 * H); // everything but rhohat is unchanged
      before.fill(0, rh, rh + 4 * H);
      expect(after).toEqual(before);
      expect(pen).toBe(want.pen);
      expect(k.get(rh, H)).toEqual(want.rhohat);
    }
  });
});
