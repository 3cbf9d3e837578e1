// Batch-1 inference benchmark: encode + decode of ONE example with the reference model (784-400-(20,20)-400-784
// relu, Bernoulli: the decoder's output is sigmoid(logits)), against TensorFlow.js's wasm backend running the same
// model with the same weights, and against the weight-read floor measured in the same run.
//
// Contenders (interleaved round by round, so a burst of load from a neighbour hits all of them alike):
//   vaekit (MNIST)        const { mean } = vae.encode(x); vae.decode(mean)   (dist/index.js; x one MNIST test image)
//   vaekit (dense data)   the same with a dense input (uniform [0, 1) pixels: the first layer has no zeros to skip)
//   vaekit kernels only   the same five kernel calls as the SDK makes, on build/vaekit-testing.wasm, with no SDK around them (what the
//                         JavaScript layer costs is the difference)
//   tfjs-wasm             tf.fused.matMul (bias + relu / sigmoid fused) × 4, mean and log-variance as one matMul,
//                         x uploaded with tf.tensor2d, both results read with dataSync (one op chain per call)
//   weight-read floor     the fastest loop that only reads the model's weight bytes once (bench/read-probe.ts: v128.or
//                         over 16-byte loads, and an f32x4.add version; the faster one is the floor), on a buffer of
//                         the same size, read again each call like the weights are.
// Each call is timed on its own (performance.now); figures are the median, min and max over all calls.
// Ratios: tfjs-wasm median / vaekit median (target ≥ 3) and vaekit median / floor median (target ≤ 1.5).
// Also, for context: batch-128 encode + decode throughput (examples/s) of vaekit and tfjs-wasm.
//
// Writes bench/results/infer.json. Env: BENCH_ROUNDS (default 40), BENCH_QUICK=1 (10 rounds).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProbe, loadMnistImages, loadTf, median, syntheticImages } from "./common.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const D = 784, H = 400, L = 20;
const TARGETS = { overTfjsWasm: 3, overFloor: 1.5 };

const stats = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length });

/** The model's weights as [in, out] matrices (the kernels' and tfjs's layout) from getWeights (PyTorch layout). */
function layersOf(vae) {
  const w = vae.getWeights();
  const t = (m, out, inp) => {
    const r = new Float32Array(inp * out);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) r[i * out + o] = m[o * inp + i];
    return r;
  };
  const head = new Float32Array(H * 2 * L);
  const wm = t(w["encoder.mean.weight"], L, H), wl = t(w["encoder.logvar.weight"], L, H);
  for (let i = 0; i < H; i++) {
    head.set(wm.subarray(i * L, (i + 1) * L), i * 2 * L);
    head.set(wl.subarray(i * L, (i + 1) * L), i * 2 * L + L);
  }
  const headB = new Float32Array(2 * L);
  headB.set(w["encoder.mean.bias"]);
  headB.set(w["encoder.logvar.bias"], L);
  return {
    W1: t(w["encoder.hidden.0.weight"], H, D), b1: w["encoder.hidden.0.bias"], W2: head, b2: headB,
    W3: t(w["decoder.hidden.0.weight"], H, L), b3: w["decoder.hidden.0.bias"], W4: t(w["decoder.output.weight"], D, H), b4: w["decoder.output.bias"],
  };
}

