// vaekit/stream: readers of training data bigger than memory. IDX (raw, or gzipped when streamed), NumPy .npy and CSV
// files read a batch at a time — from disk in Node through fs handles, from a Blob/File, a ReadableStream or a
// Response in browsers and Workers — as RowSources (random access: fit shuffles them by row ranges) or async
// iterables of batches (sequential: streams, gzip). Untrusted input: every size is checked before anything is
// allocated from it, and errors are InvalidInputError naming the file, the row and what was expected.
// A sub-path of its own: the default entry doesn't carry it.
import { InvalidInputError } from "./errors.js";
import { kind, show } from "./errors-format.js";
import { type ByteInput, hold, newStats, openRandom, openStream, type Pull, type RandomBytes, type ReaderStats, type StreamInput } from "./stream/bytes.js";
import { csvCells, csvRows, decodeRows, idxLayout, isBlank, isNpy, type Layout, type Native, npyLayout, type ReadOptions } from "./stream/formats.js";
import type { BatchStream, RowSource } from "./index.js";

export type { ByteInput, ReaderStats, StreamInput } from "./stream/bytes.js";
export type { Native, ReadOptions } from "./stream/formats.js";

/**
 * A file opened for reading row ranges: a RowSource for `fit` (and its validationData) that reads only the rows
 * asked for. `close()` it when done (fit doesn't).
 *
 * @example
 * ```ts
 * const images = await openIdx("train-images-idx3-ubyte"); // shape [60000, 28, 28], rows of 784 in [0, 1]
 * await vae.fit(images, { epochs: 10, shuffleRange: 16 });
 * console.log(images.stats.peakHeldBytes);
 * await images.close();
 * ```
 */
export interface FileSource<C = Float32Array | Native> extends RowSource<C> {
  readonly rows: number;
  /** The file's shape: [rows, …] (IDX, .npy) or [rows, columns] (CSV). */
  readonly shape: readonly number[];
  /** Values per row. */
  readonly rowValues: number;
  readonly format: "idx" | "npy" | "csv";
  /** CSV: the header line's names, when the file has one. */
  readonly columns?: readonly string[];
  /** Bytes read and held (live counters). */
  readonly stats: ReaderStats;
  /** Rows [start, start + count) as `C`; several reads may be in flight at once. */
  read(start: number, count: number): Promise<C>;
  /** Closes the file handle (a Blob needs none); reads after it fail. */
  close(): Promise<void>;
}

/** Rows per read at most × row bytes: a bound on one read's buffer. */
const MAX_READ_BYTES = 2 ** 30;

function checkRange(what: string, rows: number, start: number, count: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > rows) {
    throw new InvalidInputError(`${what}: read(${show(start)}, ${show(count)}) asks for rows outside [0, ${rows}); ` +
      "expected integers with start ≥ 0, count ≥ 1 and start + count ≤ rows");
  }
}

function checkOptions(what: string, o: unknown): ReadOptions {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null) throw new InvalidInputError(`${what}: options must be an object`);
  const r = o as ReadOptions & Record<string, unknown>;
  const known = ["scale", "output", "maxRowValues", "maxLineBytes", "batchRows", "format"];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new InvalidInputError(`${what}: unknown option '${k}'; known: ${known.join(", ")}`);
  if (r.scale !== undefined && r.scale !== "auto" && !(typeof r.scale === "number" && Number.isFinite(r.scale))) {
    throw new InvalidInputError(`${what}: scale must be a finite number or "auto"; got ${show(r.scale)}`);
  }
  if (r.output !== undefined && r.output !== "float32" && r.output !== "native") {
    throw new InvalidInputError(`${what}: output must be "float32" or "native"; got ${show(r.output)}`);
  }
  for (const k of ["maxRowValues", "maxLineBytes"] as const) {
    const v = r[k];
    if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 2 ** 30)) {
      throw new InvalidInputError(`${what}: ${k} must be an integer from 1 to 2^30; got ${show(v)}`);
    }
  }
  return r;
}

