// Batch-norm kernels of assembly/batchnorm.ts on channels-last rows [R, ld]: training forward (batch statistics,
// saved f64 mean/invstd, PyTorch's running-stat update), eval forward, backward. SIMD (f64x2) against the scalar twins
// bit for bit; against float64 references; the backward against float64 central finite differences of
// L = Σ G ⊙ bn(X) and against TF.js autograd of the same L.
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

const EPS = 1e-5, MOM = 0.1;
const U = 2 ** -24;

function same(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const fa = Float32Array.from(a), fb = Float32Array.from(b);
  const ua = new Uint32Array(fa.buffer), ub = new Uint32Array(fb.buffer);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return ua.length === ub.length ? -1 : 0;
}

interface Case { R: number; C: number; ld: number; X: Float32Array; gamma?: Float32Array; beta?: Float32Array; rm: Float32Array; rv: Float32Array; G: Float32Array }
function makeCase(R: number, C: number, ld: number, seed: number, affine = true, offset = 0): Case {
  const X = randomArray(R * ld, seed, -2 + offset, 3 + offset);
  return {
    R, C, ld, X,
    gamma: affine ? randomArray(C, seed + 1, 0.5, 1.5) : undefined,
    beta: affine ? randomArray(C, seed + 2, -1, 1) : undefined,
    rm: randomArray(C, seed + 3, -0.5, 0.5),
    rv: randomArray(C, seed + 4, 0.5, 2),
    G: randomArray(R * ld, seed + 5),
  };
}

function runTrain(cs: Case, scalar: boolean, running = true) {
  const { R, C, ld } = cs;
  const sfx = scalar ? "_scalar" : "";
  k.reset();
  const pX = k.put(cs.X), pY = k.put(new Float32Array(R * ld).fill(7)); // 7: columns ≥ C must stay as they are
  const stats = k.alloc(4 * C), pMean = stats, pInv = stats + 8 * C;
  const pg = cs.gamma ? k.put(cs.gamma) : 0, pb = cs.beta ? k.put(cs.beta) : 0;
  const prm = running ? k.put(cs.rm) : 0, prv = k.put(cs.rv);
  k.x[`batchnorm_forward_train${sfx}`](pY, pMean, pInv, pX, pg, pb, prm, prv, R, C, ld, EPS, MOM);
  const Y = k.get(pY, R * ld);
  const mean = new Float64Array(k.memory.buffer, pMean, C).slice(), invstd = new Float64Array(k.memory.buffer, pInv, C).slice();
  const rm = running ? k.get(prm, C) : undefined, rv = k.get(prv, C);
  // backward with dγ, dβ accumulating onto 0.25
  const pdY = k.put(cs.G), pdX = k.put(new Float32Array(R * ld).fill(7));
  const pdg = k.put(new Float32Array(C).fill(0.25)), pdb = k.put(new Float32Array(C).fill(0.25));
  k.x[`batchnorm_backward${sfx}`](pdX, pdg, pdb, pdY, pX, pMean, pInv, pg, R, C, ld);
  return { Y, mean, invstd, rm, rv, dX: k.get(pdX, R * ld), dgamma: k.get(pdg, C), dbeta: k.get(pdb, C) };
}

function runEval(cs: Case, scalar: boolean): Float32Array {
  const { R, C, ld } = cs;
  k.reset();
  const pX = k.put(cs.X), pY = k.put(new Float32Array(R * ld).fill(7));
  const pg = cs.gamma ? k.put(cs.gamma) : 0, pb = cs.beta ? k.put(cs.beta) : 0;
  k.x[`batchnorm_forward_eval${scalar ? "_scalar" : ""}`](pY, pX, pg, pb, k.put(cs.rm), k.put(cs.rv), R, C, ld, EPS);
  return k.get(pY, R * ld);
}

/** Float64 batch norm of channel c: mean, biased var, y. */
function bn64(X: ArrayLike<number>, R: number, ld: number, c: number, gamma: number, beta: number) {
  let m = 0;
  for (let r = 0; r < R; r++) m += X[r * ld + c];
  m /= R;
  let v = 0;
  for (let r = 0; r < R; r++) v += (X[r * ld + c] - m) ** 2;
  v /= R;
  const inv = 1 / Math.sqrt(v + EPS);
  const y = new Float64Array(R);
  for (let r = 0; r < R; r++) y[r] = (X[r * ld + c] - m) * inv * gamma + beta;
  return { m, v, inv, y };
}

