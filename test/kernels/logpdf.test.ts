// logpdf: diagonal Gaussian log-density and its backward pass — SIMD vs scalar twin (bit-identical), values vs
// float64, the N(0, I) path (stats = 0) equal to explicit zeros bit for bit, gradients vs the closed form,
// float64 central differences and TF.js autograd, accumulation, pointer-0 skips and log-variances of ±30.
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const BATCHES = [1, 2, 3, 4, 5];
const LOG_2PI = Math.log(2 * Math.PI);

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

function forward(variant: "" | "_scalar", z: Float32Array, stats: Float32Array | null, B: number, L: number): Float32Array {
  k.reset();
  const out = k.alloc(B);
  k.x["gaussian_logpdf_forward" + variant](out, k.put(z), stats ? k.put(stats) : 0, B, L);
  return k.get(out, B);
}

interface Grads { dz: Float32Array; dstats: Float32Array }

function backward(variant: "" | "_scalar", dlogp: Float32Array, z: Float32Array, stats: Float32Array | null, B: number, L: number,
  init: { dz?: Float32Array | null; dstats?: Float32Array | null } = {}): Grads {
  k.reset();
  const dz = k.put(init.dz ?? new Float32Array(B * L));
  const dst = k.put(init.dstats ?? new Float32Array(B * 2 * L));
  k.x["gaussian_logpdf_backward" + variant](init.dz === null ? 0 : dz, init.dstats === null ? 0 : dst, k.put(dlogp), k.put(z),
    stats ? k.put(stats) : 0, B, L);
  return { dz: k.get(dz, B * L), dstats: k.get(dst, B * 2 * L) };
}

function ref(z: ArrayLike<number>, st: ArrayLike<number> | null, B: number, L: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let l = 0; l < L; l++) {
      const mu = st ? st[b * 2 * L + l] : 0, lv = st ? st[b * 2 * L + L + l] : 0;
      const d = z[b * L + l] - mu;
      s += -0.5 * (lv + d * d * Math.exp(-lv) + LOG_2PI);
    }
    out.push(s);
  }
  return out;
}

function stats(B: number, L: number, seed: number, lvLo = -4, lvHi = 3): Float32Array {
  const s = randomArray(B * 2 * L, seed, -2, 2);
  const lv = randomArray(B * L, seed + 1, lvLo, lvHi);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) s[b * 2 * L + L + l] = lv[b * L + l];
  return s;
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

describe("gaussian_logpdf: SIMD vs scalar twin", () => {
  it("forward, with stats and for N(0, I), over B × L sweeps", () => {
    for (const B of BATCHES) for (const L of SIZES) {
      const z = randomArray(B * L, L + 7 * B, -4, 4), st = stats(B, L, 3 * L + B, -30, 30);
      expectBitIdentical(forward("", z, st, B, L), forward("_scalar", z, st, B, L), `stats B=${B} L=${L}`);
      expectBitIdentical(forward("", z, null, B, L), forward("_scalar", z, null, B, L), `prior B=${B} L=${L}`);
    }
  });

  it("backward, accumulating, for every pointer combination, with stats and for N(0, I)", () => {
    for (const B of BATCHES) for (const L of SIZES) {
      const z = randomArray(B * L, L + B, -4, 4), st = stats(B, L, 5 * L + B, -30, 30), w = randomArray(B, B + L, -2, 2);
      const dz0 = randomArray(B * L, 1, -1, 1), ds0 = randomArray(B * 2 * L, 2, -1, 1);
      for (const init of [{ dz: dz0, dstats: ds0 }, { dz: null, dstats: ds0 }, { dz: dz0, dstats: null }]) {
        for (const s of [st, null]) {
          const a = backward("", w, z, s, B, L, init), c = backward("_scalar", w, z, s, B, L, init);
          const label = `B=${B} L=${L} dz=${init.dz !== null} dstats=${init.dstats !== null} stats=${s !== null}`;
          expectBitIdentical(a.dz, c.dz, `dz ${label}`);
          expectBitIdentical(a.dstats, c.dstats, `dstats ${label}`);
        }
      }
    }
  });
});

