// Trains the model the worker serves and writes model.safetensors beside this file (about 75 KB):
// a VAE 144-64-2 (ReLU, Bernoulli) trained for 30 epochs on 2,000 images from data.mjs, in under a second.
// Training is deterministic, so `node make-model.mjs --check` retrains and fails if the committed file differs
// (e.g. after a change to vaekit's numerics or file format: then run it without --check and commit the result).
//
//   node make-model.mjs [--check]
import { readFile, writeFile } from "node:fs/promises";
import { VAE } from "vaekit";
import { PIXELS, blobs } from "./data.mjs";

const file = new URL("./model.safetensors", import.meta.url);
const vae = await VAE.create({
  inputSize: PIXELS, hiddenSizes: [64], latentSize: 2, activation: "relu", likelihood: "bernoulli", seed: 1,
});
const history = await vae.fit(blobs(2000, 1), { epochs: 30, batchSize: 64, learningRate: 3e-3, shuffleSeed: 1 });
const bytes = vae.save();
vae.dispose();
const loss = history.at(-1).loss.toFixed(2);

if (process.argv.includes("--check")) {
  const committed = await readFile(file).catch(() => new Uint8Array(0));
  if (Buffer.compare(Buffer.from(bytes), committed) !== 0) {
    console.error(
      `model.safetensors is not what make-model.mjs trains now (${committed.length} bytes on disk, ${bytes.length} ` +
        "trained): run `node make-model.mjs` and commit the new file",
    );
    process.exit(1);
  }
  console.log(`model.safetensors matches a fresh training run byte for byte (final −ELBO ${loss} nats/image)`);
} else {
  await writeFile(file, bytes);
  console.log(`wrote model.safetensors (${bytes.length} bytes), final training −ELBO ${loss} nats/image`);
}
