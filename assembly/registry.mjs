// The kernel registry: every export of every vaekit wasm build, listed once. scripts/gen-kernels.mjs turns it into
//   assembly/exports.generated.ts, exports-mt.generated.ts, exports-testing.generated.ts — each build's export list
//     (re-exported by assembly/index.ts, index-mt.ts and testing.ts),
//   src/runtime/kernels.generated.ts — KernelExports / MtKernelExports (the typed exports) and the worker job
//     table with each split kernel's split (read by src/runtime/threads/parallel.ts),
//   the kernel table of docs/ABI.md (between its `kernels:begin` / `kernels:end` markers),
// and checks each entry against the `export function` it names in assembly/<source>.ts (parameters, result, twin).
// Adding a kernel: write it (and its `_scalar` twin) in assembly/, add its entry here, run `npm run gen:kernels`
// (`npm run build:wasm` runs it too), commit the regenerated files. docs/ABI.md, "Adding a kernel", says more.
//
// Fields of an entry:
//   name     the export's name; kernels are named by what they compute (family_operation[_variant]), and a kernel's
//            scalar twin is the same name suffixed `_scalar`.
//   source   the file of assembly/ (without .ts) whose `export function` it is.
//   params   its parameters as in the source, `name: type` with type ptr (a byte offset into linear memory; usize
//            in the source), i32, u32, f32 or f64.
//   returns  void, i32 or f64 (ptr for heap_base).
//   builds   which modules export it: "default" = dist/vaekit.wasm and every build below (what the SDK calls),
//            "ext" = dist/vaekit-ext.wasm and dist/vaekit-fast.wasm (kernels of the model families beyond the MLP,
//            kept out of the default entry's size budget: use the EXT list),
//            "mt" = dist/vaekit-mt.wasm and dist/vaekit-fast-mt.wasm (threads), "testing" = build/vaekit-testing.wasm
//            and build/vaekit-fast-testing.wasm (tests, bench), "fast" = the three fast builds only (assembly/fast.ts,
//            compiled as their second entry; optional in KernelExports).
//   twin     true: `<name>_scalar`, same parameters, exported by the testing builds; a string: the twin's name.
//   noTwin   instead of twin, why the kernel has none (e.g. it is scalar code itself).
//   split    how `threads > 1` splits a call over the threads: the name of one of the hand-written splits of
//            src/runtime/threads/parallel.ts (SPLITS). Generic ones: "elements" (pointer arguments first, then the
//            element count n: every pointer moves to element i0, n becomes the range's length; ranges aligned to 4),
//            "elements_sum" (the same, and the kernel's i32 results are added up), "row_loss" (a likelihood loss:
//            gradient, losses, output, data, B, D, scalars…: rows of B). The others belong to one kernel each. No
//            split: the call runs whole on the caller's thread (e.g. a reduction whose order must not change).
//   job      true: posted to the worker threads as a job (its name joins WORKER_KERNELS). Defaults to true when
//            split is set (the split posts the kernel itself); false for splits that post other kernels, true for
//            those other kernels (the parts of a split, exported by the mt build). A job has at most 14 parameters.
//   abi      the one-line contract for docs/ABI.md's table and the JSDoc of KernelExports.

const SHIPPED = ["default", "mt", "testing"];
// Kernels of the model families beyond the MLP (convolution, batch norm, recurrent cells, …): not in dist/vaekit.wasm
// (the default entry's size budget) but in dist/vaekit-ext.wasm (which has every default kernel too), which a model
// that needs them loads instead, and in the fast and threads builds. Such a model creates its engine with `ext`
// (Model.engine(options, file, true)).
export const EXT = ["ext", "mt", "testing"];
const MT = ["mt", "testing"];
const TESTING = ["testing"];

