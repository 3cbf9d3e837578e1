// HybridVAE: the product-of-experts posterior against float64, the objective's gradients against float64 central
// differences and TF.js autograd with parts missing, a missing part contributing nothing and getting no gradient,
// training on partial data, imputation and the importance-sampled conditional log-likelihood.
import { describe, expect, it } from "vitest";
import { InvalidInputError, loadModel } from "../../src/index.js";
import { HybridVAE, productOfExperts, productOfExpertsBackward, type HybridVAEConfig } from "../../src/grouped.js";
import { expectGradients } from "../sdk/gradcheck.js";
import { hybridObjective, type HybridConfig } from "../sdk/reference.js";
import { randomArray } from "../helpers/wasm.js";

const L = 4;
const config: HybridVAEConfig = {
  parts: { a: { size: 6, likelihood: "bernoulli" }, b: { size: 3, likelihood: "gaussian", scale: "learned" }, c: { size: 4, likelihood: "categorical" } },
  latentSize: L, hiddenSizes: [12], activation: "tanh", seed: 4,
};
const Wd = 13, P = 3;

/** n rows: a in [0, 1], b real, c one-hot. */
function rowsOf(n: number, seed: number): Float32Array {
  const x = new Float32Array(n * Wd);
  const u = randomArray(n * Wd, seed, 0, 1);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < 6; j++) x[r * Wd + j] = u[r * Wd + j];
    for (let j = 6; j < 9; j++) x[r * Wd + j] = 4 * u[r * Wd + j] - 2;
    x[r * Wd + 9 + Math.floor(u[r * Wd + 9] * 4)] = 1;
  }
  return x;
}
const maskOf = (n: number, seed: number): Float32Array => randomArray(n * P, seed, 0, 1).map((v) => (v < 0.35 ? 0 : 1));

describe("product of experts", () => {
  const rows = 5;
  const ex = [randomArray(rows * 2 * L, 1, -2, 2), randomArray(rows * 2 * L, 2, -2, 2)];
  const mask = Float32Array.from([1, 1, 1, 0, 0, 1, 0, 0, 1, 1]);
  const reference = (e: Float64Array[]): Float64Array => {
    const out = new Float64Array(rows * 2 * L);
    for (let r = 0; r < rows; r++) for (let j = 0; j < L; j++) {
      let prec = 1, pm = 0; // the prior N(0, 1)
      for (let p = 0; p < 2; p++) if (mask[r * 2 + p]) {
        const q = 1 / Math.exp(e[p][r * 2 * L + L + j]);
        prec += q;
        pm += q * e[p][r * 2 * L + j];
      }
      out[r * 2 * L + j] = pm / prec;
      out[r * 2 * L + L + j] = -Math.log(prec);
    }
    return out;
  };
  it("matches float64, and a row with no part present gets the prior", () => {
    const out = new Float32Array(rows * 2 * L);
    productOfExperts(ex, mask, 2, rows, L, out);
    const want = reference(ex.map((e) => Float64Array.from(e)));
    for (let i = 0; i < out.length; i++) expect(Math.abs(out[i] - want[i])).toBeLessThan(2e-6 * Math.max(1, Math.abs(want[i])));
    for (let j = 0; j < 2 * L; j++) expect(out[3 * 2 * L + j]).toBe(0);
  });
  it("its backward matches central differences; a missing expert gets exactly 0", () => {
    const g = Float32Array.from(randomArray(rows * 2 * L, 3, -1, 1));
    const ge = [new Float32Array(rows * 2 * L).fill(7), new Float32Array(rows * 2 * L).fill(7)];
    productOfExpertsBackward(ex, mask, 2, rows, L, g, ge);
    const e64 = ex.map((e) => Float64Array.from(e));
    const f = (): number => reference(e64).reduce((s, v, i) => s + v * g[i], 0);
    for (let p = 0; p < 2; p++) for (let i = 0; i < rows * 2 * L; i++) {
      const r = Math.floor(i / (2 * L));
      if (!mask[r * 2 + p]) {
        expect(ge[p][i]).toBe(0);
        continue;
      }
      const h = 1e-6, o = e64[p][i];
      e64[p][i] = o + h;
      const up = f();
      e64[p][i] = o - h;
      const down = f();
      e64[p][i] = o;
      expect(Math.abs((up - down) / (2 * h) - ge[p][i])).toBeLessThan(1e-5);
    }
  });
});

