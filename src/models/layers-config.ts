// Layer lists: the `encoder` / `decoder` arrays of a VAE, ConditionalVAE or Autoencoder config (dense, conv2d,
// conv2dTranspose, batchNorm, flatten, reshape), checked and completed, and every layer's input and output shape
// worked out at create time so that a shape that doesn't fit is an InvalidConfigError naming the layer.
// Reached only from config.ts (itself a chunk loaded by the async create/load): MLP users never download it.
import { InvalidConfigError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Activation } from "../nn/dense.js";
import { activationOf, integer, positive, suggest } from "./config-checks.js";

/**
 * A dense (fully connected) layer: PyTorch's nn.Linear, Keras's Dense. Its input must be flat (put a
 * `{ type: "flatten" }` after conv layers).
 *
 * @example
 * ```ts
 * const layer: DenseLayerSpec = { type: "dense", units: 16, activation: "relu" };
 * ```
 */
export interface DenseLayerSpec {
  type: "dense";
  units: number;
  /** Default "identity" (Keras's linear). */
  activation?: Activation;
}

/**
 * Padding of a conv layer: a number (PyTorch's meaning: that many zeros on every side), or Keras's "valid" (none)
 * and "same" (output = ⌈input / stride⌉ for conv2d, input × stride for conv2dTranspose; an odd total pad puts the
 * extra zero at the end, as TensorFlow does).
 *
 * @example
 * ```ts
 * const p: Padding = "same";
 * ```
 */
export type Padding = number | "same" | "valid";

/**
 * A 2-D convolution over images of height × width × channels: PyTorch's nn.Conv2d, Keras's Conv2D.
 *
 * @example
 * ```ts
 * const layer: Conv2dLayerSpec = { type: "conv2d", filters: 32, kernelSize: 3, strides: 2, padding: 1, activation: "relu" };
 * ```
 */
export interface Conv2dLayerSpec {
  type: "conv2d";
  /** Output channels. */
  filters: number;
  /** Kernel height and width: one number for a square kernel, or [height, width]. */
  kernelSize: number | [number, number];
  /** Default 1; a number or [vertical, horizontal]. */
  strides?: number | [number, number];
  /** Default 0 ("valid"). */
  padding?: Padding;
  /** Default "identity". */
  activation?: Activation;
}

/**
 * A transposed 2-D convolution: PyTorch's nn.ConvTranspose2d (output = (input − 1)·stride − 2·padding + kernel +
 * outputPadding), Keras's Conv2DTranspose (with "same" / "valid").
 *
 * @example
 * ```ts
 * const layer: Conv2dTransposeLayerSpec = { type: "conv2dTranspose", filters: 32, kernelSize: 3, strides: 2,
 *   padding: 1, outputPadding: 1, activation: "relu" };
 * ```
 */
export interface Conv2dTransposeLayerSpec {
  type: "conv2dTranspose";
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  /** Extra rows and columns at the end of the output (PyTorch's output_padding, < stride). Numeric padding only. Default 0. */
  outputPadding?: number | [number, number];
  activation?: Activation;
}

/**
 * Batch normalisation over the channels of the conv or dense layer before it (PyTorch's BatchNorm2d / BatchNorm1d):
 * batch statistics while training (fit, gradients), running statistics otherwise.
 *
 * @example
 * ```ts
 * const layer: BatchNormLayerSpec = { type: "batchNorm", momentum: 0.1, epsilon: 1e-5 };
 * ```
 */
export interface BatchNormLayerSpec {
  type: "batchNorm";
  /** PyTorch's meaning: running = (1 − momentum)·running + momentum·batch. Default 0.1 (Keras's 0.99 is 0.01 here). */
  momentum?: number;
  /** Added to the variance. Default 1e-5 (PyTorch's; Keras uses 1e-3). */
  epsilon?: number;
  /** Activation applied after the normalisation. Default "identity". */
  activation?: Activation;
}

/**
 * Flattens an image [height, width, channels] into one row (for a dense layer after conv layers).
 *
 * @example
 * ```ts
 * const layer: FlattenLayerSpec = { type: "flatten" };
 * ```
 */
export interface FlattenLayerSpec {
  type: "flatten";
}

/**
 * Reshapes a flat row into an image [height, width, channels] (for conv layers after a dense layer).
 *
 * @example
 * ```ts
 * const layer: ReshapeLayerSpec = { type: "reshape", shape: [7, 7, 64] };
 * ```
 */
export interface ReshapeLayerSpec {
  type: "reshape";
  shape: [number, number, number];
}

