// Trains the two models the worker serves and writes them beside this file, deterministically:
//   model.safetensors (about 75 KB): a VAE 144-64-2 (ReLU, Bernoulli), 30 epochs on 2,000 images from data.mjs
//   conv.safetensors: a convolutional VAE on the same 12×12 images (two stride-2 convolutions down to 3×3×16, a
//     2-D latent, two transposed convolutions back up), 30 epochs
// each in seconds. `node make-model.mjs --check` retrains and fails if a committed file differs (e.g. after a change
// to vaekit's numerics or file format: then run it without --check and commit the result).
//
//   node make-model.mjs [--check]
import { readFile, writeFile } from "node:fs/promises";
import { VAE } from "vaekit";
import { PIXELS, SIDE, blobs } from "./data.mjs";

const MODELS = {
  "model.safetensors": {
    inputSize: PIXELS, hiddenSizes: [64], latentSize: 2, activation: "relu", likelihood: "bernoulli", seed: 1,
  },
  "conv.safetensors": {
    inputShape: [SIDE, SIDE, 1],
    encoder: [
      { type: "conv2d", filters: 8, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
      { type: "conv2d", filters: 16, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
      { type: "flatten" },
    ],
    latentSize: 2,
    decoder: [
      { type: "dense", units: 3 * 3 * 16, activation: "relu" },
      { type: "reshape", shape: [3, 3, 16] },
      { type: "conv2dTranspose", filters: 8, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
      { type: "conv2dTranspose", filters: 1, kernelSize: 3, strides: 2, padding: "same" },
    ],
    likelihood: "bernoulli", init: "glorot", seed: 1,
  },
};

let stale = false;
for (const [name, config] of Object.entries(MODELS)) {
  const file = new URL(`./${name}`, import.meta.url);
  const vae = await VAE.create(config);
  const history = await vae.fit(blobs(2000, 1), { epochs: 30, batchSize: 64, learningRate: 3e-3, shuffleSeed: 1 });
  const bytes = vae.save();
  vae.dispose();
  const loss = history.at(-1).loss.toFixed(2);
  if (process.argv.includes("--check")) {
    const committed = await readFile(file).catch(() => new Uint8Array(0));
    if (Buffer.compare(Buffer.from(bytes), committed) !== 0) {
      console.error(
        `${name} is not what make-model.mjs trains now (${committed.length} bytes on disk, ${bytes.length} ` +
          "trained): run `node make-model.mjs` and commit the new file",
      );
      stale = true;
    } else console.log(`${name} matches a fresh training run byte for byte (final −ELBO ${loss} nats/image)`);
  } else {
    await writeFile(file, bytes);
    console.log(`wrote ${name} (${bytes.length} bytes), final training −ELBO ${loss} nats/image`);
  }
}
if (stale) process.exit(1);
