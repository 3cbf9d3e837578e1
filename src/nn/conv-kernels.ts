// The conv and batch-norm modules' calls into the EXT kernels (assembly/conv.ts, batchnorm.ts; docs/ABI.md
// "Convolution" and "Batch norm"), in one place: a layer's geometry turned into the kernels' 16-i32 descriptor, the
// scratch they need, and the weight layouts they use.
import type { ConvGeometry } from "../models/layers-config.js";
import { convGeometry, convScratchFloats } from "../runtime/conv.js";
import type { Engine } from "../runtime/engine.js";

/**
 * Offset of PyTorch's weight entry (output channel o, input channel i, row ky, column kx) in the kernels' layout:
 * conv2d W [kH, kW, Cin, Cout] (TF's HWIO); conv2dTranspose W [Cin, kH, kW, Cout].
 */
export function weightIndex(g: ConvGeometry, transpose: boolean): (o: number, i: number, ky: number, kx: number) => number {
  const { kH, kW, inC, outC } = g;
  return transpose
    ? (o, i, ky, kx) => ((i * kH + ky) * kW + kx) * outC + o
    : (o, i, ky, kx) => ((ky * kW + kx) * inC + i) * outC + o;
}

/**
 * The kernels' descriptor: H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL, PB, PR, OPH, OPW. A transposed layer's
 * negative end crop (layers-config.ts) is PyTorch's output padding.
 */
export function geometryWords(g: ConvGeometry): Int32Array {
  const end = (p: number): [number, number] => (p >= 0 ? [p, 0] : [0, -p]);
  const [pb, oph] = end(g.padBottom), [pr, opw] = end(g.padRight);
  return Int32Array.from([g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW, g.sH, g.sW, g.padTop, g.padLeft, pb, pr, oph, opw]);
}

/**
 * Floats of scratch a conv layer's kernels need on an engine with `threads` threads (one im2col chunk each): the
 * runtime's convScratchFloats of the layer's descriptor, so the modules and the kernels share one formula.
 */
export function convScratch(g: ConvGeometry, transpose: boolean, threads: number): number {
  const [inH, inW, inC, , , outC, kH, kW, strideH, strideW, padTop, padLeft, padBottom, padRight, outPadH, outPadW] = geometryWords(g);
  const spec = { inH, inW, inC, outC, kH, kW, strideH, strideW, padTop, padLeft, padBottom, padRight, outPadH, outPadW, transpose };
  return convScratchFloats(convGeometry(spec), threads);
}

/** Writes the descriptor into the 16 words at `ptr` (a workspace tensor: it may move between passes). */
export function putGeometry(e: Engine, ptr: number, words: Int32Array): void {
  const f = e.f32(ptr, 16);
  new Int32Array(f.buffer, f.byteOffset, 16).set(words);
}
