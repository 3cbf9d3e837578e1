// TensorFlow.js baseline for the training-step benchmark: the reference VAE (784-400-(20,20)-400-784 relu,
// Bernoulli from logits, closed-form KL, Adam 1e-3, batch 128) written with tf ops and tf.train.adam, on the
// 'wasm' backend (XNNPACK, SIMD, single-threaded in Node) and the 'cpu' backend (plain JS).
//
// Fair to TensorFlow.js: weights are stored [in, out] so every forward matmul is a plain X·W (the shape XNNPACK
// accelerates); nn.Linear's init (U(±1/√in) for weights and biases); loss = Σ softplus(l) − x·l + KL (the stable
// sigmoid-BCE from logits); eps drawn with tf.randomNormal inside the step, as in the reference.
// A timed step = optimizer.minimize(loss, returnCost) + one dataSync of the loss (one sync per step, like
// PyTorch's loss.item()), the batch uploaded from a Float32Array.
//
// Exports createTfjsTrainer(tf, options); `node bench/tfjs-train.mjs` prints JSON for both backends.
import { fileURLToPath } from "node:url";
import { loadMnistImages, loadTf, median, mulberry32, syntheticImages } from "./common.mjs";

/**
 * A training-step runner for one backend. `images` is a Float32Array [n, 784] in [0, 1]; batches are drawn from a
 * per-epoch shuffle, like the other contenders.
 */
export function createTfjsTrainer(tf, { images, n, batchSize = 128, hidden = 400, latent = 20, lr = 1e-3, seed = 1 }) {
  const D = 784;
  const rand = mulberry32(seed);
  const linear = (inp, out) => {
    const bound = 1 / Math.sqrt(inp);
    const w = new Float32Array(inp * out).map(() => (2 * rand() - 1) * bound);
    const b = new Float32Array(out).map(() => (2 * rand() - 1) * bound);
    return [tf.variable(tf.tensor2d(w, [inp, out])), tf.variable(tf.tensor1d(b))];
  };
  const [w1, b1] = linear(D, hidden);
  const [w21, b21] = linear(hidden, latent);
  const [w22, b22] = linear(hidden, latent);
  const [w3, b3] = linear(latent, hidden);
  const [w4, b4] = linear(hidden, D);
  const vars = [w1, b1, w21, b21, w22, b22, w3, b3, w4, b4];
  const optimizer = tf.train.adam(lr); // beta1 0.9, beta2 0.999, epsilon 1e-7 (tfjs default)

  const lossFn = (x) => () => {
    const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1));
    const mu = tf.add(tf.matMul(h1, w21), b21);
    const logvar = tf.add(tf.matMul(h1, w22), b22);
    const eps = tf.randomNormal([x.shape[0], latent]);
    const z = tf.add(mu, tf.mul(eps, tf.exp(tf.mul(logvar, 0.5))));
    const h3 = tf.relu(tf.add(tf.matMul(z, w3), b3));
    const logits = tf.add(tf.matMul(h3, w4), b4);
    const bce = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
    return tf.add(bce, kl);
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
  const batch = new Float32Array(batchSize * D);

  function step() {
    if (pos + batchSize > n) {
      shuffle();
      pos = 0;
    }
    for (let r = 0; r < batchSize; r++) {
      const i = order[pos + r];
      batch.set(images.subarray(i * D, (i + 1) * D), r * D);
    }
    pos += batchSize;
    const x = tf.tensor2d(batch, [batchSize, D]);
    const cost = optimizer.minimize(lossFn(x), true, vars);
    const loss = cost.dataSync()[0];
    cost.dispose();
    x.dispose();
    return loss;
  }

  /** Runs `steps` timed steps; returns examples, wall seconds, CPU seconds. */
  function round(steps) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let loss = 0;
    for (let s = 0; s < steps; s++) loss = step();
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return { examples: steps * batchSize, seconds, cpuSeconds: (c.user + c.system) / 1e6, lossPerExample: loss / batchSize };
  }

  function dispose() {
    for (const v of vars) v.dispose();
    optimizer.dispose();
  }

  return { step, round, dispose, numTensors: () => tf.memory().numTensors };
}

/** Standalone: both backends, a few rounds each; prints JSON. */
export async function main({ rounds = 3, steps = { wasm: 8, cpu: 2 }, warmup = { wasm: 2, cpu: 1 } } = {}) {
  const data = (loadMnistImages(40 * 128)) ?? syntheticImages(40 * 128);
  const out = { source: data.source };
  for (const backend of ["wasm", "cpu"]) {
    const tf = await loadTf(backend);
    const tr = createTfjsTrainer(tf, data);
    tr.round(warmup[backend]);
    const rs = [];
    for (let r = 0; r < rounds; r++) rs.push(tr.round(steps[backend]));
    tr.dispose();
    out[backend] = {
      examplesPerSecond: median(rs.map((r) => r.examples / r.seconds)),
      stepsTimed: rounds * steps[backend],
      rounds: rs,
      tfjsVersion: tf.version.tfjs,
    };
  }
  console.log(JSON.stringify(out, null, 1));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
