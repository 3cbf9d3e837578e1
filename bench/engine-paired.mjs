// Paired old-vs-new benchmark of two builds of vaekit (issue 12: the module engine must be no slower): the
// training step (vae.fit over batches of 128, the reference model 784-400-(20,20)-400-784 relu Bernoulli, and the
// same model with a 10-class ConditionalVAE and with IWAE k = 5) and batch-1 inference (encode + decode of one
// MNIST image, the bench/infer.mjs call), each build loaded from its own dist folder in ONE process, interleaved
// round by round with the order alternated (old, new / new, old), so load from neighbours hits both alike.
// Figures: per contender the median over rounds of examples (calls) per second; per case the ratio new/old of
// those medians and the median, min and max of the per-round (paired) ratios. A ratio ≥ 0.97 is "within 3 %". The
// same figures per CPU second of the process (process.cpuUsage) are reported beside the wall-clock ones: on a loaded
// machine they leave out the time the process waits for a core.
//
// Usage: node bench/engine-paired.mjs --old <dist folder of the baseline> --new <dist folder> [--threads n] [--out file.json]
// (--threads: every model of both builds on n threads, default 1.)
// Env: BENCH_ROUNDS (default 9), BENCH_QUICK=1 (3 rounds).
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadMnistImages, median, syntheticImages } from "./common.mjs";

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dirs = { old: arg("old"), new: arg("new") ?? "dist" };
if (!dirs.old) throw new Error("usage: node bench/engine-paired.mjs --old <baseline dist folder> --new <dist folder> [--out file]");
const THREADS = Number(arg("threads") ?? 1);
const ROUNDS = process.env.BENCH_QUICK ? 3 : Number(process.env.BENCH_ROUNDS ?? 9);
const BATCH = 128, BATCHES = 40, CALLS = 200, BLOCKS = 10, D = 784, C = 10;
const SHORT = 10; // batches per training block: a round alternates old and new over 4 blocks of 10 batches

const data = loadMnistImages(BATCHES * BATCH) ?? syntheticImages(BATCHES * BATCH);
const x = data.images.subarray(0, BATCHES * BATCH * D);
const labels = Int32Array.from({ length: BATCHES * BATCH }, (_, i) => i % C);
const base = { inputSize: D, hiddenSizes: [400], latentSize: 20, activation: "relu", likelihood: "bernoulli", seed: 1 };

async function contender(dir) {
  const m = await import(pathToFileURL(resolve(dir, "index.js")).href);
  const eo = { threads: THREADS };
  const vae = await m.VAE.create(base, eo);
  const iwae = await m.VAE.create({ ...base, objective: "iwae", samples: 5 }, eo);
  const cvae = await m.ConditionalVAE.create({ ...base, classes: C }, eo);
  if (vae.engineInfo.threads !== THREADS) throw new Error(`${dir}: asked for ${THREADS} threads, got ${vae.engineInfo.threads}: ${vae.engineInfo.fallbacks}`);
  let seed = 1;
  // each case returns [work done, wall milliseconds, CPU milliseconds of this process]
  const fit = (model, data, batches = BATCHES, y = undefined) => async () => {
    const o = { epochs: 1, batchSize: BATCH, learningRate: 1e-3, shuffleSeed: seed++ };
    const c0 = process.cpuUsage(), t0 = performance.now();
    await (y ? model.fit(data, y, o) : model.fit(data, o));
    const c = process.cpuUsage(c0);
    return [batches * BATCH, performance.now() - t0, (c.user + c.system) / 1000];
  };
  let k = 0;
  const infer = async () => {
    let sink = 0;
    const c0 = process.cpuUsage(), t0 = performance.now();
    for (let i = 0; i < CALLS; i++, k++) sink += vae.decode(vae.encode(x.subarray((k % 512) * D, (k % 512 + 1) * D)).mean)[0];
    if (!Number.isFinite(sink)) throw new Error("non-finite output");
    const c = process.cpuUsage(c0);
    return [CALLS, performance.now() - t0, (c.user + c.system) / 1000];
  };
  const iwaeX = x.subarray(0, 4 * BATCH * D);
  return {
    cases: {
      "train VAE (examples/s)": fit(vae, x.subarray(0, SHORT * BATCH * D), SHORT),
      "train CVAE (examples/s)": fit(cvae, x.subarray(0, SHORT * BATCH * D), SHORT, labels.subarray(0, SHORT * BATCH)),
      "train IWAE k=5 (examples/s)": fit(iwae, iwaeX, 4),
      "batch-1 encode+decode (calls/s)": infer,
    },
    dispose: () => [vae, iwae, cvae].forEach((v) => v.dispose()),
  };
}

const old = await contender(dirs.old), neu = await contender(dirs.new);
const names = Object.keys(old.cases);
for (const n of names) { await old.cases[n](); await neu.cases[n](); } // warm-up
const rates = Object.fromEntries(names.map((n) => [n, { old: [], new: [] }]));
const cpuRates = Object.fromEntries(names.map((n) => [n, { old: [], new: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const n of names) {
    // batch-1 calls are short: a round alternates old and new over BLOCKS blocks of CALLS calls each
    const blocks = n.startsWith("batch-1") ? BLOCKS : 4;
    const sum = { old: [0, 0, 0], new: [0, 0, 0] };
    for (let j = 0; j < blocks; j++) {
      const order = (r + j) % 2 ? [["new", neu], ["old", old]] : [["old", old], ["new", neu]];
      for (const [tag, c] of order) {
        const [work, ms, cpu] = await c.cases[n]();
        sum[tag][0] += work;
        sum[tag][1] += ms;
        sum[tag][2] += cpu;
      }
    }
    for (const tag of ["old", "new"]) {
      rates[n][tag].push(sum[tag][0] / (sum[tag][1] / 1000));
      cpuRates[n][tag].push(sum[tag][0] / (sum[tag][2] / 1000));
    }
  }
  process.stderr.write(`round ${r + 1}/${ROUNDS}\n`);
}
old.dispose();
neu.dispose();
const results = {};
const summary = (o, w) => {
  const paired = o.map((v, i) => w[i] / v);
  return {
    oldMedian: median(o), newMedian: median(w), ratioOfMedians: median(w) / median(o),
    pairedRatio: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) }, old: o, new: w,
  };
};
const line = (label, r) => `${label.padEnd(40)} old ${r.oldMedian.toFixed(0).padStart(7)}  new ${r.newMedian.toFixed(0).padStart(7)}  new/old ${r.ratioOfMedians.toFixed(3)}  paired median ${r.pairedRatio.median.toFixed(3)} [${r.pairedRatio.min.toFixed(3)}, ${r.pairedRatio.max.toFixed(3)}]`;
for (const n of names) {
  // wall clock, and per CPU second of this process (what a descheduled process does not spend: steadier under load)
  results[n] = { wall: summary(rates[n].old, rates[n].new), cpu: summary(cpuRates[n].old, cpuRates[n].new) };
  console.log(line(n, results[n].wall));
  console.log(line(`  per CPU second`, results[n].cpu));
}
const out = arg("out");
if (out) {
  writeFileSync(out, JSON.stringify({
    what: "paired old-vs-new builds, one process, interleaved rounds (bench/engine-paired.mjs)", rounds: ROUNDS, threads: THREADS,
    data: data.source, date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(), results,
  }, null, 2) + "\n");
}
