// The cross-runtime conformance scenario: one deterministic workout of the vaekit API whose every output is
// hashed. It imports nothing; each runtime's entry passes in the vaekit module the way a user of that runtime
// would import it, and the hash must come out the same everywhere (and equal conformance/expected-hash.txt).
//
// run(vaekit, { engine }) → { hash, sections, checks }
//   hash:     SHA-256 (hex) over every section below, in order, each framed by its name and byte length
//   sections: { name: SHA-256 hex of that section alone }, so a mismatch says which output differs
//   checks:   how many round-trip and sanity assertions held (any failure throws instead)
// `engine` is passed to VAE.create/VAE.load as their options (e.g. { wasm }); entries normally leave it out.

/** A tiny integer generator (xorshift32): the same sequence in every engine, no Math.random, no data files. */
function xorshift32(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * A fixed synthetic batch: n rows of `cols` values in [0, 1], each a multiple of 1/256 (exact in f32), made of
 * a few "strokes" so the data has structure to learn, plus sparse noise; about half the pixels are exactly 0,
 * so the zero-skipping first layer is exercised too.
 */
function syntheticBatch(n, cols, seed) {
  const next = xorshift32(seed);
  const x = new Float32Array(n * cols);
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const pattern = next() % 4;
    for (let j = 0; j < cols; j++) {
      const onStroke = (j + pattern * 3) % 8 < 3 || (j >> 3) === pattern * 2;
      const u = next();
      if (onStroke) row[j] = (128 + (u & 127)) / 256;
      else if ((u >>> 8) % 5 === 0) row[j] = (u >>> 24) / 256;
    }
  }
  return x;
}

/** Little-endian bytes of float64 numbers (loss terms are JS numbers). */
function f64Bytes(numbers) {
  const out = new Uint8Array(numbers.length * 8);
  const view = new DataView(out.buffer);
  numbers.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return out;
}

/** Little-endian bytes of a Float32Array, bit for bit (NaN payloads included). */
function f32Bytes(a) {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < bits.length; i++) view.setUint32(i * 4, bits[i], true);
  return out;
}

function namedF32(record) {
  const names = Object.keys(record).sort();
  const parts = [];
  for (const n of names) parts.push(new TextEncoder().encode(n), f32Bytes(record[n]));
  return concat(parts);
}

