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