describe("gaussian_logpdf_forward", () => {
  it("matches Σ −½(lv + (z − μ)²e^(−lv) + log 2π) in float64 (relative 3e-7 of the terms' magnitudes)", () => {
    for (const [B, L, lo, hi] of [[4, 64, -4, 3], [3, 33, -30, 30], [5, 7, -1e-3, 1e-3]]) {
      const z = randomArray(B * L, B + L, -3, 3), st = stats(B, L, L, lo, hi);
      const got = forward("", z, st, B, L), want = ref(z, st, B, L);
      for (let b = 0; b < B; b++) {
        let mag = 0;
        for (let l = 0; l < L; l++) {
          const lv = st[b * 2 * L + L + l], d = z[b * L + l] - st[b * 2 * L + l];
          mag += 0.5 * (Math.abs(lv) + d * d * Math.exp(-lv) + LOG_2PI);
        }
        expect(Math.abs(got[b] - want[b]) / mag, `B=${B} L=${L} b=${b}: ${got[b]} vs ${want[b]}`).toBeLessThan(3e-7);
      }
    }
  });

  it("stats = 0 is N(0, I), bit for bit the same as explicit zeros (exp(−0) = 1 exactly)", () => {
    for (const [B, L] of [[3, 17], [2, 4], [1, 1]]) {
      const z = randomArray(B * L, L, -5, 5);
      const prior = forward("", z, null, B, L);
      expectBitIdentical(prior, forward("", z, new Float32Array(B * 2 * L), B, L), `B=${B} L=${L}`);
      const want = ref(z, null, B, L);
      for (let b = 0; b < B; b++) expect(Math.abs(prior[b] - want[b])).toBeLessThanOrEqual(2.5e-7 * Math.abs(want[b]));
    }
  });

  it("is finite and accurate at logσ² = ±30", () => {
    const B = 2, L = 8;
    const st = new Float32Array(B * 2 * L);
    const z = new Float32Array(B * L);
    for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) {
      const lv = l % 2 ? 30 : -30;
      st[b * 2 * L + L + l] = lv;
      st[b * 2 * L + l] = 0.5;
      z[b * L + l] = 0.5 + (l % 3) * Math.exp(lv / 2); // (z − μ)² e^(−lv) ∈ {0, 1, 4}
    }
    for (const variant of ["", "_scalar"] as const) {
      const got = forward(variant, z, st, B, L), want = ref(z, st, B, L);
      for (let b = 0; b < B; b++) {
        expect(Number.isFinite(got[b])).toBe(true);
        expect(Math.abs(got[b] - want[b])).toBeLessThanOrEqual(3e-7 * (30 * L));
      }
      const g = backward(variant, new Float32Array([1, -1]), z, st, B, L);
      for (const v of [...g.dz, ...g.dstats]) expect(Number.isFinite(v)).toBe(true);
    }
  });
});

