// parts: likelihoods of named parts of a row, each a slice with its own likelihood, with a per-row presence mask
// (tabular columns, the parts of a hybrid VAE).
//
// One call scores n adjacent parts of width w each (same kind) over B rows. With pointers already at the first
// part's first element and strides in elements:
//   part j of row b   = out[b·ostride + j·w + d] against x[b·xstride + j·w + d], d < w,
//   losses[b·lstride + j] = −log p(part j of row b)   (written),
//   mask[b·lstride + j]   = presence: ≠ 0 present, 0 missing (mask pointer 0: every part present).
// A missing part's loss is +0 and it adds nothing to any gradient (its x may be NaN or anything else).
// dout (unless 0) ACCUMULATES scale·∂loss/∂out (the tape zeroes it first: see src/nn/parts.ts); learned
// per-element log scales (Gaussian log σ, Laplace log b) accumulate scale·∂loss/∂s into dpar unless it is 0,
// one f32 addition per present row, b ascending.
//
// Element terms in f32 (diff = out − x):
//   Bernoulli (logits l, x ∈ [0, 1]): t = e^(−|l|), (𝟙[l > 0] − x)·l + log1p(t); ∂ = sigmoid(l) − x (as loss.ts).
//   Gaussian (mean y, log σ = s): q = diff·(diff·e^(−2s)), ½·q + (s + ½ log 2π); ∂y = diff·e^(−2s);
//     ∂s = 1 − q.  (A fixed σ is a constant s with dpar = 0.)
//   Laplace (location y, log b = s): a = |diff|·e^(−s), a + (s + log 2); ∂y = sign(diff)·e^(−s) (0 at diff = 0);
//     ∂s = 1 − a.
//   continuous Bernoulli (logits, x ∈ [0, 1]): cbernoulli.ts's cb_term / cb_dmean.
//   Poisson (log rate η, x a count ≥ 0): e^η − x·η + log Γ(x + 1); ∂η = e^η − x. log Γ(x + 1) is computed in f64
//     (upward recurrence to 8, then Stirling's series with four terms: error < 1e-12 there) and rounded to f32.
//   negative binomial (log mean η, log dispersion s = log r, x a count ≥ 0; mean μ = e^η, variance μ + μ²/r), in
//     f64 and rounded to f32 once: with ℓ = log(r + μ) = max(s, η) + log1p(e^(−|s − η|)),
//     log Γ(r) − log Γ(x + r) + log Γ(x + 1) + (r + x)·ℓ − r·s − x·η;  ∂η = (r + x)·σ(η − s) − x;
//     ∂s = r·(ψ(r) − ψ(x + r) + ℓ + (r + x)/(r + μ) − s − 1). log Γ as log_factorial's series, ψ by the upward
//     recurrence to 8 and its asymptotic series (error < 1e-12 there). The four-lane helpers call the scalar ones
//     per lane (the terms are f64), so the SIMD kernel and its twin agree bit for bit.
// A part's loss is the f64 sum of its w element terms in d order, rounded once to f32 (for w = 1, the term).
// The SIMD kernels take four parts at a time when w = 1 (a table's columns), four elements of one part at a time
// otherwise (their lanes added in order); lane i computes the bits of the scalar helper on element i, so every
// `_scalar` twin is bit-identical.
// Categorical (parts_categorical_loss, scalar code): the w logits of a part are a softmax over its categories,
//   x the part's one-hot (or any non-negative weights); in f64: m = max l, lse = m + log Σ e^(l − m),
//   loss = Σ x_c·(lse − l_c), ∂l_c = e^(l_c − lse)·Σx − x_c.
// (exp_f32x4, exp_f32, log1p_f32x4, log1p_f32 are vmath.ts's, cb_term_f32x4 … cb_dmean cbernoulli.ts's @global
// helpers.)

// @ts-ignore: decorator
@inline const K_BERN: i32 = 0;
// @ts-ignore: decorator
@inline const K_GAUSS: i32 = 1;
// @ts-ignore: decorator
@inline const K_LAPLACE: i32 = 2;
// @ts-ignore: decorator
@inline const K_CB: i32 = 3;
// @ts-ignore: decorator
@inline const K_POISSON: i32 = 4;
// @ts-ignore: decorator
@inline const K_NB: i32 = 5;

// @ts-ignore: decorator
@inline const HALF_LOG_2PI_F32: f32 = 0.91893853320467274178;
// @ts-ignore: decorator
@inline const LOG_2_F32: f32 = 0.69314718055994530942;