function concat(parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function fail(message) {
  throw new Error(`conformance: ${message}`);
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The models exercised: together they cover every activation's and likelihood's exp/log paths and all optimizers. */
const CASES = [
  {
    name: "relu-bernoulli-adam",
    config: { inputSize: 64, hiddenSizes: [32], latentSize: 4, activation: "relu", likelihood: "bernoulli", beta: 1, seed: 11 },
    fit: { epochs: 4, batchSize: 8, learningRate: 1e-2, shuffleSeed: 5 },
  },
  {
    name: "tanh-gaussian-sgd",
    config: {
      inputSize: 64, hiddenSizes: [32, 16], decoderHiddenSizes: [24], latentSize: 4, activation: "tanh",
      likelihood: "gaussian", likelihoodScale: 0.5, beta: 0.5, seed: 12,
    },
    fit: {
      epochs: 3, batchSize: 12, learningRate: 1e-2, optimizer: "sgd", momentum: 0.9, nesterov: true, clipNorm: 5,
      lossReduction: "mean", shuffleSeed: 6,
    },
  },
  {
    name: "sigmoid-laplace-adamw",
    config: {
      inputSize: 64, hiddenSizes: [32], latentSize: 4, activation: "sigmoid", likelihood: "laplace",
      likelihoodScale: 0.25, beta: 1, seed: 13,
    },
    fit: { epochs: 3, batchSize: 16, learningRate: 5e-3, optimizer: "adamw", weightDecay: 0.05, shuffleSeed: 7 },
  },
  {
    name: "leaky-bernoulli-adam-clip",
    config: {
      inputSize: 64, hiddenSizes: [32], latentSize: 4, activation: "leaky_relu", leakySlope: 0.1,
      likelihood: "bernoulli", beta: 2, seed: 14,
    },
    fit: { epochs: 2, batchSize: 32, learningRate: 2e-2, clipNorm: 1, shuffleSeed: 8 },
  },
];

const ROWS = 48;

/**
 * The rest of the family, briefly: each model trains a few steps through its own kernels (continuous Bernoulli,
 * learned σ, IWAE weights, sparsity, input corruption, two stochastic layers, labels), then its outputs and
 * importance-weighted log-likelihoods are hashed; save → load must be exact for each. Also checks that error classes
 * keep their names in the minified builds.
 */
async function family(vaekit, x, engine, add, check) {
  const { VAE, Autoencoder, ConditionalVAE, HierarchicalVAE, loadModel, InvalidInputError } = vaekit;
  for (const name of ["Autoencoder", "ConditionalVAE", "HierarchicalVAE", "loadModel"]) {
    check(typeof vaekit[name] === "function", `the module has no ${name}`);
  }
  try {
    await VAE.create({ inputSize: 0, latentSize: 2 }, engine);
    check(false, "VAE.create accepted inputSize 0");
  } catch (e) {
    check(e.name === "InvalidConfigError" && e instanceof vaekit.VaekitError, `a bad config threw ${e.name}, expected InvalidConfigError`);
  }
  const labels = Int32Array.from({ length: ROWS }, (_, i) => i % 3);
  const models = [
    ["iwae-cbernoulli", () => VAE.create({ inputSize: 64, hiddenSizes: [24], latentSize: 3, activation: "tanh",
      likelihood: "continuous-bernoulli", objective: "iwae", samples: 4, seed: 21 }, engine),
      (m) => m.fit(x, { epochs: 2, batchSize: 16, shuffleSeed: 1 })],
    ["learned-sigma-capacity", () => VAE.create({ inputSize: 64, hiddenSizes: [24], latentSize: 3, likelihood: "gaussian",
      sigma: "learned", capacity: { gamma: 10, max: 5, steps: 8 }, seed: 22 }, engine),
      (m) => m.fit(x, { epochs: 2, batchSize: 16, shuffleSeed: 2 })],
    ["sparse-denoising-ae", () => Autoencoder.create({ inputSize: 64, hiddenSizes: [24], latentSize: 8,
      latentActivation: "sigmoid", sparsity: { type: "kl", rho: 0.1, weight: 0.5 }, denoising: { type: "mask", p: 0.25 }, seed: 23 }, engine),
      (m) => m.fit(x, { epochs: 2, batchSize: 16, shuffleSeed: 3 })],
    ["gaussian-denoising-ae", () => Autoencoder.create({ inputSize: 64, hiddenSizes: [24], latentSize: 6,
      sparsity: { type: "l1", weight: 0.01 }, denoising: { type: "gaussian", sigma: 0.2 }, likelihood: "gaussian", seed: 24 }, engine),
      (m) => m.fit(x, { epochs: 2, batchSize: 16, shuffleSeed: 4 })],
    ["conditional", () => ConditionalVAE.create({ inputSize: 64, hiddenSizes: [24], latentSize: 3, classes: 3, klWarmup: 5, seed: 25 }, engine),
      (m) => m.fit(x, labels, { epochs: 2, batchSize: 16, shuffleSeed: 5 })],
    ["hierarchical-iwae", () => HierarchicalVAE.create({ inputSize: 64, hiddenSizes: [[24], [12]], latentSizes: [6, 3],
      activation: "tanh", objective: "iwae", samples: 3, seed: 26 }, engine),
      (m) => m.fit(x, { epochs: 2, batchSize: 16, shuffleSeed: 6, dynamicBinarization: true, binarizationSeed: 7 })],
  ];
  for (const [name, create, train] of models) {
    const p = (s) => `${name}/${s}`;
    const m = await create();
    const history = await train(m);
    add(p("fit.history"), f64Bytes(history.flatMap((h) => [h.loss])));
    add(p("fit.weights"), namedF32(m.getWeights()));
    const conditional = name === "conditional";
    const outs = (model) => {
      const o = [];
      if (conditional) {
        o.push(["sample", f32Bytes(model.sample(6, { label: 2, seed: 3 }))]);
        o.push(["reconstruct", f32Bytes(model.reconstruct(x, labels))]);
        o.push(["logLikelihood", f64Bytes(Array.from(model.logLikelihood(x.subarray(0, 8 * 64), labels.subarray(0, 8), { samples: 64, seed: 1 })))]);
      } else {
        o.push(["reconstruct", f32Bytes(model.reconstruct(x))]);
        if (typeof model.sample === "function") o.push(["sample", f32Bytes(model.sample(6, { seed: 3 }))]);
        if (typeof model.logLikelihood === "function") {
          o.push(["logLikelihood", f64Bytes(Array.from(model.logLikelihood(x.subarray(0, 8 * 64), { samples: 64, seed: 1 })))]);
        }
      }
      return o;
    };
    const mine = outs(m);
    for (const [n, b] of mine) add(p(n), b);
    const saved = m.save();
    add(p("saved.safetensors"), saved);
    const loaded = await loadModel(saved, engine);
    check(loaded.constructor === m.constructor, `${name}: loadModel gave a ${loaded.constructor.name}`);
    check(sameBytes(loaded.save(), saved), `${name}: load(save()).save() differs from save()`);
    const theirs = outs(loaded);
    for (let i = 0; i < mine.length; i++) check(sameBytes(theirs[i][1], mine[i][1]), `${name}: ${mine[i][0]} differs after load`);
    try {
      m.reconstruct(new Float32Array(63));
      check(false, `${name}: reconstruct accepted a short row`);
    } catch (e) {
      check(e instanceof InvalidInputError && e.name === "InvalidInputError", `${name}: a short row threw ${e.name}`);
    }
    loaded.dispose();
    m.dispose();
  }
}

/**
 * Runs the scenario against a vaekit module and returns the hash of everything it produced.
 * Throws (with what went wrong) when a round trip is not exact or an output is malformed.
 */
export async function run(vaekit, { engine = {} } = {}) {
  const { VAE } = vaekit;
  if (typeof VAE?.create !== "function") fail("the module given has no VAE.create");
  const sections = []; // [name, bytes]
  const add = (name, bytes) => sections.push([name, bytes]);
  let checks = 0;
  const check = (ok, message) => {
    if (!ok) fail(message);
    checks++;
  };

  const x = syntheticBatch(ROWS, 64, 2024);
  add("data", f32Bytes(x));

  for (const c of CASES) {
    const p = (s) => `${c.name}/${s}`;
    const vae = await VAE.create(c.config, engine);
    add(p("init.safetensors"), vae.save());

    const before = vae.evaluate(x, { seed: 1 });
    const history = await vae.fit(x, c.fit);
    check(history.length === c.fit.epochs, `${c.name}: fit returned ${history.length} epoch logs, expected ${c.fit.epochs}`);
    const terms = history.flatMap((h) => [h.loss, h.reconstruction, h.kl]);
    check(terms.every(Number.isFinite), `${c.name}: a training loss is not finite: ${terms}`);
    add(p("fit.history"), f64Bytes(terms));
    const after = vae.evaluate(x, { seed: 1 });
    check(after.loss < before.loss, `${c.name}: training did not lower the loss (${before.loss} → ${after.loss})`);
    add(p("fit.weights"), namedF32(vae.getWeights()));

    const outputs = (m) => {
      const enc = m.encode(x);
      const ev = m.evaluate(x, { seed: 3 });
      const g = m.gradients(x.subarray(0, 16 * 64), { seed: 4 });
      return [
        ["encode.mean", f32Bytes(enc.mean)],
        ["encode.logVar", f32Bytes(enc.logVar)],
        ["decode", f32Bytes(m.decode(enc.mean))],
        ["reconstruct", f32Bytes(m.reconstruct(x))],
        ["reconstruct.sampled", f32Bytes(m.reconstruct(x, { sample: true, seed: 9 }))],
        ["sample", f32Bytes(m.sample(20, { seed: 7 }))],
        ["evaluate", f64Bytes([ev.loss, ev.reconstruction, ev.kl])],
        ["gradients", concat([f64Bytes([g.loss, g.reconstruction, g.kl]), namedF32(g.gradients)])],
      ];
    };
    const mine = outputs(vae);
    const L = c.config.latentSize;
    check(mine[0][1].length === ROWS * L * 4 && mine[5][1].length === 20 * 64 * 4, `${c.name}: output sizes are wrong`);
    for (const [name, bytes] of mine) add(p(name), bytes);

    const saved = vae.save();
    add(p("saved.safetensors"), saved);
    const loaded = await VAE.load(saved, engine);
    check(sameBytes(loaded.save(), saved), `${c.name}: VAE.load(save()).save() differs from save()`);
    check(sameBytes(namedF32(loaded.getWeights()), namedF32(vae.getWeights())), `${c.name}: loaded weights differ`);
    const theirs = outputs(loaded);
    for (let i = 0; i < mine.length; i++) {
      check(sameBytes(theirs[i][1], mine[i][1]), `${c.name}: ${mine[i][0]} of the loaded model differs from the original's`);
    }
    loaded.dispose();
    vae.dispose();
  }

  await family(vaekit, x, engine, add, check);

  const named = {};
  const framed = [];
  for (const [name, bytes] of sections) {
    named[name] = hex(await crypto.subtle.digest("SHA-256", bytes));
    const head = new TextEncoder().encode(`${name}\n${bytes.length}\n`);
    framed.push(head, bytes);
  }
  const hash = hex(await crypto.subtle.digest("SHA-256", concat(framed)));
  return { hash, sections: named, checks };
}
