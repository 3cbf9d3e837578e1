// Dense layers as slices of one flat parameter buffer, and stacks of them run as kernel calls.
import type { Engine } from "../runtime/engine.js";
import { ACTIVATION_CODES } from "../runtime/kernels.js";
import type { InitKernels, OnnxGraph, ParameterBlock, ParamTensor } from "./module.js";

/**
 * The activations a dense layer can fuse into its epilogue.
 *
 * @example
 * ```ts
 * const activation: Activation = "leaky_relu";
 * ```
 */
export type Activation = keyof typeof ACTIVATION_CODES;

/** A named slice of a layer's output columns saved as its own tensor (e.g. a head's mean and log-variance). */
export interface TensorPart {
  readonly name: string;
  readonly col: number;
  readonly cols: number;
}

/** One dense layer: W stored [in, out] row-major at float offset `w`, bias at float offset `b`. */
export interface DenseLayer {
  /** Name prefix in saved files, e.g. "encoder.hidden.0". */
  readonly name: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly activation: Activation;
  readonly w: number;
  readonly b: number;
  /** How the output columns are saved: one tensor pair per part (default: one part named after the layer). */
  readonly parts: readonly TensorPart[];
}

/** A parameter vector (e.g. a learned per-dimension log σ) at float offset `offset`, initialised to `init`. */
export interface ParameterVector {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly init: number;
}

const pad4 = (n: number): number => Math.ceil(n / 4) * 4; // not (n + 3) & ~3, which wraps past 2^31

/** The init stream's key word (model.ts's STREAM.init). */
const INIT_STREAM = 1;

/** A dense layer's file tensors: per part, weight [cols, in] (PyTorch's nn.Linear, the transpose of W's columns) and bias [cols]. */
function denseTensors(l: DenseLayer): ParamTensor[] {
  const out: ParamTensor[] = [];
  const K = l.inSize, N = l.outSize;
  for (const { name, col, cols } of l.parts) {
    out.push({
      name: `${name}.weight`,
      shape: [cols, K],
      read: (all) => {
        const t = new Float32Array(cols * K);
        for (let o = 0; o < cols; o++) for (let i = 0; i < K; i++) t[o * K + i] = all[l.w + i * N + col + o];
        return t;
      },
      write: (all, t) => {
        for (let o = 0; o < cols; o++) for (let i = 0; i < K; i++) all[l.w + i * N + col + o] = t[o * K + i];
      },
    });
    out.push({
      name: `${name}.bias`,
      shape: [cols],
      read: (all) => all.slice(l.b + col, l.b + col + cols),
      write: (all, t) => {
        for (let o = 0; o < cols; o++) all[l.b + col + o] = t[o];
      },
    });
  }
  return out;
}

/**
 * Glorot bounds for a layer saved as several nn.Linear parts (a VAE's mean and log-variance heads): each part is drawn
 * with its own fan_out, U(±√(6/(fan_in + part columns))), as Keras's two Dense heads or PyTorch's xavier_uniform_ on
 * two Linear modules draw them (one bound over the joint width made the heads' weights narrower than either).
 * `all` holds the layer's uniforms in [0, 1) at `w` (W [inSize, outSize], row-major); the same f64 arithmetic as
 * uniform_symmetric.
 */
export function glorotPerPart(all: Float32Array, w: number, inSize: number, outSize: number, parts: readonly TensorPart[]): void {
  for (const { col, cols } of parts) {
    const bound = Math.sqrt(6 / (inSize + cols));
    for (let r = 0; r < inSize; r++) {
      for (let o = w + r * outSize + col, end = o + cols; o < end; o++) all[o] = Math.fround(bound * (2 * all[o] - 1)) + 0;
    }
  }
}

/** Lays out parameter blocks (dense layers, vectors) one after another in a flat buffer (each slice 16-byte aligned). */
export class ParameterLayout {
  readonly layers: DenseLayer[] = [];
  readonly vectors: ParameterVector[] = [];
  /** Every block in declaration order (files and init list the random blocks — dense layers — first, then vectors). */
  readonly #blocks: ParameterBlock[] = [];
  size = 0;

