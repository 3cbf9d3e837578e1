// @ts-nocheck -- AssemblyScript, not TypeScript: compiled on its own by bench/infer.mjs into bench/.build/read-probe.wasm.
//
// The weight-read floor of batch-1 inference: loops that only read n bytes once (n a multiple of 128), as fast
// as a loop can. Batch-1 encode + decode must read every weight once, so the fastest of these, run on a buffer
// the size of the model's weights, is the floor its latency is compared with.
//   read_or:  8 loads of 16 bytes per step folded into 4 v128.or chains (1-cycle ops: the loads are the limit)
//   read_sum: the same loads summed with f32x4.add into 8 chains (what a kernel's adds would cost on top)
// Each returns a value derived from every byte, so the loads cannot be removed.

export function heap_base(): usize {
  return __heap_base;
}

export function read_or(p: usize, n: i32): i32 {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  const end = p + <usize>n;
  do {
    a0 = v128.or(a0, v128.load(p)); a1 = v128.or(a1, v128.load(p, 16));
    a2 = v128.or(a2, v128.load(p, 32)); a3 = v128.or(a3, v128.load(p, 48));
    a0 = v128.or(a0, v128.load(p, 64)); a1 = v128.or(a1, v128.load(p, 80));
    a2 = v128.or(a2, v128.load(p, 96)); a3 = v128.or(a3, v128.load(p, 112));
    p += 128;
  } while (p < end);
  const s = v128.or(v128.or(a0, a1), v128.or(a2, a3));
  return i32x4.extract_lane(s, 0) ^ i32x4.extract_lane(s, 1) ^ i32x4.extract_lane(s, 2) ^ i32x4.extract_lane(s, 3);
}

export function read_sum(p: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  const end = p + <usize>n;
  do {
    a0 = f32x4.add(a0, v128.load(p)); a1 = f32x4.add(a1, v128.load(p, 16));
    a2 = f32x4.add(a2, v128.load(p, 32)); a3 = f32x4.add(a3, v128.load(p, 48));
    a4 = f32x4.add(a4, v128.load(p, 64)); a5 = f32x4.add(a5, v128.load(p, 80));
    a6 = f32x4.add(a6, v128.load(p, 96)); a7 = f32x4.add(a7, v128.load(p, 112));
    p += 128;
  } while (p < end);
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
