// vmath: f32x4 exp and log1p from plain SIMD128 operations, with scalar twins.
//
// Every vector helper has a scalar twin that performs the same IEEE-754 binary32 operations in the
// same order (wasm f32 and f32x4 arithmetic both round to nearest-even and neither fuses a multiply
// with an add), so lane i of `exp_f32x4(v)` is bit-identical to `exp_f32(lane i of v)` (NaN payloads
// aside, which wasm leaves unspecified). That lets the SIMD kernels finish a row's tail with the
// scalar twin and lets every `_scalar` kernel reproduce its SIMD twin exactly.
//
// exp (Cody–Waite range reduction + Cephes' degree-5 minimax polynomial):
//   x is clamped to [-104, 89] (pmax then pmin, so NaN propagates); n = nearest(x·log2 e), rounded to
//   nearest-even by adding and subtracting 1.5·2²³ (n is then read from the sum's low mantissa bits);
//   r = (x − n·C1) − n·C2 with C1 = 0.693359375 (9 significant bits, so n·C1 and x − n·C1 are exact)
//   and C2 = ln 2 − C1; exp(r) = 1 + (r + r²·P(r)) for |r| ≤ ~0.35; the result is scaled by 2ⁿ as
//   (y·2^(n>>1))·2^(n−(n>>1)), two exact power-of-two factors built from exponent bits, so results
//   that overflow become +Inf and results in the subnormal range are rounded once, correctly
//   relative to y, down to 0. exp(+Inf) = +Inf, exp(−Inf) = 0, exp(NaN) = NaN, exp(±0) = 1.
//   Max error, measured exhaustively against float64 exp over every f32 in [−105, 90]: 0.990 ulp (subnormal
//   results in subnormal ulps); test/kernels/vmath.test.ts re-checks a sample and the edges (≤ 1 ulp).
//
// log1p (musl's log1pf, both of its branches evaluated and blended with selects):
//   u = 1 + x is split as 2ᵏ·(1 + f) with 1 + f in [√2/2, √2); c = the rounding error of 1 + x
//   divided by u; for −0.2929 ≤ x < 0.4142 musl's direct path (k = 0, f = x, c = 0) is taken;
//   log1p = s·(f²/2 + R(s²)) + (k·ln2_lo + c) − f²/2 + f + k·ln2_hi with s = f/(2 + f).
//   Special cases by select: |x| < 2⁻²⁴ (incl. ±0, subnormals), +Inf, NaN → x; x = −1 → −Inf;
//   x < −1 → NaN. Max error, measured exhaustively over every f32 in (−1, FLT_MAX]: 0.835 ulp.
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
@inline const SHIFTER: f32 = 12582912.0; // 1.5·2^23
// @ts-ignore: decorator
@inline const SHIFTER_BITS: i32 = 0x4B400000;
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

