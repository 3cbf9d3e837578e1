// vaekit/tabular-arrow: records from Arrow tables (apache-arrow) and Parquet files (hyparquet, ZSTD pages through
// hyparquet-compressors), the real vega-datasets flights files; batches; records back out as Arrow; a TabularVAE
// trained on Parquet records.
import { readFileSync } from "node:fs";
import { tableFromIPC, tableFromJSON, tableToIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../../src/errors";
import { parquetBatches, readArrow, readParquet, recordsFromArrow, recordsToArrow } from "../../src/tabular-arrow";
import { TabularVAE } from "../../src/tabular";

const data = (f: string) => readFileSync(new URL(`../../node_modules/vega-datasets/data/${f}`, import.meta.url));

describe("Arrow", () => {
  it("reads an Arrow IPC file and a Table into records, nulls as null, and writes records back", async () => {
    const recs = await readArrow(data("flights-200k.arrow"), { columns: ["delay", "distance"] });
    expect(recs).toHaveLength(200_000);
    const t = tableFromIPC(data("flights-200k.arrow"));
    expect(recs[12345]).toEqual({ delay: t.getChild("delay")!.get(12345), distance: t.getChild("distance")!.get(12345) });
    const mixed = tableFromJSON([{ a: 1.5, b: "x", c: true }, { a: null, b: null, c: false }]);
    expect(recordsFromArrow(mixed)).toEqual([{ a: 1.5, b: "x", c: true }, { a: null, b: null, c: false }]);
    const back = (await recordsToArrow([{ a: 2, b: "y" }, { a: NaN, b: undefined }])) as ReturnType<typeof tableFromJSON>;
    expect(recordsFromArrow(tableFromIPC(tableToIPC(back)))).toEqual([{ a: 2, b: "y" }, { a: null, b: null }]);
    expect(() => recordsFromArrow(mixed, { columns: ["nope"] })).toThrow(InvalidInputError);
    expect(() => recordsFromArrow(mixed, { columns: ["nope"] })).toThrow(/no column "nope"/);
  });
});

describe("Parquet", () => {
  it("reads the 3M-row flights file's rows (ZSTD pages), Int64 as numbers and timestamps as milliseconds", async () => {
    const bytes = data("flights-3m.parquet");
    const recs = await readParquet(bytes, { rowEnd: 1000 });
    expect(recs).toHaveLength(1000);
    expect(recs[0]).toEqual({ date: Date.UTC(2001, 0, 1, 0, 1), delay: 33, distance: 2176, origin: "LAS", destination: "PHL" });
    let n = 0, first: unknown;
    for await (const b of parquetBatches(bytes, { columns: ["delay", "origin"], rowEnd: 2500, batchRows: 1000 })) {
      first ??= b[0];
      n += b.length;
      expect(b.length).toBeLessThanOrEqual(1000);
    }
    expect(n).toBe(2500);
    expect(first).toEqual({ delay: 33, origin: "LAS" });
  });

  it("trains a TabularVAE on Parquet records and scores them", async () => {
    const recs = await readParquet(data("flights-3m.parquet"), { columns: ["delay", "distance", "origin"], rowEnd: 2000 });
    const m = await TabularVAE.fromRecords(recs, { latentSize: 2, hiddenSizes: [16], seed: 1 });
    const logs = await m.fit(recs, { epochs: 3, batchSize: 200, learningRate: 3e-3, shuffleSeed: 1 });
    expect(logs[2].loss).toBeLessThan(logs[0].loss);
    expect(m.anomalyScore(recs.slice(0, 5)).scores.every(Number.isFinite)).toBe(true);
    m.dispose();
  });
});
