// loss: fused likelihood and KL terms — per-example losses and their gradients in one pass.
//
// Layout: inputs are [B, D] (or stats [B, 2L] = [μ | logσ²]); losses[B]; gradients like the input.
// A gradient pointer of 0 means "evaluation only": nothing is written there. `scale` (f64, rounded
// once to f32, or folded with the other f64 constants before rounding) multiplies every gradient.
//
// Reduction order (the same in the SIMD kernels and their `_scalar` twins, so both are
// bit-identical): each element's f32 term is widened to f64 and added to accumulator a[d mod 4]
// (d ascending); the row's sum is (a0 + a2) + (a1 + a3) in f64; constants are added in f64 and the
// result is rounded once to f32. The SIMD kernels keep a0..a3 in two f64x2 registers and finish the
// row's tail (D mod 4 elements) with the scalar helpers, which compute the same bits as the vector ones.
//
// Bernoulli from logits (x in [0, 1], not necessarily binary), stable for every finite logit:
//   t = exp(−|l|) ∈ (0, 1];  term = (𝟙[l > 0] − x)·l + log1p(t)   (= softplus(l) − x·l; writing
//   max(l,0) − x·l as (𝟙[l>0] − x)·l avoids cancelling two large products when x ≈ 1);
//   sigmoid(l) = (l ≥ 0 ? 1 : t) / (1 + t);  dlogits = (sigmoid(l) − x)·scale. log is never taken of 0.
// Gaussian (fixed σ):  diff = y − x;  losses = ½/σ²·Σ diff² + D·(log σ + ½ log 2π), the squares
//   taken in f64 (exact);  dy = diff·(scale/σ²).
// Laplace (fixed b):  losses = Σ|diff| / b + D·log(2b);  dy = sign(diff)·(scale/b) (0 at diff = 0,
//   NaN propagates).
// KL(N(μ, σ²) ‖ N(0, I)) with lv = logσ²:  losses = ½ Σ (μ² + E(lv)), E(lv) = e^lv − 1 − lv
//   (= −½ Σ (1 + lv − μ² − e^lv)); E is evaluated without cancellation: for |lv| < 1 as
//   lv²·Σ_{k=0..9} lv^k/(k+2)! (Horner), otherwise as (exp(lv) − 1) − lv.
//   dstats = [scale·μ | (½·scale)·(E(lv) + lv)]  (= scale·½(e^lv − 1), accurate near lv = 0); overwrites.
// (exp_f32x4, exp_f32, log1p_f32x4, log1p_f32 are vmath.ts's @global helpers.)

// @ts-ignore: decorator
@inline const HALF_LOG_2PI: f64 = 0.91893853320467274178;

// ---- shared scalar pieces (used by the scalar twins and by the SIMD kernels' row tails)

// @ts-ignore: decorator
@inline
function bern_term(l: f32, x: f32, t: f32): f32 {
  return (select<f32>(1.0, 0.0, l > 0) - x) * l + log1p_f32(t);
}

// @ts-ignore: decorator
@inline
function bern_grad(l: f32, x: f32, t: f32, sc: f32): f32 {
  const sig = select<f32>(1.0, t, l >= 0) / (1.0 + t);
  return (sig - x) * sc;
}

// @ts-ignore: decorator
@inline
function laplace_grad(diff: f32, g: f32): f32 {
  let r = select<f32>(g, select<f32>(-g, 0.0, diff < 0), diff > 0);
  return select<f32>(diff, r, diff != diff);
}

// @ts-ignore: decorator
@inline const E_C0: f32 = 0.5;
// @ts-ignore: decorator
@inline const E_C1: f32 = 0.16666666666666666;
// @ts-ignore: decorator
@inline const E_C2: f32 = 0.041666666666666664;
// @ts-ignore: decorator
@inline const E_C3: f32 = 0.008333333333333333;
// @ts-ignore: decorator
@inline const E_C4: f32 = 0.001388888888888889;
// @ts-ignore: decorator
@inline const E_C5: f32 = 0.0001984126984126984;
// @ts-ignore: decorator
@inline const E_C6: f32 = 0.0000248015873015873;
// @ts-ignore: decorator
@inline const E_C7: f32 = 0.0000027557319223985893;
// @ts-ignore: decorator
@inline const E_C8: f32 = 2.755731922398589e-7;
// @ts-ignore: decorator
@inline const E_C9: f32 = 2.505210838544172e-8;

