// Module: the reparameterization z = μ + σ·ε (σ = exp(½ log σ²)) of stats rows [μ | log σ²].
import type { Tape } from "./tape.js";
import type { Tensor } from "./tensor.js";

/**
 * z [rows, L] = μ + σ·ε from stats [rows, 2L] and ε [rows, L]. Backward adds ∂/∂stats of z's gradient into stats'
 * gradient (reparam_backward accumulates).
 */
export function reparameterize(t: Tape, z: Tensor, eps: Tensor, stats: Tensor, rows: number, L: number): void {
  const k = t.e.k;
  k.reparam_forward(z.ptr, eps.ptr, stats.ptr, rows, L);
  t.record(() => k.reparam_backward(t.acc(stats.grad!, rows * 2 * L), z.grad!.ptr, eps.ptr, stats.ptr, rows, L));
}
