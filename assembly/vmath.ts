// vmath: f32x4 exp and log1p from plain SIMD128 operations, with scalar twins.
//
// Every vector helper has a scalar twin that performs the same IEEE-754 binary32 operations in the
// same order (wasm f32 and f32x4 arithmetic both round to nearest-even and neither fuses a multiply
// with an add), so lane i of `exp_f32x4(v)` is bit-identical to `exp_f32(lane i of v)` (NaN payloads
// aside, which wasm leaves unspecified). That lets the SIMD kernels finish a row's tail with the
// scalar twin and lets every `_scalar` kernel reproduce its SIMD twin exactly.
//
// exp (Cody–Waite range reduction + Cephes' degree-5 minimax polynomial):
//   x is clamped to [-104, 89] (max then min, so NaN propagates); n = nearest(x·log2 e);
//   r = (x − n·C1) − n·C2 with C1 = 0.693359375 (9 significant bits, so n·C1 and x − n·C1 are exact)
//   and C2 = ln 2 − C1; exp(r) = 1 + (r + r²·P(r)) for |r| ≤ ~0.35; the result is scaled by 2ⁿ as
//   (y·2^(n>>1))·2^(n−(n>>1)), two exact power-of-two factors built from exponent bits, so results
//   that overflow become +Inf and results in the subnormal range are rounded once, correctly
//   relative to y, down to 0. exp(+Inf) = +Inf, exp(−Inf) = 0, exp(NaN) = NaN, exp(±0) = 1.
//   Measured max error: see test/kernels/vmath.test.ts (≤ 2 ulp against a float64 reference).
//
// log1p (musl's log1pf, both of its branches evaluated and blended with selects):
//   u = 1 + x is split as 2ᵏ·(1 + f) with 1 + f in [√2/2, √2); c = the rounding error of 1 + x
//   divided by u; for −0.2929 ≤ x < 0.4142 musl's direct path (k = 0, f = x, c = 0) is taken;
//   log1p = s·(f²/2 + R(s²)) + (k·ln2_lo + c) − f²/2 + f + k·ln2_hi with s = f/(2 + f).
//   Special cases by select: |x| < 2⁻²⁴ (incl. ±0, subnormals), +Inf, NaN → x; x = −1 → −Inf;
//   x < −1 → NaN.
//
// The four helpers are declared `@global @inline` rather than exported: an export from this file
// would become a wasm export through assembly/index.ts (and v128 can't cross the JS boundary), while
// @global makes them callable from reparam.ts and loss.ts without an import, always inlined.

// ---- exp constants
// @ts-ignore: decorator
@inline const EXP_HI: f32 = 89.0;
// @ts-ignore: decorator
@inline const EXP_LO: f32 = -104.0;
// @ts-ignore: decorator
@inline const LOG2E: f32 = reinterpret<f32>(0x3FB8AA3B); // 1.44269502
// @ts-ignore: decorator
@inline const EXP_C1: f32 = reinterpret<f32>(0x3F318000); // 0.693359375
// @ts-ignore: decorator
@inline const EXP_C2: f32 = reinterpret<f32>(0xB95E8083); // -2.12194440e-4
// @ts-ignore: decorator
@inline const EXP_P0: f32 = 1.9875691500e-4;
// @ts-ignore: decorator
@inline const EXP_P1: f32 = 1.3981999507e-3;
// @ts-ignore: decorator
@inline const EXP_P2: f32 = 8.3334519073e-3;
// @ts-ignore: decorator
@inline const EXP_P3: f32 = 4.1665795894e-2;
// @ts-ignore: decorator
@inline const EXP_P4: f32 = 1.6666665459e-1;
// @ts-ignore: decorator
@inline const EXP_P5: f32 = 5.0000001201e-1;