/** e^x − 1 − x on four lanes, without cancellation near 0. */
// @ts-ignore: decorator
@inline
function expm1mx_f32x4(x: v128): v128 {
  let p = f32x4.add(f32x4.mul(f32x4.splat(E_C9), x), f32x4.splat(E_C8));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C7));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C6));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C5));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C4));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C3));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C2));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C1));
  p = f32x4.add(f32x4.mul(p, x), f32x4.splat(E_C0));
  const small = f32x4.mul(f32x4.mul(x, x), p);
  const big = f32x4.sub(f32x4.sub(exp_f32x4(x), f32x4.splat(1.0)), x);
  return v128.bitselect(small, big, f32x4.lt(f32x4.abs(x), f32x4.splat(1.0)));
}

/** Scalar twin of expm1mx_f32x4. */
// @ts-ignore: decorator
@inline
function expm1mx_f32(x: f32): f32 {
  let p = E_C9 * x + E_C8;
  p = p * x + E_C7;
  p = p * x + E_C6;
  p = p * x + E_C5;
  p = p * x + E_C4;
  p = p * x + E_C3;
  p = p * x + E_C2;
  p = p * x + E_C1;
  p = p * x + E_C0;
  const small = (x * x) * p;
  const big = (exp_f32(x) - 1.0) - x;
  return select<f32>(small, big, abs<f32>(x) < 1.0);
}

// ---- Bernoulli (logits)

export function bernoulli_logits_loss(dlogits: usize, losses: usize, logits: usize, x: usize, B: i32, D: i32, scale: f64): void {
  const sc = <f32>scale;
  const scv = f32x4.splat(sc);
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0.0);
  const row = <usize>D << 2;
  const D4 = <usize>(D & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const pl = logits + <usize>b * row;
    const px = x + <usize>b * row;
    const pg = dlogits + <usize>b * row;
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    let o: usize = 0;
    for (; o < D4; o += 16) {
      const l = v128.load(pl + o);
      const xv = v128.load(px + o);
      const t = exp_f32x4(f32x4.neg(f32x4.abs(l)));
      const pos = v128.and(f32x4.gt(l, zero), one);
      const term = f32x4.add(f32x4.mul(f32x4.sub(pos, xv), l), log1p_f32x4(t));
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(term));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(term, term, 2, 3, 2, 3)));
      if (dlogits) {
        const sig = f32x4.div(v128.bitselect(one, t, f32x4.ge(l, zero)), f32x4.add(one, t));
        v128.store(pg + o, f32x4.mul(f32x4.sub(sig, xv), scv));
      }
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < row; o += 4, lane++) {
      const l = load<f32>(pl + o);
      const xv = load<f32>(px + o);
      const t = exp_f32(-abs<f32>(l));
      const term = <f64>bern_term(l, xv, t);
      if (lane == 0) a0 += term;
      else if (lane == 1) a1 += term;
      else a2 += term;
      if (dlogits) store<f32>(pg + o, bern_grad(l, xv, t, sc));
    }
    store<f32>(losses + (<usize>b << 2), <f32>((a0 + a2) + (a1 + a3)));
  }
}

export function bernoulli_logits_loss_scalar(dlogits: usize, losses: usize, logits: usize, x: usize, B: i32, D: i32, scale: f64): void {
  const sc = <f32>scale;
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let d = 0; d < D; d++) {
      const i = (<usize>b * D + d) << 2;
      const l = load<f32>(logits + i);
      const xv = load<f32>(x + i);
      const t = exp_f32(-abs<f32>(l));
      const term = <f64>bern_term(l, xv, t);
      const lane = d & 3;
      if (lane == 0) a0 += term;
      else if (lane == 1) a1 += term;
      else if (lane == 2) a2 += term;
      else a3 += term;
      if (dlogits) store<f32>(dlogits + i, bern_grad(l, xv, t, sc));
    }
    store<f32>(losses + (<usize>b << 2), <f32>((a0 + a2) + (a1 + a3)));
  }
}

