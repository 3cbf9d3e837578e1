// Dense layer kernels of assembly/dense.ts: forward (GEMM + bias + activation), backward (dZ, db, dW, dX) and
// elementwise activations. SIMD against scalar twins (bit for bit), against float64 references, against
// float64 central finite differences of L = Σ G ⊙ act(X·W + b), and against tfjs autograd of the same L.
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

const ACTS = [
  { code: 0, name: "identity" },
  { code: 1, name: "relu" },
  { code: 2, name: "leaky_relu" },
  { code: 3, name: "tanh" },
  { code: 4, name: "sigmoid" },
] as const;
const ALPHA = 0.1; // leaky slope (f32: Math.fround(0.1))
const SIZES = [1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33];
const REAL: [number, number, number, number][] = [
  [128, 784, 400, 1], [128, 400, 40, 0], [128, 20, 400, 3], [128, 400, 784, 4],
];
const U = 2 ** -24;
const f = Math.fround;

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

// ---- helpers ------------------------------------------------------------------------------------------------
/** Same bits, or both NaN (NaN payloads are not specified by wasm arithmetic). Returns first bad index or -1. */
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
function dact64(z: number, act: number): number {
  switch (act) {
    case 1: return z > 0 ? 1 : 0;
    case 2: return z > 0 ? 1 : f(ALPHA);
    case 3: return 1 - Math.tanh(z) ** 2;
    case 4: { const s = 1 / (1 + Math.exp(-z)); return s * (1 - s); }
    default: return 1;
  }
}

/** Float64 forward: z = X·W + b, and Σ|terms| per output. */
function forward64(X: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number) {
  const z = new Float64Array(M * N), terms = new Float64Array(M * N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = b[n], t = Math.abs(b[n]);
    for (let kk = 0; kk < K; kk++) {
      const p = X[m * K + kk] * W[kk * N + n];
      s += p;
      t += Math.abs(p);
    }
    z[m * N + n] = s;
    terms[m * N + n] = t;
  }
  return { z, terms };
}

/** The exact f32 dZ the kernels promise (f64 arithmetic + fround is exact f32 for one + or ×). */
function dzF32(dy: number, y: number, act: number): number {
  switch (act) {
    case 1: return y > 0 ? dy : 0;
    case 2: return y > 0 ? dy : f(f(ALPHA) * dy);
    case 3: return f(dy * f(1 - f(y * y)));
    case 4: return f(dy * f(y * f(1 - y)));
    default: return dy;
  }
}

interface Layer {
  M: number; K: number; N: number;
  X: Float32Array; W: Float32Array; b: Float32Array; G: Float32Array;
}
function makeLayer(M: number, K: number, N: number, seed: number, wScale = 1): Layer {
  return {
    M, K, N,
    X: randomArray(M * K, seed),
    W: randomArray(K * N, seed + 1, -wScale, wScale),
    b: randomArray(N, seed + 2, -0.5, 0.5),
    G: randomArray(M * N, seed + 3),
  };
}

/** Runs forward then backward (SIMD or scalar) on a fresh arena; returns outputs. */
function runLayer(L: Layer, act: number, scalar: boolean, opts: { withDX?: boolean; dW0?: Float32Array; db0?: Float32Array } = {}) {
  const { M, K, N } = L;
  k.reset();
  const sfx = scalar ? "_scalar" : "";
  const pX = k.put(L.X), pW = k.put(L.W), pb = k.put(L.b);
  const pY = k.alloc(M * N);
  k.x[`dense_forward${sfx}`](pY, pX, pW, pb, M, K, N, act, ALPHA);
  const Y = k.get(pY, M * N);
  const pdY = k.put(L.G);
  const pdW = opts.dW0 ? k.put(opts.dW0) : k.alloc(K * N);
  const pdb = opts.db0 ? k.put(opts.db0) : k.alloc(N);
  const pdX = opts.withDX === false ? 0 : k.alloc(M * K);
  k.x[`dense_backward${sfx}`](pdX, pdW, pdb, pdY, pX, pW, pY, M, K, N, act, ALPHA);
  return {
    Y,
    dZ: k.get(pdY, M * N),
    dW: k.get(pdW, K * N),
    db: k.get(pdb, N),
    dX: pdX ? k.get(pdX, M * K) : undefined,
  };
}

