// Module: column concatenation out row r = [a row r | b row ⌊r/K⌋] (a conditional model's [x | label] and
// [z | label] rows, K samples per label row). Copies, so the bits are those of the inputs.
import type { Tape } from "./tape.js";
import type { Tensor } from "./tensor.js";

/**
 * Writes out [rows, aCols + bCols]; b is data (labels: no gradient flows into it). Backward copies out's gradient's
 * first aCols columns into a's gradient (first writer) or adds them (fan-out).
 */
export function concatCols(t: Tape, out: Tensor, a: Tensor, aCols: number, b: Tensor, bCols: number, rows: number, K = 1): void {
  const w = aCols + bCols;
  const mem = t.e.f32(0, t.e.memoryBytes / 4);
  const o = out.ptr / 4, pa = a.ptr / 4, pb = b.ptr / 4;
  for (let r = 0; r < rows; r++) {
    const bi = Math.floor(r / K);
    mem.copyWithin(o + r * w, pa + r * aCols, pa + (r + 1) * aCols);
    mem.copyWithin(o + r * w + aCols, pb + bi * bCols, pb + (bi + 1) * bCols);
  }
  if (a.grad) {
    t.record(() => t.over(a.grad!, rows * aCols, (d) => {
      const m = t.e.f32(0, t.e.memoryBytes / 4), g = out.grad!.ptr / 4;
      for (let r = 0; r < rows; r++) m.copyWithin(d / 4 + r * aCols, g + r * w, g + r * w + aCols);
    }));
  }
}
