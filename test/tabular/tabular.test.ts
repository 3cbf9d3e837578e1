// The tabular VAE on raw records: schema inference (and its typed errors naming the column on messy input), the
// codec, training on mixed columns with holes, the stored preprocessing round trip (a loaded model scores and imputes
// raw records exactly as before saving), masks (how a field is missing changes nothing), imputation, anomaly scores
// that point at the odd field, rejected calls that leave the model as it was, threads, CSV.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigError, InvalidInputError, ModelFormatError } from "../../src/errors";
import { loadModel } from "../../src/models/load-model";
import { VAE } from "../../src/models/vae";
import { inferSchema, parseCsv, TabularVAE, toCsv, type TableRecord } from "../../src/tabular";

/** A synthetic table: x ~ N, y = 2x + noise, group decides the sign of z, flag = x > 0, n a count. */
function table(n: number, seed: number): TableRecord[] {
  let s = seed >>> 0;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
  const out: TableRecord[] = [];
  for (let i = 0; i < n; i++) {
    const x = normal();
    const g = ["red", "green", "blue"][Math.floor(u() * 3)];
    out.push({
      x: 10 + 3 * x, y: 2 * x + 0.1 * normal(), group: g, z: (g === "red" ? -1 : 1) * (1 + 0.1 * normal()),
      flag: x > 0, n: Math.round(Math.exp(1 + 0.5 * x)), share: Math.min(1, Math.max(0, 0.5 + 0.2 * x)),
    });
  }
  return out;
}

const COLUMNS = [{ name: "x" }, { name: "y", likelihood: "laplace" as const }, { name: "group" }, { name: "z" }, { name: "flag" },
  { name: "n", type: "count" as const }, { name: "share", type: "bounded" as const, min: 0, max: 1 }];

let train: TableRecord[];
let model: TabularVAE;
beforeAll(async () => {
  train = table(600, 1);
  // holes: 15 % of cells, in every column
  let k = 0;
  for (const r of train) for (const c of Object.keys(r)) if ((k++ * 7919) % 100 < 15) r[c] = k % 2 ? null : undefined;
  model = await TabularVAE.fromRecords(train, { columns: COLUMNS, latentSize: 3, hiddenSizes: [32, 32], seed: 3 });
  await model.fit(train, { epochs: 40, batchSize: 50, learningRate: 3e-3, shuffleSeed: 2 });
}, 600_000);
afterAll(() => model?.dispose());

describe("inferSchema", () => {
  it("infers types and learns the preprocessing", () => {
    const s = inferSchema([{ a: 1, b: "x", c: true, d: 0 }, { a: 3, b: "y", c: false, d: 1 }, { a: null, b: "x", c: null, d: NaN }]);
    expect(s).toEqual([
      { name: "a", type: "continuous", likelihood: "gaussian", mean: 2, std: 1 },
      { name: "b", type: "categorical", categories: ["x", "y"] },
      { name: "c", type: "binary", values: [false, true] },
      { name: "d", type: "binary", values: [0, 1] },
    ]);
  });

  it("refuses messy columns with typed errors that name the column", () => {
    const cases: [TableRecord[], RegExp][] = [
      [[{ price: 1 }, { price: 2 }, { price: "n/a" }], /column "price" mixes number and string values \(record 2: "n\/a"\)/],
      [[{ kind: "a" }, { kind: "" }], /column "kind": record 1 is an empty string/],
      [[{ a: 1, empty: null }, { a: 2 }], /column "empty" has no values/],
      [[{ v: Infinity }], /column "v": record 0 is Infinity/],
      [[{ o: { nested: 1 } as never }], /column "o": record 0 holds object/],
    ];
    for (const [rs, re] of cases) {
      expect(() => inferSchema(rs)).toThrow(InvalidInputError);
      expect(() => inferSchema(rs)).toThrow(re);
    }
    expect(() => inferSchema([{ n: 1.5 }], [{ name: "n", type: "count" }])).not.toThrow();
    expect(() => inferSchema([{ n: "x" }], [{ name: "n", type: "count" }])).toThrow(/column "n" is count but record 0 holds string "x"/);
    expect(() => inferSchema([{ n: 1 }], [{ name: "n", type: "weird" as never }])).toThrow(InvalidConfigError);
    expect(() => inferSchema("nope")).toThrow(/expected an array of records/);
  });
});

