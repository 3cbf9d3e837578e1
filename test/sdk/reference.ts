// Independent re-implementations of every model's training objective, written once over a small set of tensor
// operations with two back ends: float64 matrices (for central finite differences) and TensorFlow.js tensors
// (for autograd). They take the weights by name in PyTorch layout and the noise as explicit arrays, so they see
// exactly what a vaekit model sees.

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