export const KERNELS = [
  // ---- the shipped module (assembly/index.ts): what the SDK calls ----
  {
    name: "heap_base", source: "heap", params: "", returns: "ptr", builds: SHIPPED,
    noTwin: "returns a constant", abi: "first byte the host may use (everything above belongs to the host)",
  },
  {
    name: "dense_forward", source: "dense", builds: SHIPPED, twin: true, split: "dense_rows",
    params: "Y: ptr, X: ptr, W: ptr, b: ptr, M: i32, K: i32, N: i32, act: i32, alpha: f32", returns: "void",
    abi: "Y[M,N] = act(X[M,K]·W[K,N] + b[N])",
  },
  {
    name: "dense_backward", source: "dense", builds: SHIPPED, twin: true, split: "dense_backward", job: false,
    params: "dX: ptr, dW: ptr, db: ptr, dY: ptr, X: ptr, W: ptr, Y: ptr, M: i32, K: i32, N: i32, act: i32, alpha: f32",
    returns: "void",
    abi: "dY ← dZ = dY ⊙ act′(Y); db += colsum(dZ); dW += Xᵀ·dZ; dX = dZ·Wᵀ unless dX = 0",
  },
  {
    name: "activation_forward", source: "dense", builds: SHIPPED, twin: true, split: "elements",
    params: "Y: ptr, X: ptr, n: i32, act: i32, alpha: f32", returns: "void",
    abi: "Y[n] = act(X) elementwise",
  },
  {
    name: "dense_forward_sparse_x", source: "dense", builds: SHIPPED, twin: true, split: "sparse_x_forward", job: false,
    params: "Y: ptr, X: ptr, W: ptr, b: ptr, scratch: ptr, M: i32, K: i32, N: i32, act: i32, alpha: f32",
    returns: "i32",
    abi: "dense_forward skipping X's zeros (scratch 2·M·K + M + 1 words); returns 1 if it took the sparse path",
  },
  {
    name: "dense_backward_sparse_x", source: "dense", builds: SHIPPED, twin: true, split: "sparse_x_backward",
    job: false,
    params: "dW: ptr, db: ptr, dY: ptr, X: ptr, Y: ptr, scratch: ptr, M: i32, K: i32, N: i32, act: i32, alpha: f32",
    returns: "i32",
    abi: "dense_backward with dX = 0, skipping X's zeros (scratch 5·M words); returns 1 if it took the sparse path",
  },
  {
    name: "rng_normal", source: "random", builds: SHIPPED, split: "philox_blocks",
    noTwin: "scalar code (Philox blocks); checked against known-answer vectors",
    params: "out: ptr, n: i32, key0: u32, key1: u32, ctr0: u32, ctr1: u32", returns: "void",
    abi: "out[n] standard normals from Philox-4x32-10 blocks ctr, ctr + 1, … (Box–Muller)",
  },
  {
    name: "rng_uniform", source: "random", builds: SHIPPED,
    noTwin: "scalar code (Philox blocks); checked against known-answer vectors",
    params: "out: ptr, n: i32, key0: u32, key1: u32, ctr0: u32, ctr1: u32", returns: "void",
    abi: "out[n] uniforms in [0, 1), same block layout as rng_normal",
  },
  {
    name: "reparam_forward", source: "reparam", builds: SHIPPED, twin: true,
    params: "z: ptr, eps: ptr, stats: ptr, B: i32, L: i32", returns: "void",
    abi: "z[B,L] = μ + exp(½·logσ²)·ε, stats rows [μ | logσ²]",
  },
  {
    name: "reparam_backward", source: "reparam", builds: SHIPPED, twin: true,
    params: "dstats: ptr, dz: ptr, eps: ptr, stats: ptr, B: i32, L: i32", returns: "void",
    abi: "dμ += dz; dlogσ² += ½·dz·ε·exp(½·logσ²)",
  },
  {
    name: "bernoulli_logits_loss", source: "loss", builds: SHIPPED, twin: true, split: "row_loss",
    params: "dlogits: ptr, losses: ptr, logits: ptr, x: ptr, B: i32, D: i32, scale: f64", returns: "void",
    abi: "losses[b] = Σ softplus(l) − x·l; dlogits = scale·(sigmoid(l) − x) unless 0",
  },
  {
    name: "gaussian_loss", source: "loss", builds: SHIPPED, twin: true, split: "row_loss",
    params: "dy: ptr, losses: ptr, y: ptr, x: ptr, B: i32, D: i32, sigma: f64, scale: f64", returns: "void",
    abi: "losses[b] = Σ ½((x−y)/σ)² + D·(log σ + ½ log 2π); dy = scale·(y − x)/σ² unless 0",
  },
  {
    name: "laplace_loss", source: "loss", builds: SHIPPED, twin: true, split: "row_loss",
    params: "dy: ptr, losses: ptr, y: ptr, x: ptr, B: i32, D: i32, b_scale: f64, scale: f64", returns: "void",
    abi: "losses[b] = Σ |x−y|/b + D·log(2b); dy = scale·sign(y−x)/b unless 0",
  },
  {
    name: "kl_normal_loss", source: "loss", builds: SHIPPED, twin: true, split: "kl_rows",
    params: "dstats: ptr, losses: ptr, stats: ptr, B: i32, L: i32, scale: f64", returns: "void",
    abi: "losses[b] = −½ Σ (1 + lv − μ² − exp(lv)); dstats = scale·[μ | ½(exp(lv) − 1)] unless 0",
  },
  {
    name: "adam_update", source: "optim", builds: SHIPPED, twin: true, split: "elements",
    params: "params: ptr, grads: ptr, m: ptr, v: ptr, n: i32, lr: f64, beta1: f64, beta2: f64, eps: f64, " +
      "weight_decay: f64, decoupled: i32, bias_correction1: f64, bias_correction2_sqrt: f64",
    returns: "void",
    abi: "PyTorch's Adam (decoupled = 0) / AdamW (1) step; bias corrections computed by the host in f64",
  },
  {
    name: "sgd_update", source: "optim", builds: SHIPPED, twin: true, split: "elements",
    params: "params: ptr, grads: ptr, buf: ptr, n: i32, lr: f64, momentum: f64, dampening: f64, weight_decay: f64, " +
      "nesterov: i32, first_step: i32",
    returns: "void",
    abi: "PyTorch's SGD step (momentum buffer buf, 0 without momentum)",
  },
  {
    name: "sum_squares", source: "optim", builds: SHIPPED, twin: true,
    params: "x: ptr, n: i32", returns: "f64",
    abi: "Σ x² in f64, in a fixed documented order",
  },
  {
    name: "scale_inplace", source: "optim", builds: SHIPPED, twin: true, split: "elements",
    params: "x: ptr, n: i32, s: f64", returns: "void",
    abi: "x[n] *= s",
  },
  {
    name: "zero_f32", source: "optim", builds: SHIPPED, twin: true, split: "elements",
    params: "x: ptr, n: i32", returns: "void",
    abi: "x[n] = 0",
  },
  {
    name: "count_nonfinite", source: "optim", builds: SHIPPED, twin: true, split: "elements_sum",
    params: "x: ptr, n: i32", returns: "i32",
    abi: "#{i : x[i] is NaN or ±∞}",
  },
  {
    name: "continuous_bernoulli_loss", source: "cbernoulli", builds: EXT, twin: true, split: "row_loss",
    params: "dlogits: ptr, losses: ptr, logits: ptr, x: ptr, B: i32, D: i32, scale: f64", returns: "void",
    abi: "losses[b] = Σ softplus(l) − x·l − log C(l); dlogits = scale·(E[x|l] − x) unless 0",
  },
  {
    name: "cbernoulli_mean", source: "cbernoulli", builds: EXT, twin: true, split: "elements",
    params: "out: ptr, logits: ptr, n: i32", returns: "void",
    abi: "out = E[x|l] = 1/(1 − e^(−l)) − 1/l (½ at l = 0)",
  },
  {
    name: "gaussian_learned_loss", source: "gaussian-learned", builds: SHIPPED, twin: true,
    params: "dy: ptr, dlogsigma: ptr, losses: ptr, y: ptr, x: ptr, logsigma: ptr, B: i32, D: i32, scale: f64",
    returns: "void",
    abi: "Gaussian likelihood with learned log σ[D]; dy = scale·(y − x)/σ², dlogsigma += scale·Σ_b (1 − r²)",
  },
  {
    name: "gaussian_logpdf_forward", source: "logpdf", builds: SHIPPED, twin: true,
    params: "logp: ptr, z: ptr, stats: ptr, B: i32, L: i32", returns: "void",
    abi: "logp[b] = Σ −½(lv + (z−μ)²·e^(−lv) + log 2π); stats = 0 for N(0, I)",
  },
  {
    name: "gaussian_logpdf_backward", source: "logpdf", builds: SHIPPED, twin: true,
    params: "dz: ptr, dstats: ptr, dlogp: ptr, z: ptr, stats: ptr, B: i32, L: i32", returns: "void",
    abi: "dz += −dlogp·r; dμ += dlogp·r; dlv += dlogp·½((z−μ)·r − 1), r = (z−μ)·e^(−lv)",
  },
  {
    name: "logmeanexp_forward", source: "logmeanexp", builds: SHIPPED, twin: true,
    params: "out: ptr, weights: ptr, logw: ptr, B: i32, K: i32", returns: "void",
    abi: "out is f64[B] (8-byte elements): log mean_k exp(logw[b,k]); weights = softmax_k unless 0",
  },
  {
    name: "scale_rows", source: "logmeanexp", builds: SHIPPED, twin: true,
    params: "x: ptr, w: ptr, B: i32, D: i32", returns: "void",
    abi: "x[b,:] *= w[b]",
  },
  {
    name: "repeat_rows_forward", source: "logmeanexp", builds: SHIPPED, twin: true,
    params: "out: ptr, x: ptr, B: i32, D: i32, K: i32", returns: "void",
    abi: "out[b·K + k,:] = x[b,:]",
  },
  {
    name: "repeat_rows_backward", source: "logmeanexp", builds: SHIPPED, twin: true,
    params: "dx: ptr, dout: ptr, B: i32, D: i32, K: i32", returns: "void",
    abi: "dx[b,:] += Σ_k dout[b·K + k,:] (k in order)",
  },
  {
    name: "sparsity_l1_loss", source: "sparsity", builds: SHIPPED, twin: true,
    params: "dh: ptr, losses: ptr, h: ptr, B: i32, H: i32, weight: f64, scale: f64", returns: "void",
    abi: "losses[b] = weight·Σ|h|; dh += f32(scale·weight)·sign(h) unless 0",
  },
  {
    name: "sparsity_kl_loss", source: "sparsity", builds: SHIPPED, twin: true,
    params: "dh: ptr, rhohat: ptr, h: ptr, B: i32, H: i32, rho: f64, weight: f64, scale: f64", returns: "f64",
    abi: "returns the batch's weighted KL(ρ ‖ ρ̂) penalty (f64); rhohat[H] always written; dh += its gradient unless 0",
  },
  {
    name: "mask_noise", source: "noise", builds: SHIPPED, twin: true,
    params: "out: ptr, x: ptr, n: i32, p: f64, key0: u32, key1: u32, ctr0: u32, ctr1: u32", returns: "void",
    abi: "out[i] = u_i < p ? +0 : x[i], u_i rng_uniform's stream for the same key and counter",
  },
  {
    name: "gaussian_noise", source: "noise", builds: SHIPPED, twin: true,
    params: "out: ptr, x: ptr, n: i32, sigma: f64, key0: u32, key1: u32, ctr0: u32, ctr1: u32", returns: "void",
    abi: "out[i] = x[i] + f32(sigma)·ε_i, ε_i rng_normal's stream for the same key and counter",
  },
  {
    name: "gemv_forward_sparse_x", source: "gemv", builds: SHIPPED, twin: true,
    params: "y: ptr, x: ptr, W: ptr, b: ptr, K: i32, N: i32, act: i32, alpha: f32", returns: "void",
    abi: "batch 1: y[N] = act(x[K]·W[K,N] + b[N]) reading only W's rows where x ≠ 0; ≡ dense_forward with M = 1",
  },
  {
    name: "uniform_symmetric", source: "init", builds: SHIPPED,
    noTwin: "scalar f64 code by design (runs once per model)",
    params: "x: ptr, n: i32, bound: f64", returns: "void",
    abi: "x[n] (uniforms in [0, 1)) ← f32(bound·(2x − 1)), PyTorch nn.Linear's initialisation",
  },
  {
    name: "count_outside_unit", source: "check", builds: SHIPPED, twin: true, split: "elements_sum",
    params: "x: ptr, n: i32", returns: "i32",
    abi: "#{i : not (0 ≤ x[i] ≤ 1)} (NaN and ±∞ count, −0 does not)",
  },
  {
    name: "precision_fast", source: "fast", builds: ["fast"], params: "", returns: "i32",
    noTwin: "returns a constant",
    abi: "1: this module's GEMMs use relaxed-SIMD FMA (the fast builds only)",
  },

  // ---- convolution and batch norm (assembly/conv.ts, batchnorm.ts; docs/ABI.md "Convolution", "Batch norm") ----
  {
    name: "conv2d_forward", source: "conv", builds: EXT, twin: true, split: "conv_images",
    params: "Y: ptr, X: ptr, W: ptr, b: ptr, scratch: ptr, geom: ptr, N: i32, act: i32, alpha: f32", returns: "void",
    abi: "Y[N,OH,OW,F] = act(conv(X[N,H,W,C], W[KH,KW,C,F]) + b[F]); geom i32[16]; scratch convScratchFloats",
  },
  {
    name: "conv2d_backward", source: "conv", builds: EXT, twin: true, split: "conv_backward", job: false,
    params: "dX: ptr, dW: ptr, db: ptr, dY: ptr, X: ptr, W: ptr, Y: ptr, scratch: ptr, geom: ptr, N: i32, act: i32, " +
      "alpha: f32",
    returns: "void",
    abi: "dY ← dZ = dY ⊙ act′(Y); db += Σ dZ; dW += im2col(X)ᵀ·dZ; dX = col2im(dZ·Wᵀ) unless dX = 0",
  },
  {
    name: "conv2d_transpose_forward", source: "conv", builds: EXT, twin: true, split: "conv_images",
    params: "Y: ptr, X: ptr, W: ptr, b: ptr, scratch: ptr, geom: ptr, N: i32, act: i32, alpha: f32", returns: "void",
    abi: "Y[N,OH,OW,F] = act(conv_transpose(X[N,H,W,C], W[C,KH,KW,F]) + b[F]); geom i32[16]",
  },
  {
    name: "conv2d_transpose_backward", source: "conv", builds: EXT, twin: true, split: "conv_transpose_backward",
    job: false,
    params: "dX: ptr, dW: ptr, db: ptr, dY: ptr, X: ptr, W: ptr, Y: ptr, scratch: ptr, geom: ptr, N: i32, act: i32, " +
      "alpha: f32",
    returns: "void",
    abi: "dY ← dZ = dY ⊙ act′(Y); db += Σ dZ; dW += Xᵀ·im2col(dZ); dX = im2col(dZ)·Wᵀ unless dX = 0",
  },
  {
    name: "batchnorm_forward_train", source: "batchnorm", builds: EXT, twin: true, split: "batchnorm_train_channels",
    params: "Y: ptr, mean: ptr, invstd: ptr, X: ptr, gamma: ptr, beta: ptr, rmean: ptr, rvar: ptr, R: i32, C: i32, " +
      "ld: i32, eps: f64, momentum: f64",
    returns: "void",
    abi: "batch statistics over R rows (f64 mean, invstd saved); y = (x − μ)·invstd·γ + β; running stats PyTorch-style",
  },
  {
    name: "batchnorm_forward_eval", source: "batchnorm", builds: EXT, twin: true, split: "batchnorm_rows",
    params: "Y: ptr, X: ptr, gamma: ptr, beta: ptr, rmean: ptr, rvar: ptr, R: i32, C: i32, ld: i32, eps: f64",
    returns: "void",
    abi: "y = (x − running_mean)/√(running_var + ε)·γ + β",
  },
  {
    name: "batchnorm_backward", source: "batchnorm", builds: EXT, twin: true, split: "batchnorm_backward_channels",
    params: "dX: ptr, dgamma: ptr, dbeta: ptr, dY: ptr, X: ptr, mean: ptr, invstd: ptr, gamma: ptr, R: i32, C: i32, " +
      "ld: i32",
    returns: "void",
    abi: "dβ += Σ dy; dγ += Σ dy·x̂; dX = γ·invstd·(dy − Σdy/R − x̂·Σ(dy·x̂)/R) unless dX = 0",
  },
  {
    name: "conv2d_backward_filter", source: "conv", builds: MT, twin: true, job: true,
    params: "dW: ptr, dZ: ptr, X: ptr, scratch: ptr, geom: ptr, N: i32, j0: i32, j1: i32", returns: "void",
    abi: "conv2d_backward's dW on output channels j0..j1 (dZ already formed)",
  },
  {
    name: "conv2d_backward_data", source: "conv", builds: MT, twin: true, job: true,
    params: "dX: ptr, dZ: ptr, W: ptr, scratch: ptr, geom: ptr, N: i32", returns: "void",
    abi: "conv2d_backward's dX = col2im(dZ·Wᵀ) on N images",
  },
  {
    name: "conv2d_transpose_backward_filter", source: "conv", builds: MT, twin: true, job: true,
    params: "dW: ptr, dZ: ptr, X: ptr, scratch: ptr, geom: ptr, N: i32, j0: i32, j1: i32", returns: "void",
    abi: "conv2d_transpose_backward's dW on columns j0..j1 of its [C, KH·KW·F] view (dZ already formed)",
  },
  {
    name: "conv2d_transpose_backward_data", source: "conv", builds: MT, twin: true, job: true,
    params: "dX: ptr, dZ: ptr, W: ptr, scratch: ptr, geom: ptr, N: i32", returns: "void",
    abi: "conv2d_transpose_backward's dX = im2col(dZ)·Wᵀ on N images",
  },

  // ---- the threads build adds (assembly/index-mt.ts): the parts of the hand-written splits ----
  {
    name: "dense_sparse_x_path", source: "dense", builds: MT,
    noTwin: "a density count deciding a path, exact in any build",
    params: "X: ptr, M: i32, K: i32, backward: i32", returns: "i32",
    abi: "1 if the sparse-input kernel (backward = 1: dense_backward_sparse_x) would take its sparse path on X",
  },
  {
    name: "dense_forward_sparse_x_path", source: "dense", builds: MT, twin: true, job: true,
    params: "Y: ptr, X: ptr, W: ptr, b: ptr, scratch: ptr, M: i32, K: i32, N: i32, act: i32, alpha: f32, sparse: i32",
    returns: "void",
    abi: "dense_forward_sparse_x with the path given (rows split by pointer offsets, own scratch per part)",
  },
  {
    name: "dense_backward_cols", source: "dense", builds: MT, twin: true, job: true,
    params: "dW: ptr, db: ptr, dY: ptr, X: ptr, Y: ptr, scratch: ptr, M: i32, K: i32, N: i32, n0: i32, n1: i32, " +
      "act: i32, alpha: f32, sparse: i32",
    returns: "void",
    abi: "on columns n0..n1: dZ = dY ⊙ act′(Y) in place, db += colsum(dZ), dW += Xᵀ·dZ",
  },
  {
    name: "dense_backward_input", source: "dense", builds: MT, twin: true, job: true,
    params: "dX: ptr, dY: ptr, W: ptr, M: i32, K: i32, N: i32", returns: "void",
    abi: "dX = dZ·Wᵀ (after every column range is done); rows by offsets",
  },
  {
    name: "dense_backward_dz_cols", source: "dense", builds: MT, twin: true, job: true,
    params: "db: ptr, dY: ptr, Y: ptr, M: i32, N: i32, n0: i32, n1: i32, act: i32, alpha: f32", returns: "void",
    abi: "dense_backward_cols without dW: dZ and db on columns n0..n1",
  },
  {
    name: "dense_backward_rows_sparse_x", source: "dense", builds: MT, twin: true, job: true,
    params: "dW: ptr, dZ: ptr, X: ptr, scratch: ptr, M: i32, K: i32, N: i32, k0: i32, k1: i32", returns: "void",
    abi: "dW += Xᵀ·dZ on rows k0..k1 (k0 a multiple of 4) by the zero-skipping path (scratch 5·M words)",
  },

  // ---- the test and bench build adds (assembly/testing.ts) ----
  {
    name: "gemm_nn_4x8_f32x4", source: "gemm", builds: TESTING, twin: "gemm_nn_scalar",
    params: "C: ptr, A: ptr, B: ptr, M: i32, K: i32, N: i32", returns: "void",
    abi: "C[M,N] = A[M,K]·B[K,N]",
  },
  {
    name: "gemm_tn_4x8_f32x4", source: "gemm", builds: TESTING, twin: "gemm_tn_scalar",
    params: "C: ptr, A: ptr, B: ptr, M: i32, K: i32, N: i32", returns: "void",
    abi: "C[K,N] += A[M,K]ᵀ·B[M,N]",
  },
  {
    name: "gemm_nt_f32x4", source: "gemm", builds: TESTING, twin: "gemm_nt_scalar",
    params: "C: ptr, A: ptr, B: ptr, M: i32, K: i32, N: i32", returns: "void",
    abi: "C[M,K] = A[M,N]·B[K,N]ᵀ",
  },
  {
    name: "vexp", source: "vmath", builds: TESTING, twin: true,
    params: "Y: ptr, X: ptr, n: i32", returns: "void",
    abi: "Y = exp(X) by the kernels' vector exp",
  },
  {
    name: "vlog1p", source: "vmath", builds: TESTING, twin: true,
    params: "Y: ptr, X: ptr, n: i32", returns: "void",
    abi: "Y = log(1 + X) by the kernels' vector log1p",
  },
  {
    name: "philox4x32_10", source: "random", builds: TESTING, noTwin: "scalar code (one block)",
    params: "out: ptr, c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32", returns: "void",
    abi: "the 4 raw u32 words of one Philox-4x32-10 block (known-answer tests)",
  },
  {
    name: "gemv_forward", source: "gemv", builds: TESTING, twin: true,
    params: "y: ptr, x: ptr, W: ptr, b: ptr, K: i32, N: i32, act: i32, alpha: f32", returns: "void",
    abi: "y[N] = act(x[K]·W[K,N] + b[N]) ≡ dense_forward with M = 1; act = −1: y = x·W, b unread",
  },
  // ---- parts (src/nn/parts.ts): named slices of a row, each with its own likelihood and a per-row presence mask
  //      (tabular columns, hybrid VAE parts); n parts of width w per call, losses/mask [B, lstride]
  {
    name: "parts_bernoulli_loss", source: "parts", builds: EXT, twin: true,
    params: "dout: ptr, losses: ptr, out: ptr, x: ptr, mask: ptr, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, " +
      "lstride: i32, scale: f64",
    returns: "void",
    abi: "losses[b,j] = mask ? Σ_d softplus(l) − x·l : 0 over part j's w logits; dout += scale·(sigmoid(l) − x) where present",
  },
  {
    name: "parts_gaussian_loss", source: "parts", builds: EXT, twin: true,
    params: "dout: ptr, dlogsigma: ptr, losses: ptr, out: ptr, x: ptr, logsigma: ptr, mask: ptr, B: i32, n: i32, " +
      "w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64",
    returns: "void",
    abi: "Gaussian parts, log σ[n·w]: losses[b,j] = mask ? Σ ½r² + log σ + ½log 2π : 0; dout += scale·(y − x)/σ²; dlogsigma += scale·(1 − r²) unless 0",
  },
  {
    name: "parts_laplace_loss", source: "parts", builds: EXT, twin: true,
    params: "dout: ptr, dlogscale: ptr, losses: ptr, out: ptr, x: ptr, logscale: ptr, mask: ptr, B: i32, n: i32, " +
      "w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64",
    returns: "void",
    abi: "Laplace parts, log b[n·w]: losses[b,j] = mask ? Σ |x − y|/b + log 2b : 0; dout += scale·sign(y − x)/b; dlogscale += scale·(1 − |x − y|/b) unless 0",
  },
  {
    name: "parts_cbernoulli_loss", source: "parts", builds: EXT, twin: true,
    params: "dout: ptr, losses: ptr, out: ptr, x: ptr, mask: ptr, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, " +
      "lstride: i32, scale: f64",
    returns: "void",
    abi: "continuous Bernoulli parts: losses[b,j] = mask ? Σ softplus(l) − x·l − log C(l) : 0; dout += scale·(E[x|l] − x)",
  },
  {
    name: "parts_poisson_loss", source: "parts", builds: EXT, twin: true,
    params: "dout: ptr, losses: ptr, out: ptr, x: ptr, mask: ptr, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, " +
      "lstride: i32, scale: f64",
    returns: "void",
    abi: "Poisson parts, log rates η: losses[b,j] = mask ? Σ e^η − x·η + log Γ(x + 1) : 0; dout += scale·(e^η − x)",
  },
  {
    name: "parts_negbinomial_loss", source: "parts", builds: EXT, twin: true,
    params: "dout: ptr, dlogdisp: ptr, losses: ptr, out: ptr, x: ptr, logdisp: ptr, mask: ptr, B: i32, n: i32, " +
      "w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64",
    returns: "void",
    abi: "negative binomial parts, log mean η, log dispersion s = log r [n·w]: losses[b,j] = mask ? Σ log Γ(r) − log Γ(x + r) + log Γ(x + 1) + (r + x)·log(r + e^η) − r·s − x·η : 0; dout += scale·((r + x)·σ(η − s) − x); dlogdisp += scale·∂/∂s unless 0",
  },
  {
    name: "parts_categorical_loss", source: "parts", builds: EXT,
    noTwin: "scalar code: a softmax in f64 over each part's few categories",
    params: "dout: ptr, losses: ptr, out: ptr, x: ptr, mask: ptr, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, " +
      "lstride: i32, scale: f64",
    returns: "void",
    abi: "categorical parts of w logits: losses[b,j] = mask ? Σ_c x_c·(logsumexp(l) − l_c) : 0; dout += scale·(softmax(l)·Σx − x)",
  },
  // ---- recurrent cells and sequence models (assembly/rnn.ts; EXT: dist/vaekit-ext.wasm, not the default entry) ----
  {
    name: "gru_cell_forward", source: "rnn", builds: EXT, twin: true,
    params: "h: ptr, gates: ptr, gi: ptr, gh: ptr, hprev: ptr, mask: ptr, B: i32, H: i32", returns: "void",
    abi: "GRU gates (r, z, n) of gi + gh (PyTorch's cell), h = n + z·(h₋ − n); rows with mask 0 copy h₋",
  },
  {
    name: "gru_cell_backward", source: "rnn", builds: EXT, twin: true,
    params: "dgi: ptr, dgh: ptr, dhprev: ptr, dh: ptr, gates: ptr, gh: ptr, hprev: ptr, mask: ptr, B: i32, H: i32",
    returns: "void",
    abi: "dgi, dgh = gradients of the GRU pre-activations (written); dhprev += z·dh (padded rows: += dh)",
  },
  {
    name: "lstm_cell_forward", source: "rnn", builds: EXT, twin: true,
    params: "h: ptr, c: ptr, gates: ptr, gi: ptr, gh: ptr, hprev: ptr, cprev: ptr, mask: ptr, B: i32, H: i32",
    returns: "void",
    abi: "LSTM gates (i, f, g, o) of gi + gh, c = f·c₋ + i·g, h = o·tanh(c); rows with mask 0 copy h₋, c₋",
  },
  {
    name: "lstm_cell_backward", source: "rnn", builds: EXT, twin: true,
    params: "dpre: ptr, dcprev: ptr, dhprev: ptr, dh: ptr, dc: ptr, gates: ptr, c: ptr, cprev: ptr, mask: ptr, B: i32, H: i32",
    returns: "void",
    abi: "dpre = gradient of the LSTM pre-activations (written); dcprev += f·dc_t; padded rows: dhprev += dh, dcprev += dc",
  },
  {
    name: "rows_concat", source: "rnn", builds: EXT, noTwin: "copies (memory.copy), no arithmetic",
    params: "out: ptr, a: ptr, b: ptr, rows: i32, ac: i32, bc: i32", returns: "void",
    abi: "out[rows, ac + bc] = [a | b] row by row",
  },
  {
    name: "rows_split_add", source: "rnn", builds: EXT, twin: true,
    params: "da: ptr, db: ptr, dout: ptr, rows: i32, ac: i32, bc: i32", returns: "void",
    abi: "da += dout[:, :ac], db += dout[:, ac:] (a pointer 0 is skipped)",
  },
  {
    name: "rows_mask", source: "rnn", builds: EXT, noTwin: "stores zeros, no arithmetic",
    params: "x: ptr, mask: ptr, rows: i32, cols: i32", returns: "void",
    abi: "x[r, :] = +0 where mask[r] = 0",
  },
  {
    name: "kl_gauss_loss", source: "rnn", builds: EXT, noTwin: "scalar code on vmath's exp_f32",
    params: "dq: ptr, dp: ptr, losses: ptr, q: ptr, p: ptr, mask: ptr, B: i32, L: i32, scale: f64", returns: "void",
    abi: "losses[b] = KL(N(q) ‖ N(p)), rows [μ | log σ²], f64 sums; dq, dp = scale·gradients unless dq = 0; mask 0: zeros",
  },
];

// `export function`s of assembly/ that are not kernels: helpers other kernel files import (exported for that only,
// never by a build). The generator refuses any other `export function` that is neither a kernel nor a twin above,
// so a kernel cannot be written and forgotten here.
export const INTERNAL = [
  "sx_at_most_nonzero", "sx_nn", "sx_nn_scalar", "sx_tn", "sx_tn_scalar", // sparse.ts, used by dense.ts
  "philox_block", "stream_block", "box_muller", // philox.ts, used by random.ts and noise.ts
];
