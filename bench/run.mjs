// `npm run bench` (= npm run build && node bench/run.mjs): every benchmark in sequence, each in a child process
// of its own (a clean heap and JIT state per question), then bench/results/README.md: one table of every
// figure and ratio with the date, Node version and CPU.
//   bench/gemm.mjs        -> bench/results/gemm.json        (if present)
//   bench/conv.mjs        -> bench/results/conv.json        (conv kernels on the Keras conv VAE's layers)
//   bench/conv-train.mjs  -> bench/results/conv-train.json  (training the Keras conv VAE vs PyTorch and TF.js)
//   bench/train-step.mjs  -> bench/results/train-step.json
//   bench/infer.mjs       -> bench/results/infer.json         (batch-1 latency vs tfjs-wasm and the weight-read floor)
//   bench/cold-start.mjs  -> bench/results/cold-start.json    (import → first decoded sample, fresh processes)
//   bench/memory.mjs      -> bench/results/memory.json        (no growth over 100,000 calls; training peak)
// Environment passed through: BENCH_ROUNDS, BENCH_QUICK=1.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const ROOT = here("..");
const RESULTS = here("./results/");

const BENCHES = [
  { name: "gemm", script: "gemm.mjs", json: "gemm.json" },
  { name: "conv", script: "conv.mjs", json: "conv.json" },
  { name: "conv-train", script: "conv-train.mjs", json: "conv-train.json" },
  { name: "cores", script: "cores.mjs", json: "cores.json" },
  { name: "train-step", script: "train-step.mjs", json: "train-step.json" },
  { name: "infer", script: "infer.mjs", json: "infer.json" },
  { name: "cold-start", script: "cold-start.mjs", json: "cold-start.json" },
  { name: "memory", script: "memory.mjs", json: "memory.json", nodeArgs: ["--expose-gc"] },
];

function runAll() {
  const status = {};
  for (const b of BENCHES) {
    const script = here(`./${b.script}`);
    if (!existsSync(script)) {
      status[b.name] = { ran: false, why: `bench/${b.script} does not exist` };
      console.error(`bench: skipping ${b.name} (bench/${b.script} does not exist)`);
      continue;
    }
    console.error(`bench: ${b.name} ...`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [...(b.nodeArgs ?? []), script], { cwd: ROOT, stdio: "inherit", env: process.env });
    status[b.name] = r.status === 0
      ? { ran: true, seconds: (Date.now() - t0) / 1000 }
      : { ran: false, why: `bench/${b.script} exited with ${r.status ?? r.signal}` };
  }
  return status;
}

function readJson(name) {
  const p = `${RESULTS}${name}`;
  return existsSync(p) ? JSON.parse(readFileSync(p, "utf8")) : null;
}

const f0 = (x) => (x == null ? "—" : Math.round(x).toLocaleString("en-US"));
const f1 = (x) => (x == null ? "—" : x.toFixed(1));
const f2 = (x) => (x == null ? "—" : x.toFixed(2));
const f3 = (x) => (x == null ? "—" : x.toFixed(3));
const verdict = (met) => (met == null ? "—" : met ? "met" : "**not met**");

