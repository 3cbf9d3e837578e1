// Dense layers as slices of one flat parameter buffer, and stacks of them run as kernel calls.
import type { Engine } from "../runtime/engine.js";
import { ACTIVATION_CODES } from "../runtime/kernels.js";

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

/** Lays out layers, then vectors, one after another in a flat buffer (each slice 16-byte aligned). */
export class ParameterLayout {
  readonly layers: DenseLayer[] = [];
  readonly vectors: ParameterVector[] = [];
  size = 0;

  add(name: string, inSize: number, outSize: number, activation: Activation,
    parts: readonly TensorPart[] = [{ name, col: 0, cols: outSize }]): DenseLayer {
    const w = this.size;
    const b = w + pad4(inSize * outSize);
    this.size = b + pad4(outSize);
    const layer = { name, inSize, outSize, activation, w, b, parts };
    this.layers.push(layer);
    return layer;
  }

  vector(name: string, size: number, init: number): ParameterVector {
    const v = { name, offset: this.size, size, init };
    this.size += pad4(size);
    this.vectors.push(v);
    return v;
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
