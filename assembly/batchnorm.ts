// batchnorm.ts — batch normalisation over channels (PyTorch's BatchNorm2d / BatchNorm1d) on channels-last rows:
// X [R, C] with rows ld floats apart (ld ≥ C; ld > C runs a channel range of a wider tensor, which is how threads
// split it), R = N·H·W for images, R = N for dense features (H = W = 1). The contract: docs/ABI.md, "Batch norm".
//
// Arithmetic: statistics and every per-element formula in f64, rounded to f32 once per output:
//   training: mean = (Σ_r x) / R, var = (Σ_r (x − mean)²) / R (biased, two passes; sums from 0 in row order),
//             invstd = 1/√(var + ε); saved as f64 mean[C] and invstd[C] (8-byte elements) for the backward;
//             running_mean ← f32((1 − m)·running_mean + m·mean),
//             running_var  ← f32((1 − m)·running_var + m·var·R/(R − 1))   (unbiased; R = 1 uses var)
//             (PyTorch's momentum m; skipped when running_mean = 0);
//   y = f32((x − mean)·(invstd·γ) + β)   (γ = 1, β = 0 when their pointer is 0: affine = False);
//   eval: the same with running_mean, invstd = 1/√(running_var + ε);
//   backward: x̂ = (x − mean)·invstd, s1 = Σ dy, s2 = Σ dy·x̂ (f64, row order);
//             dβ += s1, dγ += s2 (each one f32 rounding of the f64 sum dβ + s1), and unless dX = 0
//             dX = f32(γ·invstd·(dy − s1/R − x̂·s2/R)).
// SIMD: two channels per f64x2 (lane i ≡ the scalar code on channel i), the odd last channel scalar; each `_scalar`
// twin runs the same f64 operations one channel at a time: bit-identical, and independent of how channels are split.

// @ts-ignore: decorator
@inline
function ld_f32x2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

// @ts-ignore: decorator
@inline
function st_f32x2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** Per-channel mean and biased variance of two channels at X (f64x2). */
// @ts-ignore: decorator
@inline
function stats2(X: usize, R: i32, ldb: usize): v128 {
  let s = f64x2.splat(0);
  let p = X;
  for (let r = 0; r < R; r++) { s = f64x2.add(s, ld_f32x2(p)); p += ldb; }
  return f64x2.div(s, f64x2.splat(<f64>R));
}

// @ts-ignore: decorator
@inline
function var2(X: usize, mean: v128, R: i32, ldb: usize): v128 {
  let s = f64x2.splat(0);
  let p = X;
  for (let r = 0; r < R; r++) {
    const d = f64x2.sub(ld_f32x2(p), mean);
    s = f64x2.add(s, f64x2.mul(d, d));
    p += ldb;
  }
  return f64x2.div(s, f64x2.splat(<f64>R));
}

// @ts-ignore: decorator
@inline
function mean1(X: usize, R: i32, ldb: usize): f64 {
  let s: f64 = 0;
  let p = X;
  for (let r = 0; r < R; r++) { s += <f64>load<f32>(p); p += ldb; }
  return s / <f64>R;
}

// @ts-ignore: decorator
@inline
function var1(X: usize, mean: f64, R: i32, ldb: usize): f64 {
  let s: f64 = 0;
  let p = X;
  for (let r = 0; r < R; r++) { const d = <f64>load<f32>(p) - mean; s += d * d; p += ldb; }
  return s / <f64>R;
}

// @ts-ignore: decorator
@inline
function gamma_at(gamma: usize, c: i32): f64 { return gamma == 0 ? 1 : <f64>load<f32>(gamma + (<usize>c << 2)); }
// @ts-ignore: decorator
@inline
function beta_at(beta: usize, c: i32): f64 { return beta == 0 ? 0 : <f64>load<f32>(beta + (<usize>c << 2)); }

/** y = f32((x − mean)·scale + shift) down the rows of one channel (scalar) or two (f64x2). */
// @ts-ignore: decorator
@inline
function apply1(Y: usize, X: usize, mean: f64, scale: f64, shift: f64, R: i32, ldb: usize): void {
  let px = X, py = Y;
  for (let r = 0; r < R; r++) {
    store<f32>(py, <f32>((<f64>load<f32>(px) - mean) * scale + shift));
    px += ldb; py += ldb;
  }
}

// @ts-ignore: decorator
@inline
function apply2(Y: usize, X: usize, mean: v128, scale: v128, shift: v128, R: i32, ldb: usize): void {
  let px = X, py = Y;
  for (let r = 0; r < R; r++) {
    st_f32x2(py, f64x2.add(f64x2.mul(f64x2.sub(ld_f32x2(px), mean), scale), shift));
    px += ldb; py += ldb;
  }
}

