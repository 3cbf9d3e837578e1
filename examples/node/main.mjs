// Trains a small VAE on synthetic 12×12 images of a soft blob at a random position, saves it, loads it back,
// and shows what it learned: the 2-D latent space recovers the blob's position, samples look like blobs,
// and the anomaly score (−ELBO) of an image of noise is far above that of a blob.
//
//   npm install && node main.mjs
import { readFile, writeFile } from "node:fs/promises";
import { VAE } from "vaekit";

const SIDE = 12;
const PIXELS = SIDE * SIDE;

/** A tiny seeded generator (mulberry32), so every run sees the same data. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n images [n × 144] in [0, 1], each a Gaussian bump centred at (cx, cy), and those centres. */
function blobs(n, seed) {
  const rand = random(seed);
  const x = new Float32Array(n * PIXELS);
  const centres = [];
  for (let i = 0; i < n; i++) {
    const cx = 2 + rand() * (SIDE - 5);
    const cy = 2 + rand() * (SIDE - 5);
    centres.push([cx, cy]);
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) x[i * PIXELS + r * SIDE + c] = Math.exp(-((c - cx) ** 2 + (r - cy) ** 2) / 4.5);
    }
  }
  return { x, centres };
}

/** Share of the variance of `target` a least-squares line through the 2-D points `z` explains (R²). */
function rSquared(z, target) {
  const n = target.length;
  // Normal equations for target ≈ a·z0 + b·z1 + c.
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const y = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const f = [z[2 * i], z[2 * i + 1], 1];
    for (let p = 0; p < 3; p++) {
      y[p] += f[p] * target[i];
      for (let q = 0; q < 3; q++) A[p][q] += f[p] * f[q];
    }
  }
  const w = solve3(A, y);
  const mean = target.reduce((s, v) => s + v, 0) / n;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    residual += (target[i] - (w[0] * z[2 * i] + w[1] * z[2 * i + 1] + w[2])) ** 2;
    total += (target[i] - mean) ** 2;
  }
  return 1 - residual / total;
}

function solve3(A, y) {
  const det = (m) =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det(A);
  return [0, 1, 2].map((k) => det(A.map((row, i) => row.map((v, j) => (j === k ? y[i] : v)))) / d);
}

/** Images side by side as text, darker characters for larger values. */
function ascii(images, count) {
  const shades = " .:-=+*#%@";
  const lines = [];
  for (let r = 0; r < SIDE; r++) {
    const parts = [];
    for (let i = 0; i < count; i++) {
      let row = "";
      for (let c = 0; c < SIDE; c++) {
        const v = images[i * PIXELS + r * SIDE + c];
        row += shades[Math.min(shades.length - 1, Math.floor(v * shades.length))].repeat(2);
      }
      parts.push(row);
    }
    lines.push("  " + parts.join("  |  "));
  }
  return lines.join("\n");
}

const train = blobs(2000, 1);
const test = blobs(500, 2);

const vae = await VAE.create({
  inputSize: PIXELS, hiddenSizes: [64], latentSize: 2, activation: "relu", likelihood: "bernoulli", seed: 1,
});
console.log(`VAE ${PIXELS}-64-2-64-${PIXELS} (${vae.parameterCount} parameters), 2000 training images of a blob`);

const started = performance.now();
const history = await vae.fit(train.x, {
  epochs: 30, batchSize: 64, learningRate: 3e-3, shuffleSeed: 1, validationData: test.x,
  onEpochEnd: (e) => {
    if (e.epoch % 10 === 0) console.log(`  epoch ${e.epoch}: train −ELBO ${e.loss.toFixed(2)}, test ${e.validation.loss.toFixed(2)} nats/image`);
  },
});
const seconds = (performance.now() - started) / 1000;

await writeFile("model.safetensors", vae.save());
const loaded = await VAE.load(await readFile("model.safetensors"));
const bytes = (await readFile("model.safetensors")).length;
const sameFile = Buffer.compare(Buffer.from(loaded.save()), Buffer.from(vae.save())) === 0;
console.log(`saved model.safetensors (${(bytes / 1024).toFixed(1)} KB) and loaded it back: ${sameFile ? "identical" : "DIFFERENT"} weights`);

const { mean } = loaded.encode(test.x);
const r2x = rSquared(mean, test.centres.map((c) => c[0]));
const r2y = rSquared(mean, test.centres.map((c) => c[1]));
console.log(`the 2-D latent means explain the blob's position: R² ${r2x.toFixed(3)} for x, ${r2y.toFixed(3)} for y (linear fit, 500 test images)`);

console.log("\nfour samples (z ~ N(0, I), seed 7):");
console.log(ascii(loaded.sample(4, { seed: 7 }), 4));

const noise = new Float32Array(PIXELS).map(random(3));
const blobScore = loaded.evaluate(test.x.subarray(0, PIXELS), { seed: 1 }).loss;
const noiseScore = loaded.evaluate(noise, { seed: 1 }).loss;
console.log(`\nanomaly score (−ELBO, nats): a test blob ${blobScore.toFixed(1)}, uniform noise ${noiseScore.toFixed(1)}`);

const last = history.at(-1);
console.log(
  `\nsummary: ${history.length} epochs in ${seconds.toFixed(1)} s, test −ELBO ${last.validation.loss.toFixed(2)} nats/image; ` +
    `the latent space encodes the blob's position (R² ≥ ${Math.min(r2x, r2y).toFixed(3)}); noise scores ${(noiseScore / blobScore).toFixed(0)}× a blob.`,
);

const ok = sameFile && Math.min(r2x, r2y) > 0.8 && noiseScore > 2 * blobScore;
loaded.dispose();
vae.dispose();
if (!ok) {
  console.error("the model did not learn what it should have (see above)");
  process.exitCode = 1;
}