function trainStepSection(t, cores) {
  const L = [];
  L.push("## Training step (reference VAE, batch 128)");
  L.push("");
  L.push(`${t.model}; ${t.data}. ${t.rounds} interleaved rounds (vaekit exact on MNIST and on dense data, vaekit exact on 2 threads, fast on 1 and 2, tfjs-wasm, PyTorch on 1 and 2 threads in turn); figures are medians`);
  L.push(`over rounds (min–max in brackets); ratios are ratios of those medians (the verdict uses these), with the ratio of the`);
  L.push(`best rounds (noise here only slows a contender down) and the median and range of the per-round (paired) ratios. Run ${t.env.date}, load average ${t.env.loadavgStart.map(f2).join(" ")} at start, ${t.env.loadavgEnd.map(f2).join(" ")} at end.`);
  const busy = Math.max(t.env.loadavgStart[0], t.env.loadavgEnd[0]);
  // The run itself keeps one or two cores busy; more than that means someone else was computing too.
  if (busy > 2.5) {
    L.push("");
    L.push(`> **The machine was busy during this run** (1-minute load average up to ${f2(busy)} on ${t.env.cores} cores, of which this`);
    L.push("> run accounts for about 1; a CPU/wall");
    L.push("> below 1 means a contender lost time to other processes). Every figure is depressed and the ratios are less");
    L.push("> steady than on a quiet machine; rerun `npm run bench` when it is idle before quoting them.");
  }
  if (t.results.vaekitDenseData) {
    L.push("");
    L.push("vaekit's first layer skips zero inputs: MNIST pixels are about 81 % exact zeros, and the two GEMMs that read the");
    L.push("input (forward X·W1, gradient Xᵀ·dZ1) leave those terms out (results bit-identical to the dense kernels). The");
    L.push("headline is on MNIST; **on dense data** (the same model on uniform [0, 1) pixels, nothing to skip) vaekit runs at");
    L.push(`**${f0(t.results.vaekitDenseData.examplesPerSecond)} examples/s**, ${f3(t.ratios.vaekitDenseDataOverTfjsWasm?.value)}× TensorFlow.js wasm (row \"vaekit, dense data\" below).`);
  }
  L.push("");
  L.push("| contender | examples/s | steps timed | CPU/wall | how |");
  L.push("|---|---:|---:|---:|---|");
  const row = (name, r) => {
    if (!r || r.skipped) return L.push(`| ${name} | — | — | — | skipped: ${r?.skipped ?? "not run"} |`);
    L.push(`| ${name} | ${f0(r.examplesPerSecond)} (${f0(r.examplesPerSecondMin)}–${f0(r.examplesPerSecondMax)}) | ${r.stepsTimed} | ${f2(r.cpuPerWall)} | ${r.how}${r.engine?.fallbacks?.length ? ` — **fell back**: ${r.engine.fallbacks.join("; ")}` : ""}${r.torchVersion ? `; torch ${r.torchVersion}, ${r.threads} thread(s), BLAS ${r.blas?.mapped?.find((m) => m.includes("openblas")) ? "OpenBLAS" : r.blas?.mapped?.[0] ?? "?"}` : ""}${r.tfjsVersion ? `; tfjs ${r.tfjsVersion}` : ""} |`);
  };
  row("vaekit exact, 1 thread (MNIST)", t.results.vaekit);
  if (t.results.vaekitDenseData) row("vaekit exact, 1 thread, dense data", t.results.vaekitDenseData);
  if (t.results.vaekitExact2) row("vaekit exact, 2 threads", t.results.vaekitExact2);
  if (t.results.vaekitFast1) row("vaekit fast, 1 thread", t.results.vaekitFast1);
  if (t.results.vaekitFast2) row("vaekit fast, 2 threads", t.results.vaekitFast2);
  row("TensorFlow.js, wasm backend", t.results.tfjsWasm);
  row("TensorFlow.js, cpu backend", t.results.tfjsCpu);
  row("PyTorch (1 thread)", t.results.pytorch);
  if (t.results.pytorch2) row("PyTorch (2 threads)", t.results.pytorch2);
  L.push("");
  L.push("| ratio | value (of medians) | of best rounds | paired median (min–max) | target | |");
  L.push("|---|---:|---:|---:|---:|---|");
  const rr = (name, r, v) => {
    if (!r) return L.push(`| ${name} | — | — | — | ${v?.target != null ? `≥ ${v.target}` : ""} | ${v?.why ?? "not measured"} |`);
    const paired = r.pairedMedian == null ? "—" : `${f3(r.pairedMedian)} (${f3(r.pairedMin)}–${f3(r.pairedMax)})`;
    L.push(`| ${name} | **${f3(r.value)}×** | ${f3(r.ofBest)}× | ${paired} | ${v ? `≥ ${v.target}` : ""} | ${v ? verdict(v.met) : ""} |`);
  };
  rr("vaekit / TensorFlow.js wasm", t.ratios.vaekitOverTfjsWasm, t.verdict.vaekitOverTfjsWasm);
  rr("vaekit / TensorFlow.js cpu", t.ratios.vaekitOverTfjsCpu);
  if (t.ratios.vaekitDenseDataOverTfjsWasm) rr("vaekit on dense data / TensorFlow.js wasm (on MNIST)", t.ratios.vaekitDenseDataOverTfjsWasm);
  rr("vaekit / PyTorch", t.ratios.vaekitOverPytorch, t.verdict.vaekitOverPytorch);
  if (t.ratios.fast1OverExact1) {
    rr("vaekit fast / exact (1 thread)", t.ratios.fast1OverExact1);
    rr("vaekit exact: 2 threads / 1", t.ratios.exact2OverExact1);
    rr("vaekit fast: 2 threads / 1", t.ratios.fast2OverFast1, t.verdict.fast2OverFast1);
    rr("vaekit fast 1 thread / PyTorch 1 thread", t.ratios.fast1OverPytorch1, t.verdict.fast1OverPytorch1);
    rr(`vaekit fast 2 threads / PyTorch's faster (${t.verdict.fast2OverPytorchBest?.against === "pytorch2" ? "2 threads" : "1 thread"})`, t.ratios.fast2OverPytorchBest, t.verdict.fast2OverPytorchBest);
    rr("PyTorch: 2 threads / 1", t.ratios.pytorch2OverPytorch1);
    const c = t.twoCoreCeiling;
    if (c) {
      L.push(`| what the machine gave two threads in the same rounds: a register-only f32x4 probe, 2 threads / 1 (bench/cores.mjs) | ` +
        `**${f3(c.median)}×** | — | ${f3(c.median)} (${f3(c.min)}–${f3(c.max)}) |  | 2.0 on two free cores |`);
      const sh = (x) => `${f3(x.median)} (${f3(x.min)}–${f3(x.max)})`;
      L.push(`| vaekit 2 threads / 1 ÷ the probe's, round by round: fast; exact | — | — | ${sh(c.fast2OverFast1Share)}; ${sh(c.exact2OverExact1Share)} |  | above 1: the probe's round was hit harder |`);
    } else if (cores) {
      L.push(`| this machine's two-core ceiling: a register-only f32x4 probe on 2 threads / 1 (bench/cores.mjs, ${cores.date}) | ` +
        `**${f3(cores.twoOverOne.median)}×** | ${f3(cores.twoOverOne.max)}× | — |  | the most any 2-thread speed-up can be here |`);
    }
    rr("vaekit fast 2 threads / TensorFlow.js wasm", t.ratios.fast2OverTfjsWasm);
  }
  return L;
}

