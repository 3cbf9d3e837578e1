// What the label concatenation of a ConditionalVAE costs in a training step (issue 12: "give the kernels row strides
// where that removes copies"). One process, interleaved rounds: the CVAE training step of the reference model
// (784-400-(20,20)-400-784 relu Bernoulli, 10 classes, batch 128, dist/index.js), and the very copies its concat
// module makes per step — the encoder input [x | y] (128 rows of 784 + 10), the decoder input [z | y] (128 rows of
// 20 + 10) and z's gradient out of [z | y]'s (128 rows of 20) — as the module makes them: copyWithin on a
// Float32Array view of a WebAssembly memory. Reported: microseconds per step of each, and the copies' share.
//
// Usage: node bench/concat-cost.mjs [--dist folder] [--out file.json]   Env: BENCH_ROUNDS (default 7).
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadMnistImages, median, syntheticImages } from "./common.mjs";

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const BATCH = 128, BATCHES = 10, D = 784, C = 10, L = 20, COPIES = 2000;
const { ConditionalVAE } = await import(pathToFileURL(resolve(arg("dist") ?? "dist", "index.js")).href);
const data = loadMnistImages(BATCHES * BATCH) ?? syntheticImages(BATCHES * BATCH);
const x = data.images.subarray(0, BATCHES * BATCH * D);
const labels = Int32Array.from({ length: BATCHES * BATCH }, (_, i) => i % C);
const cvae = await ConditionalVAE.create({ inputSize: D, hiddenSizes: [400], latentSize: L, activation: "relu", likelihood: "bernoulli", classes: C, seed: 1 });

// the concat module's copies (src/nn/concat.ts), on buffers laid out in a wasm memory as the workspace lays them out
const mem = new WebAssembly.Memory({ initial: 64 });
const f = new Float32Array(mem.buffer);
const at = { x: 0, y: BATCH * D, xc: BATCH * (D + C), z: 2 * BATCH * (D + C), zc: 2 * BATCH * (D + C) + BATCH * L };
at.dz = at.zc + BATCH * (L + C);
at.dzc = at.dz + BATCH * L;
f.set(x.subarray(0, BATCH * D), at.x);
const concat = (o, a, aCols, b, bCols, rows) => {
  const w = aCols + bCols;
  for (let r = 0; r < rows; r++) {
    f.copyWithin(o + r * w, a + r * aCols, a + (r + 1) * aCols);
    f.copyWithin(o + r * w + aCols, b + r * bCols, b + (r + 1) * bCols);
  }
};
const back = (d, g, aCols, w, rows) => {
  for (let r = 0; r < rows; r++) f.copyWithin(d + r * aCols, g + r * w, g + r * w + aCols);
};
const copies = () => {
  const t0 = performance.now();
  for (let i = 0; i < COPIES; i++) {
    concat(at.xc, at.x, D, at.y, C, BATCH);
    concat(at.zc, at.z, L, at.y, C, BATCH);
    back(at.dz, at.dzc, L, L + C, BATCH);
  }
  return ((performance.now() - t0) * 1000) / COPIES; // µs per step
};
const step = async (seed) => {
  const t0 = performance.now();
  await cvae.fit(x, labels, { epochs: 1, batchSize: BATCH, learningRate: 1e-3, shuffleSeed: seed });
  return ((performance.now() - t0) * 1000) / BATCHES; // µs per step
};
await step(0);
copies();
const steps = [], copy = [];
for (let r = 0; r < ROUNDS; r++) {
  steps.push(await step(r + 1));
  copy.push(copies());
}
cvae.dispose();
const result = {
  what: "CVAE training step vs the concat module's copies per step (bench/concat-cost.mjs)", dist: arg("dist") ?? "dist", rounds: ROUNDS, data: data.source,
  date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(),
  stepMicros: median(steps), copyMicros: median(copy), share: median(copy) / median(steps), steps, copies: copy,
};
console.log(`CVAE step ${result.stepMicros.toFixed(0)} µs; concat copies ${result.copyMicros.toFixed(1)} µs per step = ${(100 * result.share).toFixed(2)} % of the step`);
if (arg("out")) writeFileSync(arg("out"), JSON.stringify(result, null, 2) + "\n");
