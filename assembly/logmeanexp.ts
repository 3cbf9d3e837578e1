// logmeanexp: importance weighting for the IWAE bound and the importance-sampled log-likelihood, plus the
// row helpers that lay K samples per example out as B·K rows and bring their gradients back.
//
// logmeanexp_forward(out, weights, logw, B, K): per row b of logw[B, K],
//   m = max_k logw[b,k]  (exact; f32 max, NaN-propagating),
//   s = Σ_k exp(logw[b,k] − m)  (f32 difference, vmath's exp, widened to f64; accumulator k mod 4, k ascending,
//       then (a0 + a2) + (a1 + a3)),
//   out[b] = f64(m) + log(s / K)  (f64, AssemblyScript's Math.log — `out` is an f64 array, 8-byte elements),
//   weights[b,k] = exp(logw[b,k] − m) · f32(1/s)  (the softmax over k; it is the backward pass:
//       d logw[b,k] = dout[b]·weights[b,k]).
// Rows with m = −∞ (every entry −∞) give out = −∞ and weights 0; rows with m = +∞ or a NaN give out = m
// (+∞ or NaN) and weights NaN. Entries of −∞ (or −1e30) in a row with a finite max get weight exactly 0.
//
// scale_rows(x, w, B, D): x[b, :] = x[b, :]·w[b] (f32, in place).
// repeat_rows_forward(out, x, B, D, K): out[b·K + k, :] = x[b, :] (an exact copy).
// repeat_rows_backward(dx, dout, B, D, K): dx[b, :] = (((dx[b, :] + dout[b·K, :]) + dout[b·K + 1, :]) + …),
//   k ascending in f32: the same order in both twins.
// (exp_f32x4 / exp_f32 are vmath.ts's @global helpers.)

// @ts-ignore: decorator
@inline const F32_NEG_INF: f32 = -Infinity;
// @ts-ignore: decorator
@inline const F32_POS_INF: f32 = Infinity;

/** Fills weights[0..K) with 0 (m = −∞) or NaN (m = +∞ or NaN) and returns out for that row. */
// @ts-ignore: decorator
@inline
function degenerate_row(pw: usize, K: i32, m: f32): f64 {
  if (pw) {
    const fill: f32 = m == F32_NEG_INF ? 0.0 : NaN;
    for (let k = 0; k < K; k++) store<f32>(pw + (<usize>k << 2), fill);
  }
  return <f64>m;
}

export function logmeanexp_forward(out: usize, weights: usize, logw: usize, B: i32, K: i32): void {
  // out [B] f64 (written), weights [B,K] (written unless 0), logw [B,K].
  const rowK = <usize>K << 2;
  const K4 = <usize>(K & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const pl = logw + <usize>b * rowK;
    const pw = weights != 0 ? weights + <usize>b * rowK : 0;
    // max
    let mv = f32x4.splat(F32_NEG_INF);
    let o: usize = 0;
    for (; o < K4; o += 16) mv = f32x4.max(mv, v128.load(pl + o));
    let m = max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
      max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    for (; o < rowK; o += 4) m = max<f32>(m, load<f32>(pl + o));
    if (!(m > F32_NEG_INF && m < F32_POS_INF)) {
      store<f64>(out + (<usize>b << 3), degenerate_row(pw, K, m));
      continue;
    }
    // Σ exp(logw − m), the unnormalized weights stored on the way
    const mvec = f32x4.splat(m);
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    o = 0;
    for (; o < K4; o += 16) {
      const e = exp_f32x4(f32x4.sub(v128.load(pl + o), mvec));
      if (pw) v128.store(pw + o, e);
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(e));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < rowK; o += 4, lane++) {
      const e = exp_f32(load<f32>(pl + o) - m);
      if (pw) store<f32>(pw + o, e);
      if (lane == 0) a0 += <f64>e;
      else if (lane == 1) a1 += <f64>e;
      else a2 += <f64>e;
    }
    const s = (a0 + a2) + (a1 + a3);
    store<f64>(out + (<usize>b << 3), <f64>m + Math.log(s / <f64>K));
    if (pw) {
      const inv = <f32>(1.0 / s);
      const iv = f32x4.splat(inv);
      o = 0;
      for (; o < K4; o += 16) v128.store(pw + o, f32x4.mul(v128.load(pw + o), iv));
      for (; o < rowK; o += 4) store<f32>(pw + o, load<f32>(pw + o) * inv);
    }
  }
}

