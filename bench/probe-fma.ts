// @ts-nocheck -- AssemblyScript, not TypeScript: compiled on its own by bench/gemm.mjs into bench/.build/probe-fma.wasm
// with `--enable relaxed-simd` (Node 20 runs it only with --experimental-wasm-relaxed-simd; gemm.mjs sees to that).
//
// The FMA ceiling: a register-only loop of 8 independent chains a_i = relaxed_madd(a_i, m, c) (each step one
// f32x4 fused multiply-add, 8 flops), the instruction the fast build's GEMMs issue. Eight chains cover the FMA
// latency at two FMAs per cycle (Zen 4: 4-cycle latency, 2 per cycle). The values converge to c/(1−m) = 1, so no
// denormals or overflow. Returns the sum of the chains (lane 0) so the loop cannot be removed.
// Flops per call: iters · 8 · 8.

export function probe_f32x4_fma(iters: i32, m: f32, c: f32): f32 {
  const vm = f32x4.splat(m), vc = f32x4.splat(c);
  let a0 = f32x4.splat(0.10), a1 = f32x4.splat(0.11), a2 = f32x4.splat(0.12), a3 = f32x4.splat(0.13);
  let a4 = f32x4.splat(0.14), a5 = f32x4.splat(0.15), a6 = f32x4.splat(0.16), a7 = f32x4.splat(0.17);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.relaxed_madd(a0, vm, vc);
    a1 = f32x4.relaxed_madd(a1, vm, vc);
    a2 = f32x4.relaxed_madd(a2, vm, vc);
    a3 = f32x4.relaxed_madd(a3, vm, vc);
    a4 = f32x4.relaxed_madd(a4, vm, vc);
    a5 = f32x4.relaxed_madd(a5, vm, vc);
    a6 = f32x4.relaxed_madd(a6, vm, vc);
    a7 = f32x4.relaxed_madd(a7, vm, vc);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0);
}