/** A fixed-width layout (IDX, .npy) over random-access bytes. */
async function fixedSource(input: ByteInput, options: unknown, what: string,
  layoutOf: (b: Uint8Array, what: string, o: ReadOptions) => Layout | { need: number }): Promise<FileSource> {
  const o = checkOptions(what, options);
  const stats = newStats();
  const file = await openRandom(input, what, stats);
  try {
    let l: Layout | { need: number } = { need: Math.min(16, file.size) };
    while ("need" in l) {
      const n = l.need;
      if (n > file.size) {
        if (file.size >= 2 && (await peek(file, 2, stats))[0] === 0x1f) {
          throw new InvalidInputError(`${what}: the file is gzipped; gzip can't be read at random row ranges: stream it in file order with ` +
            "streamBatches, or gunzip it first to shuffle it");
        }
        throw new InvalidInputError(`${what}: truncated header (${file.size} bytes)`);
      }
      const head = await file.read(0, n);
      hold(stats, -n);
      if (head[0] === 0x1f && head[1] === 0x8b) {
        throw new InvalidInputError(`${what}: the file is gzipped; gzip can't be read at random row ranges: stream it in file order with ` +
          "streamBatches, or gunzip it first to shuffle it");
      }
      l = layoutOf(head, what, o);
    }
    const layout = l;
    const need = layout.start + layout.rows * layout.rowBytes;
    if (file.size < need) {
      throw new InvalidInputError(`${what}: truncated file: shape [${layout.shape.join(", ")}] needs ${need} bytes, the file has ${file.size}`);
    }
    if (layout.format === "npy" && file.size > need) {
      throw new InvalidInputError(`${what}: ${file.size - need} bytes after the data of shape (${layout.shape.join(", ")})`);
    }
    return {
      rows: layout.rows, shape: layout.shape, rowValues: layout.rowValues, format: layout.format, stats,
      read: async (start, count) => {
        checkRange(what, layout.rows, start, count);
        const len = count * layout.rowBytes;
        if (len > MAX_READ_BYTES) throw new InvalidInputError(`${what}: read(${start}, ${count}) would take ${len} bytes; at most 2^30 per read`);
        const bytes = await file.read(layout.start + start * layout.rowBytes, len);
        try {
          return decodeRows(layout, bytes, count, o, `${what}: rows ${start} to ${start + count - 1}`);
        } finally {
          hold(stats, -len);
        }
      },
      close: () => file.close(),
    };
  } catch (e) {
    await file.close();
    throw e;
  }
}

async function peek(file: RandomBytes, n: number, stats: ReaderStats): Promise<Uint8Array> {
  const b = await file.read(0, n);
  hold(stats, -n);
  return b;
}

/**
 * Opens an IDX file (the MNIST format, uncompressed) for reading row ranges: the first dimension counts the rows,
 * the others are flattened. Values come as Float32Array, unsigned bytes divided by 255 (as readIdxImages), or in
 * the file's own type with `output: "native"` (labels). Gzipped files can't be read at random ranges: stream them
 * with streamBatches, or gunzip them first.
 *
 * @example
 * ```ts
 * import { openIdx } from "vaekit/stream";
 * const x = await openIdx("train-images-idx3-ubyte");           // a path (Node) or a Blob/File (browsers)
 * const y = await openIdx("train-labels-idx1-ubyte", { output: "native" }); // Uint8Array class indices
 * await cvae.fit(zipSources({ x, labels: y }), { epochs: 5 });
 * ```
 */
export function openIdx(input: ByteInput, options?: ReadOptions & { output?: "float32" }): Promise<FileSource<Float32Array>>;
export function openIdx(input: ByteInput, options: ReadOptions & { output: "native" }): Promise<FileSource<Native>>;
export function openIdx(input: ByteInput, options?: ReadOptions): Promise<FileSource> {
  return fixedSource(input, options, `openIdx(${name(input)})`, idxLayout);
}

/**
 * Opens a NumPy .npy file (little-endian float32, float64, uint8, int32 or int64, C order) for reading row ranges;
 * the first dimension counts the rows. Options as openIdx.
 *
 * @example
 * ```ts
 * import { openNpy } from "vaekit/stream";
 * const x = await openNpy("features.npy", { scale: 1 });
 * await vae.fit(x, { epochs: 5 });
 * ```
 */
