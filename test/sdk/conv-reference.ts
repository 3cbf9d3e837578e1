// The float64 (and TF.js) reference of layer-list models, written from PyTorch's definitions, not from vaekit's
// code: images are channels-last rows [n, H·W·C]; a conv layer is a gather of each output pixel's taps followed by a
// matrix product with the weight taken from PyTorch's layout ([out, in, kH, kW], transposed [in, out, kH, kW]);
// flatten orders values C-H-W (PyTorch's flatten(1) of NCHW), reshape reads them C-H-W (view(-1, C, H, W)); batch
// norm uses the batch's statistics (train) or the running ones (eval). Index maps are built here in plain loops.
import { klNormal, nll, type LatentConfig, type Ops } from "./reference.js";

type Shape = number[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Layer = Record<string, any>;

const pair = (v: number | number[] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : Array.isArray(v) ? [v[0], v[1]] : [v, v];

/** Padding before/after one axis and the output size, as PyTorch / Keras define them. */
function axis(n: number, k: number, s: number, p: number | string, op: number, transpose: boolean): [number, number] {
  if (!transpose) {
    if (p === "same") {
      const out = Math.ceil(n / s);
      return [Math.floor(Math.max((out - 1) * s + k - n, 0) / 2), out];
    }
    const q = p === "valid" ? 0 : (p as number);
    return [q, Math.floor((n + 2 * q - k) / s) + 1];
  }
  const full = (n - 1) * s + k;
  if (p === "same") return [Math.floor(Math.max(full - n * s, 0) / 2), n * s];
  if (p === "valid") return [0, n * s + Math.max(k - s, 0)];
  return [p as number, full - 2 * (p as number) + op];
}

/**
 * A conv layer as gather + product: for each output pixel (oy, ox) and tap (ky, kx, input channel i), the input
 * pixel it reads (−1: padding / no input), and the weight entry of (tap, output channel o) in PyTorch's flat layout.
 */
function convMaps(input: Shape, l: Layer, transpose: boolean): { src: Int32Array; wIdx: Int32Array; out: Shape; J: number } {
  const [H, W, C] = input, F = l.filters;
  const [kH, kW] = pair(l.kernelSize, 1), [sH, sW] = pair(l.strides, 1), [oH, oW] = pair(l.outputPadding, 0);
  const p = l.padding ?? 0;
  const [pT, OH] = axis(H, kH, sH, p, oH, transpose), [pL, OW] = axis(W, kW, sW, p, oW, transpose);
  const J = kH * kW * C;
  const src = new Int32Array(OH * OW * J).fill(-1);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      for (let ky = 0; ky < kH; ky++) {
        for (let kx = 0; kx < kW; kx++) {
          let iy: number, ix: number;
          if (!transpose) {
            iy = oy * sH - pT + ky;
            ix = ox * sW - pL + kx;
          } else {
            // output pixel o = i·s − pad + k: the input pixel i = (o + pad − k)/s when that is a whole number
            const ty = oy + pT - ky, tx = ox + pL - kx;
            if (ty % sH !== 0 || tx % sW !== 0) continue;
            iy = ty / sH;
            ix = tx / sW;
          }
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          for (let i = 0; i < C; i++) src[((oy * OW + ox) * kH * kW + ky * kW + kx) * C + i] = (iy * W + ix) * C + i;
        }
      }
    }
  }
  const wIdx = new Int32Array(J * F);
  for (let ky = 0; ky < kH; ky++) {
    for (let kx = 0; kx < kW; kx++) {
      for (let i = 0; i < C; i++) {
        for (let o = 0; o < F; o++) {
          wIdx[((ky * kW + kx) * C + i) * F + o] = transpose ? ((i * F + o) * kH + ky) * kW + kx : ((o * C + i) * kH + ky) * kW + kx;
        }
      }
    }
  }
  return { src, wIdx, out: [OH, OW, F], J };
}

/** Column maps between channels-last (H-W-C) and PyTorch's flatten order (C-H-W). */
function chw([H, W, C]: Shape, toChw: boolean): Int32Array {
  const idx = new Int32Array(H * W * C);
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < H * W; p++) {
      if (toChw) idx[c * H * W + p] = p * C + c;
      else idx[p * C + c] = c * H * W + p;
    }
  }
  return idx;
}

/** Batch norm over the C channels of x [n, P·C] (channels last): batch statistics, or running ones. */
function batchNorm<T>(o: Ops<T>, W: Record<string, T>, name: string, x: T, n: number, P: number, C: number, eps: number, train: boolean): T {
  const rows = o.reshape(x, n * P, C);
  let centred: T, inv: T;
  if (train) {
    const mean = o.scale(o.sumRows(rows), 1 / (n * P));
    centred = o.sub(rows, mean);
    const v = o.scale(o.sumRows(o.square(centred)), 1 / (n * P));
    inv = o.exp(o.scale(o.log(o.addScalar(v, eps)), -0.5));
  } else {
    centred = o.sub(rows, W[`${name}.running_mean`]);
    inv = o.exp(o.scale(o.log(o.addScalar(W[`${name}.running_var`], eps)), -0.5));
  }
  return o.reshape(o.add(o.mul(o.mul(centred, inv), W[`${name}.weight`]), W[`${name}.bias`]), n, P * C);
}