describe("gaussian_logpdf_backward", () => {
  it("dz −= w·r, dμ += w·r, dlv += w·½((z − μ)·r − 1), r = (z − μ)e^(−lv): closed form, central differences, tfjs", () => {
    const B = 4, L = 11;
    const z = randomArray(B * L, 31, -3, 3), st = stats(B, L, 32), w = new Float32Array([0.7, -1.3, 2, 0.25]);
    const dz0 = randomArray(B * L, 33), ds0 = randomArray(B * 2 * L, 34);
    const { dz, dstats } = backward("", w, z, st, B, L, { dz: dz0, dstats: ds0 });
    for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) {
      const mu = st[b * 2 * L + l], lv = st[b * 2 * L + L + l], d = z[b * L + l] - mu;
      const r = d * Math.exp(-lv);
      const tol = (v: number, base: number) => 4e-7 * (Math.abs(v) + Math.abs(base)) + 1e-9;
      const wz = dz0[b * L + l] - w[b] * r, wm = ds0[b * 2 * L + l] + w[b] * r;
      const wl = ds0[b * 2 * L + L + l] + w[b] * 0.5 * (d * r - 1);
      expect(Math.abs(dz[b * L + l] - wz), `dz ${b},${l}`).toBeLessThanOrEqual(tol(w[b] * r, dz0[b * L + l]));
      expect(Math.abs(dstats[b * 2 * L + l] - wm), `dmu ${b},${l}`).toBeLessThanOrEqual(tol(w[b] * r, ds0[b * 2 * L + l]));
      expect(Math.abs(dstats[b * 2 * L + L + l] - wl), `dlv ${b},${l}`).toBeLessThanOrEqual(tol(w[b] * (d * r + 1), ds0[b * 2 * L + L + l]));
    }
    // central differences of Σ_b w_b·logp_b in float64
    const vz = Float64Array.from(z), vs = Float64Array.from(st);
    const total = () => ref(vz, vs, B, L).reduce((a, lp, b) => a + w[b] * lp, 0);
    const fresh = backward("", w, z, st, B, L);
    for (let i = 0; i < B * L; i++) {
      const fd = centralDiff(vz, i, total, 1e-6);
      expect(Math.abs(fresh.dz[i] - fd), `dz ${i}: ${fresh.dz[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-6);
    }
    for (let i = 0; i < B * 2 * L; i++) {
      const fd = centralDiff(vs, i, total, 1e-6);
      expect(Math.abs(fresh.dstats[i] - fd), `dstats ${i}: ${fresh.dstats[i]} vs ${fd}`).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-6);
    }
    // TF.js autograd of the same weighted sum, with respect to z and stats
    const f = (zt: TF, stt: TF) => {
      const mu = tf.slice(stt, [0, 0], [B, L]), lv = tf.slice(stt, [0, L], [B, L]);
      const lp = tf.mul(-0.5, tf.sum(tf.add(tf.add(lv, tf.mul(tf.square(tf.sub(zt, mu)), tf.exp(tf.neg(lv)))), LOG_2PI), 1));
      return tf.sum(tf.mul(lp, tf.tensor1d(w)));
    };
    const [gz, gs] = tf.grads(f)([tf.tensor2d(z, [B, L]), tf.tensor2d(st, [B, 2 * L])]);
    const tz: Float32Array = gz.dataSync(), ts: Float32Array = gs.dataSync();
    for (let i = 0; i < B * L; i++) expect(Math.abs(fresh.dz[i] - tz[i]), `dz ${i} vs tf`).toBeLessThanOrEqual(2e-6 * Math.abs(tz[i]) + 1e-6);
    for (let i = 0; i < B * 2 * L; i++) {
      expect(Math.abs(fresh.dstats[i] - ts[i]), `dstats ${i} vs tf`).toBeLessThanOrEqual(2e-6 * Math.abs(ts[i]) + 1e-6);
    }
  });

  it("N(0, I): dz −= w·z and dstats is never touched; a zero dz or dstats pointer skips exactly that output", () => {
    const B = 3, L = 6;
    const z = randomArray(B * L, 1, -2, 2), st = stats(B, L, 2), w = new Float32Array([1, -0.5, 3]);
    const ds0 = randomArray(B * 2 * L, 3);
    const prior = backward("", w, z, null, B, L, { dstats: ds0 });
    expect(prior.dstats).toEqual(ds0);
    for (let i = 0; i < B * L; i++) expect(prior.dz[i]).toBe(Math.fround(0 - Math.fround(w[Math.floor(i / L)] * z[i])));
    const both = backward("", w, z, st, B, L, { dstats: ds0 });
    const noDz = backward("", w, z, st, B, L, { dz: null, dstats: ds0 });
    const noDs = backward("", w, z, st, B, L, { dstats: null });
    expect(noDz.dstats).toEqual(both.dstats);
    expect(noDz.dz).toEqual(new Float32Array(B * L));
    expect(noDs.dz).toEqual(both.dz);
    expect(noDs.dstats).toEqual(new Float32Array(B * 2 * L));
  });
});