function gemmSection(g) {
  const L = [];
  L.push(`## GEMM (M=${g.shape.M}, K=${g.shape.K}, N=${g.shape.N}: the reference model's first layer at batch 128)`);
  L.push("");
  L.push(`${g.method.repeats} rounds, ~${g.method.sample_ms} ms per sample; ${g.method.statistic}. Run ${g.machine.date}.`);
  L.push("");
  L.push("| case | GFLOP/s median | min | max | ms/call |");
  L.push("|---|---:|---:|---:|---:|");
  for (const [name, r] of Object.entries(g.results)) {
    L.push(`| ${name} | ${f1(r.gflops_median)} | ${f1(r.gflops_min)} | ${f1(r.gflops_max)} | ${r.ms_per_call_median == null ? "" : f3(r.ms_per_call_median)} |`);
  }
  L.push("");
  L.push("| ratio | value | ratio of medians | target | |");
  L.push("|---|---:|---:|---:|---|");
  for (const r of Object.values(g.ratios ?? {})) {
    L.push(`| ${r.what} | **${f3(r.value)}** | ${f3(r.ratio_of_medians)} | ≥ ${r.target} | ${verdict(r.pass)} |`);
  }
  for (const [k, v] of Object.entries(g.ratios_for_reference ?? {})) L.push(`| ${k.replaceAll("_", " ")} | ${f2(v)} | | | |`);
  return L;
}