describe("HybridVAE objective", () => {
  it("gradients match float64 central differences and TF.js autograd with parts missing", async () => {
    const m = await HybridVAE.create(config);
    await m.fit(rowsOf(16, 1), { present: maskOf(16, 2), epochs: 2, batchSize: 4 });
    const n = 8, x = rowsOf(n, 3), mask = maskOf(n, 4), eps = randomArray(n * L, 5, -2, 2);
    const result = m.gradients(x, { present: mask, epsilon: eps });
    const cfg = m.config as unknown as HybridConfig;
    await expectGradients({ model: m, label: "HybridVAE", result, objective: (o, W) => hybridObjective(o, W, cfg, x, mask, n, o.input(eps, n, L)) });
    m.dispose();
  });

  it("with a conv part (layer lists, batch norm): gradients match float64 central differences and TF.js; files round-trip", async () => {
    const conv = {
      ...config,
      parts: {
        ...config.parts,
        a: {
          shape: [3, 2, 1], likelihood: "bernoulli",
          encoder: [
            { type: "conv2d", filters: 2, kernelSize: 2, padding: "same", activation: "tanh" },
            { type: "batchNorm" },
            { type: "flatten" },
            { type: "dense", units: 6, activation: "tanh" },
          ],
          decoder: [
            { type: "dense", units: 12, activation: "tanh" },
            { type: "reshape", shape: [3, 2, 2] },
            { type: "conv2dTranspose", filters: 1, kernelSize: 3, padding: 1 },
          ],
        },
      },
    } as unknown as HybridVAEConfig;
    const m = await HybridVAE.create(conv);
    expect((m.config.parts.a as { size: number }).size).toBe(6);
    await m.fit(rowsOf(16, 1), { present: maskOf(16, 2), epochs: 2, batchSize: 4 });
    const n = 8, x = rowsOf(n, 3), mask = maskOf(n, 4), eps = randomArray(n * L, 5, -2, 2);
    const result = m.gradients(x, { present: mask, epsilon: eps });
    expect(Object.keys(result.gradients)).toEqual(expect.arrayContaining(["encoder.a.layers.0.weight", "encoder.a.mean.weight", "decoder.a.layers.2.weight", "encoder.b.hidden.0.weight"]));
    const cfg = m.config as unknown as HybridConfig;
    await expectGradients({ model: m, label: "HybridVAE (conv part)", result, objective: (o, W) => hybridObjective(o, W, cfg, x, mask, n, o.input(eps, n, L)) });
    const bytes = m.save();
    const again = await loadModel(bytes);
    expect((again as HybridVAE).impute(x, { present: mask })).toEqual(m.impute(x, { present: mask }));
    expect(again.save()).toEqual(bytes);
    again.dispose();
    m.dispose();
    const bad = { ...conv, parts: { ...conv.parts, a: { ...conv.parts.a, decoder: (conv.parts.a.decoder ?? []).slice(0, 2) } } };
    await expect(HybridVAE.create(bad)).rejects.toThrow(/parts\.a: decoder\[1\].*must end with the input's shape/);
  });

  it("the α-weighted classification term: gradients match float64 and TF.js; it is c predicted without c, on rows with c", async () => {
    const m = await HybridVAE.create({ ...config, classification: { part: "c", weight: 2.5 } });
    const n = 8, x = rowsOf(n, 3), mask = maskOf(n, 4), eps = randomArray(n * L, 5, -2, 2), epsC = randomArray(n * L, 6, -2, 2);
    const result = m.gradients(x, { present: mask, epsilon: eps, classificationEpsilon: epsC });
    const cfg = m.config as unknown as HybridConfig;
    await expectGradients({ model: m, label: "HybridVAE (classification)", result, objective: (o, W) => hybridObjective(o, W, cfg, x, mask, n, o.input(eps, n, L), o.input(epsC, n, L)) });
    // the term is the loss's excess over the ELBO, and c's value in a row that lacks c changes nothing
    const plain = await HybridVAE.create(config);
    plain.setWeights(m.getWeights());
    const elbo = plain.gradients(x, { present: mask, epsilon: eps });
    expect(result.loss - elbo.loss).toBeCloseTo((result as unknown as { classification: number }).classification, 3);
    expect((result as unknown as { classification: number }).classification).toBeGreaterThan(0);
    const lacking = Array.from({ length: n }, (_, r) => r).filter((r) => mask[r * P + 2] === 0);
    expect(lacking.length).toBeGreaterThan(0);
    const x2 = x.slice();
    for (const r of lacking) x2.fill(0.25, r * Wd + 9, r * Wd + 13);
    expect(m.gradients(x2, { present: mask, epsilon: eps, classificationEpsilon: epsC }).loss).toBe(result.loss);
    const h = await m.fit(rowsOf(32, 8), { present: maskOf(32, 9), epochs: 2, batchSize: 8 });
    expect((h[1] as unknown as { classification: number }).classification).toBeGreaterThan(0);
    expect(() => plain.gradients(x, { classificationEpsilon: epsC })).toThrow(/applies to a model with a classification term/);
    await expect(HybridVAE.create({ ...config, classification: { part: "d", weight: 1 } })).rejects.toThrow(/classification.part must name a part/);
    plain.dispose();
    m.dispose();
  });

  it("a missing part contributes nothing and gets no gradient", async () => {
    const m = await HybridVAE.create(config);
    const n = 6, x = rowsOf(n, 6), eps = randomArray(n * L, 7, -1, 1);
    const noB = { b: new Array(n).fill(false) };
    const g = m.gradients(x, { present: noB, epsilon: eps });
    for (const [k, v] of Object.entries(g.gradients)) {
      if (k.startsWith("encoder.b.") || k.startsWith("decoder.b.")) expect(v.every((u) => u === 0), k).toBe(true);
      else if (k.startsWith("encoder.a.") || k.startsWith("decoder.a.")) expect(v.some((u) => u !== 0), k).toBe(true);
    }
    // whatever the missing part holds, the objective and its gradient are the same bits
    const other = x.slice();
    for (let r = 0; r < n; r++) for (let j = 6; j < 9; j++) other[r * Wd + j] = 1000 * (r + j);
    const g2 = m.gradients(other, { present: noB, epsilon: eps });
    expect(g2.loss).toBe(g.loss);
    expect(g2.gradients).toEqual(g.gradients);
    // with every part present the same rows score more
    expect(m.gradients(x, { epsilon: eps }).reconstruction).not.toBe(g.reconstruction);
    m.dispose();
  });

  it("refuses bad presence and data that a present part's likelihood can't score", async () => {
    const m = await HybridVAE.create(config);
    const x = rowsOf(4, 8);
    expect(() => m.encode(x, { present: { d: [true, true, true, true] } })).toThrow(/present names part 'd'/);
    expect(() => m.encode(x, { present: { b: [true, true] } })).toThrow(InvalidInputError);
    expect(() => m.encode(x, { present: new Float32Array(4 * P).fill(0.5) })).toThrow(/expected 0 \(missing\) or 1/);
    const bad = x.slice();
    bad[2 * Wd] = 3; // a: Bernoulli
    expect(() => m.encode(bad)).toThrow(/part 'a' of example 2 has 3/);
    const mask = new Float32Array(4 * P).fill(1);
    mask[2 * P] = 0;
    expect(() => m.encode(bad, { present: mask })).not.toThrow(); // missing: not scored, not checked
    await expect(m.fit(x, { epochs: 1, dynamicBinarization: true })).rejects.toThrow(/dynamicBinarization/);
    expect(m.trainingSteps).toBe(0);
    m.dispose();
  });
});

describe("HybridVAE on partial data", () => {
  it("trains, imputes the missing parts, scores a part given the others, and saves", async () => {
    const n = 96, x = rowsOf(n, 9);
    // c is a function of a (the argmax of a's first four values), so a tells c
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let j = 1; j < 4; j++) if (x[r * Wd + j] > x[r * Wd + best]) best = j;
      x.fill(0, r * Wd + 9, r * Wd + 13);
      x[r * Wd + 9 + best] = 1;
    }
    const hasC = Array.from({ length: n }, (_, r) => r % 2 === 0);
    const m = await HybridVAE.create({ ...config, hiddenSizes: [32] });
    const h = await m.fit(x, { present: { c: hasC }, epochs: 40, batchSize: 16, learningRate: 3e-3 });
    expect(h[39].loss).toBeLessThan(h[0].loss);
    const noC = { c: new Array(n).fill(false) };
    const filled = m.impute(x, { present: noC });
    for (let r = 0; r < n; r++) {
      expect(filled.subarray(r * Wd, r * Wd + 9)).toEqual(x.subarray(r * Wd, r * Wd + 9)); // present parts as given
      const probs = filled.subarray(r * Wd + 9, r * Wd + 13);
      expect(Math.abs(probs.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5); // a categorical mean
    }
    const cond = m.conditionalLogLikelihood(x, { target: ["c"], samples: 64, seed: 1 });
    const mean = cond.reduce((s, v) => s + v, 0) / n;
    expect(cond.every((v) => Number.isFinite(v) && v <= 1e-9)).toBe(true); // a probability of a category
    expect(mean).toBeGreaterThan(-Math.log(4)); // better than chance: a tells c
    // log p(x) ≥ the ELBO on average
    const ll = m.logLikelihood(x, { samples: 64, seed: 2 });
    expect(ll.reduce((s, v) => s + v, 0) / n).toBeGreaterThan(-m.evaluate(x, { seed: 3 }).loss);
    expect(() => m.conditionalLogLikelihood(x, { target: ["c"], present: noC })).toThrow(/lacks target part 'c'/);
    const bytes = m.save();
    const again = await loadModel(bytes);
    expect(again.kind).toBe("HybridVAE");
    expect((again as HybridVAE).impute(x, { present: noC })).toEqual(filled);
    expect(again.save()).toEqual(bytes);
    again.dispose();
    m.dispose();
  });
});

