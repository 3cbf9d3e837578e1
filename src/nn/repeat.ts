// Modules for importance sampling: repeat each row K times (one encoder pass feeds K samples), and log-mean-exp
// over the K samples of each example.
import type { Tape } from "./tape.js";
import type { Tensor } from "./tensor.js";

/** out [B·K, cols]: row b·K + j = x row b. Backward adds the K rows' gradients into x's (when x has one). */
export function repeatRows(t: Tape, out: Tensor, x: Tensor, B: number, cols: number, K: number): void {
  const k = t.e.k;
  k.repeat_rows_forward(out.ptr, x.ptr, B, cols, K);
  if (x.grad) t.record(() => k.repeat_rows_backward(t.acc(x.grad!, B * cols), out.grad!.ptr, B, cols, K));
}

/**
 * out [B] (f64) = log mean_k exp(logw[b·K + k]), and the normalized weights [B·K] (f32), which are the gradient of
 * out with respect to logw: objectives seed their backward pass with them.
 */
export function logMeanExp(t: Tape, out: number, weights: number, logw: number, B: number, K: number): Float64Array {
  t.e.k.logmeanexp_forward(out, weights, logw, B, K);
  return new Float64Array(t.e.f32(0, 0).buffer, out, B);
}
