// check: validation of input values in bulk, so that checking a large training set before fit costs a copy and a
// SIMD pass instead of a scalar JavaScript loop.
//
// count_outside_unit: #{i : not (0 ≤ x[i] ≤ 1)} over x[n] — NaN counts (both comparisons are false), −0 does not
//   (−0 ≥ 0), ±Inf counts. The same predicate as JavaScript's `!(v >= 0 && v <= 1)`, so the host's error path,
//   which looks for the first such value, always finds one when the count is non-zero.
// (The finite-only check is optim.ts's count_nonfinite.)

export function count_outside_unit(x: usize, n: i32): i32 {
  // x [n]
  const zero = f32x4.splat(0.0);
  const one = f32x4.splat(1.0);
  let acc = i32x4.splat(0);
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) {
    const v = v128.load(x + o);
    // inside lanes are −1 (all ones); adding the mask and 1 per lane counts the outside ones
    const inside = v128.and(f32x4.ge(v, zero), f32x4.le(v, one));
    acc = i32x4.add(acc, i32x4.add(inside, i32x4.splat(1)));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  const tail = <usize>n << 2;
  for (; o < tail; o += 4) {
    const v = load<f32>(x + o);
    c += i32(!(v >= 0 && v <= 1));
  }
  return c;
}

export function count_outside_unit_scalar(x: usize, n: i32): i32 {
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    c += i32(!(v >= 0 && v <= 1));
  }
  return c;
}
