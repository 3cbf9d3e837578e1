// Tables bigger than memory through fit: openTable (vaekit/tabular-arrow) reads a Parquet file's row groups / an Arrow
// IPC file's record batches on demand and encodes them with the model's schema. Streamed training equals in-memory
// training on the same rows, seed and options bit for bit (range shuffle, read-ahead, rows across group boundaries);
// the cache holds at most cacheGroups groups; scanSchema's one pass agrees with inferSchema; bad rows name the file
// row and the field; a rejected fit leaves the model as it was.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Table, tableFromJSON, tableToIPC } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors";
import { openTable, readParquet, tableBatches } from "../../src/tabular-arrow";
import { inferSchema, scanSchema, TabularVAE, type TableRecord } from "../../src/tabular";

const PARQUET = new URL("../../node_modules/vega-datasets/data/flights-3m.parquet", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "vaekit-tabular-stream-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectSameWeights(a: TabularVAE, b: TabularVAE): void {
  const wa = a.getWeights(), wb = b.getWeights();
  expect(Object.keys(wb)).toEqual(Object.keys(wa));
  for (const k of Object.keys(wa)) {
    const x = new Uint32Array(wa[k].buffer, wa[k].byteOffset, wa[k].length), y = new Uint32Array(wb[k].buffer, wb[k].byteOffset, wb[k].length);
    let diff = -1;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) { diff = i; break; }
    expect(diff, `${k}: first differing element`).toBe(-1);
  }
}

/** A mixed table with holes: x, y continuous, kind categorical, ok binary, n a count. */
function records(n: number): TableRecord[] {
  const out: TableRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.sin(i * 12.9898) * 43758.5453, u = t - Math.floor(t);
    out.push({
      x: i % 17 === 3 ? null : Math.round((u * 10 - 5) * 1000) / 1000, y: Math.round(Math.cos(i) * 1000) / 100,
      kind: i % 11 === 5 ? null : ["a", "b", "c"][i % 3], ok: i % 2 === 0, n: i % 7,
    });
  }
  return out;
}

describe("openTable: Parquet", () => {
  // 600 rows across the boundary of the flights file's first two row groups (272 727 rows each)
  const lo = 272_727 - 300, hi = 272_727 + 300;
  const map = (r: TableRecord): TableRecord => ({ hour: new Date(r.date as number).getUTCHours(), delay: r.delay, distance: r.distance, origin: r.origin });

  it("streamed fit equals in-memory fit on the same rows and seed, bit for bit; the cache stays bounded", async () => {
    const recs = (await readParquet(readFileSync(PARQUET), { rowStart: lo, rowEnd: hi, columns: ["date", "delay", "distance", "origin"] })).map(map);
    expect(recs).toHaveLength(600);
    const schema = inferSchema(recs, [{ name: "hour" }, { name: "delay" }, { name: "distance" }, { name: "origin", type: "categorical" }]);
    const config = { schema, latentSize: 3, hiddenSizes: [16], seed: 7 };
    const opts = { epochs: 2, batchSize: 32, learningRate: 3e-3, shuffleSeed: 5, shuffleRange: 8 };
    const memory = await TabularVAE.create(config);
    const logsM = await memory.fit(recs, opts);
    const streamed = await TabularVAE.create(config);
    const source = await openTable(PARQUET, streamed.schema, { rowStart: lo, rowEnd: hi, map, cacheGroups: 2 });
    expect(source.rows).toBe(600);
    expect(source.format).toBe("parquet");
    expect(source.groupRows).toEqual([300, 300]);
    const logsS = await streamed.fit(source, { ...opts, readAhead: 3 });
    expect(logsS.map((l) => l.loss)).toEqual(logsM.map((l) => l.loss));
    expectSameWeights(memory, streamed);
    // at most cacheGroups groups held, never the file; each group decoded about once per epoch with this cache
    expect(source.stats.peakHeldRows).toBeLessThanOrEqual(2 * 272_727);
    expect(source.stats.groupsDecoded).toBe(2);
    expect(source.stats.rowsRead).toBe(1200);
    await source.close();
    await expect(source.read(0, 1)).rejects.toThrow(/after close/);
    memory.dispose();
    streamed.dispose();
  }, 120_000);

  it("reads by row group: a read inside one group decodes only that group", async () => {
    const schema = inferSchema([{ delay: 1 }, { delay: 2 }]);
    const source = await openTable(PARQUET, schema, { cacheGroups: 2 });
    expect(source.rows).toBe(3_000_000);
    expect(source.groupRows.length).toBe(11);
    const a = await source.read(1_000_000, 5);
    expect(source.stats.groupsDecoded).toBe(1);
    const b = await source.read(1_000_000, 5); // cached
    expect(source.stats.groupsDecoded).toBe(1);
    expect(b.x).toEqual(a.x);
    const recs = await readParquet(readFileSync(PARQUET), { rowStart: 1_000_000, rowEnd: 1_000_005, columns: ["delay"] });
    const m = await TabularVAE.create({ schema, latentSize: 1, hiddenSizes: [2] });
    expect(a.x).toEqual(m.encodeRecords(recs).x);
    m.dispose();
    await source.close();
  }, 60_000);
});