// ---- convolution kernels (bench/conv.mjs) ----
function convSection(c) {
  const L = [];
  L.push(`## Convolution kernels (the Keras conv VAE's layers, batch ${c.batch})`);
  L.push("");
  L.push(`${c.rounds} rounds; ${c.method}. Run ${c.date}.`);
  L.push("");
  L.push("| case | GFLOP/s median | ms/call | share of ceiling |");
  L.push("|---|---:|---:|---:|");
  for (const [name, r] of Object.entries(c.results)) {
    L.push(`| ${name} | ${f1(r.gflops_median)} | ${f3(r.ms_per_call_median)} | ${r.of_ceiling == null ? "" : `${f1(100 * r.of_ceiling)} %`} |`);
  }
  L.push("");
  L.push("| model (all five layers) | share of ceiling | target | |");
  L.push("|---|---:|---:|---|");
  for (const [name, r] of Object.entries(c.model)) {
    L.push(`| ${name} | ${r.of_ceiling == null ? f3(r.value) : `**${f1(100 * r.of_ceiling)} %**`} | ${r.target == null ? "" : `≥ ${100 * r.target} %`} | ${verdict(r.pass)} |`);
  }
  return L;
}

// ---- training the conv VAE (bench/conv-train.mjs) ----
function convTrainSection(t) {
  const L = [];
  L.push("## Training the Keras conv VAE");
  L.push("");
  L.push(`${t.model}; ${t.data}. ${t.rounds} interleaved rounds, run ${t.env.date} on ${t.env.cpu}, load average ${t.env.loadavgStart.map(f2).join(" ")} at start, ${t.env.loadavgEnd.map(f2).join(" ")} at end.`);
  L.push("");
  L.push("| contender | images/s | how |");
  L.push("|---|---:|---|");
  for (const [name, r] of Object.entries(t.results)) L.push(`| ${name} | ${r.imagesPerSecond < 10 ? f2(r.imagesPerSecond) : f0(r.imagesPerSecond)} | ${r.how} |`);
  L.push("");
  L.push("| ratio | value (of medians) | paired median (min–max) |");
  L.push("|---|---:|---:|");
  for (const [name, r] of Object.entries(t.ratios)) L.push(`| ${name} | **${f2(r.value)}×** | ${f2(r.pairedMedian)} (${f2(r.pairedMin)}–${f2(r.pairedMax)}) |`);
  return L;
}

const mb = (b) => (b == null ? "—" : `${(b / 2 ** 20).toFixed(2)} MiB`);
const spread = (s, f = f1) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : "—");
const loadLine = (env) => `load average ${env.loadavgStart.map(f2).join(" ")} at start, ${env.loadavgEnd.map(f2).join(" ")} at end`;