/** log Γ(x + 1) for x ≥ 0 in f64. */
function log_factorial(x: f64): f64 {
  let z = x + 1.0;
  let acc: f64 = 0;
  while (z < 8.0) {
    acc -= Math.log(z);
    z += 1.0;
  }
  const iz = 1.0 / z;
  const iz2 = iz * iz;
  const series = iz * (0.08333333333333333 - iz2 * (0.002777777777777778 - iz2 * (0.0007936507936507937 - iz2 * 0.0005952380952380953)));
  return acc + (z - 0.5) * Math.log(z) - z + 0.91893853320467274178 + series;
}

/** ψ(z), the digamma function, for z > 0 in f64. */
function digamma(z: f64): f64 {
  let acc: f64 = 0;
  while (z < 8.0) {
    acc -= 1.0 / z;
    z += 1.0;
  }
  const iz = 1.0 / z;
  const iz2 = iz * iz;
  return acc + Math.log(z) - 0.5 * iz - iz2 * (0.08333333333333333 - iz2 * (0.008333333333333333 - iz2 * (0.003968253968253968 - iz2 * 0.004166666666666667)));
}

/** log(e^a + e^b) in f64. */
// @ts-ignore: decorator
@inline
function log_add_exp(a: f64, b: f64): f64 {
  return max<f64>(a, b) + Math.log1p(Math.exp(-abs<f64>(a - b)));
}

function nb_term(l: f32, x: f32, s: f32): f32 {
  const eta = <f64>l, xs = <f64>x, ls = <f64>s;
  const r = Math.exp(ls);
  const lrm = log_add_exp(ls, eta);
  return <f32>(log_factorial(r - 1.0) - log_factorial(xs + r - 1.0) + log_factorial(xs) + (r + xs) * lrm - r * ls - xs * eta);
}

function nb_grad(l: f32, x: f32, s: f32): f32 {
  const xs = <f64>x, ls = <f64>s;
  const r = Math.exp(ls);
  return <f32>((r + xs) / (1.0 + Math.exp(ls - <f64>l)) - xs);
}

function nb_dscale(l: f32, x: f32, s: f32): f32 {
  const eta = <f64>l, xs = <f64>x, ls = <f64>s;
  const r = Math.exp(ls);
  const lrm = log_add_exp(ls, eta);
  // (r + x)/(r + μ) = (r + x)·e^(−ℓ)
  return <f32>(r * (digamma(r) - digamma(xs + r) + lrm + (r + xs) * Math.exp(-lrm) - ls - 1.0));
}

// ---- scalar element helpers

// @ts-ignore: decorator
@inline
function term1(kind: i32, l: f32, x: f32, s: f32): f32 {
  if (kind == K_BERN) {
    const t = exp_f32(-abs<f32>(l));
    return (select<f32>(1.0, 0.0, l > 0) - x) * l + log1p_f32(t);
  }
  if (kind == K_GAUSS) {
    const diff = l - x;
    const q = diff * (diff * exp_f32(s * -2.0));
    return q * 0.5 + (s + HALF_LOG_2PI_F32);
  }
  if (kind == K_LAPLACE) {
    const a = abs<f32>(l - x) * exp_f32(-s);
    return a + (s + LOG_2_F32);
  }
  if (kind == K_CB) return cb_term(l, x, exp_f32(-abs<f32>(l)));
  if (kind == K_NB) return nb_term(l, x, s);
  return (exp_f32(l) - x * l) + <f32>log_factorial(<f64>x);
}

// @ts-ignore: decorator
@inline
function grad1(kind: i32, l: f32, x: f32, s: f32): f32 {
  if (kind == K_BERN) {
    const t = exp_f32(-abs<f32>(l));
    return select<f32>(1.0, t, l >= 0) / (1.0 + t) - x;
  }
  if (kind == K_GAUSS) return (l - x) * exp_f32(s * -2.0);
  if (kind == K_LAPLACE) {
    const diff = l - x;
    const ib = exp_f32(-s);
    return select<f32>(ib, select<f32>(-ib, 0.0, diff < 0), diff > 0);
  }
  if (kind == K_CB) return cb_dmean(l, x, exp_f32(-abs<f32>(l)));
  if (kind == K_NB) return nb_grad(l, x, s);
  return exp_f32(l) - x;
}