  /**
   * A dense layer: PyTorch nn.Linear tensors per part, initialised U(−1/√fan_in, 1/√fan_in) (weights and biases;
   * fan_in = inSize) or, with glorot, U(±√(6/(fan_in + fan_out))) weights (fan_out per part: each part is its own
   * nn.Linear) and zero biases.
   */
  add(name: string, inSize: number, outSize: number, activation: Activation,
    parts: readonly TensorPart[] = [{ name, col: 0, cols: outSize }]): DenseLayer {
    const w = this.size;
    const b = w + pad4(inSize * outSize);
    this.size = b + pad4(outSize);
    const layer = { name, inSize, outSize, activation, w, b, parts };
    this.layers.push(layer);
    this.#blocks.push({
      random: true,
      tensors: () => denseTensors(layer),
      init: (k, params, seed, i, glorot, f32) => {
        const bound = glorot ? Math.sqrt(6 / (inSize + outSize)) : 1 / Math.sqrt(inSize);
        const n = inSize * outSize;
        k.rng_uniform(params + w * 4, n, seed, INIT_STREAM, 0, 2 * i);
        k.rng_uniform(params + b * 4, outSize, seed, INIT_STREAM, 0, 2 * i + 1);
        if (glorot && parts.length > 1) glorotPerPart(f32(params, w + n), w, inSize, outSize, parts);
        else k.uniform_symmetric(params + w * 4, n, bound);
        k.uniform_symmetric(params + b * 4, outSize, glorot ? 0 : bound); // bound 0: +0 biases
      },
    });
    return layer;
  }

  /** A parameter vector saved as one tensor [size] under `name`, initialised to the constant `init`. */
  vector(name: string, size: number, init: number): ParameterVector {
    const v = { name, offset: this.size, size, init };
    this.size += pad4(size);
    this.vectors.push(v);
    this.#blocks.push({
      random: false,
      tensors: () => [{
        name,
        shape: [size],
        read: (all) => all.slice(v.offset, v.offset + size),
        write: (all, t) => {
          for (let i = 0; i < size; i++) all[v.offset + i] = t[i];
        },
      }],
      init: (_k, params, _seed, _i, _g, f32) => void f32(params, v.offset + size).fill(init, v.offset),
    });
    return v;
  }

  // ---- blocks laid out by modules of their own (recurrent cells: src/nn/recurrent.ts) ----

  /** Reserves n floats (16-byte aligned) for a block that a module lays out itself; returns the float offset. */
  reserve(n: number): number {
    const at = this.size;
    this.size += pad4(n);
    return at;
  }

  /**
   * Adds a block that a module lays out itself (names, shapes, init), with the dense slices its GEMMs run on (listed
   * in `layers`, so the size model counts their parameters and workspace).
   */
  block(block: ParameterBlock, layers: readonly DenseLayer[] = []): void {
    this.layers.push(...layers);
    this.#blocks.push(block);
  }

  /** Every file tensor, dense layers' first (declaration order), then vectors'. */
  tensors(): ParamTensor[] {
    return this.#ordered().flatMap((b) => b.tensors());
  }

  /** Initialises every block from the seed (random blocks numbered in declaration order). */
  initialise(k: InitKernels, params: number, seed: number, glorot: boolean, f32: (ptr: number, n: number) => Float32Array): void {
    let i = 0;
    for (const b of this.#ordered()) b.init(k, params, seed, b.random ? i++ : -1, glorot, f32);
  }

  /** Parameters (values in files) and workspace floats per row of the blocks layer modules push (conv, batch norm). */
  readonly extra = { params: 0, perRow: 0 };
  /** Floats after the trainable ones: non-trainable buffers (batch norm's running statistics), never optimized. */
  buffers = 0;

  /**
   * Adds a layer module's block of `words` floats; returns its float offset. With `buffer` it is non-trainable and
   * lies after every trainable block: the offset is then relative to the final `size`.
   */
  push(block: ParameterBlock, words: number, buffer = false): number {
    const at = buffer ? this.buffers : this.size;
    if (buffer) this.buffers += pad4(words);
    else this.size += pad4(words);
    this.#blocks.push(block);
    return at;
  }

  #ordered(): ParameterBlock[] {
    return [...this.#blocks.filter((b) => b.random), ...this.#blocks.filter((b) => !b.random)];
  }
}

/** Words of scratch the first layer's zero-skipping kernels need for `rows` rows of `inSize` inputs. */
export const sparseInputScratch = (rows: number, inSize: number): number => rows * (2 * inSize + 5) + 1;

