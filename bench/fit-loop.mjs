// Paired fit-loop benchmark: the same VAE.fit through this tree's dist/ and through a baseline build (another
// checkout's dist/, e.g. the main branch's, given as BASELINE_DIST), interleaved round by round so that a burst of
// load from a neighbour hits both alike. It measures what the training loop itself costs an existing model:
//   reference  784-400-(20,20)-400-784 relu, Bernoulli, batch 128, 20 batches of uniform [0, 1) pixels per round;
//   tiny       8-8-(2,2)-8-8, batch 8, 20000 batches per round — kernels so small that per-batch bookkeeping shows;
//   loop       the bare loop: each build's fit chunk (index-fit.js) on a scripted target whose forward/backward,
//              checks and optimizer do nothing, batch 4, 50000 batches per round — the loop's own cost per batch.
// Each round is one vae.fit(x, { epochs: 1, … }) per build on a model made once per build (after a warm-up fit).
// Reports, per case, the median examples/s of each build, the ratio of medians (this tree / baseline) and the
// median and range of the per-round paired ratios. Both builds must give the same weights (checked every round).
//
// BASELINE_DIST=/path/to/other/dist node bench/fit-loop.mjs   (BENCH_ROUNDS, default 9; BENCH_CASES=tiny,reference)
// Writes bench/results/fit-loop.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { median } from "./common.mjs";

const baseline = process.env.BASELINE_DIST;
if (!baseline) {
  console.error("set BASELINE_DIST to the dist/ directory of the build to compare against (e.g. main's)");
  process.exit(2);
}
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const dirs = { current: new URL("../dist/", import.meta.url).href, baseline: pathToFileURL(`${baseline.replace(/\/$/, "")}/`).href };
const builds = {
  current: await import(`${dirs.current}index.js`),
  baseline: await import(`${dirs.baseline}index.js`),
};
const loops = {
  current: await import(`${dirs.current}index-fit.js`),
  baseline: await import(`${dirs.baseline}index-fit.js`),
};

/** A training target that does nothing but count (TrainingTarget's shape, as the models build it). */
function noopTarget(rows) {
  let s = 0;
  return {
    seed: 1,
    optimizer: { prepare() {}, step(p) { s += p.learningRate; } },
    validate: () => ({ rows }),
    batchInput: () => (r, d, src) => void (s += src),
    forwardBackward: (n, g) => ({ loss: n * g, reconstruction: 1, kl: 2 }),
    stepTaken() { s++; },
    gradNormSquared: () => 1,
    gradNonFinite: () => 0,
    scaleGradients() {},
    evaluate: () => ({ loss: 1 }),
  };
}

function uniform(n, seed) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
  return out;
}

const CASES = {
  reference: { config: { inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 }, batch: 128, batches: 20 },
  tiny: { config: { inputSize: 8, hiddenSizes: [8], latentSize: 2, seed: 1 }, batch: 8, batches: 20000 },
};

const results = {};
function report(name, rates, n, extra = {}) {
  const paired = rates.current.map((v, i) => v / rates.baseline[i]);
  results[name] = {
    examplesPerSecond: { current: median(rates.current), baseline: median(rates.baseline) },
    ratioOfMedians: median(rates.current) / median(rates.baseline),
    pairedRatio: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) },
    rounds: ROUNDS,
    examplesPerRound: n,
    ...extra,
  };
  console.log(name, JSON.stringify(results[name]));
}
const only = process.env.BENCH_CASES?.split(",");
for (const [name, c] of Object.entries(CASES)) {
  if (only && !only.includes(name)) continue;
  const n = c.batch * c.batches;
  const x = uniform(n * c.config.inputSize, 7);
  const opts = { epochs: 1, batchSize: c.batch, learningRate: 1e-3 };
  const models = {};
  for (const [b, m] of Object.entries(builds)) {
    models[b] = await m.VAE.create(c.config);
    await models[b].fit(x, opts); // warm-up
  }
  const rates = { current: [], baseline: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? ["baseline", "current"] : ["current", "baseline"];
    for (const b of order) {
      const t0 = performance.now();
      await models[b].fit(x, opts);
      rates[b].push(n / ((performance.now() - t0) / 1000));
    }
    const w = Object.values(models).map((m) => m.getWeights());
    for (const k of Object.keys(w[0])) {
      if (Buffer.compare(Buffer.from(w[0][k].buffer), Buffer.from(w[1][k].buffer)) !== 0) throw new Error(`${name}: weights differ (${k}) after round ${r}`);
    }
  }
  for (const m of Object.values(models)) m.dispose();
  report(name, rates, n);
}
if (!only || only.includes("loop")) {
  const n = 200000, opts = { epochs: 1, batchSize: 4 };
  const rates = { current: [], baseline: [] };
  for (const b of Object.keys(loops)) await loops[b].fit(noopTarget(n), null, opts); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const b of r % 2 ? ["baseline", "current"] : ["current", "baseline"]) {
      const t0 = performance.now();
      await loops[b].fit(noopTarget(n), null, opts);
      rates[b].push(n / ((performance.now() - t0) / 1000));
    }
  }
  const us = (b) => (1e6 * 4) / median(rates[b]);
  report("loop", rates, n, { microsecondsPerBatch: { current: us("current"), baseline: us("baseline") } });
}
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(new URL("./results/fit-loop.json", import.meta.url), JSON.stringify({
  date: new Date().toISOString(), node: process.version, loadavg: loadavg(), baseline: "BASELINE_DIST (see the commit message)",
  sameWeightsEveryRound: true, results,
}, null, 2) + "\n");
