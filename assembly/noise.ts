// noise: input corruption for denoising autoencoders, drawn from the Philox-4x32-10 streams of random.ts.
//
// Both kernels use random.ts's stream layout exactly: element i belongs to block j = i >> 2 (word i & 3) of
// the stream (key0, key1), and block j is philox4x32_10(counter = (ctr0 + j with carry into ctr1, ctr1, 0, 0),
// key = (key0, key1)). A call of n elements consumes ceil(n/4) blocks (the host advances its counter by that).
//   mask_noise(out, x, n, p, …):     out[i] = u_i < p ? +0 : x[i], u_i = (w_i >> 8)·2⁻²⁴ the i-th value that
//                                    rng_uniform(…, same key and counter) writes. Tested as the integer
//                                    comparison (w_i >> 8) < ceil(p·2²⁴) (exact: p·2²⁴ is exact in f64);
//                                    p ≤ 0 or NaN drops nothing, p ≥ 1 drops everything. x is copied bit for bit.
//   gaussian_noise(out, x, n, sigma, …): out[i] = x[i] + s·ε_i in f32 (s = f32(sigma); multiply, then add),
//                                    ε_i the i-th value rng_normal(…, same key and counter) writes (Box–Muller
//                                    in f64 with AssemblyScript's Math, as in random.ts, rounded to f32).
// out may alias x. The SIMD kernels run four Philox blocks at once, one per lane (the 32×32→64-bit products
// by i64x2.extmul, hi/lo words regrouped by shuffles), then transpose the 4×4 words back into element order;
// the last n mod 16 elements go through the scalar path. Philox is integer arithmetic, so both twins produce
// the same words; everything after it is the same f32/f64 code.
// The scalar Philox and Box–Muller are philox.ts's (shared with random.ts); the tests check both kernels
// against rng_uniform / rng_normal bit for bit.

import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1, ph0, ph1, ph2, ph3, stream_block, normal_a, normal_b, box_muller } from "./philox";

// ---- four blocks at once: lane i of (X0, X1, X2, X3) holds the words of block j + i

let X0: v128 = i32x4(0, 0, 0, 0);
let X1: v128 = i32x4(0, 0, 0, 0);
let X2: v128 = i32x4(0, 0, 0, 0);
let X3: v128 = i32x4(0, 0, 0, 0);

/** Blocks j .. j+3 → X0..X3 transposed, so X0 holds block j's four words, X1 block j+1's, and so on. */
// @ts-ignore: decorator
@inline
function blocks_x4(j: u32, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  const base = ((<u64>ctr1 << 32) | <u64>ctr0) + <u64>j;
  const lo = i32x4.splat(<i32><u32>base);
  let c0 = i32x4.add(lo, i32x4(0, 1, 2, 3));
  let c1 = i32x4.sub(i32x4.splat(<i32><u32>(base >> 32)), i32x4.lt_u(c0, lo)); // carry: −1 where c0 wrapped
  let c2 = i32x4.splat(0);
  let c3 = i32x4.splat(0);
  const m0 = i32x4.splat(<i32>PHILOX_M0);
  const m1 = i32x4.splat(<i32>PHILOX_M1);
  let k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    const p0l = i64x2.extmul_low_i32x4_u(c0, m0);
    const p0h = i64x2.extmul_high_i32x4_u(c0, m0);
    const p1l = i64x2.extmul_low_i32x4_u(c2, m1);
    const p1h = i64x2.extmul_high_i32x4_u(c2, m1);
    const hi0 = v128.shuffle<u32>(p0l, p0h, 1, 3, 5, 7);
    const hi1 = v128.shuffle<u32>(p1l, p1h, 1, 3, 5, 7);
    c0 = v128.xor(v128.xor(hi1, c1), i32x4.splat(<i32>k0));
    c1 = v128.shuffle<u32>(p1l, p1h, 0, 2, 4, 6);
    c2 = v128.xor(v128.xor(hi0, c3), i32x4.splat(<i32>k1));
    c3 = v128.shuffle<u32>(p0l, p0h, 0, 2, 4, 6);
  }
  const t0 = v128.shuffle<u32>(c0, c1, 0, 4, 1, 5);
  const t1 = v128.shuffle<u32>(c2, c3, 0, 4, 1, 5);
  const t2 = v128.shuffle<u32>(c0, c1, 2, 6, 3, 7);
  const t3 = v128.shuffle<u32>(c2, c3, 2, 6, 3, 7);
  X0 = v128.shuffle<u32>(t0, t1, 0, 1, 4, 5);
  X1 = v128.shuffle<u32>(t0, t1, 2, 3, 6, 7);
  X2 = v128.shuffle<u32>(t2, t3, 0, 1, 4, 5);
  X3 = v128.shuffle<u32>(t2, t3, 2, 3, 6, 7);
}

// ---- mask noise

/** ceil(p·2²⁴) clamped to [0, 2²⁴]: u_i < p ⟺ (w_i >> 8) < threshold. */
// @ts-ignore: decorator
@inline
function mask_threshold(p: f64): u32 {
  if (!(p > 0)) return 0;
  if (p >= 1) return 1 << 24;
  return <u32>Math.ceil(p * 16777216.0);
}