const SHAPES: [number, number, number][] = [];
for (const R of [1, 2, 5, 64, 257]) for (const C of [1, 2, 3, 4, 7, 16]) SHAPES.push([R, C, C], [R, C, C + 3]);

describe("batchnorm forward (training) and backward", () => {
  it("SIMD ≡ scalar twin bit for bit (Y, mean, invstd, running stats, dX, dγ, dβ) and within float64 bounds", () => {
    let n = 0;
    for (const [R, C, ld] of SHAPES) for (const affine of [true, false]) {
      const cs = makeCase(R, C, ld, 100 + n, affine, n % 3 === 0 ? 40 : 0);
      const a = runTrain(cs, false), s = runTrain(cs, true);
      const at = `R=${R} C=${C} ld=${ld} affine=${affine}`;
      expect(same(a.Y, s.Y), `${at} Y`).toBe(-1);
      expect(Array.from(a.mean), `${at} mean`).toEqual(Array.from(s.mean));
      expect(Array.from(a.invstd), `${at} invstd`).toEqual(Array.from(s.invstd));
      expect(same(a.rm!, s.rm!), `${at} rm`).toBe(-1);
      expect(same(a.rv, s.rv), `${at} rv`).toBe(-1);
      expect(same(a.dX, s.dX), `${at} dX`).toBe(-1);
      expect(same(a.dgamma, s.dgamma), `${at} dγ`).toBe(-1);
      expect(same(a.dbeta, s.dbeta), `${at} dβ`).toBe(-1);
      for (let c = 0; c < C; c++) {
        const g = cs.gamma ? cs.gamma[c] : 1, b = cs.beta ? cs.beta[c] : 0;
        const r = bn64(cs.X, R, ld, c, g, b);
        expect(Math.abs(a.mean[c] - r.m)).toBeLessThanOrEqual(1e-12 * (Math.abs(r.m) + 3));
        expect(Math.abs(a.invstd[c] - r.inv)).toBeLessThanOrEqual(1e-9 * r.inv);
        for (let i = 0; i < R; i++) {
          // one f32 rounding of an f64 value (plus f64 noise scaled by the centred input)
          const e = Math.abs(a.Y[i * ld + c] - r.y[i]);
          expect(e, `${at} Y[${i},${c}]`).toBeLessThanOrEqual(U * Math.abs(r.y[i]) + 1e-12 * (1 + Math.abs(cs.X[i * ld + c] * r.inv * g)));
        }
        const unb = R > 1 ? (r.v * R) / (R - 1) : r.v;
        expect(a.rm![c]).toBe(Math.fround((1 - MOM) * cs.rm[c] + MOM * r.m));
        expect(Math.abs(a.rv[c] - ((1 - MOM) * cs.rv[c] + MOM * unb))).toBeLessThanOrEqual(U * a.rv[c] + 1e-12 * unb);
      }
      // columns ≥ C of each row untouched
      for (let i = 0; i < R; i++) for (let c = C; c < ld; c++) {
        expect(a.Y[i * ld + c]).toBe(7);
        expect(a.dX[i * ld + c]).toBe(7);
      }
      n++;
    }
    expect(n).toBe(SHAPES.length * 2);
  });

  it("rmean = 0 leaves the running statistics alone and changes nothing else", () => {
    const cs = makeCase(33, 5, 5, 9);
    const a = runTrain(cs, false, true), b = runTrain(cs, false, false);
    expect(same(b.rv, cs.rv)).toBe(-1);
    expect(same(a.Y, b.Y)).toBe(-1);
    expect(same(a.dX, b.dX)).toBe(-1);
  });

  // Dense features (H = W = 1: R = batch, C = features) and conv images (R = N·H·W) are the same call.
  it.each<[number, number, string]>([[6, 5, "dense features, batch 6"], [2 * 3 * 3, 4, "2 images of 3×3×4"], [40, 7, "40 rows, 7 channels"]])(
    "%i rows × %i channels (%s): gradients match float64 central finite differences of L = Σ G ⊙ bn(X)",
    (R, C) => {
      const cs = makeCase(R, C, C, 700 + R);
      const X = Float64Array.from(cs.X), gm = Float64Array.from(cs.gamma!), bt = Float64Array.from(cs.beta!);
      const loss = () => {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const { y } = bn64(X, R, C, c, gm[c], bt[c]);
          for (let r = 0; r < R; r++) s += cs.G[r * C + c] * y[r];
        }
        return s;
      };
      const fd = (v: Float64Array) => {
        const g = new Float64Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x0 = v[i], h = 1e-6 * Math.max(1, Math.abs(x0));
          v[i] = x0 + h; const lp = loss();
          v[i] = x0 - h; const lm = loss();
          v[i] = x0;
          g[i] = (lp - lm) / (2 * h);
        }
        return g;
      };
      const gX = fd(X), gG = fd(gm), gB = fd(bt);
      const r = runTrain(cs, false);
      const scale = Math.max(...Array.from(gX, Math.abs));
      for (let i = 0; i < gX.length; i++) expect(Math.abs(r.dX[i] - gX[i])).toBeLessThanOrEqual(1e-5 * Math.abs(gX[i]) + 1e-6 * scale);
      for (let c = 0; c < C; c++) {
        expect(Math.abs(r.dgamma[c] - 0.25 - gG[c])).toBeLessThanOrEqual(1e-5 * (Math.abs(gG[c]) + 1));
        expect(Math.abs(r.dbeta[c] - 0.25 - gB[c])).toBeLessThanOrEqual(1e-5 * (Math.abs(gB[c]) + 1));
      }
    },
  );

  it.each([[64, 8], [200, 3], [9, 32]])("%i rows × %i channels: forward and gradients match tfjs autograd", (R, C) => {
    const cs = makeCase(R, C, C, 900 + R);
    const r = runTrain(cs, false);
    const tX = tf.tensor2d(cs.X, [R, C]), tg = tf.tensor1d(cs.gamma!), tb = tf.tensor1d(cs.beta!), tG = tf.tensor2d(cs.G, [R, C]);
    const f = (x: TF, g: TF, b: TF) => {
      const { mean, variance } = tf.moments(x, [0]);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPS))), g), b);
    };
    const y = f(tX, tg, tb).dataSync() as Float32Array;
    const [gX, gG, gB] = tf.grads((x: TF, g: TF, b: TF) => tf.sum(tf.mul(tG, f(x, g, b))))([tX, tg, tb]).map((t: TF) => t.dataSync() as Float32Array);
    const close = (got: ArrayLike<number>, want: ArrayLike<number>, off: number, tol: number, what: string) => {
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - off - want[i]), `${what}[${i}]`).toBeLessThanOrEqual(tol * (Math.abs(want[i]) + scale));
    };
    close(r.Y, y, 0, 2e-5, "Y");
    close(r.dX, gX, 0, 1e-4, "dX");
    close(r.dgamma, gG, 0.25, 1e-5, "dγ");
    close(r.dbeta, gB, 0.25, 1e-5, "dβ");
    tf.dispose([tX, tg, tb, tG]);
  });
});

describe("batchnorm forward (eval)", () => {
  it("SIMD ≡ scalar twin bit for bit, and y = (x − running_mean)/√(running_var + ε)·γ + β within one f32 rounding", () => {
    let n = 0;
    for (const [R, C, ld] of SHAPES) for (const affine of [true, false]) {
      const cs = makeCase(R, C, ld, 300 + n, affine);
      const a = runEval(cs, false), s = runEval(cs, true);
      expect(same(a, s), `R=${R} C=${C} ld=${ld}`).toBe(-1);
      for (let i = 0; i < R; i++) for (let c = 0; c < ld; c++) {
        const got = a[i * ld + c];
        if (c >= C) { expect(got).toBe(7); continue; }
        const g = cs.gamma ? cs.gamma[c] : 1, b = cs.beta ? cs.beta[c] : 0;
        const ref = ((cs.X[i * ld + c] - cs.rm[c]) / Math.sqrt(cs.rv[c] + EPS)) * g + b;
        expect(Math.abs(got - ref)).toBeLessThanOrEqual(U * Math.abs(ref) + 1e-12);
      }
      n++;
    }
  });
});
