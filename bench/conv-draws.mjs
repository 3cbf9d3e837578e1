// Are vaekit's random draws for bench/conv-repro.mjs what Keras's recipe draws? Issue 13's reproduction ends 1–3 nats
// above Keras's and PyTorch's runs although one step and a 300-step trajectory from the same weights, batches and
// noise agree (bench/conv-trajectory.mjs), which leaves the draws themselves. This measures them, per seed:
//   * ε, the training noise z = μ + σ·ε: the whole 10-epoch stream fit draws (547 steps of up to 128 × 2 values per epoch, Philox
//     Box–Muller, regenerated with the testing build's rng_normal as the model draws it) — mean, variance, skewness,
//     kurtosis, the correlation of a row's two values (a Box–Muller pair) and of values one full step (128 rows) apart,
//     each with its standard error under N(0, 1);
//   * the Glorot-uniform weights: per tensor, the standard deviation over bound/√3 (1 for U(±bound)), the largest
//     |w| over the bound (just under 1) and the mean over the bound's standard error;
//   * the shuffle: each epoch's order is a permutation, and pairs of images that share a batch in epoch e share one
//     in epoch e + 1 as often as independent shuffles make them (expected: pairs × 127 / 69,999; the spread of that
//     count is measured on 200 pairs of Fisher–Yates shuffles drawn with node:crypto's randomInt).
//
//   npx tsx bench/conv-draws.mjs [--seeds 1,2,3,4,5] [--out bench/results/conv-draws.json]
// (tsx, because it imports the shuffle from src/train/shuffle.ts.) Needs `npm run build` (dist/ and build/vaekit-testing.wasm).
import { readFileSync, writeFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CONFIG, fitNoise } from "./conv-config.mjs";
import { permutation } from "../src/train/shuffle.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({ options: { seeds: { type: "string" }, out: { type: "string" } } });
const SEEDS = (args.seeds ?? "1,2,3,4,5").split(",").map(Number);
const OUT = args.out ?? `${ROOT}bench/results/conv-draws.json`;
const N_IMAGES = 70000, B = 128, L = CONFIG.latentSize, EPOCHS = 10;

const lib = await import("../dist/index.js");
const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(`${ROOT}build/vaekit-testing.wasm`)), {}).exports;

const round = (v, d = 5) => Number(v.toFixed(d));
const LAST = N_IMAGES - (Math.ceil(N_IMAGES / B) - 1) * B;
const PAIRS = (Math.ceil(N_IMAGES / B) - 1) * (B * (B - 1)) / 2 + (LAST * (LAST - 1)) / 2;

function noise(seed) {
  // fit's own ε stream, every step of every epoch (the epoch's last batch has 112 rows, so its draw is shorter)
  const e = new Float64Array(fitNoise(wasm, seed, N_IMAGES, EPOCHS)), n = e.length;
  let m1 = 0, m2 = 0, m3 = 0, m4 = 0, pair = 0, step = 0;
  for (let i = 0; i < n; i++) {
    const v = e[i], v2 = v * v;
    m1 += v; m2 += v2; m3 += v2 * v; m4 += v2 * v2;
  }
  for (let i = 0; i < n; i += 2) pair += e[i] * e[i + 1];
  const lag = B * L;
  for (let i = 0; i + lag < n; i++) step += e[i] * e[i + lag];
  const se = 1 / Math.sqrt(n);
  return {
    values: n,
    mean: round(m1 / n), meanSE: round(se),
    variance: round(m2 / n), varianceSE: round(Math.SQRT2 * se),
    skewness: round(m3 / n, 4), skewnessSE: round(Math.sqrt(6) * se, 4),
    kurtosis: round(m4 / n, 4), kurtosisSE: round(Math.sqrt(96) * se, 4),
    pairCorrelation: round(pair / (n / 2)), pairCorrelationSE: round(1 / Math.sqrt(n / 2)),
    stepCorrelation: round(step / (n - lag)), stepCorrelationSE: round(1 / Math.sqrt(n - lag)),
  };
}

async function weights(seed) {
  const vae = await lib.VAE.create({ ...CONFIG, seed });
  const w = vae.getWeights();
  vae.dispose();
  const out = {};
  for (const [name, t] of Object.entries(w)) {
    if (!name.endsWith(".weight")) continue;
    const bound = glorotBound(name, t.length);
    let s = 0, s2 = 0, big = 0;
    for (const v of t) { s += v; s2 += v * v; big = Math.max(big, Math.abs(v)); }
    const mean = s / t.length, sd = Math.sqrt(s2 / t.length - mean * mean);
    out[name] = { values: t.length, bound: round(bound, 6), sdOverUniformSd: round(sd / (bound / Math.sqrt(3)), 4),
      maxOverBound: round(big / bound, 4), meanInSE: round(mean / (bound / Math.sqrt(3) / Math.sqrt(t.length)), 2) };
  }
  return out;
}

