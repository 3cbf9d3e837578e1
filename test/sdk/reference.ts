// Independent re-implementations of every model's training objective, written once over a small set of tensor
// operations with two back ends: float64 matrices (for central finite differences) and TensorFlow.js tensors
// (for autograd). They take the weights by name in PyTorch layout and the noise as explicit arrays, so they see
// exactly what a vaekit model sees.
import { runLayers } from "./conv-reference.js";

/** The operations the reference objectives need. Row vectors ([1, m]) broadcast over rows in add/sub/mul. */
export interface Ops<T> {
  input(data: ArrayLike<number>, rows: number, cols: number): T;
  linear(x: T, w: T, b: T): T; // x·wᵀ + b, w [out, in]
  act(x: T, name: string, slope: number): T;
  concat(a: T, b: T): T; // columns
  cols(x: T, start: number, n: number): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  scale(a: T, s: number): T;
  addScalar(a: T, s: number): T;
  exp(a: T): T;
  log(a: T): T;
  abs(a: T): T;
  square(a: T): T;
  softplus(a: T): T;
  sigmoid(a: T): T;
  /** log(sinh(l/2)/(l/2)), smooth through 0. */
  logSinhc(a: T): T;
  sumCols(a: T): T; // [n, 1]
  sumRows(a: T): T; // [1, m]
  sumAll(a: T): T; // [1, 1]
  repeatRows(a: T, k: number): T; // [n·k, m], row i·k + j = row i
  reshape(a: T, rows: number, cols: number): T;
  logMeanExpCols(a: T): T; // [n, 1]
  /** vaekit/gan's class means. */
  transpose(a: T): T;
  // grouped models: rows summed by group id (ids[r] in 0 … G − 1) and rows picked by index
  segmentSum(a: T, ids: readonly number[], G: number): T; // [G, m], row g = Σ of rows r with ids[r] = g
  gatherRows(a: T, index: readonly number[]): T; // [index.length, m], row i = row index[i]
  // ---- layer lists (conv-reference.ts): convolutions as gathers and matrix products ----
  /** out[r, j] = x[r, idx[j]], or 0 where idx[j] < 0. */
  gatherCols(x: T, idx: Int32Array): T;
  matmul(a: T, b: T): T; // [n, k]·[k, m]
}

/** A row-major float64 matrix. */
export class M {
  constructor(readonly rows: number, readonly cols: number, readonly d: Float64Array = new Float64Array(rows * cols)) {}
}

function map(a: M, f: (v: number) => number): M {
  const o = new M(a.rows, a.cols);
  for (let i = 0; i < a.d.length; i++) o.d[i] = f(a.d[i]);
  return o;
}

function zip(a: M, b: M, f: (u: number, v: number) => number): M {
  if (b.rows === 1 && a.rows > 1 && b.cols === a.cols) {
    const o = new M(a.rows, a.cols);
    for (let r = 0; r < a.rows; r++) for (let c = 0; c < a.cols; c++) o.d[r * a.cols + c] = f(a.d[r * a.cols + c], b.d[c]);
    return o;
  }
  if (a.rows !== b.rows || a.cols !== b.cols) throw new Error(`shape mismatch ${a.rows}x${a.cols} vs ${b.rows}x${b.cols}`);
  const o = new M(a.rows, a.cols);
  for (let i = 0; i < a.d.length; i++) o.d[i] = f(a.d[i], b.d[i]);
  return o;
}

const logSinhc64 = (l: number): number => {
  const h = Math.abs(l) / 2;
  if (h < 1e-4) return (h * h) / 6;
  if (h > 20) return h - Math.log(2 * h) + Math.log1p(-Math.exp(-2 * h));
  return Math.log(Math.sinh(h) / h);
};

