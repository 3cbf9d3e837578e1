// The host side of the convolution and batch-norm kernels (assembly/conv.ts, batchnorm.ts; docs/ABI.md
// "Convolution" and "Batch norm"): output sizes, the geometry descriptor the kernels read, and the scratch and
// saved-statistics sizes the caller allocates. Not reachable from src/index.ts (the default entry's size budget):
// the conv modules import it.
import { InvalidConfigError } from "../errors.js";

/** The shape of one convolution: input image, kernel, strides, paddings. Images are channels-last [H, W, C]. */
export interface ConvSpec {
  /** Input height, width and channels. */
  inH: number;
  inW: number;
  inC: number;
  /** Output channels (filters). */
  outC: number;
  /** Kernel height and width. */
  kH: number;
  kW: number;
  /** Strides (default 1). */
  strideH?: number;
  strideW?: number;
  /** Padding top, left, bottom, right (default 0). Keras "same" puts the odd extra pixel at the bottom/right. */
  padTop?: number;
  padLeft?: number;
  padBottom?: number;
  padRight?: number;
  /** Output padding (transposed convolution only; default 0; each < its stride). */
  outPadH?: number;
  outPadW?: number;
  /** true: a transposed convolution (PyTorch's ConvTranspose2d). */
  transpose?: boolean;
}

/** A checked convolution shape: the output size and the 16-i32 descriptor the kernels read (`geom`). */
export interface ConvGeometry {
  readonly outH: number;
  readonly outW: number;
  /** i32[16]: H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, PB, PR, OPH, OPW — copy it into wasm memory. */
  readonly geom: Int32Array;
  /** Columns of the im2col matrix: KH·KW·C (conv) or KH·KW·F (transposed). */
  readonly cols: number;
  /** Floats of scratch one thread's call needs (see convScratchFloats). */
  readonly scratchFloats: number;
  readonly transpose: boolean;
}

/** Rows per im2col chunk for K columns, as assembly/conv.ts's chunk_rows: ⌊32768/K⌋ down to a multiple of 4, ≥ 4. */
export function convChunkRows(K: number): number {
  return Math.max(4, Math.floor(32768 / K) & ~3);
}

/**
 * Floats of `scratch` a conv kernel call needs: one im2col chunk, convChunkRows(K)·K with K = KH·KW·C (conv2d) or
 * KH·KW·F (conv2d_transpose), per thread that may run a part of the call at once (`threads`, default 1). The same
 * size serves the forward and the backward kernels of that layer.
 *
 * @example
 * ```ts
 * const g = convGeometry({ inH: 28, inW: 28, inC: 1, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 });
 * const floats = convScratchFloats(g, 2); // for an engine with 2 threads
 * ```
 */
export function convScratchFloats(g: ConvGeometry, threads = 1): number {
  return g.scratchFloats * Math.max(1, threads);
}

const int = (v: number, name: string, min: number): number => {
  if (!Number.isInteger(v) || v < min) throw new InvalidConfigError(`convolution: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
};

/**
 * Checks a convolution's shape and computes its output size and kernel descriptor. conv2d:
 * OH = ⌊(H + PT + PB − KH)/SH⌋ + 1; transposed: OH = (H − 1)·SH − PT − PB + KH + OPH (PyTorch's formulas, with the
 * paddings of each side given separately). Throws InvalidConfigError when a size is not a positive integer, an output
 * padding is not smaller than its stride, or the output would be empty.
 *
 * @example
 * ```ts
 * const g = convGeometry({ inH: 7, inW: 7, inC: 64, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2,
 *   padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true });
 * g.outH; // 14
 * ```
 */
export function convGeometry(s: ConvSpec): ConvGeometry {
  const H = int(s.inH, "inH", 1), W = int(s.inW, "inW", 1), C = int(s.inC, "inC", 1), F = int(s.outC, "outC", 1);
  const KH = int(s.kH, "kH", 1), KW = int(s.kW, "kW", 1);
  const SH = int(s.strideH ?? 1, "strideH", 1), SW = int(s.strideW ?? 1, "strideW", 1);
  const PT = int(s.padTop ?? 0, "padTop", 0), PL = int(s.padLeft ?? 0, "padLeft", 0);
  const PB = int(s.padBottom ?? 0, "padBottom", 0), PR = int(s.padRight ?? 0, "padRight", 0);
  const OPH = int(s.outPadH ?? 0, "outPadH", 0), OPW = int(s.outPadW ?? 0, "outPadW", 0);
  const transpose = s.transpose === true;
  if (!transpose && (OPH !== 0 || OPW !== 0)) throw new InvalidConfigError("convolution: output padding applies to transposed convolutions only");
  if (OPH >= SH || OPW >= SW) throw new InvalidConfigError(`convolution: output padding (${OPH}, ${OPW}) must be smaller than the stride (${SH}, ${SW})`);
  const OH = transpose ? (H - 1) * SH - PT - PB + KH + OPH : Math.floor((H + PT + PB - KH) / SH) + 1;
  const OW = transpose ? (W - 1) * SW - PL - PR + KW + OPW : Math.floor((W + PL + PR - KW) / SW) + 1;
  if (!(OH >= 1 && OW >= 1)) {
    throw new InvalidConfigError(`convolution: a ${H}×${W} input with a ${KH}×${KW} kernel, stride ${SH}×${SW} and this padding gives an empty ${OH}×${OW} output`);
  }
  const geom = Int32Array.from([H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, PB, PR, OPH, OPW]);
  const cols = KH * KW * (transpose ? F : C);
  return { outH: OH, outW: OW, geom, cols, scratchFloats: convChunkRows(cols) * cols, transpose };
}

/**
 * Keras's "same" padding for one dimension: total max((⌈n/s⌉ − 1)·s + k − n, 0), the extra pixel at the end.
 * Returns [before, after].
 *
 * @example
 * ```ts
 * samePadding(28, 3, 2); // [0, 1]
 * ```
 */
export function samePadding(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * Floats to allocate for batchnorm_forward_train's saved statistics of C channels: mean and invstd are f64[C] each
 * (8-byte elements), 2·C floats each.
 *
 * @example
 * ```ts
 * const floats = batchNormStatsFloats(64); // 256: mean at +0, invstd at +2·64 floats
 * ```
 */
export function batchNormStatsFloats(C: number): number {
  return 4 * C;
}