/** Glorot's bound √(6 / (fan_in + fan_out)) for the config's layers, as Keras computes it (kernel size times channels). */
function glorotBound(name, count) {
  const fans = {
    "encoder.layers.0.weight": [1 * 9, 32 * 9], "encoder.layers.1.weight": [32 * 9, 64 * 9],
    "encoder.layers.3.weight": [7 * 7 * 64, 16], "encoder.mean.weight": [16, L], "encoder.logvar.weight": [16, L],
    "decoder.layers.0.weight": [L, 7 * 7 * 64], "decoder.layers.2.weight": [64 * 9, 64 * 9],
    "decoder.layers.3.weight": [64 * 9, 32 * 9], "decoder.layers.4.weight": [32 * 9, 1 * 9],
  }[name];
  if (!fans) throw new Error(`no fans for ${name} (${count} values): update glorotBound to the config`);
  return Math.sqrt(6 / (fans[0] + fans[1]));
}

/** How many pairs of images that share a batch in order p shared one in the order whose batch per image is prevAt. */
function sharedPairs(p, prevAt) {
  let shared = 0;
  for (let b = 0; b * B < N_IMAGES; b++) {
    const rows = p.subarray(b * B, Math.min((b + 1) * B, N_IMAGES));
    for (let i = 0; i < rows.length; i++) for (let j = i + 1; j < rows.length; j++) if (prevAt[rows[i]] === prevAt[rows[j]]) shared++;
  }
  return shared;
}

function batchOf(p) {
  const at = new Uint32Array(N_IMAGES);
  for (let i = 0; i < N_IMAGES; i++) at[p[i]] = Math.floor(i / B);
  return at;
}

function referenceShuffles(count) {
  const draw = () => {
    const p = new Uint32Array(N_IMAGES);
    for (let i = 0; i < N_IMAGES; i++) p[i] = i;
    for (let i = N_IMAGES - 1; i > 0; i--) {
      const j = randomInt(i + 1), t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  };
  const v = Array.from({ length: count }, () => sharedPairs(draw(), batchOf(draw())));
  const mean = v.reduce((a, b) => a + b, 0) / count;
  return { pairs: count, mean: round(mean, 1), sd: round(Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (count - 1)), 1) };
}

function shuffle(seed) {
  const perEpoch = [];
  let prev = null;
  for (let e = 0; e < EPOCHS; e++) {
    const p = permutation(N_IMAGES, seed, e);
    const seen = new Uint8Array(N_IMAGES);
    for (const v of p) seen[v] = 1;
    const isPermutation = seen.every((v) => v === 1);
    const at = batchOf(p);
    if (prev) {
      perEpoch.push({ epoch: e + 1, isPermutation, pairsSharingTheirPreviousBatch: sharedPairs(p, prev), expected: round(PAIRS * (B - 1) / (N_IMAGES - 1), 1) });
    } else perEpoch.push({ epoch: e + 1, isPermutation });
    prev = at;
  }
  return perEpoch;
}

const result = { what: "vaekit's random draws for Keras's conv VAE recipe (bench/conv-draws.mjs): training noise ε, Glorot weights, epoch shuffles, per seed",
  independentShuffles: referenceShuffles(200), seeds: {} };
console.log(`independent shuffles: pairs again together ${result.independentShuffles.mean} ± ${result.independentShuffles.sd}`);
for (const seed of SEEDS) {
  result.seeds[seed] = { noise: noise(seed), weights: await weights(seed), shuffle: shuffle(seed) };
  const z = result.seeds[seed].noise;
  console.log(`seed ${seed}: ε mean ${z.mean} var ${z.variance} skew ${z.skewness} kurt ${z.kurtosis} pair corr ${z.pairCorrelation} step corr ${z.stepCorrelation} (se ${z.meanSE} / ${z.varianceSE} / ${z.skewnessSE} / ${z.kurtosisSE} / ${z.pairCorrelationSE})`);
  for (const [k, v] of Object.entries(result.seeds[seed].weights)) console.log(`  ${k}: sd/(bound/√3) ${v.sdOverUniformSd} max/bound ${v.maxOverBound} mean ${v.meanInSE} se`);
  for (const s of result.seeds[seed].shuffle) if (s.expected !== undefined) console.log(`  epoch ${s.epoch}: permutation ${s.isPermutation}, pairs again together ${s.pairsSharingTheirPreviousBatch} (expected ${s.expected})`);
}
writeFileSync(OUT, `${JSON.stringify(result, null, 1)}\n`);
