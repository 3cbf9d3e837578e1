// philox: the Philox-4x32-10 block function and the Box–Muller transform shared by every kernel that draws
// random numbers (random.ts's streams, noise.ts's input corruption). Internal: nothing here is a wasm export.
// The algorithm and the stream layout are described in random.ts.

// @ts-ignore: decorator
@inline export const PHILOX_M0: u64 = 0xD2511F53;
// @ts-ignore: decorator
@inline export const PHILOX_M1: u64 = 0xCD9E8D57;
// @ts-ignore: decorator
@inline export const PHILOX_W0: u32 = 0x9E3779B9;
// @ts-ignore: decorator
@inline export const PHILOX_W1: u32 = 0xBB67AE85;
// @ts-ignore: decorator
@inline export const TWO_M24_F32: f32 = 5.9604644775390625e-8; // 2^-24
// @ts-ignore: decorator
@inline export const TWO_M24_F64: f64 = 5.9604644775390625e-8; // 2^-24
// @ts-ignore: decorator
@inline export const TWO_PI: f64 = 6.283185307179586;

// The four output words of the last block (module globals: kernels never allocate).
export let ph0: u32 = 0;
export let ph1: u32 = 0;
export let ph2: u32 = 0;
export let ph3: u32 = 0;

// @ts-ignore: decorator
@inline
export function philox_block(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    const p0 = PHILOX_M0 * <u64>c0;
    const p1 = PHILOX_M1 * <u64>c2;
    const n0 = <u32>(p1 >> 32) ^ c1 ^ k0;
    const n1 = <u32>p1;
    const n2 = <u32>(p0 >> 32) ^ c3 ^ k1;
    const n3 = <u32>p0;
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
  }
  ph0 = c0;
  ph1 = c1;
  ph2 = c2;
  ph3 = c3;
}

/** Runs block j of the stream (key0, key1) starting at block (ctr0, ctr1). */
// @ts-ignore: decorator
@inline
export function stream_block(j: u32, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  const c = ((<u64>ctr1 << 32) | <u64>ctr0) + <u64>j;
  philox_block(<u32>c, <u32>(c >> 32), 0, 0, key0, key1);
}

// Box–Muller on one pair of words; writes the cos value to normal_a and the sin value to normal_b.
export let normal_a: f32 = 0;
export let normal_b: f32 = 0;

// @ts-ignore: decorator
@inline
export function box_muller(wr: u32, wt: u32): void {
  const u0 = <f64>((wr >> 8) + 1) * TWO_M24_F64; // (0, 1]
  const u1 = <f64>(wt >> 8) * TWO_M24_F64; // [0, 1)
  const r = Math.sqrt(-2.0 * Math.log(u0));
  const t = TWO_PI * u1;
  normal_a = <f32>(r * Math.cos(t));
  normal_b = <f32>(r * Math.sin(t));
}
