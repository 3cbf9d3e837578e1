// The ABI of the shipped vaekit.wasm: exactly the kernels the SDK calls (src/runtime/kernels.ts), nothing else.
// assembly/testing.ts builds the test and bench module, which adds every scalar twin and the raw GEMMs.
// Conventions (all families):
// - pointers are byte offsets into linear memory, every tensor is f32, row-major;
// - arguments come outputs first, then inputs, then sizes, then scalars; gradients are prefixed `d`;
// - kernels never allocate and never call out; the host owns all memory above heap_base().

export function heap_base(): usize {
  return __heap_base;
}

export { dense_forward, dense_backward, activation_forward, dense_forward_sparse_x, dense_backward_sparse_x } from "./dense";
export { rng_normal, rng_uniform } from "./random";
export { reparam_forward, reparam_backward } from "./reparam";
export { bernoulli_logits_loss, gaussian_loss, laplace_loss, kl_normal_loss } from "./loss";
export { adam_update, sgd_update, sum_squares, scale_inplace, zero_f32, count_nonfinite } from "./optim";
export { continuous_bernoulli_loss, cbernoulli_mean } from "./cbernoulli";
export { gaussian_learned_loss } from "./gaussian-learned";
export { gaussian_logpdf_forward, gaussian_logpdf_backward } from "./logpdf";
export { logmeanexp_forward, scale_rows, repeat_rows_forward, repeat_rows_backward } from "./logmeanexp";
export { sparsity_l1_loss, sparsity_kl_loss } from "./sparsity";
export { mask_noise, gaussian_noise } from "./noise";
export { gemv_forward_sparse_x } from "./gemv";
export { uniform_symmetric } from "./init";
export { count_outside_unit } from "./check";
