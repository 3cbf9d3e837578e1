// rnn: GRU and LSTM cells (two dense_forward gate GEMMs + the fused gate kernel) — against torch.nn.GRUCell /
// LSTMCell in float64 (test/fixtures/rnn/cells.json from scripts/make-rnn-fixture.py, sizes below/at/above the 4×8
// tile), the LSTM against TF.js's basicLSTMCell and the GRU against TF.js ops, with TF.js autograd for the gradients, SIMD vs scalar twin bit for bit, padded rows, and
// backward through time over several steps against float64 central differences; the KL between two Gaussians and
// the row helpers.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";
import { loadTf, type TF } from "../helpers/tf";

interface CellCase {
  kind: "gru" | "lstm"; in: number; H: number; B: number;
  x: number[]; h: number[]; c?: number[]; dh: number[]; dc?: number[];
  weight_ih: number[]; weight_hh: number[]; bias_ih: number[]; bias_hh: number[];
  out_h: number[]; out_c?: number[]; grad_x: number[]; grad_h: number[]; grad_c?: number[];
  grad_weight_ih: number[]; grad_weight_hh: number[]; grad_bias_ih: number[]; grad_bias_hh: number[];
}
const CASES: CellCase[] = JSON.parse(readFileSync(new URL("../fixtures/rnn/cells.json", import.meta.url), "utf8")).cases;

let k: Kernels;
let tf: TF;
beforeAll(async () => {
  k = loadKernels();
  tf = await loadTf();
});

