// vaekit/torch: imports a PyTorch state_dict (saved as safetensors) into a vaekit model (VAE, ConditionalVAE,
// HierarchicalVAE, Autoencoder; MLP or conv layer lists), and exports vaekit models to PyTorch. A sub-path of its own,
// so the default entry stays within its size budget; it takes VAE and the errors from "vaekit" itself (the same
// module instance as the application's).
export { readTorch, loadTorch } from "./interop/torch.js";
export type { TorchImportOptions, TorchImport, TorchModelKind } from "./interop/torch.js";
export { readFloatSafetensors } from "./interop/float-tensors.js";
export type { ForeignTensor, FloatDtype } from "./interop/float-tensors.js";
export { exportTorch } from "./interop/torch-export.js";
export type { TorchExport } from "./interop/torch-export.js";