export function openNpy(input: ByteInput, options?: ReadOptions & { output?: "float32" }): Promise<FileSource<Float32Array>>;
export function openNpy(input: ByteInput, options: ReadOptions & { output: "native" }): Promise<FileSource<Native>>;
export function openNpy(input: ByteInput, options?: ReadOptions): Promise<FileSource> {
  return fixedSource(input, options, `openNpy(${name(input)})`, npyLayout);
}

const name = (input: unknown): string =>
  typeof input === "string" ? `'${input}'` : input instanceof URL ? `'${input.href}'` : typeof Blob !== "undefined" && input instanceof Blob ? ("name" in input ? `'${(input as File).name}'` : "a Blob") : kind(input);

/** Rows between two line-index entries of a CSV file. */
const CSV_STRIDE = 64;

/**
 * Opens a CSV file of numbers (comma-separated, one example per line, an optional header line, blank lines
 * ignored) for reading row ranges. One pass over the file indexes where every 64th row starts (8 bytes per 64 rows
 * held); a read then starts at the nearest indexed row. Values are Float32Array (× scale) or, with
 * `output: "native"`, Float64Array.
 *
 * @example
 * ```ts
 * import { openCsv } from "vaekit/stream";
 * const x = await openCsv("table.csv"); // x.columns: the header's names
 * await vae.fit(x, { epochs: 5 });
 * ```
 */
