// Module: the diagonal Gaussian log-density log N(z; μ, σ²) per row, of stats rows [μ | log σ²] or of N(0, I).
import type { Tape } from "./tape.js";
import type { Tensor } from "./tensor.js";

/**
 * logp [rows] = log N(z; stats) (stats undefined: the standard normal). Backward reads logp's gradient (its seed,
 * one number per row) and adds into the gradients of z and of stats (gaussian_logpdf_backward accumulates).
 */
export function gaussianLogDensity(t: Tape, logp: Tensor, z: Tensor, stats: Tensor | undefined, rows: number, L: number): void {
  const k = t.e.k;
  k.gaussian_logpdf_forward(logp.ptr, z.ptr, stats ? stats.ptr : 0, rows, L);
  t.record(() => k.gaussian_logpdf_backward(t.acc(z.grad!, rows * L), stats ? t.acc(stats.grad!, rows * 2 * L) : 0,
    logp.grad!.ptr, z.ptr, stats ? stats.ptr : 0, rows, L));
}
