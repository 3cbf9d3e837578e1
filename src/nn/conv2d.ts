// Module: a 2-D convolution over channels-last images (PyTorch's nn.Conv2d; conv2d-transpose.ts builds its
// transposed twin on the same class). Parameters: a weight block in the kernels' layout, saved in PyTorch's
// [out, in, kH, kW] ([in, out, kH, kW] transposed), and a bias; initialised like PyTorch (U(±1/√fan_in)) or Glorot.
import type { ConvGeometry } from "../models/layers-config.js";
import { ACTIVATION_CODES } from "../runtime/kernels.js";
import { convScratch, geometryWords, putGeometry, weightIndex } from "./conv-kernels.js";
import { activationOnnx, type Activation, type ParameterLayout } from "./dense.js";
import type { OnnxAttribute, OnnxGraph, ParamTensor } from "./module.js";
import type { Tape } from "./tape.js";
import type { Dims, Tensor, Workspace } from "./tensor.js";

/** The init stream's key word (model.ts's STREAM.init). */
const INIT_STREAM = 1;

/** The file tensors of a conv layer: weight in PyTorch's layout, bias [outC]. */
function convTensors(name: string, g: ConvGeometry, transpose: boolean, w: number, b: number): ParamTensor[] {
  const { kH, kW, inC, outC } = g;
  const at = weightIndex(g, transpose);
  // PyTorch's flat index of (o, i, ky, kx): Conv2d [out, in, kH, kW], ConvTranspose2d [in, out, kH, kW]
  const torch = transpose
    ? (o: number, i: number, ky: number, kx: number) => ((i * outC + o) * kH + ky) * kW + kx
    : (o: number, i: number, ky: number, kx: number) => ((o * inC + i) * kH + ky) * kW + kx;
  const each = (f: (t: number, m: number) => void): void => {
    for (let o = 0; o < outC; o++) for (let i = 0; i < inC; i++) for (let ky = 0; ky < kH; ky++) for (let kx = 0; kx < kW; kx++) f(torch(o, i, ky, kx), w + at(o, i, ky, kx));
  };
  return [
    {
      name: `${name}.weight`,
      shape: transpose ? [inC, outC, kH, kW] : [outC, inC, kH, kW],
      read: (all) => {
        const t = new Float32Array(outC * inC * kH * kW);
        each((ti, m) => (t[ti] = all[m]));
        return t;
      },
      write: (all, t) => each((ti, m) => (all[m] = t[ti])),
    },
    {
      name: `${name}.bias`,
      shape: [outC],
      read: (all) => all.slice(b, b + outC),
      write: (all, t) => {
        for (let o = 0; o < outC; o++) all[b + o] = t[o];
      },
    },
  ];
}

/**
 * A conv2d (or, with `transpose`, conv2dTranspose) layer: declares its parameters in `layout` under `name`
 * (e.g. "encoder.layers.0"), its output [rows, outH·outW·outC] (with gradient) in a workspace, and runs on a tape.
 */
export class Conv2d {
  readonly w: number;
  readonly b: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly #geom: Int32Array;
  #out!: Tensor;
  #scratch!: Tensor;
  #geomAt!: Tensor;

  constructor(layout: ParameterLayout, readonly name: string, readonly g: ConvGeometry, readonly activation: Activation,
    readonly alpha: number, readonly transpose = false) {
    const { kH, kW, inC, outC } = g;
    const n = kH * kW * inC * outC;
    this.inSize = g.inH * g.inW * inC;
    this.outSize = g.outH * g.outW * outC;
    // PyTorch's fan_in: Conv2d in·kH·kW; ConvTranspose2d takes its weight's dim 1, out·kH·kW. Glorot's sum is symmetric.
    const fanIn = (transpose ? outC : inC) * kH * kW;
    const glorotBound = Math.sqrt(6 / ((inC + outC) * kH * kW));
    const w = layout.push({
      random: true,
      tensors: () => convTensors(name, g, transpose, w, b),
      init: (k, params, seed, i, glorot) => {
        const bound = glorot ? glorotBound : 1 / Math.sqrt(fanIn);
        k.rng_uniform(params + w * 4, n, seed, INIT_STREAM, 0, 2 * i);
        k.rng_uniform(params + b * 4, outC, seed, INIT_STREAM, 0, 2 * i + 1);
        k.uniform_symmetric(params + w * 4, n, bound);
        k.uniform_symmetric(params + b * 4, outC, glorot ? 0 : bound);
      },
    }, n + ((4 - (n % 4)) % 4) + outC);
    const b = w + n + ((4 - (n % 4)) % 4);
    this.w = w;
    this.b = b;
    this.#geom = geometryWords(g);
    layout.extra.params += n + outC;
    layout.extra.perRow += 2 * this.outSize + this.inSize;
  }

