// Convolution kernels of assembly/conv.ts: conv2d and conv2d_transpose, forward and backward. SIMD against the
// scalar twins (bit for bit) over kernel sizes 1/3/5, strides 1–3, symmetric and one-sided paddings, output
// paddings, odd image sizes and channel counts below, at, between and above the 4- and 8-wide tiles; against float64
// references with error bounds from the terms' magnitudes; gradients against float64 central finite differences of
// L = Σ G ⊙ act(conv(X, W) + b) and against TF.js autograd (tf.conv2d / tf.conv2dTranspose on its CPU backend).
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";
import { convGeometry, samePadding, type ConvGeometry, type ConvSpec } from "../../src/runtime/conv";
import { forward64, backward64 } from "../helpers/conv";

const ALPHA = 0.1;
const U = 2 ** -24;
const f = Math.fround;

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

function firstMismatch(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  return -1;
}

function act64(z: number, act: number): number {
  switch (act) {
    case 1: return z > 0 ? z : 0;
    case 2: return z > 0 ? z : f(ALPHA) * z;
    case 3: return Math.tanh(z);
    case 4: return 1 / (1 + Math.exp(-z));
    default: return z;
  }
}
function dzF32(dy: number, y: number, act: number): number {
  switch (act) {
    case 1: return y > 0 ? dy : 0;
    case 2: return y > 0 ? dy : f(f(ALPHA) * dy);
    case 3: return f(dy * f(1 - f(y * y)));
    case 4: return f(dy * f(y * f(1 - y)));
    default: return dy;
  }
}

/** max over i of |got − ref| / (rel·|ref| + abs·max|ref|) — ≤ 1 passes. */
function worst(got: ArrayLike<number>, ref: ArrayLike<number>, rel: number, abs: number): number {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  let w = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i] - ref[i]);
    if (!(e === e)) return Infinity;
    const t = rel * Math.abs(ref[i]) + abs * scale;
    w = Math.max(w, t === 0 ? (e === 0 ? 0 : Infinity) : e / t);
  }
  return w;
}

// ---- running the kernels ----------------------------------------------------------------------------------------
interface Case {
  g: ConvGeometry; N: number;
  X: Float32Array; W: Float32Array; b: Float32Array; G: Float32Array; dW0: Float32Array; db0: Float32Array;
}
function makeCase(spec: ConvSpec, N: number, seed: number, wScale = 1): Case {
  const g = convGeometry(spec);
  const [H, Wd, C, OH, OW, F, KH, KW] = g.geom;
  return {
    g, N,
    X: randomArray(N * H * Wd * C, seed),
    W: randomArray(KH * KW * C * F, seed + 1, -wScale, wScale),
    b: randomArray(F, seed + 2, -0.5, 0.5),
    G: randomArray(N * OH * OW * F, seed + 3),
    dW0: randomArray(KH * KW * C * F, seed + 4),
    db0: randomArray(F, seed + 5),
  };
}
function run(cs: Case, act: number, scalar: boolean, withDX = true) {
  const { g, N } = cs;
  const [H, Wd, C, OH, OW, F] = g.geom;
  const name = g.transpose ? "conv2d_transpose" : "conv2d";
  const sfx = scalar ? "_scalar" : "";
  k.reset();
  const pg = k.alloc(16);
  new Int32Array(k.memory.buffer, pg, 16).set(g.geom);
  const pX = k.put(cs.X), pW = k.put(cs.W), pb = k.put(cs.b), ps = k.alloc(g.scratchFloats);
  const nY = N * OH * OW * F, nX = N * H * Wd * C;
  const pY = k.alloc(nY);
  k.x[`${name}_forward${sfx}`](pY, pX, pW, pb, ps, pg, N, act, ALPHA);
  const Y = k.get(pY, nY);
  const pdY = k.put(cs.G), pdW = k.put(cs.dW0), pdb = k.put(cs.db0);
  // dX starts as garbage: the kernel must write every element
  const pdX = withDX ? k.put(randomArray(nX, 77)) : 0;
  k.x[`${name}_backward${sfx}`](pdX, pdW, pdb, pdY, pX, pW, pY, ps, pg, N, act, ALPHA);
  return {
    Y, dZ: k.get(pdY, nY), dW: k.get(pdW, cs.W.length), db: k.get(pdb, F), dX: pdX ? k.get(pdX, nX) : undefined,
  };
}