export const f64: Ops<M> = {
  input: (data, rows, cols) => new M(rows, cols, Float64Array.from(data as ArrayLike<number>)),
  linear(x, w, b) {
    const o = new M(x.rows, w.rows);
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < w.rows; j++) {
        let s = b.d[j];
        for (let i = 0; i < x.cols; i++) s += x.d[r * x.cols + i] * w.d[j * w.cols + i];
        o.d[r * w.rows + j] = s;
      }
    }
    return o;
  },
  act(x, name, slope) {
    switch (name) {
      case "relu": return map(x, (v) => Math.max(0, v));
      case "leaky_relu": return map(x, (v) => (v > 0 ? v : slope * v));
      case "tanh": return map(x, Math.tanh);
      case "sigmoid": return map(x, (v) => 1 / (1 + Math.exp(-v)));
      default: return x;
    }
  },
  concat(a, b) {
    const o = new M(a.rows, a.cols + b.cols);
    for (let r = 0; r < a.rows; r++) {
      for (let c = 0; c < a.cols; c++) o.d[r * o.cols + c] = a.d[r * a.cols + c];
      for (let c = 0; c < b.cols; c++) o.d[r * o.cols + a.cols + c] = b.d[r * b.cols + c];
    }
    return o;
  },
  cols(x, start, n) {
    const o = new M(x.rows, n);
    for (let r = 0; r < x.rows; r++) for (let c = 0; c < n; c++) o.d[r * n + c] = x.d[r * x.cols + start + c];
    return o;
  },
  add: (a, b) => zip(a, b, (u, v) => u + v),
  sub: (a, b) => zip(a, b, (u, v) => u - v),
  mul: (a, b) => zip(a, b, (u, v) => u * v),
  scale: (a, s) => map(a, (v) => v * s),
  addScalar: (a, s) => map(a, (v) => v + s),
  exp: (a) => map(a, Math.exp),
  log: (a) => map(a, Math.log),
  abs: (a) => map(a, Math.abs),
  square: (a) => map(a, (v) => v * v),
  softplus: (a) => map(a, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))),
  sigmoid: (a) => map(a, (v) => 1 / (1 + Math.exp(-v))),
  logSinhc: (a) => map(a, logSinhc64),
  sumCols(a) {
    const o = new M(a.rows, 1);
    for (let r = 0; r < a.rows; r++) for (let c = 0; c < a.cols; c++) o.d[r] += a.d[r * a.cols + c];
    return o;
  },
  sumRows(a) {
    const o = new M(1, a.cols);
    for (let r = 0; r < a.rows; r++) for (let c = 0; c < a.cols; c++) o.d[c] += a.d[r * a.cols + c];
    return o;
  },
  sumAll: (a) => new M(1, 1, Float64Array.of(a.d.reduce((s, v) => s + v, 0))),
  repeatRows(a, k) {
    const o = new M(a.rows * k, a.cols);
    for (let r = 0; r < a.rows; r++) for (let j = 0; j < k; j++) o.d.set(a.d.subarray(r * a.cols, (r + 1) * a.cols), (r * k + j) * a.cols);
    return o;
  },
  reshape: (a, rows, cols) => new M(rows, cols, a.d),
  transpose(a) {
    const o = new M(a.cols, a.rows);
    for (let r = 0; r < a.rows; r++) for (let c = 0; c < a.cols; c++) o.d[c * a.rows + r] = a.d[r * a.cols + c];
    return o;
  },
  logMeanExpCols(a) {
    const o = new M(a.rows, 1);
    for (let r = 0; r < a.rows; r++) {
      let m = -Infinity;
      for (let c = 0; c < a.cols; c++) m = Math.max(m, a.d[r * a.cols + c]);
      let s = 0;
      for (let c = 0; c < a.cols; c++) s += Math.exp(a.d[r * a.cols + c] - m);
      o.d[r] = m + Math.log(s / a.cols);
    }
    return o;
  },
  segmentSum(a, ids, G) {
    const o = new M(G, a.cols);
    for (let r = 0; r < a.rows; r++) for (let c = 0; c < a.cols; c++) o.d[ids[r] * a.cols + c] += a.d[r * a.cols + c];
    return o;
  },
  gatherRows(a, index) {
    const o = new M(index.length, a.cols);
    index.forEach((r, i) => o.d.set(a.d.subarray(r * a.cols, (r + 1) * a.cols), i * a.cols));
    return o;
  },
  gatherCols(x, idx) {
    const o = new M(x.rows, idx.length);
    for (let r = 0; r < x.rows; r++) for (let j = 0; j < idx.length; j++) o.d[r * idx.length + j] = idx[j] < 0 ? 0 : x.d[r * x.cols + idx[j]];
    return o;
  },
  matmul(a, b) {
    const o = new M(a.rows, b.cols);
    for (let r = 0; r < a.rows; r++) {
      for (let c = 0; c < b.cols; c++) {
        let s = 0;
        for (let i = 0; i < a.cols; i++) s += a.d[r * a.cols + i] * b.d[i * b.cols + c];
        o.d[r * b.cols + c] = s;
      }
    }
    return o;
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TF = any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tt = any;

/** The same operations on TensorFlow.js tensors (float32), differentiable by tf.grads. */
export function tfOps(tf: TF): Ops<Tt> {
  return {
    input: (data, rows, cols) => tf.tensor2d(Float32Array.from(data as ArrayLike<number>), [rows, cols]),
    linear: (x, w, b) => tf.add(tf.matMul(x, w, false, true), b),
    act(x, name, slope) {
      switch (name) {
        case "relu": return tf.relu(x);
        case "leaky_relu": return tf.leakyRelu(x, slope);
        case "tanh": return tf.tanh(x);
        case "sigmoid": return tf.sigmoid(x);
        default: return x;
      }
    },
    concat: (a, b) => tf.concat([a, b], 1),
    cols: (x, start, n) => tf.slice(x, [0, start], [-1, n]),
    add: (a, b) => tf.add(a, b),
    sub: (a, b) => tf.sub(a, b),
    mul: (a, b) => tf.mul(a, b),
    scale: (a, s) => tf.mul(a, s),
    addScalar: (a, s) => tf.add(a, s),
    exp: (a) => tf.exp(a),
    log: (a) => tf.log(a),
    abs: (a) => tf.abs(a),
    square: (a) => tf.square(a),
    softplus: (a) => tf.softplus(a),
    sigmoid: (a) => tf.sigmoid(a),
    logSinhc(a) {
      // series l²/24 − l⁴/2880 near 0 (where the closed form cancels), log(sinh(h)/h) elsewhere. The branch mask
      // is a constant (read from the values), and each branch gets inputs safe for it, so where() passes no NaN.
      const small = tf.tensor(Array.from(a.dataSync() as Float32Array, (v) => Math.abs(v) < 0.2), a.shape, "bool");
      const safe = tf.where(small, tf.onesLike(a), a);
      const h = tf.div(tf.abs(safe), 2);
      const closed = tf.sub(tf.add(h, tf.log1p(tf.neg(tf.exp(tf.mul(h, -2))))), tf.log(tf.mul(h, 2)));
      const s = tf.where(small, a, tf.zerosLike(a));
      const s2 = tf.square(s);
      const series = tf.sub(tf.div(s2, 24), tf.div(tf.square(s2), 2880));
      return tf.where(small, series, closed);
    },
    sumCols: (a) => tf.sum(a, 1, true),
    sumRows: (a) => tf.sum(a, 0, true),
    sumAll: (a) => tf.reshape(tf.sum(a), [1, 1]),
    repeatRows: (a, k) => tf.reshape(tf.tile(tf.expandDims(a, 1), [1, k, 1]), [a.shape[0] * k, a.shape[1]]),
    reshape: (a, rows, cols) => tf.reshape(a, [rows, cols]),
    logMeanExpCols: (a) => tf.sub(tf.logSumExp(a, 1, true), Math.log(a.shape[1])),
    transpose: (a) => tf.transpose(a),
    segmentSum: (a, ids, G) => tf.unsortedSegmentSum(a, tf.tensor1d(Array.from(ids), "int32"), G),
    gatherRows: (a, index) => tf.gather(a, tf.tensor1d(Array.from(index), "int32")),
    gatherCols(x, idx) {
      const zero = x.shape[1];
      const padded = tf.concat([x, tf.zeros([x.shape[0], 1])], 1);
      return tf.gather(padded, tf.tensor1d(Int32Array.from(idx, (i) => (i < 0 ? zero : i)), "int32"), 1);
    },
    matmul: (a, b) => tf.matMul(a, b),
  };
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Weights by name as Ops tensors: weights [out, in], biases and vectors as row vectors [1, n]. */
export function weightsAs<T>(o: Ops<T>, w: Record<string, ArrayLike<number>>, shapes: Record<string, number[]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(w)) {
    const s = shapes[k];
    out[k] = s.length === 2 ? o.input(v, s[0], s[1]) : o.input(v, 1, s.reduce((a, b) => a * b, 1)); // conv weights: one row
  }
  return out;
}

export interface NetConfig {
  activation: string;
  leakySlope: number;
}

/** An MLP `${prefix}.hidden.{i}` then the named output layers (each applied to the last hidden layer). */
export function mlp<T>(o: Ops<T>, W: Record<string, T>, prefix: string, x: T, cfg: NetConfig, heads: string[]): T[] {
  let h = x;
  for (let i = 0; W[`${prefix}.hidden.${i}.weight`] !== undefined; i++) {
    h = o.act(o.linear(h, W[`${prefix}.hidden.${i}.weight`], W[`${prefix}.hidden.${i}.bias`]), cfg.activation, cfg.leakySlope);
  }
  return heads.map((name) => o.linear(h, W[`${prefix}.${name}.weight`], W[`${prefix}.${name}.bias`]));
}

export interface LikelihoodConfig {
  likelihood: string;
  likelihoodScale: number | "learned";
}

/** −log p(x|out) per row, [n, 1]. `logSigma` is the learned log σ row vector when σ is learned. */
export function nll<T>(o: Ops<T>, cfg: LikelihoodConfig, out: T, x: T, D: number, logSigma?: T): T {
  switch (cfg.likelihood) {
    case "bernoulli":
      return o.sumCols(o.sub(o.softplus(out), o.mul(x, out)));
    case "continuous-bernoulli":
      return o.sumCols(o.add(o.mul(o.scale(o.addScalar(x, -0.5), -1), out), o.logSinhc(out)));
    case "laplace": {
      const b = cfg.likelihoodScale as number;
      return o.addScalar(o.sumCols(o.scale(o.abs(o.sub(x, out)), 1 / b)), D * Math.log(2 * b));
    }
    default: {
      if (cfg.likelihoodScale === "learned") {
        const r = o.mul(o.sub(x, out), o.exp(o.scale(logSigma!, -1)));
        return o.sumCols(o.addScalar(o.add(o.scale(o.square(r), 0.5), logSigma!), HALF_LOG_2PI));
      }
      const s = cfg.likelihoodScale;
      return o.addScalar(o.sumCols(o.scale(o.square(o.sub(x, out)), 0.5 / (s * s))), D * (Math.log(s) + HALF_LOG_2PI));
    }
  }
}

/** log N(z; μ, diag(exp lv)) per row [n, 1]; μ = lv = undefined for N(0, I). */
export function logNormal<T>(o: Ops<T>, z: T, L: number, mu?: T, lv?: T): T {
  if (!mu || !lv) return o.addScalar(o.scale(o.sumCols(o.square(z)), -0.5), -L * HALF_LOG_2PI);
  const q = o.mul(o.square(o.sub(z, mu)), o.exp(o.scale(lv, -1)));
  return o.addScalar(o.scale(o.sumCols(o.add(lv, q)), -0.5), -L * HALF_LOG_2PI);
}

/** KL(N(μ, exp lv) ‖ N(0, I)) per row [n, 1]. */
export function klNormal<T>(o: Ops<T>, mu: T, lv: T): T {
  return o.scale(o.sumCols(o.sub(o.add(o.square(mu), o.exp(lv)), o.addScalar(lv, 1))), 0.5);
}

export interface LatentConfig extends NetConfig, LikelihoodConfig {
  inputSize: number;
  latentSize: number;
  beta: number;
  capacity: { gamma: number; max: number; steps: number } | null;
  klWarmup: number;
  objective: string;
  samples: number;
}

/**
 * Σ over the batch of a VAE's / ConditionalVAE's training objective at training step `step`, with ε [n·k, L]
 * (example-major) and optional one-hot labels y [n, C].
 */
export function latentObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: LatentConfig, x: T, n: number, eps: T,
  y: T | undefined, step = 0): T {
  const { latentSize: L, inputSize: D } = cfg;
  const [mu, lv] = mlp(o, W, "encoder", y ? o.concat(x, y) : x, cfg, ["mean", "logvar"]);
  const K = cfg.objective === "iwae" || cfg.samples > 1 ? cfg.samples : 1;
  const rep = (t: T) => (K > 1 ? o.repeatRows(t, K) : t);
  const muR = rep(mu), lvR = rep(lv);
  const z = o.add(muR, o.mul(o.exp(o.scale(lvR, 0.5)), eps));
  const [out] = mlp(o, W, "decoder", y ? o.concat(z, rep(y)) : z, cfg, ["output"]);
  const rec = nll(o, cfg, out, rep(x), D, W["decoder.logsigma"]);
  if (K === 1 && cfg.objective === "elbo") {
    const kl = klNormal(o, mu, lv);
    if (cfg.capacity) {
      const c = cfg.capacity.steps > 0 ? cfg.capacity.max * Math.min(1, step / cfg.capacity.steps) : cfg.capacity.max;
      return o.sumAll(o.add(rec, o.scale(o.abs(o.addScalar(kl, -c)), cfg.capacity.gamma)));
    }
    const beta = cfg.klWarmup > 0 ? cfg.beta * Math.min(1, step / cfg.klWarmup) : cfg.beta;
    return o.sumAll(o.add(rec, o.scale(kl, beta)));
  }
  const logw = o.sub(o.sub(logNormal(o, z, L), logNormal(o, z, L, muR, lvR)), rec);
  if (cfg.objective === "iwae") return o.scale(o.sumAll(o.logMeanExpCols(o.reshape(logw, n, K))), -1);
  return o.scale(o.sumAll(logw), -1 / K);
}