/** Elements 4·j0 .. n−1 by the scalar Philox. */
// @ts-ignore: decorator
@inline
function mask_scalar_from(out: usize, x: usize, n: i32, thr: u32, key0: u32, key1: u32, ctr0: u32, ctr1: u32, j0: u32): void {
  const blocks = (<u32>n + 3) >> 2;
  for (let j = j0; j < blocks; j++) {
    stream_block(j, key0, key1, ctr0, ctr1);
    const i = j << 2;
    const o = <usize>i << 2;
    const left = <u32>n - i;
    store<u32>(out + o, (ph0 >> 8) < thr ? 0 : load<u32>(x + o));
    if (left > 1) store<u32>(out + o, (ph1 >> 8) < thr ? 0 : load<u32>(x + o, 4), 4);
    if (left > 2) store<u32>(out + o, (ph2 >> 8) < thr ? 0 : load<u32>(x + o, 8), 8);
    if (left > 3) store<u32>(out + o, (ph3 >> 8) < thr ? 0 : load<u32>(x + o, 12), 12);
  }
}

// @ts-ignore: decorator
@inline
function mask_vec(p: usize, q: usize, w: v128, thrv: v128): void {
  v128.store(p, v128.andnot(v128.load(q), i32x4.lt_u(i32x4.shr_u(w, 8), thrv)));
}

export function mask_noise(out: usize, x: usize, n: i32, p: f64, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  // out [n] (written; may alias x), x [n]: out[i] = u_i < p ? 0 : x[i].
  if (n <= 0) return;
  const thr = mask_threshold(p);
  const thrv = i32x4.splat(<i32>thr);
  const groups = <u32>n >> 4;
  for (let g: u32 = 0; g < groups; g++) {
    blocks_x4(g << 2, key0, key1, ctr0, ctr1);
    const o = <usize>g << 6;
    mask_vec(out + o, x + o, X0, thrv);
    mask_vec(out + o + 16, x + o + 16, X1, thrv);
    mask_vec(out + o + 32, x + o + 32, X2, thrv);
    mask_vec(out + o + 48, x + o + 48, X3, thrv);
  }
  mask_scalar_from(out, x, n, thr, key0, key1, ctr0, ctr1, groups << 2);
}

export function mask_noise_scalar(out: usize, x: usize, n: i32, p: f64, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  // out [n] (written; may alias x), x [n]. Bit-identical to mask_noise.
  if (n <= 0) return;
  mask_scalar_from(out, x, n, mask_threshold(p), key0, key1, ctr0, ctr1, 0);
}

// ---- Gaussian noise

/** out[i .. i+left) = x + s·ε for one block's words (left ≤ 4). Not inlined: it is dominated by the
 *  f64 log, cos and sin calls, and one copy keeps the module small. */
function gauss_block(out: usize, x: usize, left: u32, s: f32, w0: u32, w1: u32, w2: u32, w3: u32): void {
  box_muller(w0, w1);
  store<f32>(out, load<f32>(x) + s * normal_a);
  if (left > 1) store<f32>(out, load<f32>(x, 4) + s * normal_b, 4);
  if (left > 2) {
    box_muller(w2, w3);
    store<f32>(out, load<f32>(x, 8) + s * normal_a, 8);
    if (left > 3) store<f32>(out, load<f32>(x, 12) + s * normal_b, 12);
  }
}

// @ts-ignore: decorator
@inline
function gauss_scalar_from(out: usize, x: usize, n: i32, s: f32, key0: u32, key1: u32, ctr0: u32, ctr1: u32, j0: u32): void {
  const blocks = (<u32>n + 3) >> 2;
  for (let j = j0; j < blocks; j++) {
    stream_block(j, key0, key1, ctr0, ctr1);
    const o = <usize>j << 4;
    gauss_block(out + o, x + o, <u32>n - (j << 2), s, ph0, ph1, ph2, ph3);
  }
}

// @ts-ignore: decorator
@inline
function gauss_vec(out: usize, x: usize, s: f32, w: v128): void {
  gauss_block(out, x, 4, s, i32x4.extract_lane(w, 0), i32x4.extract_lane(w, 1), i32x4.extract_lane(w, 2),
    i32x4.extract_lane(w, 3));
}

export function gaussian_noise(out: usize, x: usize, n: i32, sigma: f64, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  // out [n] (written; may alias x), x [n]: out[i] = x[i] + f32(sigma)·ε_i.
  if (n <= 0) return;
  const s = <f32>sigma;
  const groups = <u32>n >> 4;
  for (let g: u32 = 0; g < groups; g++) {
    blocks_x4(g << 2, key0, key1, ctr0, ctr1);
    const o = <usize>g << 6;
    gauss_vec(out + o, x + o, s, X0);
    gauss_vec(out + o + 16, x + o + 16, s, X1);
    gauss_vec(out + o + 32, x + o + 32, s, X2);
    gauss_vec(out + o + 48, x + o + 48, s, X3);
  }
  gauss_scalar_from(out, x, n, s, key0, key1, ctr0, ctr1, groups << 2);
}

export function gaussian_noise_scalar(out: usize, x: usize, n: i32, sigma: f64, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  // out [n] (written; may alias x), x [n]. Bit-identical to gaussian_noise.
  if (n <= 0) return;
  gauss_scalar_from(out, x, n, <f32>sigma, key0, key1, ctr0, ctr1, 0);
}