/** The same five kernel calls as the SDK's batch-1 encode + decode, on the test module, with nothing around them. */
function kernelsOnly(m) {
  const path = join(root, "build", "vaekit-testing.wasm");
  if (!existsSync(path)) execFileSync(process.execPath, [join(root, "scripts", "build-wasm.mjs")], { stdio: "inherit" });
  const x = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), {}).exports;
  let top = (Number(x.heap_base()) + 15) & ~15;
  const alloc = (n) => {
    const p = top;
    top = (top + n * 4 + 16 + 15) & ~15;
    const need = top + 64 - x.memory.buffer.byteLength;
    if (need > 0) x.memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const put = (a) => {
    const p = alloc(a.length);
    new Float32Array(x.memory.buffer, p, a.length).set(a);
    return p;
  };
  const p = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, put(v)]));
  const xin = alloc(D), h = alloc(H), st = alloc(2 * L), h3 = alloc(H), out = alloc(D), scr = alloc(2 * D + 6);
  return {
    setInput: (img) => new Float32Array(x.memory.buffer, xin, D).set(img),
    run() {
      x.dense_forward_sparse_x(h, xin, p.W1, p.b1, scr, 1, D, H, 1, 0);
      x.gemv_forward_sparse_x(st, h, p.W2, p.b2, H, 2 * L, 0, 0);
      x.gemv_forward_sparse_x(h3, st, p.W3, p.b3, L, H, 1, 0);
      x.gemv_forward_sparse_x(out, h3, p.W4, p.b4, H, D, 0, 0);
      x.activation_forward(out, out, D, 4, 0);
    },
    output: () => new Float32Array(x.memory.buffer, out, D).slice(),
    /** Weight bytes the last run had to read: the rows of each W under nonzero inputs (first layer: only when its
     *  input is sparse enough for dense_forward_sparse_x to skip zeros), plus the biases. */
    bytesRead() {
      const nz = (ptr, n) => new Float32Array(x.memory.buffer, ptr, n).reduce((c, v) => c + (v !== 0 ? 1 : 0), 0);
      const nx = nz(xin, D);
      const rows1 = nx <= 0.35 * D ? nx : D;
      return 4 * (rows1 * H + nz(h, H) * 2 * L + nz(st, L) * H + nz(h3, H) * D + H + 2 * L + H + D);
    },
  };
}

function tfjsModel(tf, m) {
  const v = {
    W1: tf.tensor2d(m.W1, [D, H]), b1: tf.tensor1d(m.b1), W2: tf.tensor2d(m.W2, [H, 2 * L]), b2: tf.tensor1d(m.b2),
    W3: tf.tensor2d(m.W3, [L, H]), b3: tf.tensor1d(m.b3), W4: tf.tensor2d(m.W4, [H, D]), b4: tf.tensor1d(m.b4),
  };
  const encode = (x, rows) => {
    const st = tf.tidy(() => {
      const t = tf.tensor2d(x, [rows, D]);
      const h = tf.fused.matMul({ a: t, b: v.W1, bias: v.b1, activation: "relu" });
      return tf.fused.matMul({ a: h, b: v.W2, bias: v.b2 });
    });
    const s = st.dataSync();
    st.dispose();
    const mean = new Float32Array(rows * L), logVar = new Float32Array(rows * L);
    for (let r = 0; r < rows; r++) {
      mean.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
      logVar.set(s.subarray(r * 2 * L + L, (r + 1) * 2 * L), r * L);
    }
    return { mean, logVar };
  };
  const decode = (z, rows) => {
    const o = tf.tidy(() => {
      const t = tf.tensor2d(z, [rows, L]);
      const h = tf.fused.matMul({ a: t, b: v.W3, bias: v.b3, activation: "relu" });
      return tf.fused.matMul({ a: h, b: v.W4, bias: v.b4, activation: "sigmoid" });
    });
    const out = o.dataSync();
    o.dispose();
    return out;
  };
  return { encode, decode, dispose: () => Object.values(v).forEach((t) => t.dispose()) };
}

const maxAbsDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

