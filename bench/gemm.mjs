// bench/gemm.mjs — GEMM throughput of vaekit.wasm against the machine's f32x4 mul+add ceiling and
// tfjs-backend-wasm (XNNPACK), all in ONE process run so the ratios share the machine's current state.
//
//   node bench/gemm.mjs            (needs build/vaekit-testing.wasm: `node scripts/build-wasm.mjs`; builds it if absent)
//   BENCH_ROUNDS=25 node bench/gemm.mjs, BENCH_QUICK=1 node bench/gemm.mjs
//   import { main } from "./gemm.mjs"; await main({ write: false })
//
// Measures, at the first dense layer of the MNIST VAE (batch M=128, K=784 in, N=400 out):
//   ceiling      register-only f32x4 mul+add probe (bench/probe.ts, compiled here into bench/.build/probe.wasm)
//   FMA ceiling  register-only f32x4.relaxed_madd probe, 8 chains (bench/probe-fma.ts → bench/.build/probe-fma.wasm)
//   forward      dense_forward relu: Y[128,400] = relu(X[128,784]·W[784,400] + b)   (+ raw gemm_nn)
//   backward     gemm_tn: dW[784,400] += Xᵀ·dY;  gemm_nt: dX[128,784] = dY[128,400]·W[784,400]ᵀ
//   scalar twins of the three, and tfjs-wasm matMul on the same three products (its transposeA/transposeB
//   forms for the backward ones) plus its fused matMul+bias+relu.
//   first layer on real MNIST batches (pixels / 255, ~81 % exact zeros): dense_forward + dense_backward (dX = 0)
//   against dense_forward_sparse_x + dense_backward_sparse_x (skip zero inputs, same bits), alone and as a pair,
//   and the pair on dense inputs (uniform [0, 1) pixels, where the sparse kernels fall back to the dense ones).
//   fast build   the same forward and backward kernels from build/vaekit-fast-testing.wasm (relaxed-SIMD FMA), the
//   MNIST sparse pair too, against the FMA ceiling and against the exact build. Relaxed SIMD needs
//   --experimental-wasm-relaxed-simd in Node 20: run as a script, this file restarts itself with it when needed.
//   Their GFLOP/s are dense-equivalent (2·M·K·N per GEMM), so ratios are speed-ups.
// Every kernel is warmed up (Liftoff → TurboFan) before timing; then R rounds visit every case in turn,
// each sample being a batch of calls of about sampleMs. Reported: median, min, max GFLOP/s (2·M·K·N per call)
// over the samples, timed in process CPU time (process.cpuUsage, µs resolution) so that time spent
// descheduled on a shared machine is not counted; wall-clock medians are recorded next to them. Ratios
// are medians over rounds of the per-round ratio. All work here is single-threaded (tfjs-wasm too).
// Results go to bench/results/gemm.json.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { buildProbe, ensureRelaxedSimd, loadMnistImages, loadTf, median, RELAXED_FLAG, RELAXED_PROBE, uniformArray } from "./common.mjs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

const M = 128, K = 784, N = 400;
const PROBE_ITERS_FMA = 200_000;
const FLOPS = 2 * M * K * N;
const RELU = 1;

/** Instantiates build/vaekit-testing.wasm (the kernels plus scalar twins and raw GEMMs) with a bump allocator (16-byte aligned, 64 bytes of slack at the end). */
function loadVaekit(file = "vaekit-testing.wasm") {
  const path = join(root, "build", file);
  if (!existsSync(path)) execFileSync(process.execPath, [join(root, "scripts", "build-wasm.mjs")], { stdio: "inherit" });
  const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), {}).exports;
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
  const get = (p, n) => new Float32Array(memory.buffer, p, n).slice();
  return { x, alloc, put, get };
}

/**
 * Times every case in round-robin. A case is { name, group, flops, fn }. Returns name → stats.
 */
