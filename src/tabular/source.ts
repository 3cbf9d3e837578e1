// Parquet and Arrow files bigger than memory as training data of a TabularVAE: a RowSource (src/train/source.ts) whose
// read(start, count) decodes only the row groups (Parquet) or record batches (Arrow IPC file) holding those rows, keeps
// the last few decoded groups, and returns the rows encoded with the model's schema ({ x, mask }, as encodeRecords
// gives them). fit shuffles it by seeded row ranges and reads a bounded number of batches ahead, so what is held is
// the decoded groups in the cache (columnar, as the reader decodes them) plus the batches in flight — never the file.
// The readers (hyparquet, apache-arrow) are optional peer dependencies, loaded on first use.
import { InvalidInputError, UnsupportedRuntimeError } from "../errors.js";
import { Codec, type Cell, type Column, type TableRecord } from "./schema.js";

/** One decoded group of rows: `rows` rows from `start`, each column's value at a row of the group. */
interface Group {
  readonly start: number;
  readonly rows: number;
  value(column: number, row: number): unknown;
}

/** A table file read a group of rows at a time. */
interface GroupReader {
  readonly rows: number;
  /** First row of each group, and the total at the end. */
  readonly starts: readonly number[];
  readonly columns: readonly string[];
  read(group: number, columns: readonly string[]): Promise<Group>;
  close(): Promise<void>;
}

/**
 * Where a table file's bytes come from: a path (Node), bytes in memory, a Blob/File, or anything with a byteLength
 * and an async slice(start, end) (hyparquet's AsyncBuffer; Parquet only).
 *
 * @example
 * ```ts
 * const input: TableInput = "flights-3m.parquet";
 * ```
 */
export type TableInput = string | Uint8Array | ArrayBuffer | Blob | {
  byteLength: number;
  /** Bytes [start, end) of the file. */
  slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer>;
};

/**
 * Options of `openTable`.
 *
 * @example
 * ```ts
 * const o: TableSourceOptions = { columns: ["delay", "distance", "origin"], cacheGroups: 2, unknownCategories: "missing" };
 * ```
 */
export interface TableSourceOptions {
  /** "parquet" or "arrow" (default: from the file's magic bytes). */
  readonly format?: "parquet" | "arrow";
  /** The file's columns to read (default: those the schema names, when `map` is not given; else all). */
  readonly columns?: readonly string[];
  /** Turns each record read from the file into the record the model takes (derived columns, renames). */
  readonly map?: (record: TableRecord) => TableRecord;
  /** Decoded row groups (Parquet) / record batches (Arrow) kept for later reads (default 2). */
  readonly cacheGroups?: number;
  /** A category the schema doesn't list: "error" (default) refuses it naming the field; "missing" masks the cell. */
  readonly unknownCategories?: "error" | "missing";
  /** Parquet page decompressors (hyparquet's `compressors`); default hyparquet-compressors' when installed. */
  readonly compressors?: unknown;
  /** First row and end row (exclusive) of the file to serve (default: all). */
  readonly rowStart?: number;
  readonly rowEnd?: number;
}

/**
 * What a TableSource has done (live counters).
 *
 * @example
 * ```ts
 * console.log(source.stats.groupsDecoded, source.stats.peakHeldRows);
 * ```
 */
export interface TableSourceStats {
  /** Row groups / record batches decoded so far (a group read again after leaving the cache counts again). */
  groupsDecoded: number;
  /** Rows of decoded groups held now and at most. */
  heldRows: number;
  peakHeldRows: number;
  /** Records encoded (rows returned by read). */
  rowsRead: number;
  /** Cells masked because their category is not in the schema (unknownCategories "missing"). */
  unknownCells: number;
}

/**
 * Rows of a Parquet file or an Arrow IPC file, encoded for a TabularVAE: a RowSource for `fit` (and validationData)
 * whose reads decode only the row groups that hold the rows asked for. Each read returns `{ x, mask }` (encoded
 * rows and the presence mask, as `encodeRecords` gives them). `close()` it when done.
 *
 * @example
 * ```ts
 * const source = await openTable("flights.parquet", model.schema, { cacheGroups: 2 });
 * await model.fit(source, { epochs: 1, batchSize: 256, shuffleRange: 65536 });
 * await source.close();
 * ```
 */