/**
 * Runs a stack of dense layers. `params`/`grads` are byte pointers to the flat buffers;
 * `outs[i]` receives layer i's output [rows, outSize]. With `xScratch` (sparseInputScratch words), the first
 * layer skips the zeros of x (dense_forward_sparse_x: same results; it runs dense when x is not sparse). One row
 * (batch 1) runs the other layers as matrix-vector products that read only the rows of W under nonzero inputs
 * (gemv_forward_sparse_x: the same bits as the batched kernels, for finite W; ReLU layers feed it ~half zeros).
 */
export function stackForward(
  e: Engine, layers: readonly DenseLayer[], params: number, x: number, outs: readonly number[], rows: number, alpha: number,
  xScratch = 0,
): void {
  let input = x;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    const w = params + l.w * 4, b = params + l.b * 4, act = ACTIVATION_CODES[l.activation];
    if (i === 0 && xScratch) e.k.dense_forward_sparse_x(outs[i], input, w, b, xScratch, rows, l.inSize, l.outSize, act, alpha);
    else if (rows < 2) e.k.gemv_forward_sparse_x(outs[i], input, w, b, l.inSize, l.outSize, act, alpha);
    else e.k.dense_forward(outs[i], input, w, b, rows, l.inSize, l.outSize, act, alpha);
    input = outs[i];
  }
}

/**
 * Backpropagates through a stack. `douts[i]` holds dL/d(output of layer i) (only the last one needs to be
 * filled; the others are written here); `dx` receives dL/dx, or 0 to skip it (first layer of a network).
 * With dx = 0 and `xScratch`, the first layer's dW skips the zeros of x (dense_backward_sparse_x).
 */
export function stackBackward(
  e: Engine, layers: readonly DenseLayer[], params: number, grads: number, x: number, outs: readonly number[],
  douts: readonly number[], dx: number, rows: number, alpha: number, xScratch = 0,
): void {
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    const input = i === 0 ? x : outs[i - 1];
    const dinput = i === 0 ? dx : douts[i - 1];
    if (i === 0 && dx === 0 && xScratch) {
      e.k.dense_backward_sparse_x(grads + l.w * 4, grads + l.b * 4, douts[i], input, outs[i], xScratch,
        rows, l.inSize, l.outSize, ACTIVATION_CODES[l.activation], alpha);
      continue;
    }
    e.k.dense_backward(dinput, grads + l.w * 4, grads + l.b * 4, douts[i], input, params + l.w * 4, outs[i],
      rows, l.inSize, l.outSize, ACTIVATION_CODES[l.activation], alpha);
  }
}

// ---- ONNX export hooks (src/interop/onnx.ts composes them; no model runs them) ----

/**
 * ONNX export hook of an activation: writes its node (Relu, LeakyRelu with `alpha`, Tanh, Sigmoid) named `name`
 * from `input` to `output`. The identity writes nothing and returns false (the caller then names its own output
 * `output`).
 *
 * @example
 * ```ts
 * activationOnnx(g, "leaky_relu", 0.2, "encoder.hidden.0.activation", "encoder.hidden.0.linear", "encoder.hidden.0");
 * ```
 */
export function activationOnnx(g: OnnxGraph, activation: Activation, alpha: number, name: string, input: string, output: string): boolean {
  switch (activation) {
    case "relu": g.node("Relu", name, [input], output); break;
    case "leaky_relu": g.node("LeakyRelu", name, [input], output, [["alpha", "float", alpha]]); break;
    case "tanh": g.node("Tanh", name, [input], output); break;
    case "sigmoid": g.node("Sigmoid", name, [input], output); break;
    default: return false;
  }
  return true;
}

/**
 * ONNX export hook of a dense layer saved as `name`.weight [outSize, inSize] and `name`.bias [outSize] (PyTorch's
 * nn.Linear): a Gemm with transB = 1 named `name`, then its activation (`name`.activation) when it has one, the
 * pre-activation value being `name`.linear.
 *
 * @example
 * ```ts
 * denseOnnx(g, "encoder.hidden.0", 784, 400, "relu", 0, "x", "encoder.hidden.0");
 * ```
 */
export function denseOnnx(g: OnnxGraph, name: string, inSize: number, outSize: number, activation: Activation, alpha: number,
  input: string, output: string): void {
  const act = activation !== "identity";
  const weight = g.weight(`${name}.weight`, [outSize, inSize]);
  const bias = g.weight(`${name}.bias`, [outSize]);
  g.node("Gemm", name, [input, weight, bias], act ? `${name}.linear` : output, [["transB", "int", 1]]);
  if (act) activationOnnx(g, activation, alpha, `${name}.activation`, `${name}.linear`, output);
}