export interface AeConfig extends NetConfig, LikelihoodConfig {
  inputSize: number;
  latentActivation: string;
  sparsity: { type: "l1"; weight: number } | { type: "kl"; rho: number; weight: number } | null;
  denoising: unknown;
}

/** Σ over the batch of an Autoencoder's objective; `input` is the (corrupted) encoder input, x the clean target. */
export function aeObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: AeConfig, input: T, x: T, n: number): T {
  const [pre] = mlp(o, W, "encoder", input, cfg, ["code"]);
  const h = o.act(pre, cfg.latentActivation, cfg.leakySlope);
  const [out] = mlp(o, W, "decoder", h, cfg, ["output"]);
  const rec = o.sumAll(nll(o, cfg, out, x, cfg.inputSize, W["decoder.logsigma"]));
  const s = cfg.sparsity;
  if (!s) return rec;
  if (s.type === "l1") return o.add(rec, o.scale(o.sumAll(o.abs(h)), s.weight));
  const q = o.scale(o.sumRows(h), 1 / n); // ρ̂ [1, H]
  const rho = s.rho;
  // ρ log(ρ/ρ̂) + (1−ρ) log((1−ρ)/(1−ρ̂)), summed over units, times the batch size (a per-example term)
  const kl = o.add(o.scale(o.log(q), -rho), o.scale(o.log(o.addScalar(o.scale(q, -1), 1)), -(1 - rho)));
  const cst = rho * Math.log(rho) + (1 - rho) * Math.log(1 - rho);
  const H = (q as unknown as { cols?: number; shape?: number[] }).cols ?? (q as unknown as { shape: number[] }).shape[1];
  return o.add(rec, o.scale(o.addScalar(o.sumAll(kl), H * cst), n * s.weight));
}