function inferSection(r) {
  const L = [];
  L.push("## Batch-1 inference (reference VAE, one example)");
  L.push("");
  L.push(`${r.model}; ${r.data}. µs per \`encode(x)\` + \`decode(mean)\` of one example, each call timed on its own, median (min–max)`);
  L.push(`over ${r.rounds} interleaved rounds. The floor reads the model's ${mb(r.weightBytes)} of weights once (bench/read-probe.ts). At batch 1 vaekit`);
  L.push(`reads only the rows of W under nonzero inputs (same bits as the dense kernels): a call reads ${f0(r.weightsReadShare.mnist * 100)} % of the weight bytes on an`);
  L.push(`MNIST image, ${f0(r.weightsReadShare.dense * 100)} % on a dense one. Run ${r.env.date}, ${loadLine(r.env)}.`);
  L.push("");
  L.push("| contender | µs per encode + decode |");
  L.push("|---|---:|");
  const l = r.latency;
  L.push(`| vaekit, MNIST image | ${spread(l.vaekit)} |`);
  L.push(`| vaekit, dense image | ${spread(l.vaekitDense)} |`);
  L.push(`| vaekit's kernels alone (no SDK around them) | ${spread(l.kernels)} |`);
  L.push(`| TensorFlow.js, wasm backend (fused matMuls) | ${spread(l.tfjs)} |`);
  L.push(`| weight-read floor (v128.or over the weight bytes) | ${spread(l.floorOr)} |`);
  L.push(`| weight read with f32x4.add | ${spread(l.floorSum)} |`);
  L.push("");
  L.push("| ratio | value | paired median (min–max) | target | |");
  L.push("|---|---:|---:|---:|---|");
  const q = r.ratios;
  const pr = (x) => (x.pairedMedian == null ? "—" : `${f2(x.pairedMedian)} (${f2(x.pairedMin)}–${f2(x.pairedMax)})`);
  L.push(`| TensorFlow.js wasm / vaekit (speed-up) | **${f2(q.vaekitOverTfjsWasm.value)}×** | ${pr(q.vaekitOverTfjsWasm)} | ${r.verdict.vaekitOverTfjsWasm.target} | ${verdict(r.verdict.vaekitOverTfjsWasm.met)} |`);
  L.push(`| vaekit / floor | **${f2(q.vaekitOverFloor.value)}×** | ${pr(q.vaekitOverFloor)} | ${r.verdict.vaekitOverFloor.target} | ${verdict(r.verdict.vaekitOverFloor.met)} |`);
  L.push(`| vaekit on a dense image / floor | ${f2(q.vaekitDenseOverFloor.value)}× | | | |`);
  L.push(`| SDK's share of vaekit's time | ${f0(q.sdkShare.value * 100)} % | | | |`);
  L.push(`| batch 128: vaekit / TensorFlow.js wasm (examples/s ${f0(r.batch128.vaekit.median)} vs ${f0(r.batch128.tfjsWasm.median)}) | ${f2(q.batch128VaekitOverTfjs.value)}× | | | |`);
  return L;
}

function coldStartSection(c) {
  const L = [];
  L.push("## Cold start (import → first decoded sample, Node)");
  L.push("");
  L.push(`${c.model}; ${c.entry}. ${c.runs} fresh child processes per path; ms, median (min–max). Run ${c.env.date}, ${loadLine(c.env)}.`);
  L.push("");
  L.push("| step | ms |");
  L.push("|---|---:|");
  const s = c.steps;
  const rows = [["import (parse + evaluate dist/index.js)", s.import], ["compile (`init()`: read + compile vaekit.wasm)", s.compile],
    ["create (`VAE.create`: instantiate, allocate, initialise)", s.create], ["  of which instantiate (timed apart)", s.instantiate],
    ["first decode", s.firstDecode], ["**total**", s.total], ["second decode (warm, for comparison)", s.secondDecode],
    ["total without `init()` (import → create → decode)", c.plain.total]];
  for (const [name, v] of rows) L.push(`| ${name} | ${spread(v, f2)} |`);
  L.push("");
  L.push(`Compile share of the total: ${f0(c.shares.compileOfTotal * 100)} %. Target: ${c.verdict.target} — ${verdict(c.verdict.met)}.`);
  return L;
}

