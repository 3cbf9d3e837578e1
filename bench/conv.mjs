// bench/conv.mjs — the convolution kernels (assembly/conv.ts) on the Keras conv VAE's layers at batch 128, as a
// share of the machine's register-only f32x4 mul+add ceiling (bench/probe.ts), all in one process run so the
// ratios share the machine's state.
//
//   node bench/conv.mjs               (needs build/vaekit-testing.wasm: `node scripts/build-wasm.mjs`)
//   BENCH_ROUNDS=9 node bench/conv.mjs, BENCH_QUICK=1 node bench/conv.mjs, BENCH_LAYERS=enc1,dec3 node bench/conv.mjs,
//   BENCH_BATCH=8 node bench/conv.mjs (another batch size: at 8 images every layer's tensors stay in the core's L2
//   between calls, so it times the kernels without the memory traffic of a 128-image batch; written to
//   bench/results/conv-batch8.json; bench/results/conv-thin-cache.json collects such runs beside batch 128's),
//   BENCH_OUT=name.json (the results file in bench/results/, for a partial run that shouldn't replace conv.json),
//   BENCH_BASELINE=path/to/old-vaekit-testing.wasm node bench/conv.mjs (an exact testing module built from an earlier
//   commit: timed in the same rounds as "before" cases, with each pass's and the model's speed-up over it)
//
// Layers (issue 13's Keras example; channels-last, batch N = 128):
//   enc1  conv2d           28×28×1  → 14×14×32, 3×3, stride 2, padding 1
//   enc2  conv2d           14×14×32 → 7×7×64,   3×3, stride 2, padding 1
//   dec1  conv2d_transpose 7×7×64   → 14×14×64, 3×3, stride 2, padding 1, output padding 1
//   dec2  conv2d_transpose 14×14×64 → 28×28×32, 3×3, stride 2, padding 1, output padding 1
//   dec3  conv2d_transpose 28×28×32 → 28×28×1,  3×3, stride 1, padding 1
// (BENCH_LAYERS=k5out: a 5×5 one-channel transposed layer outside the model, for convt_one's generic path)
// Per layer three passes: forward (relu), the filter gradient (dW += …, the `_backward_filter` part kernel on
// every column: what conv2d_backward runs after forming dZ) and the data gradient (dX, `_backward_data`). Flops are
// GEMM-equivalent: 2·(grid rows)·K·(columns) with every tap counted (padding taps too), so ratios are speeds.
// Every case is warmed up, then R rounds visit each case in turn (samples of ~sampleMs, process CPU time); a
// ratio is the median over rounds of case / ceiling measured in the same round. "model" rows add up the five
// layers' flops and times over the passes training runs (enc1's dX is timed but not counted: the encoder's input is
// data, so training never computes its gradient); "slowest trained pass" is the issue's per-pass bar. The fast build (relaxed-SIMD FMA) is timed beside the exact one where the engine has
// relaxed SIMD, against the FMA probe. Results: bench/results/conv.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildProbe, ensureRelaxedSimd, median, RELAXED_PROBE, uniformArray } from "./common.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const QUICK = process.env.BENCH_QUICK === "1";
const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 3 : 9);
const N = Number(process.env.BENCH_BATCH ?? 128);
if (!Number.isInteger(N) || N < 1 || N > 1024) throw new Error(`BENCH_BATCH: images per call, an integer from 1 to 1024, not ${process.env.BENCH_BATCH}`);
const OUT_FILE = process.env.BENCH_OUT ?? (N === 128 ? "conv.json" : `conv-batch${N}.json`);
if (!/^[\w.-]+\.json$/.test(OUT_FILE)) throw new Error(`BENCH_OUT: a file name in bench/results ending in .json, not ${OUT_FILE}`);
const TARGET = 0.75;

const LAYERS = [
  { name: "enc1", spec: { inH: 28, inW: 28, inC: 1, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 } },
  { name: "enc2", spec: { inH: 14, inW: 14, inC: 32, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 } },
  { name: "dec1", spec: { inH: 7, inW: 7, inC: 64, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true } },
  { name: "dec2", spec: { inH: 14, inW: 14, inC: 64, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true } },
  { name: "dec3", spec: { inH: 28, inW: 28, inC: 32, outC: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, transpose: true } },
];
// Layers outside the Keras model, timed only when BENCH_LAYERS names them (kernel paths the model doesn't take):
//   k5out conv2d_transpose 28×28×32 → 28×28×1,  5×5, stride 1, padding 2 (convt_one's path for kernels not 3 wide)
const EXTRA_LAYERS = [
  { name: "k5out", spec: { inH: 28, inW: 28, inC: 32, outC: 1, kH: 5, kW: 5, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2, transpose: true } },
];

