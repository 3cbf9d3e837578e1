// The tabular commands: `vaekit train <table> --tabular` (a TabularVAE with its schema inferred from the table),
// `vaekit score <model> <table>` (anomaly scores per record and per field) and `vaekit impute <model> <table>`
// (missing fields filled). Tables are CSV, JSON (an array of records, or one record per line), Arrow IPC or
// Parquet. vaekit/tabular and vaekit/tabular-arrow are imported on use, so the other commands never load them.
import type { Args, OptionSpec } from "../args.js";
import type { Command, Context } from "../context.js";
import { UsageError } from "../errors.js";
import { extension, readBytes, writeBytes } from "../files.js";
import { Progress } from "../progress.js";
import { QUIET } from "../shared-options.js";
import { streamFitOptions, streams } from "../stream-data.js";

type Tabular = typeof import("../../tabular.js");
type TableRecord = import("../../tabular.js").TableRecord;
const tabular = (): Promise<Tabular> => import("../../tabular.js");

const TABLES = ".csv, .json, .jsonl, .arrow (.feather, .ipc) or .parquet";

/** Records from a table file, by its extension. */
export async function readRecords(path: string, limit?: number): Promise<TableRecord[]> {
  const ext = extension(path);
  let records: TableRecord[];
  if (ext === ".parquet") records = await (await import("../../tabular-arrow.js")).readParquet(await readBytes(path), { rowEnd: limit });
  else if (ext === ".arrow" || ext === ".feather" || ext === ".ipc") records = await (await import("../../tabular-arrow.js")).readArrow(await readBytes(path));
  else {
    const text = new TextDecoder().decode(await readBytes(path));
    if (ext === ".csv") records = (await tabular()).parseCsv(text);
    else if (ext === ".json") {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        throw new UsageError(`'${path}' is not valid JSON: ${(e as Error).message}`);
      }
      if (!Array.isArray(v)) throw new UsageError(`'${path}': a JSON table is an array of records`);
      records = v as TableRecord[];
    } else if (ext === ".jsonl" || ext === ".ndjson") {
      records = text.split(/\r?\n/).filter((l) => l.trim() !== "").map((l, i) => {
        try {
          return JSON.parse(l) as TableRecord;
        } catch (e) {
          throw new UsageError(`'${path}' line ${i + 1} is not valid JSON: ${(e as Error).message}`);
        }
      });
    } else throw new UsageError(`'${path}': a table is ${TABLES}`);
  }
  return limit === undefined ? records : records.slice(0, limit);
}

/** Writes records as CSV or JSON (by the extension), or to stdout as CSV when no path is given. */
async function writeRecords(path: string | undefined, records: TableRecord[], ctx: Context, columns?: string[]): Promise<void> {
  const t = await tabular();
  if (path === undefined) {
    ctx.stdout.write(t.toCsv(records, columns));
    return;
  }
  const ext = extension(path);
  if (ext === ".csv") await writeBytes(path, t.toCsv(records, columns));
  else if (ext === ".json") await writeBytes(path, JSON.stringify(records) + "\n");
  else throw new UsageError(`-o '${path}': write .csv or .json`);
}

/** The options `vaekit train --tabular` reads (the rest of train's model options don't apply). */
export const TABULAR_OPTIONS: OptionSpec[] = [
  { name: "tabular", help: "train a TabularVAE on a table (.csv, .json, .jsonl, .arrow, .parquet): schema inferred, missing cells masked", group: "Tabular" },
  { name: "columns", value: "a,b,…", help: "tabular: the columns to use (default: all); name:type fixes a type (continuous, bounded, binary, categorical, count)", group: "Tabular" },
];

/** The train options --tabular reads; any other is refused. */
const TABULAR_READS = new Set(["tabular", "columns", "latent", "hidden", "decoder-hidden", "activation", "beta", "seed", "epochs",
  "batch-size", "learning-rate", "shuffle-seed", "limit", "output", "quiet", "help",
  // a Parquet or Arrow file over the stream threshold is streamed (stream-data.ts's flags)
  "stream", "stream-above", "shuffle-range", "read-ahead"]);