  /**
   * Declares the output (with gradient), the kernels' scratch (one im2col chunk per thread of the workspace's
   * engine) and the descriptor's 16 words, for `rows(d)` images per pass.
   */
  declare(ws: Workspace, rows: (d: Dims) => number): void {
    this.#out = ws.tensor((d) => rows(d) * this.outSize, true);
    this.#scratch = ws.tensor(() => convScratch(this.g, this.transpose, ws.e.threads));
    this.#geomAt = ws.tensor(() => 16);
  }

  get output(): Tensor {
    return this.#out;
  }

  /** Y = act(conv(x) + b) for `rows` images; backward: dW +=, db +=, x's gradient through the tape. */
  run(t: Tape, x: Tensor, rows: number): Tensor {
    const e = t.e, k = e.k, act = ACTIVATION_CODES[this.activation], y = this.#out, a = this.alpha;
    const w = t.params + this.w * 4, s = this.#scratch.ptr, g = this.#geomAt.ptr;
    putGeometry(e, g, this.#geom);
    if (this.transpose) k.conv2d_transpose_forward(y.ptr, x.ptr, w, t.params + this.b * 4, s, g, rows, act, a);
    else k.conv2d_forward(y.ptr, x.ptr, w, t.params + this.b * 4, s, g, rows, act, a);
    t.record(() => {
      const back = (dx: number): void => {
        const dw = t.grads + this.w * 4, db = t.grads + this.b * 4;
        putGeometry(e, g, this.#geom);
        if (this.transpose) k.conv2d_transpose_backward(dx, dw, db, y.grad!.ptr, x.ptr, w, y.ptr, s, g, rows, act, a);
        else k.conv2d_backward(dx, dw, db, y.grad!.ptr, x.ptr, w, y.ptr, s, g, rows, act, a);
      };
      if (x.grad) t.over(x.grad, rows * this.inSize, back);
      else back(0);
    });
    return y;
  }
}

/**
 * ONNX export hook of a conv2d (or, with `transpose`, conv2dTranspose) layer saved as `name`: a Conv (ConvTranspose)
 * node on NCHW values with the file's weight as is (ONNX's W is PyTorch's [out, in, kH, kW], ConvTranspose's
 * [in, out, kH, kW]), the geometry's zeros as `pads` (begin and end may differ: Keras's "same") and, for a
 * transposed layer, a negative end crop as `output_padding`; then its activation.
 *
 * @example
 * ```ts
 * conv2dOnnx(g, "encoder.layers.0", plan[0].geometry!, false, "relu", 0, "x.nchw", "encoder.layers.0");
 * ```
 */
export function conv2dOnnx(g: OnnxGraph, name: string, geom: ConvGeometry, transpose: boolean, activation: Activation, alpha: number,
  input: string, output: string): void {
  const { kH, kW, inC, outC, sH, sW, padTop, padLeft, padBottom, padRight } = geom;
  const act = activation !== "identity";
  const weight = g.weight(`${name}.weight`, transpose ? [inC, outC, kH, kW] : [outC, inC, kH, kW]);
  const bias = g.weight(`${name}.bias`, [outC]);
  const attributes: OnnxAttribute[] = [["kernel_shape", "ints", [kH, kW]], ["strides", "ints", [sH, sW]]];
  attributes.push(["pads", "ints", [padTop, padLeft, Math.max(padBottom, 0), Math.max(padRight, 0)]]);
  if (transpose && (padBottom < 0 || padRight < 0)) attributes.push(["output_padding", "ints", [Math.max(-padBottom, 0), Math.max(-padRight, 0)]]);
  g.node(transpose ? "ConvTranspose" : "Conv", name, [input, weight, bias], act ? `${name}.linear` : output, attributes);
  if (act) activationOnnx(g, activation, alpha, `${name}.activation`, `${name}.linear`, output);
}