// @ts-ignore: decorator
@inline
function bn_train(Y: usize, mean: usize, invstd: usize, X: usize, gamma: usize, beta: usize, rmean: usize,
                  rvar: usize, R: i32, C: i32, ld: i32, eps: f64, momentum: f64, simd: bool): void {
  const ldb = <usize>ld << 2;
  const unb: f64 = R > 1 ? <f64>R / <f64>(R - 1) : 1;
  let c = 0;
  if (simd) for (; c + 2 <= C; c += 2) {
    const o = <usize>c << 2, o8 = <usize>c << 3;
    const m = stats2(X + o, R, ldb);
    const v = var2(X + o, m, R, ldb);
    const inv = f64x2.div(f64x2.splat(1), f64x2.sqrt(f64x2.add(v, f64x2.splat(eps))));
    v128.store(mean + o8, m);
    v128.store(invstd + o8, inv);
    const gm = f64x2.replace_lane(f64x2.splat(gamma_at(gamma, c)), 1, gamma_at(gamma, c + 1));
    const bt = f64x2.replace_lane(f64x2.splat(beta_at(beta, c)), 1, beta_at(beta, c + 1));
    apply2(Y + o, X + o, m, f64x2.mul(inv, gm), bt, R, ldb);
    if (rmean != 0) {
      const mo = f64x2.splat(momentum), keep = f64x2.splat(1 - momentum);
      st_f32x2(rmean + o, f64x2.add(f64x2.mul(keep, ld_f32x2(rmean + o)), f64x2.mul(mo, m)));
      st_f32x2(rvar + o, f64x2.add(f64x2.mul(keep, ld_f32x2(rvar + o)), f64x2.mul(mo, f64x2.mul(v, f64x2.splat(unb)))));
    }
  }
  for (; c < C; c++) {
    const o = <usize>c << 2, o8 = <usize>c << 3;
    const m = mean1(X + o, R, ldb);
    const v = var1(X + o, m, R, ldb);
    const inv = <f64>1 / sqrt<f64>(v + eps);
    store<f64>(mean + o8, m);
    store<f64>(invstd + o8, inv);
    apply1(Y + o, X + o, m, inv * gamma_at(gamma, c), beta_at(beta, c), R, ldb);
    if (rmean != 0) {
      store<f32>(rmean + o, <f32>((1 - momentum) * <f64>load<f32>(rmean + o) + momentum * m));
      store<f32>(rvar + o, <f32>((1 - momentum) * <f64>load<f32>(rvar + o) + momentum * (v * unb)));
    }
  }
}

export function batchnorm_forward_train(Y: usize, mean: usize, invstd: usize, X: usize, gamma: usize, beta: usize,
                                        rmean: usize, rvar: usize, R: i32, C: i32, ld: i32, eps: f64,
                                        momentum: f64): void {
  // Y [R, ld] (written, columns 0..C), mean, invstd f64[C] (written), X [R, ld], gamma, beta [C] (0: 1 and 0),
  // rmean, rvar [C] (updated unless rmean == 0). Batch statistics over the R rows.
  bn_train(Y, mean, invstd, X, gamma, beta, rmean, rvar, R, C, ld, eps, momentum, true);
}

export function batchnorm_forward_train_scalar(Y: usize, mean: usize, invstd: usize, X: usize, gamma: usize,
                                               beta: usize, rmean: usize, rvar: usize, R: i32, C: i32, ld: i32,
                                               eps: f64, momentum: f64): void {
  // Same arguments. Bit-identical to batchnorm_forward_train.
  bn_train(Y, mean, invstd, X, gamma, beta, rmean, rvar, R, C, ld, eps, momentum, false);
}

// @ts-ignore: decorator
@inline
function bn_eval(Y: usize, X: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize, R: i32, C: i32, ld: i32,
                 eps: f64, simd: bool): void {
  const ldb = <usize>ld << 2;
  let c = 0;
  if (simd) for (; c + 2 <= C; c += 2) {
    const o = <usize>c << 2;
    const m = ld_f32x2(rmean + o);
    const inv = f64x2.div(f64x2.splat(1), f64x2.sqrt(f64x2.add(ld_f32x2(rvar + o), f64x2.splat(eps))));
    const gm = f64x2.replace_lane(f64x2.splat(gamma_at(gamma, c)), 1, gamma_at(gamma, c + 1));
    const bt = f64x2.replace_lane(f64x2.splat(beta_at(beta, c)), 1, beta_at(beta, c + 1));
    apply2(Y + o, X + o, m, f64x2.mul(inv, gm), bt, R, ldb);
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    const inv = <f64>1 / sqrt<f64>(<f64>load<f32>(rvar + o) + eps);
    apply1(Y + o, X + o, <f64>load<f32>(rmean + o), inv * gamma_at(gamma, c), beta_at(beta, c), R, ldb);
  }
}

export function batchnorm_forward_eval(Y: usize, X: usize, gamma: usize, beta: usize, rmean: usize, rvar: usize,
                                       R: i32, C: i32, ld: i32, eps: f64): void {
  // Y [R, ld] (written, columns 0..C), X [R, ld], gamma, beta [C] (0: 1 and 0), rmean, rvar [C]: the running
  // statistics normalise.
  bn_eval(Y, X, gamma, beta, rmean, rvar, R, C, ld, eps, true);
}

