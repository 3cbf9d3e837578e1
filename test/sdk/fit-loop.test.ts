// fit's divergence checks on a scripted training target: the gradient is checked before every optimizer step — by
// a count of non-finite values without clipNorm, by its norm with clipNorm — and a bad one stops training with
// TrainingDivergedError before the step.
import { describe, expect, it } from "vitest";
import { TrainingDivergedError } from "../../src/errors";
import { fit, type TrainingTarget } from "../../src/train/fit";

/** A target of 4 rows whose gradient goes bad at step `badAt` (0-based); records what fit asked of it. */
function scripted(badAt: number) {
  const calls: string[] = [];
  let step = 0;
  const target: TrainingTarget = {
    seed: 1,
    optimizer: { prepare: () => {}, step: () => void calls.push(`step ${step++}`) } as never,
    validate: () => ({ rows: 4 }),
    batchInput: () => () => {},
    forwardBackward: () => ({ loss: 1 }),
    stepTaken: () => {},
    gradNormSquared: () => (calls.push("norm"), step === badAt ? Infinity : 4),
    gradNonFinite: () => (calls.push("count"), step === badAt ? 3 : 0),
    scaleGradients: (s) => void calls.push(`scale ${s.toFixed(3)}`),
    evaluate: () => ({ loss: 1 }),
  };
  return { target, calls };
}

describe("fit: the gradient check before each step", () => {
  it("without clipNorm: counts non-finite values (never the norm); a bad count stops before that step", async () => {
    const { target, calls } = scripted(2);
    const err = await fit(target, null, { epochs: 5, batchSize: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as Error).message).toMatch(/gradient became non-finite at epoch 2, batch 0/);
    expect(calls).toEqual(["count", "step 0", "count", "step 1", "count"]);
  });

  it("with clipNorm: uses the norm (clipping when above), and a non-finite norm stops before that step", async () => {
    const { target, calls } = scripted(1);
    const err = await fit(target, null, { epochs: 5, batchSize: 2, clipNorm: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect(calls).toEqual(["norm", "scale 0.500", "step 0", "norm"]);
  });
});