export interface HierarchicalConfig extends NetConfig, LikelihoodConfig {
  inputSize: number;
  latentSizes: [number, number];
  beta: number;
  klWarmup: number;
  objective: string;
  samples: number;
}

/** Σ over the batch of a HierarchicalVAE's objective with ε1 [n·k, L1], ε2 [n·k, L2] (example-major). */
export function hierarchicalObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: HierarchicalConfig, x: T, n: number,
  eps1: T, eps2: T, step = 0): T {
  const [L1, L2] = cfg.latentSizes;
  const K = cfg.objective === "iwae" || cfg.samples > 1 ? cfg.samples : 1;
  const rep = (t: T) => (K > 1 ? o.repeatRows(t, K) : t);
  const [m1, v1] = mlp(o, W, "encoder.z1", x, cfg, ["mean", "logvar"]).map(rep);
  const z1 = o.add(m1, o.mul(o.exp(o.scale(v1, 0.5)), eps1));
  const [m2, v2] = mlp(o, W, "encoder.z2", z1, cfg, ["mean", "logvar"]);
  const z2 = o.add(m2, o.mul(o.exp(o.scale(v2, 0.5)), eps2));
  const [pm, pv] = mlp(o, W, "prior.z1", z2, cfg, ["mean", "logvar"]);
  const [out] = mlp(o, W, "decoder", z1, cfg, ["output"]);
  const rec = nll(o, cfg, out, rep(x), cfg.inputSize, W["decoder.logsigma"]);
  const kl = o.sub(o.add(logNormal(o, z1, L1, m1, v1), logNormal(o, z2, L2, m2, v2)), o.add(logNormal(o, z1, L1, pm, pv), logNormal(o, z2, L2)));
  if (cfg.objective === "iwae") {
    const logw = o.scale(o.add(rec, kl), -1);
    return o.scale(o.sumAll(o.logMeanExpCols(o.reshape(logw, n, K))), -1);
  }
  const beta = K === 1 && cfg.klWarmup > 0 ? cfg.beta * Math.min(1, step / cfg.klWarmup) : K === 1 ? cfg.beta : 1;
  return o.scale(o.sumAll(o.add(rec, o.scale(kl, beta))), 1 / K);
}

// ---- sequences (src/models/vrnn.ts) ----

export interface VrnnConfig extends NetConfig, LikelihoodConfig {
  inputSize: number;
  steps: number;
  hiddenSize: number;
  latentSize: number;
  cell: "gru" | "lstm";
}

/**
 * Σ over the batch of a VRNN's −ELBO over full-length sequences: x [n, steps·D], ε [n, steps·L] (example-major).
 * Per step: prior and posterior heads, z = μ + σ·ε, decoder, KL(q ‖ p), then the GRU / LSTM cell (PyTorch's
 * equations) on [φx(x_t), φz(z_t)].
 */