/** The sweep: every kernel size, stride and padding kind with sampled sizes and channel counts. */
const CHANNELS: [number, number][] = [[1, 1], [3, 4], [4, 8], [5, 9], [8, 17], [9, 3], [16, 12]];
const IMAGES = [5, 7, 8];
function* sweep(transpose: boolean): Generator<{ spec: ConvSpec; label: string }> {
  let i = 0;
  for (const kk of [1, 3, 5]) for (const s of [1, 2, 3]) {
    const pads: [number, number, number, number][] = [[0, 0, 0, 0], [kk >> 1, kk >> 1, kk >> 1, kk >> 1], [0, 1, 1, 0]];
    for (const [pt, pl, pb, pr] of pads) for (const size of IMAGES) for (const [C, F] of CHANNELS) {
      if (i++ % 3 !== 0) continue;
      const h = size, w = size + 2; // non-square
      const op = transpose ? (i % s) : 0; // output padding < stride
      const spec: ConvSpec = {
        inH: transpose ? Math.max(1, h - 3) : h, inW: transpose ? Math.max(1, w - 3) : w, inC: C, outC: F, kH: kk, kW: kk,
        strideH: s, strideW: s, padTop: pt, padLeft: pl, padBottom: pb, padRight: pr, outPadH: op, outPadW: transpose ? 0 : 0, transpose,
      };
      let ok = true;
      try { convGeometry(spec); } catch { ok = false; }
      if (ok) yield { spec, label: `k${kk} s${s} pad ${pt},${pl},${pb},${pr} op${op} ${spec.inH}x${spec.inW}x${C}→${F}` };
    }
  }
}

for (const transpose of [false, true]) {
  const name = transpose ? "conv2d_transpose" : "conv2d";
  describe(`${name} forward and backward`, () => {
    it("SIMD ≡ scalar twin bit for bit (Y, dZ, db, dW, dX) and both within float64 error bounds, over the sweep", () => {
      let n = 0;
      for (const { spec, label } of sweep(transpose)) {
        const act = n % 5;
        const cs = makeCase(spec, 2, 1000 + n);
        const a = run(cs, act, false), s = run(cs, act, true);
        expect(firstMismatch(a.Y, s.Y), `${label} Y`).toBe(-1);
        expect(firstMismatch(a.dZ, s.dZ), `${label} dZ`).toBe(-1);
        expect(firstMismatch(a.db, s.db), `${label} db`).toBe(-1);
        expect(firstMismatch(a.dW, s.dW), `${label} dW`).toBe(-1);
        expect(firstMismatch(a.dX!, s.dX!), `${label} dX`).toBe(-1);
        // forward: |y − act(z)| ≤ (terms + 2)·U·Σ|terms| + 4U·|act(z)| (act is 1-Lipschitz)
        const { z, t } = forward64(cs.g, cs.N, cs.X, cs.W, cs.b);
        const [, , C, , , , KH, KW] = cs.g.geom;
        const nt = KH * KW * C + 2;
        for (let e = 0; e < z.length; e++) {
          const ref = act64(z[e], act);
          const bound = (nt + 2) * U * t[e] + 4 * U * Math.abs(ref) + 1e-30;
          if (!(Math.abs(a.Y[e] - ref) <= bound)) expect.fail(`${label} act ${act}: Y[${e}] = ${a.Y[e]}, float64 ${ref}`);
        }
        // dZ is exactly the f32 formula on the kernel's own Y
        for (let e = 0; e < a.dZ.length; e++) {
          const want = dzF32(cs.G[e], a.Y[e], act);
          if (a.dZ[e] !== want) expect.fail(`${label} act ${act}: dZ[${e}] = ${a.dZ[e]}, want ${want}`);
        }
        // dW, dX, db from the kernel's dZ, against float64 sums of the same terms
        const r = backward64(cs.g, cs.N, cs.X, cs.W, a.dZ);
        const rows = cs.N * cs.g.geom[3] * cs.g.geom[4] + cs.N * cs.g.geom[0] * cs.g.geom[1];
        const check = (got: Float32Array, ref: Float64Array, terms: Float64Array, init: Float32Array | undefined, n: number, what: string) => {
          for (let e = 0; e < ref.length; e++) {
            const r0 = ref[e] + (init ? init[e] : 0), t0 = terms[e] + (init ? Math.abs(init[e]) : 0);
            if (!(Math.abs(got[e] - r0) <= (n + 2) * U * t0 + 1e-30)) expect.fail(`${label}: ${what}[${e}] = ${got[e]}, float64 ${r0}`);
          }
        };
        check(a.db, r.db, r.tb, cs.db0, rows, "db");
        check(a.dW, r.dW, r.tW, cs.dW0, rows, "dW");
        check(a.dX!, r.dX, r.tX, undefined, cs.g.geom[5] * KH * KW + 4, "dX");
        n++;
      }
      expect(n).toBeGreaterThan(60);
    });

    it("dX = 0 skips dX and leaves dW, db exactly as with dX", () => {
      const spec: ConvSpec = { inH: 7, inW: 6, inC: 5, outC: 9, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, transpose };
      const cs = makeCase(spec, 3, 42);
      for (const scalar of [false, true]) {
        const a = run(cs, 1, scalar, true), b = run(cs, 1, scalar, false);
        expect(b.dX).toBeUndefined();
        expect(firstMismatch(a.dW, b.dW)).toBe(-1);
        expect(firstMismatch(a.db, b.db)).toBe(-1);
      }
    });
  });
}

