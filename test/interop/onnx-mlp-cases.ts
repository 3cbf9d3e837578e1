// The MLP models whose ONNX exports are pinned byte for byte (test/interop/onnx-fixtures/*.onnx, written by
// scripts/make-onnx-mlp-fixture.ts with the exporter as it was before the module kinds got their export hooks):
// resolved configs and weights drawn from a fixed integer hash, so the script and the test build the same inputs
// without the wasm engine.
import { resolveConfig, type ResolvedVAEConfig, type VAEConfig } from "../../src/models/config.js";

export const MLP_CASES: Record<string, VAEConfig> = {
  "relu-bernoulli": { inputSize: 30, hiddenSizes: [16], latentSize: 4, activation: "relu", likelihood: "bernoulli", seed: 1 },
  "leaky-gaussian": { inputSize: 25, hiddenSizes: [13, 7], latentSize: 3, decoderHiddenSizes: [5], activation: "leaky_relu", leakySlope: 0.2, likelihood: "gaussian", seed: 2 },
  "tanh-laplace-no-hidden": { inputSize: 9, hiddenSizes: [], latentSize: 2, activation: "tanh", likelihood: "laplace", likelihoodScale: 0.5, seed: 3 },
  "sigmoid-bernoulli": { inputSize: 12, hiddenSizes: [8, 8], latentSize: 5, activation: "sigmoid", likelihood: "bernoulli", seed: 4 },
  "identity-gaussian-learned": { inputSize: 10, hiddenSizes: [6], latentSize: 3, activation: "identity", likelihood: "gaussian", likelihoodScale: "learned", seed: 5 },
};

/** A config and PyTorch-layout weights (every tensor of an MLP VAE's file) with values from an integer hash in [−1, 1). */
export function mlpCase(name: string): { config: ResolvedVAEConfig; weights: Record<string, Float32Array> } {
  const config = resolveConfig(MLP_CASES[name]);
  const weights: Record<string, Float32Array> = {};
  let h = 0x9e3779b9 ^ config.seed;
  const next = (): number => {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
    return (h >>> 0) / 2 ** 31 - 1;
  };
  const add = (layer: string, inSize: number, outSize: number): void => {
    weights[`${layer}.weight`] = Float32Array.from({ length: outSize * inSize }, next);
    weights[`${layer}.bias`] = Float32Array.from({ length: outSize }, next);
  };
  let w = config.inputSize;
  config.hiddenSizes.forEach((s, i) => { add(`encoder.hidden.${i}`, w, s); w = s; });
  add("encoder.mean", w, config.latentSize);
  add("encoder.logvar", w, config.latentSize);
  w = config.latentSize;
  config.decoderHiddenSizes.forEach((s, i) => { add(`decoder.hidden.${i}`, w, s); w = s; });
  add("decoder.output", w, config.inputSize);
  if (config.likelihoodScale === "learned") weights["decoder.logsigma"] = Float32Array.from({ length: config.inputSize }, next);
  return { config, weights };
}