/**
 * One layer of an `encoder` / `decoder` layer list.
 *
 * @example
 * ```ts
 * const encoder: LayerSpec[] = [
 *   { type: "conv2d", filters: 32, kernelSize: 3, strides: 2, padding: 1, activation: "relu" },
 *   { type: "flatten" },
 *   { type: "dense", units: 16, activation: "relu" },
 * ];
 * ```
 */
export type LayerSpec =
  | DenseLayerSpec | Conv2dLayerSpec | Conv2dTransposeLayerSpec | BatchNormLayerSpec | FlattenLayerSpec | ReshapeLayerSpec;

/**
 * An image shape [height, width, channels] (rows of data are height × width × channels values, channels last), or
 * [values] for flat rows.
 *
 * @example
 * ```ts
 * const shape: InputShape = [28, 28, 1];
 * ```
 */
export type InputShape = [number, number, number] | [number];

/** A shape as the layers see it: [H, W, C] or [n] (flat). */
export type Shape = readonly number[];

/** Where a conv layer's window sits: input and output sizes, kernel, stride, and the zeros before/after each axis. */
export interface ConvGeometry {
  readonly inH: number; readonly inW: number; readonly inC: number;
  readonly outH: number; readonly outW: number; readonly outC: number;
  readonly kH: number; readonly kW: number;
  readonly sH: number; readonly sW: number;
  /**
   * conv2d: zeros added before the first row/column (top, left) and after the last (bottom, right).
   * conv2dTranspose: rows/columns cropped from the start (top, left) and from the end (bottom, right) of the full
   * output (H − 1)·s + k; a negative end crop is PyTorch's output_padding (extra rows that get the bias only).
   */
  readonly padTop: number; readonly padLeft: number; readonly padBottom: number; readonly padRight: number;
}

/** A layer with its shapes worked out (what the modules are built from). */
export interface PlannedLayer {
  readonly index: number;
  readonly spec: LayerSpec;
  readonly input: Shape;
  readonly output: Shape;
  /** conv2d / conv2dTranspose only. */
  readonly geometry?: ConvGeometry;
  /**
   * dense: the [H, W, C] its input was flattened from (its weight columns are saved in PyTorch's C-H-W order), and
   * the [H, W, C] its output is reshaped to (rows in C-H-W order). batchNorm after a dense: `outChw` likewise.
   */
  readonly inChw?: readonly number[];
  readonly outChw?: readonly number[];
}

const TYPES = ["dense", "conv2d", "conv2dTranspose", "batchNorm", "flatten", "reshape"] as const;
const FIELDS: Record<string, readonly string[]> = {
  dense: ["type", "units", "activation"],
  conv2d: ["type", "filters", "kernelSize", "strides", "padding", "activation"],
  conv2dTranspose: ["type", "filters", "kernelSize", "strides", "padding", "outputPadding", "activation"],
  batchNorm: ["type", "momentum", "epsilon", "activation"],
  flatten: ["type"],
  reshape: ["type", "shape"],
};
const MAX_SIDE = 1 << 16;

const shapeText = (s: Shape): string => `[${s.join(", ")}]`;
const count = (s: Shape): number => s.reduce((a, b) => a * b, 1);

function pair(where: string, v: unknown, lo: number, fallback?: number): [number, number] {
  if (v === undefined && fallback !== undefined) return [fallback, fallback];
  if (typeof v === "number") {
    const n = integer(where, v, lo, MAX_SIDE);
    return [n, n];
  }
  if (Array.isArray(v) && v.length === 2) return [integer(`${where}[0]`, v[0], lo, MAX_SIDE), integer(`${where}[1]`, v[1], lo, MAX_SIDE)];
  throw new InvalidConfigError(`${where} must be an integer ≥ ${lo} or a pair [height, width]; got ${show(v)}`);
}

/** Checks an image shape (`inputShape` or a reshape's `shape`). */
export function shapeOf(where: string, v: unknown): number[] {
  if (!Array.isArray(v) || (v.length !== 3 && v.length !== 1)) {
    throw new InvalidConfigError(`${where} must be [height, width, channels] (e.g. [28, 28, 1]) or [values]; got ${show(v)}`);
  }
  const s = v.map((x, i) => integer(`${where}[${i}]`, x, 1, MAX_SIDE));
  if (count(s) > MAX_SIDE * 64) throw new InvalidConfigError(`${where} ${shapeText(s)} has ${count(s)} values; at most ${MAX_SIDE * 64}`);
  return s;
}

