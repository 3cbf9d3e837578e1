// Keras's conv VAE example (keras.io "Variational AutoEncoder") as a vaekit config: "same" padding as Keras puts it
// (the odd pad at the end; Conv2DTranspose crops its extra row/column at the end), Glorot-uniform weights, zero
// biases, sigmoid (Bernoulli) output. Shared by bench/conv-repro.mjs, conv-keras-check.mjs and conv-train.mjs.
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