export async function openCsv(input: ByteInput, options?: ReadOptions & { output?: "float32" }): Promise<FileSource<Float32Array>>;
export async function openCsv(input: ByteInput, options: ReadOptions & { output: "native" }): Promise<FileSource<Float64Array>>;
export async function openCsv(input: ByteInput, options?: ReadOptions): Promise<FileSource<Float32Array | Float64Array>> {
  const what = `openCsv(${name(input)})`;
  const o = checkOptions(what, options);
  const maxLine = o.maxLineBytes ?? 1 << 20;
  const scale = typeof o.scale === "number" ? o.scale : 1;
  const stats = newStats();
  const file = await openRandom(input, what, stats);
  const block = Math.max(1 << 16, Math.min(1 << 20, maxLine));
  const dec = new TextDecoder();
  try {
    // the index pass: where every CSV_STRIDE-th data row starts; the header; the column count
    const starts: number[] = [];
    let rows = 0, cols = -1, columns: string[] | undefined, lineStart = 0;
    let carry = new Uint8Array(0);
    for (let pos = 0; pos < file.size || carry.length;) {
      const len = Math.min(block, file.size - pos);
      const b = len > 0 ? await file.read(pos, len) : new Uint8Array(0);
      const buf = carry.length ? concat(carry, b) : b;
      const base = pos - carry.length;
      pos += len;
      let from = 0;
      const last = pos >= file.size;
      for (;;) {
        let nl = buf.indexOf(0x0a, from);
        if (nl < 0 && last && from < buf.length) nl = buf.length;
        if (nl < 0) break;
        if (nl - from > maxLine) throw new InvalidInputError(`${what}: a line at byte ${base + from} is longer than maxLineBytes ${maxLine}`);
        const line = dec.decode(buf.subarray(from, nl));
        lineStart = base + from;
        from = nl + 1;
        if (isBlank(line)) continue;
        if (cols < 0) {
          const cells = csvCells(line);
          cols = cells.length;
          if (cols > (o.maxRowValues ?? 2 ** 24)) throw new InvalidInputError(`${what}: ${cols} columns; at most ${o.maxRowValues ?? 2 ** 24} are read`);
          if (cells.some((v) => v === undefined)) {
            columns = line.split(",").map((c) => c.trim());
            continue;
          }
        }
        if (rows % CSV_STRIDE === 0) starts.push(lineStart);
        rows++;
      }
      carry = from < buf.length ? buf.slice(from) : new Uint8Array(0);
      if (carry.length > maxLine) throw new InvalidInputError(`${what}: a line at byte ${base + from} is longer than maxLineBytes ${maxLine}`);
      hold(stats, -len);
      if (last) break;
    }
    if (rows === 0) throw new InvalidInputError(`${what}: no rows of numbers`);
    const index = Float64Array.from(starts);
    hold(stats, index.byteLength);
    const avg = Math.ceil(file.size / rows) + 2;
    return {
      rows, shape: [rows, cols], rowValues: cols, format: "csv", columns, stats,
      read: async (start, count) => {
        checkRange(what, rows, start, count);
        const k = Math.floor(start / CSV_STRIDE);
        let skip = start - k * CSV_STRIDE;
        const lines: string[] = [];
        let pos = index[k];
        let carry = new Uint8Array(0);
        let held = 0;
        try {
          while (lines.length < count) {
            if (pos >= file.size && carry.length === 0) throw new InvalidInputError(`${what}: the file ended before row ${start + lines.length}; it changed since it was opened`);
            const len = Math.min(Math.max(block, (count + skip - lines.length) * avg), file.size - pos, MAX_READ_BYTES);
            const b = len > 0 ? await file.read(pos, len) : new Uint8Array(0);
            held += len;
            pos += len;
            const buf = carry.length ? concat(carry, b) : b;
            let from = 0;
            while (lines.length < count) {
              let nl = buf.indexOf(0x0a, from);
              if (nl < 0 && pos >= file.size && from < buf.length) nl = buf.length;
              if (nl < 0) break;
              const line = dec.decode(buf.subarray(from, nl));
              from = nl + 1;
              if (isBlank(line)) continue;
              if (skip > 0) skip--;
              else lines.push(line);
            }
            carry = from < buf.length ? buf.slice(from) : new Uint8Array(0);
            if (carry.length > maxLine) throw new InvalidInputError(`${what}: a line is longer than maxLineBytes ${maxLine}`);
            if (pos >= file.size && from >= buf.length && lines.length < count) carry = new Uint8Array(0);
          }
        } finally {
          hold(stats, -held);
        }
        const out = o.output === "native" ? new Float64Array(count * cols) : new Float32Array(count * cols);
        csvRows(lines, cols, out, scale, what, (i) => start + i);
        return out;
      },
      close: () => file.close(),
    };
  } catch (e) {
    await file.close();
    throw e;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Opens a file by its content: .npy (magic \x93NUMPY), IDX (two zero bytes), otherwise CSV. A gzipped file is
 * refused with a pointer to streamBatches (gzip can't be read at random ranges).
 *
 * @example
 * ```ts
 * import { openFile } from "vaekit/stream";
 * const x = await openFile(process.argv[2]);
 * await vae.fit(x, { epochs: 5 });
 * await x.close();
 * ```
 */
export async function openFile(input: ByteInput, options?: ReadOptions & { output?: "float32" }): Promise<FileSource<Float32Array>>;
export async function openFile(input: ByteInput, options: ReadOptions & { output: "native" }): Promise<FileSource<Native>>;
export async function openFile(input: ByteInput, options?: ReadOptions): Promise<FileSource> {
  const what = `openFile(${name(input)})`;
  const stats = newStats();
  const file = await openRandom(input, what, stats);
  const head = file.size >= 6 ? await peek(file, 6, stats) : new Uint8Array(0);
  await file.close();
  if (head[0] === 0x1f && head[1] === 0x8b) {
    throw new InvalidInputError(`${what}: the file is gzipped; gzip can't be read at random row ranges: stream it in file order with ` +
      "streamBatches, or gunzip it first to shuffle it");
  }
  const o = options as ReadOptions & { output: "native" };
  if (isNpy(head)) return openNpy(input, o);
  if (head.length >= 4 && head[0] === 0 && head[1] === 0) return openIdx(input, o);
  return openCsv(input, o);
}

/**
 * Several sources of the same rows as one: each read returns a record of their chunks by name, e.g.
 * `{ x, labels }` for a ConditionalVAE, or named fields for a model that takes them.
 *
 * @example
 * ```ts
 * const data = zipSources({ x: await openIdx(imagesPath), labels: await openIdx(labelsPath, { output: "native" }) });
 * await cvae.fit(data, { epochs: 5 });
 * ```
 */
export function zipSources<S extends Record<string, RowSource>>(sources: S):
  RowSource<{ [K in keyof S]: S[K] extends RowSource<infer C> ? C : never }> {
  const names = Object.keys(sources);
  if (names.length === 0) throw new InvalidInputError("zipSources: give at least one source by name");
  const rows = sources[names[0]].rows;
  for (const n of names) {
    const s = sources[n];
    if (typeof s?.read !== "function") throw new InvalidInputError(`zipSources: '${n}' is ${kind(s)}; expected a RowSource`);
    if (s.rows !== rows) throw new InvalidInputError(`zipSources: '${n}' has ${s.rows} rows and '${names[0]}' has ${rows}; give sources of the same rows`);
  }
  return {
    rows,
    read: async (start, count) => {
      const parts = await Promise.all(names.map((n) => sources[n].read(start, count)));
      return Object.fromEntries(names.map((n, i) => [n, parts[i]])) as never;
    },
  };
}

/**
 * Options of streamBatches: the readers' options, rows per batch and the format.
 *
 * @example
 * ```ts
 * const o: StreamOptions = { batchRows: 256, format: "csv", scale: 0.01 };
 * ```
 */
export interface StreamOptions extends ReadOptions {
  /** Rows per yielded batch (fit's batchSize or less). Default 128. */
  batchRows?: number;
  /** The format; default: told by the (inflated) content, .npy magic, IDX zero bytes, else CSV. */
  format?: "idx" | "npy" | "csv";
}

/**
 * Streams a file, a Blob, a ReadableStream or a Response in file order as batches of `batchRows` rows, inflating gzip
 * on the way (so gzipped IDX, .npy and CSV stream too), holding about one batch and one network chunk. Each epoch
 * opens the input anew: pass a path, a Blob, or a function that returns a fresh stream or Response (a single
 * ReadableStream serves one epoch). The counters of the current pass are in `stats`.
 *
 * @example
 * ```ts
 * import { streamBatches } from "vaekit/stream";
 * const batches = streamBatches(() => fetch("/data/train-images-idx3-ubyte.gz"), { batchRows: 128 });
 * await vae.fit(batches, { epochs: 3, batchSize: 128 });
 * ```
 */
export function streamBatches(input: StreamInput | (() => StreamInput | Promise<StreamInput>), options?: StreamOptions & { output?: "float32" }):
  BatchStream<Float32Array> & { readonly stats: ReaderStats };
export function streamBatches(input: StreamInput | (() => StreamInput | Promise<StreamInput>), options: StreamOptions & { output: "native" }):
  BatchStream<Native> & { readonly stats: ReaderStats };
export function streamBatches(input: StreamInput | (() => StreamInput | Promise<StreamInput>), options?: StreamOptions):
  BatchStream<Float32Array | Native> & { readonly stats: ReaderStats } {
  const what = `streamBatches(${typeof input === "function" ? "a function" : name(input)})`;
  const o = checkOptions(what, options) as StreamOptions;
  const batchRows = o.batchRows ?? 128;
  if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > 1 << 20) {
    throw new InvalidInputError(`${what}: batchRows must be an integer from 1 to 2^20; got ${show(batchRows)}`);
  }
  if (o.format !== undefined && !["idx", "npy", "csv"].includes(o.format)) {
    throw new InvalidInputError(`${what}: format must be "idx", "npy" or "csv"; got ${show(o.format)}`);
  }
  const isOnce = (typeof ReadableStream !== "undefined" && input instanceof ReadableStream) || (typeof Response !== "undefined" && input instanceof Response);
  let used = false;
  const out = {
    stats: newStats(),
    [Symbol.asyncIterator]: (): AsyncIterator<Float32Array | Native> => {
      if (isOnce && used) {
        throw new InvalidInputError(`${what}: a ReadableStream or Response can be read once; for several epochs pass a function ` +
          "that returns a fresh one, e.g. () => fetch(url)");
      }
      used = true;
      const stats = (out.stats = newStats());
      return batchesOf(async () => openStream(typeof input === "function" ? await input() : input, what, stats, 1 << 16), o, batchRows, what);
    },
  };
  return out;
}

async function* batchesOf(open: () => Promise<Pull>, o: StreamOptions, batchRows: number, what: string): AsyncGenerator<Float32Array | Native> {
  const pull = await open();
  try {
    await pull.fill(12);
    const head = pull.take(Math.min(12, pull.buffered));
    const format = o.format ?? (isNpy(head) ? "npy" : head.length >= 4 && head[0] === 0 && head[1] === 0 ? "idx" : "csv");
    if (format === "csv") {
      yield* csvBatches(pull, head, o, batchRows, what);
      return;
    }
    let headBytes = head;
    const layoutOf = format === "idx" ? idxLayout : npyLayout;
    let l = layoutOf(headBytes, what, o);
    while ("need" in l) {
      const more = l.need - headBytes.length;
      if ((await pull.fill(more)) < more) throw new InvalidInputError(`${what}: truncated header`);
      headBytes = concat(headBytes, pull.take(more));
      l = layoutOf(headBytes, what, o);
    }
    const layout = l;
    // the first 12 bytes may hold the start of the data (a short IDX header): those first, then the stream
    let left = headBytes.subarray(layout.start);
    for (let row = 0; row < layout.rows;) {
      const count = Math.min(batchRows, layout.rows - row);
      const len = count * layout.rowBytes;
      if (len > MAX_READ_BYTES) {
        throw new InvalidInputError(`${what}: a batch of ${count} rows of ${layout.rowBytes} bytes would take ${len} bytes; at most 2^30 ` +
          "are buffered (lower batchRows)");
      }
      let bytes: Uint8Array;
      if (left.length >= len) {
        bytes = left.slice(0, len);
        left = left.subarray(len);
      } else {
        await pull.fill(len - left.length);
        const rest = pull.take(len - left.length);
        bytes = left.length ? concat(left, rest) : rest;
        left = new Uint8Array(0);
      }
      if (bytes.length < len) {
        throw new InvalidInputError(`${what}: truncated: the header declares ${layout.rows} rows, the data end in row ${row + Math.floor(bytes.length / layout.rowBytes)}`);
      }
      yield decodeRows(layout, bytes, count, o, `${what}: rows ${row} to ${row + count - 1}`);
      row += count;
    }
  } finally {
    await pull.cancel();
  }
}

async function* csvBatches(pull: Pull, head: Uint8Array, o: StreamOptions, batchRows: number, what: string): AsyncGenerator<Float32Array | Native> {
  const maxLine = o.maxLineBytes ?? 1 << 20;
  const scale = typeof o.scale === "number" ? o.scale : 1;
  const dec = new TextDecoder();
  let pending = head;
  let cols = -1, row = 0;
  let lines: string[] = [];
  const flush = (): Float32Array | Float64Array => {
    const out = o.output === "native" ? new Float64Array(lines.length * cols) : new Float32Array(lines.length * cols);
    const first = row;
    csvRows(lines, cols, out, scale, what, (i) => first + i);
    row += lines.length;
    lines = [];
    return out;
  };
  for (;;) {
    let line: string | undefined;
    const nl = pending.indexOf(0x0a);
    if (nl >= 0) {
      line = dec.decode(pending.subarray(0, nl));
      pending = pending.subarray(nl + 1);
    } else {
      const got = pull.takeUntil(0x0a, maxLine);
      if (got) {
        line = dec.decode(concat(pending, got));
        pending = new Uint8Array(0);
      } else if (pull.buffered + pending.length > maxLine) {
        throw new InvalidInputError(`${what}: a line is longer than maxLineBytes ${maxLine}`);
      } else if (!pull.ended) {
        await pull.fill(pull.buffered + (1 << 16));
        continue;
      } else if (pending.length + pull.buffered > 0) {
        line = dec.decode(concat(pending, pull.take(pull.buffered)));
        pending = new Uint8Array(0);
      } else break;
    }
    if (isBlank(line)) continue;
    if (cols < 0) {
      const cells = csvCells(line);
      cols = cells.length;
      if (cols > (o.maxRowValues ?? 2 ** 24)) throw new InvalidInputError(`${what}: ${cols} columns; at most ${o.maxRowValues ?? 2 ** 24} are read`);
      if (cells.some((v) => v === undefined)) continue; // the header
    }
    lines.push(line);
    if (lines.length === batchRows) yield flush();
  }
  if (lines.length) yield flush();
  if (row === 0) throw new InvalidInputError(`${what}: no rows of numbers`);
}
