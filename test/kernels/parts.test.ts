// parts_*_loss: likelihoods of named parts of a row with a per-row presence mask — SIMD vs scalar twin
// (bit-identical) over part counts, widths, strides and masks; losses vs float64; gradients (of the outputs and of
// the learned log scales) vs float64 central differences and TF.js autograd; masked parts give 0 and touch no
// gradient even when their data are NaN; dout and dpar accumulate.
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadTf, type TF } from "../helpers/tf";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

type Kind = "bernoulli" | "gaussian" | "laplace" | "cbernoulli" | "poisson" | "categorical" | "negbinomial";
const SCALED = new Set<Kind>(["gaussian", "laplace", "negbinomial"]);
const TWINNED: Kind[] = ["bernoulli", "gaussian", "laplace", "cbernoulli", "poisson", "negbinomial"];
const ALL: Kind[] = [...TWINNED, "categorical"];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

function logFactorial(x: number): number {
  let s = 0;
  for (let i = 2; i <= x; i++) s += Math.log(i);
  return s;
}
const softplus = (l: number): number => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));

/** float64 −log p of one part (w values of out/x, log scales s). */
function ref(kind: Kind, l: number[], x: number[], s: number[]): number {
  if (kind === "categorical") {
    const m = Math.max(...l);
    const lse = m + Math.log(l.reduce((a, v) => a + Math.exp(v - m), 0));
    return x.reduce((a, xc, c) => a + xc * (lse - l[c]), 0);
  }
  let t = 0;
  for (let d = 0; d < l.length; d++) {
    const li = l[d], xi = x[d];
    if (kind === "bernoulli") t += softplus(li) - xi * li;
    else if (kind === "gaussian") t += 0.5 * ((li - xi) * Math.exp(-s[d])) ** 2 + s[d] + HALF_LOG_2PI;
    else if (kind === "laplace") t += Math.abs(li - xi) * Math.exp(-s[d]) + s[d] + Math.LN2;
    else if (kind === "cbernoulli") t += softplus(li) - xi * li - Math.log(li / Math.tanh(li / 2));
    else if (kind === "negbinomial") {
      // log Γ(x + r) − log Γ(r) = Σ_{i<x} log(r + i) for a whole count x
      const r = Math.exp(s[d]);
      let lg = 0;
      for (let i = 0; i < xi; i++) lg += Math.log(r + i);
      t += -lg + logFactorial(xi) + (r + xi) * Math.log(r + Math.exp(li)) - r * s[d] - xi * li;
    } else t += Math.exp(li) - xi * li + logFactorial(xi);
  }
  return t;
}

interface Case {
  B: number; n: number; w: number; ostride: number; xstride: number; lstride: number; o0: number; x0: number;
  out: Float32Array; x: Float32Array; s: Float32Array; mask?: Float32Array;
}

function makeCase(kind: Kind, B: number, n: number, w: number, seed: number, masked: boolean): Case {
  const o0 = seed % 3, x0 = (seed + 1) % 2; // the parts start inside wider rows
  const ostride = n * w + o0 + 2, xstride = n * w + x0 + 1, lstride = n + 1;
  const out = randomArray(B * ostride, seed, -3, 3);
  const x = randomArray(B * xstride, seed + 1, 0, 1);
  if (kind === "gaussian" || kind === "laplace") {
    const u = randomArray(B * xstride, seed + 5, -3, 3);
    x.set(u);
    for (let i = 0; i < x.length; i += 5) x[i] = out[i]; // exact zeros of out − x
  }
  if (kind === "poisson" || kind === "negbinomial") for (let i = 0; i < x.length; i++) x[i] = Math.floor(x[i] * 12);
  if (kind === "categorical") {
    x.fill(0);
    const pick = randomArray(B * n, seed + 2, 0, w);
    for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) x[b * xstride + x0 + j * w + Math.floor(pick[b * n + j])] = 1;
  }
  if (kind === "cbernoulli") for (let i = 0; i < out.length; i++) if (Math.abs(out[i]) < 1e-3) out[i] = 0.5;
  const s = randomArray(n * w, seed + 3, -1.5, 1);
  let mask: Float32Array | undefined;
  if (masked) {
    mask = new Float32Array(B * lstride).fill(7); // padding column too
    const u = randomArray(B * lstride, seed + 4);
    for (let i = 0; i < mask.length; i++) mask[i] = u[i] < -0.3 ? 0 : u[i] < 0.5 ? 1 : 0.25;
    // missing data may be anything: NaN there must not leak into losses or gradients
    for (let b = 0; b < B; b++) for (let j = 0; j < n; j++) {
      if (mask[b * lstride + j] !== 0) continue;
      for (let d = 0; d < w; d++) x[b * xstride + x0 + j * w + d] = NaN;
    }
  }
  return { B, n, w, ostride, xstride, lstride, o0, x0, out, x, s, mask };
}

interface Result { losses: Float32Array; dout: Float32Array; dpar: Float32Array }