/** ∂term/∂s for the kinds with a log scale. */
// @ts-ignore: decorator
@inline
function dscale1(kind: i32, l: f32, x: f32, s: f32): f32 {
  if (kind == K_NB) return nb_dscale(l, x, s);
  if (kind == K_GAUSS) {
    const diff = l - x;
    return <f32>1.0 - diff * (diff * exp_f32(s * -2.0));
  }
  return <f32>1.0 - abs<f32>(l - x) * exp_f32(-s);
}

// ---- four-lane element helpers (lane i = the scalar helper on lane i)

/** f(lane i of l, x, s) for each lane: the four-lane form of an f64 scalar helper. */
// @ts-ignore: decorator
@inline
function lanes4(f: (l: f32, x: f32, s: f32) => f32, l: v128, x: v128, s: v128): v128 {
  return f32x4(
    f(f32x4.extract_lane(l, 0), f32x4.extract_lane(x, 0), f32x4.extract_lane(s, 0)),
    f(f32x4.extract_lane(l, 1), f32x4.extract_lane(x, 1), f32x4.extract_lane(s, 1)),
    f(f32x4.extract_lane(l, 2), f32x4.extract_lane(x, 2), f32x4.extract_lane(s, 2)),
    f(f32x4.extract_lane(l, 3), f32x4.extract_lane(x, 3), f32x4.extract_lane(s, 3)));
}

// @ts-ignore: decorator
@inline
function term4(kind: i32, l: v128, x: v128, s: v128): v128 {
  const one = f32x4.splat(1.0);
  if (kind == K_BERN) {
    const t = exp_f32x4(f32x4.neg(f32x4.abs(l)));
    const pos = v128.and(f32x4.gt(l, f32x4.splat(0.0)), one);
    return f32x4.add(f32x4.mul(f32x4.sub(pos, x), l), log1p_f32x4(t));
  }
  if (kind == K_GAUSS) {
    const diff = f32x4.sub(l, x);
    const q = f32x4.mul(diff, f32x4.mul(diff, exp_f32x4(f32x4.mul(s, f32x4.splat(-2.0)))));
    return f32x4.add(f32x4.mul(q, f32x4.splat(0.5)), f32x4.add(s, f32x4.splat(HALF_LOG_2PI_F32)));
  }
  if (kind == K_LAPLACE) {
    const a = f32x4.mul(f32x4.abs(f32x4.sub(l, x)), exp_f32x4(f32x4.neg(s)));
    return f32x4.add(a, f32x4.add(s, f32x4.splat(LOG_2_F32)));
  }
  if (kind == K_CB) return cb_term_f32x4(l, x, exp_f32x4(f32x4.neg(f32x4.abs(l))));
  if (kind == K_NB) return lanes4(nb_term, l, x, s);
  const lf = f32x4(
    <f32>log_factorial(<f64>f32x4.extract_lane(x, 0)), <f32>log_factorial(<f64>f32x4.extract_lane(x, 1)),
    <f32>log_factorial(<f64>f32x4.extract_lane(x, 2)), <f32>log_factorial(<f64>f32x4.extract_lane(x, 3)));
  return f32x4.add(f32x4.sub(exp_f32x4(l), f32x4.mul(x, l)), lf);
}

// @ts-ignore: decorator
@inline
function grad4(kind: i32, l: v128, x: v128, s: v128): v128 {
  const one = f32x4.splat(1.0);
  const zero = f32x4.splat(0.0);
  if (kind == K_BERN) {
    const t = exp_f32x4(f32x4.neg(f32x4.abs(l)));
    return f32x4.sub(f32x4.div(v128.bitselect(one, t, f32x4.ge(l, zero)), f32x4.add(one, t)), x);
  }
  if (kind == K_GAUSS) return f32x4.mul(f32x4.sub(l, x), exp_f32x4(f32x4.mul(s, f32x4.splat(-2.0))));
  if (kind == K_LAPLACE) {
    const diff = f32x4.sub(l, x);
    const ib = exp_f32x4(f32x4.neg(s));
    const neg = v128.and(f32x4.lt(diff, zero), f32x4.neg(ib));
    return v128.bitselect(ib, neg, f32x4.gt(diff, zero));
  }
  if (kind == K_CB) return cb_dmean_f32x4(l, x, exp_f32x4(f32x4.neg(f32x4.abs(l))));
  if (kind == K_NB) return lanes4(nb_grad, l, x, s);
  return f32x4.sub(exp_f32x4(l), x);
}