/** Checks one layer's fields and fills in its defaults (the form saved in model files). */
function resolveLayer(where: string, v: unknown): LayerSpec {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new InvalidConfigError(`${where} must be a layer object such as { type: "dense", units: 64 }; got ${show(v)}`);
  }
  const o = v as Record<string, unknown>;
  const type = o.type as string;
  if (!TYPES.includes(type as never)) {
    throw new InvalidConfigError(`${where}.type must be one of ${TYPES.map((t) => `"${t}"`).join(", ")}; got ${show(o.type)}${suggest(typeof type === "string" ? type : "", TYPES)}`);
  }
  const fields = FIELDS[type];
  for (const k of Object.keys(o)) {
    if (!fields.includes(k)) throw new InvalidConfigError(`${where} (${type}): unknown field '${k}'${suggest(k, fields)}; ${type} takes ${fields.join(", ")}`);
  }
  const activation = (): Activation => activationOf(`${where}.activation`, o.activation, "identity");
  const padding = (): Padding => {
    const p = o.padding ?? 0;
    if (p === "same" || p === "valid") return p;
    return integer(`${where}.padding`, p, 0, MAX_SIDE);
  };
  const conv = (): Pick<Conv2dLayerSpec, "filters" | "kernelSize" | "strides"> => {
    if (o.filters === undefined) throw new InvalidConfigError(`${where} (${type}): filters is required (output channels, e.g. 32)`);
    if (o.kernelSize === undefined) throw new InvalidConfigError(`${where} (${type}): kernelSize is required (e.g. 3)`);
    pair(`${where}.kernelSize`, o.kernelSize, 1);
    pair(`${where}.strides`, o.strides, 1, 1);
    return { filters: integer(`${where}.filters`, o.filters, 1, MAX_SIDE), kernelSize: o.kernelSize as number, strides: (o.strides ?? 1) as number };
  };
  switch (type) {
    case "dense":
      if (o.units === undefined) throw new InvalidConfigError(`${where} (dense): units is required (output width, e.g. 64)`);
      return { type, units: integer(`${where}.units`, o.units, 1, MAX_SIDE), activation: activation() };
    case "conv2d":
      return { type, ...conv(), padding: padding(), activation: activation() };
    case "conv2dTranspose": {
      const c = conv(), p = padding();
      pair(`${where}.outputPadding`, o.outputPadding, 0, 0);
      if (typeof p === "string" && o.outputPadding !== undefined && pair("", o.outputPadding, 0).some((x) => x > 0)) {
        throw new InvalidConfigError(`${where} (conv2dTranspose): outputPadding goes with a numeric padding (PyTorch's meaning); with padding "${p}" the output size is fixed by Keras's rule`);
      }
      return { type, ...c, padding: p, outputPadding: (o.outputPadding ?? 0) as number, activation: activation() };
    }
    case "batchNorm": {
      const momentum = o.momentum === undefined ? 0.1 : positive(`${where}.momentum`, o.momentum, true);
      if (momentum > 1) throw new InvalidConfigError(`${where}.momentum must be in [0, 1] (PyTorch's meaning; Keras's 0.99 is 0.01 here); got ${show(o.momentum)}`);
      return { type, momentum, epsilon: o.epsilon === undefined ? 1e-5 : positive(`${where}.epsilon`, o.epsilon), activation: activation() };
    }
    case "flatten":
      return { type };
    default:
      return { type: "reshape", shape: shapeOf(`${where}.shape`, o.shape) as [number, number, number] };
  }
}

/** Checks a layer list (`name` is "encoder" or "decoder"). */
export function resolveLayers(name: string, v: unknown): LayerSpec[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw new InvalidConfigError(`${name} must be a non-empty array of layers such as [{ type: "dense", units: 64, activation: "relu" }]; got ${show(v)}`);
  }
  if (v.length > 256) throw new InvalidConfigError(`${name} has ${v.length} layers; at most 256`);
  return v.map((l, i) => resolveLayer(`${name}[${i}]`, l));
}

/** conv2d's zeros before/after one axis and its output size; undefined when the window doesn't fit. */
function convAxis(n: number, k: number, s: number, p: Padding): [number, number, number] | undefined {
  if (p === "same") {
    const out = Math.ceil(n / s);
    const total = Math.max((out - 1) * s + k - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2), out];
  }
  const q = p === "valid" ? 0 : p;
  if (n + 2 * q < k) return undefined;
  return [q, q, Math.floor((n + 2 * q - k) / s) + 1];
}