function runCases(cases, { repeats, sampleMs, warmupMs, log }) {
  for (const c of cases) {
    // Warm-up: long enough for V8's dynamic tiering to replace Liftoff code with TurboFan code.
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < warmupMs || calls < 3) { c.fn(); calls++; }
    // Calibrate a batch of about sampleMs.
    const t1 = performance.now();
    c.fn(); c.fn();
    const per = (performance.now() - t1) / 2;
    c.batch = Math.max(1, Math.round(sampleMs / Math.max(per, 1e-3)));
    c.samples = [];
    c.wallSamples = [];
    log(`  warmed ${c.name} (${calls} calls, ${per.toFixed(2)} ms/call, batch ${c.batch})`);
  }
  for (let r = 0; r < repeats; r++) {
    for (const c of cases) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      for (let i = 0; i < c.batch; i++) c.fn();
      const wall = (performance.now() - t0) / c.batch;
      const d = process.cpuUsage(c0);
      const cpu = (d.user + d.system) / 1e3 / c.batch;
      c.samples.push(c.flops / (cpu * 1e6));
      c.wallSamples.push(c.flops / (wall * 1e6));
    }
  }
  const out = {};
  for (const c of cases) {
    const med = median(c.samples);
    out[c.name] = {
      group: c.group,
      gflops_median: +med.toFixed(3),
      gflops_min: +Math.min(...c.samples).toFixed(3),
      gflops_max: +Math.max(...c.samples).toFixed(3),
      ms_per_call_median: +(c.flops / (med * 1e6)).toFixed(4),
      wall_gflops_median: +median(c.wallSamples).toFixed(3),
      wall_gflops_max: +Math.max(...c.wallSamples).toFixed(3),
      calls_per_sample: c.batch,
      samples: c.samples.length,
    };
  }
  return out;
}

function maxRelDiff(a, b) {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / (den || 1);
}

const QUICK = process.env.BENCH_QUICK === "1";
const ROUNDS = Number(process.env.BENCH_ROUNDS) || (QUICK ? 5 : 15);

/** Runs the whole benchmark once; returns the report (also written to bench/results/gemm.json unless write is false).
 *  Defaults honour BENCH_ROUNDS and BENCH_QUICK=1 (fewer rounds, shorter warm-up) like bench/run.mjs. */