// @ts-ignore: decorator
@inline
function dscale4(kind: i32, l: v128, x: v128, s: v128): v128 {
  if (kind == K_NB) return lanes4(nb_dscale, l, x, s);
  const one = f32x4.splat(1.0);
  if (kind == K_GAUSS) {
    const diff = f32x4.sub(l, x);
    return f32x4.sub(one, f32x4.mul(diff, f32x4.mul(diff, exp_f32x4(f32x4.mul(s, f32x4.splat(-2.0))))));
  }
  return f32x4.sub(one, f32x4.mul(f32x4.abs(f32x4.sub(l, x)), exp_f32x4(f32x4.neg(s))));
}

// ---- the driver (inlined into each kernel with a constant kind, so the kind's branches fold away)

// @ts-ignore: decorator
@inline
function run(kind: i32, simd: bool, dout: usize, dpar: usize, losses: usize, out: usize, x: usize, par: usize,
  mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  const sc = <f32>scale;
  const scv = f32x4.splat(sc);
  const zero = f32x4.splat(0.0);
  const ones = i32x4.splat(-1);
  const scaled = kind == K_GAUSS || kind == K_LAPLACE || kind == K_NB;
  for (let b = 0; b < B; b++) {
    const po = out + ((<usize>b * <usize>ostride) << 2);
    const pg = dout + ((<usize>b * <usize>ostride) << 2);
    const px = x + ((<usize>b * <usize>xstride) << 2);
    const pl = losses + ((<usize>b * <usize>lstride) << 2);
    const pm = mask + ((<usize>b * <usize>lstride) << 2);
    if (w == 1) {
      let j = 0;
      if (simd) {
        for (; j + 4 <= n; j += 4) {
          const o = <usize>j << 2;
          const l = v128.load(po + o);
          const xv = v128.load(px + o);
          const s = scaled ? v128.load(par + o) : zero;
          const m = mask ? f32x4.ne(v128.load(pm + o), zero) : ones;
          v128.store(pl + o, v128.and(term4(kind, l, xv, s), m));
          if (dout) v128.store(pg + o, f32x4.add(v128.load(pg + o), v128.and(f32x4.mul(grad4(kind, l, xv, s), scv), m)));
          if (scaled && dpar) {
            v128.store(dpar + o, f32x4.add(v128.load(dpar + o), v128.and(f32x4.mul(scv, dscale4(kind, l, xv, s)), m)));
          }
        }
      }
      for (; j < n; j++) {
        const o = <usize>j << 2;
        const l = load<f32>(po + o);
        const xv = load<f32>(px + o);
        const s: f32 = scaled ? load<f32>(par + o) : 0;
        const present = mask ? load<f32>(pm + o) != 0 : true;
        store<f32>(pl + o, select<f32>(term1(kind, l, xv, s), 0, present));
        if (dout) store<f32>(pg + o, load<f32>(pg + o) + select<f32>(grad1(kind, l, xv, s) * sc, 0, present));
        if (scaled && dpar) store<f32>(dpar + o, load<f32>(dpar + o) + select<f32>(sc * dscale1(kind, l, xv, s), 0, present));
      }
    } else {
      for (let j = 0; j < n; j++) {
        if (mask && load<f32>(pm + (<usize>j << 2)) == 0) {
          store<f32>(pl + (<usize>j << 2), 0);
          continue;
        }
        const base = (<usize>j * <usize>w) << 2;
        let acc: f64 = 0;
        let d = 0;
        if (simd) {
          for (; d + 4 <= w; d += 4) {
            const o = base + (<usize>d << 2);
            const l = v128.load(po + o);
            const xv = v128.load(px + o);
            const s = scaled ? v128.load(par + o) : zero;
            const t = term4(kind, l, xv, s);
            acc += <f64>f32x4.extract_lane(t, 0);
            acc += <f64>f32x4.extract_lane(t, 1);
            acc += <f64>f32x4.extract_lane(t, 2);
            acc += <f64>f32x4.extract_lane(t, 3);
            if (dout) v128.store(pg + o, f32x4.add(v128.load(pg + o), f32x4.mul(grad4(kind, l, xv, s), scv)));
            if (scaled && dpar) v128.store(dpar + o, f32x4.add(v128.load(dpar + o), f32x4.mul(scv, dscale4(kind, l, xv, s))));
          }
        }
        for (; d < w; d++) {
          const o = base + (<usize>d << 2);
          const l = load<f32>(po + o);
          const xv = load<f32>(px + o);
          const s: f32 = scaled ? load<f32>(par + o) : 0;
          acc += <f64>term1(kind, l, xv, s);
          if (dout) store<f32>(pg + o, load<f32>(pg + o) + grad1(kind, l, xv, s) * sc);
          if (scaled && dpar) store<f32>(dpar + o, load<f32>(dpar + o) + sc * dscale1(kind, l, xv, s));
        }
        store<f32>(pl + (<usize>j << 2), <f32>acc);
      }
    }
  }
}