describe("HybridVAE conditional log-likelihood proposals", () => {
  it("both proposals agree with log p(h | d) by quadrature over a 1-D latent", async () => {
    // two Bernoulli parts and one latent dimension: p(h | d) = ∫ p(d|z) p(h|z) p(z) dz / ∫ p(d|z) p(z) dz exactly by
    // a fine grid (the decoded probabilities at each grid point), against both importance estimates
    const cfg: HybridVAEConfig = { parts: { d: { size: 5, likelihood: "bernoulli" }, h: { size: 4, likelihood: "bernoulli" } }, latentSize: 1, hiddenSizes: [16], activation: "tanh", seed: 7 };
    const m = await HybridVAE.create(cfg);
    const n = 48, u = randomArray(n * 9, 3, 0, 1), x = new Float32Array(n * 9);
    for (let r = 0; r < n; r++) {
      const on = u[r * 9] < 0.5;
      for (let j = 0; j < 9; j++) x[r * 9 + j] = (on ? u[r * 9 + j] < 0.8 : u[r * 9 + j] < 0.2) ? 1 : 0;
    }
    await m.fit(x, { epochs: 30, batchSize: 16, learningRate: 3e-3 });
    const G = 4001, lo = -8, step = 16 / (G - 1);
    const grid = Float32Array.from({ length: G }, (_, i) => lo + i * step);
    const probs = m.decode(grid);
    const rows = 6;
    const given = m.conditionalLogLikelihood(x.subarray(0, rows * 9), { target: ["h"], samples: 30000, seed: 1 });
    const mixed = m.conditionalLogLikelihood(x.subarray(0, rows * 9), { target: ["h"], proposal: "mixture", samples: 30000, seed: 1 });
    for (let r = 0; r < rows; r++) {
      const ld = new Float64Array(G), lh = new Float64Array(G);
      for (let i = 0; i < G; i++) {
        let a = -0.5 * grid[i] * grid[i], b = 0;
        for (let j = 0; j < 9; j++) {
          const p = Math.min(Math.max(probs[i * 9 + j], 1e-7), 1 - 1e-7), v = x[r * 9 + j];
          const l = v * Math.log(p) + (1 - v) * Math.log(1 - p);
          if (j < 5) a += l;
          else b += l;
        }
        ld[i] = a;
        lh[i] = a + b;
      }
      const lse = (v: Float64Array): number => {
        const mx = Math.max(...v);
        return mx + Math.log(v.reduce((s, t) => s + Math.exp(t - mx), 0));
      };
      const exact = lse(lh) - lse(ld);
      expect(Math.abs(given[r] - exact)).toBeLessThan(0.02);
      expect(Math.abs(mixed[r] - exact)).toBeLessThan(0.02);
    }
    expect(() => m.conditionalLogLikelihood(x, { target: ["h"], proposal: "prior" as never })).toThrow(/proposal must be "given"/);
    m.dispose();
  });
});
