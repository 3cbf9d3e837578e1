// Module: a layer list run in order — dense (PyTorch nn.Linear, its file columns/rows in PyTorch's C-H-W order
// around a flatten/reshape), conv2d, conv2dTranspose, batch norm, and flatten/reshape as views of the same rows
// (channels-last data needs no copy) — the encoder or decoder of a layer-list model. A conditional model's label
// joins after the flatten (its columns appended to the flat rows).
import { ACTIVATION_CODES } from "../runtime/kernels.js";
import type { PlannedLayer } from "../models/layers-config.js";
import { batchNormOnnx } from "./batch-norm.js";
import { conv2dOnnx } from "./conv2d.js";
import { denseOnnx, glorotPerPart, type Activation, type ParameterLayout, type TensorPart } from "./dense.js";
import type { OnnxGraph, ParamTensor } from "./module.js";
import { concatCols } from "./concat.js";
import type { Tape } from "./tape.js";
import type { Dims, Tensor, Workspace } from "./tensor.js";

const INIT_STREAM = 1;
const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * The map from PyTorch's flat index of an image [H, W, C] (C-H-W order, after `flatten(1)` of an NCHW tensor) to
 * vaekit's (H-W-C, channels last); indices past the image (a label's columns) map to themselves.
 */
export function chwToHwc(shape: readonly number[] | undefined): (i: number) => number {
  if (!shape) return (i) => i;
  const [H, W, C] = shape, n = H * W * C;
  return (i) => {
    if (i >= n) return i;
    const c = Math.floor(i / (H * W)), hw = i % (H * W);
    return hw * C + c;
  };
}

/** One module of a stack: it declares its outputs and runs on a tape. */
export interface Layer {
  readonly outSize: number;
  /** The output tensor (declared by `declare`). */
  readonly output: Tensor;
  declare(ws: Workspace, rows: (d: Dims) => number): void;
  run(t: Tape, x: Tensor, rows: number): Tensor;
}

/**
 * A dense layer of a layer list: W [in, out] in the flat buffer (dense_forward's layout), saved as nn.Linear
 * per part, with input columns (`inPerm`) and output rows (`outPerm`) in PyTorch's order.
 */
export class DenseLayer implements Layer {
  readonly w: number;
  readonly b: number;
  #out!: Tensor;

  constructor(layout: ParameterLayout, readonly inSize: number, readonly outSize: number, readonly activation: Activation,
    readonly alpha: number, parts: readonly TensorPart[], inPerm: (i: number) => number, outPerm: (o: number) => number) {
    const K = inSize, N = outSize;
    const wi = pad4(K * N);
    const tensors = (): ParamTensor[] => parts.flatMap(({ name, col, cols }) => {
      const each = (f: (t: number, m: number) => void): void => {
        for (let o = 0; o < cols; o++) for (let i = 0; i < K; i++) f(o * K + i, w + inPerm(i) * N + col + outPerm(o));
      };
      const eachB = (f: (t: number, m: number) => void): void => {
        for (let o = 0; o < cols; o++) f(o, b + col + outPerm(o));
      };
      const tensor = (n: string, shape: number[], it: typeof each): ParamTensor => ({
        name: `${name}.${n}`, shape,
        read: (all) => {
          const t = new Float32Array(shape.reduce((a, c) => a * c, 1));
          it((ti, m) => (t[ti] = all[m]));
          return t;
        },
        write: (all, t) => it((ti, m) => (all[m] = t[ti])),
      });
      return [tensor("weight", [cols, K], each), tensor("bias", [cols], eachB)];
    });
    const w = layout.push({
      random: true,
      tensors,
      init: (k, params, seed, i, glorot, f32) => {
        const bound = glorot ? Math.sqrt(6 / (K + N)) : 1 / Math.sqrt(K);
        k.rng_uniform(params + w * 4, K * N, seed, INIT_STREAM, 0, 2 * i);
        k.rng_uniform(params + b * 4, N, seed, INIT_STREAM, 0, 2 * i + 1);
        if (glorot && parts.length > 1) glorotPerPart(f32(params, w + K * N), w, K, N, parts);
        else k.uniform_symmetric(params + w * 4, K * N, bound);
        k.uniform_symmetric(params + b * 4, N, glorot ? 0 : bound);
      },
    }, wi + N);
    const b = w + wi;
    this.w = w;
    this.b = b;
    layout.extra.params += (K + 1) * N;
    layout.extra.perRow += 2 * K + 2 * N;
  }

  declare(ws: Workspace, rows: (d: Dims) => number): void {
    this.#out = ws.tensor((d) => rows(d) * this.outSize, true);
  }

