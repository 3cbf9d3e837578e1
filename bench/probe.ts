// @ts-nocheck -- AssemblyScript, not TypeScript: compiled on its own by bench/gemm.mjs into bench/.build/probe.wasm.
//
// The f32x4 mul+add ceiling: a register-only loop of 12 independent chains a_i = a_i·m + c (each step one
// f32x4.mul and one f32x4.add, 8 flops), the same unfused instructions the GEMM kernels issue. Twelve
// chains hide the mul→add→mul latency; 12 accumulators + m + c fit in V8's 15 allocatable xmm registers.
// The values converge to c/(1−m) = 1, so no denormals or overflow. Returns the sum of the chains (lane 0)
// so the loop cannot be removed. Flops per call: iters · 12 · 8.

export function probe_f32x4_muladd(iters: i32, m: f32, c: f32): f32 {
  const vm = f32x4.splat(m), vc = f32x4.splat(c);
  let a0 = f32x4.splat(0.10), a1 = f32x4.splat(0.11), a2 = f32x4.splat(0.12), a3 = f32x4.splat(0.13);
  let a4 = f32x4.splat(0.14), a5 = f32x4.splat(0.15), a6 = f32x4.splat(0.16), a7 = f32x4.splat(0.17);
  let a8 = f32x4.splat(0.18), a9 = f32x4.splat(0.19), a10 = f32x4.splat(0.20), a11 = f32x4.splat(0.21);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, vm), vc);
    a1 = f32x4.add(f32x4.mul(a1, vm), vc);
    a2 = f32x4.add(f32x4.mul(a2, vm), vc);
    a3 = f32x4.add(f32x4.mul(a3, vm), vc);
    a4 = f32x4.add(f32x4.mul(a4, vm), vc);
    a5 = f32x4.add(f32x4.mul(a5, vm), vc);
    a6 = f32x4.add(f32x4.mul(a6, vm), vc);
    a7 = f32x4.add(f32x4.mul(a7, vm), vc);
    a8 = f32x4.add(f32x4.mul(a8, vm), vc);
    a9 = f32x4.add(f32x4.mul(a9, vm), vc);
    a10 = f32x4.add(f32x4.mul(a10, vm), vc);
    a11 = f32x4.add(f32x4.mul(a11, vm), vc);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)),
                      f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)),
                                f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
  return f32x4.extract_lane(s, 0);
}