// ---- the vector constants, pre-splatted in static memory
// V8 11.3 rematerializes every v128.const inside a loop (three instructions each); a 16-byte load from this
// table is one, and measured 20 % faster for exp. Slot i holds four copies of one constant's bits.
const VMK = memory.data<u32>([
  /*  0 */ reinterpret<u32>(EXP_LO), reinterpret<u32>(EXP_LO), reinterpret<u32>(EXP_LO), reinterpret<u32>(EXP_LO),
  /*  1 */ reinterpret<u32>(EXP_HI), reinterpret<u32>(EXP_HI), reinterpret<u32>(EXP_HI), reinterpret<u32>(EXP_HI),
  /*  2 */ reinterpret<u32>(LOG2E), reinterpret<u32>(LOG2E), reinterpret<u32>(LOG2E), reinterpret<u32>(LOG2E),
  /*  3 */ reinterpret<u32>(SHIFTER), reinterpret<u32>(SHIFTER), reinterpret<u32>(SHIFTER), reinterpret<u32>(SHIFTER),
  /*  4 */ reinterpret<u32>(EXP_C1), reinterpret<u32>(EXP_C1), reinterpret<u32>(EXP_C1), reinterpret<u32>(EXP_C1),
  /*  5 */ reinterpret<u32>(EXP_C2), reinterpret<u32>(EXP_C2), reinterpret<u32>(EXP_C2), reinterpret<u32>(EXP_C2),
  /*  6 */ reinterpret<u32>(EXP_P0), reinterpret<u32>(EXP_P0), reinterpret<u32>(EXP_P0), reinterpret<u32>(EXP_P0),
  /*  7 */ reinterpret<u32>(EXP_P1), reinterpret<u32>(EXP_P1), reinterpret<u32>(EXP_P1), reinterpret<u32>(EXP_P1),
  /*  8 */ reinterpret<u32>(EXP_P2), reinterpret<u32>(EXP_P2), reinterpret<u32>(EXP_P2), reinterpret<u32>(EXP_P2),
  /*  9 */ reinterpret<u32>(EXP_P3), reinterpret<u32>(EXP_P3), reinterpret<u32>(EXP_P3), reinterpret<u32>(EXP_P3),
  /* 10 */ reinterpret<u32>(EXP_P4), reinterpret<u32>(EXP_P4), reinterpret<u32>(EXP_P4), reinterpret<u32>(EXP_P4),
  /* 11 */ reinterpret<u32>(EXP_P5), reinterpret<u32>(EXP_P5), reinterpret<u32>(EXP_P5), reinterpret<u32>(EXP_P5),
  /* 12 */ 0x3F800000, 0x3F800000, 0x3F800000, 0x3F800000, // 1.0
  /* 13 */ SHIFTER_BITS, SHIFTER_BITS, SHIFTER_BITS, SHIFTER_BITS,
  /* 14 */ 127, 127, 127, 127,
  /* 15 */ reinterpret<u32>(LN2_HI), reinterpret<u32>(LN2_HI), reinterpret<u32>(LN2_HI), reinterpret<u32>(LN2_HI),
  /* 16 */ reinterpret<u32>(LN2_LO), reinterpret<u32>(LN2_LO), reinterpret<u32>(LN2_LO), reinterpret<u32>(LN2_LO),
  /* 17 */ reinterpret<u32>(LG1), reinterpret<u32>(LG1), reinterpret<u32>(LG1), reinterpret<u32>(LG1),
  /* 18 */ reinterpret<u32>(LG2), reinterpret<u32>(LG2), reinterpret<u32>(LG2), reinterpret<u32>(LG2),
  /* 19 */ reinterpret<u32>(LG3), reinterpret<u32>(LG3), reinterpret<u32>(LG3), reinterpret<u32>(LG3),
  /* 20 */ reinterpret<u32>(LG4), reinterpret<u32>(LG4), reinterpret<u32>(LG4), reinterpret<u32>(LG4),
  /* 21 */ reinterpret<u32>(L1P_DIRECT_LO), reinterpret<u32>(L1P_DIRECT_LO), reinterpret<u32>(L1P_DIRECT_LO), reinterpret<u32>(L1P_DIRECT_LO),
  /* 22 */ reinterpret<u32>(L1P_DIRECT_HI), reinterpret<u32>(L1P_DIRECT_HI), reinterpret<u32>(L1P_DIRECT_HI), reinterpret<u32>(L1P_DIRECT_HI),
  /* 23 */ reinterpret<u32>(L1P_TINY), reinterpret<u32>(L1P_TINY), reinterpret<u32>(L1P_TINY), reinterpret<u32>(L1P_TINY),
  /* 24 */ 0x7F800000, 0x7F800000, 0x7F800000, 0x7F800000, // +Inf
  /* 25 */ 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, // NaN (F32_NAN)
  /* 26 */ 0xBF800000, 0xBF800000, 0xBF800000, 0xBF800000, // -1.0
  /* 27 */ 0xFF800000, 0xFF800000, 0xFF800000, 0xFF800000, // -Inf
  /* 28 */ 0x40000000, 0x40000000, 0x40000000, 0x40000000, // 2.0
  /* 29 */ 0x3F000000, 0x3F000000, 0x3F000000, 0x3F000000, // 0.5
  /* 30 */ 0x3F800000 - 0x3F3504F3, 0x3F800000 - 0x3F3504F3, 0x3F800000 - 0x3F3504F3, 0x3F800000 - 0x3F3504F3,
  /* 31 */ 0x7F, 0x7F, 0x7F, 0x7F,
  /* 32 */ 2, 2, 2, 2,
  /* 33 */ 25, 25, 25, 25,
  /* 34 */ 0x007FFFFF, 0x007FFFFF, 0x007FFFFF, 0x007FFFFF,
  /* 35 */ 0x3F3504F3, 0x3F3504F3, 0x3F3504F3, 0x3F3504F3,
], 16);
// @ts-ignore: decorator
@inline const K_EXP_LO = 0;
// @ts-ignore: decorator
@inline const K_EXP_HI = 1;
// @ts-ignore: decorator
@inline const K_LOG2E = 2;
// @ts-ignore: decorator
@inline const K_SHIFTER = 3;
// @ts-ignore: decorator
@inline const K_EXP_C1 = 4;
// @ts-ignore: decorator
@inline const K_EXP_C2 = 5;
// @ts-ignore: decorator
@inline const K_EXP_P0 = 6;
// @ts-ignore: decorator
@inline const K_EXP_P1 = 7;
// @ts-ignore: decorator
@inline const K_EXP_P2 = 8;
// @ts-ignore: decorator
@inline const K_EXP_P3 = 9;
// @ts-ignore: decorator
@inline const K_EXP_P4 = 10;
// @ts-ignore: decorator
@inline const K_EXP_P5 = 11;
// @ts-ignore: decorator
@inline const K_ONE = 12;
// @ts-ignore: decorator
@inline const K_SHIFTER_BITS = 13;
// @ts-ignore: decorator
@inline const K_BIAS = 14;
// @ts-ignore: decorator
@inline const K_LN2_HI = 15;
// @ts-ignore: decorator
@inline const K_LN2_LO = 16;
// @ts-ignore: decorator
@inline const K_LG1 = 17;
// @ts-ignore: decorator
@inline const K_LG2 = 18;
// @ts-ignore: decorator
@inline const K_LG3 = 19;
// @ts-ignore: decorator
@inline const K_LG4 = 20;
// @ts-ignore: decorator
@inline const K_L1P_DIRECT_LO = 21;
// @ts-ignore: decorator
@inline const K_L1P_DIRECT_HI = 22;
// @ts-ignore: decorator
@inline const K_L1P_TINY = 23;
// @ts-ignore: decorator
@inline const K_INF = 24;
// @ts-ignore: decorator
@inline const K_NAN = 25;
// @ts-ignore: decorator
@inline const K_NEG_ONE = 26;
// @ts-ignore: decorator
@inline const K_NEG_INF = 27;
// @ts-ignore: decorator
@inline const K_TWO = 28;
// @ts-ignore: decorator
@inline const K_HALF = 29;
// @ts-ignore: decorator
@inline const K_L1P_IU_OFF = 30;
// @ts-ignore: decorator
@inline const K_L1P_7F = 31;
// @ts-ignore: decorator
@inline const K_L1P_2 = 32;
// @ts-ignore: decorator
@inline const K_L1P_25 = 33;
// @ts-ignore: decorator
@inline const K_L1P_MANT = 34;
// @ts-ignore: decorator
@inline const K_L1P_SQRT1_2 = 35;

