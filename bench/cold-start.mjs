// Cold start: in fresh Node processes, the time from just before `import("vaekit")` (the built dist/index.js) to the
// first decoded sample of a small VAE, split into its steps. Each run is a new child process (cold module cache,
// cold JIT); the figures are medians with min and max over the runs. Target: under 20 ms in total.
//   import        await import("dist/index.js")                       (parse + evaluate the bundle)
//   compile       await init()                                          (read vaekit.wasm and compile it: the default
//                                                                        module, cached for the realm)
//   create        await VAE.create(config)                              (instantiate + allocate + initialise weights)
//     instantiate   WebAssembly.instantiate of the same compiled module, timed separately in the same child after the
//                   run (V8 reuses the compiled code): the share of `create` that is instantiation
//   first decode  vae.decode(z) of one latent vector                    (first call: Liftoff code, workspace allocation)
//   second decode the same call again                                   (for comparison: what "warm" costs)
// Also the plain user path without init() (import → VAE.create → decode), whose total must match.
//
// Writes bench/results/cold-start.json. Env: BENCH_RUNS (default 30), BENCH_QUICK=1 (10 runs).
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./common.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const entry = pathToFileURL(join(root, "dist", "index.js")).href;
const wasmPath = join(root, "dist", "vaekit.wasm");
const CONFIG = { inputSize: 784, hiddenSizes: [128], latentSize: 16, seed: 1 };
const TARGET_MS = 20;

// The child: steps timed with performance.now(); prints one JSON line.
const childWithInit = `
const t0 = performance.now();
const { init, VAE } = await import(${JSON.stringify(entry)});
const t1 = performance.now();
await init();
const t2 = performance.now();
const vae = await VAE.create(${JSON.stringify(CONFIG)});
const t3 = performance.now();
const img = vae.decode(new Float32Array(${CONFIG.latentSize}));
const t4 = performance.now();
vae.decode(new Float32Array(${CONFIG.latentSize}).fill(0.5));
const t5 = performance.now();
const { readFileSync } = await import("node:fs");
const mod = await WebAssembly.compile(readFileSync(${JSON.stringify(wasmPath)}));
const t6 = performance.now();
await WebAssembly.instantiate(mod, {});
const t7 = performance.now();
if (img.length !== ${CONFIG.inputSize} || !(img[0] > 0 && img[0] < 1)) process.exit(3);
console.log(JSON.stringify({ import: t1 - t0, compile: t2 - t1, create: t3 - t2, firstDecode: t4 - t3, secondDecode: t5 - t4,
  instantiate: t7 - t6, total: t4 - t0 }));
`;
const childPlain = `
const t0 = performance.now();
const { VAE } = await import(${JSON.stringify(entry)});
const t1 = performance.now();
const vae = await VAE.create(${JSON.stringify(CONFIG)});
const t2 = performance.now();
const img = vae.decode(new Float32Array(${CONFIG.latentSize}));
const t3 = performance.now();
if (img.length !== ${CONFIG.inputSize}) process.exit(3);
console.log(JSON.stringify({ import: t1 - t0, create: t2 - t1, firstDecode: t3 - t2, total: t3 - t0 }));
`;

// Each child is a script file (bench/.build/), as a user's app.mjs would be: Node has set up its ESM loader before
// the script's first line runs (with `node -e`, that set-up would land inside the timed import).
function runChild(source) {
  const file = join(here, ".build", `cold-start-${source === childPlain ? "plain" : "init"}.mjs`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cold-start child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

export async function main() {
  const quick = process.env.BENCH_QUICK === "1";
  const runs = Number(process.env.BENCH_RUNS ?? (quick ? 10 : 30));
  const env = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavgStart: loadavg() };
  const withInit = [], plain = [];
  runChild(childWithInit); // the first child warms the OS file cache, not V8
  for (let i = 0; i < runs; i++) {
    withInit.push(runChild(childWithInit));
    plain.push(runChild(childPlain));
  }
  const steps = {};
  for (const k of Object.keys(withInit[0])) steps[k] = stats(withInit.map((r) => r[k]));
  const plainSteps = {};
  for (const k of Object.keys(plain[0])) plainSteps[k] = stats(plain.map((r) => r[k]));
  const out = {
    benchmark: "cold-start",
    model: `VAE ${CONFIG.inputSize}-${CONFIG.hiddenSizes.join("-")}-${CONFIG.latentSize} (Bernoulli), first decode of one latent vector`,
    entry: "dist/index.js (Node, wasm read from disk)", unit: "ms", runs,
    env: { ...env, loadavgEnd: loadavg() },
    steps, plain: plainSteps,
    shares: { compileOfTotal: steps.compile.median / steps.total.median, importOfTotal: steps.import.median / steps.total.median },
    verdict: { target: `total < ${TARGET_MS} ms`, met: steps.total.median < TARGET_MS && plainSteps.total.median < TARGET_MS },
  };
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "cold-start.json"), `${JSON.stringify(out, null, 1)}\n`);
  const f = (s) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
  console.log("| step | ms, median (min–max) |\n|---|---:|");
  for (const [k, v] of Object.entries(steps)) console.log(`| ${k} | ${f(v)} |`);
  console.log(`| plain path total (no init) | ${f(plainSteps.total)} |`);
  console.log(`\ncompile share ${(out.shares.compileOfTotal * 100).toFixed(0)} %; target < ${TARGET_MS} ms: ${out.verdict.met ? "met" : "not met"}; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