// The Keras conv VAE's layers (batch 20: the first layer's 3920 rows span two im2col chunks).
const KERAS: [string, ConvSpec][] = [
  ["enc conv 28x28x1→14x14x32", { inH: 28, inW: 28, inC: 1, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
  ["enc conv 14x14x32→7x7x64", { inH: 14, inW: 14, inC: 32, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
  ["dec convT 7x7x64→14x14x64", { inH: 7, inW: 7, inC: 64, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }],
  ["dec convT 14x14x64→28x28x32", { inH: 14, inW: 14, inC: 64, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }],
  ["dec convT 28x28x32→28x28x1", { inH: 28, inW: 28, inC: 32, outC: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, transpose: true }],
  ["keras same 28x28x1 s2 (pad 0,0,1,1)", { inH: 28, inW: 28, inC: 1, outC: 8, kH: 3, kW: 3, strideH: 2, strideW: 2, padBottom: 1, padRight: 1 }],
  ["pointwise 1x1 9x9x12→20", { inH: 9, inW: 9, inC: 12, outC: 20, kH: 1, kW: 1 }],
  ["pointwise transposed 1x1 9x9x12→20", { inH: 9, inW: 9, inC: 12, outC: 20, kH: 1, kW: 1, transpose: true }],
];
describe("the Keras conv VAE's shapes", () => {
  it.each(KERAS)("%s: SIMD ≡ scalar twin (batch 20), gradients match tfjs autograd (batch 2)", (_label, spec) => {
    const big = makeCase(spec, 20, 11, 0.3);
    const a = run(big, 1, false), s = run(big, 1, true);
    expect(firstMismatch(a.Y, s.Y)).toBe(-1);
    expect(firstMismatch(a.dW, s.dW)).toBe(-1);
    expect(firstMismatch(a.db, s.db)).toBe(-1);
    expect(firstMismatch(a.dX!, s.dX!)).toBe(-1);
    expectMatchesTfjs(makeCase(spec, 2, 12, 0.3), 1);
  });
});

const sub = (a: Float32Array, b: Float32Array) => Float64Array.from(a, (v, i) => v - b[i]);

/** The kernels' Y, dX, dW and db (from zero accumulators) against TF.js autograd of the same L. */
function expectMatchesTfjs(cs: Case, act: number): void {
  cs.dW0.fill(0); cs.db0.fill(0);
  const r = run(cs, act, false);
  const t = tfGrads(cs, act);
  expect(worst(r.Y, t.y, 1e-5, 1e-6), "Y").toBeLessThanOrEqual(1);
  expect(worst(r.dX!, t.gX, 1e-5, 1e-6), "dX").toBeLessThanOrEqual(1);
  expect(worst(r.dW, t.gW, 1e-5, 1e-5), "dW").toBeLessThanOrEqual(1);
  expect(worst(r.db, t.gb, 1e-5, 1e-5), "db").toBeLessThanOrEqual(1);
}

/** TF.js: y = act(conv(X, W) + b) and the gradients of L = Σ G ⊙ y (kernel W converted to TF's filter layouts). */
function tfGrads(cs: Case, act: number) {
  const [H, Wd, C, OH, OW, F, KH, KW, SH, SW, PT, PL, PB, PR] = cs.g.geom;
  const N = cs.N;
  const actTf = (t: TF) =>
    act === 1 ? tf.relu(t) : act === 2 ? tf.leakyRelu(t, ALPHA) : act === 3 ? tf.tanh(t) : act === 4 ? tf.sigmoid(t) : t;
  let filt: Float32Array;
  if (cs.g.transpose) {
    // ours W[c,ky,kx,f] → TF's conv2dTranspose filter [KH, KW, outChannels = F, inChannels = C]
    filt = new Float32Array(cs.W.length);
    for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) for (let o = 0; o < F; o++) {
      filt[((ky * KW + kx) * F + o) * C + c] = cs.W[((c * KH + ky) * KW + kx) * F + o];
    }
  } else filt = cs.W; // the same HWIO layout
  const tX = tf.tensor4d(cs.X, [N, H, Wd, C]);
  const tW = cs.g.transpose ? tf.tensor4d(filt, [KH, KW, F, C]) : tf.tensor4d(filt, [KH, KW, C, F]);
  const tb = tf.tensor1d(cs.b), tG = tf.tensor4d(cs.G, [N, OH, OW, F]);
  const conv = (x: TF, w: TF) => {
    if (!cs.g.transpose) return tf.conv2d(x, w, [SH, SW], [[0, 0], [PT, PB], [PL, PR], [0, 0]]);
    // full ("valid") transposed output, extended by zeros where the output padding passes its end, then cropped
    const fh = (H - 1) * SH + KH, fw = (Wd - 1) * SW + KW;
    let y = tf.conv2dTranspose(x, w, [N, fh, fw, F], [SH, SW], "valid");
    const extH = Math.max(0, PT + OH - fh), extW = Math.max(0, PL + OW - fw);
    if (extH > 0 || extW > 0) y = tf.pad(y, [[0, 0], [0, extH], [0, extW], [0, 0]]);
    return tf.slice(y, [0, PT, PL, 0], [N, OH, OW, F]);
  };
  const fwd = (x: TF, w: TF, bb: TF) => actTf(tf.add(conv(x, w), bb));
  const y = fwd(tX, tW, tb);
  const yData = Float64Array.from(y.dataSync() as Float32Array);
  const [gX, gWt, gb] = tf.grads((x: TF, w: TF, bb: TF) => tf.sum(tf.mul(tG, fwd(x, w, bb))))([tX, tW, tb])
    .map((t: TF) => t.dataSync() as Float32Array);
  let gW = Float64Array.from(gWt);
  if (cs.g.transpose) {
    gW = new Float64Array(cs.W.length);
    for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) for (let o = 0; o < F; o++) {
      gW[((c * KH + ky) * KW + kx) * F + o] = gWt[((ky * KW + kx) * F + o) * C + c];
    }
  }
  tf.dispose([tX, tW, tb, tG, y]);
  return { y: yData, gX: Float64Array.from(gX), gW, gb: Float64Array.from(gb) };
}

describe("gradients", () => {
  const FD: [string, ConvSpec][] = [
    ["conv2d k3 s2 pad 1,1,1,1 5x6x3→5", { inH: 5, inW: 6, inC: 3, outC: 5, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["conv2d k5 s1 pad 0,1,2,0 6x7x2→9", { inH: 6, inW: 7, inC: 2, outC: 9, kH: 5, kW: 5, padLeft: 1, padBottom: 2 }],
    ["conv2d k3x1 s3x1 7x5x4→4", { inH: 7, inW: 5, inC: 4, outC: 4, kH: 3, kW: 1, strideH: 3, strideW: 1 }],
    ["conv2d_transpose k3 s2 pad 1 op 1 4x3x5→3", { inH: 4, inW: 3, inC: 5, outC: 3, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }],
    ["conv2d_transpose k5 s3 pad 0,2,1,0 op 2,0 3x4x2→6", { inH: 3, inW: 4, inC: 2, outC: 6, kH: 5, kW: 5, strideH: 3, strideW: 3, padLeft: 2, padBottom: 1, outPadH: 2, transpose: true }],
    ["conv2d_transpose k1 s2 4x4x3→9", { inH: 4, inW: 4, inC: 3, outC: 9, kH: 1, kW: 1, strideH: 2, strideW: 2, outPadH: 1, outPadW: 1, transpose: true }],
    // the direct paths: thin dW (conv2d C < 4, F a multiple of 4), one-channel transposed forward + thin dW
    // (conv2d_transpose F = 1 at stride 1), sub-pixel transposed forward (stride 2, F a multiple of 8)
    ["conv2d thin k3 s2 pad 1 5x6x2→8", { inH: 5, inW: 6, inC: 2, outC: 8, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }],
    ["conv2d_transpose k3 s1 pad 1 4x11x8→1", { inH: 4, inW: 11, inC: 8, outC: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, transpose: true }],
    ["conv2d_transpose k3 s2 pad 1 op 1 3x5x3→8", { inH: 3, inW: 5, inC: 3, outC: 8, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }],
  ];
  describe.each([0, 3, 4])("act %i", (act) => {
    it.each(FD)("%s: match float64 central finite differences of L = Σ G ⊙ act(conv(X, W) + b)", (_l, spec) => {
      const cs = makeCase(spec, 2, 300 + act, 0.6);
      cs.dW0.fill(0); cs.db0.fill(0);
      const X = Float64Array.from(cs.X), W = Float64Array.from(cs.W), b = Float64Array.from(cs.b);
      const loss = () => {
        const { z } = forward64(cs.g, cs.N, X, W, b);
        let s = 0;
        for (let e = 0; e < z.length; e++) s += cs.G[e] * act64(z[e], act);
        return s;
      };
      const fd = (v: Float64Array) => {
        const gr = new Float64Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x0 = v[i], h = 1e-6 * Math.max(1, Math.abs(x0));
          v[i] = x0 + h; const lp = loss();
          v[i] = x0 - h; const lm = loss();
          v[i] = x0;
          gr[i] = (lp - lm) / (2 * h);
        }
        return gr;
      };
      const gX = fd(X), gW = fd(W), gb = fd(b);
      const r = run(cs, act, false);
      expect(worst(r.dX!, gX, 5e-6, 5e-7), "dX").toBeLessThanOrEqual(1);
      expect(worst(sub(r.dW, cs.dW0), gW, 1e-5, 1e-6), "dW").toBeLessThanOrEqual(1);
      expect(worst(sub(r.db, cs.db0), gb, 1e-5, 1e-6), "db").toBeLessThanOrEqual(1);
    });

    it.each(FD)("%s: match tfjs autograd of the same L", (_l, spec) => {
      expectMatchesTfjs(makeCase(spec, 3, 500 + act, 0.6), act);
    });
  });
});

// conv2d_forward's direct path for thin inputs (C < 4 channels, F a multiple of 8: taps read from a zero-padded copy
// of each image, no im2col) must give the im2col path's bits, which conv2d_forward_scalar reproduces. Sweep: channel
// counts at/below the path's limit and just past it (C 4, F 4/12: the im2col path), kernel sizes 1/3/5, strides 1–3,
// no/symmetric/one-sided padding, odd sizes, 1 and 3 images (pixels per image not a multiple of 4: the one-pixel
// tail), every activation.
describe("conv2d forward on thin inputs (the direct path)", () => {
  it("SIMD ≡ scalar twin bit for bit and within float64 bounds, at/below/above the path's channel limits", () => {
    let n = 0;
    for (const [C, F] of [[1, 8], [1, 32], [2, 16], [3, 8], [3, 24], [1, 4], [2, 12], [4, 8]] as [number, number][]) {
      for (const kk of [1, 3, 5]) for (const s of [1, 2, 3]) for (const [pt, pl, pb, pr] of [[0, 0, 0, 0], [kk >> 1, kk >> 1, kk >> 1, kk >> 1], [0, 0, 1, 1], [2, 1, 0, 2]]) {
        const size = 5 + ((n * 3) % 7); // 5…11
        const spec: ConvSpec = { inH: size, inW: size + 1, inC: C, outC: F, kH: kk, kW: kk, strideH: s, strideW: s, padTop: pt, padLeft: pl, padBottom: pb, padRight: pr };
        try { convGeometry(spec); } catch { continue; }
        const N = 1 + 2 * (n % 2);
        const act = n % 5;
        const cs = makeCase(spec, N, 5000 + n);
        const a = run(cs, act, false), sc = run(cs, act, true);
        const label = `${size}x${size + 1}x${C}→${F} k${kk} s${s} pad ${pt},${pl},${pb},${pr} N${N} act ${act}`;
        expect(firstMismatch(a.Y, sc.Y), `${label} Y`).toBe(-1);
        const { z, t } = forward64(cs.g, cs.N, cs.X, cs.W, cs.b);
        const nt = kk * kk * C + 2;
        for (let e = 0; e < z.length; e++) {
          const ref = act64(z[e], act);
          if (!(Math.abs(a.Y[e] - ref) <= (nt + 2) * U * t[e] + 4 * U * Math.abs(ref) + 1e-30)) expect.fail(`${label}: Y[${e}] = ${a.Y[e]}, float64 ${ref}`);
        }
        n++;
      }
    }
    expect(n).toBeGreaterThan(200);
  });
});

// conv2d_transpose's dX = im2col(dZ)·Wᵀ takes the same direct path when dZ is thin (F < 4 channels) and C is a
// multiple of 8 (the last decoder layer: 28×28×32 → 28×28×1): the im2col path's bits again. Sweep as above, with
// output paddings, and the neighbours that keep the im2col path (F 4, C 12).
describe("conv2d_transpose dX on thin outputs (the direct path)", () => {
  it("SIMD ≡ scalar twin bit for bit (Y, dZ, db, dW, dX) and dX within float64 bounds", () => {
    let n = 0;
    for (const [C, F] of [[8, 1], [32, 1], [16, 2], [8, 3], [24, 3], [8, 4], [12, 1]] as [number, number][]) {
      for (const kk of [1, 3, 5]) for (const s of [1, 2, 3]) for (const [pt, pl, pb, pr] of [[0, 0, 0, 0], [kk >> 1, kk >> 1, kk >> 1, kk >> 1], [0, 0, 1, 1], [2, 1, 0, 2]]) {
        const size = 3 + ((n * 3) % 5); // 3…7
        const op = n % s; // output padding < stride
        const spec: ConvSpec = { inH: size, inW: size + 1, inC: C, outC: F, kH: kk, kW: kk, strideH: s, strideW: s, padTop: pt, padLeft: pl, padBottom: pb, padRight: pr, outPadH: op, outPadW: 0, transpose: true };
        try { convGeometry(spec); } catch { continue; }
        const N = 1 + 2 * (n % 2);
        const act = n % 5;
        const cs = makeCase(spec, N, 7000 + n);
        const a = run(cs, act, false), sc = run(cs, act, true);
        const label = `${size}x${size + 1}x${C}→${F} k${kk} s${s} pad ${pt},${pl},${pb},${pr} op${op} N${N} act ${act}`;
        for (const key of ["Y", "dZ", "db", "dW", "dX"] as const) expect(firstMismatch(a[key]!, sc[key]!), `${label} ${key}`).toBe(-1);
        const r = backward64(cs.g, cs.N, cs.X, cs.W, a.dZ);
        for (let e = 0; e < r.dX.length; e++) {
          if (!(Math.abs(a.dX![e] - r.dX[e]) <= (F * kk * kk + 6) * U * r.tX[e] + 1e-30)) expect.fail(`${label}: dX[${e}] = ${a.dX![e]}, float64 ${r.dX[e]}`);
        }
        n++;
      }
    }
    expect(n).toBeGreaterThan(150);
  });
});

// The direct paths of the Keras model's thin layers, each with its own summation order and its scalar twin:
//   - filter gradients with a thin side (conv2d with C < 4 input channels, F a multiple of 4: thin X; and
//     conv2d_transpose with F < 4 output channels, C a multiple of 4: thin dZ): thin_dw, per image a sum from +0
//     over the grid pixels, then dW += s;
//   - the transposed forward to one output channel at stride 1 with C a multiple of 4: convt_one, lane sums over
//     channel classes mod 4, then (l0 + l2) + (l1 + l3) (groups of 8 and 4 output pixels along a row, the first/last
//     input pixel of a group possibly outside the row, and single pixels);
//   - the transposed forward at stride > 1 with F a multiple of 8: convt_sub, the sub-pixel decomposition (4-output
//     tiles of one phase where every tap's column is inside, single outputs at the borders).
// Sweep: channel counts at, below and above the paths' limits (the neighbours take the im2col path), kernel sizes
// 1/3/5, strides 1–3, no / "same" (symmetric and Keras's one-sided) / other paddings, image widths that leave
// 8-, 4- and 1-pixel groups, 1 and 3 images, every activation. SIMD ≡ scalar twin bit for bit on every output; Y and
// dW within float64 bounds.
describe("thin filter gradients and the direct transposed forwards (one channel; sub-pixel at stride > 1)", () => {
  const cases: { spec: ConvSpec; label: string }[] = [];
  const conv: [number, number][] = [[1, 4], [1, 32], [2, 8], [3, 20], [1, 3], [4, 8], [5, 16]];
  const convT: [number, number][] = [[4, 1], [32, 1], [8, 2], [12, 3], [20, 1], [3, 1], [6, 1], [8, 4], [36, 1],
    [5, 8], [3, 16], [1, 8], [7, 24], [4, 12]];
  let i = 0;
  for (const transpose of [false, true]) for (const [C, F] of transpose ? convT : conv) {
    for (const kk of [1, 3, 5]) for (const s of [1, 2, 3]) {
      const w = [9, 13, 20, 28][i % 4], h = 3 + (i % 5);
      const [st, sb] = samePadding(transpose ? h : h + 2, kk, s), [sl, sr] = samePadding(w, kk, s);
      const pads: [number, number, number, number][] = [[0, 0, 0, 0], [kk >> 1, kk >> 1, kk >> 1, kk >> 1],
        [st, sl, sb, sr], [2, 1, 0, 2]];
      for (const [pt, pl, pb, pr] of pads) {
        i++;
        const spec: ConvSpec = transpose
          ? { inH: h, inW: w, inC: C, outC: F, kH: kk, kW: kk, strideH: s, strideW: s, padTop: pt, padLeft: pl, padBottom: pb, padRight: pr, outPadH: i % s, outPadW: (i >> 1) % s, transpose }
          : { inH: h + 2, inW: w, inC: C, outC: F, kH: kk, kW: kk, strideH: s, strideW: s, padTop: pt, padLeft: pl, padBottom: pb, padRight: pr };
        try { convGeometry(spec); } catch { continue; }
        cases.push({ spec, label: `${transpose ? "convT" : "conv"} ${spec.inH}x${w}x${C}→${F} k${kk} s${s} pad ${pt},${pl},${pb},${pr}` });
      }
    }
  }
  it("SIMD ≡ scalar twin bit for bit (Y, dZ, db, dW, dX); Y and dW within float64 bounds", () => {
    let n = 0;
    for (const { spec, label: l0 } of cases) {
      const N = 1 + 2 * (n % 2), act = n % 5;
      const label = `${l0} N${N} act ${act}`;
      const cs = makeCase(spec, N, 9000 + n);
      const a = run(cs, act, false), sc = run(cs, act, true);
      for (const key of ["Y", "dZ", "db", "dW", "dX"] as const) expect(firstMismatch(a[key]!, sc[key]!), `${label} ${key}`).toBe(-1);
      const { z, t } = forward64(cs.g, cs.N, cs.X, cs.W, cs.b);
      const [, , C, , , , KH, KW] = cs.g.geom;
      const nt = KH * KW * C + 2;
      for (let e = 0; e < z.length; e++) {
        const ref = act64(z[e], act);
        if (!(Math.abs(a.Y[e] - ref) <= (nt + 2) * U * t[e] + 4 * U * Math.abs(ref) + 1e-30)) expect.fail(`${label}: Y[${e}] = ${a.Y[e]}, float64 ${ref}`);
      }
      const r = backward64(cs.g, cs.N, cs.X, cs.W, a.dZ);
      const rows = cs.N * (cs.g.transpose ? cs.g.geom[0] * cs.g.geom[1] : cs.g.geom[3] * cs.g.geom[4]);
      for (let e = 0; e < r.dW.length; e++) {
        const r0 = r.dW[e] + cs.dW0[e], t0 = r.tW[e] + Math.abs(cs.dW0[e]);
        if (!(Math.abs(a.dW[e] - r0) <= (rows + 2) * U * t0 + 1e-30)) expect.fail(`${label}: dW[${e}] = ${a.dW[e]}, float64 ${r0}`);
      }
      n++;
    }
    expect(n).toBeGreaterThan(500);
  });

  // convt_one with a kernel not 3 wide copies each image with zero columns beside its rows when the copy fits its
  // scratch (every case of the sweep above); wider images take the unpadded path (6-pixel groups inside, single
  // pixels at the borders), and rows narrower than 6 pixels go a pixel at a time. All sum in the scalar twin's order.
  it("one-channel transposed forwards too wide for the padded copy, or narrower than a block: SIMD ≡ scalar twin, within float64 bounds", () => {
    const specs: [ConvSpec, boolean][] = [ // [spec, whether the padded copy fits] (24 rows: 16 would fit)
      [{ inH: 24, inW: 48, inC: 32, outC: 1, kH: 5, kW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, transpose: true }, false],
      [{ inH: 50, inW: 61, inC: 12, outC: 1, kH: 5, kW: 4, padTop: 1, padLeft: 3, padBottom: 0, padRight: 1, transpose: true }, false],
      [{ inH: 4, inW: 3, inC: 8, outC: 1, kH: 5, kW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, transpose: true }, true], // rows of 3 pixels
    ];
    for (const [i, [spec, fits]] of specs.entries()) {
      const g = convGeometry(spec);
      const [H, Wd, C, , OW, , KH, KW] = g.geom;
      const room = Math.floor(32768 / (KH * KW) / 4) * 4 * ((KH * KW + 3) & ~3);
      const Wp = Math.max(0, KW - 1 - g.geom[11]) + Wd + Math.max(0, OW + g.geom[11] - Wd);
      expect((KH * KW + 1) * C + H * Wp * C <= room, `case ${i}: the padded copy fits`).toBe(fits);
      if (fits) expect(OW).toBeLessThan(6);
      const cs = makeCase(spec, 2, 7100 + i);
      const a = run(cs, 1, false), sc = run(cs, 1, true);
      expect(firstMismatch(a.Y, sc.Y), `case ${i} Y`).toBe(-1);
      const { z, t } = forward64(cs.g, cs.N, cs.X, cs.W, cs.b);
      for (let e = 0; e < z.length; e++) {
        const ref = act64(z[e], 1);
        if (!(Math.abs(a.Y[e] - ref) <= (KH * KW * C + 4) * U * t[e] + 4 * U * Math.abs(ref) + 1e-30)) expect.fail(`case ${i}: Y[${e}] = ${a.Y[e]}, float64 ${ref}`);
      }
    }
  });

  it("the Keras decoder's last layer (28×28×32 → 28×28×1, batch 5): gradients and Y match tfjs autograd", () => {
    const spec: ConvSpec = { inH: 28, inW: 28, inC: 32, outC: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, transpose: true };
    for (const act of [0, 4]) {
      expectMatchesTfjs(makeCase(spec, 5, 60 + act, 0.3), act);
    }
  });
});
