// Two-core ceiling: how much faster two threads can go on this machine at all. The register-only f32x4 mul+add probe
// (bench/probe.ts, as bench/gemm.mjs builds it into bench/.build/probe.wasm) runs for a fixed number of calls on one
// worker thread, then on two at once, interleaved over rounds; the ratio of throughputs is the best any two-thread
// speed-up can reach here (2.0 on two free physical cores; less when the two vCPUs share a core or the host is busy).
// No memory traffic, no synchronisation: a ceiling, not a model of vaekit's threads.
// Writes bench/results/cores.json and prints a line; `npm run bench` runs it (after gemm.mjs has built the probe).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { median } from "./common.mjs";

const PROBE = fileURLToPath(new URL("./.build/probe.wasm", import.meta.url));
const ITERS = 200_000, CALLS = 40; // 12 chains × 8 flop per iteration: ~19 GFLOP per worker per round
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { exports: k } = new WebAssembly.Instance(new WebAssembly.Module(workerData.bytes), { env: { abort() {} } });
k.probe_f32x4_muladd(1000, 0.999, 0.001);
parentPort.on("message", (calls) => {
  const t0 = performance.now();
  let s = 0;
  for (let i = 0; i < calls; i++) s += k.probe_f32x4_muladd(${ITERS}, 0.999, 0.001);
  parentPort.postMessage({ ms: performance.now() - t0, s });
});`;

/**
 * The probe's two workers, kept for rounds: round() runs `calls` calls on one thread, then on both at once, and
 * returns both throughputs (calls per ms) — also used by bench/train-step.mjs, between its training rounds, to
 * measure the ceiling under the same conditions as the two-thread training figures.
 */
export async function createCoresProbe(calls = CALLS) {
  if (!existsSync(PROBE)) throw new Error("bench/.build/probe.wasm is missing: run bench/gemm.mjs first (it builds the probe)");
  const bytes = readFileSync(PROBE);
  const start = () => new Worker(WORKER, { eval: true, workerData: { bytes } });
  const a = start(), b = start();
  const run = (w) => new Promise((ok) => { w.once("message", ok); w.postMessage(calls); });
  await Promise.all([run(a), run(b)]); // warm-up (tier-up)
  return {
    async round() {
      const t = await run(a);
      const t0 = performance.now();
      await Promise.all([run(a), run(b)]);
      const one = calls / t.ms, two = (2 * calls) / (performance.now() - t0);
      return { one, two, ratio: two / one };
    },
    dispose: () => Promise.all([a.terminate(), b.terminate()]),
  };
}

export async function main() {
  const probe = await createCoresProbe();
  const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
  const one = [], two = [];
  for (let r = 0; r < rounds; r++) {
    const t = await probe.round();
    one.push(t.one);
    two.push(t.two);
  }
  await probe.dispose();
  const ratios = one.map((x, i) => two[i] / x);
  const out = {
    benchmark: "cores", date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length,
    loadavg: loadavg(), rounds,
    gflopsOneThread: { median: median(one) * ITERS * 96 / 1e6, min: Math.min(...one) * ITERS * 96 / 1e6, max: Math.max(...one) * ITERS * 96 / 1e6 },
    gflopsTwoThreads: { median: median(two) * ITERS * 96 / 1e6, min: Math.min(...two) * ITERS * 96 / 1e6, max: Math.max(...two) * ITERS * 96 / 1e6 },
    twoOverOne: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/cores.json", import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
  console.error(`cores: f32x4 mul+add probe, 1 thread ${out.gflopsOneThread.median.toFixed(1)} GFLOP/s, 2 threads ${out.gflopsTwoThreads.median.toFixed(1)}: ` +
    `×${out.twoOverOne.median.toFixed(2)} (${out.twoOverOne.min.toFixed(2)}–${out.twoOverOne.max.toFixed(2)}) -> bench/results/cores.json`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