export function logmeanexp_forward_scalar(out: usize, weights: usize, logw: usize, B: i32, K: i32): void {
  // out [B] f64 (written), weights [B,K] (written unless 0), logw [B,K]. Bit-identical to logmeanexp_forward.
  for (let b = 0; b < B; b++) {
    const pl = logw + ((<usize>b * K) << 2);
    const pw = weights != 0 ? weights + ((<usize>b * K) << 2) : 0;
    let m = F32_NEG_INF;
    for (let k = 0; k < K; k++) m = max<f32>(m, load<f32>(pl + (<usize>k << 2)));
    if (!(m > F32_NEG_INF && m < F32_POS_INF)) {
      store<f64>(out + (<usize>b << 3), degenerate_row(pw, K, m));
      continue;
    }
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let k = 0; k < K; k++) {
      const e = exp_f32(load<f32>(pl + (<usize>k << 2)) - m);
      if (pw) store<f32>(pw + (<usize>k << 2), e);
      const lane = k & 3;
      if (lane == 0) a0 += <f64>e;
      else if (lane == 1) a1 += <f64>e;
      else if (lane == 2) a2 += <f64>e;
      else a3 += <f64>e;
    }
    const s = (a0 + a2) + (a1 + a3);
    store<f64>(out + (<usize>b << 3), <f64>m + Math.log(s / <f64>K));
    if (pw) {
      const inv = <f32>(1.0 / s);
      for (let k = 0; k < K; k++) store<f32>(pw + (<usize>k << 2), load<f32>(pw + (<usize>k << 2)) * inv);
    }
  }
}

export function scale_rows(x: usize, w: usize, B: i32, D: i32): void {
  // x [B,D] (in place), w [B]: x[b, :] *= w[b].
  const row = <usize>D << 2;
  const D4 = <usize>(D & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const s = load<f32>(w + (<usize>b << 2));
    const sv = f32x4.splat(s);
    const p = x + <usize>b * row;
    let o: usize = 0;
    for (; o < D4; o += 16) v128.store(p + o, f32x4.mul(v128.load(p + o), sv));
    for (; o < row; o += 4) store<f32>(p + o, load<f32>(p + o) * s);
  }
}

export function scale_rows_scalar(x: usize, w: usize, B: i32, D: i32): void {
  // x [B,D] (in place), w [B]. Bit-identical to scale_rows.
  for (let b = 0; b < B; b++) {
    const s = load<f32>(w + (<usize>b << 2));
    for (let d = 0; d < D; d++) {
      const i = (<usize>b * D + d) << 2;
      store<f32>(x + i, load<f32>(x + i) * s);
    }
  }
}

export function repeat_rows_forward(out: usize, x: usize, B: i32, D: i32, K: i32): void {
  // out [B·K, D] (written), x [B, D]: out[b·K + k, :] = x[b, :].
  const row = <usize>D << 2;
  const D4 = <usize>(D & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const src = x + <usize>b * row;
    for (let k = 0; k < K; k++) {
      const dst = out + (<usize>b * K + k) * row;
      let o: usize = 0;
      for (; o < D4; o += 16) v128.store(dst + o, v128.load(src + o));
      for (; o < row; o += 4) store<u32>(dst + o, load<u32>(src + o));
    }
  }
}

export function repeat_rows_forward_scalar(out: usize, x: usize, B: i32, D: i32, K: i32): void {
  // out [B·K, D] (written), x [B, D]. Bit-identical to repeat_rows_forward.
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      for (let d = 0; d < D; d++) {
        store<u32>(out + (((<usize>b * K + k) * D + d) << 2), load<u32>(x + ((<usize>b * D + d) << 2)));
      }
    }
  }
}

export function repeat_rows_backward(dx: usize, dout: usize, B: i32, D: i32, K: i32): void {
  // dx [B, D] (+=), dout [B·K, D]: dx[b, :] += Σ_k dout[b·K + k, :] (k ascending, f32).
  const row = <usize>D << 2;
  const D4 = <usize>(D & ~3) << 2;
  for (let b = 0; b < B; b++) {
    const dst = dx + <usize>b * row;
    for (let k = 0; k < K; k++) {
      const src = dout + (<usize>b * K + k) * row;
      let o: usize = 0;
      for (; o < D4; o += 16) v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
      for (; o < row; o += 4) store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}

export function repeat_rows_backward_scalar(dx: usize, dout: usize, B: i32, D: i32, K: i32): void {
  // dx [B, D] (+=), dout [B·K, D]. Bit-identical to repeat_rows_backward.
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      for (let d = 0; d < D; d++) {
        const i = (<usize>b * D + d) << 2;
        store<f32>(dx + i, load<f32>(dx + i) + load<f32>(dout + (((<usize>b * K + k) * D + d) << 2)));
      }
    }
  }
}