/** PyTorch [rows, cols] → vaekit's stored [cols, rows] (W_ih [G·H, in] → [in, G·H]). */
function transpose(a: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

interface Cell { kind: "gru" | "lstm"; I: number; H: number; wih: Float32Array; whh: Float32Array; bih: Float32Array; bhh: Float32Array }
const G = (c: Cell): number => (c.kind === "gru" ? 3 : 4) * c.H;

/** One step forward, then back with upstream dh (dc), in one fresh memory; variant "" or "_scalar". */
function step(v: "" | "_scalar", c: Cell, B: number, x: ArrayLike<number>, h: ArrayLike<number>, cp: ArrayLike<number> | null,
  dh: ArrayLike<number>, dc: ArrayLike<number> | null, mask: ArrayLike<number> | null) {
  k.reset();
  const GH = G(c), H = c.H, I = c.I;
  const px = k.put(x), ph = k.put(h), pc = k.put(cp ?? new Float32Array(B * H));
  const wih = k.put(c.wih), whh = k.put(c.whh), bih = k.put(c.bih), bhh = k.put(c.bhh);
  const gi = k.alloc(B * GH), gh = k.alloc(B * GH), gates = k.alloc(B * GH), ho = k.alloc(B * H), co = k.alloc(B * H);
  const pm = mask ? k.put(mask) : 0;
  k.x["dense_forward" + v](gi, px, wih, bih, B, I, GH, 0, 0);
  k.x["dense_forward" + v](gh, ph, whh, bhh, B, H, GH, 0, 0);
  if (c.kind === "gru") k.x["gru_cell_forward" + v](ho, gates, gi, gh, ph, pm, B, H);
  else k.x["lstm_cell_forward" + v](ho, co, gates, gi, gh, ph, pc, pm, B, H);
  const dgi = k.alloc(B * GH), dgh = k.alloc(B * GH), dhp = k.alloc(B * H), dcp = k.alloc(B * H), dx = k.alloc(B * I), dhs = k.alloc(B * H);
  const dW = { ih: k.alloc(I * GH), hh: k.alloc(H * GH), bih: k.alloc(GH), bhh: k.alloc(GH) };
  const pdh = k.put(dh), pdc = dc ? k.put(dc) : 0;
  let dghUse = dgh;
  if (c.kind === "gru") k.x["gru_cell_backward" + v](dgi, dgh, dhp, pdh, gates, gh, ph, pm, B, H);
  else {
    k.x["lstm_cell_backward" + v](dgi, dcp, dhp, pdh, pdc, gates, co, pc, pm, B, H);
    dghUse = dgi;
  }
  k.x["dense_backward" + v](dx, dW.ih, dW.bih, dgi, px, wih, gi, B, I, GH, 0, 0);
  k.x["dense_backward" + v](dhs, dW.hh, dW.bhh, dghUse, ph, whh, gh, B, H, GH, 0, 0);
  k.x["rows_split_add" + v](dhp, 0, dhs, B, H, 0);
  return {
    h: k.get(ho, B * H), c: k.get(co, B * H), dx: k.get(dx, B * I), dh: k.get(dhp, B * H), dc: k.get(dcp, B * H),
    dwih: k.get(dW.ih, I * GH), dwhh: k.get(dW.hh, H * GH), dbih: k.get(dW.bih, GH), dbhh: k.get(dW.bhh, GH),
  };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  expect(a.length, label).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])))) expect.fail(`${label}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

const cellOf = (f: CellCase): Cell => {
  const GH = (f.kind === "gru" ? 3 : 4) * f.H;
  return { kind: f.kind, I: f.in, H: f.H, wih: transpose(f.weight_ih, GH, f.in), whh: transpose(f.weight_hh, GH, f.H),
    bih: Float32Array.from(f.bias_ih), bhh: Float32Array.from(f.bias_hh) };
};

describe.each(CASES.map((c) => [`${c.kind} in ${c.in} H ${c.H}`, c] as const))("%s against PyTorch", (_, f) => {
  it("forward and backward match torch.nn.*Cell (float64) within 2e-6; the scalar twin gives the same bits", () => {
    const c = cellOf(f), GH = G(c);
    const a = step("", c, f.B, f.x, f.h, f.c ?? null, f.dh, f.dc ?? null, null);
    const s = step("_scalar", c, f.B, f.x, f.h, f.c ?? null, f.dh, f.dc ?? null, null);
    for (const key of Object.keys(a) as (keyof typeof a)[]) expectBitIdentical(a[key], s[key], key);
    close(a.h, f.out_h, 2e-6, "h");
    close(a.dx, f.grad_x, 2e-6, "dx");
    close(a.dh, f.grad_h, 2e-6, "dh");
    close(a.dwih, transpose(f.grad_weight_ih, GH, f.in), 2e-6, "dW_ih");
    close(a.dwhh, transpose(f.grad_weight_hh, GH, f.H), 2e-6, "dW_hh");
    close(a.dbih, f.grad_bias_ih, 2e-6, "db_ih");
    close(a.dbhh, f.grad_bias_hh, 2e-6, "db_hh");
    if (f.kind === "lstm") {
      close(a.c, f.out_c!, 2e-6, "c");
      close(a.dc, f.grad_c!, 2e-6, "dc");
    }
  });
});

describe("padded rows (mask 0)", () => {
  it.each(["gru", "lstm"] as const)("%s: state copied, gradient passed straight through, no parameter gradient", (kind) => {
    const I = 5, H = 6, B = 3, GH = (kind === "gru" ? 3 : 4) * H;
    const c: Cell = { kind, I, H, wih: randomArray(I * GH, 1), whh: randomArray(H * GH, 2), bih: randomArray(GH, 3), bhh: randomArray(GH, 4) };
    const x = randomArray(B * I, 5), h = randomArray(B * H, 6), cp = randomArray(B * H, 7), dh = randomArray(B * H, 8), dc = randomArray(B * H, 9);
    const mask = [1, 0, 1];
    for (const v of ["", "_scalar"] as const) {
      const m = step(v, c, B, x, h, cp, dh, kind === "lstm" ? dc : null, mask);
      const full = step(v, c, B, x, h, cp, dh, kind === "lstm" ? dc : null, null);
      // row 1 carries its state and its gradients
      expect(m.h.subarray(H, 2 * H)).toEqual(h.subarray(H, 2 * H));
      expect(m.dh.subarray(H, 2 * H)).toEqual(dh.subarray(H, 2 * H));
      expect(Array.from(m.dx.subarray(I, 2 * I))).toEqual(new Array(I).fill(0));
      if (kind === "lstm") {
        expect(m.c.subarray(H, 2 * H)).toEqual(cp.subarray(H, 2 * H));
        expect(m.dc.subarray(H, 2 * H)).toEqual(dc.subarray(H, 2 * H));
      }
      // rows 0 and 2 as without a mask
      for (const r of [0, 2]) expect(m.h.subarray(r * H, (r + 1) * H)).toEqual(full.h.subarray(r * H, (r + 1) * H));
      // parameter gradients = those of rows 0 and 2 alone
      const two = step(v, c, 2, [...x.subarray(0, I), ...x.subarray(2 * I)], [...h.subarray(0, H), ...h.subarray(2 * H)],
        [...cp.subarray(0, H), ...cp.subarray(2 * H)], [...dh.subarray(0, H), ...dh.subarray(2 * H)],
        kind === "lstm" ? [...dc.subarray(0, H), ...dc.subarray(2 * H)] : null, null);
      close(m.dwih, two.dwih, 1e-6, "dW_ih");
      close(m.dbhh, two.dbhh, 1e-6, "db_hh");
    }
  });
});

// ---- backward through time against float64 central differences of a float64 reference cell

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

/** float64 unrolled cell: T steps from h0 = c0 = 0 on xs [T][B·I]; returns Σ_t Σ h_t·wout_t (a scalar loss). */
function unroll64(kind: "gru" | "lstm", I: number, H: number, B: number, T: number, p: Float64Array, xs: Float64Array, wout: Float64Array): number {
  const GH = (kind === "gru" ? 3 : 4) * H;
  const wih = 0, whh = I * GH, bih = whh + H * GH, bhh = bih + GH; // stored [in, GH] like vaekit
  let h = new Float64Array(B * H), c = new Float64Array(B * H);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const hn = new Float64Array(B * H), cn = new Float64Array(B * H);
    for (let b = 0; b < B; b++) {
      const gi = new Float64Array(GH), gh = new Float64Array(GH);
      for (let o = 0; o < GH; o++) {
        let si = p[bih + o], sh = p[bhh + o];
        for (let i = 0; i < I; i++) si += xs[(t * B + b) * I + i] * p[wih + i * GH + o];
        for (let j = 0; j < H; j++) sh += h[b * H + j] * p[whh + j * GH + o];
        gi[o] = si; gh[o] = sh;
      }
      for (let j = 0; j < H; j++) {
        if (kind === "gru") {
          const r = sig(gi[j] + gh[j]), z = sig(gi[H + j] + gh[H + j]), n = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
          hn[b * H + j] = n + z * (h[b * H + j] - n);
        } else {
          const ig = sig(gi[j] + gh[j]), fg = sig(gi[H + j] + gh[H + j]), gg = Math.tanh(gi[2 * H + j] + gh[2 * H + j]), og = sig(gi[3 * H + j] + gh[3 * H + j]);
          cn[b * H + j] = fg * c[b * H + j] + ig * gg;
          hn[b * H + j] = og * Math.tanh(cn[b * H + j]);
        }
      }
    }
    h = hn; c = cn;
    for (let i = 0; i < B * H; i++) loss += h[i] * wout[t * B * H + i];
  }
  return loss;
}

/** The same unroll on the kernels (f32), BPTT: returns the parameter gradient (flat, same layout as p) and dx. */
function bptt(kind: "gru" | "lstm", I: number, H: number, B: number, T: number, p: Float32Array, xs: Float32Array, wout: Float32Array) {
  k.reset();
  const GH = (kind === "gru" ? 3 : 4) * H;
  const P = k.put(p), D = k.alloc(p.length);
  const wih = P, whh = P + I * GH * 4, bih = whh + H * GH * 4, bhh = bih + GH * 4;
  const dwih = D, dwhh = D + I * GH * 4, dbih = dwhh + H * GH * 4, dbhh = dbih + GH * 4;
  const X = k.put(xs), Hs = k.alloc((T + 1) * B * H), Cs = k.alloc((T + 1) * B * H);
  const GI = k.alloc(T * B * GH), GHb = k.alloc(T * B * GH), GA = k.alloc(T * B * GH);
  const at = (p0: number, t: number, w: number): number => p0 + t * B * w * 4;
  for (let t = 0; t < T; t++) {
    k.x.dense_forward(at(GI, t, GH), at(X, t, I), wih, bih, B, I, GH, 0, 0);
    k.x.dense_forward(at(GHb, t, GH), at(Hs, t, H), whh, bhh, B, H, GH, 0, 0);
    if (kind === "gru") k.x.gru_cell_forward(at(Hs, t + 1, H), at(GA, t, GH), at(GI, t, GH), at(GHb, t, GH), at(Hs, t, H), 0, B, H);
    else k.x.lstm_cell_forward(at(Hs, t + 1, H), at(Cs, t + 1, H), at(GA, t, GH), at(GI, t, GH), at(GHb, t, GH), at(Hs, t, H), at(Cs, t, H), 0, B, H);
  }
  const dH = k.alloc((T + 1) * B * H), dC = k.alloc((T + 1) * B * H), dX = k.alloc(T * B * I);
  const dgi = k.alloc(B * GH), dgh = k.alloc(B * GH), dhs = k.alloc(B * H);
  const Wout = k.put(wout);
  for (let t = T - 1; t >= 0; t--) {
    // dL/dh_{t+1} += wout_t (the loss reads every h)
    k.x.rows_split_add(at(dH, t + 1, H), 0, at(Wout, t, H), B, H, 0);
    if (kind === "gru") k.x.gru_cell_backward(dgi, dgh, at(dH, t, H), at(dH, t + 1, H), at(GA, t, GH), at(GHb, t, GH), at(Hs, t, H), 0, B, H);
    else k.x.lstm_cell_backward(dgi, at(dC, t, H), at(dH, t, H), at(dH, t + 1, H), at(dC, t + 1, H), at(GA, t, GH), at(Cs, t + 1, H), at(Cs, t, H), 0, B, H);
    k.x.dense_backward(at(dX, t, I), dwih, dbih, dgi, at(X, t, I), wih, at(GI, t, GH), B, I, GH, 0, 0);
    k.x.dense_backward(dhs, dwhh, dbhh, kind === "gru" ? dgh : dgi, at(Hs, t, H), whh, at(GHb, t, GH), B, H, GH, 0, 0);
    k.x.rows_split_add(at(dH, t, H), 0, dhs, B, H, 0);
  }
  return { dp: k.get(D, p.length), dx: k.get(dX, T * B * I) };
}

describe("backward through time against float64 central differences", () => {
  it.each([["gru", 3, 5, 2, 4], ["lstm", 4, 9, 3, 3], ["gru", 9, 8, 2, 5], ["lstm", 2, 3, 1, 6]] as const)(
    "%s in %i H %i batch %i over %i steps", (kind, I, H, B, T) => {
      const GH = (kind === "gru" ? 3 : 4) * H;
      const n = I * GH + H * GH + 2 * GH;
      const p = randomArray(n, 11 + H, -0.5, 0.5), xs = randomArray(T * B * I, 12 + I, -1, 1), wout = randomArray(T * B * H, 13);
      const { dp, dx } = bptt(kind, I, H, B, T, p, xs, wout);
      const p64 = Float64Array.from(p), x64 = Float64Array.from(xs), w64 = Float64Array.from(wout);
      const h = 1e-6;
      const fd = (arr: Float64Array, i: number): number => {
        const v = arr[i];
        arr[i] = v + h;
        const up = unroll64(kind, I, H, B, T, p64, x64, w64);
        arr[i] = v - h;
        const down = unroll64(kind, I, H, B, T, p64, x64, w64);
        arr[i] = v;
        return (up - down) / (2 * h);
      };
      for (let i = 0; i < n; i++) {
        const want = fd(p64, i);
        if (Math.abs(dp[i] - want) > 1e-4 * (1 + Math.abs(want))) expect.fail(`param ${i}: ${dp[i]} vs ${want}`);
      }
      for (let i = 0; i < T * B * I; i++) {
        const want = fd(x64, i);
        if (Math.abs(dx[i] - want) > 1e-4 * (1 + Math.abs(want))) expect.fail(`x ${i}: ${dx[i]} vs ${want}`);
      }
    });
});

describe("LSTM against TF.js basicLSTMCell and its autograd", () => {
  it.each([[3, 4, 2], [8, 8, 3], [5, 13, 4]])("in %i H %i batch %i", (I, H, B) => {
    const GH = 4 * H;
    const c: Cell = { kind: "lstm", I, H, wih: randomArray(I * GH, 21, -0.5, 0.5), whh: randomArray(H * GH, 22, -0.5, 0.5),
      bih: randomArray(GH, 23, -0.5, 0.5), bhh: randomArray(GH, 24, -0.5, 0.5) };
    const x = randomArray(B * I, 25, -2, 2), h = randomArray(B * H, 26), cp = randomArray(B * H, 27), dh = randomArray(B * H, 28), dc = randomArray(B * H, 29);
    const ours = step("", c, B, x, h, cp, dh, dc, null);
    // TF's kernel: [x | h]·K + b, gate columns (i, j = g, f, o); ours (i, f, g, o): reorder the column blocks
    const order = [0, 2, 1, 3];
    const K = new Float32Array((I + H) * GH), bias = new Float32Array(GH);
    for (let blk = 0; blk < 4; blk++) {
      const src = order[blk] * H;
      for (let j = 0; j < H; j++) {
        for (let i = 0; i < I; i++) K[i * GH + blk * H + j] = c.wih[i * GH + src + j];
        for (let i = 0; i < H; i++) K[(I + i) * GH + blk * H + j] = c.whh[i * GH + src + j];
        bias[blk * H + j] = c.bih[src + j] + c.bhh[src + j];
      }
    }
    const grads = tf.grads((xt: TF, ht: TF, ct: TF, kt: TF) => {
      const [cn, hn] = tf.basicLSTMCell(tf.scalar(0), kt, tf.tensor1d(bias), xt, ct, ht);
      return tf.add(tf.sum(tf.mul(hn, tf.tensor2d(dh, [B, H]))), tf.sum(tf.mul(cn, tf.tensor2d(dc, [B, H]))));
    });
    const [cn, hn] = tf.basicLSTMCell(tf.scalar(0), tf.tensor2d(K, [I + H, GH]), tf.tensor1d(bias), tf.tensor2d(x, [B, I]), tf.tensor2d(cp, [B, H]), tf.tensor2d(h, [B, H]));
    close(ours.h, hn.dataSync(), 1e-5, "h");
    close(ours.c, cn.dataSync(), 1e-5, "c");
    const [gx, gh, gc] = grads([tf.tensor2d(x, [B, I]), tf.tensor2d(h, [B, H]), tf.tensor2d(cp, [B, H]), tf.tensor2d(K, [I + H, GH])]);
    close(ours.dx, gx.dataSync(), 1e-5, "dx");
    close(ours.dh, gh.dataSync(), 1e-5, "dh");
    close(ours.dc, gc.dataSync(), 1e-5, "dc");
  });
});

describe("GRU against TF.js ops and their autograd", () => {
  // TF.js's own GRU layer only has the reset-before form (resetAfter: false); PyTorch's cell (reset after the
  // matrix product) is written here in TF.js ops, and tf.grads is the oracle for every gradient.
  it.each([[3, 4, 2], [8, 8, 3], [9, 13, 4]])("in %i H %i batch %i", (I, H, B) => {
    const GH = 3 * H;
    const c: Cell = { kind: "gru", I, H, wih: randomArray(I * GH, 51, -0.5, 0.5), whh: randomArray(H * GH, 52, -0.5, 0.5),
      bih: randomArray(GH, 53, -0.5, 0.5), bhh: randomArray(GH, 54, -0.5, 0.5) };
    const x = randomArray(B * I, 55, -2, 2), h = randomArray(B * H, 56), dh = randomArray(B * H, 57);
    const ours = step("", c, B, x, h, null, dh, null, null);
    const f = (xt: TF, ht: TF, wi: TF, wh: TF, bi: TF, bh: TF): TF => {
      const gi = tf.add(tf.matMul(xt, wi), bi), gh = tf.add(tf.matMul(ht, wh), bh);
      const part = (t: TF, k: number): TF => tf.slice(t, [0, k * H], [B, H]);
      const r = tf.sigmoid(tf.add(part(gi, 0), part(gh, 0))), z = tf.sigmoid(tf.add(part(gi, 1), part(gh, 1)));
      const n = tf.tanh(tf.add(part(gi, 2), tf.mul(r, part(gh, 2))));
      return tf.add(n, tf.mul(z, tf.sub(ht, n)));
    };
    const args = [tf.tensor2d(x, [B, I]), tf.tensor2d(h, [B, H]), tf.tensor2d(c.wih, [I, GH]), tf.tensor2d(c.whh, [H, GH]),
      tf.tensor1d(c.bih), tf.tensor1d(c.bhh)];
    close(ours.h, (f as (...a: TF[]) => TF)(...args).dataSync(), 1e-5, "h");
    const g = tf.grads((...a: TF[]) => tf.sum(tf.mul((f as (...b: TF[]) => TF)(...a), tf.tensor2d(dh, [B, H]))))(args);
    close(ours.dx, g[0].dataSync(), 1e-5, "dx");
    close(ours.dh, g[1].dataSync(), 1e-5, "dh");
    close(ours.dwih, g[2].dataSync(), 1e-5, "dW_ih");
    close(ours.dwhh, g[3].dataSync(), 1e-5, "dW_hh");
    close(ours.dbih, g[4].dataSync(), 1e-5, "db_ih");
    close(ours.dbhh, g[5].dataSync(), 1e-5, "db_hh");
  });
});

describe("kl_gauss_loss", () => {
  const kl64 = (q: ArrayLike<number>, p: ArrayLike<number>, b: number, L: number): number => {
    let s = 0;
    for (let d = 0; d < L; d++) {
      const mq = q[b * 2 * L + d], lq = q[b * 2 * L + L + d], mp = p[b * 2 * L + d], lp = p[b * 2 * L + L + d];
      s += 0.5 * (lp - lq + (Math.exp(lq) + (mq - mp) ** 2) / Math.exp(lp) - 1);
    }
    return s;
  };
  it.each([[1, 1], [3, 4], [2, 7], [5, 16]])("B %i L %i: values vs float64, gradients vs central differences, mask", (B, L) => {
    const q = randomArray(B * 2 * L, 31 + L, -2, 2), p = randomArray(B * 2 * L, 32 + L, -2, 2);
    k.reset();
    const dq = k.alloc(B * 2 * L), dp = k.alloc(B * 2 * L), losses = k.alloc(B), pq = k.put(q), pp = k.put(p);
    k.x.kl_gauss_loss(dq, dp, losses, pq, pp, 0, B, L, 0.5);
    const l = k.get(losses, B), gq = k.get(dq, B * 2 * L), gp = k.get(dp, B * 2 * L);
    for (let b = 0; b < B; b++) expect(Math.abs(l[b] - kl64(q, p, b, L))).toBeLessThan(1e-5 * (1 + Math.abs(kl64(q, p, b, L))));
    const q64 = Float64Array.from(q), p64 = Float64Array.from(p), h = 1e-6;
    const total = (): number => { let s = 0; for (let b = 0; b < B; b++) s += kl64(q64, p64, b, L); return s; };
    for (const [arr, g] of [[q64, gq], [p64, gp]] as const) {
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i];
        arr[i] = v + h; const up = total(); arr[i] = v - h; const down = total(); arr[i] = v;
        const want = 0.5 * (up - down) / (2 * h);
        if (Math.abs(g[i] - want) > 1e-4 * (1 + Math.abs(want))) expect.fail(`${i}: ${g[i]} vs ${want}`);
      }
    }
    // a masked row: zero loss and gradients, the others unchanged
    const mask = k.put(Array.from({ length: B }, (_, b) => (b === 0 ? 0 : 1)));
    k.x.kl_gauss_loss(dq, dp, losses, pq, pp, mask, B, L, 0.5);
    expect(k.get(losses, 1)[0]).toBe(0);
    expect(Array.from(k.get(dq, 2 * L))).toEqual(new Array(2 * L).fill(0));
    expect(k.get(losses, B).subarray(1)).toEqual(l.subarray(1));
  });
});

describe("row helpers", () => {
  it("rows_concat and rows_split_add (SIMD = scalar twin)", () => {
    const rows = 3, ac = 5, bc = 6;
    const a = randomArray(rows * ac, 41), b = randomArray(rows * bc, 42), g = randomArray(rows * (ac + bc), 43);
    k.reset();
    const out = k.alloc(rows * (ac + bc));
    k.x.rows_concat(out, k.put(a), k.put(b), rows, ac, bc);
    const o = k.get(out, rows * (ac + bc));
    for (let r = 0; r < rows; r++) {
      expect(o.subarray(r * 11, r * 11 + ac)).toEqual(a.subarray(r * ac, (r + 1) * ac));
      expect(o.subarray(r * 11 + ac, (r + 1) * 11)).toEqual(b.subarray(r * bc, (r + 1) * bc));
    }
    const res = ["", "_scalar"].map((v) => {
      const da = k.put(a), db = k.put(b);
      k.x["rows_split_add" + v](da, db, k.put(g), rows, ac, bc);
      return [k.get(da, rows * ac), k.get(db, rows * bc)];
    });
    expectBitIdentical(res[0][0], res[1][0], "da");
    expectBitIdentical(res[0][1], res[1][1], "db");
    expect(res[0][0][1]).toBe(Math.fround(a[1] + g[1]));
    expect(res[0][1][0]).toBe(Math.fround(b[0] + g[ac]));
  });
});