export interface TableSource {
  readonly rows: number;
  readonly format: "parquet" | "arrow";
  /** Rows per row group / record batch, in file order (over the rows served). */
  readonly groupRows: readonly number[];
  readonly stats: TableSourceStats;
  /** Rows [start, start + count) encoded: x [count, inputSize] and mask [count, columns]. */
  read(start: number, count: number): Promise<{ x: Float32Array; mask: Float32Array }>;
  /** Closes the file (a path's handle) and drops the cached groups; reads after it fail. */
  close(): Promise<void>;
}

async function load<T>(name: string, what: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ name)) as T;
  } catch {
    throw new UnsupportedRuntimeError(`${what} needs the optional package ${name}: npm install ${name}`);
  }
}

/** A cell from Arrow/Parquet: bigint → number, Date → milliseconds since the epoch, the rest as is. */
export function cellOf(v: unknown, name: string): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  throw new InvalidInputError(`column ${JSON.stringify(name)} holds ${Array.isArray(v) || ArrayBuffer.isView(v) ? "a list or binary value" : typeof v}; tabular columns hold numbers, strings, booleans or dates`);
}

/** Node's fs/promises, for paths (a name in a variable: the web and workerd bundles must not name a node: module). */
async function nodeFs(what: string): Promise<typeof import("node:fs/promises")> {
  // joined at run time so that no minifier folds it into a literal import bundlers would try to resolve
  const name = ["node", "fs/promises"].join(":");
  try {
    return (await import(/* @vite-ignore */ name)) as typeof import("node:fs/promises");
  } catch {
    throw new UnsupportedRuntimeError(`${what}: a path needs Node's file system; pass the bytes, a Blob or an AsyncBuffer`);
  }
}

interface AsyncBuffer {
  byteLength: number;
  slice(start: number, end?: number): ArrayBuffer | Promise<ArrayBuffer>;
}

/** Random-access bytes for hyparquet: a file read by ranges in Node, or bytes/Blob. */
async function bufferOf(input: TableInput, what: string): Promise<{ buf: AsyncBuffer; close(): Promise<void> }> {
  if (typeof input === "string") {
    const fs = await nodeFs(what);
    let fh: import("node:fs/promises").FileHandle;
    try {
      fh = await fs.open(input, "r");
    } catch (e) {
      throw new InvalidInputError(`${what}: can't open '${input}': ${(e as Error).message}`);
    }
    const size = (await fh.stat()).size;
    return {
      buf: {
        byteLength: size,
        slice: async (start, end = size) => {
          const b = new Uint8Array(end - start);
          let at = 0;
          while (at < b.length) {
            const { bytesRead } = await fh.read(b, at, b.length - at, start + at);
            if (bytesRead === 0) throw new InvalidInputError(`${what}: '${input}' ended at byte ${start + at}; it was ${size} bytes when opened`);
            at += bytesRead;
          }
          return b.buffer;
        },
      },
      close: () => fh.close(),
    };
  }
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const u = input instanceof Uint8Array ? input : new Uint8Array(input);
    return { buf: { byteLength: u.byteLength, slice: (s, e = u.byteLength) => u.slice(s, e).buffer }, close: async () => undefined };
  }
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    return { buf: { byteLength: input.size, slice: (s, e) => input.slice(s, e).arrayBuffer() }, close: async () => undefined };
  }
  if (input && typeof (input as AsyncBuffer).byteLength === "number" && typeof (input as AsyncBuffer).slice === "function") {
    return { buf: input as AsyncBuffer, close: async () => undefined };
  }
  throw new InvalidInputError(`${what}: expected a path, bytes, a Blob or { byteLength, slice(start, end) }; got ${input === null ? "null" : typeof input}`);
}

interface Hyparquet {
  parquetMetadataAsync(b: AsyncBuffer): Promise<{ num_rows: bigint | number; row_groups: { num_rows: bigint | number }[]; schema: { name: string }[] }>;
  parquetRead(o: Record<string, unknown>): Promise<void>;
}

