// The playground's model lives in this Web Worker, so training never blocks the page. The page sends requests
// { id, type, ...args } and gets { id, result } or { id, error } back; while `train` runs, the worker also posts
// { type: "batch", ... } after every optimizer step. fit() yields to the event loop between batches, so decode,
// sample and score requests are answered during training too.
//
// Module workers don't see the page's import map, hence the path to the package's browser build; it fetches the
// vaekit.wasm beside it.
import { VAE } from "./node_modules/vaekit/dist/web.js";

const PIXELS = 784;
/** 784-256-2: a 2-D latent space, so every point of the explorer's plane is a code. */
const CONFIG = { inputSize: PIXELS, hiddenSizes: [256], latentSize: 2, activation: "relu", likelihood: "bernoulli", seed: 1 };
/** Draws of z per example for the anomaly score (−ELBO), with a fixed seed so a drawing always gets one score. */
const SCORE = { samples: 32, seed: 1 };

let vae;
let data; // { train, test: Float32Array [n × 784], labels: Uint8Array }
let training; // { controller, done } while fit runs
let typical; // { steps, score }: the median −ELBO of test digits, for the weights after that many steps

async function fetchBytes(name) {
  const res = await fetch(new URL(`./data/${name}`, self.location.href));
  if (!res.ok) throw new Error(`GET data/${name} answered ${res.status}; start the page with \`node serve.mjs\``);
  return new Uint8Array(await res.arrayBuffer());
}

const toUnit = (bytes) => Float32Array.from(bytes, (v) => v / 255);

function info(extra = {}) {
  return { config: vae.config, parameters: vae.parameterCount, steps: vae.trainingSteps, train: data.train.length / PIXELS, test: data.labels.length, ...extra };
}

function checkInput(pixels) {
  if (!(pixels instanceof Float32Array) || pixels.length !== PIXELS) throw new Error(`expected a Float32Array of ${PIXELS} pixels`);
  return pixels;
}

/** One test digit of each class 0–9, then the next of each, …: `n` images in all. */
function spread(n) {
  const rows = [];
  for (let round = 0; rows.length < n; round++) {
    for (let digit = 0; digit < 10 && rows.length < n; digit++) {
      let seen = 0;
      const i = data.labels.findIndex((l) => l === digit && seen++ === round);
      if (i >= 0) rows.push(i);
    }
  }
  const x = new Float32Array(n * PIXELS);
  rows.forEach((r, k) => x.set(data.test.subarray(r * PIXELS, (r + 1) * PIXELS), k * PIXELS));
  return x;
}

async function stopTraining() {
  if (!training) return;
  training.controller.abort();
  await training.done;
}

const handlers = {
  async init() {
    const [train, test, labels] = await Promise.all(["train-images.u8", "test-images.u8", "test-labels.u8"].map(fetchBytes));
    data = { train: toUnit(train), test: toUnit(test), labels };
    vae = await VAE.create(CONFIG);
    return info();
  },

  async train({ epochs, batchSize, learningRate }) {
    if (training) throw new Error("already training");
    const controller = new AbortController();
    const first = vae.trainingSteps;
    const t0 = performance.now();
    let stopped = false;
    const done = vae
      .fit(data.train, {
        epochs, batchSize, learningRate, signal: controller.signal,
        shuffleSeed: 1 + vae.trainingSteps, // a fresh order for each run, the same for the same history
        onBatchEnd: (b) => {
          self.postMessage({ type: "batch", step: vae.trainingSteps, epoch: b.epoch, epochs, batch: b.batch, batches: b.batches, loss: b.loss, reconstruction: b.reconstruction, kl: b.kl });
        },
      })
      .catch((e) => {
        if (!controller.signal.aborted) throw e;
        stopped = true;
      })
      .finally(() => (training = undefined));
    training = { controller, done };
    await done;
    const steps = vae.trainingSteps - first;
    return info({ stopped, images: steps * batchSize, seconds: (performance.now() - t0) / 1000 });
  },

  async stop() {
    await stopTraining();
    return info();
  },

  sample({ n, seed }) {
    return vae.sample(n, { seed });
  },

  reconstruct({ n }) {
    const originals = spread(n);
    return { originals, reconstructions: vae.reconstruct(originals) };
  },

  decode({ z }) {
    return vae.decode(Float32Array.from(z));
  },

  /** Means of q(z|x) of the first n test digits, with their labels: the explorer's scatter plot. */
  latentMap({ n }) {
    const count = Math.min(n, data.labels.length);
    return { means: vae.encode(data.test.subarray(0, count * PIXELS)).mean, labels: data.labels.slice(0, count) };
  },

  score({ pixels }) {
    const x = checkInput(pixels);
    if (typical?.steps !== vae.trainingSteps) {
      // 300 test digits with 4 draws each: the same expectation as 32 draws, at a fraction of the cost.
      const scores = vae.anomalyScore(data.test.subarray(0, 300 * PIXELS), { samples: 4, seed: 1 }).sort();
      typical = { steps: vae.trainingSteps, score: scores[scores.length >> 1] };
    }
    return { score: vae.anomalyScore(x, SCORE)[0], typical: typical.score, reconstruction: vae.reconstruct(x) };
  },

  save() {
    return vae.save();
  },

  async load({ bytes }) {
    const next = await VAE.load(bytes);
    const c = next.config;
    if (c.inputSize !== PIXELS || c.latentSize !== 2) {
      next.dispose();
      throw new Error(`this playground needs a VAE with 784 inputs and a 2-D latent space; the file has ${c.inputSize} inputs and latentSize ${c.latentSize}`);
    }
    await stopTraining();
    vae.dispose();
    vae = next;
    typical = undefined;
    return info();
  },
};

/** Typed arrays in a result travel as transfers (no copy). */
function transfers(value, out = []) {
  if (ArrayBuffer.isView(value)) out.push(value.buffer);
  else if (value && typeof value === "object") for (const v of Object.values(value)) transfers(v, out);
  return out;
}

self.onmessage = async ({ data: msg }) => {
  const { id, type, ...args } = msg;
  try {
    const handler = handlers[type];
    if (!handler) throw new Error(`unknown request ${type}`);
    if (type !== "init" && !vae) throw new Error("the model is not ready yet");
    const result = await handler(args);
    self.postMessage({ id, result }, [...new Set(transfers(result))]);
  } catch (e) {
    self.postMessage({ id, error: `${e?.name ?? "Error"}: ${e?.message ?? e}` });
  }
};
