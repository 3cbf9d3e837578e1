// Module: batch normalisation over channels (PyTorch's BatchNorm2d after a conv layer, BatchNorm1d after a dense
// one): batch statistics in training passes (the running statistics updated only by fit's steps), running
// statistics in inference. γ and β are parameters; running_mean and running_var are non-trainable buffers that
// files carry (PyTorch's state_dict names). An activation may follow (applied after the normalisation).
import { InvalidInputError } from "../errors.js";
import { ACTIVATION_CODES } from "../runtime/kernels.js";
import { activationOnnx, type Activation, type ParameterLayout } from "./dense.js";
import type { OnnxGraph, ParamTensor } from "./module.js";
import type { Tape } from "./tape.js";
import type { Dims, Tensor, Workspace } from "./tensor.js";

const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

/** dy ← dy ⊙ act′ expressed through the activation's output y (as dense_backward does), in place. */
function activationBackward(dy: Float32Array, y: Float32Array, act: Activation, alpha: number): void {
  for (let i = 0; i < dy.length; i++) {
    const v = y[i];
    switch (act) {
      case "relu": if (!(v > 0)) dy[i] = 0; break;
      case "leaky_relu": if (!(v > 0)) dy[i] *= alpha; break;
      case "tanh": dy[i] *= 1 - v * v; break;
      case "sigmoid": dy[i] *= v * (1 - v); break;
    }
  }
}

/**
 * A batch-norm layer over `channels` channels of `positions` positions each (H·W after a conv; 1 after a dense
 * layer). `perm` (a dense layer's output reshaped to an image) maps PyTorch's feature order to the row's.
 */
export class BatchNorm {
  readonly #gamma: number;
  readonly #running: number;
  readonly size: number;
  #out!: Tensor;
  #pre!: Tensor;
  #stats!: Tensor;

  constructor(readonly layout: ParameterLayout, readonly name: string, readonly channels: number, readonly positions: number,
    readonly momentum: number, readonly eps: number, readonly activation: Activation, readonly alpha: number,
    perm?: (torch: number) => number) {
    const C = channels, P = pad4(C);
    const at = perm ?? ((c: number) => c);
    const vec = (n: string, off: () => number, buffer: boolean): ParamTensor => ({
      name: `${name}.${n}`, shape: [C], buffer,
      read: (all) => {
        const t = new Float32Array(C), o = off();
        for (let c = 0; c < C; c++) t[c] = all[o + at(c)];
        return t;
      },
      write: (all, t) => {
        const o = off();
        for (let c = 0; c < C; c++) all[o + at(c)] = t[c];
      },
    });
    const g = layout.push({
      random: false,
      tensors: () => [vec("weight", () => g, false), vec("bias", () => g + P, false)],
      init: (_k, params, _s, _i, _g, f32) => void f32(params, g + 2 * P).fill(1, g, g + C).fill(0, g + P, g + P + C),
    }, 2 * P);
    const r = layout.push({
      random: false,
      tensors: () => [vec("running_mean", () => layout.size + r, true), vec("running_var", () => layout.size + r + P, true)],
      init: (_k, params, _s, _i, _g, f32) => {
        const o = layout.size + r;
        f32(params, o + 2 * P).fill(0, o, o + C).fill(1, o + P, o + P + C);
      },
    }, 2 * P, true);
    this.#gamma = g;
    this.#running = r;
    this.size = C * positions;
    layout.extra.params += 4 * C;
    layout.extra.perRow += 3 * this.size;
  }

  declare(ws: Workspace, rows: (d: Dims) => number): void {
    this.#out = ws.tensor((d) => rows(d) * this.size, true);
    this.#pre = ws.tensor((d) => (this.activation === "identity" ? 0 : rows(d) * this.size));
    this.#stats = ws.tensor(() => 4 * this.channels); // f64 mean [C], then f64 1/√(var + ε) [C]
  }

  get output(): Tensor {
    return this.#out;
  }

  get outSize(): number {
    return this.size;
  }

  /**
   * The fewest rows a training batch needs here: a channel's batch variance needs at least two values, and a row
   * gives `positions` of them (1 after a dense layer: one row alone has variance 0; PyTorch refuses it too).
   */
  get minRows(): number {
    return this.positions >= 2 ? 1 : 2;
  }

  /**
   * Normalises `rows` rows of x: with the batch's statistics in a training pass (updating the running ones when
   * the pass is one of fit's steps: `t.fit`), with the running statistics in inference.
   */
  run(t: Tape, x: Tensor, rows: number): Tensor {
    const e = t.e, C = this.channels, P = pad4(C), M = rows * this.positions, y = this.#out;
    const gamma = t.params + this.#gamma * 4, beta = gamma + P * 4;
    const run = t.params + (this.layout.size + this.#running) * 4;
    const act = this.activation, ident = act === "identity";
    const pre = ident ? y : this.#pre;
    const mean = this.#stats.ptr, invStd = mean + 8 * C;
    if (t.scale && M < 2) {
      // refused before anything is written (fit checks in-memory batches up front; this catches the rest)
      throw new InvalidInputError(`${this.name} (batchNorm): a training batch of ${rows} row${rows === 1 ? "" : "s"} gives ` +
        `${M} value per channel, and batch statistics need at least 2 (the variance of one value is 0; PyTorch refuses ` +
        `it too). Train on batches of at least ${this.minRows} rows (a batchSize that leaves no last batch of 1 row)`);
    }
    if (!t.scale) e.k.batchnorm_forward_eval(pre.ptr, x.ptr, gamma, beta, run, run + P * 4, M, C, C, this.eps);
    else e.k.batchnorm_forward_train(pre.ptr, mean, invStd, x.ptr, gamma, beta, t.fit ? run : 0, run + P * 4, M, C, C, this.eps, this.momentum);
    if (!ident) e.k.activation_forward(y.ptr, pre.ptr, M * C, ACTIVATION_CODES[act], this.alpha);
    t.record(() => {
      const dy = y.grad!.ptr, n = M * C;
      if (!ident) activationBackward(e.f32(dy, n), e.f32(y.ptr, n), act, this.alpha);
      const dgamma = t.grads + this.#gamma * 4;
      const back = (dx: number): void => e.k.batchnorm_backward(dx, dgamma, dgamma + P * 4, dy, x.ptr, mean, invStd, gamma, M, C, C);
      if (x.grad) t.over(x.grad, n, back);
      else back(0);
    });
    return y;
  }
}

/**
 * ONNX export hook of a batch-norm layer saved as `name` (inference: the running statistics): a
 * BatchNormalization node over the channels (axis 1: NCHW after a conv layer, [N, C] after a dense one) taking the
 * file's weight, bias, running_mean and running_var, then its activation.
 *
 * @example
 * ```ts
 * batchNormOnnx(g, "encoder.layers.1", 32, 1e-5, "relu", 0, "encoder.layers.0", "encoder.layers.1");
 * ```
 */
export function batchNormOnnx(g: OnnxGraph, name: string, channels: number, eps: number, activation: Activation, alpha: number,
  input: string, output: string): void {
  const act = activation !== "identity";
  const inputs = [input, ...["weight", "bias", "running_mean", "running_var"].map((t) => g.weight(`${name}.${t}`, [channels]))];
  g.node("BatchNormalization", name, inputs, act ? `${name}.linear` : output, [["epsilon", "float", eps]]);
  if (act) activationOnnx(g, activation, alpha, `${name}.activation`, `${name}.linear`, output);
}