async function parquetReader(input: TableInput, o: TableSourceOptions, what: string): Promise<GroupReader> {
  const hp = await load<Hyparquet>("hyparquet", what);
  let compressors = o.compressors;
  if (compressors === undefined) {
    try {
      compressors = ((await import(/* @vite-ignore */ "hyparquet-compressors")) as { compressors: unknown }).compressors;
    } catch {
      compressors = undefined; // Snappy and uncompressed files still read
    }
  }
  const { buf, close } = await bufferOf(input, what);
  let md: Awaited<ReturnType<Hyparquet["parquetMetadataAsync"]>>;
  try {
    md = await hp.parquetMetadataAsync(buf);
  } catch (e) {
    await close();
    throw new InvalidInputError(`${what}: not a Parquet file hyparquet can read (${(e as Error).message})`);
  }
  const starts = [0];
  for (const g of md.row_groups) starts.push(starts[starts.length - 1] + Number(g.num_rows));
  return {
    rows: Number(md.num_rows),
    starts,
    columns: md.schema.slice(1).map((s) => s.name),
    close,
    async read(g, columns) {
      const start = starts[g], end = starts[g + 1];
      const chunks: { rowStart: number; rowEnd: number; data: ArrayLike<unknown> }[][] = columns.map(() => []);
      await hp.parquetRead({
        file: buf, metadata: md, columns, rowStart: start, rowEnd: end, compressors,
        onChunk: (c: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number; rowEnd: number }) => {
          const j = columns.indexOf(c.columnName);
          if (j >= 0) chunks[j].push({ rowStart: c.rowStart, rowEnd: c.rowEnd, data: c.columnData });
        },
      });
      return {
        start, rows: end - start,
        value(j, r) {
          const row = start + r;
          for (const c of chunks[j]) if (row >= c.rowStart && row < c.rowEnd) return c.data[row - c.rowStart];
          return null;
        },
      };
    },
  };
}

interface ArrowFileReader {
  isFile(): boolean;
  open(): Promise<unknown>;
  numRecordBatches: number;
  schema: { fields: { name: string }[] };
  readRecordBatch(i: number): Promise<{ numRows: number; getChild(n: string): { get(i: number): unknown } | null } | null>;
  cancel?(): Promise<void> | void;
}

async function arrowReader(input: TableInput, what: string): Promise<GroupReader> {
  const arrow = await load<{ RecordBatchReader: { from(s: unknown): Promise<ArrowFileReader> | ArrowFileReader } }>("apache-arrow", what);
  let source: unknown = input, closeFile = async (): Promise<void> => undefined;
  if (typeof input === "string") {
    const fs = await nodeFs(what);
    try {
      const fh = await fs.open(input, "r");
      source = fh;
      closeFile = () => fh.close();
    } catch (e) {
      throw new InvalidInputError(`${what}: can't open '${input}': ${(e as Error).message}`);
    }
  } else if (input instanceof ArrayBuffer) source = new Uint8Array(input);
  else if (typeof Blob !== "undefined" && input instanceof Blob) source = new Uint8Array(await input.arrayBuffer());
  else if (!(input instanceof Uint8Array)) throw new InvalidInputError(`${what}: an Arrow file is read from a path, bytes or a Blob`);
  const reader = await arrow.RecordBatchReader.from(source);
  await reader.open();
  if (!reader.isFile()) {
    await closeFile();
    throw new InvalidInputError(`${what}: this is an Arrow IPC stream, which can only be read front to back, not at random row ranges; ` +
      "write it as an Arrow IPC file (apache-arrow: tableToIPC(table, \"file\")), or read it whole with readArrow");
  }
  // the row counts of every record batch: one pass over the batches, holding one at a time
  let queue: Promise<unknown> = Promise.resolve();
  const starts = [0];
  for (let i = 0; i < reader.numRecordBatches; i++) {
    const b = await reader.readRecordBatch(i);
    starts.push(starts[starts.length - 1] + (b?.numRows ?? 0));
  }
  return {
    rows: starts[starts.length - 1],
    starts,
    columns: reader.schema.fields.map((f) => f.name),
    close: closeFile,
    async read(g, columns) {
      // apache-arrow's file reader reads one message at a time: reads ahead wait for the one before
      const turn = queue.then(() => reader.readRecordBatch(g));
      queue = turn.then(() => undefined, () => undefined);
      const b = await turn;
      if (!b) throw new InvalidInputError(`${what}: record batch ${g} could not be read`);
      const cols = columns.map((c) => b.getChild(c));
      return { start: starts[g], rows: b.numRows, value: (j, r) => cols[j]?.get(r) ?? null };
    },
  };
}

