// Writes test/fixtures/conv/vaekit-conv-vae.safetensors: the conv VAE of scripts/make-conv-fixture.py (its CONFIG,
// read from conv-vae-golden.json) created by vaekit and trained for a few steps on random images, so that its
// weights and batch-norm running statistics are vaekit's own. scripts/make-conv-fixture.py then loads this file into
// the equivalent PyTorch modules and records their outputs (conv-vae-torch.json). Needs `npm run build` (dist/).
//   node scripts/make-conv-file.mjs && /usr/bin/python3 scripts/make-conv-fixture.py
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { VAE } from "../dist/index.js";

const DIR = fileURLToPath(new URL("../test/fixtures/conv/", import.meta.url));
const { config } = JSON.parse(readFileSync(`${DIR}conv-vae-golden.json`, "utf8"));
const vae = await VAE.create(config);
const D = config.inputShape.reduce((a, b) => a * b, 1);
let s = 11;
const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const x = Float32Array.from({ length: 40 * D }, () => rand());
await vae.fit(x, { epochs: 3, batchSize: 8, learningRate: 3e-3, shuffleSeed: 1 });
writeFileSync(`${DIR}vaekit-conv-vae.safetensors`, vae.save());
console.log(`vaekit-conv-vae.safetensors: ${vae.trainingSteps} steps, ${vae.parameterCount} parameters`);
vae.dispose();