/** max over i of |got − ref| / (rel·|ref| + abs·scale), scale = max |ref| — ≤ 1 passes; NaN → Infinity. */
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

// ---- forward --------------------------------------------------------------------------------------------------
describe("dense_forward", () => {
  it.each(ACTS)("$name: SIMD ≡ scalar twin bit for bit, and within float64 tolerance, over a sampled size grid", ({ code }) => {
    let n = 0;
    for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES.length; j++) for (let l = 0; l < SIZES.length; l++) {
      if ((i + 2 * j + l) % 3 !== 0) continue; // a third of the grid, every size in every position
      const M = SIZES[i], K = SIZES[j], N = SIZES[l];
      const L = makeLayer(M, K, N, 100 + i * 121 + j * 11 + l);
      k.reset();
      const pX = k.put(L.X), pW = k.put(L.W), pb = k.put(L.b);
      const pY = k.put(new Float32Array(M * N).fill(NaN)), pY2 = k.alloc(M * N);
      k.x.dense_forward(pY, pX, pW, pb, M, K, N, code, ALPHA);
      k.x.dense_forward_scalar(pY2, pX, pW, pb, M, K, N, code, ALPHA);
      const Y = k.get(pY, M * N);
      const at = `M=${M} K=${K} N=${N}`;
      expect(firstMismatch(Y, k.get(pY2, M * N)), at).toBe(-1);
      const { z, terms } = forward64(L.X, L.W, L.b, M, K, N);
      for (let e = 0; e < M * N; e++) {
        const ref = act64(z[e], code);
        const tol = 1e-5 * terms[e] + 8 * U * Math.abs(ref);
        const err = Math.abs(Y[e] - ref);
        if (!(err <= tol)) expect.fail(`${at} element ${e}: got ${Y[e]}, float64 ${ref}, tol ${tol}`);
      }
      n++;
    }
    expect(n).toBeGreaterThan(400);
  });

  it.each(REAL)("real shape M=%i K=%i N=%i (act %i): SIMD ≡ scalar, within float64 tolerance", (M, K, N, code) => {
    const L = makeLayer(M, K, N, M + K + N, 1 / Math.sqrt(K));
    k.reset();
    const pX = k.put(L.X), pW = k.put(L.W), pb = k.put(L.b);
    const pY = k.alloc(M * N), pY2 = k.alloc(M * N);
    k.x.dense_forward(pY, pX, pW, pb, M, K, N, code, ALPHA);
    k.x.dense_forward_scalar(pY2, pX, pW, pb, M, K, N, code, ALPHA);
    const Y = k.get(pY, M * N);
    expect(firstMismatch(Y, k.get(pY2, M * N))).toBe(-1);
    const { z, terms } = forward64(L.X, L.W, L.b, M, K, N);
    let bad = 0;
    for (let e = 0; e < M * N; e++) {
      const ref = act64(z[e], code);
      if (!(Math.abs(Y[e] - ref) <= 1e-5 * terms[e] + 8 * U * Math.abs(ref))) bad++;
    }
    expect(bad).toBe(0);
  });
});