function memorySection(m) {
  const L = [];
  const i = m.inference, t = m.training;
  L.push("## Memory");
  L.push("");
  L.push(`${m.model}, ${mb(m.parameterBytes)} of parameters. Run ${m.env.date}, ${loadLine(m.env)}. Each batch-1 call returns new`);
  L.push("Float32Arrays (the results); the process RSS can rise while V8 and the C allocator keep the pages of collected ones,");
  L.push("which is why the JavaScript heap after a full collection is shown too.");
  L.push("");
  L.push("| figure | value |");
  L.push("|---|---:|");
  L.push(`| wasm memory before / after ${f0(i.calls)} batch-1 encode + decode calls | ${mb(i.wasmBytes.before)} / ${mb(i.wasmBytes.after)} (grew ${mb(i.wasmBytes.grew)}) |`);
  L.push(`| process RSS before / after (during: median, min–max of 20 samples) | ${mb(i.rssBytes.before)} / ${mb(i.rssBytes.after)} (${mb(i.rssBytes.during.median)}, ${mb(i.rssBytes.during.min)}–${mb(i.rssBytes.during.max)}) |`);
  L.push(`| JavaScript heap in use before / after (after a full GC) | ${mb(i.heapUsedBytes.before)} / ${mb(i.heapUsedBytes.after)} |`);
  L.push(`| training (${t.what}): wasm memory peak (= \`model.memoryBytes\` after fit; at create) | ${mb(t.wasmBytesPeak.median)} (${mb(t.wasmBytesAtCreate.median)}) |`);
  L.push(`| training: process RSS high-water (before the model was created) | ${mb(t.maxRssBytes.median)} (${mb(t.maxRssBeforeModelBytes.median)}) |`);
  return L;
}

export function writeReadme(status = {}) {
  const gemm = readJson("gemm.json");
  const train = readJson("train-step.json");
  const L = [];
  L.push("# Benchmark results");
  L.push("");
  L.push("Generated by `npm run bench` (bench/run.mjs); do not edit by hand. Raw figures: the JSON files beside this one.");
  L.push("The machine is shared and noisy: single figures move by ±15 %, so every claim below is a ratio against a");
  L.push("baseline measured in the same run.");
  L.push("");
  L.push(`- date: ${new Date().toISOString()}`);
  L.push(`- node: ${process.version} (V8 ${process.versions.v8})`);
  L.push(`- CPU: ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} logical cores; load average now ${loadavg().map(f2).join(" ")}`);
  L.push("- one thread unless a row says otherwise");
  for (const [name, s] of Object.entries(status)) L.push(`- ${name}: ${s.ran ? `ran (${f1(s.seconds)} s)` : `**not run: ${s.why}**`}`);
  L.push("");
  if (train) L.push(...trainStepSection(train, readJson("cores.json")), "");
  else L.push("## Training step", "", "No bench/results/train-step.json.", "");
  if (gemm) L.push(...gemmSection(gemm), "");
  else L.push("## GEMM", "", "No bench/results/gemm.json.", "");
  for (const [name, section] of [["conv.json", convSection], ["conv-train.json", convTrainSection], ["infer.json", inferSection], ["cold-start.json", coldStartSection], ["memory.json", memorySection]]) {
    const r = readJson(name);
    if (r) L.push(...section(r), "");
    else L.push(`No bench/results/${name}.`, "");
  }
  L.push("## Likelihoods (IWAE paper reproduction)", "");
  L.push("Not part of `npm run bench`: `node bench/iwae-repro.mjs` (hours of CPU) writes [iwae.md](iwae.md) and iwae.json —");
  L.push("test NLL with k = 5000 on dynamically binarized MNIST for the one-layer VAE, IWAE k = 50 and the two-layer VAE,");
  L.push("with epochs, wall times and per-epoch logs.", "");
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}README.md`, `${L.join("\n")}`);
  console.error("bench: wrote bench/results/README.md");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const only = process.argv.includes("--readme-only");
  const status = only ? {} : runAll();
  writeReadme(status);
  if (Object.values(status).some((s) => !s.ran)) process.exitCode = 1;
}
