// Training speed of the Keras conv VAE (issue 13; bench/conv-config.mjs): vaekit exact on 1 thread (the headline),
// vaekit fast (relaxed-SIMD FMA) on 1 thread and exact on 2 threads beside it, PyTorch 1.13 on one thread
// (bench/torch_conv_train.py --serve: the same layers, Glorot init, Adam 1e-3, batch 128) and TensorFlow.js
// (bench/conv-tfjs-train.mjs: the wasm backend when it can train the model, otherwise cpu — the wasm backend has no
// Conv2DBackpropFilter), all in ONE run on the first 5,120 MNIST training images / 255.
//
// The machine is shared, so the contenders are interleaved round by round (vaekit, vaekit fast, vaekit ×2, PyTorch,
// TF.js, vaekit, …): a burst of load from a neighbour hits them alike. A figure is the median over rounds of images
// per second; a ratio is the ratio of medians, with the spread of the per-round (paired) ratios beside it; the load
// average is recorded at every round.
// - vaekit: one round = vae.fit(x, { epochs: 1, batchSize: 128, learningRate: 1e-3, eps: 1e-7, lossReduction: "mean" })
//   over BATCHES batches (the whole user-facing call), after a warm-up fit.
// - PyTorch: BATCHES steps per round (zero_grad, forward, loss, backward, Adam, loss.item()).
// - TF.js: one step of 4 images per round (its cpu backend needs minutes of CPU time for a 128-image step).
//
//   node bench/conv-train.mjs            (needs `npm run build`; BENCH_ROUNDS (default 5), BENCH_QUICK=1)
// Writes bench/results/conv-train.json.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ensureRelaxedSimd, loadMnistImages, loadTf, median, syntheticImages } from "./common.mjs";
import { CONFIG } from "./conv-config.mjs";
import { createConvTfjsTrainer } from "./conv-tfjs-train.mjs";
import { torchAvailable } from "./train-step.mjs";

const PYTHON = process.env.BENCH_PYTHON ?? "/usr/bin/python3";
const QUICK = process.env.BENCH_QUICK === "1";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 5));
const BATCH = 128;
const BATCHES = QUICK ? 2 : 4;
// TF.js's cpu backend takes minutes of CPU time per 128-image step of this model: it is timed on one step of
// TFJS_BATCH images per round (images/s of a conv net hardly depend on the batch size there; said in the results)
const TFJS_STEPS = 1;
const TFJS_BATCH = 4;
const TARGETS = { exact1OverPytorch1: 0.5, exact1OverTfjs: 10 };
const rate = (r) => r.examples / r.seconds;

async function createVaekit(images, engine) {
  const { VAE } = await import("../dist/index.js");
  const vae = await VAE.create(CONFIG, engine);
  let seed = 1;
  async function round(batches = BATCHES) {
    const x = images.subarray(0, batches * BATCH * 784);
    const c0 = process.cpuUsage(), t0 = performance.now();
    let loss = NaN;
    await vae.fit(x, { epochs: 1, batchSize: BATCH, learningRate: 1e-3, eps: 1e-7, lossReduction: "mean", shuffleSeed: seed++,
      onBatchEnd: (b) => void (loss = b.loss) });
    const seconds = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
    return { examples: batches * BATCH, seconds, cpuSeconds: (c.user + c.system) / 1e6, lossPerExample: loss };
  }
  return { round, info: vae.engineInfo, dispose: () => vae.dispose() };
}

