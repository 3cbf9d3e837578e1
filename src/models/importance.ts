// Importance sampling in bounded memory: how n examples × k samples are cut into blocks of decoder rows.

/** One block: `samples` samples (from sample k0 on) of each of `examples` examples starting at `start`. */
export interface SampleBlock {
  start: number;
  examples: number;
  k0: number;
  samples: number;
}

/**
 * Blocks covering n examples × k samples, example-major: whole examples, up to `examplesPerBlock` at a time, when
 * k ≤ samplesPerBlock; otherwise one example at a time in runs of at most samplesPerBlock samples.
 */
export function* sampleBlocks(n: number, k: number, examplesPerBlock: number, samplesPerBlock: number): Generator<SampleBlock> {
  if (k <= samplesPerBlock) {
    for (let start = 0; start < n; start += examplesPerBlock) {
      yield { start, examples: Math.min(examplesPerBlock, n - start), k0: 0, samples: k };
    }
    return;
  }
  for (let start = 0; start < n; start++) {
    for (let k0 = 0; k0 < k; k0 += samplesPerBlock) yield { start, examples: 1, k0, samples: Math.min(samplesPerBlock, k - k0) };
  }
}

/**
 * The largest of n log weights v[from … from + n) and Σ e^(v − max): log Σ e^v = max + log sum, and the
 * self-normalised weight of sample i is e^(v_i − max) / sum. Every importance-weighted estimate of the models takes
 * its weights from here (max −∞: no sample has any weight; sum is 0 then).
 */
export function logWeightsScale(v: Float64Array, from: number, n: number): { max: number; sum: number } {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, v[from + i]);
  if (max === -Infinity) return { max, sum: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(v[from + i] - max);
  return { max, sum };
}

/** log Σ e^v over v[from … from + n) (−∞ when every term is). */
export function logSumExp(v: Float64Array, from: number, n: number): number {
  const { max, sum } = logWeightsScale(v, from, n);
  return max === -Infinity ? max : max + Math.log(sum);
}
