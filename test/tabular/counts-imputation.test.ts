// Negative binomial count columns (chosen by schema inference only when the counts are clearly overdispersed, or
// given in the schema; a learned dispersion saved with the model) and multiple imputation (imputeMultiple: copies
// drawn from the posterior predictive that differ only in the missing fields, seeded and stateless, with a sane
// spread).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors";
import { countLikelihood, inferSchema, TabularVAE, type TableRecord } from "../../src/tabular";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** x ~ N(0, 1), y = 2x + small noise, k a geometric count of mean 8 (variance 72), kind from the sign of x. */
function table(n: number, seed: number): TableRecord[] {
  const u = rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  return Array.from({ length: n }, () => {
    const x = normal();
    return { x, y: 2 * x + 0.1 * normal(), k: Math.floor(Math.log(1 - u()) / Math.log(1 - 1 / 9)), kind: x > 0 ? "up" : "down" };
  });
}

describe("negative binomial counts", () => {
  it("inference picks it only for clearly overdispersed counts; the schema can name it", () => {
    expect(countLikelihood(100, 3, 2.9)).toBe("poisson");
    expect(countLikelihood(100, 3, 7)).toBe("negative-binomial");
    expect(countLikelihood(10, 3, 70)).toBe("poisson"); // too few values to tell
    const t = table(300, 1);
    expect(inferSchema(t, [{ name: "k", type: "count" }])[0]).toEqual({ name: "k", type: "count", likelihood: "negative-binomial" });
    const poissonish = t.map((r, i) => ({ k: i % 3 }));
    expect(inferSchema(poissonish, [{ name: "k", type: "count" }])[0]).toEqual({ name: "k", type: "count" });
    expect(inferSchema(poissonish, [{ name: "k", type: "count", likelihood: "negative-binomial" }])[0].likelihood).toBe("negative-binomial");
    expect(() => inferSchema(t, [{ name: "k", type: "count", likelihood: "gaussian" }])).toThrow(/a count column takes "poisson" or "negative-binomial"/);
  });

  it("fits overdispersed counts better than Poisson, learns their dispersion and round-trips through save/load", async () => {
    // geometric counts of mean 8 are NB with r = 1: variance 72, which a Poisson of the same mean can't have
    const t = table(400, 2).map((r) => ({ k: r.k }));
    const fit = async (likelihood: "poisson" | "negative-binomial"): Promise<TabularVAE> => {
      const m = await TabularVAE.fromRecords(t, { columns: [{ name: "k", type: "count", likelihood }], latentSize: 1, hiddenSizes: [16], seed: 1 });
      await m.fit(t, { epochs: 60, batchSize: 40, learningRate: 1e-2, shuffleSeed: 1 });
      return m;
    };
    const nb = await fit("negative-binomial"), po = await fit("poisson");
    const w = nb.getWeights();
    expect(Object.keys(w)).toContain("decoder.columns.k.log_dispersion");
    expect(Math.abs(w["decoder.columns.k.log_dispersion"][0])).toBeLessThan(0.35); // log r ≈ log 1
    // −ELBO per record: NB needs no latent code to explain the spread; the Poisson pays KL to memorise counts
    expect(nb.evaluate(t, { seed: 1 }).loss).toBeLessThan(po.evaluate(t, { seed: 1 }).loss);
    const back = await TabularVAE.load(nb.save());
    expect(back.schema).toEqual(nb.schema);
    expect(Array.from(back.anomalyScore(t.slice(0, 20)).scores)).toEqual(Array.from(nb.anomalyScore(t.slice(0, 20)).scores));
    for (const m of [nb, po, back]) m.dispose();
  }, 120_000);
});

describe("imputeMultiple", () => {
  let model: TabularVAE;
  const train = table(500, 3);
  beforeAll(async () => {
    model = await TabularVAE.fromRecords(train, { columns: [{ name: "x" }, { name: "y" }, { name: "k", type: "count" }, { name: "kind" }], latentSize: 2, hiddenSizes: [32], seed: 2 });
    await model.fit(train, { epochs: 40, batchSize: 50, learningRate: 5e-3, shuffleSeed: 3 });
  }, 120_000);
  afterAll(() => model?.dispose());

  const holes = (): TableRecord[] => table(40, 4).map((r, i) => ({ ...r, y: i % 2 ? null : r.y, kind: i % 3 ? r.kind : undefined, k: i % 5 ? r.k : NaN }));

  it("gives copies that differ only in the missing fields, seeded and reproducible", () => {
    const recs = holes();
    const copies = model.imputeMultiple(recs, { copies: 8, seed: 1 });
    expect(copies).toHaveLength(8);
    let differ = 0;
    for (const c of copies) {
      expect(c).toHaveLength(recs.length);
      c.forEach((r, i) => {
        for (const f of ["x", "y", "k", "kind"]) {
          const v = recs[i][f];
          if (v === null || v === undefined || Number.isNaN(v)) {
            expect(r[f], `record ${i} ${f}`).not.toBeNull();
            if (f === "y") expect(Number.isFinite(r[f])).toBe(true);
            if (f === "k") expect(Number.isInteger(r[f]) && (r[f] as number) >= 0).toBe(true);
            if (f === "kind") expect(["up", "down"]).toContain(r[f]);
            if (r[f] !== copies[0][i][f]) differ++;
          } else expect(Object.is(r[f], v), `record ${i} ${f} observed`).toBe(true);
        }
      });
    }
    expect(differ).toBeGreaterThan(0);
    expect(model.imputeMultiple(recs, { copies: 8, seed: 1 })).toEqual(copies);
    expect(model.imputeMultiple(recs, { copies: 8, seed: 2 })).not.toEqual(copies);
    // the input is not touched
    expect(recs).toEqual(holes());
  });

  it("has a sane spread: the copies of a missing y center on 2x, spread less than y's marginal spread", () => {
    const recs = holes();
    const copies = model.imputeMultiple(recs, { copies: 30, samples: 50, seed: 5 });
    const ys = train.map((r) => r.y as number);
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sdY = Math.sqrt(ys.reduce((a, b) => a + (b - my) ** 2, 0) / ys.length);
    let spread = 0, err = 0, n = 0;
    recs.forEach((r, i) => {
      if (r.y !== null) return;
      const v = copies.map((c) => c[i].y as number);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      spread += Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      err += Math.abs(m - 2 * (r.x as number));
      n++;
    });
    expect(n).toBe(20);
    expect(spread / n).toBeGreaterThan(0);
    expect(spread / n).toBeLessThan(0.6 * sdY);
    expect(err / n).toBeLessThan(0.5 * sdY);
  });

  it("a rejected call changes nothing; bad options are refused", () => {
    const recs = holes();
    const first = model.imputeMultiple(recs, { copies: 3 });
    const before = model.save();
    expect(() => model.imputeMultiple([{ x: "oops" as never }])).toThrow(InvalidInputError);
    expect(() => model.imputeMultiple([{ x: "oops" as never }])).toThrow(/record 0, field "x"/);
    expect(() => model.imputeMultiple(recs, { copies: 0 })).toThrow(/copies/);
    expect(() => model.imputeMultiple(recs, { samples: 1.5 })).toThrow(/samples/);
    expect(() => model.imputeMultiple(recs, { nope: 1 } as never)).toThrow(/nope/);
    expect(model.save()).toEqual(before);
    expect(model.imputeMultiple(recs, { copies: 3 })).toEqual(first);
  });
});
