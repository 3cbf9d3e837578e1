// Training inside a browser tab: how close headless Chromium gets to Node and to native PyTorch on the same model.
// The reference model of bench/train-step.mjs (784-400-(20,20)-400-784 relu, Bernoulli, β = 1, Adam 1e-3, batch 128,
// the first 5120 MNIST training images / 255, 40 batches per round, reshuffled every round), trained
// - in headless Chromium: dist/web.js in a page served cross-origin isolated (COOP/COEP headers, so
//   SharedArrayBuffer and module Web Workers give it 2 threads), exact and fast precision;
// - in Node: dist/index.js, the same two engines, 2 threads;
// - by PyTorch (bench/torch_train.py --serve), 2 threads and 1 thread.
// All contenders run in one process tree and are interleaved round by round (Chromium, Node, PyTorch, Chromium, …),
// so a burst of load from a neighbour hits them alike. A figure is the median over rounds of examples per second;
// a ratio is the ratio of medians, with the median and spread of the per-round (paired) ratios beside it. One round
// in the page is the same user-facing call as in Node: vae.fit(x, { epochs: 1, batchSize: 128, ... }), timed with
// performance.now() inside the page (the driver's round trip is not counted).
//
// Needs `npm run build`, /usr/bin/chromium (or CHROMIUM=…) and playwright-core (`npm install --prefix runtimes`);
// the PyTorch rows need a python3 that imports torch (BENCH_PYTHON, default /usr/bin/python3), else they are skipped
// and say why. Writes bench/results/browser-train.json. Options (env): BENCH_ROUNDS (default 7), BENCH_QUICK=1.
//   node bench/browser-train.mjs
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_FLAGS } from "../conformance/runners.mjs";
import { serve } from "../conformance/serve.mjs";
import { ensureRelaxedSimd, loadMnistImages, median, syntheticImages } from "./common.mjs";
import { createTorch, createVaekit, torchAvailable } from "./train-step.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BATCH = 128;
const BATCHES = 40;
const MODEL = { inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu", likelihood: "bernoulli", likelihoodScale: 1, beta: 1, seed: 1 };

// The page: builds one VAE per engine asked for from the served data and waits for the driver's rounds.
const PAGE = `<!doctype html><meta charset="utf-8"><title>vaekit browser training bench</title><script type="module">
import { VAE } from "/dist/web.js";
try {
  const x = new Float32Array(await (await fetch("/data.f32")).arrayBuffer());
  const models = {};
  for (const [key, engine] of ${JSON.stringify([["exact2", { threads: 2 }], ["fast2", { precision: "fast", threads: 2 }]])}) {
    models[key] = await VAE.create(${JSON.stringify(MODEL)}, engine);
  }
  let epochSeed = 1;
  globalThis.round = async (key, batches) => {
    const xs = x.subarray(0, batches * ${BATCH} * 784);
    const t0 = performance.now();
    let seen = 0, lastLoss = NaN;
    await models[key].fit(xs, { epochs: 1, batchSize: ${BATCH}, learningRate: 1e-3, shuffleSeed: epochSeed++,
      onBatchEnd: (info) => { seen++; lastLoss = info.loss; } });
    return { examples: batches * ${BATCH}, seconds: (performance.now() - t0) / 1000, batchesSeen: seen, lastBatchLoss: lastLoss };
  };
  globalThis.ready = {
    isolated: globalThis.crossOriginIsolated, userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency,
    engines: Object.fromEntries(Object.entries(models).map(([k, m]) => [k, { precision: m.engineInfo.precision, threads: m.engineInfo.threads, fallbacks: m.engineInfo.fallbacks }])),
  };
} catch (e) {
  globalThis.ready = { error: String(e?.stack ?? e) };
}
</script>`;

const rate = (r) => r.examples / r.seconds;

function summarize(rounds, extra = {}) {
  const rates = rounds.map(rate);
  // CPU time over wall time (Node: the whole process with its worker threads; PyTorch: its process), where known —
  // on a busy host it shows how much of the machine each contender got
  const cpu = rounds.every((r) => typeof r.cpuSeconds === "number")
    ? { cpuPerWall: rounds.reduce((a, r) => a + r.cpuSeconds, 0) / rounds.reduce((a, r) => a + r.seconds, 0) } : {};
  return { examplesPerSecond: median(rates), examplesPerSecondMin: Math.min(...rates), examplesPerSecondMax: Math.max(...rates), ...cpu, rounds, ...extra };
}

function ratio(a, b) {
  if (!a?.length || !b?.length) return null;
  const paired = a.map((r, i) => rate(r) / rate(b[i]));
  return {
    value: median(a.map(rate)) / median(b.map(rate)),
    pairedMedian: median(paired), pairedMin: Math.min(...paired), pairedMax: Math.max(...paired),
  };
}

async function openChromium(site, tmp) {
  const req = createRequire(join(ROOT, "runtimes", "package.json"));
  let chromium;
  try {
    ({ chromium } = req("playwright-core"));
  } catch {
    throw new Error("playwright-core is missing: npm install --prefix runtimes");
  }
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (install it, or set CHROMIUM)`);
  const server = await serve(site, { isolate: true });
  const context = await chromium.launchPersistentContext(join(tmp, "profile"), { executablePath, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
  const page = await context.newPage();
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => globalThis.ready !== undefined, null, { timeout: 120_000 });
  const ready = await page.evaluate(() => globalThis.ready);
  if (ready.error) throw new Error(`the page failed: ${ready.error}`);
  return {
    ready,
    version: context.browser()?.version() ?? null,
    round: (key, batches) => page.evaluate(([k, b]) => globalThis.round(k, b), [key, batches]),
    async close() {
      await context.close();
      await server.close();
    },
  };
}

export async function main() {
  const quick = process.env.BENCH_QUICK === "1";
  const R = Number(process.env.BENCH_ROUNDS ?? (quick ? 3 : 7));
  const batches = quick ? 10 : BATCHES;
  const log = (s) => process.stderr.write(`browser-train: ${s}\n`);
  const data = loadMnistImages(BATCHES * BATCH) ?? syntheticImages(BATCHES * BATCH);
  const env = { date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, loadavgStart: loadavg() };
  log(`${env.cpu}, ${env.cores} cores, node ${env.node}, load ${env.loadavgStart.map((v) => v.toFixed(2)).join(" ")}`);

  const tmp = mkdtempSync(join(tmpdir(), "vaekit-browser-train-"));
  const site = join(tmp, "site");
  mkdirSync(site);
  symlinkSync(join(ROOT, "dist"), join(site, "dist"));
  writeFileSync(join(site, "index.html"), PAGE);
  writeFileSync(join(site, "data.f32"), new Uint8Array(data.images.buffer, data.images.byteOffset, data.images.byteLength));

  try {
    const browser = await openChromium(site, tmp);
    log(`Chromium ${browser.version}: cross-origin isolated ${browser.ready.isolated}, engines ${JSON.stringify(browser.ready.engines)}`);
    for (const [k, e] of Object.entries(browser.ready.engines)) {
      if (e.threads !== 2 || e.fallbacks.length) throw new Error(`the page's ${k} engine did not get 2 threads: ${JSON.stringify(e)}`);
    }
    const node = { exact2: await createVaekit(data, { threads: 2 }), fast2: await createVaekit(data, { precision: "fast", threads: 2 }) };
    for (const [k, v] of Object.entries(node)) if (v.info.threads !== 2 || v.info.fallbacks.length) throw new Error(`Node's ${k} engine did not get 2 threads: ${JSON.stringify(v.info)}`);
    const tav = torchAvailable();
    const torch = tav.ok ? { pytorch2: await createTorch(2), pytorch1: await createTorch(1) } : {};
    if (!tav.ok) log(`PyTorch skipped: ${tav.why}`);
    const blas = torch.pytorch1?.info.blas;
    if (blas && !JSON.stringify(blas.mapped ?? "").includes("openblas")) {
      log(`WARNING: PyTorch runs on ${JSON.stringify(blas.mapped)}, not OpenBLAS (Debian: apt-get install libopenblas0-pthread); its figures will be far too low`);
    }

    // warm-up: wasm tier-up, workers, allocations, in every contender
    for (const k of ["exact2", "fast2"]) {
      await browser.round(k, 10);
      await node[k].round(10);
    }
    for (const t of Object.values(torch)) await t.round(10);

    const rounds = { browserExact2: [], nodeExact2: [], browserFast2: [], nodeFast2: [], pytorch2: [], pytorch1: [] };
    for (let r = 0; r < R; r++) {
      rounds.browserExact2.push(await browser.round("exact2", batches));
      rounds.nodeExact2.push(await node.exact2.round(batches));
      rounds.browserFast2.push(await browser.round("fast2", batches));
      rounds.nodeFast2.push(await node.fast2.round(batches));
      for (const [k, t] of Object.entries(torch)) rounds[k].push(await t.round(batches));
      const f = (k) => (rounds[k][r] ? rate(rounds[k][r]).toFixed(0) : "-");
      log(`round ${r + 1}/${R}: chromium exact×2 ${f("browserExact2")}, node exact×2 ${f("nodeExact2")}, chromium fast×2 ${f("browserFast2")}, ` +
        `node fast×2 ${f("nodeFast2")}, pytorch×2 ${f("pytorch2")}, pytorch×1 ${f("pytorch1")} examples/s; load ${loadavg()[0].toFixed(2)}`);
    }
    await browser.close();
    for (const v of Object.values(node)) v.dispose();
    for (const t of Object.values(torch)) t.dispose();

    const fitHow = `VAE.fit, 1 epoch of ${batches} batches per round`;
    const results = {
      browserExact2: summarize(rounds.browserExact2, { how: `${fitHow}, in headless Chromium (dist/web.js), cross-origin isolated, { threads: 2 }`, engine: browser.ready.engines.exact2 }),
      nodeExact2: summarize(rounds.nodeExact2, { how: `${fitHow}, in Node (dist/index.js), { threads: 2 }`, engine: { precision: node.exact2.info.precision, threads: node.exact2.info.threads } }),
      browserFast2: summarize(rounds.browserFast2, { how: `the same in Chromium, { precision: "fast", threads: 2 }`, engine: browser.ready.engines.fast2 }),
      nodeFast2: summarize(rounds.nodeFast2, { how: `the same in Node, { precision: "fast", threads: 2 }`, engine: { precision: node.fast2.info.precision, threads: node.fast2.info.threads } }),
      pytorch2: torch.pytorch2 ? summarize(rounds.pytorch2, { how: `bench/torch_train.py, Adam, ${batches} steps per round, 2 threads`, torchVersion: torch.pytorch2.info.torchVersion, threads: torch.pytorch2.info.threads, blas: torch.pytorch2.info.blas }) : { skipped: tav.why },
      pytorch1: torch.pytorch1 ? summarize(rounds.pytorch1, { how: "the same, 1 thread", torchVersion: torch.pytorch1.info.torchVersion, threads: torch.pytorch1.info.threads, blas: torch.pytorch1.info.blas }) : { skipped: tav.why },
    };
    const torchBest = !torch.pytorch1 ? null : median(rounds.pytorch2.map(rate)) > median(rounds.pytorch1.map(rate)) ? "pytorch2" : "pytorch1";
    const ratios = {
      browserExact2OverNodeExact2: ratio(rounds.browserExact2, rounds.nodeExact2),
      browserFast2OverNodeFast2: ratio(rounds.browserFast2, rounds.nodeFast2),
      browserExact2OverPytorch2: ratio(rounds.browserExact2, rounds.pytorch2),
      browserFast2OverPytorch2: ratio(rounds.browserFast2, rounds.pytorch2),
      nodeExact2OverPytorch2: ratio(rounds.nodeExact2, rounds.pytorch2),
      nodeFast2OverPytorch2: ratio(rounds.nodeFast2, rounds.pytorch2),
      pytorch2OverPytorch1: ratio(rounds.pytorch2, rounds.pytorch1),
      // PyTorch at its faster thread count in this run (on a busy 2-core host OpenBLAS's 2 threads can fall far behind 1)
      browserExact2OverPytorchBest: ratio(rounds.browserExact2, rounds[torchBest]),
      browserFast2OverPytorchBest: ratio(rounds.browserFast2, rounds[torchBest]),
      nodeExact2OverPytorchBest: ratio(rounds.nodeExact2, rounds[torchBest]),
      nodeFast2OverPytorchBest: ratio(rounds.nodeFast2, rounds[torchBest]),
      pytorchBest: torchBest,
    };
    const out = {
      benchmark: "browser-train",
      model: "784-400-(20,20)-400-784 relu, Bernoulli (logits), β 1, Adam lr 1e-3, batch 128",
      data: `${data.source}, first ${data.n} images / 255, reshuffled every round`,
      rounds: R,
      browser: { name: "chromium", version: browser.version, flags: CHROMIUM_FLAGS, crossOriginIsolated: browser.ready.isolated, userAgent: browser.ready.userAgent, hardwareConcurrency: browser.ready.hardwareConcurrency },
      env: { ...env, loadavgEnd: loadavg() },
      results,
      ratios,
    };
    mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
    writeFileSync(new URL("./results/browser-train.json", import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
    const x = (k) => (ratios[k] ? `×${ratios[k].value.toFixed(2)}` : "n/a");
    log(`chromium exact×2 ${results.browserExact2.examplesPerSecond.toFixed(0)} ex/s = ${x("browserExact2OverNodeExact2")} Node, ${x("browserExact2OverPytorch2")} PyTorch×2; ` +
      `fast×2 ${results.browserFast2.examplesPerSecond.toFixed(0)} ex/s = ${x("browserFast2OverNodeFast2")} Node, ${x("browserFast2OverPytorch2")} PyTorch×2 -> bench/results/browser-train.json`);
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureRelaxedSimd(); // Node 20: precision "fast" needs the flag
  await main();
}