/** conv2dTranspose's crops at the start/end of one axis and its output size; undefined when nothing is left. */
function convTAxis(n: number, k: number, s: number, p: Padding, op: number): [number, number, number] | undefined {
  const full = (n - 1) * s + k;
  let out: number, begin: number;
  if (p === "same" || p === "valid") {
    out = p === "same" ? n * s : n * s + Math.max(k - s, 0);
    begin = p === "same" ? Math.floor(Math.max(full - out, 0) / 2) : 0;
  } else {
    out = full - 2 * p + op;
    begin = p;
  }
  if (out < 1) return undefined;
  return [begin, full - begin - out, out];
}

/** Says which layer and which shape doesn't fit. */
function misfit(name: string, i: number, type: string, input: Shape, why: string): never {
  throw new InvalidConfigError(`${name}[${i}] (${type}): its input has shape ${shapeText(input)}; ${why}`);
}

/**
 * Works out every layer's input and output shape from the list's input shape, throwing InvalidConfigError naming
 * the first layer whose input doesn't fit. `joinAfterFlatten`: a conditional model's label (`classes` columns) is
 * appended to the first flatten's output.
 */
export function planLayers(name: string, layers: readonly LayerSpec[], input: Shape, classes = 0): PlannedLayer[] {
  const plan: (PlannedLayer & { inChw?: readonly number[]; outChw?: readonly number[] })[] = [];
  let shape: Shape = input;
  let fromFlatten: readonly number[] | undefined;
  let joined = false;
  layers.forEach((spec, i) => {
    const flat = shape.length === 1;
    let out: Shape, geometry: ConvGeometry | undefined, inChw: readonly number[] | undefined;
    switch (spec.type) {
      case "dense":
        if (!flat) misfit(name, i, "dense", shape, `a dense layer takes flat rows: put { type: "flatten" } before it`);
        inChw = fromFlatten;
        out = [spec.units];
        break;
      case "flatten":
        if (flat) misfit(name, i, "flatten", shape, "it is already flat");
        out = [count(shape) + (classes && !joined ? classes : 0)];
        if (classes) joined = true;
        fromFlatten = shape;
        break;
      case "reshape":
        if (!flat) misfit(name, i, "reshape", shape, "reshape takes flat rows (the output of a dense layer)");
        if (plan[i - 1]?.spec.type === "flatten") misfit(name, i, "reshape", shape, "a reshape right after a flatten would reorder values differently from PyTorch's view(); remove both or put a dense layer between them");
        if (count(spec.shape) !== shape[0]) misfit(name, i, "reshape", shape, `it has ${shape[0]} values but shape ${shapeText(spec.shape)} needs ${count(spec.shape)}`);
        out = spec.shape;
        break;
      case "batchNorm": {
        const prev = plan[i - 1]?.spec.type;
        if (prev !== "conv2d" && prev !== "conv2dTranspose" && prev !== "dense") {
          misfit(name, i, "batchNorm", shape, `batchNorm follows a conv2d, conv2dTranspose or dense layer; here it follows ${prev ? `a ${prev}` : "the input"}`);
        }
        out = shape;
        break;
      }
      default: {
        if (flat) misfit(name, i, spec.type, shape, `${spec.type} takes images [height, width, channels]: put { type: "reshape", shape: [h, w, c] } before it`);
        const [kH, kW] = pair("", spec.kernelSize, 1), [sH, sW] = pair("", spec.strides, 1, 1);
        const p = spec.padding ?? 0;
        let v: [number, number, number] | undefined, h: [number, number, number] | undefined;
        if (spec.type === "conv2d") {
          v = convAxis(shape[0], kH, sH, p);
          h = convAxis(shape[1], kW, sW, p);
          if (!v || !h) misfit(name, i, "conv2d", shape, `its ${kH}×${kW} kernel is larger than the padded image`);
        } else {
          const [oH, oW] = pair("", spec.outputPadding, 0, 0);
          if (oH >= sH || oW >= sW) misfit(name, i, "conv2dTranspose", shape, `outputPadding must be smaller than strides (PyTorch's rule); got ${show(spec.outputPadding)} with strides ${show(spec.strides ?? 1)}`);
          v = convTAxis(shape[0], kH, sH, p, oH);
          h = convTAxis(shape[1], kW, sW, p, oW);
          if (!v || !h) misfit(name, i, "conv2dTranspose", shape, "its padding crops away the whole output");
        }
        geometry = {
          inH: shape[0], inW: shape[1], inC: shape[2], outH: v![2], outW: h![2], outC: spec.filters, kH, kW, sH, sW,
          padTop: v![0], padBottom: v![1], padLeft: h![0], padRight: h![1],
        };
        out = [geometry.outH, geometry.outW, geometry.outC];
      }
    }
    if (spec.type !== "flatten") fromFlatten = spec.type === "batchNorm" ? fromFlatten : undefined;
    plan.push({ index: i, spec, input: shape, output: out, geometry, inChw });
    shape = out;
  });
  // dense layers (and a batchNorm after one) whose output a reshape turns into an image store rows in C-H-W order
  for (let i = 0; i < plan.length; i++) {
    const s = plan[i].spec;
    if (s.type !== "reshape") continue;
    for (let j = i - 1; j >= 0 && (plan[j].spec.type === "batchNorm" || plan[j].spec.type === "dense"); j--) {
      plan[j] = { ...plan[j], outChw: s.shape };
      if (plan[j].spec.type === "dense") break;
    }
  }
  return plan;
}