describe("openTable: Arrow IPC file", () => {
  const recs = records(300);
  // three record batches of 100 rows
  const whole = tableFromJSON(recs);
  const table = new Table([whole.slice(0, 100), whole.slice(100, 200), whole.slice(200)].flatMap((t) => t.batches));
  const file = join(dir, "table.arrow");
  writeFileSync(file, tableToIPC(table, "file"));

  it("streamed fit equals in-memory fit bit for bit (path and bytes), with an async iterable too", async () => {
    const schema = inferSchema(recs, [{ name: "x" }, { name: "y" }, { name: "kind" }, { name: "ok" }, { name: "n", type: "count" }]);
    const config = { schema, latentSize: 2, hiddenSizes: [8], seed: 3 };
    const opts = { epochs: 2, batchSize: 16, learningRate: 1e-2, shuffleSeed: 9, shuffleRange: 5 };
    const memory = await TabularVAE.create(config);
    await memory.fit(recs, opts);
    for (const input of [file, new Uint8Array(readFileSync(file))]) {
      const streamed = await TabularVAE.create(config);
      const source = await openTable(input, streamed.schema);
      expect(source.format).toBe("arrow");
      expect(source.groupRows).toEqual([100, 100, 100]);
      await streamed.fit(source, opts);
      expectSameWeights(memory, streamed);
      expect(source.stats.peakHeldRows).toBeLessThanOrEqual(200);
      await source.close();
      streamed.dispose();
    }
    // an async iterable of encoded batches in file order = in-memory fit without shuffling
    const plain = await TabularVAE.create(config);
    await plain.fit(recs, { ...opts, shuffleRange: undefined, shuffle: false });
    const iter = await TabularVAE.create(config);
    const source = await openTable(file, iter.schema);
    const batches = { async *[Symbol.asyncIterator]() {
      for (let s = 0; s < 300; s += 16) yield source.read(s, Math.min(16, 300 - s));
    } };
    await iter.fit(batches, { epochs: 2, batchSize: 16, learningRate: 1e-2 });
    expectSameWeights(plain, iter);
    await source.close();
    memory.dispose();
    plain.dispose();
    iter.dispose();
  }, 60_000);

  it("scanSchema over the file's batches agrees with inferSchema over all its records", async () => {
    const columns = [{ name: "x" }, { name: "y" }, { name: "kind" }, { name: "ok" }, { name: "n", type: "count" as const }];
    const whole = inferSchema(recs, columns);
    const scanned = await scanSchema(tableBatches(file), columns);
    expect(scanned.map((c) => ({ ...c, mean: undefined, std: undefined }))).toEqual(whole.map((c) => ({ ...c, mean: undefined, std: undefined })));
    for (let i = 0; i < whole.length; i++) {
      if (whole[i].mean === undefined) continue;
      expect(scanned[i].mean).toBeCloseTo(whole[i].mean!, 10);
      expect(scanned[i].std).toBeCloseTo(whole[i].std!, 10);
    }
    // messy batches: the error names the column and the record
    const messy = [[{ a: 1 }, { a: 2 }], [{ a: 3 }, { a: "x" }]];
    await expect(scanSchema(messy)).rejects.toThrow(/column "a": record 3 holds string/);
    await expect(scanSchema([[{ b: "p" }, { b: "q" }], [{ b: "" }]])).rejects.toThrow(InvalidInputError);
  });

  it("bad rows name the file row and the field; a rejected fit leaves the model as it was", async () => {
    const schema = inferSchema(recs.slice(0, 30), [{ name: "x" }, { name: "kind" }]); // kind: a, b, c
    const bad = [...recs.slice(0, 50).map((r) => ({ ...r })), { x: 1, y: 0, kind: "zebra", ok: true, n: 1 }];
    const f2 = join(dir, "bad.arrow");
    writeFileSync(f2, tableToIPC(tableFromJSON(bad), "file"));
    const m = await TabularVAE.create({ schema, latentSize: 2, hiddenSizes: [8], seed: 1 });
    const before = m.save();
    const source = await openTable(f2, m.schema);
    await expect(m.fit(source, { epochs: 1, batchSize: 64 })).rejects.toThrow(/record 50, field "kind": string "zebra"/);
    expect(m.save()).toEqual(before);
    const lenient = await openTable(f2, m.schema, { unknownCategories: "missing" });
    const { mask } = await lenient.read(50, 1);
    expect(Array.from(mask)).toEqual([1, 0]);
    expect(lenient.stats.unknownCells).toBe(1);
    await expect(openTable(f2, m.schema, { columns: ["nope"] })).rejects.toThrow(/no column "nope"/);
    await expect(openTable(f2, m.schema, { cacheGroups: 0 })).rejects.toThrow(/cacheGroups/);
    await expect(lenient.read(0, 52)).rejects.toThrow(InvalidInputError);
    await source.close();
    await lenient.close();
    m.dispose();
  });
});
