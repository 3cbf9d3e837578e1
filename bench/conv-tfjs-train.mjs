// TensorFlow.js baseline for training the Keras conv VAE (issue 13; bench/conv-config.mjs): tf.conv2d /
// tf.conv2dTranspose with "same" padding (TF's own alignment, as Keras), dense layers as X·W, ReLU, Glorot-uniform
// weights and zero biases, loss = Σ softplus(l) − x·l (sigmoid BCE from logits) + KL per image, the batch mean,
// tf.train.adam(1e-3). A timed step = optimizer.minimize(loss, returnCost) + one dataSync of the loss.
// The wasm backend has no Conv2DBackpropFilter kernel (tfjs#8474) so its first step throws; createConvTfjsTrainer's
// `probe()` reports that, and the benchmark then times the cpu backend (as issue 13 says: "or cpu where wasm can't
// do the backward").
import { mulberry32 } from "./common.mjs";

/** A training-step runner on `tf`'s current backend; `images` Float32Array [n, 784] in [0, 1]. */
export function createConvTfjsTrainer(tf, { images, n, batchSize = 128, lr = 1e-3, seed = 1 }) {
  const rand = mulberry32(seed);
  const glorot = (shape, fanIn, fanOut) => {
    const bound = Math.sqrt(6 / (fanIn + fanOut));
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.variable(tf.tensor(new Float32Array(size).map(() => (2 * rand() - 1) * bound), shape));
  };
  const zeros = (k) => tf.variable(tf.zeros([k]));
  // conv2d filters [kh, kw, in, out]; conv2dTranspose filters [kh, kw, out, in]; dense [in, out]
  const e1 = glorot([3, 3, 1, 32], 9, 9 * 32), e1b = zeros(32);
  const e2 = glorot([3, 3, 32, 64], 9 * 32, 9 * 64), e2b = zeros(64);
  const e3 = glorot([3136, 16], 3136, 16), e3b = zeros(16);
  const mw = glorot([16, 2], 16, 2), mb = zeros(2);
  const lw = glorot([16, 2], 16, 2), lb = zeros(2);
  const d1 = glorot([2, 3136], 2, 3136), d1b = zeros(3136);
  const d2 = glorot([3, 3, 64, 64], 9 * 64, 9 * 64), d2b = zeros(64);
  const d3 = glorot([3, 3, 32, 64], 9 * 64, 9 * 32), d3b = zeros(32);
  const d4 = glorot([3, 3, 1, 32], 9 * 32, 9), d4b = zeros(1);
  const vars = [e1, e1b, e2, e2b, e3, e3b, mw, mb, lw, lb, d1, d1b, d2, d2b, d3, d3b, d4, d4b];
  const optimizer = tf.train.adam(lr); // β 0.9 / 0.999, ε 1e-7 (tfjs's defaults, Keras's too)

  const lossFn = (x) => () => {
    const B = x.shape[0];
    let h = tf.relu(tf.add(tf.conv2d(x, e1, 2, "same"), e1b));
    h = tf.relu(tf.add(tf.conv2d(h, e2, 2, "same"), e2b));
    h = tf.relu(tf.add(tf.matMul(tf.reshape(h, [B, 3136]), e3), e3b));
    const mu = tf.add(tf.matMul(h, mw), mb), logvar = tf.add(tf.matMul(h, lw), lb);
    const z = tf.add(mu, tf.mul(tf.randomNormal([B, 2]), tf.exp(tf.mul(logvar, 0.5))));
    let g = tf.reshape(tf.relu(tf.add(tf.matMul(z, d1), d1b)), [B, 7, 7, 64]);
    g = tf.relu(tf.add(tf.conv2dTranspose(g, d2, [B, 14, 14, 64], 2, "same"), d2b));
    g = tf.relu(tf.add(tf.conv2dTranspose(g, d3, [B, 28, 28, 32], 2, "same"), d3b));
    const logits = tf.add(tf.conv2dTranspose(g, d4, [B, 28, 28, 1], 1, "same"), d4b);
    const bce = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
    return tf.div(tf.add(bce, kl), B);
  };

  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const shuffle = () => {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  };
  shuffle();
  let pos = 0;
  const batch = new Float32Array(batchSize * 784);
  function step() {
    if (pos + batchSize > n) {
      shuffle();
      pos = 0;
    }
    for (let r = 0; r < batchSize; r++) batch.set(images.subarray(order[pos + r] * 784, (order[pos + r] + 1) * 784), r * 784);
    pos += batchSize;
    const x = tf.tensor4d(batch, [batchSize, 28, 28, 1]);
    try {
      const cost = optimizer.minimize(lossFn(x), true, vars);
      const loss = cost.dataSync()[0];
      cost.dispose();
      return loss;
    } finally {
      x.dispose();
    }
  }
  /** `steps` timed steps: examples, wall seconds, CPU seconds, the last loss per image. */
  function round(steps) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let loss = 0;
    for (let s = 0; s < steps; s++) loss = step();
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return { examples: steps * batchSize, seconds, cpuSeconds: (c.user + c.system) / 1e6, lossPerExample: loss };
  }
  /** One untimed step: null when it trains, else the error's message (the wasm backend's missing kernel). */
  function probe() {
    try {
      step();
      return null;
    } catch (e) {
      return String(e.message ?? e).split("\n")[0];
    }
  }
  return { round, probe, dispose: () => { for (const v of vars) v.dispose(); optimizer.dispose(); } };
}
