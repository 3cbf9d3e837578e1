// Keras's conv VAE example (keras.io "Variational AutoEncoder") as a vaekit config: "same" padding as Keras puts it
// (the odd pad at the end; Conv2DTranspose crops its extra row/column at the end), Glorot-uniform weights, zero
// biases, sigmoid (Bernoulli) output. Shared by bench/conv-repro.mjs, conv-keras-check.mjs, conv-train.mjs,
// conv-replay.mjs and conv-draws.mjs (with fitNoise below).
export const CONFIG = {
  inputShape: [28, 28, 1],
  encoder: [
    { type: "conv2d", filters: 32, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
    { type: "conv2d", filters: 64, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
    { type: "flatten" },
    { type: "dense", units: 16, activation: "relu" },
  ],
  latentSize: 2,
  decoder: [
    { type: "dense", units: 7 * 7 * 64, activation: "relu" },
    { type: "reshape", shape: [7, 7, 64] },
    { type: "conv2dTranspose", filters: 64, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
    { type: "conv2dTranspose", filters: 32, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
    { type: "conv2dTranspose", filters: 1, kernelSize: 3, strides: 1, padding: "same" },
  ],
  likelihood: "bernoulli",
  init: "glorot",
  seed: 1,
};

/**
 * The noise ε that `fit` draws for CONFIG at `seed` on `images` images in batches of 128 for `epochs` epochs: the
 * model's training stream (key: seed, stream 2), one rng_normal call of rows·latentSize values per step, the counter
 * moving on by ⌈rows·latentSize / 4⌉ Philox blocks a step (the epoch's last batch has fewer rows). `wasm`: the exports
 * of build/vaekit-testing.wasm (its memory is grown to hold the draw). Shared by conv-replay.mjs --own and
 * conv-draws.mjs, so both measure the ε fit uses.
 */
export function fitNoise(wasm, seed, images, epochs) {
  const B = 128, L = CONFIG.latentSize, TRAIN_STREAM = 2;
  const total = images * L * epochs;
  const base = (Number(wasm.heap_base()) + 15) & ~15;
  const need = base + total * 4 + 64 - wasm.memory.buffer.byteLength;
  if (need > 0) wasm.memory.grow(Math.ceil(need / 65536));
  let c = 0, at = 0;
  for (let e = 0; e < epochs; e++) {
    for (let s = 0; s < images; s += B) {
      const k = Math.min(B, images - s) * L;
      wasm.rng_normal(base + at * 4, k, seed, TRAIN_STREAM, c % 2 ** 32, Math.floor(c / 2 ** 32));
      c += Math.ceil(k / 4);
      at += k;
    }
  }
  return new Float32Array(wasm.memory.buffer, base, at).slice();
}