// ---- activation_forward ---------------------------------------------------------------------------------------
describe("activation_forward", () => {
  const special = [0, -0, 1e-30, -1e-30, 1e-45, -1e-45, 0.625, -0.625, 1, -1, 9, -9, 20, -20, 88.7, -88.7, 100, -100,
    1e4, -1e4, 3.4e38, -3.4e38, Infinity, -Infinity];
  // A sweep over the bit patterns of every |x| ≤ 100 (every 4099th float, both signs) plus random values.
  const sweep: number[] = [];
  const bits = new Uint32Array(1), asF = new Float32Array(bits.buffer);
  for (let b = 0; b <= 0x42c80000; b += 4099) for (const sign of [0, 0x80000000]) { bits[0] = (b | sign) >>> 0; sweep.push(asF[0]); }
  const X = new Float32Array([...special, ...randomArray(1001, 42, -12, 12), ...sweep]);

  /** One ulp of the f32 nearest to v (subnormal ulp at the bottom). */
  const ulp = (v: number) => {
    const a = Math.abs(f(v));
    return a < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(a)) - 23);
  };
  // Measured worst over every 7th float with |x| ≤ 100: tanh 1.50 ulp, sigmoid 2.36 ulp.
  const MAX_ULP = [0.5, 0.5, 0.5, 2.5, 3];

  it.each(ACTS)("$name: SIMD ≡ scalar twin, in place too, stable at the extremes, and close to float64 over a sweep", ({ code }) => {
    k.reset();
    const n = X.length;
    const pX = k.put(X), pY = k.alloc(n), pY2 = k.alloc(n), pIn = k.put(X);
    k.x.activation_forward(pY, pX, n, code, ALPHA);
    k.x.activation_forward_scalar(pY2, pX, n, code, ALPHA);
    k.x.activation_forward(pIn, pIn, n, code, ALPHA); // in place
    const Y = k.get(pY, n);
    expect(firstMismatch(Y, k.get(pY2, n))).toBe(-1);
    expect(firstMismatch(Y, k.get(pIn, n))).toBe(-1);
    expect(firstMismatch(k.get(pX, n), X)).toBe(-1); // input untouched
    let worstUlp = 0;
    for (let i = 0; i < n; i++) {
      const ref = act64(X[i], code);
      if (Y[i] === ref) continue; // covers ±Infinity
      const e = Math.abs(Y[i] - ref) / ulp(ref);
      if (!(e <= MAX_ULP[code])) expect.fail(`x=${X[i]}: got ${Y[i]}, float64 ${ref} (${e} ulp)`);
      worstUlp = Math.max(worstUlp, e);
    }
    if (code >= 3) expect(worstUlp).toBeGreaterThan(0.5); // the comparison is live (not correctly rounded)
    expect(n).toBeGreaterThan(200_000);
    const at = (v: number) => Y[special.indexOf(v)];
    if (code === 4) expect([at(-1e4), at(1e4), at(-Infinity), at(Infinity), at(0)]).toEqual([0, 1, 0, 1, 0.5]);
    if (code === 3) {
      expect([at(1e4), at(-1e4), at(Infinity), at(-Infinity), at(1e-30)]).toEqual([1, -1, 1, -1, f(1e-30)]);
      expect(Object.is(Y[1], -0)).toBe(true); // special[1] is −0 (indexOf can't tell −0 from 0)
    }
    if (code === 1) expect(Object.is(Y[1], -0)).toBe(true); // pmax(−0, 0) keeps −0 (special[1] is −0)
  });

  it("relu propagates NaN (f32x4.pmax(x, 0) semantics: x < 0 ? 0 : x) in both twins; leaky keeps NaN too", () => {
    k.reset();
    const v = new Float32Array([NaN, -1, 2, NaN, 0.5, -0.5, NaN]);
    for (const code of [1, 2, 3, 4]) {
      const p = k.put(v), q = k.alloc(v.length), r = k.alloc(v.length);
      k.x.activation_forward(q, p, v.length, code, ALPHA);
      k.x.activation_forward_scalar(r, p, v.length, code, ALPHA);
      const a = k.get(q, v.length), b = k.get(r, v.length);
      for (const i of [0, 3, 6]) expect(Number.isNaN(a[i]) && Number.isNaN(b[i])).toBe(true);
    }
  });
});

