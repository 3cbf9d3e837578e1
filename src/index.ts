// vaekit's public API: re-exports only.
export { VAE, FORMAT_VERSION } from "./models/vae.js";
export type { EngineOptions, Encoding, GradientResult } from "./models/vae.js";
export type { VAEConfig, ResolvedVAEConfig, Likelihood } from "./models/config.js";
export type { Activation } from "./nn/dense.js";
export type { FitOptions, EpochLog, BatchLog, LossTerms } from "./train/fit.js";
export type { Data } from "./io/data.js";
export { readIdx, readIdxImages } from "./io/idx.js";
export type { IdxArray } from "./io/idx.js";
export { encodeSafetensors, decodeSafetensors } from "./io/safetensors.js";
export type { Tensor, SafetensorsFile } from "./io/safetensors.js";
export { init } from "./runtime/module.js";
export type { WasmSource, InitOptions } from "./runtime/module.js";
export { detectRuntime, hasWasmSimd } from "./runtime/env.js";
export type { RuntimeName } from "./runtime/env.js";
export {
  VaekitError, InvalidConfigError, InvalidInputError, ModelFormatError, TrainingDivergedError, DisposedError,
  UnsupportedRuntimeError,
} from "./errors.js";
export { readTorch, loadTorch } from "./interop/torch.js";
export type { TorchImportOptions, TorchImport } from "./interop/torch.js";
export { readFloatSafetensors } from "./interop/float-tensors.js";
export type { ForeignTensor, FloatDtype } from "./interop/float-tensors.js";