function loadModule(file) {
  const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file.includes("/") ? file : join(root, "build", file))), {}).exports;
  const memory = x.memory;
  let top = (Number(x.heap_base()) + 15) & ~15;
  const alloc = (n) => {
    const p = top;
    top = (top + n * 4 + 15) & ~15;
    const need = top + 64 - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    new Uint8Array(memory.buffer, p, top - p).fill(0);
    return p;
  };
  const put = (a) => {
    const p = alloc(a.length);
    new Float32Array(memory.buffer, p, a.length).set(a);
    return p;
  };
  return { x, alloc, put, memory };
}

/** The cases of one layer on one module (prefix names the build). */
function layerCases(v, layer, convGeometry, prefix) {
  const g = convGeometry(layer.spec);
  const [H, W, C, OH, OW, F, KH, KW] = g.geom;
  const t = g.transpose;
  const base = t ? "conv2d_transpose" : "conv2d";
  const pg = v.alloc(16);
  new Int32Array(v.memory.buffer, pg, 16).set(g.geom);
  const X = v.put(uniformArray(N * H * W * C, 1, -1, 1));
  const Wt = v.put(uniformArray(KH * KW * C * F, 2, -0.1, 0.1));
  const b = v.put(uniformArray(F, 3, -0.1, 0.1));
  const Y = v.alloc(N * OH * OW * F), dZ = v.put(uniformArray(N * OH * OW * F, 4, -1, 1));
  const dW = v.alloc(KH * KW * C * F), dX = v.alloc(N * H * W * C), S = v.alloc(g.scratchFloats);
  const flops = 2 * KH * KW * C * F * (t ? N * H * W : N * OH * OW);
  const k = v.x;
  const fwd = k[`${base}_forward`], filt = k[`${base}_backward_filter`], data = k[`${base}_backward_data`];
  const cols = t ? KH * KW * F : F;
  // Compulsory traffic of a call (each tensor read or written once; the im2col chunk stays in L2 and is not
  // counted): forward X + W + Y (the transposed one adds into a zeroed Y: Y written, read, written again); dW: X + dZ
  // + dW read and written; dX: dZ + W + dX (conv2d's col2im adds into a zeroed dX likewise).
  const f4 = 4, xs = N * H * W * C * f4, ys = N * OH * OW * F * f4, ws = KH * KW * C * F * f4;
  const bytes = { forward: xs + ws + (t ? 3 : 1) * ys, dW: xs + ys + 2 * ws, dX: ys + ws + (t ? 1 : 3) * xs };
  // The same GEMM calls on an already-gathered chunk (random data of the chunk's shape, the kernels' chunking):
  // what an indirect GEMM feeding the same tiles could at best take, the gather/scatter being gone.
  const K = t ? KH * KW * F : KH * KW * C, K4 = (K + 3) & ~3, R = Math.max(4, Math.floor(32768 / K) & ~3);
  const rows = t ? N * H * W : N * OH * OW;
  const A = v.put(uniformArray(R * K4, 5, -1, 1)), T = v.alloc(R * K4), B2 = v.put(uniformArray(K4 * Math.max(C, F), 6, -0.1, 0.1));
  const chunks = (f) => () => { for (let r = 0; r < rows; r += R) f(r, Math.min(R, rows - r)); };
  const nn = k.gemm_nn_4x8_f32x4, tn = k.gemm_tn_4x8_f32x4;
  const gemmOnly = t
    ? {
      forward: chunks((r, cnt) => nn(T, X + r * C * f4, B2, cnt, C, K4)), // then col2im into Y
      dW: chunks((r, cnt) => tn(dW, X + r * C * f4, A, cnt, C, K)), // im2col(dZ) gathered
      dX: chunks((r, cnt) => nn(dX + r * C * f4, A, B2, cnt, K, C)),
    }
    : {
      forward: chunks((r, cnt) => k.dense_forward(Y + r * F * f4, A, Wt, b, cnt, K, F, 1, 0)), // im2col(X) gathered
      dW: chunks((r, cnt) => tn(dW, A, dZ + r * F * f4, cnt, K, F)),
      dX: chunks((r, cnt) => nn(T, dZ + r * F * f4, B2, cnt, F, K)), // then col2im into dX
    };
  // the first layer's dX: VAE training never runs it (the encoder's input is data, a tensor without a gradient, so
  // src/nn/conv2d.ts passes dX = 0 to conv2d_backward): timed and reported, left out of the model rows
  const trained = (pass) => !(pass === "dX" && layer.name === "enc1");
  const mk = (pass, fn) => [
    { name: `${prefix}${layer.name} ${pass}`, pass, layer: layer.name, build: prefix, flops, bytes: bytes[pass], fn, trained: trained(pass) },
    { name: `${prefix}${layer.name} ${pass} gemm only`, pass: `${pass} gemm only`, layer: layer.name, build: prefix, flops, fn: gemmOnly[pass], trained: trained(pass) },
  ];
  return [
    ...mk("forward", () => fwd(Y, X, Wt, b, S, pg, N, 1, 0)),
    ...mk("dW", () => filt(dW, dZ, X, S, pg, N, 0, cols)),
    ...mk("dX", () => data(dX, dZ, Wt, S, pg, N)),
  ];
}

