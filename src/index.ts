// vaekit's public API: re-exports only.
export { VAE, FORMAT_VERSION } from "./models/vae.js";
export type { EngineOptions, Encoding, GradientResult } from "./models/vae.js";
export type { VAEConfig, ResolvedVAEConfig, Likelihood } from "./models/config.js";
export type { WeightInit } from "./models/config-checks.js";
export type { Activation } from "./nn/dense.js";
export type { FitOptions, EpochLog, BatchLog, LossTerms, StepTerms, GroupOptions, Schedule } from "./train/fit.js";
export type { NamedSchedule, ScheduleSetting, EarlyStoppingOptions, CheckpointOptions } from "./train/fit.js";
export type { SaveOptions } from "./models/model.js";
export type { Data } from "./io/data.js";
export { readIdx, readIdxImages } from "./io/idx.js";
export type { IdxArray } from "./io/idx.js";
export { encodeSafetensors, decodeSafetensors } from "./io/safetensors.js";
export type { Tensor, SafetensorsFile } from "./io/safetensors.js";
export { init } from "./runtime/module.js";
export type { WasmSource, InitOptions } from "./runtime/module.js";
export type { Precision, EngineInfo } from "./runtime/module.js";
export { detectRuntime, hasWasmSimd } from "./runtime/env.js";
export type { RuntimeName } from "./runtime/env.js";
export {
  VaekitError, InvalidConfigError, InvalidInputError, ModelFormatError, TrainingDivergedError, DisposedError,
  UnsupportedRuntimeError, ModelBusyError,
} from "./errors.js";
export { ConditionalVAE } from "./models/conditional-vae.js";
export type { Label, LabelledData } from "./models/conditional-vae.js";
export type { Labels } from "./models/labels.js";
export type { ConditionalVAEConfig, ResolvedConditionalVAEConfig, CapacitySchedule } from "./models/config.js";
export type { LogLikelihoodOptions } from "./models/latent-model.js";
export type { Terms, Dataset } from "./train/fit.js";
export type { RowSource, BatchStream } from "./train/fit.js";
export type { InterpolationMethod } from "./latent/interpolate.js";
export type { ActiveUnits } from "./latent/statistics.js";
export type { ModelKind } from "./models/format.js";
export { Autoencoder } from "./models/autoencoder.js";
export type { AutoencoderTerms, AutoencoderGradients } from "./models/autoencoder.js";
export type { AutoencoderConfig, ResolvedAutoencoderConfig, Sparsity, Denoising } from "./models/autoencoder-config.js";
export { HierarchicalVAE } from "./models/hierarchical-vae.js";
export type { HierarchicalEncoding, HierarchicalEpsilon, HierarchicalGradients } from "./models/hierarchical-vae.js";
export type { HierarchicalVAEConfig, ResolvedHierarchicalVAEConfig } from "./models/hierarchical-config.js";
export { loadModel } from "./models/load-model.js";
export type { AnyModel } from "./models/load-model.js";
export type { ModelApi, ModelCapabilities, LatentCode } from "./models/model-api.js";
// layer lists (convolutional models): types only, the code loads with the first model that uses them
export type {
  LayerSpec, DenseLayerSpec, Conv2dLayerSpec, Conv2dTransposeLayerSpec, BatchNormLayerSpec, FlattenLayerSpec, ReshapeLayerSpec,
  Padding, InputShape,
} from "./models/layers-config.js";