export function batchnorm_forward_eval_scalar(Y: usize, X: usize, gamma: usize, beta: usize, rmean: usize,
                                              rvar: usize, R: i32, C: i32, ld: i32, eps: f64): void {
  // Same arguments. Bit-identical to batchnorm_forward_eval.
  bn_eval(Y, X, gamma, beta, rmean, rvar, R, C, ld, eps, false);
}

// @ts-ignore: decorator
@inline
function bn_backward(dX: usize, dgamma: usize, dbeta: usize, dY: usize, X: usize, mean: usize, invstd: usize,
                     gamma: usize, R: i32, C: i32, ld: i32, simd: bool): void {
  const ldb = <usize>ld << 2;
  const rR: f64 = <f64>1 / <f64>R;
  let c = 0;
  if (simd) for (; c + 2 <= C; c += 2) {
    const o = <usize>c << 2, o8 = <usize>c << 3;
    const m = v128.load(mean + o8), inv = v128.load(invstd + o8);
    let s1 = f64x2.splat(0), s2 = f64x2.splat(0);
    let px = X + o, pd = dY + o;
    for (let r = 0; r < R; r++) {
      const dy = ld_f32x2(pd);
      s1 = f64x2.add(s1, dy);
      s2 = f64x2.add(s2, f64x2.mul(dy, f64x2.mul(f64x2.sub(ld_f32x2(px), m), inv)));
      px += ldb; pd += ldb;
    }
    if (dbeta != 0) st_f32x2(dbeta + o, f64x2.add(ld_f32x2(dbeta + o), s1));
    if (dgamma != 0) st_f32x2(dgamma + o, f64x2.add(ld_f32x2(dgamma + o), s2));
    if (dX != 0) {
      const gm = f64x2.replace_lane(f64x2.splat(gamma_at(gamma, c)), 1, gamma_at(gamma, c + 1));
      const k = f64x2.mul(gm, inv);
      const a = f64x2.mul(s1, f64x2.splat(rR)), bq = f64x2.mul(s2, f64x2.splat(rR));
      px = X + o; pd = dY + o;
      let pdx = dX + o;
      for (let r = 0; r < R; r++) {
        const xh = f64x2.mul(f64x2.sub(ld_f32x2(px), m), inv);
        st_f32x2(pdx, f64x2.mul(k, f64x2.sub(f64x2.sub(ld_f32x2(pd), a), f64x2.mul(xh, bq))));
        px += ldb; pd += ldb; pdx += ldb;
      }
    }
  }
  for (; c < C; c++) {
    const o = <usize>c << 2, o8 = <usize>c << 3;
    const m = load<f64>(mean + o8), inv = load<f64>(invstd + o8);
    let s1: f64 = 0, s2: f64 = 0;
    let px = X + o, pd = dY + o;
    for (let r = 0; r < R; r++) {
      const dy = <f64>load<f32>(pd);
      s1 += dy;
      s2 += dy * ((<f64>load<f32>(px) - m) * inv);
      px += ldb; pd += ldb;
    }
    if (dbeta != 0) store<f32>(dbeta + o, <f32>(<f64>load<f32>(dbeta + o) + s1));
    if (dgamma != 0) store<f32>(dgamma + o, <f32>(<f64>load<f32>(dgamma + o) + s2));
    if (dX != 0) {
      const k = gamma_at(gamma, c) * inv;
      const a = s1 * rR, bq = s2 * rR;
      px = X + o; pd = dY + o;
      let pdx = dX + o;
      for (let r = 0; r < R; r++) {
        const xh = (<f64>load<f32>(px) - m) * inv;
        store<f32>(pdx, <f32>(k * ((<f64>load<f32>(pd) - a) - xh * bq)));
        px += ldb; pd += ldb; pdx += ldb;
      }
    }
  }
}

export function batchnorm_backward(dX: usize, dgamma: usize, dbeta: usize, dY: usize, X: usize, mean: usize,
                                   invstd: usize, gamma: usize, R: i32, C: i32, ld: i32): void {
  // dX [R, ld] (written unless dX == 0), dgamma, dbeta [C] (+= unless 0), dY, X [R, ld], mean, invstd f64[C] (from
  // batchnorm_forward_train), gamma [C] (0: 1). The gradient through the batch statistics (training mode).
  bn_backward(dX, dgamma, dbeta, dY, X, mean, invstd, gamma, R, C, ld, true);
}

export function batchnorm_backward_scalar(dX: usize, dgamma: usize, dbeta: usize, dY: usize, X: usize, mean: usize,
                                          invstd: usize, gamma: usize, R: i32, C: i32, ld: i32): void {
  // Same arguments. Bit-identical to batchnorm_backward.
  bn_backward(dX, dgamma, dbeta, dY, X, mean, invstd, gamma, R, C, ld, false);
}
