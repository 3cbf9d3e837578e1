// The tabular commands: vaekit train <table> --tabular (CSV and Parquet), vaekit score and vaekit impute, and a bad
// record's error naming the field.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseCsv, toCsv, type TableRecord } from "../../src/tabular";
import { cli } from "./helpers";

function records(n: number): TableRecord[] {
  const out: TableRecord[] = [];
  for (let i = 0; i < n; i++) {
    const x = Math.sin(i * 1.7) * 2;
    out.push({ x, y: 2 * x + 0.05 * Math.cos(i), kind: x > 0 ? "up" : "down", ok: i % 3 === 0 });
  }
  return out;
}

describe("vaekit train --tabular, score, impute", () => {
  it("trains on a CSV table, scores records per field and fills holes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vaekit-tab-"));
    const table = join(dir, "t.csv"), model = join(dir, "m.safetensors");
    writeFileSync(table, toCsv(records(300)));
    const t = await cli(["train", table, "--tabular", "--epochs", "5", "--batch-size", "50", "--latent", "2", "--hidden", "16", "--seed", "1", "-o", model, "--quiet"]);
    expect(t.stderr).toBe("");
    expect(t.code).toBe(0);
    const s = await cli(["score", model, table, "--limit", "10"]);
    expect(s.code).toBe(0);
    const rows = parseCsv(s.stdout);
    expect(rows).toHaveLength(10);
    expect(Object.keys(rows[0])).toEqual(["record", "score", "x", "y", "kind", "ok"]);
    for (const r of rows) expect((r.score as number)).toBeCloseTo((r.x as number) + (r.y as number) + (r.kind as number) + (r.ok as number), 4);
    const holes = join(dir, "h.csv"), out = join(dir, "f.json");
    writeFileSync(holes, "x,y,kind,ok\n1.5,,up,\n,-2,,false\n");
    const i = await cli(["impute", model, holes, "--samples", "10", "-o", out]);
    expect(i.code).toBe(0);
    const filled = JSON.parse(readFileSync(out, "utf8"));
    expect(filled[0].x).toBe(1.5);
    expect(typeof filled[0].y).toBe("number");
    expect([true, false]).toContain(filled[0].ok);
    expect(["up", "down"]).toContain(filled[1].kind);
    expect(filled[1].y).toBe(-2);
    // a bad record: an error that names the field, no output
    writeFileSync(holes, "x,y,kind,ok\n1,2,sideways,true\n");
    const bad = await cli(["score", model, holes]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/record 0, field "kind": string "sideways"/);
    const flags = await cli(["train", table, "--tabular", "--likelihood", "gaussian"]);
    expect(flags.code).not.toBe(0);
    expect(flags.stderr).toMatch(/--likelihood does not apply to --tabular/);
  });

  it("trains on a Parquet file (the first rows of vega-datasets' flights)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vaekit-tab-"));
    const model = join(dir, "m.safetensors");
    const file = new URL("../../node_modules/vega-datasets/data/flights-3m.parquet", import.meta.url).pathname;
    const t = await cli(["train", file, "--tabular", "--limit", "1000", "--columns", "delay,distance,origin:categorical", "--epochs", "2", "-o", model, "--quiet"]);
    expect(t.stderr).toBe("");
    expect(t.code).toBe(0);
    const s = await cli(["score", model, file, "--limit", "3"]);
    expect(s.code).toBe(0);
    expect(parseCsv(s.stdout).map((r) => Object.keys(r))).toEqual([0, 1, 2].map(() => ["record", "score", "delay", "distance", "origin"]));
  });

  it("streams a Parquet file above the stream threshold: its model agrees with the one trained on the same rows loaded whole", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vaekit-tab-"));
    const file = new URL("../../node_modules/vega-datasets/data/flights-3m.parquet", import.meta.url).pathname;
    const common = ["--tabular", "--limit", "600", "--columns", "delay,distance,origin:categorical", "--epochs", "2", "--shuffle-range", "8",
      "--batch-size", "50", "--seed", "3", "--shuffle-seed", "4", "--quiet"];
    const streamed = join(dir, "s.safetensors"), whole = join(dir, "w.safetensors");
    // --stream-above 1 (MB): the 13 MB file streams, as a bigger-than-memory file would by default
    const a = await cli(["train", file, ...common, "--stream-above", "1", "-o", streamed]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const b = await cli(["train", file, ...common, "--stream", "never", "-o", whole]);
    expect(b.code).toBe(0);
    const { TabularVAE } = await import("../../src/tabular");
    const ms = await TabularVAE.load(readFileSync(streamed)), mw = await TabularVAE.load(readFileSync(whole));
    // the streamed schema comes from one pass (f64 sums): the same types and categories, statistics to rounding
    expect(ms.schema.map((c) => [c.name, c.type, c.categories])).toEqual(mw.schema.map((c) => [c.name, c.type, c.categories]));
    ms.schema.forEach((c, i) => c.mean !== undefined && expect(c.mean).toBeCloseTo(mw.schema[i].mean!, 8));
    const recs = (await import("../../src/tabular-arrow")).readParquet(readFileSync(file), { rowEnd: 20, columns: ["delay", "distance", "origin"] });
    const sa = ms.anomalyScore(await recs).scores, sb = mw.anomalyScore(await recs).scores;
    for (let i = 0; i < sa.length; i++) expect(sa[i]).toBeCloseTo(sb[i], 2);
    ms.dispose();
    mw.dispose();
    const csv = join(dir, "t.csv");
    writeFileSync(csv, "a,b\n1,x\n2,y\n");
    const refused = await cli(["train", csv, "--tabular", "--stream", "always", "-o", join(dir, "c.safetensors")]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--tabular streams Parquet and Arrow IPC files/);
  });
});