/** Rows per shuffled range of a streamed table when --shuffle-range is not given: about a row group's worth. */
const TABLE_RANGE = 65_536;

/** `vaekit train <table> --tabular`; `options`: the names of every option train accepts. */
export async function trainTabular(args: Args, ctx: Context, options: readonly string[]): Promise<number> {
  for (const flag of options) {
    if (!TABULAR_READS.has(flag) && args.has(flag)) {
      throw new UsageError(`--${flag} does not apply to --tabular (it reads ${[...TABULAR_READS].filter((f) => f !== "help").map((f) => `--${f}`).join(", ")}; each column's likelihood follows from its type)`);
    }
  }
  const t = await tabular();
  const output = args.string("output", "model.safetensors");
  if (extension(output) !== ".safetensors") throw new UsageError(`-o '${output}': a model file ends in .safetensors`);
  const path = args.positionals[0];
  const columnar = [".parquet", ".arrow", ".feather", ".ipc"].includes(extension(path));
  const streamed = await streams(args, path);
  if (streamed && !columnar) throw new UsageError(`'${path}': --tabular streams Parquet and Arrow IPC files; load ${extension(path)} tables whole (--stream never), or convert the table`);
  const spec = args.string("columns");
  const columns = spec?.split(",").map((c) => {
    const [name, type] = c.split(":");
    return type ? { name, type: type as never } : { name };
  });
  let records: TableRecord[] = [];
  let source: import("../../tabular-arrow.js").TableSource | undefined;
  let schema: import("../../tabular.js").Column[] | undefined;
  const limit = args.whole("limit", undefined, 1);
  if (streamed) {
    // bigger than memory: one pass infers the schema, then fit reads row groups / record batches as it needs them
    const ta = await import("../../tabular-arrow.js");
    const names = columns?.map((c) => c.name);
    schema = await t.scanSchema(ta.tableBatches(path, { ...(names ? { columns: names } : {}), rowEnd: limit }), columns);
  } else records = await readRecords(path, limit);
  const hidden = args.string("hidden")?.split(",").map(Number);
  const config: Record<string, unknown> = { latentSize: args.whole("latent", 8, 1, 4096), seed: args.whole("seed", 0, 0, 2 ** 32 - 1), columns };
  if (hidden) config.hiddenSizes = hidden;
  const dh = args.string("decoder-hidden")?.split(",").map(Number);
  if (dh) config.decoderHiddenSizes = dh;
  if (args.has("activation")) config.activation = args.string("activation");
  if (args.has("beta")) config.beta = args.number("beta", 1, { min: 0 });
  let model: import("../../tabular.js").TabularVAE;
  if (schema) {
    const { columns: _c, ...rest } = config;
    model = await t.TabularVAE.create({ ...rest, schema } as never);
    source = await (await import("../../tabular-arrow.js")).openTable(path, model.schema, { rowEnd: limit });
  } else model = await t.TabularVAE.fromRecords(records, config as never);
  const n = source ? source.rows : records.length;
  const epochs = args.whole("epochs", 10, 1, 1e9);
  const batchSize = Math.min(args.whole("batch-size", 128, 1, 1 << 20), n);
  const progress = new Progress(ctx.stderr, { unit: "records", quiet: args.flag("quiet"), now: ctx.now });
  let snapshot: Uint8Array | undefined, last = 0;
  progress.start(epochs * n);
  try {
    const stream = source ? { shuffleRange: TABLE_RANGE, ...streamFitOptions(args) } : streamFitOptions(args);
    await model.fit(source ?? records, {
      ...stream,
      epochs, batchSize, learningRate: args.number("learning-rate", 1e-3, { min: 0, open: true }), signal: ctx.signal,
      ...(args.has("shuffle-seed") ? { shuffleSeed: args.whole("shuffle-seed", 0, 0, 2 ** 32 - 1) } : {}),
      onBatchEnd: (b) => progress.update((b.epoch - 1) * n + Math.min(n, (b.batch + 1) * batchSize), `epoch ${b.epoch}/${epochs}`, `loss ${b.loss.toFixed(2)}`),
      onEpochEnd: (log) => {
        snapshot = model.save();
        last = log.loss;
        progress.line(`epoch ${log.epoch}/${epochs}  loss ${log.loss.toFixed(3)}  reconstruction ${log.reconstruction.toFixed(3)}  kl ${log.kl.toFixed(3)}`);
      },
    });
  } catch (e) {
    progress.clear();
    if (!ctx.signal?.aborted) throw e;
    if (snapshot) await writeBytes(output, snapshot);
    ctx.stderr.write(`vaekit train: interrupted; ${snapshot ? `saved the model as of the last finished epoch to ${output}` : "nothing saved"}\n`);
    return 130;
  } finally {
    model.dispose();
    await source?.close();
  }
  progress.clear();
  await writeBytes(output, snapshot!);
  if (!args.flag("quiet")) {
    ctx.stderr.write(`vaekit train: saved ${output} (TabularVAE, ${schema?.length ?? model.schema.length} columns, ${epochs} epochs${source ? `, streamed ${n} rows` : ""}, loss ${last.toFixed(3)})\n`);
  }
  return 0;
}