export function vrnnObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: VrnnConfig, x: T, n: number, eps: T): T {
  const { inputSize: D, steps: S, hiddenSize: H, latentSize: L } = cfg;
  const stack = (prefix: string, v: T): T => {
    let h = v;
    for (let i = 0; W[`${prefix}.${i}.weight`] !== undefined; i++) h = o.act(o.linear(h, W[`${prefix}.${i}.weight`], W[`${prefix}.${i}.bias`]), cfg.activation, cfg.leakySlope);
    return h;
  };
  const tanh = (v: T): T => o.act(v, "tanh", 0);
  let h = o.input(new Float64Array(n * H), n, H), c = o.input(new Float64Array(n * H), n, H);
  let total: T | undefined;
  for (let t = 0; t < S; t++) {
    const xt = o.cols(x, t * D, D), et = o.cols(eps, t * L, L);
    const fx = stack("phi_x", xt);
    const [pm, plv] = mlp(o, W, "prior", h, cfg, ["mean", "logvar"]);
    const [qm, qlv] = mlp(o, W, "encoder", o.concat(fx, h), cfg, ["mean", "logvar"]);
    const z = o.add(qm, o.mul(o.exp(o.scale(qlv, 0.5)), et));
    const fz = stack("phi_z", z);
    const [out] = mlp(o, W, "decoder", o.concat(fz, h), cfg, ["output"]);
    const rec = nll(o, cfg, out, xt, D, W["decoder.logsigma"]);
    const ratio = o.mul(o.add(o.exp(qlv), o.square(o.sub(qm, pm))), o.exp(o.scale(plv, -1)));
    const kl = o.scale(o.sumCols(o.addScalar(o.add(o.sub(plv, qlv), ratio), -1)), 0.5);
    const gi = o.linear(o.concat(fx, fz), W["rnn.weight_ih"], W["rnn.bias_ih"]), gh = o.linear(h, W["rnn.weight_hh"], W["rnn.bias_hh"]);
    const g = (k: number, v: T): T => o.cols(v, k * H, H);
    if (cfg.cell === "gru") {
      const r = o.sigmoid(o.add(g(0, gi), g(0, gh))), u = o.sigmoid(o.add(g(1, gi), g(1, gh)));
      const m = tanh(o.add(g(2, gi), o.mul(r, g(2, gh))));
      h = o.add(m, o.mul(u, o.sub(h, m)));
    } else {
      const pre = o.add(gi, gh);
      const ig = o.sigmoid(g(0, pre)), fg = o.sigmoid(g(1, pre)), gg = tanh(g(2, pre)), og = o.sigmoid(g(3, pre));
      c = o.add(o.mul(fg, c), o.mul(ig, gg));
      h = o.mul(og, tanh(c));
    }
    const step = o.sumAll(o.add(rec, kl));
    total = total === undefined ? step : o.add(total, step);
  }
  return total!;
}

// ---- TabularVAE (vaekit/tabular) ----

/** A tabular column as the objective needs it: its likelihood, its width in the encoded row, its log-scale tensor. */
export interface TabularColumn {
  name: string;
  type: "continuous" | "bounded" | "binary" | "categorical" | "count";
  likelihood?: "gaussian" | "laplace" | "poisson" | "negative-binomial";
  width: number;
}

/**
 * Σ over the batch of a TabularVAE's −ELBO·(β on the KL): x [n, W] encoded rows (0 where missing), mask [n, P],
 * encIn [n, W + P] the encoder's input, ε [n, L]; `constants` [n, 1] the terms without parameters (log Γ(x + 1) of
 * observed counts). Each column's −log p is taken per row and multiplied by its mask column.
 */
export function tabularObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: NetConfig & { beta: number }, columns: TabularColumn[],
  x: T, mask: T, encIn: T, eps: T, constants: T): T {
  const [mu, lv] = mlp(o, W, "encoder", encIn, cfg, ["mean", "logvar"]);
  const z = o.add(mu, o.mul(o.exp(o.scale(lv, 0.5)), eps));
  const [out] = mlp(o, W, "decoder", z, cfg, ["output"]);
  let at = 0, rec: T | undefined;
  columns.forEach((c, p) => {
    const l = o.cols(out, at, c.width), xc = o.cols(x, at, c.width);
    at += c.width;
    let t: T;
    if (c.type === "categorical") {
      const lse = o.log(o.sumCols(o.exp(l)));
      t = o.sub(o.mul(lse, o.sumCols(xc)), o.sumCols(o.mul(xc, l)));
    } else if (c.type === "binary") t = o.sub(o.softplus(l), o.mul(xc, l));
    else if (c.type === "bounded") t = o.add(o.mul(o.scale(o.addScalar(xc, -0.5), -1), l), o.logSinhc(l));
    else if (c.type === "count") t = o.sub(o.exp(l), o.mul(xc, l));
    else {
      const s = W[`decoder.columns.${c.name}.log_scale`];
      if (c.likelihood === "laplace") t = o.addScalar(o.add(o.mul(o.abs(o.sub(xc, l)), o.exp(o.scale(s, -1))), s), Math.LN2);
      else t = o.addScalar(o.add(o.scale(o.square(o.mul(o.sub(xc, l), o.exp(o.scale(s, -1)))), 0.5), s), HALF_LOG_2PI);
    }
    const masked = o.mul(t, o.cols(mask, p, 1));
    rec = rec === undefined ? masked : o.add(rec, masked);
  });
  return o.sumAll(o.add(o.add(rec!, constants), o.scale(klNormal(o, mu, lv), cfg.beta)));
}

// ---- vaekit/gan: VAEGAN's three step objectives (Larsen et al. 2015) ----

export interface GanLayerRef {
  units: number;
  activation: string;
}

export interface VaeGanConfig {
  inputSize: number;
  /** The layer-list form (conv layers): null for MLP networks. */
  inputShape?: number[] | null;
  latentSize: number;
  encoder: GanLayerRef[];
  decoder: GanLayerRef[];
  discriminator: GanLayerRef[];
  featureLayer: number;
  leakySlope: number;
  outputActivation: string;
  beta: number;
  gamma: number;
  generatorLoss: string;
  labelSmoothing: number;
}

/** Layers `${prefix}.layers.{from … to − 1}` of a layer list. */
export function layerList<T>(o: Ops<T>, W: Record<string, T>, prefix: string, x: T, list: GanLayerRef[], slope: number, from = 0, to = list.length): T {
  let h = x;
  for (let i = from; i < to; i++) h = o.act(o.linear(h, W[`${prefix}.layers.${i}.weight`], W[`${prefix}.layers.${i}.bias`]), list[i].activation, slope);
  return h;
}