function call(kind: Kind, twin: boolean, c: Case, scale: number, opts: { dout0?: Float32Array; dpar0?: Float32Array;
  noDout?: boolean; noDpar?: boolean } = {}): Result {
  k.reset();
  const dout = k.put(opts.dout0 ?? new Float32Array(c.B * c.ostride));
  const dpar = k.put(opts.dpar0 ?? new Float32Array(c.n * c.w));
  const losses = k.put(new Float32Array(c.B * c.lstride).fill(-5));
  const out = k.put(c.out), x = k.put(c.x), s = k.put(c.s);
  const mask = c.mask ? k.put(c.mask) : 0;
  const name = `parts_${kind}_loss${twin ? "_scalar" : ""}`;
  const dO = opts.noDout ? 0 : dout + c.o0 * 4;
  const tail = [losses, out + c.o0 * 4, x + c.x0 * 4];
  if (SCALED.has(kind)) k.x[name](dO, opts.noDpar ? 0 : dpar, ...tail, s, mask, c.B, c.n, c.w, c.ostride, c.xstride, c.lstride, scale);
  else k.x[name](dO, ...tail, mask, c.B, c.n, c.w, c.ostride, c.xstride, c.lstride, scale);
  return { losses: k.get(losses, c.B * c.lstride), dout: k.get(dout, c.B * c.ostride), dpar: k.get(dpar, c.n * c.w) };
}

const part = (c: Case, b: number, j: number) => ({
  l: Array.from(c.out.subarray(b * c.ostride + c.o0 + j * c.w, b * c.ostride + c.o0 + (j + 1) * c.w)),
  x: Array.from(c.x.subarray(b * c.xstride + c.x0 + j * c.w, b * c.xstride + c.x0 + (j + 1) * c.w)),
  s: Array.from(c.s.subarray(j * c.w, (j + 1) * c.w)),
});
const present = (c: Case, b: number, j: number) => !c.mask || c.mask[b * c.lstride + j] !== 0;

describe("parts kernels: SIMD vs scalar twin", () => {
  it("bit-identical losses, accumulated dout and dpar over n × w × B, strides and masks", () => {
    for (const kind of TWINNED) for (const n of [1, 2, 3, 4, 5, 8, 9]) for (const w of [1, 2, 3, 4, 5, 9]) {
      for (const B of [1, 3]) for (const masked of [false, true]) {
        const c = makeCase(kind, B, n, w, 31 * n + 7 * w + B, masked);
        const dout0 = randomArray(B * c.ostride, n + w, -1, 1), dpar0 = randomArray(n * w, n * w + 3, -1, 1);
        for (const opts of [{}, { noDout: true }, { noDpar: true }]) {
          const a = call(kind, false, c, -0.7, { dout0, dpar0, ...opts });
          const t = call(kind, true, c, -0.7, { dout0, dpar0, ...opts });
          const label = `${kind} n=${n} w=${w} B=${B} masked=${masked} ${JSON.stringify(opts)}`;
          expectBitIdentical(a.losses, t.losses, `losses ${label}`);
          expectBitIdentical(a.dout, t.dout, `dout ${label}`);
          expectBitIdentical(a.dpar, t.dpar, `dpar ${label}`);
        }
      }
    }
  });
});

