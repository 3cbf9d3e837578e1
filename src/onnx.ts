// vaekit/onnx: exports a VAE's encoder or decoder as an ONNX model. A sub-path of its own, so the default entry
// stays small; it imports vaekit's public API from "vaekit" (the same module instance as the application's).
export { exportOnnx } from "./interop/onnx.js";
export type { OnnxExportOptions, OnnxSource } from "./interop/onnx.js";
