// madd.ts — the one switch between the exact build and the fast (relaxed-SIMD FMA) build of the same kernels.
//
// vk_madd(a, b, c) is c + a·b on four f32 lanes:
//   exact build (dist/vaekit.wasm, relaxed-simd disabled): f32x4.add(c, f32x4.mul(a, b)) — two roundings, the
//     same in every engine, bit-identical to the scalar twins' `s += a * b`;
//   fast build (dist/vaekit-fast.wasm, `--enable relaxed-simd`): f32x4.relaxed_madd(a, b, c) — one rounding
//     where the CPU has FMA (x86-64 with FMA3, every ARM64), so results may differ in the last bits from the
//     exact build and from one CPU to another (see README, Precision).
// ASC_FEATURE_RELAXED_SIMD is a compile-time constant: each build contains only one branch, and the exact
// build compiles to the very bytes it had before this switch existed.
// Used by the GEMM inner loops (gemm.ts, sparse.ts). Declared `@global` (not exported) so no build exports it.

// @ts-ignore: decorator
@global @inline
function vk_madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