describe("parts kernels: values, masks and gradients", () => {
  for (const kind of ALL) {
    it(`${kind}: losses vs float64; a missing part gives +0 and no gradient, the padding is untouched`, () => {
      for (const [n, w] of kind === "categorical" ? [[1, 3], [2, 5], [3, 1 + 1]] : [[1, 1], [6, 1], [2, 3], [1, 9]]) {
        const c = makeCase(kind, 4, n, w, 100 * n + w, true);
        const dout0 = randomArray(c.B * c.ostride, 5, -1, 1), dpar0 = randomArray(n * w, 6, -1, 1);
        const r = call(kind, false, c, 1, { dout0, dpar0 });
        for (let b = 0; b < c.B; b++) {
          for (let j = 0; j < n; j++) {
            const got = r.losses[b * c.lstride + j];
            if (!present(c, b, j)) {
              expect(Object.is(got, 0), `${kind} b=${b} j=${j} missing loss`).toBe(true);
              for (let d = 0; d < w; d++) {
                const i = b * c.ostride + c.o0 + j * w + d;
                expect(r.dout[i], `missing part's dout ${i}`).toBe(dout0[i]);
              }
              continue;
            }
            const p = part(c, b, j);
            const want = ref(kind, p.l, p.x, p.s);
            expect(Math.abs(got - want), `${kind} b=${b} j=${j}: ${got} vs ${want}`).toBeLessThan(2e-6 * Math.max(1, Math.abs(want)) * w);
          }
          expect(r.losses[b * c.lstride + n], "padding column of losses").toBe(-5);
          for (let i = 0; i < c.o0; i++) expect(r.dout[b * c.ostride + i]).toBe(dout0[b * c.ostride + i]);
        }
        if (SCALED.has(kind)) {
          // a part missing in every row leaves its log-scale gradient exactly as it was
          const all = makeCase(kind, 3, n, w, 9 + n, true);
          all.mask!.fill(0);
          const rr = call(kind, false, all, 1, { dpar0 });
          expectBitIdentical(rr.dpar, dpar0, `${kind} all missing: dpar`);
          expect(Array.from(rr.losses).every((v, i) => i % all.lstride === n || Object.is(v, 0))).toBe(true);
        }
      }
    });

    it(`${kind}: ∂loss/∂out${SCALED.has(kind) ? " and ∂loss/∂log scale" : ""} vs float64 central differences`, () => {
      const [n, w] = kind === "categorical" ? [2, 4] : [3, 2];
      const c = makeCase(kind, 3, n, w, 77, true);
      const scale = 0.8;
      const r = call(kind, false, c, scale);
      const total = (o: Float64Array, s: Float64Array) => {
        let t = 0;
        for (let b = 0; b < c.B; b++) for (let j = 0; j < n; j++) {
          if (!present(c, b, j)) continue;
          const p = part(c, b, j);
          const l = Array.from(o.subarray(b * c.ostride + c.o0 + j * w, b * c.ostride + c.o0 + (j + 1) * w));
          t += ref(kind, l, p.x, Array.from(s.subarray(j * w, (j + 1) * w)));
        }
        return t * scale;
      };
      const o = Float64Array.from(c.out), s = Float64Array.from(c.s), h = 1e-6;
      for (let i = 0; i < o.length; i++) {
        const v = o[i];
        o[i] = v + h; const fp = total(o, s);
        o[i] = v - h; const fm = total(o, s);
        o[i] = v;
        const fd = (fp - fm) / (2 * h);
        expect(Math.abs(r.dout[i] - fd), `dout[${i}] ${r.dout[i]} vs ${fd}`).toBeLessThan(2e-5 * Math.max(1, Math.abs(fd)));
      }
      if (SCALED.has(kind)) for (let i = 0; i < s.length; i++) {
        const v = s[i];
        s[i] = v + h; const fp = total(o, s);
        s[i] = v - h; const fm = total(o, s);
        s[i] = v;
        const fd = (fp - fm) / (2 * h);
        expect(Math.abs(r.dpar[i] - fd), `dpar[${i}] ${r.dpar[i]} vs ${fd}`).toBeLessThan(5e-5 * Math.max(1, Math.abs(fd)));
      }
    });

    it(`${kind}: gradients vs TF.js autograd`, () => {
      const [n, w] = kind === "categorical" ? [1, 5] : [4, 1];
      const c = makeCase(kind, 5, n, w, 5, false);
      // TF works on the dense [B, n·w] block
      const W = n * w;
      const L = new Float32Array(c.B * W), X = new Float32Array(c.B * W);
      for (let b = 0; b < c.B; b++) for (let i = 0; i < W; i++) {
        L[b * W + i] = c.out[b * c.ostride + c.o0 + i];
        X[b * W + i] = c.x[b * c.xstride + c.x0 + i];
      }
      const r = call(kind, false, c, 1);
      const xt = tf.tensor2d(X, [c.B, W]);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const f = (l: any, s: any) => {
        if (kind === "bernoulli") return tf.sum(tf.sub(tf.softplus(l), tf.mul(xt, l)));
        if (kind === "gaussian") return tf.sum(tf.add(tf.mul(0.5, tf.square(tf.mul(tf.sub(l, xt), tf.exp(tf.neg(s))))), s));
        if (kind === "laplace") return tf.sum(tf.add(tf.mul(tf.abs(tf.sub(l, xt)), tf.exp(tf.neg(s))), s));
        if (kind === "cbernoulli") return tf.sum(tf.sub(tf.sub(tf.softplus(l), tf.mul(xt, l)), tf.log(tf.div(l, tf.tanh(tf.mul(0.5, l))))));
        if (kind === "poisson") return tf.sum(tf.sub(tf.exp(l), tf.mul(xt, l)));
        if (kind === "negbinomial") {
          const r = tf.exp(s);
          let t = tf.sub(tf.mul(tf.add(r, xt), tf.log(tf.add(r, tf.exp(l)))), tf.add(tf.mul(r, s), tf.mul(xt, l)));
          for (let i = 0; i < 12; i++) t = tf.sub(t, tf.mul(tf.cast(tf.greater(xt, i), "float32"), tf.log(tf.add(r, i))));
          return tf.sum(t);
        }
        return tf.sum(tf.mul(xt, tf.neg(tf.logSoftmax(l))));
      };
      const lt = tf.tensor2d(L, [c.B, W]);
      const [gl, gs] = SCALED.has(kind) ? tf.grads(f)([lt, tf.tensor1d(c.s)]) : [tf.grad((l: unknown) => f(l, undefined))(lt)];
      const tl: Float32Array = gl.dataSync(), ts: Float32Array | undefined = gs?.dataSync();
      for (let b = 0; b < c.B; b++) for (let i = 0; i < W; i++) {
        const got = r.dout[b * c.ostride + c.o0 + i], want = tl[b * W + i];
        expect(Math.abs(got - want), `${kind} dout b=${b} i=${i}: ${got} vs ${want}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      }
      if (SCALED.has(kind)) for (let i = 0; i < W; i++) {
        expect(Math.abs(r.dpar[i] - ts![i]), `${kind} dpar ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ts![i])));
      }
    });
  }
});
