// cbernoulli: the continuous Bernoulli likelihood (Loaiza-Ganem & Cunningham, 2019) from logits, fused
// loss and gradient, and the distribution's mean.
//
// With natural parameter l (the logit, λ = sigmoid(l)) and x ∈ [0, 1]:
//   p(x | l) = C(l)·λ^x·(1 − λ)^(1−x),   C(l) = l / tanh(l/2)   (C(0) = 2),
//   −log p(x | l) = softplus(l) − x·l − log C(l).
// Since softplus(l) = l/2 + log(2·cosh(l/2)) and log C = log l − log sinh(l/2) + log cosh(l/2), this is
//   −log p(x | l) = (½ − x)·l + S(l),   S(l) = log(sinh(u)/u), u = l/2   (S even, S ≥ 0, S(0) = 0),
// and its derivative (the mean minus x, as for any exponential family) is
//   d/dl = sigmoid(l) − x − (1/l − 1/sinh l) = (½ − x) + S'(l),   S'(l) = ½·coth(l/2) − 1/l,
//   E[x | l] = ½ + S'(l) = 1/(1 − e^(−l)) − 1/l   (= λ/(2λ − 1) + 1/(2·artanh(1 − 2λ)); → ½ at l = 0).
//
// Evaluation in f32 (a = |l|, t = exp(−a), v = u² = (l/2)², H = 𝟙[l > 0]):
//   loss term, a < 4:   (½ − x)·l + log1p(q),  q = sinh(u)/u − 1 = Σ_{k=1..6} v^k/(2k+1)!  (Horner; positive
//                       terms, no cancellation; truncation < 2e-9 relative at a = 4)
//   loss term, a ≥ 4:   (H − x)·l + (log1p(−t) − log a)   (the (½ − x)·l + a/2 of S regrouped as Bernoulli's
//                       (H − x)·l, so a large logit with x near H loses nothing; log a = log1p(a − 1), and
//                       a − 1 is exact for a ∈ [2, 2²⁴])
//   derivative, a < 2.5: (½ − x) + l·G(v),  G(v) = Σ_{n=1..9} 2^(2n)·B_2n / (4·(2n)!)·v^(n−1)
//                       (the series of ½(coth u − 1/u)/u; truncation < 1e-9 relative at a = 2.5)
//   derivative, a ≥ 2.5: ((H − x) − 1/l) + sign(l)·t/(1 − t)
// Both branches are computed and blended lane by lane (selects), so SIMD lanes and the scalar helpers
// perform the same f32 operations; the switch points keep both sides within ~2.5 ulp of the float64 value
// of S and S' (measured in test/kernels/cbernoulli.test.ts). For |l| ≥ 4 nothing overflows up to |l| = FLT_MAX.
// Reduction order of losses[b]: as loss.ts (f64 accumulator per d mod 4, (a0 + a2) + (a1 + a3), rounded once).
// (exp_f32x4, exp_f32, log1p_f32x4, log1p_f32 are vmath.ts's @global helpers; the four cb_ helpers are @global
// too, for parts.ts's continuous Bernoulli parts.)

// @ts-ignore: decorator
@inline const T_LOSS: f32 = 4.0;
// @ts-ignore: decorator
@inline const T_GRAD: f32 = 2.5;

// q-series: 1/(2k+1)!, k = 1..6
// @ts-ignore: decorator
@inline const Q1: f32 = 0.16666666666666666;
// @ts-ignore: decorator
@inline const Q2: f32 = 0.008333333333333333;
// @ts-ignore: decorator
@inline const Q3: f32 = 0.0001984126984126984;
// @ts-ignore: decorator
@inline const Q4: f32 = 0.0000027557319223985893;
// @ts-ignore: decorator
@inline const Q5: f32 = 2.505210838544172e-8;
// @ts-ignore: decorator
@inline const Q6: f32 = 1.6059043836821613e-10;

