// Statistics of a posterior over a data set: the KL each latent dimension carries, and which dimensions are active.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";

/**
 * Mean over n examples of KL(q(z_j|x) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²) for each latent dimension j, from
 * posterior means and log-variances [n, L]. The sum over j is the mean KL term of the ELBO.
 */
export function klPerDimension(mean: Float32Array, logVar: Float32Array, n: number, L: number): Float64Array {
  const out = new Float64Array(L);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < L; j++) {
      const m = mean[r * L + j], lv = logVar[r * L + j];
      out[j] += 0.5 * (m * m + (Math.expm1(lv) - lv));
    }
  }
  for (let j = 0; j < L; j++) out[j] /= n;
  return out;
}

/**
 * What `activeUnits` returns: how many latent dimensions are active, and each one's variance (over the data) of
 * the posterior mean.
 *
 * @example
 * ```ts
 * const { count, variances }: ActiveUnits = vae.activeUnits(testX);
 * ```
 */
export interface ActiveUnits {
  count: number;
  variances: Float64Array;
}

/**
 * Burda et al.'s active units: dimension j is active when Var_x(E_q[z_j|x]) > threshold; the variance is the
 * population variance over the n examples (two-pass, f64).
 */
export function activeUnits(mean: Float32Array, n: number, L: number, threshold: number): ActiveUnits {
  const avg = new Float64Array(L);
  for (let r = 0; r < n; r++) for (let j = 0; j < L; j++) avg[j] += mean[r * L + j];
  for (let j = 0; j < L; j++) avg[j] /= n;
  const variances = new Float64Array(L);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < L; j++) {
      const d = mean[r * L + j] - avg[j];
      variances[j] += d * d;
    }
  }
  let count = 0;
  for (let j = 0; j < L; j++) {
    variances[j] /= n;
    if (variances[j] > threshold) count++;
  }
  return { count, variances };
}

/** Checks activeUnits' threshold (default 0.01, the IWAE paper's). */
export function thresholdOf(v: unknown): number {
  if (v === undefined) return 0.01;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new InvalidInputError(`activeUnits: threshold must be a finite number ≥ 0; got ${show(v)}`);
  }
  return v;
}
