// reparam: the reparameterization trick z = μ + σ·ε with σ = exp(½·logσ²), and its backward pass.
//
// stats[B, 2L] rows are [μ(L) | logσ²(L)]; eps, z and dz are [B, L]. The SIMD kernels process four
// latent dimensions at a time with vmath's exp_f32x4 and finish a row's tail with exp_f32; the
// `_scalar` twins perform the same f32 operations in the same order, so both are bit-identical.
//   forward:   s = exp(0.5·lv);  z = μ + s·ε
//   backward:  s = exp(0.5·lv);  dμ = dμ + dz;  dlv = dlv + 0.5·((dz·ε)·s)      (both accumulate)
// (exp_f32x4 / exp_f32 are vmath.ts's @global helpers.)

export function reparam_forward(z: usize, eps: usize, stats: usize, B: i32, L: i32): void {
  const rowL = <usize>L << 2;
  const L4 = <usize>(L & ~3) << 2;
  const half = f32x4.splat(0.5);
  for (let b = 0; b < B; b++) {
    const pz = z + <usize>b * rowL;
    const pe = eps + <usize>b * rowL;
    const pm = stats + <usize>b * (rowL << 1);
    const pl = pm + rowL;
    let o: usize = 0;
    for (; o < L4; o += 16) {
      const s = exp_f32x4(f32x4.mul(v128.load(pl + o), half));
      v128.store(pz + o, f32x4.add(v128.load(pm + o), f32x4.mul(s, v128.load(pe + o))));
    }
    for (; o < rowL; o += 4) {
      const s = exp_f32(load<f32>(pl + o) * 0.5);
      store<f32>(pz + o, load<f32>(pm + o) + s * load<f32>(pe + o));
    }
  }
}

export function reparam_forward_scalar(z: usize, eps: usize, stats: usize, B: i32, L: i32): void {
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < L; d++) {
      const mu = load<f32>(stats + ((<usize>b * 2 * L + d) << 2));
      const lv = load<f32>(stats + ((<usize>b * 2 * L + L + d) << 2));
      const e = load<f32>(eps + ((<usize>b * L + d) << 2));
      const s = exp_f32(lv * 0.5);
      store<f32>(z + ((<usize>b * L + d) << 2), mu + s * e);
    }
  }
}

export function reparam_backward(dstats: usize, dz: usize, eps: usize, stats: usize, B: i32, L: i32): void {
  const rowL = <usize>L << 2;
  const L4 = <usize>(L & ~3) << 2;
  const half = f32x4.splat(0.5);
  for (let b = 0; b < B; b++) {
    const pdz = dz + <usize>b * rowL;
    const pe = eps + <usize>b * rowL;
    const pl = stats + <usize>b * (rowL << 1) + rowL;
    const pdm = dstats + <usize>b * (rowL << 1);
    const pdl = pdm + rowL;
    let o: usize = 0;
    for (; o < L4; o += 16) {
      const s = exp_f32x4(f32x4.mul(v128.load(pl + o), half));
      const g = v128.load(pdz + o);
      v128.store(pdm + o, f32x4.add(v128.load(pdm + o), g));
      const t = f32x4.mul(f32x4.mul(g, v128.load(pe + o)), s);
      v128.store(pdl + o, f32x4.add(v128.load(pdl + o), f32x4.mul(half, t)));
    }
    for (; o < rowL; o += 4) {
      const s = exp_f32(load<f32>(pl + o) * 0.5);
      const g = load<f32>(pdz + o);
      store<f32>(pdm + o, load<f32>(pdm + o) + g);
      const t = (g * load<f32>(pe + o)) * s;
      store<f32>(pdl + o, load<f32>(pdl + o) + 0.5 * t);
    }
  }
}

export function reparam_backward_scalar(dstats: usize, dz: usize, eps: usize, stats: usize, B: i32, L: i32): void {
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < L; d++) {
      const im = (<usize>b * 2 * L + d) << 2;
      const il = (<usize>b * 2 * L + L + d) << 2;
      const iz = (<usize>b * L + d) << 2;
      const s = exp_f32(load<f32>(stats + il) * 0.5);
      const g = load<f32>(dz + iz);
      store<f32>(dstats + im, load<f32>(dstats + im) + g);
      const t = (g * load<f32>(eps + iz)) * s;
      store<f32>(dstats + il, load<f32>(dstats + il) + 0.5 * t);
    }
  }
}
