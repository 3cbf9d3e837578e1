// logpdf: the log-density of a diagonal Gaussian, log N(z; μ, diag(σ²)), per row, and its backward pass —
// the log q(z|x) and log p(z) terms of importance-weighted bounds and of hierarchical VAEs.
//
// stats[B, 2L] rows are [μ(L) | logσ²(L)] (the layout of reparam.ts and kl_normal_loss); stats = 0 means the
// standard normal N(0, I). With lv = logσ², diff = z − μ, e = exp(−lv) (vmath's exp), r = diff·e, q = diff·r:
//   forward:   logp[b] = −½·Σ_l (lv + q) − L·½ log 2π                        (overwrites)
//   backward:  with g = dlogp[b]:  dz −= g·r;  dμ += g·r;  dlv += (½g)·(q − 1)   (all accumulate)
// forward reduction: each lane's f64(lv) + f64(q) goes to accumulator l mod 4 (l ascending), the row sum is
// (a0 + a2) + (a1 + a3) in f64, scaled and offset in f64 and rounded once to f32. The prior (stats = 0) path
// computes q = z·z, lv = 0: the same bits as passing explicit zeros (exp(−0) = 1 exactly).
// (exp_f32x4 / exp_f32 are vmath.ts's @global helpers.)

// @ts-ignore: decorator
@inline const HALF_LOG_2PI: f64 = 0.91893853320467274178;

export function gaussian_logpdf_forward(logp: usize, z: usize, stats: usize, B: i32, L: i32): void {
  // logp [B] (written), z [B,L], stats [B,2L] = [μ | logσ²] or 0 for N(0, I).
  const rowL = <usize>L << 2;
  const L4 = <usize>(L & ~3) << 2;
  const cst = <f64>L * HALF_LOG_2PI;
  for (let b = 0; b < B; b++) {
    const pz = z + <usize>b * rowL;
    const pm = stats + <usize>b * (rowL << 1);
    const pl = pm + rowL;
    let acc01 = f64x2.splat(0.0);
    let acc23 = f64x2.splat(0.0);
    let o: usize = 0;
    if (stats) {
      for (; o < L4; o += 16) {
        const lv = v128.load(pl + o);
        const diff = f32x4.sub(v128.load(pz + o), v128.load(pm + o));
        const q = f32x4.mul(diff, f32x4.mul(diff, exp_f32x4(f32x4.neg(lv))));
        const lvh = v128.shuffle<f32>(lv, lv, 2, 3, 2, 3);
        const qh = v128.shuffle<f32>(q, q, 2, 3, 2, 3);
        acc01 = f64x2.add(acc01, f64x2.add(f64x2.promote_low_f32x4(lv), f64x2.promote_low_f32x4(q)));
        acc23 = f64x2.add(acc23, f64x2.add(f64x2.promote_low_f32x4(lvh), f64x2.promote_low_f32x4(qh)));
      }
    } else {
      for (; o < L4; o += 16) {
        const zv = v128.load(pz + o);
        const q = f32x4.mul(zv, zv);
        acc01 = f64x2.add(acc01, f64x2.promote_low_f32x4(q));
        acc23 = f64x2.add(acc23, f64x2.promote_low_f32x4(v128.shuffle<f32>(q, q, 2, 3, 2, 3)));
      }
    }
    let a0 = f64x2.extract_lane(acc01, 0);
    let a1 = f64x2.extract_lane(acc01, 1);
    let a2 = f64x2.extract_lane(acc23, 0);
    const a3 = f64x2.extract_lane(acc23, 1);
    for (let lane = 0; o < rowL; o += 4, lane++) {
      let t: f64;
      if (stats) {
        const lv = load<f32>(pl + o);
        const diff = load<f32>(pz + o) - load<f32>(pm + o);
        const q = diff * (diff * exp_f32(-lv));
        t = <f64>lv + <f64>q;
      } else {
        const zv = load<f32>(pz + o);
        t = <f64>(zv * zv);
      }
      if (lane == 0) a0 += t;
      else if (lane == 1) a1 += t;
      else a2 += t;
    }
    store<f32>(logp + (<usize>b << 2), <f32>(-0.5 * ((a0 + a2) + (a1 + a3)) - cst));
  }
}

