// Paths between two latent codes: straight lines, or great-circle arcs (slerp), which keep the norm that most of a
// Gaussian prior's mass sits at.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";

/**
 * How `interpolate` walks from a to b.
 *
 * @example
 * ```ts
 * const method: InterpolationMethod = "slerp";
 * ```
 */
export type InterpolationMethod = "linear" | "slerp";

/**
 * `steps` points from a to b (both included), row-major [steps, a.length]. "slerp" follows
 * sin((1−t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b with Ω the angle between a and b, and falls back to the straight line
 * when a and b are (anti)parallel or zero.
 */
export function interpolatePath(a: Float32Array, b: Float32Array, steps: number, method: InterpolationMethod): Float32Array {
  const L = a.length;
  const out = new Float32Array(steps * L);
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < L; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = na > 0 && nb > 0 ? Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb))) : 1;
  const omega = Math.acos(cos);
  const arc = method === "slerp" && omega > 1e-6 && Math.PI - omega > 1e-6;
  for (let s = 0; s < steps; s++) {
    const t = steps === 1 ? 0 : s / (steps - 1);
    const [wa, wb] = arc ? [Math.sin((1 - t) * omega) / Math.sin(omega), Math.sin(t * omega) / Math.sin(omega)] : [1 - t, t];
    for (let i = 0; i < L; i++) out[s * L + i] = wa * a[i] + wb * b[i];
  }
  return out;
}

/** Checks interpolate's options; returns steps and method. */
export function interpolationOptions(o: { steps?: unknown; method?: unknown }): { steps: number; method: InterpolationMethod } {
  const steps = o.steps ?? 10;
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 2 || steps > 100_000) {
    throw new InvalidInputError(`interpolate: steps must be an integer from 2 to 100000; got ${show(o.steps)}`);
  }
  const method = o.method ?? "linear";
  if (method !== "linear" && method !== "slerp") {
    throw new InvalidInputError(`interpolate: method must be "linear" or "slerp"; got ${show(o.method)}`);
  }
  return { steps, method };
}
