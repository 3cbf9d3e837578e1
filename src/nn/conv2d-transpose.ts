// Module: a transposed 2-D convolution (PyTorch's nn.ConvTranspose2d, Keras's Conv2DTranspose) — the Conv2d
// module's class with its transposed kernels and its file layout [in, out, kH, kW].
import type { ConvGeometry } from "../models/layers-config.js";
import { Conv2d } from "./conv2d.js";
import type { Activation, ParameterLayout } from "./dense.js";

/** A conv2dTranspose layer named `name` (e.g. "decoder.layers.2") with geometry g (see layers-config.ts). */
export const conv2dTranspose = (layout: ParameterLayout, name: string, g: ConvGeometry, activation: Activation, alpha: number): Conv2d =>
  new Conv2d(layout, name, g, activation, alpha, true);
