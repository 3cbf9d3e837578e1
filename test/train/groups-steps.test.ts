// fit's general loop on a real two-group, two-step target (test/train/tiny-gan.ts: a generator dense layer and a
// discriminator MLP, both run by the engine's kernels): each step updates only its own group, each group's
// optimizer state is its own (checked against a float64 Adam/SGD on the same gradients), per-step terms are
// logged, named fields are permuted consistently, whole groups stay together, a diverging step stops training with
// every group's last good weights, bad settings are rejected before anything moves, and threads give the same bits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigError, InvalidInputError, TrainingDivergedError } from "../../src/errors";
import type { Engine } from "../../src/runtime/engine";
import { type EpochLog, fit, type Terms } from "../../src/train/fit";
import { ParameterGroups } from "../../src/train/groups";
import { permutation } from "../../src/train/shuffle";
import { expectBitIdentical } from "../helpers/assert";
import { oneAndMany } from "../helpers/engines";
import { D, G_SIZE, ganData, type StepView, T, TinyGan, TOTAL, Z } from "./tiny-gan";

let one: Engine, many: Engine;
beforeAll(async () => void ({ one, many } = await oneAndMany()));
afterAll(() => many?.pool?.stop());

const slice = (w: Float32Array, group: "generator" | "discriminator"): Float32Array =>
  group === "generator" ? w.subarray(0, G_SIZE) : w.subarray(G_SIZE, TOTAL);
const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);

