// Learning-rate schedules: each named schedule's factors against its closed form (written out here independently),
// the rate fit logs per epoch, a schedule applied by fit equals the same rates given by hand over fit calls (bit for
// bit), per-group schedules, reduce-on-plateau's reductions, and bad settings refused before anything moves.
import { describe, expect, it } from "vitest";
import { InvalidInputError, VAE, type EpochLog } from "../../src/index";
import { fit } from "../../src/train/fit";
import { resolveSchedule } from "../../src/train/schedules";
import type { Optimizer } from "../../src/train/optimizer";
import { oneAndMany } from "../helpers/engines";
import { ganData, TinyGan } from "./tiny-gan";

const opt = {} as Optimizer; // only reduce-on-plateau reads its optimizer (as a key of its state)
const byEpoch = (s: unknown, epochs: number): number[] => {
  const r = resolveSchedule(s, "test");
  return Array.from({ length: epochs }, (_, i) => r.factor(1000, i + 1, opt));
};
const byStep = (s: unknown, steps: number): number[] => {
  const r = resolveSchedule(s, "test");
  return Array.from({ length: steps }, (_, i) => r.factor(i, 7, opt));
};

describe("named schedules against their closed forms", () => {
  it("step: γ^⌊i/every⌋ (epochs and steps)", () => {
    expect(byEpoch({ type: "step", every: 3, gamma: 0.5 }, 8)).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
    expect(byStep({ type: "step", every: 2, per: "step" }, 5)).toEqual([1, 1, 0.1, 0.1, 0.1 ** 2]);
  });

  it("exponential: γ^i", () => {
    expect(byEpoch({ type: "exponential", gamma: 0.9 }, 4)).toEqual([1, 0.9, 0.9 ** 2, 0.9 ** 3]);
    expect(byStep({ type: "exponential", gamma: 0.5, per: "step" }, 3)).toEqual([1, 0.5, 0.25]);
  });

  it("cosine with warm-up: (i+1)/w, then a half cosine from 1 down to minFactor over total − w, then minFactor", () => {
    const total = 10, w = 2, min = 0.1;
    const closed = (i: number) => (i < w ? (i + 1) / w : i >= total ? min : min + (1 - min) * 0.5 * (1 + Math.cos((Math.PI * (i - w)) / (total - w))));
    const got = byEpoch({ type: "cosine", total, warmup: w, minFactor: min }, 13);
    expect(got).toEqual(Array.from({ length: 13 }, (_, i) => closed(i)));
    // landmarks: the warm-up ends at 1, half-way down is the mean of 1 and min, the end is min
    expect(got[1]).toBe(1);
    expect(got[2]).toBe(1);
    expect(got[6]).toBeCloseTo((1 + min) / 2, 15);
    expect(got[10]).toBe(min);
    // without warm-up, per step: PyTorch's CosineAnnealingLR (η_min = 0) factors
    expect(byStep({ type: "cosine", total: 4, per: "step" }, 6)).toEqual([0, 1, 2, 3, 4, 5].map((i) => (i >= 4 ? 0 : 0.5 * (1 + Math.cos((Math.PI * i) / 4)))));
  });

  it("a function of the step gets (step, epoch)", () => {
    const r = resolveSchedule((s: number, e: number) => s * 10 + e, "test");
    expect(r.factor(3, 2, opt)).toBe(32);
  });

  it("reduce-on-plateau: ×factor after more than `patience` epochs without an improvement beyond minDelta, then a cooldown", () => {
    const r = resolveSchedule({ type: "plateau", factor: 0.5, patience: 1, minDelta: 0.1, cooldown: 1, minFactor: 0.2 }, "test");
    const key = {} as Optimizer;
    const factors: number[] = [];
    // 10 improves; 9.95 is not better by more than 0.1 (wait 1); 9.95 again: wait 2 > 1 → 0.5, cooldown 1;
    // 9.9: cooldown epoch (wait stays 0); 9.9 wait 1; 9.9 wait 2 → 0.25; then floor 0.2
    for (const v of [10, 9.95, 9.95, 9.9, 9.9, 9.9, 9.9, 9.9, 9.9, 9.9]) {
      r.plateau!.update(v, key);
      factors.push(r.factor(0, 1, key));
    }
    expect(factors).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2]);
  });

  it("refuses bad settings with InvalidInputError naming what was wrong", () => {
    for (const bad of [
      { type: "steps", every: 2 }, { type: "step" }, { type: "step", every: 0 }, { type: "step", every: 1.5 },
      { type: "exponential" }, { type: "cosine", total: 5, warmup: 5 }, { type: "cosine", total: 5, minFactor: 2 },
      { type: "plateau", factor: 1 }, { type: "plateau", patience: -1 }, { type: "plateau", monitor: "val loss" },
      { type: "step", every: 2, per: "batch" }, { type: "exponential", gamma: 0.5, every: 2 }, 3, null,
    ]) {
      expect(() => resolveSchedule(bad, "fit: schedule"), JSON.stringify(bad)).toThrow(InvalidInputError);
    }
  });
});

