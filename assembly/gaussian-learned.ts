// gaussian-learned: the Gaussian likelihood with a learned per-dimension log standard deviation s = log σ,
// fused loss and gradients for both the mean y and s.
//
//   losses[b]     = Σ_d ½·((x − y)/σ_d)² + s_d + ½·log 2π
//   dy[b,d]       = scale·(y − x)/σ_d²                          (overwrites)
//   dlogsigma[d] += scale·Σ_b (1 − ((x − y)/σ_d)²)               (accumulates)
//
// Evaluation in f32 per element: w = exp(−2s) (vmath's exp; −2s is exact), diff = y − x, dw = diff·w,
// q = diff·dw (= ((x − y)/σ)²). dy = dw·scale. dlogsigma[d] is updated once per row, b ascending:
// dlogsigma[d] = dlogsigma[d] + scale·(1 − q) in f32 (so the sum over b is the f32 sum in row order,
// starting from the value already there). losses[b] = ½·Σ_d q + (Σ_d s_d + D·½ log 2π): the q are widened
// to f64 and summed as in loss.ts (accumulator d mod 4, (a0 + a2) + (a1 + a3)); Σ_d s_d is an f64 sum in
// d order computed once per call; the result is rounded once to f32.
// Finite for |s| < 44 (e^(−2s) must stay in f32 range). (exp_f32x4 / exp_f32 are vmath.ts's @global helpers.)

// @ts-ignore: decorator
@inline const HALF_LOG_2PI: f64 = 0.91893853320467274178;

/** Σ_d s_d + D·½ log 2π in f64, d ascending (shared by both twins). */
// @ts-ignore: decorator
@inline
function row_constant(logsigma: usize, D: i32): f64 {
  let s: f64 = 0;
  for (let d = 0; d < D; d++) s += <f64>load<f32>(logsigma + (<usize>d << 2));
  return s + <f64>D * HALF_LOG_2PI;
}

export function gaussian_learned_loss(dy: usize, dlogsigma: usize, losses: usize, y: usize, x: usize, logsigma: usize,
  B: i32, D: i32, scale: f64): void {
  // dy [B,D] (written unless 0), dlogsigma [D] (+= unless 0), losses [B] (written), y [B,D], x [B,D], logsigma [D].
  const sc = <f32>scale;
  const scv = f32x4.splat(sc);
  const one = f32x4.splat(1.0);
  const m2 = f32x4.splat(-2.0);
  const cst = row_constant(logsigma, D);
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
      const w = exp_f32x4(f32x4.mul(v128.load(logsigma + o), m2));
      const diff = f32x4.sub(v128.load(py + o), v128.load(px + o));
      const dw = f32x4.mul(diff, w);
      const q = f32x4.mul(diff, dw);
      acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(q));
      acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(q, q, 2, 3, 2, 3)));
      if (dy) v128.store(pg + o, f32x4.mul(dw, scv));
      if (dlogsigma) {
        const ps = dlogsigma + o;
        v128.store(ps, f32x4.add(v128.load(ps), f32x4.mul(scv, f32x4.sub(one, q))));
      }
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < row; o += 4, lane++) {
      const w = exp_f32(load<f32>(logsigma + o) * -2.0);
      const diff = load<f32>(py + o) - load<f32>(px + o);
      const dw = diff * w;
      const q = diff * dw;
      if (lane == 0) a0 += <f64>q;
      else if (lane == 1) a1 += <f64>q;
      else a2 += <f64>q;
      if (dy) store<f32>(pg + o, dw * sc);
      if (dlogsigma) store<f32>(dlogsigma + o, load<f32>(dlogsigma + o) + sc * (<f32>1.0 - q));
    }
    store<f32>(losses + (<usize>b << 2), <f32>(0.5 * ((a0 + a2) + (a1 + a3)) + cst));
  }
}

export function gaussian_learned_loss_scalar(dy: usize, dlogsigma: usize, losses: usize, y: usize, x: usize, logsigma: usize,
  B: i32, D: i32, scale: f64): void {
  // dy [B,D] (written unless 0), dlogsigma [D] (+= unless 0), losses [B], y [B,D], x [B,D], logsigma [D].
  // Bit-identical to gaussian_learned_loss.
  const sc = <f32>scale;
  const cst = row_constant(logsigma, D);
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let d = 0; d < D; d++) {
      const i = (<usize>b * D + d) << 2;
      const id = <usize>d << 2;
      const w = exp_f32(load<f32>(logsigma + id) * -2.0);
      const diff = load<f32>(y + i) - load<f32>(x + i);
      const dw = diff * w;
      const q = diff * dw;
      const lane = d & 3;
      if (lane == 0) a0 += <f64>q;
      else if (lane == 1) a1 += <f64>q;
      else if (lane == 2) a2 += <f64>q;
      else a3 += <f64>q;
      if (dy) store<f32>(dy + i, dw * sc);
      if (dlogsigma) store<f32>(dlogsigma + id, load<f32>(dlogsigma + id) + sc * (<f32>1.0 - q));
    }
    store<f32>(losses + (<usize>b << 2), <f32>(0.5 * ((a0 + a2) + (a1 + a3)) + cst));
  }
}
