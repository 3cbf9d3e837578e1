// Anomaly detection with a VAE in Deno: train on synthetic 12×12 images of one soft blob, save and reload the
// model, then flag images the model finds unlikely (−ELBO above a threshold set on held-out normal images):
// images with two blobs, a stripe, or noise.
//
//   deno run --allow-read --allow-write=model.safetensors main.ts
import { VAE } from "vaekit";

const SIDE = 12;
const PIXELS = SIDE * SIDE;

/** A tiny seeded generator (mulberry32), so every run sees the same data. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Adds a Gaussian bump centred at (cx, cy) to one 12×12 image, clipped to [0, 1]. */
function addBlob(image: Float32Array, cx: number, cy: number): void {
  for (let r = 0; r < SIDE; r++) {
    for (let c = 0; c < SIDE; c++) {
      const v = image[r * SIDE + c] + Math.exp(-((c - cx) ** 2 + (r - cy) ** 2) / 4.5);
      image[r * SIDE + c] = Math.min(1, v);
    }
  }
}

/** n images with one blob each, row-major [n × 144]. */
function blobs(n: number, seed: number): Float32Array {
  const rand = random(seed);
  const x = new Float32Array(n * PIXELS);
  for (let i = 0; i < n; i++) addBlob(x.subarray(i * PIXELS, (i + 1) * PIXELS), 2 + rand() * 7, 2 + rand() * 7);
  return x;
}

/** −ELBO of each row (nats): the anomaly score, averaged over 4 sampled z per row. */
function scores(vae: VAE, x: Float32Array): number[] {
  return Array.from(vae.anomalyScore(x, { samples: 4, seed: 1 }));
}

const vae = await VAE.create({
  inputSize: PIXELS, hiddenSizes: [64], latentSize: 2, activation: "relu", likelihood: "bernoulli", seed: 1,
});
const history = await vae.fit(blobs(2000, 1), { epochs: 30, batchSize: 64, learningRate: 3e-3, shuffleSeed: 1 });
console.log(`trained ${vae.parameterCount} parameters for ${history.length} epochs: −ELBO ${history.at(-1)!.loss.toFixed(2)} nats/image`);

await Deno.writeFile("model.safetensors", vae.save());
vae.dispose();
const model = await VAE.load(await Deno.readFile("model.safetensors"));
console.log("saved model.safetensors and loaded it back");

// Threshold: the largest score among 200 held-out normal images, plus 10 %.
const held = scores(model, blobs(200, 2));
const threshold = 1.1 * Math.max(...held);
console.log(`threshold ${threshold.toFixed(1)} nats (held-out normal images score ${Math.min(...held).toFixed(1)}–${Math.max(...held).toFixed(1)})`);

// A test batch: 6 normal images and three kinds of anomaly.
const rand = random(3);
const cases: { label: string; image: Float32Array }[] = [];
const normal = blobs(6, 4);
for (let i = 0; i < 6; i++) cases.push({ label: "one blob", image: normal.slice(i * PIXELS, (i + 1) * PIXELS) });
const two = new Float32Array(PIXELS);
addBlob(two, 3, 3);
addBlob(two, 8, 8);
cases.push({ label: "two blobs", image: two });
const stripe = new Float32Array(PIXELS);
for (let r = 0; r < SIDE; r++) stripe[r * SIDE + 5] = stripe[r * SIDE + 6] = 1;
cases.push({ label: "stripe", image: stripe });
cases.push({ label: "noise", image: new Float32Array(PIXELS).map(rand) });

const batch = new Float32Array(cases.length * PIXELS);
cases.forEach((c, i) => batch.set(c.image, i * PIXELS));
let right = 0;
scores(model, batch).forEach((s, i) => {
  const flagged = s > threshold;
  const correct = flagged === (cases[i].label !== "one blob");
  if (correct) right++;
  console.log(`  ${cases[i].label.padEnd(10)} score ${s.toFixed(1).padStart(6)}  ${flagged ? "ANOMALY" : "normal "}${correct ? "" : "  (wrong)"}`);
});
console.log(`summary: ${right} of ${cases.length} test images classified correctly (Deno ${Deno.version.deno})`);
model.dispose();
if (right !== cases.length) Deno.exit(1);
