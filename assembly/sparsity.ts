// sparsity: activity penalties on a hidden layer h[B, H] for sparse autoencoders, fused value and gradient.
//
// sparsity_l1_loss(dh, losses, h, B, H, weight, scale):
//   losses[b] = weight·Σ_j |h[b,j]|  (|h| widened to f64, accumulator j mod 4, (a0 + a2) + (a1 + a3), times
//   weight in f64, rounded once; overwrites);  dh += c·sign(h) with c = f32(scale·weight), sign(±0) = 0 and
//   NaN propagating (accumulates). dh = 0 → losses only.
//
// sparsity_kl_loss(dh, rhohat, h, B, H, rho, weight, scale) → f64:
//   h is expected in (0, 1) (sigmoid hidden units). ρ̂_j = (1/B)·Σ_b h[b,j]: an f64 sum over b ascending,
//   divided by B in f64, written to rhohat[j] rounded to f32; for the logs and the gradient it is clamped to
//   ρ̂c ∈ [1e-6, 1 − 1e-6] (the gradient is the formula at ρ̂c: the clamp is treated as the identity).
//   Returns weight·Σ_j [ρ·log(ρ/ρ̂c) + (1 − ρ)·log((1 − ρ)/(1 − ρ̂c))] (the batch's penalty, f64, j ascending; a
//   term with ρ = 0 or 1 − ρ = 0 is 0). dh[b,j] += f32(scale·weight/B·(−ρ/ρ̂c + (1 − ρ)/(1 − ρ̂c)))
//   (accumulates; dh = 0 → no gradient). rhohat is always written (it is the kernel's working buffer).
//   The SIMD kernel walks four columns at a time down the rows (sums, then the gradient pass); every
//   per-column quantity is computed by the same f64 code as in the scalar twin.

// ---- L1

// @ts-ignore: decorator
@inline
function sign_times(v: f32, c: f32): f32 {
  const r = select<f32>(c, select<f32>(-c, 0.0, v < 0), v > 0);
  return select<f32>(v, r, v != v);
}

export function sparsity_l1_loss(dh: usize, losses: usize, h: usize, B: i32, H: i32, weight: f64, scale: f64): void {
  // dh [B,H] (+= unless 0), losses [B] (written), h [B,H].
  const c = <f32>(scale * weight);
  const cv = f32x4.splat(c);
  const ncv = f32x4.splat(-c);
  const zero = f32x4.splat(0.0);
  const row = <usize>H << 2;
  const H4 = <usize>(H & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const ph = h + <usize>b * row;
    const pg = dh + <usize>b * row;
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    let o: usize = 0;
    for (; o < H4; o += 16) {
      const v = v128.load(ph + o);
      const av = f32x4.abs(v);
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(av));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(av, av, 2, 3, 2, 3)));
      if (dh) {
        const s = v128.or(v128.and(f32x4.gt(v, zero), cv), v128.and(f32x4.lt(v, zero), ncv));
        v128.store(pg + o, f32x4.add(v128.load(pg + o), v128.bitselect(v, s, f32x4.ne(v, v))));
      }
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < row; o += 4, lane++) {
      const v = load<f32>(ph + o);
      const av = <f64>abs<f32>(v);
      if (lane == 0) a0 += av;
      else if (lane == 1) a1 += av;
      else a2 += av;
      if (dh) store<f32>(pg + o, load<f32>(pg + o) + sign_times(v, c));
    }
    store<f32>(losses + (<usize>b << 2), <f32>(weight * ((a0 + a2) + (a1 + a3))));
  }
}

export function sparsity_l1_loss_scalar(dh: usize, losses: usize, h: usize, B: i32, H: i32, weight: f64, scale: f64): void {
  // dh [B,H] (+= unless 0), losses [B] (written), h [B,H]. Bit-identical to sparsity_l1_loss.
  const c = <f32>(scale * weight);
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let j = 0; j < H; j++) {
      const i = (<usize>b * H + j) << 2;
      const v = load<f32>(h + i);
      const av = <f64>abs<f32>(v);
      const lane = j & 3;
      if (lane == 0) a0 += av;
      else if (lane == 1) a1 += av;
      else if (lane == 2) a2 += av;
      else a3 += av;
      if (dh) store<f32>(dh + i, load<f32>(dh + i) + sign_times(v, c));
    }
    store<f32>(losses + (<usize>b << 2), <f32>(weight * ((a0 + a2) + (a1 + a3))));
  }
}

// ---- KL to a target activation ρ