// ---- Gaussian (fixed σ) and Laplace (fixed b)

export function gaussian_loss(dy: usize, losses: usize, y: usize, x: usize, B: i32, D: i32, sigma: f64, scale: f64): void {
  const g = <f32>(scale / (sigma * sigma));
  const gv = f32x4.splat(g);
  const halfInvVar = 0.5 / (sigma * sigma);
  const cst = <f64>D * (Math.log(sigma) + HALF_LOG_2PI);
  const row = <usize>D << 2;
  const D4 = <usize>(D & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const py = y + <usize>b * row;
    const px = x + <usize>b * row;
    const pg = dy + <usize>b * row;
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    let o: usize = 0;
    for (; o < D4; o += 16) {
      const diff = f32x4.sub(v128.load(py + o), v128.load(px + o));
      const d01 = f64x2.promote_low_f32x4(diff);
      const d23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(diff, diff, 2, 3, 2, 3));
      acc01 = f64x2.add(acc01, f64x2.mul(d01, d01));
      acc23 = f64x2.add(acc23, f64x2.mul(d23, d23));
      if (dy) v128.store(pg + o, f32x4.mul(diff, gv));
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < row; o += 4, lane++) {
      const diff = load<f32>(py + o) - load<f32>(px + o);
      const dd = <f64>diff;
      if (lane == 0) a0 += dd * dd;
      else if (lane == 1) a1 += dd * dd;
      else a2 += dd * dd;
      if (dy) store<f32>(pg + o, diff * g);
    }
    store<f32>(losses + (<usize>b << 2), <f32>(((a0 + a2) + (a1 + a3)) * halfInvVar + cst));
  }
}

export function gaussian_loss_scalar(dy: usize, losses: usize, y: usize, x: usize, B: i32, D: i32, sigma: f64, scale: f64): void {
  const g = <f32>(scale / (sigma * sigma));
  const halfInvVar = 0.5 / (sigma * sigma);
  const cst = <f64>D * (Math.log(sigma) + HALF_LOG_2PI);
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let d = 0; d < D; d++) {
      const i = (<usize>b * D + d) << 2;
      const diff = load<f32>(y + i) - load<f32>(x + i);
      const dd = <f64>diff;
      const lane = d & 3;
      if (lane == 0) a0 += dd * dd;
      else if (lane == 1) a1 += dd * dd;
      else if (lane == 2) a2 += dd * dd;
      else a3 += dd * dd;
      if (dy) store<f32>(dy + i, diff * g);
    }
    store<f32>(losses + (<usize>b << 2), <f32>(((a0 + a2) + (a1 + a3)) * halfInvVar + cst));
  }
}

export function laplace_loss(dy: usize, losses: usize, y: usize, x: usize, B: i32, D: i32, b_scale: f64, scale: f64): void {
  const g = <f32>(scale / b_scale);
  const gv = f32x4.splat(g);
  const ngv = f32x4.splat(-g);
  const zero = f32x4.splat(0.0);
  const cst = <f64>D * Math.log(2.0 * b_scale);
  const row = <usize>D << 2;
  const D4 = <usize>(D & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const py = y + <usize>b * row;
    const px = x + <usize>b * row;
    const pg = dy + <usize>b * row;
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    let o: usize = 0;
    for (; o < D4; o += 16) {
      const diff = f32x4.sub(v128.load(py + o), v128.load(px + o));
      const ad = f32x4.abs(diff);
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(ad));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(ad, ad, 2, 3, 2, 3)));
      if (dy) {
        const s = v128.or(v128.and(f32x4.gt(diff, zero), gv), v128.and(f32x4.lt(diff, zero), ngv));
        v128.store(pg + o, v128.bitselect(diff, s, f32x4.ne(diff, diff)));
      }
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < row; o += 4, lane++) {
      const diff = load<f32>(py + o) - load<f32>(px + o);
      const ad = <f64>abs<f32>(diff);
      if (lane == 0) a0 += ad;
      else if (lane == 1) a1 += ad;
      else a2 += ad;
      if (dy) store<f32>(pg + o, laplace_grad(diff, g));
    }
    store<f32>(losses + (<usize>b << 2), <f32>(((a0 + a2) + (a1 + a3)) / b_scale + cst));
  }
}

