// Module: the analytic KL(N(μ, σ²) ‖ N(0, I)) per row of stats rows [μ | log σ²], a fused loss.
import type { Tape } from "./tape.js";
import type { Tensor } from "./tensor.js";

/**
 * kl [rows] = KL(q ‖ N(0, I)) per row. A loss with a known weight, so its gradient is computed in the same kernel
 * pass: in a training pass with `grad`, scale·∂kl/∂stats is written into stats' gradient (kl_normal_loss writes,
 * so this must be the gradient's first writer: it is, being called before any backward step runs).
 */
export function klStandardNormal(t: Tape, kl: Tensor, stats: Tensor, rows: number, L: number, scale: number, grad = true): void {
  const k = t.e.k;
  if (t.scale && grad) t.over(stats.grad!, rows * 2 * L, (d) => k.kl_normal_loss(d, kl.ptr, stats.ptr, rows, L, scale));
  else k.kl_normal_loss(0, kl.ptr, stats.ptr, rows, L, 0);
}