// ---- kernels

export function parts_bernoulli_loss(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32, n: i32,
  w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_BERN, true, dout, 0, losses, out, x, 0, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_bernoulli_loss_scalar(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32,
  n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_BERN, false, dout, 0, losses, out, x, 0, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_gaussian_loss(dout: usize, dlogsigma: usize, losses: usize, out: usize, x: usize,
  logsigma: usize, mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_GAUSS, true, dout, dlogsigma, losses, out, x, logsigma, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_gaussian_loss_scalar(dout: usize, dlogsigma: usize, losses: usize, out: usize, x: usize,
  logsigma: usize, mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_GAUSS, false, dout, dlogsigma, losses, out, x, logsigma, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_laplace_loss(dout: usize, dlogscale: usize, losses: usize, out: usize, x: usize,
  logscale: usize, mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_LAPLACE, true, dout, dlogscale, losses, out, x, logscale, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_laplace_loss_scalar(dout: usize, dlogscale: usize, losses: usize, out: usize, x: usize,
  logscale: usize, mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_LAPLACE, false, dout, dlogscale, losses, out, x, logscale, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_cbernoulli_loss(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32, n: i32,
  w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_CB, true, dout, 0, losses, out, x, 0, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_cbernoulli_loss_scalar(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32,
  n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_CB, false, dout, 0, losses, out, x, 0, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_poisson_loss(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32, n: i32,
  w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_POISSON, true, dout, 0, losses, out, x, 0, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_poisson_loss_scalar(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32,
  n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_POISSON, false, dout, 0, losses, out, x, 0, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_negbinomial_loss(dout: usize, dlogdisp: usize, losses: usize, out: usize, x: usize,
  logdisp: usize, mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_NB, true, dout, dlogdisp, losses, out, x, logdisp, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_negbinomial_loss_scalar(dout: usize, dlogdisp: usize, losses: usize, out: usize, x: usize,
  logdisp: usize, mask: usize, B: i32, n: i32, w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  run(K_NB, false, dout, dlogdisp, losses, out, x, logdisp, mask, B, n, w, ostride, xstride, lstride, scale);
}

export function parts_categorical_loss(dout: usize, losses: usize, out: usize, x: usize, mask: usize, B: i32, n: i32,
  w: i32, ostride: i32, xstride: i32, lstride: i32, scale: f64): void {
  for (let b = 0; b < B; b++) {
    const po = out + ((<usize>b * <usize>ostride) << 2);
    const pg = dout + ((<usize>b * <usize>ostride) << 2);
    const px = x + ((<usize>b * <usize>xstride) << 2);
    const pl = losses + ((<usize>b * <usize>lstride) << 2);
    const pm = mask + ((<usize>b * <usize>lstride) << 2);
    for (let j = 0; j < n; j++) {
      if (mask && load<f32>(pm + (<usize>j << 2)) == 0) {
        store<f32>(pl + (<usize>j << 2), 0);
        continue;
      }
      const base = (<usize>j * <usize>w) << 2;
      let m: f64 = -Infinity;
      for (let c = 0; c < w; c++) m = max<f64>(m, <f64>load<f32>(po + base + (<usize>c << 2)));
      let s: f64 = 0;
      for (let c = 0; c < w; c++) s += Math.exp(<f64>load<f32>(po + base + (<usize>c << 2)) - m);
      const lse = m + Math.log(s);
      let loss: f64 = 0;
      let sx: f64 = 0;
      for (let c = 0; c < w; c++) {
        const xc = <f64>load<f32>(px + base + (<usize>c << 2));
        sx += xc;
        if (xc != 0) loss += xc * (lse - <f64>load<f32>(po + base + (<usize>c << 2)));
      }
      store<f32>(pl + (<usize>j << 2), <f32>loss);
      if (dout) {
        for (let c = 0; c < w; c++) {
          const o = base + (<usize>c << 2);
          const g = Math.exp(<f64>load<f32>(po + o) - lse) * sx - <f64>load<f32>(px + o);
          store<f32>(pg + o, load<f32>(pg + o) + <f32>(g * scale));
        }
      }
    }
  }
}