export async function main() {
  const quick = process.env.BENCH_QUICK === "1";
  const R = Number(process.env.BENCH_ROUNDS ?? (quick ? 10 : 40));
  const PER = { vaekit: 100, kernels: 100, tfjs: 30, floor: 100 };
  const log = (s) => process.stderr.write(`infer: ${s}\n`);
  const env = {
    date: new Date().toISOString(), node: process.version, v8: process.versions.v8,
    cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavgStart: loadavg(),
  };
  log(`${env.cpu}, ${env.cores} cores, node ${env.node}, load ${env.loadavgStart.map((x) => x.toFixed(2)).join(" ")}`);

  const { VAE } = await import("../dist/index.js");
  const vae = await VAE.create({ inputSize: D, hiddenSizes: [H], latentSize: L, activation: "relu", likelihood: "bernoulli", seed: 1 });
  const mnist = loadMnistImages(256);
  const images = mnist?.images ?? syntheticImages(256).images;
  const dense = syntheticImages(256, 11).images;
  const m = layersOf(vae);
  const kern = kernelsOnly(m);
  const tf = await loadTf("wasm");
  const tfm = tfjsModel(tf, m);
  const probe = await buildProbe("read-probe");
  const weightBytes = vae.parameterCount * 4;
  const floorBytes = Math.ceil(weightBytes / 128) * 128;
  const fbuf = (() => {
    const pages = Math.ceil((floorBytes + 65536) / 65536);
    probe.memory.grow(pages);
    const p = (Number(probe.heap_base()) + 127) & ~127;
    const f = new Float32Array(probe.memory.buffer, p, floorBytes / 4);
    for (let i = 0; i < f.length; i++) f[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    return p;
  })();

  // Same model: vaekit's SDK ≡ the bare kernels bit for bit; tfjs close (its own summation order).
  const img = (k) => images.subarray((k % 256) * D, (k % 256 + 1) * D);
  const x0 = img(0);
  const vOut = vae.decode(vae.encode(x0).mean);
  kern.setInput(x0);
  kern.run();
  const kOut = kern.output();
  const tOut = tfm.decode(tfm.encode(x0, 1).mean, 1);
  const check = { vaekitVsKernels: maxAbsDiff(vOut, kOut), vaekitVsTfjs: maxAbsDiff(vOut, tOut) };
  if (check.vaekitVsKernels !== 0 || !(check.vaekitVsTfjs < 1e-4)) throw new Error(`the contenders disagree: ${JSON.stringify(check)}`);
  const nnzShare = Array.from({ length: 256 }, (_, k) => img(k).reduce((s, v) => s + (v !== 0 ? 1 : 0), 0) / D);
  const readShare = (src) => median(Array.from({ length: 256 }, (_, k) => {
    kern.setInput(src.subarray(k * D, (k + 1) * D));
    kern.run();
    return kern.bytesRead() / weightBytes;
  }));
  const weightsRead = { mnist: readShare(images), dense: readShare(dense) };

  const t = { vaekit: [], vaekitDense: [], kernels: [], tfjs: [], floorOr: [], floorSum: [] };
  let sink = 0;
  let call = 0;
  const timeCalls = (into, n, fn) => {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fn(call++);
      into.push((performance.now() - t0) * 1000);
    }
  };
  const cases = {
    vaekit: (k) => { sink += vae.decode(vae.encode(img(k)).mean)[0]; },
    vaekitDense: (k) => { sink += vae.decode(vae.encode(dense.subarray((k % 256) * D, (k % 256 + 1) * D)).mean)[0]; },
    kernels: (k) => { kern.setInput(img(k)); kern.run(); },
    tfjs: (k) => { sink += tfm.decode(tfm.encode(img(k), 1).mean, 1)[0]; },
    floorOr: () => { sink += probe.read_or(fbuf, floorBytes); },
    floorSum: () => { sink += probe.read_sum(fbuf, floorBytes); },
  };
  // warm-up: every path reaches its optimized tier
  for (const [name, fn] of Object.entries(cases)) timeCalls([], name === "tfjs" ? 200 : 1000, fn);
  const roundRatios = { overTfjs: [], overFloor: [] };
  for (let r = 0; r < R; r++) {
    const before = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.length]));
    timeCalls(t.vaekit, PER.vaekit, cases.vaekit);
    timeCalls(t.tfjs, PER.tfjs, cases.tfjs);
    timeCalls(t.floorOr, PER.floor, cases.floorOr);
    timeCalls(t.floorSum, PER.floor, cases.floorSum);
    timeCalls(t.vaekitDense, PER.vaekit, cases.vaekitDense);
    timeCalls(t.kernels, PER.kernels, cases.kernels);
    const med = (k) => median(t[k].slice(before[k]));
    roundRatios.overTfjs.push(med("tfjs") / med("vaekit"));
    roundRatios.overFloor.push(med("vaekit") / Math.min(med("floorOr"), med("floorSum")));
  }
  const lat = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)]));
  const floorKey = lat.floorOr.median <= lat.floorSum.median ? "floorOr" : "floorSum";
  const floor = lat[floorKey];

  // batch 128, for context (examples/s over whole calls)
  const B = 128;
  const xb = images.subarray(0, B * D);
  const thr = { vaekit: [], tfjs: [] };
  const timeBatch = (into, fn) => {
    const t0 = performance.now();
    fn();
    into.push(B / ((performance.now() - t0) / 1000));
  };
  for (let i = 0; i < 3; i++) { vae.decode(vae.encode(xb).mean); tfm.decode(tfm.encode(xb, B).mean, B); }
  for (let r = 0; r < (quick ? 5 : 15); r++) {
    timeBatch(thr.vaekit, () => vae.decode(vae.encode(xb).mean));
    timeBatch(thr.tfjs, () => tfm.decode(tfm.encode(xb, B).mean, B));
  }
  tfm.dispose();
  vae.dispose();

  const ratios = {
    vaekitOverTfjsWasm: { value: lat.tfjs.median / lat.vaekit.median, pairedMedian: median(roundRatios.overTfjs), pairedMin: Math.min(...roundRatios.overTfjs), pairedMax: Math.max(...roundRatios.overTfjs) },
    vaekitOverFloor: { value: lat.vaekit.median / floor.median, pairedMedian: median(roundRatios.overFloor), pairedMin: Math.min(...roundRatios.overFloor), pairedMax: Math.max(...roundRatios.overFloor) },
    vaekitDenseOverFloor: { value: lat.vaekitDense.median / floor.median },
    kernelsOverFloor: { value: lat.kernels.median / floor.median },
    sdkShare: { value: 1 - lat.kernels.median / lat.vaekit.median },
    batch128VaekitOverTfjs: { value: median(thr.vaekit) / median(thr.tfjs) },
  };
  const verdict = {
    vaekitOverTfjsWasm: { target: `≥ ${TARGETS.overTfjsWasm}`, met: ratios.vaekitOverTfjsWasm.value >= TARGETS.overTfjsWasm },
    vaekitOverFloor: { target: `≤ ${TARGETS.overFloor}`, met: ratios.vaekitOverFloor.value <= TARGETS.overFloor },
  };
  const out = {
    benchmark: "infer",
    model: "784-400-(20,20)-400-784 relu, Bernoulli mean (sigmoid of the logits); weights from VAE.create seed 1",
    data: `${mnist ? "MNIST train images 0–255 / 255" : "synthetic"} (nonzero share median ${(median(nnzShare) * 100).toFixed(1)} %); dense: uniform [0, 1)`,
    weightBytes, weightsReadShare: weightsRead, rounds: R, callsPerRound: PER,
    env: { ...env, loadavgEnd: loadavg() },
    unit: "µs per encode + decode of one example (batch 128: examples/s)",
    latency: lat, floorProbe: floorKey,
    batch128: { vaekit: stats(thr.vaekit), tfjsWasm: stats(thr.tfjs) },
    ratios, verdict, check, sink: Number.isFinite(sink),
  };
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "infer.json"), `${JSON.stringify(out, null, 1)}\n`);
  const f = (s) => `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  console.log(`| contender | µs per encode + decode, median (min–max) |\n|---|---:|`);
  console.log(`| vaekit, MNIST image | ${f(lat.vaekit)} |\n| vaekit, dense image | ${f(lat.vaekitDense)} |\n| vaekit kernels only (no SDK) | ${f(lat.kernels)} |`);
  console.log(`| tfjs-wasm | ${f(lat.tfjs)} |\n| weight-read floor (${(weightBytes / 1e6).toFixed(2)} MB, v128.or) | ${f(lat.floorOr)} |\n| weight read with f32x4.add | ${f(lat.floorSum)} |`);
  console.log(`\nshare of the weight bytes a call reads (zero inputs skipped): MNIST ${(weightsRead.mnist * 100).toFixed(0)} %, dense image ${(weightsRead.dense * 100).toFixed(0)} %`);
  console.log(`tfjs-wasm / vaekit ${ratios.vaekitOverTfjsWasm.value.toFixed(2)}× (target ≥ 3); vaekit / floor ${ratios.vaekitOverFloor.value.toFixed(2)}× (target ≤ 1.5); dense image / floor ${ratios.vaekitDenseOverFloor.value.toFixed(2)}×`);
  console.log(`batch 128: vaekit ${median(thr.vaekit).toFixed(0)} ex/s, tfjs-wasm ${median(thr.tfjs).toFixed(0)} ex/s (${ratios.batch128VaekitOverTfjs.value.toFixed(2)}×); load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