/** Main-memory copy bandwidth (GB/s of bytes read + written): a 64 MB Float32Array copied into another. */
function bandwidthCase() {
  const n = 16 << 20, a = new Float32Array(n).fill(1), b = new Float32Array(n);
  return { name: "bandwidth copy 64 MB", pass: "bandwidth", bytes: 8 * n, flops: 0, fn: () => b.set(a) };
}

function runCases(cases, { repeats, sampleMs, warmupMs, log }) {
  for (const c of cases) {
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < warmupMs || calls < 3) { c.fn(); calls++; }
    const t1 = performance.now();
    c.fn(); c.fn();
    const per = (performance.now() - t1) / 2;
    c.batch = Math.max(1, Math.round(sampleMs / Math.max(per, 1e-3)));
    c.seconds = [];
  }
  for (let r = 0; r < repeats; r++) {
    for (const c of cases) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < c.batch; i++) c.fn();
      const d = process.cpuUsage(c0);
      c.seconds.push((d.user + d.system) / 1e6 / c.batch);
    }
    log(`  round ${r + 1}/${repeats}`);
  }
}

export async function main({ write = true, repeats = ROUNDS, sampleMs = 30, warmupMs = QUICK ? 200 : 500, quiet = false } = {}) {
  const log = quiet ? () => {} : (s) => console.log(s);
  log(`bench/conv: Keras conv VAE layers at batch ${N}, ${repeats} rounds, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  // src/runtime/conv.ts (the geometry and scratch sizes the SDK uses), transpiled afresh on every run
  const ts = (await import("typescript")).default;
  mkdirSync(join(here, ".build"), { recursive: true });
  const tr = (p) => ts.transpileModule(readFileSync(join(root, p), "utf8"), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(join(here, ".build", "errors.js"), tr("src/errors.ts"));
  writeFileSync(join(here, ".build", "conv-host.mjs"), tr("src/runtime/conv.ts").replace("../errors.js", "./errors.js"));
  const { convGeometry } = await import(`${pathToFileURL(join(here, ".build", "conv-host.mjs")).href}?${Date.now()}`);
  if (!existsSync(join(root, "build", "vaekit-testing.wasm"))) throw new Error("build/vaekit-testing.wasm missing: run node scripts/build-wasm.mjs");
  const probe = await buildProbe("probe");
  const relaxed = WebAssembly.validate(RELAXED_PROBE);
  const fma = relaxed ? await buildProbe("probe-fma", { relaxed: true }) : null;
  const ITERS = 200_000;
  const cases = [{ name: "ceiling f32x4 mul+add (12 chains)", pass: "ceiling", flops: ITERS * 12 * 8, fn: () => probe.probe_f32x4_muladd(ITERS, 0.999, 0.001) }];
  if (fma) cases.push({ name: "ceiling f32x4.relaxed_madd FMA (8 chains)", pass: "ceiling", flops: ITERS * 8 * 8, fn: () => fma.probe_f32x4_fma(ITERS, 0.999, 0.001) });
  cases.push(bandwidthCase());
  const exact = loadModule("vaekit-testing.wasm");
  // BENCH_LAYERS=enc1,dec3: only those layers (for iterating on a kernel; the model rows then cover only them)
  const only = process.env.BENCH_LAYERS ? new Set(process.env.BENCH_LAYERS.split(",")) : null;
  const layers = [...LAYERS, ...EXTRA_LAYERS].filter((L) => (only ? only.has(L.name) : LAYERS.includes(L)));
  for (const L of layers) cases.push(...layerCases(exact, L, convGeometry, ""));
  // BENCH_BASELINE=file.wasm: an exact testing module built from an earlier commit, timed in the same rounds as
  // "before …" cases (against the same f32x4 ceiling), so every speed-up is a ratio within one run
  const baseline = process.env.BENCH_BASELINE;
  if (baseline) {
    const before = loadModule(baseline);
    for (const L of layers) cases.push(...layerCases(before, L, convGeometry, "before "));
  }
  if (relaxed && existsSync(join(root, "build", "vaekit-fast-testing.wasm"))) {
    const fast = loadModule("vaekit-fast-testing.wasm");
    for (const L of layers) cases.push(...layerCases(fast, L, convGeometry, "fast "));
  }
  runCases(cases, { repeats, sampleMs, warmupMs, log });

  const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
  const gflops = (c, r) => c.flops / c.seconds[r] / 1e9;
  const ceil = byName["ceiling f32x4 mul+add (12 chains)"];
  const ceilFma = byName["ceiling f32x4.relaxed_madd FMA (8 chains)"];
  /** Median over rounds of (Σ flops / Σ seconds of the cases) / ceiling in that round. */
  const share = (cs, c0) => median(cs[0].seconds.map((_, r) => {
    const f = cs.reduce((s, c) => s + c.flops, 0), t = cs.reduce((s, c) => s + c.seconds[r], 0);
    return f / t / 1e9 / gflops(c0, r);
  }));
  const results = {};
  const bw = byName["bandwidth copy 64 MB"];
  const gbps = median(bw.seconds.map((t) => bw.bytes / t / 1e9));
  for (const c of cases) {
    if (c === bw) {
      results[c.name] = { gbytes_per_s_median: +gbps.toFixed(2), ms_per_call_median: +(median(c.seconds) * 1e3).toFixed(3) };
      continue;
    }
    results[c.name] = {
      gflops_median: +median(c.seconds.map((_, r) => gflops(c, r))).toFixed(2),
      ms_per_call_median: +(median(c.seconds) * 1e3).toFixed(3),
      ...(c.pass !== "ceiling" ? { of_ceiling: +share([c], c.build === "fast " ? ceilFma : ceil).toFixed(3) } : {}),
      ...(c.trained === false ? { run_in_training: false } : {}),
    };
    const only = byName[`${c.name} gemm only`];
    if (only) {
      // per round: the share of the call spent outside the GEMM (gather, scatter, zeroing, Wᵀ) = what an indirect
      // GEMM could remove at best; and the call's compulsory bytes at the copy bandwidth, as a share of its time
      results[c.name].gemm_only_of_ceiling = +share([only], c.build === "fast " ? ceilFma : ceil).toFixed(3);
      results[c.name].outside_gemm_share = +median(c.seconds.map((t, r) => 1 - only.seconds[r] / t)).toFixed(3);
      results[c.name].flops_per_byte = +(c.flops / c.bytes).toFixed(1);
      results[c.name].memory_floor_share = +(c.bytes / (gbps * 1e9) / median(c.seconds)).toFixed(3);
    }
  }
  const model = {};
  const builds = ["", ...(baseline ? ["before "] : []), ...(fma && cases.some((c) => c.build === "fast ") ? ["fast "] : [])];
  for (const build of builds) {
    const c0 = build === "fast " ? ceilFma : ceil, headline = build === "";
    for (const pass of ["forward", "dW", "dX"]) {
      const cs = cases.filter((c) => c.build === build && c.pass === pass && c.trained);
      const only = cases.filter((c) => c.build === build && c.pass === `${pass} gemm only` && c.trained);
      if (!cs.length) continue; // BENCH_LAYERS=enc1: its dX isn't trained, so no dX row
      const v = share(cs, c0);
      model[`${build}${pass}`] = { of_ceiling: +v.toFixed(3), target: headline ? TARGET : undefined, pass: headline ? v >= TARGET : undefined,
        gemm_only_of_ceiling: +share(only, c0).toFixed(3) };
    }
    const all = cases.filter((c) => c.build === build && ["forward", "dW", "dX"].includes(c.pass) && c.trained);
    model[`${build}all passes`] = { of_ceiling: +share(all, c0).toFixed(3) };
    // the issue's bar is per pass: the slowest pass training runs
    const slow = all.map((c) => [c.name, results[c.name].of_ceiling]).sort((a, b) => a[1] - b[1])[0];
    model[`${build}slowest trained pass`] = { of_ceiling: slow[1], case: slow[0], target: headline ? TARGET : undefined, pass: headline ? slow[1] >= TARGET : undefined };
  }
  /** Median over rounds of Σ time(before cases) / Σ time(the same cases now). */
  const speedup = (now) => {
    const was = now.map((c) => byName[`before ${c.name}`]);
    return +median(now[0].seconds.map((_, r) => was.reduce((s, c) => s + c.seconds[r], 0) / now.reduce((s, c) => s + c.seconds[r], 0))).toFixed(3);
  };
  if (baseline) {
    for (const c of cases.filter((c) => c.build === "" && ["forward", "dW", "dX"].includes(c.pass))) results[c.name].speedup_vs_before = speedup([c]);
    for (const pass of ["forward", "dW", "dX"]) {
      model[`speed-up over before: ${pass}`] = { value: speedup(cases.filter((c) => c.build === "" && c.pass === pass && c.trained)) };
    }
    model["speed-up over before: all passes"] = { value: speedup(cases.filter((c) => c.build === "" && ["forward", "dW", "dX"].includes(c.pass) && c.trained)) };
  }
  if (cases.some((c) => c.build === "fast ")) {
    const main3 = (c) => ["forward", "dW", "dX"].includes(c.pass);
    const ex = cases.filter((c) => c.build === "" && main3(c) && c.trained), fa = cases.filter((c) => c.build === "fast " && main3(c) && c.trained);
    model["fast / exact (all passes, time ratio)"] = {
      value: +median(ex[0].seconds.map((_, r) => ex.reduce((s, c) => s + c.seconds[r], 0) / fa.reduce((s, c) => s + c.seconds[r], 0))).toFixed(3),
    };
  }

  log("");
  log(`${"case".padEnd(44)} ${"GFLOP/s".padStart(8)} ${"ms/call".padStart(9)} ${"of ceiling".padStart(10)}`);
  for (const [name, r] of Object.entries(results)) {
    if (r.gbytes_per_s_median != null) { log(`${name.padEnd(44)} ${r.gbytes_per_s_median.toFixed(1)} GB/s`); continue; }
    log(`${name.padEnd(44)} ${r.gflops_median.toFixed(1).padStart(8)} ${r.ms_per_call_median.toFixed(3).padStart(9)} ${r.of_ceiling != null ? (100 * r.of_ceiling).toFixed(1).padStart(9) + "%" : ""}` +
      (r.run_in_training === false ? "  (not run in training)" : "") +
      (r.speedup_vs_before != null ? `  ×${r.speedup_vs_before} vs before` : "") +
      (r.outside_gemm_share != null ? `  outside GEMM ${(100 * r.outside_gemm_share).toFixed(0)} %, ${r.flops_per_byte} flop/B, memory floor ${(100 * r.memory_floor_share).toFixed(0)} %` : ""));
  }
  log("");
  for (const [name, r] of Object.entries(model)) {
    log(`model ${name.padEnd(28)} ${r.of_ceiling != null ? (100 * r.of_ceiling).toFixed(1) + " % of ceiling" : r.value}${r.case ? ` (${r.case})` : ""}${r.target ? ` (target ${100 * r.target} %: ${r.pass ? "met" : "NOT met"})` : ""}`);
  }
  const report = {
    bench: "conv",
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    load_average: os.loadavg(),
    batch: N,
    rounds: repeats,
    layers: layers.map(({ name, spec }) => ({ name, spec })),
    baseline: baseline ? `'before' cases: ${baseline} (BENCH_BASELINE), timed in the same rounds; speedup_vs_before = median over rounds of its time / this build's` : undefined,
    method: "'X gemm only' replays X's GEMM calls (same chunks) on an already-gathered im2col chunk: the time an indirect GEMM feeding the same tiles could at best reach; outside_gemm_share = 1 − gemm-only time / call time (gather, scatter, zeroing), per round, median; memory_floor_share = compulsory bytes (each tensor once) at the 64 MB copy bandwidth / call time. " +
      "GEMM-equivalent flops 2·rows·K·cols per call (padding taps counted); CPU time per call; ratios = median over rounds of (flops/time) / ceiling GFLOP/s in the same round; exact build vs f32x4 mul+add probe, fast build vs relaxed_madd probe",
    results,
    model,
  };
  if (write) {
    mkdirSync(join(here, "results"), { recursive: true });
    writeFileSync(join(here, "results", OUT_FILE), JSON.stringify(report, null, 2) + "\n");
    log(`wrote bench/results/${OUT_FILE}`);
  }
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureRelaxedSimd();
  await main();
}