/** The flat input columns of a label-conditioned list whose label joins at the input (no flatten in the list). */
export const joinsAtInput = (layers: readonly LayerSpec[]): boolean => !layers.some((l) => l.type === "flatten");

export { shapeText };

/** A checked layer-list config: the input shape, both lists with defaults filled in, and values per example. */
export interface LayerLists {
  inputShape: InputShape;
  inputSize: number;
  encoder: LayerSpec[];
  decoder: LayerSpec[];
}

/**
 * Checks the layer lists of a latent model's config `c` (latentSize already checked): the input shape, each layer,
 * and every shape from the input through the encoder (whose output must be flat: the mean and log-variance heads
 * follow) and from the latent code (with the label's `classes` columns) through the decoder back to the input shape.
 */
export function checkLayerLists(c: Record<string, unknown>, classes: number): LayerLists {
  let inputShape: number[];
  if (c.inputShape !== undefined) {
    inputShape = shapeOf("inputShape", c.inputShape);
    if (c.inputSize !== undefined && c.inputSize !== count(inputShape)) {
      throw new InvalidConfigError(`inputSize ${show(c.inputSize)} disagrees with inputShape ${shapeText(inputShape)} (${count(inputShape)} values); give only inputShape`);
    }
  } else inputShape = shapeOf("inputSize", [c.inputSize]);
  if (c.encoder === undefined || c.decoder === undefined) {
    throw new InvalidConfigError(`give both encoder and decoder layer lists (missing ${c.encoder === undefined ? "encoder" : "decoder"}), or neither (an MLP: inputSize and hiddenSizes)`);
  }
  const encoder = resolveLayers("encoder", c.encoder);
  const decoder = resolveLayers("decoder", c.decoder);
  planModel(inputShape, encoder, decoder, c.latentSize as number, classes);
  return { inputShape: inputShape as InputShape, inputSize: count(inputShape), encoder, decoder };
}

/** Both lists' plans for a latent model (the encoder's ending flat, the decoder's ending at the input shape). */
export function planModel(inputShape: Shape, encoder: readonly LayerSpec[], decoder: readonly LayerSpec[], latentSize: number, classes: number): {
  encoder: PlannedLayer[]; decoder: PlannedLayer[]; encoderInput: Shape;
} {
  const atInput = classes > 0 && joinsAtInput(encoder);
  if (atInput && inputShape.length !== 1) {
    throw new InvalidConfigError(`a conditional model's label joins the encoder after its flatten; this encoder over images ${shapeText(inputShape)} has no { type: "flatten" }`);
  }
  const encoderInput = atInput ? [inputShape[0] + classes] : inputShape;
  const enc = planLayers("encoder", encoder, encoderInput, atInput ? 0 : classes);
  const last = enc[enc.length - 1].output;
  if (last.length !== 1) {
    throw new InvalidConfigError(`encoder[${enc.length - 1}] (${enc[enc.length - 1].spec.type}) outputs ${shapeText(last)}; the encoder must end flat (add { type: "flatten" }) for the mean and log-variance heads`);
  }
  const dec = planLayers("decoder", decoder, [latentSize + classes]);
  const out = dec[dec.length - 1].output;
  const D = count(inputShape);
  if (!(out.length === 1 ? out[0] === D : out.join() === inputShape.join())) {
    throw new InvalidConfigError(`decoder[${dec.length - 1}] (${dec[dec.length - 1].spec.type}) outputs ${shapeText(out)}; the decoder must end with the input's shape ${shapeText(inputShape)}${inputShape.length === 3 ? ` (or ${D} flat values)` : ""}`);
  }
  return { encoder: enc, decoder: dec, encoderInput };
}