describe("schedules in fit", () => {
  const config = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 3 };
  const x = Float32Array.from({ length: 60 }, (_, i) => ((i * 7) % 10) / 10);

  it("a step schedule equals the same rates set by hand over resumed fit calls, bit for bit, and logs each epoch's rate", async () => {
    const a = await VAE.create(config);
    const logs = await a.fit(x, { epochs: 4, batchSize: 4, learningRate: 1e-3, schedule: { type: "step", every: 2, gamma: 0.5 } });
    expect(logs.map((l) => l.learningRate)).toEqual([1e-3, 1e-3, 5e-4, 5e-4]);
    const b = await VAE.create(config);
    await b.fit(x, { epochs: 2, batchSize: 4, learningRate: 1e-3 });
    const late = await b.fit(x, { epochs: 2, batchSize: 4, learningRate: 5e-4, resume: true });
    expect(late.map((l) => l.loss)).toEqual(logs.slice(2).map((l) => l.loss));
    expect(b.save()).toEqual(a.save());
    // without a schedule nothing new is logged
    expect((await b.fit(x, { epochs: 1 }))[0].learningRate).toBeUndefined();
    a.dispose();
    b.dispose();
  });

  it("a per-step cosine schedule logs the rate of each epoch's last update", async () => {
    const m = await VAE.create(config);
    const logs = await m.fit(x, { epochs: 3, batchSize: 4, learningRate: 0.01, schedule: { type: "cosine", total: 9, per: "step" } });
    // 10 examples in batches of 4: 3 updates per epoch; the last update of epoch e is step 3e − 1
    const closed = (i: number) => 0.01 * (0.5 * (1 + Math.cos((Math.PI * i) / 9)));
    expect(logs.map((l) => l.learningRate)).toEqual([2, 5, 8].map(closed));
    m.dispose();
  });

  it("reduce-on-plateau on the validation loss lowers the rate after a plateau", async () => {
    const m = await VAE.create(config);
    const seen: number[] = [];
    // minDelta so large that no epoch after the first counts as an improvement: ×0.5 after every second epoch
    const logs = await m.fit(x, { epochs: 5, batchSize: 4, learningRate: 1e-3, validationData: x,
      schedule: { type: "plateau", patience: 1, factor: 0.5, minDelta: 1e6 }, onEpochEnd: (l) => void seen.push(l.learningRate!) });
    expect(logs.map((l) => l.learningRate)).toEqual([1e-3, 1e-3, 1e-3, 5e-4, 5e-4]);
    expect(seen).toEqual(logs.map((l) => l.learningRate));
    m.dispose();
  });

  it("refuses, before anything moves: a plateau on validation without validationData, a bad schedule, a bad factor", async () => {
    const m = await VAE.create(config);
    const before = m.save();
    await expect(m.fit(x, { schedule: { type: "plateau" } })).rejects.toThrow(/needs validationData/);
    await expect(m.fit(x, { schedule: { type: "cosine" } as never })).rejects.toThrow(InvalidInputError);
    await expect(m.fit(x, { schedule: () => NaN })).rejects.toThrow(/schedule returned NaN at step 0/);
    expect(m.save()).toEqual(before);
    m.dispose();
  });

  it("per parameter group: each group's own schedule (fit's schedule is every group's default), rates logged by group", async () => {
    const { one } = await oneAndMany();
    const gan = new TinyGan(one, { generator: { schedule: { type: "exponential", gamma: 0.5 } } });
    const logs = (await fit(gan.target(), ganData(8), { epochs: 3, batchSize: 8, learningRate: 0.01,
      schedule: { type: "step", every: 2, gamma: 0.1 } })) as EpochLog[];
    expect(logs.map((l) => l.learningRates)).toEqual([
      { discriminator: 0.01, generator: 0.01 },
      { discriminator: 0.01, generator: 0.005 },
      { discriminator: 0.01 * 0.1, generator: 0.0025 },
    ]);
    gan.dispose();
  });
});