// G-series: 2^(2n)·B_2n / (4·(2n)!), n = 1..9
// @ts-ignore: decorator
@inline const G1: f32 = 0.08333333333333333;
// @ts-ignore: decorator
@inline const G2: f32 = -0.005555555555555556;
// @ts-ignore: decorator
@inline const G3: f32 = 0.000529100529100529;
// @ts-ignore: decorator
@inline const G4: f32 = -0.00005291005291005291;
// @ts-ignore: decorator
@inline const G5: f32 = 0.000005344449788894234;
// @ts-ignore: decorator
@inline const G6: f32 = -5.411010702015993e-7;
// @ts-ignore: decorator
@inline const G7: f32 = 5.481486962968445e-8;
// @ts-ignore: decorator
@inline const G8: f32 = -5.5536521974949195e-9;
// @ts-ignore: decorator
@inline const G9: f32 = 5.626961629202249e-10;

// ---- four lanes

/** −log p(x | l) on four lanes (t = exp(−|l|)). */
// @ts-ignore: decorator
@global @inline
function cb_term_f32x4(l: v128, x: v128, t: v128): v128 {
  const one = f32x4.splat(1.0);
  const a = f32x4.abs(l);
  const u = f32x4.mul(l, f32x4.splat(0.5));
  const v = f32x4.mul(u, u);
  let p = f32x4.add(f32x4.mul(f32x4.splat(Q6), v), f32x4.splat(Q5));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(Q4));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(Q3));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(Q2));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(Q1));
  const q = f32x4.mul(v, p);
  const small = f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(0.5), x), l), log1p_f32x4(q));
  const h = v128.and(f32x4.gt(l, f32x4.splat(0.0)), one);
  const n = f32x4.sub(log1p_f32x4(f32x4.neg(t)), log1p_f32x4(f32x4.sub(a, one)));
  const large = f32x4.add(f32x4.mul(f32x4.sub(h, x), l), n);
  return v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(T_LOSS)));
}

/** E[x | l] − x on four lanes (t = exp(−|l|)); the loss derivative before the scale. */
// @ts-ignore: decorator
@global @inline
function cb_dmean_f32x4(l: v128, x: v128, t: v128): v128 {
  const one = f32x4.splat(1.0);
  const a = f32x4.abs(l);
  const u = f32x4.mul(l, f32x4.splat(0.5));
  const v = f32x4.mul(u, u);
  let p = f32x4.add(f32x4.mul(f32x4.splat(G9), v), f32x4.splat(G8));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G7));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G6));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G5));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G4));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G3));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G2));
  p = f32x4.add(f32x4.mul(p, v), f32x4.splat(G1));
  const small = f32x4.add(f32x4.sub(f32x4.splat(0.5), x), f32x4.mul(l, p));
  const h = v128.and(f32x4.gt(l, f32x4.splat(0.0)), one);
  const r = f32x4.div(t, f32x4.sub(one, t));
  const sr = v128.or(r, v128.and(l, f32x4.splat(-0.0))); // copysign(r, l), r ≥ 0
  const large = f32x4.add(f32x4.sub(f32x4.sub(h, x), f32x4.div(one, l)), sr);
  return v128.bitselect(small, large, f32x4.lt(a, f32x4.splat(T_GRAD)));
}

// ---- scalar twins (same f32 operations, lane by lane)

// @ts-ignore: decorator
@global @inline
function cb_term(l: f32, x: f32, t: f32): f32 {
  const a = abs<f32>(l);
  const u = l * 0.5;
  const v = u * u;
  let p = Q6 * v + Q5;
  p = p * v + Q4;
  p = p * v + Q3;
  p = p * v + Q2;
  p = p * v + Q1;
  const q = v * p;
  const small = (<f32>0.5 - x) * l + log1p_f32(q);
  const h = select<f32>(1.0, 0.0, l > 0);
  const n = log1p_f32(-t) - log1p_f32(a - 1.0);
  const large = (h - x) * l + n;
  return select<f32>(small, large, a < T_LOSS);
}

