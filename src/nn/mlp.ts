// Module: a multilayer perceptron — hidden dense layers with one activation, then an output layer — laid out in a
// flat parameter buffer, its layer outputs and their gradients as typed workspace tensors, run on a tape.
import { denseOnnx, stackBackward, stackForward, type Activation, type DenseLayer, type ParameterLayout, type TensorPart } from "./dense.js";
import type { OnnxGraph } from "./module.js";
import type { Tape } from "./tape.js";
import type { Dims, Tensor, Workspace } from "./tensor.js";

/** How an MLP is laid out: `${prefix}.hidden.{i}` layers, then `${prefix}.${outName}`. */
export interface MlpSpec {
  readonly prefix: string;
  readonly inSize: number;
  readonly hiddenSizes: readonly number[];
  readonly activation: Activation;
  readonly outSize: number;
  readonly outName: string;
  readonly outActivation?: Activation;
  readonly outParts?: readonly TensorPart[];
}

export class Mlp {
  readonly layers: readonly DenseLayer[];
  readonly inSize: number;
  readonly outSize: number;
  #outs: Tensor[] = [];

  constructor(layout: ParameterLayout, spec: MlpSpec, readonly alpha: number) {
    const layers: DenseLayer[] = [];
    let width = spec.inSize;
    spec.hiddenSizes.forEach((h, i) => {
      layers.push(layout.add(`${spec.prefix}.hidden.${i}`, width, h, spec.activation));
      width = h;
    });
    const outName = `${spec.prefix}.${spec.outName}`;
    const parts = spec.outParts?.map((p) => ({ ...p, name: `${spec.prefix}.${p.name}` }));
    layers.push(layout.add(outName, width, spec.outSize, spec.outActivation ?? "identity", parts));
    this.layers = layers;
    this.inSize = spec.inSize;
    this.outSize = spec.outSize;
  }

  /** Declares the network's layer outputs (with gradients) in a workspace, `rows(d)` rows per pass. */
  declare(ws: Workspace, rows: (d: Dims) => number): void {
    this.#outs = this.layers.map((l) => ws.tensor((d) => rows(d) * l.outSize, true));
  }

  /** The output tensor (the last layer's activations; its gradient is what flows back in). */
  get output(): Tensor {
    return this.#outs[this.#outs.length - 1];
  }

  /**
   * Runs the network on `rows` rows of x and returns its output. With `scratch` (sparseInputScratch words), the first
   * layer skips x's zeros; one row runs as matrix-vector products (stackForward's choices). Backward: parameter
   * gradients +=, and x's gradient (when x has one) written by the first writer, else added (the tape's fan-out).
   */
  run(t: Tape, x: Tensor, rows: number, scratch = 0): Tensor {
    const outs = this.#outs.map((o) => o.ptr);
    stackForward(t.e, this.layers, t.params, x.ptr, outs, rows, this.alpha, scratch);
    if (t.scale) t.record(() => {
      const douts = this.#outs.map((o) => o.grad!.ptr);
      const back = (dx: number): void =>
        stackBackward(t.e, this.layers, t.params, t.grads, x.ptr, outs, douts, dx, rows, this.alpha, scratch);
      if (x.grad) t.over(x.grad, rows * this.inSize, back);
      else back(0);
    });
    return this.output;
  }
}

/**
 * ONNX export hook of an MLP laid out by `spec` (the same spec its constructor takes): its hidden layers, each a
 * dense layer whose output value is named after it, then its output layer — one Gemm per part (e.g. a head's mean
 * and log-variance), part k's value named `outputs[k]`.
 *
 * @example
 * ```ts
 * mlpOnnx(g, { prefix: "decoder", inSize: 20, hiddenSizes: [400], activation: "relu", outSize: 784, outName: "output" }, 0, "z", ["logits"]);
 * ```
 */
export function mlpOnnx(g: OnnxGraph, spec: MlpSpec, alpha: number, input: string, outputs: readonly string[]): void {
  let width = spec.inSize;
  spec.hiddenSizes.forEach((h, i) => {
    const name = `${spec.prefix}.hidden.${i}`;
    denseOnnx(g, name, width, h, spec.activation, alpha, input, name);
    input = name;
    width = h;
  });
  const parts = spec.outParts ?? [{ name: spec.outName, col: 0, cols: spec.outSize }];
  parts.forEach((p, k) => denseOnnx(g, `${spec.prefix}.${p.name}`, width, p.cols, spec.outActivation ?? "identity", alpha, input, outputs[k]));
}