// ---- log1p constants (musl log1pf)
// @ts-ignore: decorator
@inline const LN2_HI: f32 = reinterpret<f32>(0x3F317180); // 6.9313812256e-01
// @ts-ignore: decorator
@inline const LN2_LO: f32 = reinterpret<f32>(0x3717F7D1); // 9.0580006145e-06
// @ts-ignore: decorator
@inline const LG1: f32 = reinterpret<f32>(0x3F2AAAAA); // 0.66666662693
// @ts-ignore: decorator
@inline const LG2: f32 = reinterpret<f32>(0x3ECCCE13); // 0.40000972152
// @ts-ignore: decorator
@inline const LG3: f32 = reinterpret<f32>(0x3E91E9EE); // 0.28498786688
// @ts-ignore: decorator
@inline const LG4: f32 = reinterpret<f32>(0x3E789E26); // 0.24279078841
// @ts-ignore: decorator
@inline const L1P_DIRECT_LO: f32 = reinterpret<f32>(0xBE95F619); // √2/2 − 1 (rounded as musl does)
// @ts-ignore: decorator
@inline const L1P_DIRECT_HI: f32 = reinterpret<f32>(0x3ED413D0); // √2 − 1
// @ts-ignore: decorator
@inline const L1P_TINY: f32 = reinterpret<f32>(0x33800000); // 2^-24
// @ts-ignore: decorator
@inline const F32_INF: f32 = Infinity;
// @ts-ignore: decorator
@inline const F32_NAN: f32 = reinterpret<f32>(0x7FC00000);