// ---- backward -------------------------------------------------------------------------------------------------
describe("dense_backward", () => {
  it.each(ACTS)("$name: SIMD ≡ scalar twin bit for bit (dZ, db, dW, dX) over a sampled size grid", ({ code }) => {
    let n = 0;
    for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES.length; j++) for (let l = 0; l < SIZES.length; l++) {
      if ((2 * i + j + l) % 4 !== 0) continue;
      const M = SIZES[i], K = SIZES[j], N = SIZES[l];
      const L = makeLayer(M, K, N, 7000 + i * 121 + j * 11 + l);
      const dW0 = randomArray(K * N, 9000 + n), db0 = randomArray(N, 9500 + n);
      const a = runLayer(L, code, false, { dW0, db0 }), s = runLayer(L, code, true, { dW0, db0 });
      const at = `M=${M} K=${K} N=${N}`;
      expect(firstMismatch(a.Y, s.Y), `${at} Y`).toBe(-1);
      expect(firstMismatch(a.dZ, s.dZ), `${at} dZ`).toBe(-1);
      expect(firstMismatch(a.db, s.db), `${at} db`).toBe(-1);
      expect(firstMismatch(a.dW, s.dW), `${at} dW`).toBe(-1);
      expect(firstMismatch(a.dX!, s.dX!), `${at} dX`).toBe(-1);
      n++;
    }
    expect(n).toBeGreaterThan(300);
  });

  it.each(REAL)("real shape M=%i K=%i N=%i (act %i): SIMD ≡ scalar twin", (M, K, N, code) => {
    const L = makeLayer(M, K, N, 3 * M + K + N, 1 / Math.sqrt(K));
    const a = runLayer(L, code, false), s = runLayer(L, code, true);
    expect(firstMismatch(a.dZ, s.dZ)).toBe(-1);
    expect(firstMismatch(a.db, s.db)).toBe(-1);
    expect(firstMismatch(a.dW, s.dW)).toBe(-1);
    expect(firstMismatch(a.dX!, s.dX!)).toBe(-1);
  });

  // Shapes with every remainder path: M odd, K not a multiple of 4, N with 8-, 4- and 1-wide column remainders.
  const FD_SHAPES: [number, number, number][] = [[3, 5, 7], [6, 9, 23]];

  describe.each(ACTS)("$name gradients", ({ code }) => {
    it.each(FD_SHAPES)("match float64 central finite differences of L = Σ G ⊙ act(X·W + b), M=%i K=%i N=%i", (M, K, N) => {
      const L = makeLayer(M, K, N, 300 + code * 10 + M, 0.6);
      const X = Float64Array.from(L.X), W = Float64Array.from(L.W), b = Float64Array.from(L.b);
      const loss = () => {
        const { z } = forward64(X, W, b, M, K, N);
        let s = 0;
        for (let e = 0; e < M * N; e++) s += L.G[e] * act64(z[e], code);
        return s;
      };
      // The kinks of relu/leaky must be far from every z (else a finite difference straddles one): a step
      // h ≤ 1e-6 moves any z by at most h·max(|x|, |w|, 1) ≤ 1e-6.
      const { z } = forward64(X, W, b, M, K, N);
      expect(Math.min(...Array.from(z, Math.abs))).toBeGreaterThan(1e-4);
      const fd = (v: Float64Array) => {
        const g = new Float64Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x0 = v[i], h = 1e-6 * Math.max(1, Math.abs(x0));
          v[i] = x0 + h;
          const lp = loss();
          v[i] = x0 - h;
          const lm = loss();
          v[i] = x0;
          g[i] = (lp - lm) / (2 * h);
        }
        return g;
      };
      const gX = fd(X), gW = fd(W), gb = fd(b);
      const r = runLayer(L, code, false);
      // f32 kernels vs an f64 derivative: allow 5e-6 relative plus 5e-7 of the tensor's largest entry (the
      // observed worst is under a third of that). A wrong derivative formula is off by O(10 %) or more.
      expect(worst(r.dX!, gX, 5e-6, 5e-7), "dX").toBeLessThanOrEqual(1);
      expect(worst(r.dW, gW, 5e-6, 5e-7), "dW").toBeLessThanOrEqual(1);
      expect(worst(r.db, gb, 5e-6, 5e-7), "db").toBeLessThanOrEqual(1);
      // dY was overwritten with dZ = G ⊙ act'(z) (checked against the float64 derivative at z).
      const dz64 = Array.from(z, (zz, e) => L.G[e] * dact64(zz, code));
      expect(worst(r.dZ, dz64, 5e-6, 5e-7), "dZ").toBeLessThanOrEqual(1);
    });

    it.each([[5, 7, 9], [16, 33, 20], [128, 400, 40]])("match tfjs autograd (tf.grads) of the same L, M=%i K=%i N=%i", (M, K, N) => {
      const L = makeLayer(M, K, N, 500 + code + M, 1 / Math.sqrt(K));
      const tX = tf.tensor2d(L.X, [M, K]), tW = tf.tensor2d(L.W, [K, N]), tb = tf.tensor1d(L.b), tG = tf.tensor2d(L.G, [M, N]);
      const actTf = (t: TF) =>
        code === 1 ? tf.relu(t) : code === 2 ? tf.leakyRelu(t, ALPHA) : code === 3 ? tf.tanh(t) : code === 4 ? tf.sigmoid(t) : t;
      const grads = tf.grads((x: TF, w: TF, bb: TF) => tf.sum(tf.mul(tG, actTf(tf.add(tf.matMul(x, w), bb)))));
      const [gX, gW, gb] = grads([tX, tW, tb]).map((t: TF) => t.dataSync() as Float32Array);
      const r = runLayer(L, code, false);
      expect(worst(r.dX!, gX, 5e-6, 5e-7), "dX").toBeLessThanOrEqual(1);
      expect(worst(r.dW, gW, 5e-6, 5e-7), "dW").toBeLessThanOrEqual(1);
      expect(worst(r.db, gb, 5e-6, 5e-7), "db").toBeLessThanOrEqual(1);
      tf.dispose([tX, tW, tb, tG]);
    });
  });

  it.each(ACTS)("$name: dY is overwritten with exactly dZ = dY ⊙ act'(Y) (f32, from the output Y)", ({ code }) => {
    const L = makeLayer(7, 5, 19, 77 + code);
    const r = runLayer(L, code, false);
    const expected = Float32Array.from(L.G, (g, e) => dzF32(g, r.Y[e], code));
    expect(firstMismatch(r.dZ, expected)).toBe(-1);
    if (code !== 0) expect(firstMismatch(r.dZ, L.G)).not.toBe(-1); // it really changed
  });

  it("at z == 0 exactly (so y == 0) the derivative follows PyTorch, x > 0 ? 1 : alpha: relu 0, leaky alpha·dY, as tfjs", () => {
    const M = 4, K = 3, N = 9;
    const L = makeLayer(M, K, N, 91);
    for (const m of [0, 2]) L.X.fill(0, m * K, (m + 1) * K); // rows of zeros …
    for (let n = 0; n < N; n += 2) L.b[n] = 0; // … meet zero biases: z = 0 exactly there
    for (const code of [1, 2]) {
      const r = runLayer(L, code, false), s = runLayer(L, code, true);
      expect(firstMismatch(r.dZ, s.dZ)).toBe(-1);
      let zeros = 0;
      for (const m of [0, 2]) for (let n = 0; n < N; n += 2) {
        const e = m * N + n;
        expect(r.Y[e]).toBe(0);
        expect(r.dZ[e]).toBe(code === 1 ? 0 : f(f(ALPHA) * L.G[e]));
        zeros++;
      }
      expect(zeros).toBe(10);
      const tX = tf.tensor2d(L.X, [M, K]), tW = tf.tensor2d(L.W, [K, N]), tb = tf.tensor1d(L.b), tG = tf.tensor2d(L.G, [M, N]);
      const act = (t: TF) => (code === 1 ? tf.relu(t) : tf.leakyRelu(t, ALPHA));
      const gb = tf.grad((bb: TF) => tf.sum(tf.mul(tG, act(tf.add(tf.matMul(tX, tW), bb)))))(tb).dataSync();
      expect(worst(r.db, gb, 5e-6, 5e-7)).toBeLessThanOrEqual(1);
      tf.dispose([tX, tW, tb, tG]);
    }
  });

  it("dW and db accumulate (+=) onto what is there; dX is overwritten", () => {
    const L = makeLayer(9, 6, 13, 31);
    const dW0 = randomArray(6 * 13, 32, 50, 60), db0 = randomArray(13, 33, -60, -50);
    const fresh = runLayer(L, 3, false);
    const acc = runLayer(L, 3, false, { dW0, db0 });
    for (let i = 0; i < dW0.length; i++) expect(acc.dW[i]).toBe(f(dW0[i] + fresh.dW[i]));
    for (let i = 0; i < db0.length; i++) expect(acc.db[i]).toBe(f(db0[i] + fresh.db[i]));
    // dX: the same whatever was in the buffer before (runLayer allocates it zeroed; refill with NaN here).
    k.reset();
    const { M, K, N } = L;
    const pX = k.put(L.X), pW = k.put(L.W), pb = k.put(L.b), pY = k.alloc(M * N);
    k.x.dense_forward(pY, pX, pW, pb, M, K, N, 3, ALPHA);
    const pdX = k.put(new Float32Array(M * K).fill(NaN));
    k.x.dense_backward(pdX, k.alloc(K * N), k.alloc(N), k.put(L.G), pX, pW, pY, M, K, N, 3, ALPHA);
    expect(firstMismatch(k.get(pdX, M * K), fresh.dX!)).toBe(-1);
  });

  it.each([false, true])("dX == 0 skips dX: no byte of memory outside dY, dW, db changes (scalar twin: %s)", (scalar) => {
    const M = 9, K = 11, N = 13;
    const L = makeLayer(M, K, N, 61);
    k.reset();
    const sfx = scalar ? "_scalar" : "";
    // Fill low memory (where a dX at address 0 would land) with a pattern so writes there are visible.
    const pX = k.put(L.X), pW = k.put(L.W), pb = k.put(L.b), pY = k.alloc(M * N);
    k.x.dense_forward(pY, pX, pW, pb, M, K, N, 2, ALPHA);
    const pdY = k.put(L.G), pdW = k.alloc(K * N), pdb = k.alloc(N);
    const before = new Uint8Array(k.memory.buffer).slice();
    k.x[`dense_backward${sfx}`](0, pdW, pdb, pdY, pX, pW, pY, M, K, N, 2, ALPHA);
    const after = new Uint8Array(k.memory.buffer);
    const allowed = [[pdY, M * N], [pdW, K * N], [pdb, N]].map(([p, n]) => [p, p + 4 * n]);
    let changedOutside = 0, changedInside = 0;
    for (let i = 0; i < before.length; i++) {
      if (before[i] === after[i]) continue;
      if (allowed.some(([lo, hi]) => i >= lo && i < hi)) changedInside++;
      else changedOutside++;
    }
    expect(changedOutside).toBe(0);
    expect(changedInside).toBeGreaterThan(0);
    // And the gradients it did write equal those of a call with dX.
    const withDX = runLayer(L, 2, scalar);
    expect(firstMismatch(new Float32Array(after.buffer, pdW, K * N).slice(), withDX.dW)).toBe(-1);
    expect(firstMismatch(new Float32Array(after.buffer, pdb, N).slice(), withDX.db)).toBe(-1);
    expect(firstMismatch(new Float32Array(after.buffer, pdY, M * N).slice(), withDX.dZ)).toBe(-1);
  });
});