/** The pre-splatted constant in slot `slot` of VMK (a constant address after inlining). */
// @ts-ignore: decorator
@inline
function vk(slot: i32): v128 {
  return v128.load(VMK + (<usize>slot << 4));
}

/** e^x on four lanes. */
// @ts-ignore: decorator
@global @inline
function exp_f32x4(v: v128): v128 {
  // clamp with pmax/pmin (one maxps/minps each on x64); with x as the first operand a NaN lane passes through
  const x = f32x4.pmin(f32x4.pmax(v, vk(K_EXP_LO)), vk(K_EXP_HI));
  // n = nearest(x·log2 e) by the 1.5·2²³ shifter: the add rounds to nearest-even, and n sits in the low mantissa bits
  const t = f32x4.add(f32x4.mul(x, vk(K_LOG2E)), vk(K_SHIFTER));
  const fx = f32x4.sub(t, vk(K_SHIFTER));
  let r = f32x4.sub(x, f32x4.mul(fx, vk(K_EXP_C1)));
  r = f32x4.sub(r, f32x4.mul(fx, vk(K_EXP_C2)));
  const z = f32x4.mul(r, r);
  let p = f32x4.add(f32x4.mul(vk(K_EXP_P0), r), vk(K_EXP_P1));
  p = f32x4.add(f32x4.mul(p, r), vk(K_EXP_P2));
  p = f32x4.add(f32x4.mul(p, r), vk(K_EXP_P3));
  p = f32x4.add(f32x4.mul(p, r), vk(K_EXP_P4));
  p = f32x4.add(f32x4.mul(p, r), vk(K_EXP_P5));
  let y = f32x4.add(f32x4.mul(p, z), r);
  y = f32x4.add(y, vk(K_ONE));
  const n = i32x4.sub(t, vk(K_SHIFTER_BITS));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, vk(K_BIAS)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, vk(K_BIAS)), 23);
  return f32x4.mul(f32x4.mul(y, s1), s2);
}

