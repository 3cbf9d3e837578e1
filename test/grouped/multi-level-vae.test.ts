// MultiLevelVAE: the product-of-Gaussians posterior against a float64 reference, the objective's gradients against
// float64 central differences and TF.js autograd (accumulated and per-example content), whole-group batches with
// sub-groups, and the grouped API (encode with groups, decode, swap, files).
import { describe, expect, it } from "vitest";
import { InvalidInputError, loadModel } from "../../src/index.js";
import { MultiLevelVAE, productOfGaussians, productOfGaussiansBackward, runStarts, type MultiLevelVAEConfig } from "../../src/grouped.js";
import { groupBatches, groupMembers, splitGroups } from "../../src/train/fields.js";
import { expectGradients } from "../sdk/gradcheck.js";
import { multiLevelObjective, type MultiLevelConfig } from "../sdk/reference.js";
import { randomArray } from "../helpers/wasm.js";

const D = 24, S = 3, C = 4;
const base: MultiLevelVAEConfig = { inputSize: D, styleSize: S, contentSize: C, hiddenSizes: [16], seed: 3 };
const unit = (n: number, seed: number): Float32Array => randomArray(n * D, seed, 0, 1).map((v) => (v < 0.3 ? 0 : v));

describe("product of Gaussians", () => {
  // groups of 1, 3 and 5 members; log-variances spread over [−4, 3]
  const starts = [0, 1, 4, 9], n = 9, K = 3;
  const stats = new Float32Array(n * 2 * K);
  const mu = randomArray(n * K, 1, -2, 2), lv = randomArray(n * K, 2, -4, 3);
  for (let r = 0; r < n; r++) for (let j = 0; j < K; j++) {
    stats[r * 2 * K + j] = mu[r * K + j];
    stats[r * 2 * K + K + j] = lv[r * K + j];
  }
  /** The textbook form in float64: precisions add, the mean is their weighted mean. */
  const reference = (s: Float64Array): Float64Array => {
    const out = new Float64Array(3 * 2 * K);
    for (let g = 0; g < 3; g++) for (let j = 0; j < K; j++) {
      let prec = 0, pm = 0;
      for (let r = starts[g]; r < starts[g + 1]; r++) {
        const p = 1 / Math.exp(s[r * 2 * K + K + j]);
        prec += p;
        pm += p * s[r * 2 * K + j];
      }
      out[g * 2 * K + j] = pm / prec;
      out[g * 2 * K + K + j] = Math.log(1 / prec);
    }
    return out;
  };

  it("matches the float64 precision-weighted product", () => {
    const out = new Float32Array(3 * 2 * K);
    productOfGaussians(stats, 2 * K, 0, starts, K, out, 2 * K, 0);
    const want = reference(Float64Array.from(stats));
    for (let i = 0; i < out.length; i++) expect(Math.abs(out[i] - want[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(want[i])));
    // a group of one is that member exactly
    for (let j = 0; j < 2 * K; j++) expect(out[j]).toBe(stats[j]);
  });

  it("its backward matches float64 central differences of a weighted sum of the outputs", () => {
    const gOut = Float64Array.from(randomArray(3 * 2 * K, 3, -1, 1));
    const g = new Float32Array(n * 2 * K);
    productOfGaussiansBackward(stats, 2 * K, 0, starts, K, gOut, 2 * K, 0, g);
    const s64 = Float64Array.from(stats);
    const f = (): number => reference(s64).reduce((a, v, i) => a + v * gOut[i], 0);
    for (let i = 0; i < s64.length; i++) {
      const h = 1e-6, o = s64[i];
      s64[i] = o + h;
      const up = f();
      s64[i] = o - h;
      const down = f();
      s64[i] = o;
      expect(Math.abs((up - down) / (2 * h) - g[i])).toBeLessThan(1e-5);
    }
  });

  it("runStarts finds runs of equal ids", () => {
    expect(runStarts([7, 7, 3, 3, 3, 7], 6)).toEqual([0, 2, 5, 6]);
  });
});

describe("sub-groups (groups larger than a batch)", () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => (i < 70 ? 1 : i < 95 ? 2 : 3));
  it("leaves groups that fit as they are, and batches as before", () => {
    const m = groupMembers(ids);
    const split = splitGroups(m, 70, true, 5, 0);
    split.forEach((g, i) => expect(g).toBe(m[i]));
    expect(groupBatches(split, 80, true, 5, 0)).toEqual(groupBatches(m, 80, true, 5, 0));
  });
  it("cuts a large group into near-equal sub-groups that cover it, differently each epoch", () => {
    const m = groupMembers(ids);
    const a = splitGroups(m, 16, true, 5, 0), b = splitGroups(m, 16, true, 5, 1);
    const of1 = a.filter((g) => ids[g[0]] === 1);
    expect(of1.map((g) => g.length)).toEqual([14, 14, 14, 14, 14]); // 70 in ⌈70/16⌉ = 5 pieces
    expect(of1.flat().sort((x, y) => x - y)).toEqual(m[0]);
    for (const g of a) expect(g.every((r) => ids[r] === ids[g[0]])).toBe(true);
    expect(b.filter((g) => ids[g[0]] === 1)).not.toEqual(of1);
    expect(splitGroups(m, 16, false, 5, 0).filter((g) => ids[g[0]] === 1)[0]).toEqual(m[0].slice(0, 14));
  });
  it("fit trains on them with subgroupSize, and still refuses a too-large group without it", async () => {
    const m = await MultiLevelVAE.create(base);
    const x = unit(100, 4);
    await expect(m.fit(x, { groups: ids, batchSize: 32, epochs: 1 })).rejects.toThrow(/group 1 has 70 examples, more than batchSize 32/);
    await expect(m.fit(x, { groups: ids, batchSize: 32, subgroupSize: 33, epochs: 1 })).rejects.toThrow(InvalidInputError);
    expect(m.trainingSteps).toBe(0);
    const seen: number[] = [];
    const h = await m.fit(x, { groups: ids, batchSize: 32, subgroupSize: 8, epochs: 2, onBatchEnd: () => void seen.push(1) });
    expect(h).toHaveLength(2);
    expect(m.trainingSteps).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(2 * Math.ceil(100 / 32));
    expect(Number.isFinite(h[1].loss)).toBe(true);
    m.dispose();
  });
});