/** "parquet" or "arrow" from a file's first bytes. */
async function sniff(input: TableInput, what: string): Promise<"parquet" | "arrow"> {
  let head: Uint8Array;
  if (typeof input === "string") {
    const fs = await nodeFs(what);
    let fh: import("node:fs/promises").FileHandle;
    try {
      fh = await fs.open(input, "r");
    } catch (e) {
      throw new InvalidInputError(`${what}: can't open '${input}': ${(e as Error).message}`);
    }
    head = new Uint8Array(8);
    await fh.read(head, 0, 8, 0);
    await fh.close();
  } else if (input instanceof Uint8Array) head = input.subarray(0, 8);
  else if (input instanceof ArrayBuffer) head = new Uint8Array(input, 0, Math.min(8, input.byteLength));
  else if (typeof Blob !== "undefined" && input instanceof Blob) head = new Uint8Array(await input.slice(0, 8).arrayBuffer());
  else head = new Uint8Array(await (input as AsyncBuffer).slice(0, 8));
  const text = String.fromCharCode(...head);
  if (text.startsWith("PAR1")) return "parquet";
  if (text.startsWith("ARROW1") || (head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff)) return "arrow";
  throw new InvalidInputError(`${what}: neither a Parquet file (PAR1) nor an Arrow IPC file (ARROW1); give format, or convert the table`);
}

/**
 * Opens a Parquet file (hyparquet) or an Arrow IPC file (apache-arrow) as training data for a TabularVAE with
 * `schema` (the model's: `model.schema`): a RowSource that reads a row range by decoding the row groups / record
 * batches that hold it (keeping `cacheGroups` of them) and encodes the records with the schema's preprocessing.
 * fit's range shuffle (shuffleRange) decides how often a group is decoded again: ranges of about a group's rows
 * read each group about once per epoch. Bad records throw InvalidInputError naming the file row and the field.
 *
 * @example
 * ```ts
 * const schema = await scanSchema(tableBatches("flights.parquet"));
 * const model = await TabularVAE.create({ schema, latentSize: 4, seed: 1 });
 * const source = await openTable("flights.parquet", model.schema);
 * await model.fit(source, { epochs: 2, batchSize: 256, shuffleRange: 65536, shuffleSeed: 1 });
 * await source.close();
 * ```
 */
export async function openTable(input: TableInput, schema: readonly Column[], options: TableSourceOptions = {}): Promise<TableSource> {
  const what = `openTable(${typeof input === "string" ? `'${input}'` : "input"})`;
  const o = checkOptions(options, what);
  const codec = new Codec(schema);
  const format = o.format ?? await sniff(input, what);
  const reader = format === "parquet" ? await parquetReader(input, o, what) : await arrowReader(input, what);
  const names = o.columns ?? (o.map ? reader.columns : schema.map((c) => c.name));
  for (const n of names) {
    if (!reader.columns.includes(n)) {
      await reader.close();
      throw new InvalidInputError(`${what}: the file has no column ${JSON.stringify(n)} (it has ${reader.columns.join(", ")})`);
    }
  }
  const lo = o.rowStart ?? 0, hi = Math.min(reader.rows, o.rowEnd ?? reader.rows);
  if (!(hi > lo)) {
    await reader.close();
    throw new InvalidInputError(`${what}: no rows to serve (the file has ${reader.rows}; rowStart ${lo}, rowEnd ${o.rowEnd ?? reader.rows})`);
  }
  const cacheSize = o.cacheGroups ?? 2;
  const cache = new Map<number, Promise<Group>>();
  const stats: TableSourceStats = { groupsDecoded: 0, heldRows: 0, peakHeldRows: 0, rowsRead: 0, unknownCells: 0 };
  const groupRows = (g: number): number => reader.starts[g + 1] - reader.starts[g];
  let closed = false;
  const group = (g: number): Promise<Group> => {
    let p = cache.get(g);
    if (p) {
      cache.delete(g); // most recently used last
      cache.set(g, p);
      return p;
    }
    p = reader.read(g, names);
    stats.groupsDecoded++;
    cache.set(g, p);
    stats.heldRows += groupRows(g);
    while (cache.size > Math.max(1, cacheSize)) {
      const old = cache.keys().next().value as number;
      cache.delete(old);
      stats.heldRows -= groupRows(old);
    }
    stats.peakHeldRows = Math.max(stats.peakHeldRows, stats.heldRows);
    p.catch(() => {
      if (cache.get(g) === p) {
        cache.delete(g);
        stats.heldRows -= groupRows(g);
      }
    });
    return p;
  };
  /** The group holding file row `row`. */
  const groupOf = (row: number): number => {
    let a = 0, b = reader.starts.length - 2;
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (reader.starts[m] <= row) a = m;
      else b = m - 1;
    }
    return a;
  };
  const W = codec.width, P = schema.length;
  const first = reader.starts.findIndex((s, i) => s <= lo && reader.starts[i + 1] > lo);
  const last = groupOf(hi - 1);
  return {
    rows: hi - lo,
    format,
    groupRows: reader.starts.slice(first, last + 1).map((s, i) => Math.min(hi, reader.starts[first + i + 1]) - Math.max(lo, s)),
    stats,
    async read(start, count) {
      if (closed) throw new InvalidInputError(`${what}: read after close()`);
      if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > hi - lo) {
        throw new InvalidInputError(`${what}: read(${start}, ${count}) asks for rows outside [0, ${hi - lo}); expected integers with start ≥ 0, count ≥ 1 and start + count ≤ rows`);
      }
      const x = new Float32Array(count * W), mask = new Float32Array(count * P);
      let r = 0;
      for (let row = lo + start; row < lo + start + count;) {
        const gi = groupOf(row);
        const g = await group(gi);
        const end = Math.min(lo + start + count, g.start + g.rows);
        for (; row < end; row++, r++) {
          let rec: TableRecord = {};
          for (let j = 0; j < names.length; j++) rec[names[j]] = cellOf(g.value(j, row - g.start), names[j]);
          if (o.map) rec = o.map(rec);
          stats.unknownCells += codec.encodeRecord(rec, r, x, mask, what, o.unknownCategories ?? "error", row);
        }
      }
      stats.rowsRead += count;
      return { x, mask };
    },
    async close() {
      if (closed) return;
      closed = true;
      cache.clear();
      stats.heldRows = 0;
      await reader.close();
    },
  };
}