/** Σ over rows of the binary cross-entropy of logits a against a constant target t: softplus(a) − t·a. */
export function bceSum<T>(o: Ops<T>, a: T, t: number): T {
  return o.sumAll(o.sub(o.softplus(a), o.scale(a, t)));
}

/**
 * The encoder's and decoder's shared pieces: posterior stats, z = μ + σ·ε, x̃ = Dec(z), x_p = Dec(z_p), and the
 * discriminator's features and logits of any rows. `y`: one-hot labels joined to the encoder's and decoder's inputs.
 */
export function ganPieces<T>(o: Ops<T>, W: Record<string, T>, cfg: VaeGanConfig, x: T, eps: T, prior: T, y?: T) {
  if (cfg.inputShape) return ganLayerPieces(o, W, cfg, cfg.inputShape, x, eps, prior, y);
  const s = cfg.leakySlope;
  const h = layerList(o, W, "encoder", y ? o.concat(x, y) : x, cfg.encoder, s);
  const mu = o.linear(h, W["encoder.mean.weight"], W["encoder.mean.bias"]);
  const lv = o.linear(h, W["encoder.logvar.weight"], W["encoder.logvar.bias"]);
  const z = o.add(mu, o.mul(o.exp(o.scale(lv, 0.5)), eps));
  const dec = (zz: T): T => {
    const g = layerList(o, W, "decoder", y ? o.concat(zz, y) : zz, cfg.decoder, s);
    return o.act(o.linear(g, W["decoder.output.weight"], W["decoder.output.bias"]), cfg.outputActivation, s);
  };
  const l = cfg.featureLayer;
  const feats = (u: T): T => layerList(o, W, "discriminator", u, cfg.discriminator, s, 0, l + 1);
  const logit = (f: T): T => o.linear(layerList(o, W, "discriminator", f, cfg.discriminator, s, l + 1),
    W["discriminator.output.weight"], W["discriminator.output.bias"]);
  return { mu, lv, xr: dec(z), xp: dec(prior), feats, logit, featureSize: cfg.discriminator[l].units };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rowsOf = (t: any): number => t.rows ?? t.shape[0];

/**
 * The layer-list form's pieces (vaekit/gan with inputShape): the networks as PyTorch layer lists (conv-reference.ts's
 * runLayers), the label joining the encoder after its flatten and the decoder at its input; the decoder's list ends
 * with the image; the discriminator's layers after l run from l's output shape (the layers up to l skipped).
 */
function ganLayerPieces<T>(o: Ops<T>, W: Record<string, T>, cfg: VaeGanConfig, shape: number[], x: T, eps: T, prior: T, y?: T) {
  const s = cfg.leakySlope, n = rowsOf(x);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const list = (v: unknown) => v as any[];
  const [h] = runLayers(o, W, "encoder", list(cfg.encoder), x, n, shape, s, true, y);
  const mu = o.linear(h, W["encoder.mean.weight"], W["encoder.mean.bias"]);
  const lv = o.linear(h, W["encoder.logvar.weight"], W["encoder.logvar.bias"]);
  const z = o.add(mu, o.mul(o.exp(o.scale(lv, 0.5)), eps));
  const dec = (zz: T): T => {
    const input = y ? o.concat(zz, y) : zz;
    return runLayers(o, W, "decoder", list(cfg.decoder), input, rowsOf(zz), [colsOf(input)], s, true)[0];
  };
  const l = cfg.featureLayer, dis = list(cfg.discriminator);
  const upTo = dis.slice(0, l + 1);
  const [, fShape] = runLayers(o, W, "discriminator", upTo, x, n, shape, s, true);
  const feats = (u: T): T => runLayers(o, W, "discriminator", upTo, u, rowsOf(u), shape, s, true)[0];
  const rest = [...upTo.map(() => ({ type: "skip" })), ...dis.slice(l + 1)];
  const logit = (f: T): T => o.linear(runLayers(o, W, "discriminator", rest, f, rowsOf(f), fShape, s, true)[0],
    W["discriminator.output.weight"], W["discriminator.output.bias"]);
  return { mu, lv, xr: dec(z), xp: dec(prior), feats, logit, featureSize: fShape.reduce((a, b) => a * b, 1) };
}

/** Σ over the batch of one VAEGAN step's loss, with ε and z_p [n, L]. */
export function vaeGanObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: VaeGanConfig, step: string, x: T, n: number, eps: T, prior: T): T {
  const p = ganPieces(o, W, cfg, x, eps, prior);
  const h = p.featureSize;
  const fx = p.feats(x), fr = p.feats(p.xr);
  const llike = o.addScalar(o.scale(o.sumAll(o.square(o.sub(fx, fr))), 0.5), n * h * HALF_LOG_2PI);
  if (step === "encoder") {
    // the discriminator's layers past l play no part (0 · every weight, so that autograd sees every tensor)
    const none = o.scale(Object.values(W).map((w) => o.sumAll(w)).reduce((a, b) => o.add(a, b)), 0);
    return o.add(o.add(o.scale(o.sumAll(klNormal(o, p.mu, p.lv)), cfg.beta), llike), none);
  }
  const ar = p.logit(fr), ap = p.logit(p.feats(p.xp));
  if (step === "decoder") {
    const adv = cfg.generatorLoss === "minimax" ? o.scale(o.add(bceSum(o, ar, 0), bceSum(o, ap, 0)), -1) : o.add(bceSum(o, ar, 1), bceSum(o, ap, 1));
    return o.add(o.scale(llike, cfg.gamma), adv);
  }
  return o.add(bceSum(o, p.logit(fx), 1 - cfg.labelSmoothing), o.add(bceSum(o, ar, 0), bceSum(o, ap, 0)));
}

