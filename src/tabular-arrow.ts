// vaekit/tabular-arrow: records from Apache Arrow tables and Parquet files, and records out as Arrow, for the tabular
// VAE. The readers are optional peer dependencies loaded on first use — apache-arrow for Arrow, hyparquet (with
// hyparquet-compressors for ZSTD/Brotli/LZ4/gzip pages) for Parquet — so vaekit's core keeps zero dependencies.
import { InvalidInputError, UnsupportedRuntimeError } from "./errors.js";
import type { TableRecord } from "./tabular/schema.js";
import { cellOf } from "./tabular/source.js";

export { openTable, tableBatches } from "./tabular/source.js";
export type { TableInput, TableSource, TableSourceOptions, TableSourceStats } from "./tabular/source.js";

/**
 * What this module needs of an Arrow table (apache-arrow's Table has it).
 *
 * @example
 * ```ts
 * import { tableFromJSON } from "apache-arrow";
 * const t: ArrowTableLike = tableFromJSON([{ a: 1 }]);
 * ```
 */
export interface ArrowTableLike {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string }[] };
  /** The column named `name` (a vector whose `get(i)` reads row i), or null when there is none. */
  getChild(name: string): ArrowColumnLike | null;
}

/**
 * One column of an Arrow table, as recordsFromArrow reads it.
 *
 * @example
 * ```ts
 * const delay: ArrowColumnLike | null = table.getChild("delay");
 * ```
 */
export interface ArrowColumnLike {
  /** The value of row i. */
  get(i: number): unknown;
}

async function load<T>(name: string, what: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T;
  } catch {
    throw new UnsupportedRuntimeError(`${what} needs the optional package ${name}: npm install ${name}`);
  }
}

/**
 * Records from an Apache Arrow table (all its columns, or `columns`). Int64 values become numbers, timestamps
 * milliseconds, dictionary values their strings, nulls null.
 *
 * @example
 * ```ts
 * import { tableFromIPC } from "apache-arrow";
 * const records = recordsFromArrow(tableFromIPC(bytes), { columns: ["delay", "distance"] });
 * ```
 */
export function recordsFromArrow(table: ArrowTableLike, options: { columns?: readonly string[] } = {}): TableRecord[] {
  if (!table || typeof table.getChild !== "function" || !table.schema) throw new InvalidInputError("recordsFromArrow: expected an Apache Arrow Table");
  const names = options.columns ?? table.schema.fields.map((f) => f.name);
  const cols = names.map((n) => {
    const c = table.getChild(n);
    if (!c) throw new InvalidInputError(`recordsFromArrow: the table has no column ${JSON.stringify(n)} (it has ${table.schema.fields.map((f) => f.name).join(", ")})`);
    return c;
  });
  const out: TableRecord[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const r: TableRecord = {};
    for (let j = 0; j < names.length; j++) r[names[j]] = cellOf(cols[j].get(i), names[j]);
    out[i] = r;
  }
  return out;
}

/**
 * Records from Arrow IPC bytes (a file or a stream), read with apache-arrow.
 *
 * @example
 * ```ts
 * const records = await readArrow(await readFile("flights-200k.arrow"));
 * ```
 */
export async function readArrow(bytes: Uint8Array | ArrayBuffer, options: { columns?: readonly string[] } = {}): Promise<TableRecord[]> {
  const arrow = await load<{ tableFromIPC(b: Uint8Array): ArrowTableLike }>("apache-arrow", "readArrow");
  return recordsFromArrow(arrow.tableFromIPC(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes), options);
}

/**
 * Records as an Apache Arrow table (apache-arrow's tableFromJSON), missing values as nulls.
 *
 * @example
 * ```ts
 * const table = await recordsToArrow(model.impute(records));
 * ```
 */
export async function recordsToArrow(records: readonly TableRecord[]): Promise<unknown> {
  const arrow = await load<{ tableFromJSON(r: unknown[]): unknown }>("apache-arrow", "recordsToArrow");
  return arrow.tableFromJSON(records.map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) o[k] = v === undefined || (typeof v === "number" && Number.isNaN(v)) ? null : v;
    return o;
  }));
}

/**
 * Options of the Parquet readers.
 *
 * @example
 * ```ts
 * const o: ParquetOptions = { columns: ["delay", "distance"], rowStart: 0, rowEnd: 10_000 };
 * ```
 */
export interface ParquetOptions {
  /** Columns to read (default: all). */
  readonly columns?: readonly string[];
  /** First row and end row (exclusive) to read. */
  readonly rowStart?: number;
  readonly rowEnd?: number;
  /**
   * Page decompressors (hyparquet's `compressors`); by default hyparquet-compressors' when it is installed
   * (needed for ZSTD, Brotli, LZ4 and gzip pages; Snappy and uncompressed pages need nothing).
   */
  readonly compressors?: unknown;
}

interface Hyparquet {
  parquetMetadata(b: ArrayBuffer): { num_rows: bigint | number; row_groups: { num_rows: bigint | number }[] };
  parquetReadObjects(o: Record<string, unknown>): Promise<Record<string, unknown>[]>;
}

async function parquet(what: string, o: ParquetOptions): Promise<[Hyparquet, unknown]> {
  const hp = await load<Hyparquet>("hyparquet", what);
  let compressors = o.compressors;
  if (compressors === undefined) {
    try {
      compressors = ((await import(/* @vite-ignore */ "hyparquet-compressors")) as { compressors: unknown }).compressors;
    } catch {
      compressors = undefined; // Snappy and uncompressed files still read
    }
  }
  return [hp, compressors];
}

const bufferOf = (b: Uint8Array | ArrayBuffer): ArrayBuffer =>
  b instanceof ArrayBuffer ? b : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);

/**
 * Records from a Parquet file's bytes (hyparquet), optionally some columns and a row range.
 *
 * @example
 * ```ts
 * const records = await readParquet(await readFile("flights-3m.parquet"), { columns: ["delay", "distance", "origin"], rowEnd: 100_000 });
 * ```
 */
export async function readParquet(bytes: Uint8Array | ArrayBuffer, options: ParquetOptions = {}): Promise<TableRecord[]> {
  const [hp, compressors] = await parquet("readParquet", options);
  const rows = await hp.parquetReadObjects({
    file: bufferOf(bytes), columns: options.columns, rowStart: options.rowStart, rowEnd: options.rowEnd, compressors,
  });
  return rows.map((r) => {
    const o: TableRecord = {};
    for (const [k, v] of Object.entries(r)) o[k] = cellOf(v, k);
    return o;
  });
}

/**
 * A Parquet file's records in batches of about `batchRows` (default 65 536), read one range at a time so only one
 * batch of records is held at once (the file's bytes stay in memory).
 *
 * @example
 * ```ts
 * for await (const batch of parquetBatches(bytes, { columns: ["delay", "distance"] })) total += batch.length;
 * ```
 */
export async function* parquetBatches(bytes: Uint8Array | ArrayBuffer, options: ParquetOptions & { batchRows?: number } = {}): AsyncGenerator<TableRecord[]> {
  const [hp] = await parquet("parquetBatches", options);
  const buf = bufferOf(bytes);
  const total = Number(hp.parquetMetadata(buf).num_rows);
  const size = options.batchRows ?? 65_536;
  if (!Number.isInteger(size) || size < 1) throw new InvalidInputError(`parquetBatches: batchRows must be a positive integer; got ${size}`);
  const end = Math.min(total, options.rowEnd ?? total);
  for (let start = options.rowStart ?? 0; start < end; start += size) {
    yield await readParquet(buf, { ...options, rowStart: start, rowEnd: Math.min(end, start + size) });
  }
}
