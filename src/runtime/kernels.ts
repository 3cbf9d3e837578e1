// The typed view of vaekit.wasm's exports (see docs/ABI.md). Pointers are byte offsets; sizes are element counts.
type P = number;

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heap_base(): number;
  /** Exported by vaekit-fast.wasm only (returns 1): the GEMMs use relaxed-SIMD FMA. */
  precision_fast?(): number;
  dense_forward(Y: P, X: P, W: P, b: P, M: number, K: number, N: number, act: number, alpha: number): void;
  dense_backward(
    dX: P, dW: P, db: P, dY: P, X: P, W: P, Y: P,
    M: number, K: number, N: number, act: number, alpha: number,
  ): void;
  activation_forward(Y: P, X: P, n: number, act: number, alpha: number): void;
  dense_forward_sparse_x(Y: P, X: P, W: P, b: P, scratch: P, M: number, K: number, N: number, act: number, alpha: number): number;
  dense_backward_sparse_x(
    dW: P, db: P, dY: P, X: P, Y: P, scratch: P, M: number, K: number, N: number, act: number, alpha: number,
  ): number;
  rng_normal(out: P, n: number, key0: number, key1: number, ctr0: number, ctr1: number): void;
  rng_uniform(out: P, n: number, key0: number, key1: number, ctr0: number, ctr1: number): void;
  reparam_forward(z: P, eps: P, stats: P, B: number, L: number): void;
  reparam_backward(dstats: P, dz: P, eps: P, stats: P, B: number, L: number): void;
  bernoulli_logits_loss(dlogits: P, losses: P, logits: P, x: P, B: number, D: number, scale: number): void;
  gaussian_loss(dy: P, losses: P, y: P, x: P, B: number, D: number, sigma: number, scale: number): void;
  laplace_loss(dy: P, losses: P, y: P, x: P, B: number, D: number, b: number, scale: number): void;
  kl_normal_loss(dstats: P, losses: P, stats: P, B: number, L: number, scale: number): void;
  adam_update(
    params: P, grads: P, m: P, v: P, n: number, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupled: number, biasCorrection1: number, biasCorrection2Sqrt: number,
  ): void;
  sgd_update(
    params: P, grads: P, buf: P, n: number, lr: number, momentum: number, dampening: number,
    weightDecay: number, nesterov: number, firstStep: number,
  ): void;
  sum_squares(x: P, n: number): number;
  scale_inplace(x: P, n: number, s: number): void;
  zero_f32(x: P, n: number): void;
  count_nonfinite(x: P, n: number): number;
  /** #{i : not (0 ≤ x[i] ≤ 1)} (NaN counts). */
  count_outside_unit(x: P, n: number): number;
  continuous_bernoulli_loss(dlogits: P, losses: P, logits: P, x: P, B: number, D: number, scale: number): void;
  cbernoulli_mean(out: P, logits: P, n: number): void;
  gaussian_learned_loss(
    dy: P, dlogsigma: P, losses: P, y: P, x: P, logsigma: P, B: number, D: number, scale: number,
  ): void;
  gaussian_logpdf_forward(logp: P, z: P, stats: P, B: number, L: number): void;
  gaussian_logpdf_backward(dz: P, dstats: P, dlogp: P, z: P, stats: P, B: number, L: number): void;
  /** `out` is an f64 array (8-byte elements); `weights` may be 0. */
  logmeanexp_forward(out: P, weights: P, logw: P, B: number, K: number): void;
  scale_rows(x: P, w: P, B: number, D: number): void;
  repeat_rows_forward(out: P, x: P, B: number, D: number, K: number): void;
  repeat_rows_backward(dx: P, dout: P, B: number, D: number, K: number): void;
  sparsity_l1_loss(dh: P, losses: P, h: P, B: number, H: number, weight: number, scale: number): void;
  /** Returns the batch's weighted penalty (f64); rhohat[H] is always written. */
  sparsity_kl_loss(dh: P, rhohat: P, h: P, B: number, H: number, rho: number, weight: number, scale: number): number;
  gemv_forward_sparse_x(y: P, x: P, W: P, b: P, K: number, N: number, act: number, alpha: number): void;
  uniform_symmetric(x: P, n: number, bound: number): void;
  mask_noise(out: P, x: P, n: number, p: number, key0: number, key1: number, ctr0: number, ctr1: number): void;
  gaussian_noise(out: P, x: P, n: number, sigma: number, key0: number, key1: number, ctr0: number, ctr1: number): void;
}

/** Activation codes shared with assembly/dense.ts. */
export const ACTIVATION_CODES = { identity: 0, relu: 1, leaky_relu: 2, tanh: 3, sigmoid: 4 } as const;