/** Layer lists over 4×3×2 images (D = 24): conv2d "same" and strided, batch norm, a pair kernel in conv2dTranspose. */
const CONV = {
  hiddenSizes: [], inputShape: [4, 3, 2],
  encoder: [
    { type: "conv2d", filters: 3, kernelSize: 2, padding: "same", activation: "tanh" },
    { type: "batchNorm" },
    { type: "conv2d", filters: 2, kernelSize: 2, strides: 2, activation: "relu" },
    { type: "flatten" },
    { type: "dense", units: 8, activation: "tanh" },
  ],
  decoder: [
    { type: "dense", units: 12, activation: "tanh" },
    { type: "batchNorm" },
    { type: "reshape", shape: [2, 3, 2] },
    { type: "conv2dTranspose", filters: 3, kernelSize: [2, 1], strides: [2, 1], activation: "relu" },
    { type: "conv2d", filters: 2, kernelSize: 3, padding: "same" },
  ],
} as unknown as Partial<MultiLevelVAEConfig>;

describe("MultiLevelVAE with layer lists", () => {
  it("trains, saves and loads a conv model; refuses MLP fields beside the lists and a misfit shape", async () => {
    const m = await MultiLevelVAE.create({ ...base, ...CONV });
    expect(m.engineInfo.fallbacks).toEqual([]);
    const x = unit(40, 4), groups = Array.from({ length: 40 }, (_, i) => i % 5);
    const h = await m.fit(x, { groups, epochs: 3, batchSize: 20, learningRate: 3e-3 });
    expect(h[2].loss).toBeLessThan(h[0].loss);
    expect(Object.keys(m.getWeights())).toEqual(expect.arrayContaining(["encoder.layers.0.weight", "encoder.layers.1.running_mean", "encoder.content.logvar.weight", "decoder.layers.3.weight"]));
    const bytes = m.save();
    const again = await loadModel(bytes);
    expect(again.kind).toBe("MultiLevelVAE");
    const a = m.encode(x, { groups }), b = (again as MultiLevelVAE).encode(x, { groups });
    expect(b.content.mean).toEqual(a.content.mean);
    expect(b.style.logVar).toEqual(a.style.logVar);
    expect(again.save()).toEqual(bytes);
    again.dispose();
    m.dispose();
    await expect(MultiLevelVAE.create({ ...base, ...CONV, hiddenSizes: [8] })).rejects.toThrow(/hiddenSizes goes with MLP configs/);
    await expect(MultiLevelVAE.create({ ...base, ...CONV, inputSize: 25 })).rejects.toThrow(/disagrees with inputShape/);
    await expect(MultiLevelVAE.create({ ...base, ...CONV, decoder: CONV.decoder!.slice(0, 4) })).rejects.toThrow(/decoder\[3\].*must end with the input's shape/);
  });
});

describe("MultiLevelVAE gradients", () => {
  const n = 10;
  const groups = [5, 5, 9, 2, 5, 9, 9, 2, 7, 5]; // members apart: the model puts them together itself
  for (const [label, extra, data] of [
    ["accumulated content, Bernoulli", {}, "unit"],
    ["per-example content, Gaussian learned σ, ReLU", { accumulate: false, likelihood: "gaussian", sigma: "learned", activation: "relu" }, "real"],
    ["conv layer lists with batch norm, accumulated content", CONV, "unit"],
  ] as const) {
    it(`match float64 central differences and TF.js autograd (${label})`, async () => {
      const m = await MultiLevelVAE.create({ ...base, ...extra } as MultiLevelVAEConfig);
      const x = data === "unit" ? unit(n, 11) : randomArray(n * D, 11, -2, 2);
      const eps = randomArray(n * (S + C), 12, -2, 2);
      const result = m.gradients(x, { groups, epsilon: eps });
      const cfg = m.config as unknown as MultiLevelConfig;
      await expectGradients({
        model: m, label, result,
        objective: (o, W) => multiLevelObjective(o, W, cfg, o.input(x, n, D), n, o.input(eps, n, S + C), groups),
      });
      m.dispose();
    });
  }

  it("a group's content gradient flows to every member", async () => {
    const m = await MultiLevelVAE.create(base);
    const x = unit(4, 2);
    const eps = randomArray(4 * (S + C), 3, -1, 1);
    const together = m.gradients(x, { groups: [0, 0, 0, 0], epsilon: eps });
    const apart = m.gradients(x, { groups: [0, 1, 2, 3], epsilon: eps });
    expect(together.contentKl).toBeLessThan(apart.contentKl * 10);
    expect(together.loss).not.toBe(apart.loss);
    m.dispose();
  });
});

describe("MultiLevelVAE API", () => {
  it("encode with groups gives every member its group's product; without, its own posterior", async () => {
    const m = await MultiLevelVAE.create(base);
    const x = unit(5, 7);
    const own = m.encode(x);
    const shared = m.encode(x, { groups: [1, 2, 1, 1, 2] });
    const stats = new Float32Array(3 * 2 * C);
    for (const [i, r] of [0, 2, 3].entries()) {
      stats.set(own.content.mean.subarray(r * C, (r + 1) * C), i * 2 * C);
      stats.set(own.content.logVar.subarray(r * C, (r + 1) * C), i * 2 * C + C);
    }
    const p = new Float32Array(2 * C);
    productOfGaussians(stats, 2 * C, 0, [0, 3], C, p, 2 * C, 0);
    for (const r of [0, 2, 3]) {
      expect(shared.content.mean.subarray(r * C, (r + 1) * C)).toEqual(p.subarray(0, C));
      expect(shared.content.logVar.subarray(r * C, (r + 1) * C)).toEqual(p.subarray(C));
    }
    expect(shared.style).toEqual(own.style);
    // accumulated evidence is sharper than any member's
    for (let j = 0; j < C; j++) expect(p[C + j]).toBeLessThan(Math.min(...[0, 2, 3].map((r) => own.content.logVar[r * C + j])));
    m.dispose();
  });

  it("decode takes { style, content } or [style | content] rows; swap crosses contents with styles", async () => {
    const m = await MultiLevelVAE.create(base);
    const x = unit(6, 8);
    const e = m.encode(x);
    const a = m.decode({ style: e.style.mean, content: e.content.mean });
    const z = new Float32Array(6 * (S + C));
    for (let r = 0; r < 6; r++) {
      z.set(e.style.mean.subarray(r * S, (r + 1) * S), r * (S + C));
      z.set(e.content.mean.subarray(r * C, (r + 1) * C), r * (S + C) + S);
    }
    expect(m.decode(z)).toEqual(a);
    expect(m.reconstruct(x)).toEqual(a);
    const grid = m.swap(x.subarray(0, 2 * D), x.subarray(2 * D), {});
    expect(grid.length).toBe(2 * 4 * D);
    // cell (i, j) = decode(style of style source j, content of content source i)
    const cell = m.decode({ style: e.style.mean.subarray(3 * S, 4 * S), content: e.content.mean.subarray(C, 2 * C) });
    expect(grid.subarray((1 * 4 + 1) * D, (1 * 4 + 2) * D)).toEqual(cell);
    expect(() => m.decode({ style: e.style.mean, content: e.content.mean.subarray(C) })).toThrow(InvalidInputError);
    expect(() => m.encode(x, { groups: [1, 2] })).toThrow(/groups has 2 ids but x has 6 examples/);
    expect(() => m.encode(x, { groups: [1, 2, 3, 4, 5, 0.5] })).toThrow(/groups\[5\] is 0.5/);
    m.dispose();
  });

  it("saves and loads (its own load and loadModel) bit for bit, after training with groups", async () => {
    const m = await MultiLevelVAE.create(base);
    const x = unit(40, 9);
    const groups = Array.from({ length: 40 }, (_, i) => i % 5);
    await m.fit(x, { groups, batchSize: 16, epochs: 2, validationData: { x, groups } });
    const bytes = m.save();
    const a = await MultiLevelVAE.load(bytes), b = await loadModel(bytes);
    expect(b.kind).toBe("MultiLevelVAE");
    expect(a.save()).toEqual(bytes);
    expect(b.save()).toEqual(bytes);
    expect(a.evaluate(x, { groups, seed: 1 })).toEqual(m.evaluate(x, { groups, seed: 1 }));
    expect(b.encodeAny(x, { layer: "content" }).mean).toEqual(m.encode(x).content.mean);
    for (const k of [m, a, b]) k.dispose();
  });

  it("trains: the loss falls and the same seed gives the same weights", async () => {
    const x = unit(64, 10);
    const groups = Array.from({ length: 64 }, (_, i) => i % 8);
    const run = async () => {
      const m = await MultiLevelVAE.create(base);
      const h = await m.fit(x, { groups, batchSize: 16, epochs: 6, learningRate: 3e-3 });
      const w = m.getWeights();
      m.dispose();
      return { h, w };
    };
    const one = await run(), two = await run();
    expect(one.h[5].loss).toBeLessThan(one.h[0].loss);
    expect(two.w).toEqual(one.w);
  });
});