  get output(): Tensor {
    return this.#out;
  }

  run(t: Tape, x: Tensor, rows: number): Tensor {
    const k = t.e.k, y = this.#out, act = ACTIVATION_CODES[this.activation];
    const K = this.inSize, N = this.outSize, w = this.w * 4, b = this.b * 4;
    k.dense_forward(y.ptr, x.ptr, t.params + w, t.params + b, rows, K, N, act, this.alpha);
    t.record(() => {
      const back = (dx: number): void =>
        k.dense_backward(dx, t.grads + w, t.grads + b, y.grad!.ptr, x.ptr, t.params + w, y.ptr, rows, K, N, act, this.alpha);
      if (x.grad) t.over(x.grad, rows * K, back);
      else back(0);
    });
    return y;
  }
}

/** Appends a label's columns to flat rows (a conditional model's encoder, after its flatten). */
export class JoinLabel implements Layer {
  #out!: Tensor;
  /** The label rows [rows, classes] (the model's tensor, set before the first pass). */
  y!: Tensor;

  constructor(readonly inSize: number, readonly classes: number) {}

  get outSize(): number {
    return this.inSize + this.classes;
  }

  declare(ws: Workspace, rows: (d: Dims) => number): void {
    this.#out = ws.tensor((d) => rows(d) * this.outSize, true);
  }

  get output(): Tensor {
    return this.#out;
  }

  run(t: Tape, x: Tensor, rows: number): Tensor {
    concatCols(t, this.#out, x, this.inSize, this.y, this.classes, rows);
    return this.#out;
  }
}

/**
 * A layer list as one network: `run` feeds each module the previous one's output (flatten and reshape are views:
 * no module). Mirrors Mlp's interface, so a latent model runs either.
 */
export class Stack {

  constructor(readonly layers: readonly Layer[], readonly inSize: number, readonly outSize: number, readonly join?: JoinLabel) {}

  /** The fewest rows a training batch may have (2 with a batch-norm layer after a dense one; see BatchNorm.minRows). */
  get minRows(): number {
    return this.layers.reduce((m, l) => Math.max(m, (l as { minRows?: number }).minRows ?? 1), 1);
  }

  declare(ws: Workspace, rows: (d: Dims) => number): void {
    for (const l of this.layers) l.declare(ws, rows);
  }

  /** The last module's output tensor. */
  get output(): Tensor {
    return this.layers[this.layers.length - 1].output;
  }

  /** Runs every module on `rows` rows of x (the label, when the list joins one, from `join.y`). */
  run(t: Tape, x: Tensor, rows: number): Tensor {
    let h = x;
    for (const l of this.layers) h = l.run(t, h, rows);
    return h;
  }
}

/**
 * ONNX export hook of a layer list (the planned layers of `config.encoder` or `config.decoder`, named
 * `${prefix}.layers.{i}`): each layer's own hook in order, and flatten / reshape as the views they are in NCHW —
 * Flatten (axis 1: PyTorch's flatten(1), C-H-W order, the order a following dense layer's file columns use) and
 * Reshape to [N, C, H, W] (PyTorch's view). Image values are NCHW; `input` is the list's input value (NCHW when the
 * list starts on images). Returns the last layer's value name. A label join (conditional models) is not exported.
 *
 * @example
 * ```ts
 * const h = layersOnnx(g, "encoder", plan.encoder, cfg.leakySlope, "x.nchw");
 * ```
 */
export function layersOnnx(g: OnnxGraph, prefix: string, plan: readonly PlannedLayer[], alpha: number, input: string): string {
  let h = input;
  for (const p of plan) {
    const s = p.spec, name = `${prefix}.layers.${p.index}`;
    switch (s.type) {
      case "dense":
        denseOnnx(g, name, p.input[0], s.units, s.activation ?? "identity", alpha, h, name);
        break;
      case "conv2d":
      case "conv2dTranspose":
        conv2dOnnx(g, name, p.geometry!, s.type === "conv2dTranspose", s.activation ?? "identity", alpha, h, name);
        break;
      case "batchNorm":
        batchNormOnnx(g, name, p.input.length === 3 ? p.input[2] : p.input[0], s.epsilon ?? 1e-5, s.activation ?? "identity", alpha, h, name);
        break;
      case "flatten":
        g.node("Flatten", name, [h], name, [["axis", "int", 1]]);
        break;
      case "reshape": {
        const [H, W, C] = s.shape;
        g.node("Reshape", name, [h, g.ints(`${name}.shape`, [0, C, H, W])], name);
        break;
      }
    }
    h = name;
  }
  return h;
}
