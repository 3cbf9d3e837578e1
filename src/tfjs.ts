// vaekit/tfjs: TensorFlow.js interop — tf.Tensor wrappers of a VAE's inference methods, and import of TF.js layers
// models (Dense, and Conv2D / Conv2DTranspose / BatchNormalization as layer-list VAEs). @tensorflow/tfjs-core is an optional peer dependency, needed only by the wrappers.
// Imports vaekit's public API from "vaekit" (the same module instance as the application's).
export { encodeTensor, decodeTensor, reconstructTensor, sampleTensor } from "./interop/tfjs-tensors.js";
export { readTfjs, loadTfjs } from "./interop/tfjs-layers.js";
export type {
  TfjsSource, TfjsModel, TfjsModelFiles, TfjsArtifacts, TfjsSaveable, TfjsWeightSpec, TfjsImportOptions, TfjsImport,
} from "./interop/tfjs-layers.js";