export function laplace_loss_scalar(dy: usize, losses: usize, y: usize, x: usize, B: i32, D: i32, b_scale: f64, scale: f64): void {
  const g = <f32>(scale / b_scale);
  const cst = <f64>D * Math.log(2.0 * b_scale);
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let d = 0; d < D; d++) {
      const i = (<usize>b * D + d) << 2;
      const diff = load<f32>(y + i) - load<f32>(x + i);
      const ad = <f64>abs<f32>(diff);
      const lane = d & 3;
      if (lane == 0) a0 += ad;
      else if (lane == 1) a1 += ad;
      else if (lane == 2) a2 += ad;
      else a3 += ad;
      if (dy) store<f32>(dy + i, laplace_grad(diff, g));
    }
    store<f32>(losses + (<usize>b << 2), <f32>(((a0 + a2) + (a1 + a3)) / b_scale + cst));
  }
}

// ---- KL(N(μ, σ²) ‖ N(0, I))

export function kl_normal_loss(dstats: usize, losses: usize, stats: usize, B: i32, L: i32, scale: f64): void {
  const sc = <f32>scale;
  const hsc = <f32>(0.5 * scale);
  const scv = f32x4.splat(sc);
  const hscv = f32x4.splat(hsc);
  const rowL = <usize>L << 2;
  const L4 = <usize>(L & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const pm = stats + <usize>b * (rowL << 1);
    const pl = pm + rowL;
    const gm = dstats + <usize>b * (rowL << 1);
    const gl = gm + rowL;
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    let o: usize = 0;
    for (; o < L4; o += 16) {
      const mu = v128.load(pm + o);
      const lv = v128.load(pl + o);
      const e = expm1mx_f32x4(lv);
      const term = f32x4.add(f32x4.mul(mu, mu), e);
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(term));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(term, term, 2, 3, 2, 3)));
      if (dstats) {
        v128.store(gm + o, f32x4.mul(scv, mu));
        v128.store(gl + o, f32x4.mul(hscv, f32x4.add(e, lv)));
      }
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < rowL; o += 4, lane++) {
      const mu = load<f32>(pm + o);
      const lv = load<f32>(pl + o);
      const e = expm1mx_f32(lv);
      const term = <f64>(mu * mu + e);
      if (lane == 0) a0 += term;
      else if (lane == 1) a1 += term;
      else a2 += term;
      if (dstats) {
        store<f32>(gm + o, sc * mu);
        store<f32>(gl + o, hsc * (e + lv));
      }
    }
    store<f32>(losses + (<usize>b << 2), <f32>(0.5 * ((a0 + a2) + (a1 + a3))));
  }
}

export function kl_normal_loss_scalar(dstats: usize, losses: usize, stats: usize, B: i32, L: i32, scale: f64): void {
  const sc = <f32>scale;
  const hsc = <f32>(0.5 * scale);
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let d = 0; d < L; d++) {
      const im = (<usize>b * 2 * L + d) << 2;
      const il = (<usize>b * 2 * L + L + d) << 2;
      const mu = load<f32>(stats + im);
      const lv = load<f32>(stats + il);
      const e = expm1mx_f32(lv);
      const term = <f64>(mu * mu + e);
      const lane = d & 3;
      if (lane == 0) a0 += term;
      else if (lane == 1) a1 += term;
      else if (lane == 2) a2 += term;
      else a3 += term;
      if (dstats) {
        store<f32>(dstats + im, sc * mu);
        store<f32>(dstats + il, hsc * (e + lv));
      }
    }
    store<f32>(losses + (<usize>b << 2), <f32>(0.5 * ((a0 + a2) + (a1 + a3))));
  }
}