export interface CvaeGanConfig extends Omit<VaeGanConfig, "beta" | "gamma" | "generatorLoss"> {
  classes: number;
  classifier: GanLayerRef[];
  weights: { kl: number; encoderPairwise: number; generatorPairwise: number; featureMatching: number; pixel: number };
}

/**
 * Σ over the batch of one CVAEGAN step's loss (Bao et al. 2017), with one-hot labels y [n, C] (as data) and their
 * values (for the class means), ε and z_p [n, L].
 */
export function cvaeGanObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: CvaeGanConfig, step: string, x: T, y: T,
  yv: ArrayLike<number>, n: number, eps: T, prior: T): T {
  const s = cfg.leakySlope, C = cfg.classes, w = cfg.weights;
  const p = ganPieces(o, W, { ...cfg, beta: 1, gamma: 1, generatorLoss: "" }, x, eps, prior, y);
  const cls = cfg.classifier;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fC = (u: T): T => (cfg.inputShape ? runLayers(o, W, "classifier", cls as any[], u, rowsOf(u), cfg.inputShape, s, true)[0] : layerList(o, W, "classifier", u, cls, s));
  const logitsC = (f: T): T => o.linear(f, W["classifier.output.weight"], W["classifier.output.bias"]);
  // every tensor takes part in every step's expression (0 · the unused ones), so that autograd sees all of them
  const none = o.scale(Object.values(W).map((t) => o.sumAll(t)).reduce((a, b) => o.add(a, b)), 0);
  if (step === "classifier") {
    const a = logitsC(fC(x));
    const lse = o.addScalar(o.logMeanExpCols(a), Math.log(C));
    return o.add(o.sub(o.sumAll(lse), o.sumAll(o.mul(y, a))), none);
  }
  const fdx = p.feats(x), fdr = p.feats(p.xr);
  if (step === "discriminator") {
    return o.add(o.add(bceSum(o, p.logit(fdx), 1 - cfg.labelSmoothing), o.add(bceSum(o, p.logit(fdr), 0), bceSum(o, p.logit(p.feats(p.xp)), 0))), none);
  }
  const fcx = fC(x), fcr = fC(p.xr);
  const half = (a: T, b: T): T => o.scale(o.sumAll(o.square(o.sub(a, b))), 0.5);
  const pairwise = o.add(o.scale(half(x, p.xr), w.pixel), o.add(half(fdx, fdr), half(fcx, fcr)));
  if (step === "encoder") return o.add(o.add(o.scale(o.sumAll(klNormal(o, p.mu, p.lv)), w.kl), o.scale(pairwise, w.encoderPairwise)), none);
  // mean feature matching: L_GD over the batch, L_GC per class (class means as (Y/n_c)ᵀ·F), each times n
  const fdp = p.feats(p.xp), fcp = fC(p.xp);
  const ones = o.input(new Float64Array(n).fill(1 / n), 1, n);
  const zeros = (h: number): T => o.input(new Float64Array(h), 1, h);
  const hD = p.featureSize, hC = colsOf(fcx);
  const gd = half(o.linear(ones, o.transpose(fdx), zeros(hD)), o.linear(ones, o.transpose(fdp), zeros(hD)));
  const counts = new Float64Array(C);
  for (let r = 0; r < n; r++) for (let c = 0; c < C; c++) counts[c] += yv[r * C + c];
  const yn = new Float64Array(C * n); // [C, n]: row c = y[:, c] / n_c
  for (let r = 0; r < n; r++) for (let c = 0; c < C; c++) if (counts[c] > 0) yn[c * n + r] = yv[r * C + c] / counts[c];
  const Yn = o.input(yn, C, n);
  const gc = half(o.linear(Yn, o.transpose(fcx), zeros(hC)), o.linear(Yn, o.transpose(fcp), zeros(hC)));
  return o.add(o.add(o.scale(pairwise, w.generatorPairwise), o.scale(o.add(gd, gc), n * w.featureMatching)), none);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const colsOf = (t: any): number => t.cols ?? t.shape[1];

// ---- grouped models (vaekit/grouped) ----

export interface MultiLevelConfig extends NetConfig, LikelihoodConfig {
  inputSize: number;
  styleSize: number;
  contentSize: number;
  accumulate: boolean;
  // layer lists (both models of vaekit/grouped): run by conv-reference.ts's runLayers
  inputShape?: number[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  encoder?: Record<string, any>[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  decoder?: Record<string, any>[];
}

/**
 * Σ over the batch of a MultiLevelVAE's objective (the negative ELBO of its groups), written from the paper: group g's
 * content posterior is the product of its members' Gaussians (precisions add, the mean is precision-weighted), one
 * content KL per group, a style KL per example; every member decodes [s_i | c_{G,i}] with ε [n, S + C] = [ε_s | ε_c].
 * `groups`: a group id per example (any order; with accumulate false each example is its own group).
 */
export function multiLevelObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: MultiLevelConfig, x: T, n: number, eps: T,
  groups: readonly number[]): T {
  const { styleSize: S, contentSize: C } = cfg;
  const heads = ["style.mean", "style.logvar", "content.mean", "content.logvar"];
  // layer lists (conv-reference.ts, batch norm in training mode as gradients() runs it): the heads follow the list
  const layered = cfg.encoder && cfg.decoder && cfg.inputShape;
  const h = layered ? runLayers(o, W, "encoder", cfg.encoder!, x, n, cfg.inputShape!, cfg.leakySlope, true)[0] : undefined;
  const [ms, ls, mc, lc] = h ? heads.map((k) => o.linear(h, W[`encoder.${k}.weight`], W[`encoder.${k}.bias`])) : mlp(o, W, "encoder", x, cfg, heads);
  const dense = new Map<number, number>();
  const gid = cfg.accumulate ? groups.map((g) => (dense.has(g) ? dense.get(g)! : (dense.set(g, dense.size), dense.size - 1))) : groups.map((_, i) => i);
  const G = cfg.accumulate ? dense.size : n;
  const prec = o.exp(o.scale(lc, -1));
  const P = o.segmentSum(prec, gid, G);
  const lvG = o.scale(o.log(P), -1);
  const muG = o.mul(o.segmentSum(o.mul(mc, prec), gid, G), o.exp(lvG));
  const s = o.add(ms, o.mul(o.exp(o.scale(ls, 0.5)), o.cols(eps, 0, S)));
  const c = o.add(o.gatherRows(muG, gid), o.mul(o.exp(o.scale(o.gatherRows(lvG, gid), 0.5)), o.cols(eps, S, C)));
  const sc = o.concat(s, c);
  const [out] = layered ? [runLayers(o, W, "decoder", cfg.decoder!, sc, n, [S + C], cfg.leakySlope, true)[0]] : mlp(o, W, "decoder", sc, cfg, ["output"]);
  const rec = o.sumAll(nll(o, cfg, out, x, cfg.inputSize, W["decoder.logsigma"]));
  return o.add(o.add(rec, o.sumAll(klNormal(o, ms, ls))), o.sumAll(klNormal(o, muG, lvG)));
}

export interface HybridConfig extends NetConfig {
  latentSize: number;
  classification?: { part: string; weight: number } | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  parts: Record<string, { size: number; likelihood: string; scale?: number | "learned"; shape?: number[]; encoder?: Record<string, any>[]; decoder?: Record<string, any>[] }>;
}

/**
 * Σ over the batch of a HybridVAE's objective: the product of experts N(0, I) Π_{p present} N(μ_p, σ_p²) (a missing
 * part's precision multiplied by 0), z = μ + σ·ε, each present part's −log p(x_p | z) (a missing one multiplied by
 * 0), plus KL(q ‖ N(0, I)). `x` rows hold the parts side by side; `mask` [n, P] is 1 where a part is present.
 */
export function hybridObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: HybridConfig, x: Float32Array, mask: Float32Array,
  n: number, eps: T, epsC?: T): T {
  const L = cfg.latentSize, names = Object.keys(cfg.parts), P = names.length;
  const Wd = names.reduce((s, k) => s + cfg.parts[k].size, 0);
  const colOf = (m: Float32Array, p: number, w: number) => o.input(Float32Array.from({ length: n * w }, (_, i) => m[Math.floor(i / w) * P + p]), n, w);
  const col = (p: number, w: number) => colOf(mask, p, w);
  const slice = (off: number, w: number) => o.input(Float32Array.from({ length: n * w }, (_, i) => x[Math.floor(i / w) * Wd + off + (i % w)]), n, w);
  const xs: T[] = [];
  const experts: [T, T][] = [];
  let off = 0;
  names.forEach((name) => {
    const w = cfg.parts[name].size;
    const xp = slice(off, w);
    xs.push(xp);
    off += w;
    const part = cfg.parts[name], pre = `encoder.${name}`;
    const hl = part.encoder ? runLayers(o, W, pre, part.encoder, xp, n, part.shape!, cfg.leakySlope, true)[0] : undefined;
    const [mu, lv] = hl ? ["mean", "logvar"].map((k) => o.linear(hl, W[`${pre}.${k}.weight`], W[`${pre}.${k}.bias`])) : mlp(o, W, pre, xp, cfg, ["mean", "logvar"]);
    experts.push([mu, lv]);
  });
  /** The product of the prior and the experts present under mask m: [μ, log σ²]. */
  const posterior = (m: Float32Array): [T, T] => {
    let prec = o.input(new Float32Array(n * L).fill(1), n, L);
    let sm = o.input(new Float32Array(n * L), n, L);
    experts.forEach(([mu, lv], p) => {
      const pp = o.mul(o.exp(o.scale(lv, -1)), colOf(m, p, L));
      prec = o.add(prec, pp);
      sm = o.add(sm, o.mul(mu, pp));
    });
    const lvQ = o.scale(o.log(prec), -1);
    return [o.mul(sm, o.exp(lvQ)), lvQ];
  };
  /** −log p(x_p | z) per row [n, 1]. */
  const partNll = (p: number, z: T): T => {
    const name = names[p], part = cfg.parts[name], w = part.size, xp = xs[p];
    const [out] = part.decoder ? [runLayers(o, W, `decoder.${name}`, part.decoder, z, n, [L], cfg.leakySlope, true)[0]] : mlp(o, W, `decoder.${name}`, z, cfg, ["output"]);
    if (part.likelihood === "categorical") return o.sub(o.addScalar(o.logMeanExpCols(out), Math.log(w)), o.sumCols(o.mul(xp, out)));
    return nll(o, { likelihood: part.likelihood, likelihoodScale: part.scale ?? 1 }, out, xp, w, W[`decoder.${name}.log_scale`]);
  };
  const [muQ, lvQ] = posterior(mask);
  const z = o.add(muQ, o.mul(o.exp(o.scale(lvQ, 0.5)), eps));
  let total = o.sumAll(klNormal(o, muQ, lvQ));
  names.forEach((_, p) => {
    total = o.add(total, o.sumAll(o.mul(partNll(p, z), col(p, 1))));
  });
  // the classification term: its part predicted from the other parts present, on the rows that have it
  if (cfg.classification && epsC) {
    const c = names.indexOf(cfg.classification.part);
    const without = mask.map((v, i) => (i % P === c ? 0 : v));
    const [mu2, lv2] = posterior(without);
    const z2 = o.add(mu2, o.mul(o.exp(o.scale(lv2, 0.5)), epsC));
    total = o.add(total, o.scale(o.sumAll(o.mul(partNll(c, z2), col(c, 1))), cfg.classification.weight));
  }
  return total;
}