export function gaussian_logpdf_forward_scalar(logp: usize, z: usize, stats: usize, B: i32, L: i32): void {
  // logp [B] (written), z [B,L], stats [B,2L] or 0. Bit-identical to gaussian_logpdf_forward.
  const cst = <f64>L * HALF_LOG_2PI;
  for (let b = 0; b < B; b++) {
    let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
    for (let l = 0; l < L; l++) {
      const zv = load<f32>(z + ((<usize>b * L + l) << 2));
      let t: f64;
      if (stats) {
        const mu = load<f32>(stats + ((<usize>b * 2 * L + l) << 2));
        const lv = load<f32>(stats + ((<usize>b * 2 * L + L + l) << 2));
        const diff = zv - mu;
        const q = diff * (diff * exp_f32(-lv));
        t = <f64>lv + <f64>q;
      } else {
        t = <f64>(zv * zv);
      }
      const lane = l & 3;
      if (lane == 0) a0 += t;
      else if (lane == 1) a1 += t;
      else if (lane == 2) a2 += t;
      else a3 += t;
    }
    store<f32>(logp + (<usize>b << 2), <f32>(-0.5 * ((a0 + a2) + (a1 + a3)) - cst));
  }
}

export function gaussian_logpdf_backward(dz: usize, dstats: usize, dlogp: usize, z: usize, stats: usize, B: i32, L: i32): void {
  // dz [B,L] (+= unless 0), dstats [B,2L] (+= unless 0 or stats == 0), dlogp [B], z [B,L], stats [B,2L] or 0.
  const rowL = <usize>L << 2;
  const L4 = <usize>(L & ~3) << 2;
  const doStats = dstats != 0 && stats != 0;
  const one = f32x4.splat(1.0);
  for (let b = 0; b < B; b++) {
    const g = load<f32>(dlogp + (<usize>b << 2));
    const hg = g * 0.5;
    const gv = f32x4.splat(g);
    const hgv = f32x4.splat(hg);
    const pz = z + <usize>b * rowL;
    const pdz = dz + <usize>b * rowL;
    const pm = stats + <usize>b * (rowL << 1);
    const pl = pm + rowL;
    const pdm = dstats + <usize>b * (rowL << 1);
    const pdl = pdm + rowL;
    let o: usize = 0;
    if (stats) {
      for (; o < L4; o += 16) {
        const diff = f32x4.sub(v128.load(pz + o), v128.load(pm + o));
        const r = f32x4.mul(diff, exp_f32x4(f32x4.neg(v128.load(pl + o))));
        const gr = f32x4.mul(gv, r);
        if (dz) v128.store(pdz + o, f32x4.sub(v128.load(pdz + o), gr));
        if (doStats) {
          v128.store(pdm + o, f32x4.add(v128.load(pdm + o), gr));
          const q = f32x4.mul(diff, r);
          v128.store(pdl + o, f32x4.add(v128.load(pdl + o), f32x4.mul(hgv, f32x4.sub(q, one))));
        }
      }
      for (; o < rowL; o += 4) {
        const diff = load<f32>(pz + o) - load<f32>(pm + o);
        const r = diff * exp_f32(-load<f32>(pl + o));
        const gr = g * r;
        if (dz) store<f32>(pdz + o, load<f32>(pdz + o) - gr);
        if (doStats) {
          store<f32>(pdm + o, load<f32>(pdm + o) + gr);
          store<f32>(pdl + o, load<f32>(pdl + o) + hg * (diff * r - <f32>1.0));
        }
      }
    } else if (dz) {
      for (; o < L4; o += 16) {
        v128.store(pdz + o, f32x4.sub(v128.load(pdz + o), f32x4.mul(gv, v128.load(pz + o))));
      }
      for (; o < rowL; o += 4) {
        store<f32>(pdz + o, load<f32>(pdz + o) - g * load<f32>(pz + o));
      }
    }
  }
}

export function gaussian_logpdf_backward_scalar(dz: usize, dstats: usize, dlogp: usize, z: usize, stats: usize, B: i32, L: i32): void {
  // dz [B,L] (+= unless 0), dstats [B,2L] (+= unless 0 or stats == 0), dlogp [B], z [B,L], stats [B,2L] or 0.
  // Bit-identical to gaussian_logpdf_backward.
  const doStats = dstats != 0 && stats != 0;
  for (let b = 0; b < B; b++) {
    const g = load<f32>(dlogp + (<usize>b << 2));
    const hg = g * 0.5;
    for (let l = 0; l < L; l++) {
      const iz = (<usize>b * L + l) << 2;
      const im = (<usize>b * 2 * L + l) << 2;
      const il = (<usize>b * 2 * L + L + l) << 2;
      const zv = load<f32>(z + iz);
      let diff = zv;
      let r = zv;
      if (stats) {
        diff = zv - load<f32>(stats + im);
        r = diff * exp_f32(-load<f32>(stats + il));
      }
      const gr = g * r;
      if (dz) store<f32>(dz + iz, load<f32>(dz + iz) - gr);
      if (doStats) {
        store<f32>(dstats + im, load<f32>(dstats + im) + gr);
        store<f32>(dstats + il, load<f32>(dstats + il) + hg * (diff * r - <f32>1.0));
      }
    }
  }
}
