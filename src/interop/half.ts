// IEEE 754 half precision (binary16) to number, exactly: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.

/**
 * The value of a half-precision bit pattern (subnormals, infinities and NaN included); exact in float32.
 *
 * @example
 * ```ts
 * halfToNumber(0x3c00); // 1
 * ```
 */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