describe("parameter groups and ordered steps", () => {
  it("runs the steps in order on every batch; each step updates only its own group (the other's gradient is written but not applied)", async () => {
    const gan = new TinyGan(one);
    const views: StepView[] = [];
    gan.hooks = { before: (v) => views.push(v), after: (v) => void (views[views.length - 1].grads = v.grads) };
    const history = await fit(gan.target(), ganData(20), { epochs: 2, batchSize: 8, learningRate: 0.01 });
    const end = gan.weights();
    expect(views.map((v) => v.step)).toEqual(Array.from({ length: 12 }, (_, i) => (i % 2 ? "generator" : "discriminator")));
    expect(gan.stepsTaken).toEqual(views.map((v) => v.step));
    for (let i = 0; i < views.length; i++) {
      const v = views[i], next = i + 1 < views.length ? views[i + 1].before : end;
      const own = v.step, other = own === "generator" ? "discriminator" : "generator";
      expect(sameBits(slice(next, other), slice(v.before, other)), `step ${i} (${own}) left '${other}' alone`).toBe(true);
      expect(sameBits(slice(next, own), slice(v.before, own)), `step ${i} (${own}) moved '${own}'`).toBe(false);
      // the frozen group's gradient was really written by this step's backward
      expect(slice(v.grads!, other).some((g) => g !== 0), `step ${i} wrote '${other}' gradients`).toBe(true);
    }
    // per-step terms per epoch; the top-level loss is their sum
    for (const log of history) {
      const s = log.steps!;
      expect(Object.keys(s)).toEqual(["discriminator", "generator"]);
      expect(Object.keys(s.discriminator).sort()).toEqual(["fake", "loss", "real"]);
      expect(s.discriminator.loss).toBeCloseTo(s.discriminator.real + s.discriminator.fake, 5);
      expect(log.loss).toBeCloseTo(s.discriminator.loss + s.generator.loss, 5);
    }
    gan.dispose();
  });

  it("the test GAN's gradients (both groups, both steps) match float64 central differences", async () => {
    const gan = new TinyGan(one);
    const seen: StepView[] = [];
    gan.hooks = { before: (v) => void seen.push(v), after: (v) => void (seen[seen.length - 1].grads = v.grads) };
    await fit(gan.target(), ganData(12), { epochs: 1, batchSize: 12, shuffle: false });
    for (const v of seen) {
      const x = Float64Array.from(v.batch.fields.x.values), z = Float64Array.from(v.batch.fields.z.values);
      const loss = (w: Float64Array) => ganLoss64(w, x, z, v.step);
      const w = Float64Array.from(v.before);
      for (let i = 0; i < TOTAL; i++) {
        const h = 1e-6, wp = w.slice(), wm = w.slice();
        wp[i] += h;
        wm[i] -= h;
        const fd = (loss(wp) - loss(wm)) / (2 * h);
        expect(Math.abs(v.grads![i] - fd), `${v.step} step, parameter ${i}: ${v.grads![i]} vs ${fd}`).toBeLessThan(2e-4 * (1 + Math.abs(fd)));
      }
    }
  });

  it("keeps one optimizer state per group: Adam (with a schedule) and SGD with momentum match a float64 reference", async () => {
    const gan = new TinyGan(one, { generator: { optimizer: "adam", learningRate: 0.02, beta1: 0.5, schedule: (s) => 1 / (s + 1) } });
    const start = gan.weights();
    const grads: Record<string, Float32Array[]> = { generator: [], discriminator: [] };
    gan.hooks = { after: (v) => void grads[v.step].push(slice(v.grads!, v.step).slice()) };
    // fit's options say Adam 1e-3; the model's group settings override them for the generator, parameterGroups for
    // the discriminator
    await fit(gan.target(), ganData(12), { epochs: 2, batchSize: 5, learningRate: 1e-3,
      parameterGroups: { discriminator: { optimizer: "sgd", learningRate: 0.05, momentum: 0.9 } } });
    expect(grads.generator.length).toBe(6);
    const adam = refAdam(slice(start, "generator"), grads.generator, 0.02, 0.5, 0.999, 1e-8, (s) => 1 / (s + 1));
    const sgd = refSgd(slice(start, "discriminator"), grads.discriminator, 0.05, 0.9);
    const w = gan.weights();
    expectClose(slice(w, "generator"), adam, "generator (Adam)");
    expectClose(slice(w, "discriminator"), sgd, "discriminator (SGD)");
    // and both moved a lot more than the tolerance
    expect(maxDiff(slice(w, "generator"), slice(start, "generator"))).toBeGreaterThan(1e-3);
    expect(maxDiff(slice(w, "discriminator"), slice(start, "discriminator"))).toBeGreaterThan(1e-3);
    // the states carry over to the next fit call (Adam's step count continues: the schedule and bias corrections
    // follow it)
    await fit(gan.target(), ganData(12), { epochs: 1, batchSize: 5, learningRate: 1e-3,
      parameterGroups: { discriminator: { optimizer: "sgd", learningRate: 0.05, momentum: 0.9 } } });
    expect(grads.generator.length).toBe(9);
    expectClose(slice(gan.weights(), "generator"),
      refAdam(slice(start, "generator"), grads.generator, 0.02, 0.5, 0.999, 1e-8, (s) => 1 / (s + 1)), "generator, second fit");
    expectClose(slice(gan.weights(), "discriminator"), refSgd(slice(start, "discriminator"), grads.discriminator, 0.05, 0.9),
      "discriminator, second fit");
    gan.dispose();
  });

  it("clipNorm applies per step over the groups it updates", async () => {
    const gan = new TinyGan(one, { discriminator: { optimizer: "sgd", learningRate: 0.1 }, generator: { optimizer: "sgd", learningRate: 0.1 } });
    const start = gan.weights();
    const grads: Record<string, Float32Array[]> = { generator: [], discriminator: [] };
    let frozenNorm = 0;
    gan.hooks = {
      after: (v) => {
        grads[v.step].push(slice(v.grads!, v.step).slice());
        const other = v.step === "generator" ? "discriminator" : "generator";
        frozenNorm = Math.max(frozenNorm, Math.hypot(...slice(v.grads!, other)));
      },
    };
    const clip = 1e-3;
    await fit(gan.target(), ganData(8), { epochs: 1, batchSize: 8, clipNorm: clip });
    expect(frozenNorm).toBeGreaterThan(clip); // the frozen group's gradient is large, and must not count
    for (const g of ["generator", "discriminator"] as const) {
      const [grad] = grads[g];
      const norm = Math.hypot(...grad);
      expect(norm).toBeGreaterThan(clip);
      const want = slice(start, g).map((p, i) => p - 0.1 * grad[i] * (clip / (norm + 1e-6)));
      expectClose(slice(gan.weights(), g), Float64Array.from(want), g);
    }
    gan.dispose();
  });

  it("gives the same bits on 1 thread and on 3 (every kernel split, slices at odd offsets)", async () => {
    const runs: [Float32Array, EpochLog<Terms>[]][] = [];
    for (const e of [one, many]) {
      const gan = new TinyGan(e, { discriminator: { optimizer: "sgd", learningRate: 0.05, momentum: 0.9, nesterov: true } });
      const h = await fit(gan.target(), ganData(40, (i) => i % 9), { epochs: 3, batchSize: 16, learningRate: 0.01, clipNorm: 5 });
      runs.push([gan.weights(), h]);
      gan.dispose();
    }
    expectBitIdentical(runs[1][0], runs[0][0], "weights");
    const strip = (h: EpochLog<Terms>[]) => h.map(({ seconds: _, examplesPerSecond: __, ...rest }) => rest);
    expect(strip(runs[1][1])).toEqual(strip(runs[0][1]));
  });

  it("a diverging step stops training: every group keeps the weights of its last completed update", async () => {
    for (const [poisoned, what] of [["generator", "generator"], ["discriminator", "loss"], ["generator", "loss"]] as const) {
      const gan = new TinyGan(one);
      const views: StepView[] = [];
      let n = 0;
      gan.hooks = {
        before: (v) => void views.push(v),
        poison: (v) => (v.step === poisoned && n++ === 3 ? what : undefined),
      };
      const err = await fit(gan.target(), ganData(20), { epochs: 3, batchSize: 8 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrainingDivergedError);
      expect((err as TrainingDivergedError).epoch).toBe(2);
      expect((err as TrainingDivergedError).batch).toBe(0);
      expect((err as Error).message).toContain(`step '${poisoned}'`);
      const last = views[views.length - 1];
      expect(last.step).toBe(poisoned);
      // the failing step changed nothing: the weights are exactly those it began with
      expectBitIdentical(gan.weights(), last.before, `${poisoned} poisoned (${what})`);
      if (poisoned === "generator") {
        // the discriminator's update of that same batch stayed applied
        const dStart = views[views.length - 2].before;
        expect(sameBits(slice(last.before, "discriminator"), slice(dStart, "discriminator"))).toBe(false);
      }
      gan.dispose();
    }
  });

  it("a non-finite gradient in a frozen group does not stop the step, and is never applied", async () => {
    const gan = new TinyGan(one);
    gan.hooks = { poison: (v) => (v.step === "generator" ? "discriminator" : undefined) };
    await fit(gan.target(), ganData(20), { epochs: 2, batchSize: 8 });
    expect(gan.weights().every(Number.isFinite)).toBe(true);
    expect(gan.stepsTaken.length).toBe(12);
    gan.dispose();
  });

  it("the step order is the target's (generator first here)", async () => {
    const gan = new TinyGan(one);
    const h = await fit(gan.target(["generator", "discriminator"]), ganData(10), { epochs: 1, batchSize: 10 });
    expect(gan.stepsTaken).toEqual(["generator", "discriminator"]);
    expect(Object.keys(h[0].steps!)).toEqual(["generator", "discriminator"]);
    gan.dispose();
  });
});

describe("batches as named fields", () => {
  it("permutes every field consistently; every example once per epoch; seeded and reproducible", async () => {
    const data = ganData(23);
    const seen = async (seed: number): Promise<number[][]> => {
      const gan = new TinyGan(one);
      const batches: number[][] = [];
      gan.hooks = {
        before: (v) => {
          if (v.step !== "discriminator") return;
          const { x, z, id } = v.batch.fields;
          expect(z.width).toBe(Z);
          for (let r = 0; r < v.batch.rows; r++) {
            const i = id.values[r];
            expect(v.batch.index[r]).toBe(i);
            expect(x.values[r]).toBe(data.x[i]);
            expect(Array.from(z.values.subarray(r * Z, r * Z + Z))).toEqual(Array.from(data.z.subarray(i * Z, i * Z + Z)));
          }
          batches.push(Array.from(id.values));
        },
      };
      await fit(gan.target(), data, { epochs: 2, batchSize: 5, shuffleSeed: seed });
      gan.dispose();
      return batches;
    };
    const a = await seen(3), b = await seen(3), c = await seen(4);
    expect(a.map((x) => x.length)).toEqual([5, 5, 5, 5, 3, 5, 5, 5, 5, 3]);
    for (const epoch of [a.slice(0, 5), a.slice(5)]) expect(epoch.flat().sort((p, q) => p - q)).toEqual([...Array(23).keys()]);
    expect(a.slice(0, 5)).not.toEqual(a.slice(5)); // a new order every epoch
    // exactly the order today's models get: fit's seeded permutation per epoch, cut into batches
    for (const epoch of [0, 1]) {
      const perm = Array.from(permutation(23, 3, epoch));
      expect(a.slice(5 * epoch, 5 * epoch + 5)).toEqual([0, 5, 10, 15, 20].map((s) => perm.slice(s, s + 5)));
    }
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("with a groups field: batches of whole groups, groups in a seeded order, none split", async () => {
    // group sizes 1 to 4 (ids spread over the rows)
    const sizes = [3, 1, 4, 2, 4, 1, 3, 2, 4, 4, 1];
    const ids: number[] = [];
    sizes.forEach((s, g) => ids.push(...Array(s).fill(100 + g)));
    const perm = ids.map((_, i) => (i * 7) % ids.length); // scatter the members of each group over the rows
    const data = ganData(ids.length, (i) => ids[perm[i]]);
    const run = async (seed: number, shuffle = true): Promise<number[][]> => {
      const gan = new TinyGan(one);
      const batches: number[][] = [];
      gan.hooks = {
        before: (v) => {
          if (v.step !== "discriminator") return;
          const g = Array.from(v.batch.fields.groups.values);
          expect(v.batch.rows).toBeLessThanOrEqual(6);
          for (const id of new Set(g)) expect(g.filter((x) => x === id).length).toBe(sizes[id - 100]);
          // members of a group are adjacent, and rows carry their own group id
          for (let r = 0; r < v.batch.rows; r++) expect(data.groups[v.batch.index[r]]).toBe(g[r]);
          batches.push(g);
        },
      };
      await fit(gan.target(), data, { epochs: 2, batchSize: 6, shuffleSeed: seed, shuffle });
      gan.dispose();
      return batches;
    };
    const a = await run(11), b = await run(11), c = await run(12), plain = await run(11, false);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const total = (bs: number[][]) => bs.reduce((n, x) => n + x.length, 0);
    expect(total(a)).toBe(2 * ids.length);
    // unshuffled: groups in order of first appearance, greedily packed
    const first = [...new Set(data.groups)];
    expect([...new Set(plain.slice(0, plain.length / 2).flat())]).toEqual(first);
  });

  it("sequences ([T, D] per example) and their lengths pass through with the rest, as whole groups", async () => {
    const data = ganData(30, (i) => i % 4, true);
    const gan = new TinyGan(one);
    let rows = 0;
    gan.hooks = {
      before: (v) => {
        const { seq, lengths, id, groups } = v.batch.fields;
        expect(seq.width).toBe(T * D);
        expect(seq.values).toBeInstanceOf(Float32Array);
        expect(lengths.values).toBeInstanceOf(Int32Array);
        for (let r = 0; r < v.batch.rows; r++) {
          const i = id.values[r];
          expect(lengths.values[r]).toBe(1 + (i % T));
          expect(groups.values[r]).toBe(i % 4);
          expect(Array.from(seq.values.subarray(r * T * D, (r + 1) * T * D))).toEqual(Array.from(data.seq.subarray(i * T * D, (i + 1) * T * D)));
        }
        rows += v.batch.rows;
      },
    };
    await fit(gan.target(["generator"]), data, { epochs: 2, batchSize: 16 });
    expect(rows).toBe(60);
    gan.dispose();
  });

  it("rejects a group larger than batchSize before anything moves", async () => {
    const gan = new TinyGan(one);
    const w = gan.weights();
    const data = ganData(10, (i) => (i < 7 ? 1 : 2));
    await expect(fit(gan.target(), data, { batchSize: 6 })).rejects.toThrow(/group 1 has 7 examples, more than batchSize 6/);
    expectBitIdentical(gan.weights(), w, "weights");
    expect(gan.stepsTaken).toEqual([]);
    gan.dispose();
  });
});

describe("settings are checked before anything moves", () => {
  it("typed errors for bad groups, steps and per-group settings", async () => {
    const gan = new TinyGan(one);
    const w = gan.weights();
    const t = gan.target();
    const d = ganData(6);
    await expect(fit(t, d, { parameterGroups: { discriminater: { learningRate: 1 } } })).rejects.toThrow(/no parameter group 'discriminater'.*did you mean 'discriminator'/);
    await expect(fit(t, d, { parameterGroups: { generator: { learningrate: 1 } as never } })).rejects.toThrow(/unknown setting 'learningrate'.*'learningRate'/);
    await expect(fit(t, d, { parameterGroups: { generator: { learningRate: -1 } } })).rejects.toThrow(/parameter group 'generator': learningRate must be a number in \(0/);
    await expect(fit(t, d, { parameterGroups: { generator: { nesterov: true } } })).rejects.toThrow(/parameter group 'generator': nesterov needs momentum > 0/);
    await expect(fit(t, d, { parameterGroups: { generator: { schedule: 2 as never } } })).rejects.toThrow(InvalidInputError);
    await expect(fit({ ...t, steps: [{ ...t.steps[0], groups: ["generater"] }] }, d)).rejects.toThrow(InvalidConfigError);
    await expect(fit({ ...t, steps: [t.steps[0], t.steps[0]] }, d)).rejects.toThrow(/unique name/);
    await expect(fit({ ...t, steps: [] }, d)).rejects.toThrow(/no training steps/);
    await expect(fit({ ...t, validate: () => ({ rows: 2, fields: { x: { width: 2, values: new Float32Array(3) } } }) }, d))
      .rejects.toThrow(/field 'x' has 3 values; expected rows · width = 2 · 2 = 4/);
    expectBitIdentical(gan.weights(), w, "weights");
    expect(gan.stepsTaken).toEqual([]);
    gan.dispose();
  });

  it("a schedule that returns a bad factor stops training before its group moves", async () => {
    const gan = new TinyGan(one, { generator: { schedule: (s) => (s < 2 ? 1 : NaN) } });
    const views: StepView[] = [];
    gan.hooks = { before: (v) => void views.push(v) };
    await expect(fit(gan.target(), ganData(8), { epochs: 5, batchSize: 4 })).rejects.toThrow(/schedule of parameter group 'generator' returned NaN at step 2/);
    expectBitIdentical(gan.weights(), views[views.length - 1].before, "weights");
    gan.dispose();
  });

  it("groups must be disjoint slices of the buffer", () => {
    const mk = (g: { name: string; offset: number; size: number }[]) => () => new ParameterGroups(one, 0, 0, 10, g);
    expect(mk([{ name: "a", offset: 0, size: 6 }, { name: "b", offset: 5, size: 5 }])).toThrow(/'a' and 'b' overlap/);
    expect(mk([{ name: "a", offset: 4, size: 7 }])).toThrow(/offset \+ size ≤ 10/);
    expect(mk([{ name: "a", offset: 0, size: 2 }, { name: "a", offset: 2, size: 2 }])).toThrow(/used twice/);
    expect(mk([])).toThrow(InvalidConfigError);
  });
});

// ---- float64 references: the test GAN's losses, and PyTorch's single-tensor Adam and SGD ----

/** The tiny GAN's step loss in float64 (layout as test/train/tiny-gan.ts). */
function ganLoss64(w: Float64Array, x: Float64Array, z: Float64Array, step: "discriminator" | "generator"): number {
  const H = (TOTAL - G_SIZE - 1) / 3;
  const D64 = (u: number): number => {
    let s = w[G_SIZE + 3 * H];
    for (let j = 0; j < H; j++) s += Math.tanh(u * w[G_SIZE + j] + w[G_SIZE + H + j]) * w[G_SIZE + 2 * H + j];
    return s;
  };
  const sp = (a: number): number => (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a)));
  let loss = 0;
  for (let r = 0; r < x.length; r++) {
    let g = w[Z];
    for (let j = 0; j < Z; j++) g += z[r * Z + j] * w[j];
    loss += step === "discriminator" ? sp(-D64(x[r])) + sp(D64(g)) : sp(-D64(g));
  }
  return loss;
}

function refAdam(p0: Float32Array, grads: Float32Array[], lr: number, b1: number, b2: number, eps: number,
  schedule: (s: number) => number = () => 1): Float64Array {
  const p = Float64Array.from(p0), m = new Float64Array(p.length), v = new Float64Array(p.length);
  grads.forEach((g, t) => {
    const rate = lr * schedule(t);
    const bc1 = 1 - b1 ** (t + 1), bc2 = Math.sqrt(1 - b2 ** (t + 1));
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (rate / bc1) * m[i] / (Math.sqrt(v[i]) / bc2 + eps);
    }
  });
  return p;
}

function refSgd(p0: Float32Array, grads: Float32Array[], lr: number, momentum: number): Float64Array {
  const p = Float64Array.from(p0), buf = new Float64Array(p.length);
  grads.forEach((g, t) => {
    for (let i = 0; i < p.length; i++) {
      buf[i] = t === 0 ? g[i] : momentum * buf[i] + g[i];
      p[i] -= lr * buf[i];
    }
  });
  return p;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function expectClose(got: Float32Array, want: Float64Array, label: string): void {
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${label}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(2e-6 + 2e-6 * Math.abs(want[i]));
  }
}