/** e^x on four lanes. */
// @ts-ignore: decorator
@global @inline
function exp_f32x4(v: v128): v128 {
  const x = f32x4.min(f32x4.max(v, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const fx = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(fx, f32x4.splat(EXP_C1)));
  r = f32x4.sub(r, f32x4.mul(fx, f32x4.splat(EXP_C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(f32x4.splat(EXP_P0), r), f32x4.splat(EXP_P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_P5));
  let y = f32x4.add(f32x4.mul(p, z), r);
  y = f32x4.add(y, f32x4.splat(1.0));
  const n = i32x4.trunc_sat_f32x4_s(fx);
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = i32x4.splat(127);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

/** e^x, the scalar twin of exp_f32x4 (bit-identical lane by lane). */
// @ts-ignore: decorator
@global @inline
function exp_f32(v: f32): f32 {
  const x = min<f32>(max<f32>(v, EXP_LO), EXP_HI);
  const fx = nearest<f32>(x * LOG2E);
  let r = x - fx * EXP_C1;
  r = r - fx * EXP_C2;
  const z = r * r;
  let p = EXP_P0 * r + EXP_P1;
  p = p * r + EXP_P2;
  p = p * r + EXP_P3;
  p = p * r + EXP_P4;
  p = p * r + EXP_P5;
  let y = p * z + r;
  y = y + 1.0;
  const n = <i32>fx; // i32.trunc_sat_f32_s (never NaN-trapping: nontrapping-f2i)
  const n1 = n >> 1;
  const n2 = n - n1;
  const s1 = reinterpret<f32>((n1 + 127) << 23);
  const s2 = reinterpret<f32>((n2 + 127) << 23);
  return (y * s1) * s2;
}

/** log(1 + x) on four lanes. */
// @ts-ignore: decorator
@global @inline
function log1p_f32x4(x: v128): v128 {
  const one = f32x4.splat(1.0);
  const u = f32x4.add(one, x);
  let iu = i32x4.add(u, i32x4.splat(0x3F800000 - 0x3F3504F3));
  let k = i32x4.sub(i32x4.shr_u(iu, 23), i32x4.splat(0x7F));
  // correction term c ≈ log(1 + x) − log(u)
  const cBig = f32x4.sub(one, f32x4.sub(u, x));
  const cSmall = f32x4.sub(x, f32x4.sub(u, one));
  let c = v128.bitselect(cBig, cSmall, i32x4.ge_s(k, i32x4.splat(2)));
  c = f32x4.div(c, u);
  c = v128.andnot(c, i32x4.ge_s(k, i32x4.splat(25)));
  iu = i32x4.add(v128.and(iu, i32x4.splat(0x007FFFFF)), i32x4.splat(0x3F3504F3));
  let f = f32x4.sub(iu, one);
  // musl's direct path for √2/2 ≤ 1 + x < √2
  const direct = v128.and(f32x4.ge(x, f32x4.splat(L1P_DIRECT_LO)), f32x4.lt(x, f32x4.splat(L1P_DIRECT_HI)));
  f = v128.bitselect(x, f, direct);
  c = v128.andnot(c, direct);
  k = v128.andnot(k, direct);
  const s = f32x4.div(f, f32x4.add(f32x4.splat(2.0), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(f32x4.splat(LG2), f32x4.mul(w, f32x4.splat(LG4))));
  const t2 = f32x4.mul(z, f32x4.add(f32x4.splat(LG1), f32x4.mul(w, f32x4.splat(LG3))));
  const R = f32x4.add(t2, t1);
  const hfsq = f32x4.mul(f32x4.mul(f32x4.splat(0.5), f), f);
  const dk = f32x4.convert_i32x4_s(k);
  let y = f32x4.mul(s, f32x4.add(hfsq, R));
  y = f32x4.add(y, f32x4.add(f32x4.mul(dk, f32x4.splat(LN2_LO)), c));
  y = f32x4.sub(y, hfsq);
  y = f32x4.add(y, f);
  y = f32x4.add(y, f32x4.mul(dk, f32x4.splat(LN2_HI)));
  // special cases
  const passX = v128.or(
    v128.or(f32x4.lt(f32x4.abs(x), f32x4.splat(L1P_TINY)), f32x4.eq(x, f32x4.splat(F32_INF))),
    f32x4.ne(x, x),
  );
  y = v128.bitselect(x, y, passX);
  y = v128.bitselect(f32x4.splat(-F32_INF), y, f32x4.eq(x, f32x4.splat(-1.0)));
  y = v128.bitselect(f32x4.splat(F32_NAN), y, f32x4.lt(x, f32x4.splat(-1.0)));
  return y;
}

/** log(1 + x), the scalar twin of log1p_f32x4 (bit-identical lane by lane). */
// @ts-ignore: decorator
@global @inline
function log1p_f32(x: f32): f32 {
  const u: f32 = 1.0 + x;
  let iu = reinterpret<i32>(u) + (0x3F800000 - 0x3F3504F3);
  let k = i32(<u32>iu >> 23) - 0x7F;
  const cBig: f32 = 1.0 - (u - x);
  const cSmall: f32 = x - (u - 1.0);
  let c = select<f32>(cBig, cSmall, k >= 2);
  c = c / u;
  c = select<f32>(0, c, k >= 25);
  iu = (iu & 0x007FFFFF) + 0x3F3504F3;
  let f: f32 = reinterpret<f32>(iu) - 1.0;
  const direct = x >= L1P_DIRECT_LO && x < L1P_DIRECT_HI;
  f = select<f32>(x, f, direct);
  c = select<f32>(0, c, direct);
  k = select<i32>(0, k, direct);
  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * LG4);
  const t2 = z * (LG1 + w * LG3);
  const R = t2 + t1;
  const hfsq: f32 = 0.5 * f * f;
  const dk = <f32>k;
  let y = s * (hfsq + R);
  y = y + (dk * LN2_LO + c);
  y = y - hfsq;
  y = y + f;
  y = y + dk * LN2_HI;
  const passX = abs<f32>(x) < L1P_TINY || x == F32_INF || x != x;
  y = select<f32>(x, y, passX);
  y = select<f32>(-F32_INF, y, x == -1.0);
  y = select<f32>(F32_NAN, y, x < -1.0);
  return y;
}

// ---- array kernels (exported for tests)

/** Y[i] = exp(X[i]), i < n. */
export function vexp(Y: usize, X: usize, n: i32): void {
  let py = Y;
  let px = X;
  const end = X + (<usize>(n & ~3) << 2);
  while (px < end) {
    v128.store(py, exp_f32x4(v128.load(px)));
    px += 16;
    py += 16;
  }
  const tail = X + (<usize>n << 2);
  while (px < tail) {
    store<f32>(py, exp_f32(load<f32>(px)));
    px += 4;
    py += 4;
  }
}

export function vexp_scalar(Y: usize, X: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, exp_f32(load<f32>(X + o)));
  }
}

/** Y[i] = log1p(X[i]), i < n. */
export function vlog1p(Y: usize, X: usize, n: i32): void {
  let py = Y;
  let px = X;
  const end = X + (<usize>(n & ~3) << 2);
  while (px < end) {
    v128.store(py, log1p_f32x4(v128.load(px)));
    px += 16;
    py += 16;
  }
  const tail = X + (<usize>n << 2);
  while (px < tail) {
    store<f32>(py, log1p_f32(load<f32>(px)));
    px += 4;
    py += 4;
  }
}

export function vlog1p_scalar(Y: usize, X: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(Y + o, log1p_f32(load<f32>(X + o)));
  }
}