/**
 * Runs a layer list (PyTorch semantics) on n rows of x with input shape `shape`; the label y joins after the
 * first flatten. Returns the output rows (channels-last for images) and its shape.
 */
export function runLayers<T>(o: Ops<T>, W: Record<string, T>, prefix: string, layers: Layer[], x: T, n: number, shape: Shape,
  slope: number, train: boolean, y?: T): [T, Shape] {
  let h = x;
  let joined = false;
  layers.forEach((l, i) => {
    const name = `${prefix}.layers.${i}`, act = l.activation ?? "identity";
    switch (l.type) {
      case "dense":
        h = o.act(o.linear(h, W[`${name}.weight`], W[`${name}.bias`]), act, slope);
        shape = [l.units];
        break;
      case "conv2d":
      case "conv2dTranspose": {
        const m = convMaps(shape, l, l.type === "conv2dTranspose");
        const P = m.out[0] * m.out[1];
        const cols = o.reshape(o.gatherCols(h, m.src), n * P, m.J);
        const w = o.reshape(o.gatherCols(W[`${name}.weight`], m.wIdx), m.J, l.filters);
        const z = o.add(o.matmul(cols, w), W[`${name}.bias`]);
        h = o.act(o.reshape(z, n, P * l.filters), act, slope);
        shape = m.out;
        break;
      }
      case "batchNorm": {
        const img = shape.length === 3;
        const P = img ? shape[0] * shape[1] : 1, C = img ? shape[2] : shape[0];
        h = o.act(batchNorm(o, W, name, h, n, P, C, l.epsilon ?? 1e-5, train), act, slope);
        break;
      }
      case "flatten": {
        h = o.gatherCols(h, chw(shape, true));
        shape = [shape[0] * shape[1] * shape[2]];
        if (y && !joined) {
          h = o.concat(h, y);
          shape = [shape[0] + cols(y)];
          joined = true;
        }
        break;
      }
      case "reshape":
        h = o.gatherCols(h, chw(l.shape, false));
        shape = [...l.shape];
        break;
    }
  });
  return [h, shape];
}

/** A layer-list latent model's config as the reference reads it. */
export interface LayersConfig extends LatentConfig {
  inputShape: number[];
  encoder: Layer[];
  decoder: Layer[];
}

/** Encoder heads: [μ, log σ²] of n rows (train: batch statistics in batch norm). */
export function layersEncode<T>(o: Ops<T>, W: Record<string, T>, cfg: LayersConfig, x: T, n: number, train: boolean, y?: T): [T, T] {
  const flat = cfg.inputShape.length === 1;
  const input = y && flat ? o.concat(x, y) : x;
  const [h] = runLayers(o, W, "encoder", cfg.encoder, input, n, flat && y ? [cfg.inputShape[0] + cols(y)] : cfg.inputShape, cfg.leakySlope, train, flat ? undefined : y);
  return [o.linear(h, W["encoder.mean.weight"], W["encoder.mean.bias"]), o.linear(h, W["encoder.logvar.weight"], W["encoder.logvar.bias"])];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cols = (t: any): number => t.cols ?? t.shape[1];

/** Decoder logits / means of n latent rows (channels-last rows). */
export function layersDecode<T>(o: Ops<T>, W: Record<string, T>, cfg: LayersConfig, z: T, n: number, train: boolean, y?: T): T {
  const input = y ? o.concat(z, y) : z;
  return runLayers(o, W, "decoder", cfg.decoder, input, n, [cols(input)], cfg.leakySlope, train)[0];
}

/** Σ over the batch of −ELBO (β-weighted KL) with ε [n, L], batch norm in training mode (as gradients() runs it). */
export function layersObjective<T>(o: Ops<T>, W: Record<string, T>, cfg: LayersConfig, x: T, n: number, eps: T, y?: T): T {
  const [mu, lv] = layersEncode(o, W, cfg, x, n, true, y);
  const z = o.add(mu, o.mul(o.exp(o.scale(lv, 0.5)), eps));
  const out = layersDecode(o, W, cfg, z, n, true, y);
  const D = cfg.inputShape.reduce((a, b) => a * b, 1);
  const rec = nll(o, cfg, out, x, D, W["decoder.logsigma"]);
  return o.sumAll(o.add(rec, o.scale(klNormal(o, mu, lv), cfg.beta)));
}