async function openTabular(path: string): Promise<import("../../tabular.js").TabularVAE> {
  const t = await tabular();
  try {
    return await t.TabularVAE.load(await readBytes(path));
  } catch (e) {
    if ((e as Error).name === "ModelFormatError") throw new UsageError(`'${path}': ${(e as Error).message}`);
    throw e;
  }
}

const TABLE_POSITIONALS = [
  { name: "model", help: "a TabularVAE written by vaekit train --tabular (.safetensors)" },
  { name: "table", help: `records: ${TABLES}` },
];
const OUT: OptionSpec = { name: "output", short: "o", value: "file", help: "write .csv or .json", default: "CSV on stdout", group: "Output" };
const LIMIT_ROWS: OptionSpec = { name: "limit", value: "n", help: "use the first n records", default: "all", group: "Input" };

export const score: Command = {
  spec: {
    name: "score",
    brief: "anomaly scores of a table's records, per record and per field (TabularVAE)",
    summary: "Scores each record of <table> with a TabularVAE: the record's score (nats, higher is odder) and each field's share; missing fields are ignored (empty).",
    positionals: TABLE_POSITIONALS,
    options: [LIMIT_ROWS, OUT, QUIET],
  },
  async run(args, ctx) {
    const model = await openTabular(args.positionals[0]);
    try {
      const records = await readRecords(args.positionals[1], args.whole("limit", undefined, 1));
      const { scores, columns } = model.anomalyScore(records);
      const names = Object.keys(columns);
      const rows: TableRecord[] = Array.from(scores, (s, i) => {
        const r: TableRecord = { record: i, score: s };
        for (const n of names) r[n] = columns[n][i] as number;
        return r;
      });
      await writeRecords(args.string("output"), rows, ctx, ["record", "score", ...names]);
    } finally {
      model.dispose();
    }
    return 0;
  },
};

export const impute: Command = {
  spec: {
    name: "impute",
    brief: "fill the missing fields of a table's records (TabularVAE)",
    summary: "Fills every missing field (empty, NA, null) of <table>'s records with a TabularVAE; observed fields are kept.",
    positionals: TABLE_POSITIONALS,
    options: [
      { name: "samples", value: "k", help: "importance-weighted mean over k draws of z (0: decode the posterior mean)", default: "0", group: "Imputation" },
      { name: "seed", value: "s", help: "seed of the draws", default: "the model's seed", group: "Imputation" },
      LIMIT_ROWS, OUT, QUIET,
    ],
  },
  async run(args, ctx) {
    const model = await openTabular(args.positionals[0]);
    try {
      const records = await readRecords(args.positionals[1], args.whole("limit", undefined, 1));
      const samples = args.whole("samples", 0, 0, 10_000);
      const filled = model.impute(records, { samples, ...(args.has("seed") ? { seed: args.whole("seed", 0, 0, 2 ** 32 - 1) } : {}) });
      await writeRecords(args.string("output"), filled, ctx, model.schema.map((c: { name: string }) => c.name));
    } finally {
      model.dispose();
    }
    return 0;
  },
};
