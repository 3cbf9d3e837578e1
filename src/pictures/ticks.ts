// Axis ticks at round numbers: steps of 1, 2 or 5 times a power of ten, labelled with the same number of decimals.

/** Tick values from lo to hi (inclusive) and their labels. */
export interface Ticks {
  step: number;
  values: number[];
  labels: string[];
}

/** The round step (1, 2 or 5 × 10^k, at least `minStep`) that puts about `target` ticks across [lo, hi]. */
export function niceStep(lo: number, hi: number, target: number, minStep = 0): number {
  const raw = Math.max((hi - lo) / Math.max(1, target), Number.MIN_VALUE);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const step = (f <= 1.5 ? 1 : f <= 3.5 ? 2 : f <= 7.5 ? 5 : 10) * power;
  return Math.max(step, minStep);
}

/** [lo, hi] widened outwards to whole multiples of the step niceStep picks for it, and that step. */
export function niceRange(lo: number, hi: number, target: number): [number, number, number] {
  const step = niceStep(lo, hi, target);
  return [clean(Math.floor(lo / step + 1e-9) * step, step), clean(Math.ceil(hi / step - 1e-9) * step, step), step];
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** v rounded to the decimals of `step`, so 0.30000000000000004 shows (and compares) as 0.3. */
function clean(v: number, step: number): number {
  const d = decimalsOf(step);
  return d > 15 ? v : Number(v.toFixed(d));
}

/** A tick label: the step's decimals (0.5 → "0.5", 100 → "100"), exponent form beyond 10^6 or below 10^−4. */
export function tickLabel(v: number, step: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(Math.max(0, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9))).replace("e+", "e");
  return v.toFixed(decimalsOf(step));
}

/** The multiples of the nice step inside [lo, hi] (about `target` of them), with their labels. */
export function ticksOf(lo: number, hi: number, target: number, minStep = 0): Ticks {
  return ticksAt(lo, hi, niceStep(lo, hi, target, minStep));
}

/** The multiples of `step` inside [lo, hi], with their labels. */
export function ticksAt(lo: number, hi: number, step: number): Ticks {
  const values: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) values.push(clean(k * step, step));
  return { step, values, labels: values.map((v) => tickLabel(v, step)) };
}