/** e^x, the scalar twin of exp_f32x4 (bit-identical lane by lane). */
// @ts-ignore: decorator
@global @inline
function exp_f32(v: f32): f32 {
  const lo = select<f32>(EXP_LO, v, v < EXP_LO); // f32x4.pmax(v, LO) = v < LO ? LO : v
  const x = select<f32>(EXP_HI, lo, EXP_HI < lo); // f32x4.pmin(lo, HI) = HI < lo ? HI : lo
  const t = x * LOG2E + SHIFTER;
  const fx = t - SHIFTER;
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
  const n = reinterpret<i32>(t) - SHIFTER_BITS;
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
  const one = vk(K_ONE);
  const u = f32x4.add(one, x);
  let iu = i32x4.add(u, vk(K_L1P_IU_OFF));
  let k = i32x4.sub(i32x4.shr_u(iu, 23), vk(K_L1P_7F));
  // correction term c ≈ log(1 + x) − log(u)
  const cBig = f32x4.sub(one, f32x4.sub(u, x));
  const cSmall = f32x4.sub(x, f32x4.sub(u, one));
  let c = v128.bitselect(cBig, cSmall, i32x4.ge_s(k, vk(K_L1P_2)));
  c = f32x4.div(c, u);
  c = v128.andnot(c, i32x4.ge_s(k, vk(K_L1P_25)));
  iu = i32x4.add(v128.and(iu, vk(K_L1P_MANT)), vk(K_L1P_SQRT1_2));
  let f = f32x4.sub(iu, one);
  // musl's direct path for √2/2 ≤ 1 + x < √2
  const direct = v128.and(f32x4.ge(x, vk(K_L1P_DIRECT_LO)), f32x4.lt(x, vk(K_L1P_DIRECT_HI)));
  f = v128.bitselect(x, f, direct);
  c = v128.andnot(c, direct);
  k = v128.andnot(k, direct);
  const s = f32x4.div(f, f32x4.add(vk(K_TWO), f));
  const z = f32x4.mul(s, s);
  const w = f32x4.mul(z, z);
  const t1 = f32x4.mul(w, f32x4.add(vk(K_LG2), f32x4.mul(w, vk(K_LG4))));
  const t2 = f32x4.mul(z, f32x4.add(vk(K_LG1), f32x4.mul(w, vk(K_LG3))));
  const R = f32x4.add(t2, t1);
  const hfsq = f32x4.mul(f32x4.mul(vk(K_HALF), f), f);
  const dk = f32x4.convert_i32x4_s(k);
  let y = f32x4.mul(s, f32x4.add(hfsq, R));
  y = f32x4.add(y, f32x4.add(f32x4.mul(dk, vk(K_LN2_LO)), c));
  y = f32x4.sub(y, hfsq);
  y = f32x4.add(y, f);
  y = f32x4.add(y, f32x4.mul(dk, vk(K_LN2_HI)));
  // special cases
  const passX = v128.or(
    v128.or(f32x4.lt(f32x4.abs(x), vk(K_L1P_TINY)), f32x4.eq(x, vk(K_INF))),
    f32x4.ne(x, x),
  );
  y = v128.bitselect(x, y, passX);
  y = v128.bitselect(vk(K_NEG_INF), y, f32x4.eq(x, vk(K_NEG_ONE)));
  y = v128.bitselect(vk(K_NAN), y, f32x4.lt(x, vk(K_NEG_ONE)));
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