export async function main({ write = true, repeats = ROUNDS, sampleMs = 20, warmupMs = QUICK ? 200 : 400, quiet = false } = {}) {
  const log = quiet ? () => {} : (s) => console.log(s);
  log(`bench/gemm: M=${M} K=${K} N=${N}, ${repeats} rounds, ~${sampleMs} ms per sample, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);

  const probe = await buildProbe("probe");
  const v = loadVaekit();
  const k = v.x;
  // The fast build (relaxed-SIMD FMA) beside the exact one, if this engine runs relaxed SIMD.
  const relaxed = WebAssembly.validate(RELAXED_PROBE);
  const fma = relaxed ? await buildProbe("probe-fma", { relaxed: true }) : null;
  const vf = relaxed ? loadVaekit("vaekit-fast-testing.wasm") : null;
  if (!relaxed) log(`  fast build skipped: this engine has no relaxed SIMD (Node 20: run with ${RELAXED_FLAG}; as a script this file does that)`);
  const tf = await loadTf("wasm");

  // Operands. X[M,K], W[K,N], b[N], dY[M,N]; outputs Y[M,N], dW[K,N], dX[M,K].
  const Xa = uniformArray(M * K, 1, -1, 1), Wa = uniformArray(K * N, 2, -1, 1).map((w) => w * 0.05), ba = uniformArray(N, 3, -1, 1);
  const dYa = uniformArray(M * N, 4, -1, 1);
  const X = v.put(Xa), W = v.put(Wa), b = v.put(ba), dY = v.put(dYa);
  const Y = v.alloc(M * N), dW = v.alloc(K * N), dX = v.alloc(M * K);
  const tX = tf.tensor2d(Xa, [M, K]), tW = tf.tensor2d(Wa, [K, N]), tb = tf.tensor1d(ba), tdY = tf.tensor2d(dYa, [M, N]);

  // Sanity: the timed kernels compute what tfjs-wasm computes (so we never time a broken kernel).
  {
    k.dense_forward(Y, X, W, b, M, K, N, RELU, 0);
    const ref = tf.relu(tf.add(tf.matMul(tX, tW), tb)).dataSync();
    const e1 = maxRelDiff(v.get(Y, M * N), ref);
    k.gemm_tn_4x8_f32x4(dW, X, dY, M, K, N);
    const e2 = maxRelDiff(v.get(dW, K * N), tf.matMul(tX, tdY, true, false).dataSync());
    k.gemm_nt_f32x4(dX, dY, W, M, K, N);
    const e3 = maxRelDiff(v.get(dX, M * K), tf.matMul(tdY, tW, false, true).dataSync());
    log(`  check vs tfjs-wasm (max |diff| / max |ref|): forward ${e1.toExponential(1)}, tn ${e2.toExponential(1)}, nt ${e3.toExponential(1)}`);
    if (!(e1 < 1e-4 && e2 < 1e-4 && e3 < 1e-4)) throw new Error("kernel output disagrees with tfjs-wasm; not timing it");
  }

  // First layer on MNIST: 8 batches in turn, W scaled like nn.Linear's init, relu; and dense [0, 1) inputs.
  const NB = 8;
  const mnistAll = loadMnistImages(NB * M).images;
  const mnist = Array.from({ length: NB }, (_, i) => mnistAll.subarray(i * M * K, (i + 1) * M * K));
  const zeroShare = mnist.reduce((z, a) => z + a.reduce((c, x) => c + (x === 0 ? 1 : 0), 0), 0) / (NB * M * K);
  const Xm = mnist.map((a) => v.put(a));
  const Xu = v.put(uniformArray(M * K, 5));
  const W1 = v.put(Float32Array.from(Wa, (w) => w * 0.7)), Y1 = v.alloc(M * N), dZ1 = v.put(dYa.map((d) => d * 1e-3));
  const dW1 = v.alloc(K * N), db1 = v.alloc(N), S = v.alloc(M * (2 * K + 5) + 1);
  {
    // Sanity: same bits as the dense kernels, and the path each input takes (1 sparse, 0 dense).
    const Y2 = v.alloc(M * N), dZ2 = v.alloc(M * N), dW2 = v.alloc(K * N), db2 = v.alloc(N);
    const bits = (p, n) => new Uint32Array(v.x.memory.buffer, p, n).slice();
    const same = (p, q, n) => bits(p, n).every((x, i, a) => x === bits(q, n)[i]);
    for (const [X, want] of [[Xm[0], 1], [Xu, 0]]) {
      new Float32Array(v.x.memory.buffer, dZ2, M * N).set(v.get(dZ1, M * N));
      k.dense_forward(Y1, X, W1, b, M, K, N, RELU, 0);
      const pf = k.dense_forward_sparse_x(Y2, X, W1, b, S, M, K, N, RELU, 0);
      k.dense_backward(0, dW1, db1, dZ1, X, W1, Y1, M, K, N, RELU, 0);
      const pb = k.dense_backward_sparse_x(dW2, db2, dZ2, X, Y1, S, M, K, N, RELU, 0);
      if (!(same(Y1, Y2, M * N) && same(dW1, dW2, K * N) && same(db1, db2, N)) || pf !== want || pb !== want) {
        throw new Error("sparse-input kernels disagree with the dense ones (or took the wrong path); not timing them");
      }
    }
    log(`  check: sparse-input kernels ≡ dense kernels bit for bit on MNIST and on dense inputs; MNIST zero share ${(100 * zeroShare).toFixed(1)} %`);
  }
  let bi = 0;
  const next = () => Xm[(bi = (bi + 1) % NB)];
  const fwdD = (X) => k.dense_forward(Y1, X, W1, b, M, K, N, RELU, 0);
  const fwdS = (X) => k.dense_forward_sparse_x(Y1, X, W1, b, S, M, K, N, RELU, 0);
  const bwdD = (X) => k.dense_backward(0, dW1, db1, dZ1, X, W1, Y1, M, K, N, RELU, 0);
  const bwdS = (X) => k.dense_backward_sparse_x(dW1, db1, dZ1, X, Y1, S, M, K, N, RELU, 0);
  const firstLayer = [
    { name: "MNIST dense_forward relu", group: "first layer", flops: FLOPS, fn: () => fwdD(next()) },
    { name: "MNIST dense_forward_sparse_x relu", group: "first layer", flops: FLOPS, fn: () => fwdS(next()) },
    { name: "MNIST dense_backward (dX=0)", group: "first layer", flops: FLOPS, fn: () => bwdD(next()) },
    { name: "MNIST dense_backward_sparse_x", group: "first layer", flops: FLOPS, fn: () => bwdS(next()) },
    { name: "MNIST fwd+bwd dense kernels", group: "first layer", flops: 2 * FLOPS, fn: () => { const X = next(); fwdD(X); bwdD(X); } },
    { name: "MNIST fwd+bwd sparse_x kernels", group: "first layer", flops: 2 * FLOPS, fn: () => { const X = next(); fwdS(X); bwdS(X); } },
    { name: "dense-data fwd+bwd dense kernels", group: "first layer", flops: 2 * FLOPS, fn: () => { fwdD(Xu); bwdD(Xu); } },
    { name: "dense-data fwd+bwd sparse_x kernels", group: "first layer", flops: 2 * FLOPS, fn: () => { fwdS(Xu); bwdS(Xu); } },
  ];

  // Fast build: the same operands in its own memory; sanity against the exact kernels (close, not equal) and,
  // within the fast build, the sparse-input pair against the dense pair (same bits).
  const fastCases = [];
  if (vf) {
    const kf = vf.x;
    const fX = vf.put(Xa), fW = vf.put(Wa), fb = vf.put(ba), fdY = vf.put(dYa);
    const fY = vf.alloc(M * N), fdW = vf.alloc(K * N), fdX = vf.alloc(M * K);
    k.dense_forward(Y, X, W, b, M, K, N, RELU, 0);
    kf.dense_forward(fY, fX, fW, fb, M, K, N, RELU, 0);
    const e1 = maxRelDiff(vf.get(fY, M * N), v.get(Y, M * N));
    new Float32Array(v.x.memory.buffer, dW, K * N).fill(0);
    k.gemm_tn_4x8_f32x4(dW, X, dY, M, K, N);
    kf.gemm_tn_4x8_f32x4(fdW, fX, fdY, M, K, N);
    const e2 = maxRelDiff(vf.get(fdW, K * N), v.get(dW, K * N));
    k.gemm_nt_f32x4(dX, dY, W, M, K, N);
    kf.gemm_nt_f32x4(fdX, fdY, fW, M, K, N);
    const e3 = maxRelDiff(vf.get(fdX, M * K), v.get(dX, M * K));
    log(`  check fast vs exact build (max |diff| / max |exact|): forward ${e1.toExponential(1)}, tn ${e2.toExponential(1)}, nt ${e3.toExponential(1)}`);
    if (!(e1 > 0 && e1 < 1e-5 && e2 > 0 && e2 < 1e-5 && e3 > 0 && e3 < 1e-5)) {
      throw new Error("the fast build's GEMMs are not within 1e-5 of the exact ones (or equal to them: no FMA); not timing them");
    }
    const fXm = mnist.map((a) => vf.put(a));
    const fW1 = vf.put(Float32Array.from(Wa, (w) => w * 0.7)), fY1 = vf.alloc(M * N), fY2 = vf.alloc(M * N);
    const fdZ1 = vf.put(dYa.map((d) => d * 1e-3)), fdW1 = vf.alloc(K * N), fdb1 = vf.alloc(N), fS = vf.alloc(M * (2 * K + 5) + 1);
    {
      const bits = (p, n) => new Uint32Array(vf.x.memory.buffer, p, n).slice();
      kf.dense_forward(fY1, fXm[0], fW1, fb, M, K, N, RELU, 0);
      const pf = kf.dense_forward_sparse_x(fY2, fXm[0], fW1, fb, fS, M, K, N, RELU, 0);
      const a = bits(fY1, M * N), c = bits(fY2, M * N);
      if (pf !== 1 || !a.every((x, i) => x === c[i])) throw new Error("fast build: sparse-input forward disagrees with the dense one; not timing it");
      log("  check: fast build's sparse-input forward ≡ its dense forward bit for bit on MNIST");
    }
    let fbi = 0;
    const fnext = () => fXm[(fbi = (fbi + 1) % NB)];
    fastCases.push(
      { name: "ceiling f32x4.relaxed_madd FMA (8 chains)", group: "ceiling", flops: PROBE_ITERS_FMA * 8 * 8,
        fn: () => fma.probe_f32x4_fma(PROBE_ITERS_FMA, 0.999, 0.001) },
      { name: "fast dense_forward relu", group: "fast", flops: FLOPS, fn: () => kf.dense_forward(fY, fX, fW, fb, M, K, N, RELU, 0) },
      { name: "fast gemm_tn_4x8_f32x4 (Xᵀ·dY)", group: "fast", flops: FLOPS, fn: () => kf.gemm_tn_4x8_f32x4(fdW, fX, fdY, M, K, N) },
      { name: "fast gemm_nt_f32x4 (dY·Wᵀ)", group: "fast", flops: FLOPS, fn: () => kf.gemm_nt_f32x4(fdX, fdY, fW, M, K, N) },
      { name: "fast MNIST fwd+bwd sparse_x kernels", group: "fast", flops: 2 * FLOPS, fn: () => {
        const X = fnext();
        kf.dense_forward_sparse_x(fY1, X, fW1, fb, fS, M, K, N, RELU, 0);
        kf.dense_backward_sparse_x(fdW1, fdb1, fdZ1, X, fY1, fS, M, K, N, RELU, 0);
      } },
    );
  }

  const PROBE_ITERS = 200_000;
  const tfCase = (name, f) => ({
    name, group: "tfjs-wasm", flops: FLOPS,
    fn: () => { const t = f(); t.dataSync(); t.dispose(); },
  });
  const cases = [
    { name: "ceiling f32x4 mul+add (12 chains)", group: "ceiling", flops: PROBE_ITERS * 12 * 8,
      fn: () => probe.probe_f32x4_muladd(PROBE_ITERS, 0.999, 0.001) },
    { name: "dense_forward relu", group: "vaekit", flops: FLOPS, fn: () => k.dense_forward(Y, X, W, b, M, K, N, RELU, 0) },
    { name: "gemm_nn_4x8_f32x4", group: "vaekit", flops: FLOPS, fn: () => k.gemm_nn_4x8_f32x4(Y, X, W, M, K, N) },
    // dW accumulates across calls; values stay finite for the few hundred calls made here.
    { name: "gemm_tn_4x8_f32x4 (Xᵀ·dY)", group: "vaekit", flops: FLOPS, fn: () => k.gemm_tn_4x8_f32x4(dW, X, dY, M, K, N) },
    { name: "gemm_nt_f32x4 (dY·Wᵀ)", group: "vaekit", flops: FLOPS, fn: () => k.gemm_nt_f32x4(dX, dY, W, M, K, N) },
    { name: "dense_forward_scalar relu", group: "scalar", flops: FLOPS, fn: () => k.dense_forward_scalar(Y, X, W, b, M, K, N, RELU, 0) },
    { name: "gemm_tn_scalar", group: "scalar", flops: FLOPS, fn: () => k.gemm_tn_scalar(dW, X, dY, M, K, N) },
    { name: "gemm_nt_scalar", group: "scalar", flops: FLOPS, fn: () => k.gemm_nt_scalar(dX, dY, W, M, K, N) },
    tfCase("tfjs-wasm matMul(X, W)", () => tf.matMul(tX, tW)),
    tfCase("tfjs-wasm fused.matMul(X, W, b, relu)", () => tf.fused.matMul({ a: tX, b: tW, bias: tb, activation: "relu" })),
    tfCase("tfjs-wasm matMul(X, dY, transposeA)", () => tf.matMul(tX, tdY, true, false)),
    tfCase("tfjs-wasm matMul(dY, W, transposeB)", () => tf.matMul(tdY, tW, false, true)),
    ...firstLayer,
    ...fastCases,
  ];
  const results = runCases(cases, { repeats, sampleMs, warmupMs, log });

  const g = (name) => results[name].gflops_median;
  const fwd = g("dense_forward relu");
  // A ratio is the median over rounds of (a / b) measured in the same round, a few hundred ms apart: on a
  // shared machine that cancels most of the load swings that move single figures by ±15 % or more. The ratio
  // of the two medians is recorded next to it.
  const byName = Object.fromEntries(cases.map((c) => [c.name, c.samples]));
  const ratio = (a, b, target, what) => {
    const paired = median(byName[a].map((x, r) => x / byName[b][r]));
    const ofMedians = g(a) / g(b);
    // Noise here only ever slows a contender down, so the ratio of the best samples is the other honest view.
    const ofBest = results[a].gflops_max / results[b].gflops_max;
    return {
      value: +paired.toFixed(3), ratio_of_medians: +ofMedians.toFixed(3), ratio_of_best: +ofBest.toFixed(3),
      target, pass: paired >= target, what,
    };
  };
  const ratios = {
    forward_vs_ceiling: ratio("dense_forward relu", cases[0].name, 0.8, "dense_forward relu / f32x4 mul+add ceiling"),
    forward_vs_tfjs_wasm_matmul: ratio("dense_forward relu", "tfjs-wasm matMul(X, W)", 1.3, "dense_forward relu / tfjs-wasm matMul"),
    gemm_tn_vs_forward: ratio("gemm_tn_4x8_f32x4 (Xᵀ·dY)", "dense_forward relu", 0.85, "gemm_tn / dense_forward relu"),
    gemm_nt_vs_forward: ratio("gemm_nt_f32x4 (dY·Wᵀ)", "dense_forward relu", 0.85, "gemm_nt / dense_forward relu"),
    sparse_x_vs_dense_mnist: ratio("MNIST fwd+bwd sparse_x kernels", "MNIST fwd+bwd dense kernels", 1.8,
      "first layer on MNIST: speed-up of the sparse_x pair over the dense pair"),
    sparse_x_vs_dense_dense_data: ratio("dense-data fwd+bwd sparse_x kernels", "dense-data fwd+bwd dense kernels", 0.97,
      "first layer on dense inputs: sparse_x pair / dense pair (falls back)"),
    ...(vf ? {
      fast_forward_vs_fma_ceiling: ratio("fast dense_forward relu", "ceiling f32x4.relaxed_madd FMA (8 chains)", 0.7,
        "fast build: dense_forward relu / FMA ceiling"),
    } : {}),
  };
  const info = {
    ratios_for_reference: {
      forward_vs_scalar: +(fwd / g("dense_forward_scalar relu")).toFixed(2),
      forward_vs_tfjs_wasm_fused: +(fwd / g("tfjs-wasm fused.matMul(X, W, b, relu)")).toFixed(3),
      gemm_tn_vs_tfjs_wasm_transposeA: +(g("gemm_tn_4x8_f32x4 (Xᵀ·dY)") / g("tfjs-wasm matMul(X, dY, transposeA)")).toFixed(2),
      gemm_nt_vs_tfjs_wasm_transposeB: +(g("gemm_nt_f32x4 (dY·Wᵀ)") / g("tfjs-wasm matMul(dY, W, transposeB)")).toFixed(2),
      mnist_forward_sparse_x_speedup: +(g("MNIST dense_forward_sparse_x relu") / g("MNIST dense_forward relu")).toFixed(2),
      mnist_backward_sparse_x_speedup: +(g("MNIST dense_backward_sparse_x") / g("MNIST dense_backward (dX=0)")).toFixed(2),
      mnist_zero_share: +zeroShare.toFixed(3),
      ...(vf ? {
        // fast / exact, paired within each round like the ratios above
        fast_forward_speedup: ratio("fast dense_forward relu", "dense_forward relu", 0, "").value,
        fast_gemm_tn_speedup: ratio("fast gemm_tn_4x8_f32x4 (Xᵀ·dY)", "gemm_tn_4x8_f32x4 (Xᵀ·dY)", 0, "").value,
        fast_gemm_nt_speedup: ratio("fast gemm_nt_f32x4 (dY·Wᵀ)", "gemm_nt_f32x4 (dY·Wᵀ)", 0, "").value,
        fast_mnist_sparse_pair_speedup: ratio("fast MNIST fwd+bwd sparse_x kernels", "MNIST fwd+bwd sparse_x kernels", 0, "").value,
        fma_ceiling_vs_muladd_ceiling: ratio("ceiling f32x4.relaxed_madd FMA (8 chains)", cases[0].name, 0, "").value,
      } : {}),
    },
  };

  // Table.
  const pad = (s, n) => String(s).padEnd(n);
  const num = (x) => x.toFixed(1).padStart(7);
  log("");
  log(`${pad("case (GFLOP/s in CPU time)", 42)} ${"median".padStart(7)} ${"min".padStart(7)} ${"max".padStart(7)}   wall-med  ms/call`);
  for (const c of cases) {
    const r = results[c.name];
    const ms = c.group === "ceiling" ? "" : r.ms_per_call_median.toFixed(3).padStart(9);
    log(`${pad(c.name, 42)} ${num(r.gflops_median)} ${num(r.gflops_min)} ${num(r.gflops_max)}   ${num(r.wall_gflops_median)}${ms}`);
  }
  log("\nratios: median over rounds of the ratio within each round");
  for (const [key, r] of Object.entries(ratios)) {
    log(`${pad(r.what, 50)} ${r.value.toFixed(3).padStart(6)}  (target ≥ ${r.target})  ${r.pass ? "PASS" : "FAIL"}   [of medians ${r.ratio_of_medians.toFixed(3)}, of best ${r.ratio_of_best.toFixed(3)}]`);
  }
  for (const [key, val] of Object.entries(info.ratios_for_reference)) log(`${pad(key, 50)} ${String(val).padStart(6)}`);

  const cpus = os.cpus();
  const report = {
    bench: "gemm",
    shape: { M, K, N, flops_per_call: FLOPS },
    machine: {
      node: process.version,
      v8: process.versions.v8,
      cpu: cpus[0]?.model ?? "unknown",
      logical_cpus: cpus.length,
      platform: `${os.platform()} ${os.arch()}`,
      tfjs_wasm_threads: 1, // tfjs-backend-wasm never uses threads in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there)
      date: new Date().toISOString(),
    },
    method: {
      repeats, sample_ms: sampleMs, warmup_ms: warmupMs,
      fast_build: vf ? `build/vaekit-fast-testing.wasm (relaxed SIMD${process.execArgv.includes(RELAXED_FLAG) ? `, node ${RELAXED_FLAG}` : ""})`
        : "skipped: no relaxed SIMD in this engine",
      statistic: "median of per-sample GFLOP/s (process CPU time), with min/max; ratios: median of per-round ratios",
      load_average: os.loadavg().map((x) => +x.toFixed(2)),
    },
    results,
    ratios,
    ...info,
  };
  if (write) {
    const dir = join(here, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "gemm.json"), JSON.stringify(report, null, 2) + "\n");
    log(`\nwrote bench/results/gemm.json`);
  }
  for (const t of [tX, tW, tb, tdY]) t.dispose();
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureRelaxedSimd(); // Node 20: the fast build needs the flag
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