// @ts-ignore: decorator
@global @inline
function cb_dmean(l: f32, x: f32, t: f32): f32 {
  const a = abs<f32>(l);
  const u = l * 0.5;
  const v = u * u;
  let p = G9 * v + G8;
  p = p * v + G7;
  p = p * v + G6;
  p = p * v + G5;
  p = p * v + G4;
  p = p * v + G3;
  p = p * v + G2;
  p = p * v + G1;
  const small = (<f32>0.5 - x) + l * p;
  const h = select<f32>(1.0, 0.0, l > 0);
  const r = t / (<f32>1.0 - t);
  const sr = copysign<f32>(r, l);
  const large = ((h - x) - <f32>1.0 / l) + sr;
  return select<f32>(small, large, a < T_GRAD);
}

// ---- kernels

export function continuous_bernoulli_loss(dlogits: usize, losses: usize, logits: usize, x: usize, B: i32, D: i32, scale: f64): void {
  // dlogits [B,D] (written unless 0), losses [B] (written), logits [B,D], x [B,D] in [0, 1].
  // losses[b] = Σ_d −log CB(x | l);  dlogits = scale·(E[x | l] − x).
  const sc = <f32>scale;
  const scv = f32x4.splat(sc);
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
      const term = cb_term_f32x4(l, xv, t);
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(term));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(term, term, 2, 3, 2, 3)));
      if (dlogits) v128.store(pg + o, f32x4.mul(cb_dmean_f32x4(l, xv, t), scv));
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < row; o += 4, lane++) {
      const l = load<f32>(pl + o);
      const xv = load<f32>(px + o);
      const t = exp_f32(-abs<f32>(l));
      const term = <f64>cb_term(l, xv, t);
      if (lane == 0) a0 += term;
      else if (lane == 1) a1 += term;
      else a2 += term;
      if (dlogits) store<f32>(pg + o, cb_dmean(l, xv, t) * sc);
    }
    store<f32>(losses + (<usize>b << 2), <f32>((a0 + a2) + (a1 + a3)));
  }
}

export function continuous_bernoulli_loss_scalar(dlogits: usize, losses: usize, logits: usize, x: usize, B: i32, D: i32, scale: f64): void {
  // dlogits [B,D] (written unless 0), losses [B] (written), logits [B,D], x [B,D]. Bit-identical to the SIMD kernel.
  const sc = <f32>scale;
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let d = 0; d < D; d++) {
      const i = (<usize>b * D + d) << 2;
      const l = load<f32>(logits + i);
      const xv = load<f32>(x + i);
      const t = exp_f32(-abs<f32>(l));
      const term = <f64>cb_term(l, xv, t);
      const lane = d & 3;
      if (lane == 0) a0 += term;
      else if (lane == 1) a1 += term;
      else if (lane == 2) a2 += term;
      else a3 += term;
      if (dlogits) store<f32>(dlogits + i, cb_dmean(l, xv, t) * sc);
    }
    store<f32>(losses + (<usize>b << 2), <f32>((a0 + a2) + (a1 + a3)));
  }
}

export function cbernoulli_mean(out: usize, logits: usize, n: i32): void {
  // out [n] (written), logits [n]: out = E[x | l] = 1/(1 − e^(−l)) − 1/l (½ at l = 0). out may alias logits.
  const zero = f32x4.splat(0.0);
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) {
    const l = v128.load(logits + o);
    v128.store(out + o, cb_dmean_f32x4(l, zero, exp_f32x4(f32x4.neg(f32x4.abs(l)))));
  }
  const tail = <usize>n << 2;
  for (; o < tail; o += 4) {
    const l = load<f32>(logits + o);
    store<f32>(out + o, cb_dmean(l, 0.0, exp_f32(-abs<f32>(l))));
  }
}

export function cbernoulli_mean_scalar(out: usize, logits: usize, n: i32): void {
  // out [n] (written), logits [n]. Bit-identical to cbernoulli_mean.
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const l = load<f32>(logits + o);
    store<f32>(out + o, cb_dmean(l, 0.0, exp_f32(-abs<f32>(l))));
  }
}