describe("TabularVAE", () => {
  it("trains on mixed columns with holes: the loss falls", async () => {
    const m = await TabularVAE.fromRecords(train, { columns: COLUMNS, latentSize: 3, hiddenSizes: [16], seed: 5 });
    const logs = await m.fit(train, { epochs: 6, batchSize: 50, learningRate: 3e-3, shuffleSeed: 1 });
    expect(logs[5].loss).toBeLessThan(logs[0].loss);
    expect(m.schema.map((c) => c.type)).toEqual(["continuous", "continuous", "categorical", "continuous", "binary", "count", "bounded"]);
    m.dispose();
  });

  it("a loaded model scores and imputes raw records exactly as before saving (schema and preprocessing in the file)", async () => {
    const test = table(40, 9);
    test[0].x = null;
    test[1].group = undefined;
    delete test[2].flag;
    const bytes = model.save();
    const again = await TabularVAE.load(bytes);
    const any = await loadModel(bytes);
    expect(any).toBeInstanceOf(TabularVAE);
    for (const m of [again, any as TabularVAE]) {
      const a = model.anomalyScore(test), b = m.anomalyScore(test);
      expect(Array.from(b.scores)).toEqual(Array.from(a.scores));
      for (const c of Object.keys(a.columns)) expect(Array.from(b.columns[c])).toEqual(Array.from(a.columns[c]));
      expect(m.impute(test.slice(0, 3), { samples: 5, seed: 1 })).toEqual(model.impute(test.slice(0, 3), { samples: 5, seed: 1 }));
      expect(m.schema).toEqual(model.schema);
      expect(m.save()).toEqual(bytes);
    }
    again.dispose();
    (any as TabularVAE).dispose();
    await expect(VAE.load(bytes)).rejects.toThrow(ModelFormatError);
  });

  it("a missing field is the same whether null, undefined, NaN or absent, and its score column is NaN", () => {
    const base = table(4, 11);
    const variants = [null, undefined, NaN, "absent"].map((v) => base.map((r) => {
      const c = { ...r };
      if (v === "absent") delete c.y;
      else c.y = v as null;
      return c;
    }));
    const scores = variants.map((rs) => model.anomalyScore(rs));
    for (const s of scores.slice(1)) expect(Array.from(s.scores)).toEqual(Array.from(scores[0].scores));
    expect(Array.from(scores[0].columns.y).every(Number.isNaN)).toBe(true);
    // the record score is the sum of the observed fields' scores
    const s = scores[0];
    for (let i = 0; i < 4; i++) {
      let t = 0;
      for (const c of Object.keys(s.columns)) if (!Number.isNaN(s.columns[c][i])) t += s.columns[c][i];
      expect(s.scores[i]).toBeCloseTo(t, 9);
    }
  });

  it("imputes missing fields better than the column mean/mode, and keeps observed fields", () => {
    const test = table(300, 21);
    const holed = test.map((r, i) => ({ ...r, y: i % 2 ? null : r.y, group: i % 3 === 0 ? null : r.group, z: i % 3 === 0 ? r.z : null }));
    for (const K of [0, 20]) {
      const filled = model.impute(holed, { samples: K, seed: 4 });
      let se = 0, seMean = 0, ny = 0, wrong = 0, ng = 0, red = 0, redWrong = 0;
      const meanY = train.reduce((a, r) => a + (typeof r.y === "number" ? r.y : 0), 0) / train.filter((r) => typeof r.y === "number").length;
      filled.forEach((r, i) => {
        expect(r.x).toBe(test[i].x);
        if (holed[i].y === null) {
          se += ((r.y as number) - (test[i].y as number)) ** 2;
          seMean += (meanY - (test[i].y as number)) ** 2;
          ny++;
        }
        if (holed[i].group === null) {
          ng++;
          if (r.group !== test[i].group) wrong++;
          if (test[i].group === "red") {
            red++;
            if (r.group !== "red") redWrong++;
          }
        }
        expect(typeof r.z).toBe("number");
      });
      expect(Math.sqrt(se / ny), `samples ${K}: y RMSE vs the mean's`).toBeLessThan(0.5 * Math.sqrt(seMean / ny));
      // z gives red away (green and blue are alike: the best error is ~1/3, the mode's ~2/3)
      expect(redWrong / red, `samples ${K}: red records' group error rate`).toBeLessThan(0.1);
      expect(wrong / ng, `samples ${K}: group error rate`).toBeLessThan(0.45);
    }
  });

  it("anomaly scores rank injected anomalies first and name the odd field", () => {
    const test = table(200, 31);
    const odd = new Set<number>();
    for (let i = 0; i < 200; i += 10) {
      test[i].y = (test[i].y as number) + 12; // far off the y = 2x line
      odd.add(i);
    }
    const { scores, columns } = model.anomalyScore(test);
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
    const top = order.slice(0, odd.size).filter((i) => odd.has(i)).length;
    expect(top / odd.size).toBeGreaterThan(0.8);
    // y is tied to x alone (y ≈ 2x), so a broken tie implicates both: y is among the two oddest fields
    for (const i of odd) {
      const worst = Object.keys(columns).sort((a, b) => columns[b][i] - columns[a][i]).slice(0, 2);
      expect(worst, `record ${i}`).toContain("y");
    }
    // a count far out of its range is the oddest field of its record
    const counts = table(50, 33);
    for (let i = 0; i < 50; i += 5) counts[i].n = 400;
    const c = model.anomalyScore(counts);
    for (let i = 0; i < 50; i += 5) {
      expect(Object.keys(c.columns).sort((a, b) => c.columns[b][i] - c.columns[a][i])[0], `record ${i}`).toBe("n");
    }
  });

  it("refuses bad records naming the record and the field, and a rejected fit leaves the model as it was", async () => {
    const w = model.getWeights();
    const bad: [TableRecord, RegExp][] = [
      [{ group: "purple" }, /record 1, field "group": string "purple" — expected one of the categories/],
      [{ x: "12" }, /record 1, field "x": string "12" — expected a finite number/],
      [{ n: 2.5 }, /record 1, field "n": number 2.5 — expected a whole number/],
      [{ share: 1.5 }, /record 1, field "share": number 1.5 — expected a number in the column's range \[0, 1\]/],
      [{ flag: "yes" }, /record 1, field "flag": string "yes" — expected false or true/],
    ];
    for (const [rec, re] of bad) {
      const rs = [train[0], { ...train[1], ...rec }];
      expect(() => model.anomalyScore(rs)).toThrow(InvalidInputError);
      expect(() => model.anomalyScore(rs)).toThrow(re);
      expect(() => model.impute(rs)).toThrow(re);
      await expect(model.fit(rs, { epochs: 1 })).rejects.toThrow(re);
    }
    const after = model.getWeights();
    for (const k of Object.keys(w)) expect(after[k]).toEqual(w[k]);
    expect(() => model.impute(train, { samples: -1 })).toThrow(InvalidInputError);
    await expect(TabularVAE.create({ schema: [] })).rejects.toThrow(InvalidConfigError);
    await expect(TabularVAE.create({ schema: [{ name: "a", type: "continuous", mean: 0, std: 0 }] as never })).rejects.toThrow(/column "a".*positive std/);
  });

  it("encoded rows: NaN marks a missing cell, and they agree with records", () => {
    const rs = table(5, 41);
    rs[0].group = null;
    const { x, mask } = model.encodeRecords(rs);
    const W = model.inputSize, P = model.schema.length;
    const rows = x.slice();
    for (let r = 0; r < 5; r++) model.schema.forEach((c, p) => {
      if (mask[r * P + p] === 0) {
        const w = c.type === "categorical" ? c.categories!.length : 1;
        let at = 0;
        for (let q = 0; q < p; q++) at += model.schema[q].type === "categorical" ? model.schema[q].categories!.length : 1;
        rows.fill(NaN, r * W + at, r * W + at + w);
      }
    });
    expect(Array.from(model.anomalyScore(rows).scores)).toEqual(Array.from(model.anomalyScore(rs).scores));
    expect(Array.from(model.encode(rows).mean)).toEqual(Array.from(model.encode(rs).mean));
    const back = model.toRecords(model.reconstruct(rs));
    expect(back).toHaveLength(5);
    expect(["red", "green", "blue"]).toContain(back[1].group);
  });

  it("gives the same bits on 2 threads as on 1", async () => {
    const bytes = model.save();
    const t2 = await TabularVAE.load(bytes, { threads: 2 });
    const test = table(300, 51);
    expect(Array.from(t2.anomalyScore(test).scores)).toEqual(Array.from(model.anomalyScore(test).scores));
    const a = await TabularVAE.load(bytes), b = await TabularVAE.load(bytes, { threads: 2 });
    await a.fit(train, { epochs: 1, batchSize: 100, shuffleSeed: 3 });
    await b.fit(train, { epochs: 1, batchSize: 100, shuffleSeed: 3 });
    expect(b.save()).toEqual(a.save());
    for (const m of [t2, a, b]) m.dispose();
  });

  it("keeps memory flat over repeated calls", () => {
    const test = table(300, 61);
    model.anomalyScore(test);
    model.impute(test, { samples: 3 });
    const held = model.memoryBytes;
    for (let i = 0; i < 5; i++) {
      model.anomalyScore(test);
      model.impute(test, { samples: 3 });
    }
    expect(model.memoryBytes).toBe(held);
  });
});

describe("CSV", () => {
  it("parses quoted fields, numbers, booleans and missing cells, and writes them back", () => {
    const text = 'a,b,c\r\n1.5,"x, ""y""",true\n,NA,false\n-2e3,"multi\nline",\n';
    const rs = parseCsv(text);
    expect(rs).toEqual([{ a: 1.5, b: 'x, "y"', c: true }, { a: null, b: null, c: false }, { a: -2000, b: "multi\nline", c: null }]);
    expect(parseCsv(toCsv(rs))).toEqual(rs);
    expect(() => parseCsv("a,b\n1\n")).toThrow(/data row 1 has 1 fields; the header has 2/);
    expect(() => parseCsv('a\n"open\n')).toThrow(/never closed/);
    expect(() => parseCsv("a,a\n1,2\n")).toThrow(/repeated \("a"\)/);
  });
});