function checkOptions(o: TableSourceOptions, what: string): TableSourceOptions {
  if (typeof o !== "object" || o === null) throw new InvalidInputError(`${what}: options must be an object`);
  const known = ["format", "columns", "map", "cacheGroups", "unknownCategories", "compressors", "rowStart", "rowEnd"];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new InvalidInputError(`${what}: unknown option '${k}' (known: ${known.join(", ")})`);
  if (o.format !== undefined && o.format !== "parquet" && o.format !== "arrow") throw new InvalidInputError(`${what}: format must be "parquet" or "arrow"`);
  if (o.cacheGroups !== undefined && !(Number.isInteger(o.cacheGroups) && o.cacheGroups >= 1 && o.cacheGroups <= 1024)) {
    throw new InvalidInputError(`${what}: cacheGroups must be an integer from 1 to 1024; got ${String(o.cacheGroups)}`);
  }
  if (o.unknownCategories !== undefined && o.unknownCategories !== "error" && o.unknownCategories !== "missing") {
    throw new InvalidInputError(`${what}: unknownCategories must be "error" or "missing"`);
  }
  if (o.map !== undefined && typeof o.map !== "function") throw new InvalidInputError(`${what}: map must be a function of a record`);
  for (const k of ["rowStart", "rowEnd"] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw new InvalidInputError(`${what}: ${k} must be an integer ≥ 0; got ${String(v)}`);
  }
  if (o.columns !== undefined && (!Array.isArray(o.columns) || o.columns.some((c) => typeof c !== "string"))) {
    throw new InvalidInputError(`${what}: columns must be an array of column names`);
  }
  return o;
}

/**
 * A Parquet or Arrow IPC file's records in file order, one row group / record batch at a time (holding one): for
 * `scanSchema`, or to look at a file bigger than memory. `map` as in openTable.
 *
 * @example
 * ```ts
 * const schema = await scanSchema(tableBatches("flights.parquet", { columns: ["delay", "origin"] }));
 * ```
 */
export async function* tableBatches(input: TableInput, options: Omit<TableSourceOptions, "cacheGroups" | "unknownCategories"> = {}): AsyncGenerator<TableRecord[]> {
  const what = `tableBatches(${typeof input === "string" ? `'${input}'` : "input"})`;
  const o = checkOptions(options, what);
  const format = o.format ?? await sniff(input, what);
  const reader = format === "parquet" ? await parquetReader(input, o, what) : await arrowReader(input, what);
  try {
    const names = o.columns ?? reader.columns;
    const lo = o.rowStart ?? 0, hi = Math.min(reader.rows, o.rowEnd ?? reader.rows);
    for (let gi = 0; gi < reader.starts.length - 1; gi++) {
      if (reader.starts[gi + 1] <= lo || reader.starts[gi] >= hi) continue;
      const g = await reader.read(gi, names);
      const out: TableRecord[] = [];
      for (let r = Math.max(0, lo - g.start); r < Math.min(g.rows, hi - g.start); r++) {
        let rec: TableRecord = {};
        for (let j = 0; j < names.length; j++) rec[names[j]] = cellOf(g.value(j, r), names[j]);
        out.push(o.map ? o.map(rec) : rec);
      }
      yield out;
    }
  } finally {
    await reader.close();
  }
}