async function createTorchConv(threads) {
  const child = spawn(PYTHON, [fileURLToPath(new URL("./torch_conv_train.py", import.meta.url)), "--serve", "--threads", String(threads)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("bench/torch_conv_train.py exited early");
    return JSON.parse(value);
  };
  const info = await next();
  return { info, round: async (steps) => (child.stdin.write(`round ${steps}\n`), next()), dispose: () => child.stdin.end("quit\n") };
}

function summarize(rounds, extra) {
  const rates = rounds.map(rate);
  return { imagesPerSecond: median(rates), min: Math.min(...rates), max: Math.max(...rates), rounds, ...extra };
}

function ratio(a, b, ra, rb) {
  const paired = ra.map((r, i) => rate(r) / rate(rb[i]));
  return { value: a.imagesPerSecond / b.imagesPerSecond, pairedMedian: median(paired), pairedMin: Math.min(...paired), pairedMax: Math.max(...paired) };
}

export async function main() {
  const log = (s) => process.stderr.write(`conv-train: ${s}\n`);
  const data = loadMnistImages(40 * BATCH) ?? syntheticImages(40 * BATCH);
  const env = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavgStart: loadavg() };
  log(`${env.cpu}, ${env.cores} cores, load ${env.loadavgStart.map((x) => x.toFixed(2)).join(" ")}, ${ROUNDS} rounds`);
  const vk = {
    exact1: await createVaekit(data.images, {}),
    fast1: await createVaekit(data.images, { precision: "fast" }),
    exact2: await createVaekit(data.images, { threads: 2 }),
  };
  for (const [k, v] of Object.entries(vk)) if (v.info.fallbacks.length) log(`vaekit ${k}: ${v.info.fallbacks.join("; ")}`);
  // TF.js: wasm if it can train the model, else cpu
  let tfBackend = "wasm", tf = await loadTf("wasm");
  let tfjs = createConvTfjsTrainer(tf, { ...data, batchSize: TFJS_BATCH });
  const wasmFailure = tfjs.probe();
  if (wasmFailure) {
    log(`tfjs wasm cannot train the conv VAE (${wasmFailure}); timing the cpu backend`);
    tfjs.dispose();
    tfBackend = "cpu";
    tf = await loadTf("cpu");
    tfjs = createConvTfjsTrainer(tf, { ...data, batchSize: TFJS_BATCH });
    tfjs.probe();
  }
  const tav = torchAvailable();
  if (!tav.ok) throw new Error(`PyTorch is needed for this benchmark: ${tav.why}`);
  const torch = await createTorchConv(1);

  // warm-up (JIT tiers, wasm tier-up, worker start-up)
  for (const v of Object.values(vk)) await v.round(2);
  await torch.round(2);
  // (tfjs: its probe step above was its warm-up)

  const rounds = { exact1: [], fast1: [], exact2: [], pytorch1: [], tfjs: [] };
  const loads = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, v] of Object.entries(vk)) rounds[k].push(await v.round());
    rounds.pytorch1.push(await torch.round(BATCHES));
    rounds.tfjs.push(tfjs.round(TFJS_STEPS));
    loads.push(loadavg()[0]);
    const f = (k) => rate(rounds[k][r]).toFixed(0);
    log(`round ${r + 1}/${ROUNDS}: vaekit exact ${f("exact1")}, fast ${f("fast1")}, exact×2 ${f("exact2")}, PyTorch ${f("pytorch1")}, ` +
      `tfjs-${tfBackend} ${f("tfjs")} images/s; load ${loads[r].toFixed(1)}`);
  }
  for (const v of Object.values(vk)) v.dispose();
  torch.dispose();
  tfjs.dispose();

  const engineOf = (v) => ({ precision: v.info.precision, threads: v.info.threads, fallbacks: v.info.fallbacks });
  const results = {
    vaekitExact1: summarize(rounds.exact1, { how: `VAE.fit, 1 epoch of ${BATCHES} batches per round (dist/index.js)`, engine: engineOf(vk.exact1) }),
    vaekitFast1: summarize(rounds.fast1, { how: 'the same, { precision: "fast" }', engine: engineOf(vk.fast1) }),
    vaekitExact2: summarize(rounds.exact2, { how: "the same, { threads: 2 }", engine: engineOf(vk.exact2) }),
    pytorch1: summarize(rounds.pytorch1, { how: `bench/torch_conv_train.py, ${BATCHES} steps per round, 1 thread`, torchVersion: torch.info.torchVersion }),
    tfjs: summarize(rounds.tfjs, { how: `bench/conv-tfjs-train.mjs, ${TFJS_STEPS} step of ${TFJS_BATCH} images per round, backend ${tfBackend}`, backend: tfBackend,
      wasmBackend: wasmFailure ? `cannot train it: ${wasmFailure}` : "trains it", tfjsVersion: tf.version.tfjs }),
  };
  const ratios = {
    exact1OverPytorch1: ratio(results.vaekitExact1, results.pytorch1, rounds.exact1, rounds.pytorch1),
    exact1OverTfjs: ratio(results.vaekitExact1, results.tfjs, rounds.exact1, rounds.tfjs),
    fast1OverPytorch1: ratio(results.vaekitFast1, results.pytorch1, rounds.fast1, rounds.pytorch1),
    exact2OverPytorch1: ratio(results.vaekitExact2, results.pytorch1, rounds.exact2, rounds.pytorch1),
    fast1OverExact1: ratio(results.vaekitFast1, results.vaekitExact1, rounds.fast1, rounds.exact1),
    exact2OverExact1: ratio(results.vaekitExact2, results.vaekitExact1, rounds.exact2, rounds.exact1),
  };
  const verdict = Object.fromEntries(Object.entries(TARGETS).map(([k, t]) => [k, { target: t, met: ratios[k].value >= t }]));
  const out = {
    benchmark: "conv-train",
    model: "Keras conv VAE (bench/conv-config.mjs): conv 32/64 s2 → dense 16 → latent 2 → dense 3136 → convT 64/32 s2 → convT 1; Bernoulli, Adam 1e-3, batch 128",
    data: `${data.source}, first ${data.n} images / 255`,
    rounds: ROUNDS,
    env: { ...env, loadavgEnd: loadavg(), loadavgPerRound: loads },
    results, ratios, verdict,
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/conv-train.json", import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
  log(`vaekit ${results.vaekitExact1.imagesPerSecond.toFixed(0)} images/s: ×${ratios.exact1OverPytorch1.value.toFixed(2)} PyTorch (1 thread), ` +
    `×${ratios.exact1OverTfjs.value.toFixed(1)} tfjs-${tfBackend} -> bench/results/conv-train.json`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureRelaxedSimd();
  await main();
}