// @ts-ignore: decorator
@inline const RHO_MIN: f64 = 1e-6;
// @ts-ignore: decorator
@inline const RHO_MAX: f64 = 1.0 - 1e-6;

// The per-column results of kl_column (module globals: kernels never allocate).
let col_penalty: f64 = 0;
let col_grad: f32 = 0;

/** From a column's f64 sum: writes rhohat[j], sets col_penalty (unweighted) and col_grad (scaled). */
// @ts-ignore: decorator
@inline
function kl_column(rhohat_j: usize, sum: f64, fB: f64, rho: f64, coef: f64): void {
  const rh = sum / fB;
  store<f32>(rhohat_j, <f32>rh);
  const rc = rh < RHO_MIN ? RHO_MIN : rh > RHO_MAX ? RHO_MAX : rh; // NaN stays NaN
  let pen: f64 = 0;
  if (rho != 0) pen += rho * Math.log(rho / rc);
  if (rho != 1) pen += (1.0 - rho) * Math.log((1.0 - rho) / (1.0 - rc));
  col_penalty = pen;
  col_grad = <f32>(coef * (-rho / rc + (1.0 - rho) / (1.0 - rc)));
}

export function sparsity_kl_loss(dh: usize, rhohat: usize, h: usize, B: i32, H: i32, rho: f64, weight: f64, scale: f64): f64 {
  // dh [B,H] (+= unless 0), rhohat [H] (written), h [B,H] in (0, 1). Returns the weighted penalty (f64).
  const fB = <f64>B;
  const coef = scale * weight / fB;
  const row = <usize>H << 2;
  const H4 = <usize>(H & ~3) << 2;
  let total: f64 = 0;
  let o: usize = 0;
  for (; o < H4; o += 16) {
    let s01 = f64x2.splat(0.0);
    let s23 = f64x2.splat(0.0);
    let p = h + o;
    for (let b = 0; b < B; b++) {
      const v = v128.load(p);
      s01 = f64x2.add(s01, f64x2.promote_low_f32x4(v));
      s23 = f64x2.add(s23, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)));
      p += row;
    }
    kl_column(rhohat + o, f64x2.extract_lane(s01, 0), fB, rho, coef);
    total += col_penalty;
    let g = f32x4.splat(col_grad);
    kl_column(rhohat + o + 4, f64x2.extract_lane(s01, 1), fB, rho, coef);
    total += col_penalty;
    g = f32x4.replace_lane(g, 1, col_grad);
    kl_column(rhohat + o + 8, f64x2.extract_lane(s23, 0), fB, rho, coef);
    total += col_penalty;
    g = f32x4.replace_lane(g, 2, col_grad);
    kl_column(rhohat + o + 12, f64x2.extract_lane(s23, 1), fB, rho, coef);
    total += col_penalty;
    g = f32x4.replace_lane(g, 3, col_grad);
    if (dh) {
      let q = dh + o;
      for (let b = 0; b < B; b++) {
        v128.store(q, f32x4.add(v128.load(q), g));
        q += row;
      }
    }
  }
  for (; o < row; o += 4) {
    let s: f64 = 0;
    for (let b = 0; b < B; b++) s += <f64>load<f32>(h + <usize>b * row + o);
    kl_column(rhohat + o, s, fB, rho, coef);
    total += col_penalty;
    if (dh) {
      const g = col_grad;
      for (let b = 0; b < B; b++) {
        const q = dh + <usize>b * row + o;
        store<f32>(q, load<f32>(q) + g);
      }
    }
  }
  return weight * total;
}

export function sparsity_kl_loss_scalar(dh: usize, rhohat: usize, h: usize, B: i32, H: i32, rho: f64, weight: f64, scale: f64): f64 {
  // dh [B,H] (+= unless 0), rhohat [H] (written), h [B,H]. Bit-identical to sparsity_kl_loss.
  const fB = <f64>B;
  const coef = scale * weight / fB;
  let total: f64 = 0;
  for (let j = 0; j < H; j++) {
    let s: f64 = 0;
    for (let b = 0; b < B; b++) s += <f64>load<f32>(h + ((<usize>b * H + j) << 2));
    kl_column(rhohat + (<usize>j << 2), s, fB, rho, coef);
    total += col_penalty;
    if (dh) {
      const g = col_grad;
      for (let b = 0; b < B; b++) {
        const q = dh + ((<usize>b * H + j) << 2);
        store<f32>(q, load<f32>(q) + g);
      }
    }
  }
  return weight * total;
}
