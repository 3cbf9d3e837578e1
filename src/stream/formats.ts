// The layouts the streaming readers understand: IDX (big-endian, the MNIST format), NumPy .npy (little-endian, C
// order) and CSV of numbers. A header is read and checked (sizes bounded before anything is allocated from them);
// rows are then decoded batch by batch into Float32Array (scaled) or the file's own element type.
import { InvalidInputError } from "../errors.js";
import { idxHeader } from "../io/idx-header.js";

/**
 * Options shared by every streaming reader.
 *
 * @example
 * ```ts
 * const o: ReadOptions = { scale: 1 / 255, output: "float32", maxRowValues: 4096 };
 * ```
 */
export interface ReadOptions {
  /** Values are multiplied by this; "auto" (default): unsigned-byte data divided by 255 (as readIdxImages), others ×1. */
  scale?: number | "auto";
  /**
   * "float32" (default): Float32Array chunks, scaled. "native": the file's own element type, unscaled (class labels
   * as a Uint8Array of indices, say); int64 .npy values come as Float64Array, exact up to 2^53.
   */
  output?: "float32" | "native";
  /** Untrusted input: at most this many values per row, checked before any allocation. Default 2^24. */
  maxRowValues?: number;
  /** CSV: at most this many bytes per line, checked before a line is kept. Default 1 MiB. */
  maxLineBytes?: number;
}

/**
 * The typed arrays a reader returns with `output: "native"`: the file's own element type.
 *
 * @example
 * ```ts
 * const labels: Native = await (await openIdx("train-labels-idx1-ubyte", { output: "native" })).read(0, 10);
 * ```
 */
export type Native = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** One element type: its size, name, whether it is unsigned bytes, and a decoder of n values from bytes. */
interface Elem {
  size: number;
  name: string;
  make: (n: number) => Native;
  get: (dv: DataView, at: number) => number;
}

const be = (size: number, name: string, make: (n: number) => Native, get: (dv: DataView, at: number) => number): Elem => ({ size, name, make, get });

/** Decoders of the IDX element types (by the name src/io/idx-header.ts gives each type byte). */
const IDX_TYPES: Record<string, Elem> = {
  u8: be(1, "u8", (n) => new Uint8Array(n), (dv, at) => dv.getUint8(at)),
  i8: be(1, "i8", (n) => new Int8Array(n), (dv, at) => dv.getInt8(at)),
  i16: be(2, "i16", (n) => new Int16Array(n), (dv, at) => dv.getInt16(at, false)),
  i32: be(4, "i32", (n) => new Int32Array(n), (dv, at) => dv.getInt32(at, false)),
  f32: be(4, "f32", (n) => new Float32Array(n), (dv, at) => dv.getFloat32(at, false)),
  f64: be(8, "f64", (n) => new Float64Array(n), (dv, at) => dv.getFloat64(at, false)),
};

const NPY_TYPES: Record<string, Elem> = {
  "<f4": be(4, "<f4", (n) => new Float32Array(n), (dv, at) => dv.getFloat32(at, true)),
  "<f8": be(8, "<f8", (n) => new Float64Array(n), (dv, at) => dv.getFloat64(at, true)),
  "|u1": be(1, "|u1", (n) => new Uint8Array(n), (dv, at) => dv.getUint8(at)),
  "<i4": be(4, "<i4", (n) => new Int32Array(n), (dv, at) => dv.getInt32(at, true)),
  "<i8": be(8, "<i8", (n) => new Float64Array(n), (dv, at) => {
    const v = dv.getBigInt64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidInputError(`int64 value ${v} is too large to be exact`);
    }
    return Number(v);
  }),
};

/** A fixed-width layout: header bytes, then `rows` rows of `rowValues` elements. */
export interface Layout {
  readonly format: "idx" | "npy";
  readonly shape: readonly number[];
  readonly rows: number;
  readonly rowValues: number;
  readonly rowBytes: number;
  readonly start: number;
  readonly elem: Elem;
}

const limit = (o: ReadOptions): number => o.maxRowValues ?? 2 ** 24;

function rowCheck(what: string, shape: number[], o: ReadOptions): number {
  const rowValues = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape[0] === 0) throw new InvalidInputError(`${what}: the file holds no examples (shape [${shape.join(", ")}])`);
  if (rowValues === 0) throw new InvalidInputError(`${what}: the file's rows hold no values (shape [${shape.join(", ")}])`);
  if (rowValues > limit(o)) {
    throw new InvalidInputError(`${what}: shape [${shape.join(", ")}] declares ${rowValues} values per row; at most ${limit(o)} are read ` +
      "(raise maxRowValues if the file is trusted)");
  }
  return rowValues;
}

/** An IDX header from its first bytes (src/io/idx-header.ts, shared with readIdx); `need` more bytes when too short. */
export function idxLayout(b: Uint8Array, what: string, o: ReadOptions): Layout | { need: number } {
  if (b.length < 4) return { need: 4 };
  const h = idxHeader(b, what);
  if ("need" in h) return h;
  const elem = IDX_TYPES[h.elem.name];
  const rowValues = rowCheck(what, h.shape, o);
  return { format: "idx", shape: h.shape, rows: h.shape[0], rowValues, rowBytes: rowValues * elem.size, start: h.start, elem };
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const MAX_NPY_HEADER = 1 << 16;

export const isNpy = (b: Uint8Array): boolean => b.length >= 6 && NPY_MAGIC.every((m, i) => b[i] === m);

/** A .npy header from its first bytes; `need` more bytes when too short. */
export function npyLayout(b: Uint8Array, what: string, o: ReadOptions): Layout | { need: number } {
  if (b.length < 12) return { need: 12 };
  if (!isNpy(b)) throw new InvalidInputError(`${what}: not a .npy file (it must start with \\x93NUMPY)`);
  const major = b[6];
  if (major < 1 || major > 3) throw new InvalidInputError(`${what}: unsupported .npy version ${major}.${b[7]} (1.0, 2.0 and 3.0 are read)`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = major === 1 ? 10 : 12;
  const len = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (len > MAX_NPY_HEADER) throw new InvalidInputError(`${what}: the .npy header declares ${len} bytes; at most ${MAX_NPY_HEADER} are read`);
  const start = at + len;
  if (b.length < start) return { need: start };
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(b.subarray(at, start)).trim();
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const dims = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!header.startsWith("{") || descr === undefined || fortran === undefined || dims === undefined) {
    throw new InvalidInputError(`${what}: malformed .npy header (expected {'descr': …, 'fortran_order': …, 'shape': (…)})`);
  }
  const dtype = descr === "<u1" ? "|u1" : descr;
  if (!Object.hasOwn(NPY_TYPES, dtype)) {
    throw new InvalidInputError(`${what}: unsupported dtype '${descr}'${descr.startsWith(">") ? " (big-endian; save it little-endian)" : ""}; ` +
      "expected float32 '<f4', float64 '<f8', uint8 '|u1', int32 '<i4' or int64 '<i8'");
  }
  if (fortran === "True") throw new InvalidInputError(`${what}: the array is in Fortran order; save a C-order array (np.ascontiguousarray)`);
  const parts = dims.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0 || !parts.every((d) => /^\d{1,15}$/.test(d))) {
    throw new InvalidInputError(`${what}: the .npy shape (${dims}) must have at least one dimension (the rows)`);
  }
  const shape = parts.map(Number);
  const elem = NPY_TYPES[dtype];
  const rowValues = rowCheck(what, shape, o);
  return { format: "npy", shape, rows: shape[0], rowValues, rowBytes: rowValues * elem.size, start, elem };
}

/** Decodes `count` rows of a layout's bytes into Float32Array (scaled) or the native type. */
export function decodeRows(l: Pick<Layout, "rowValues" | "elem">, bytes: Uint8Array, count: number, o: ReadOptions, what: string): Native {
  const n = count * l.rowValues;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = l.elem.size;
  const native = o.output === "native";
  const out = native ? l.elem.make(n) : new Float32Array(n);
  const s = o.scale === undefined || o.scale === "auto" ? (l.elem.name === "u8" || l.elem.name === "|u1" ? 1 / 255 : 1) : o.scale;
  try {
    if (native || s === 1) for (let i = 0; i < n; i++) out[i] = l.elem.get(dv, i * size);
    else if (s === 1 / 255) for (let i = 0; i < n; i++) out[i] = l.elem.get(dv, i * size) / 255; // as readIdxImages
    else for (let i = 0; i < n; i++) out[i] = l.elem.get(dv, i * size) * s;
  } catch (e) {
    throw e instanceof InvalidInputError ? new InvalidInputError(`${what}: ${e.message}`) : e;
  }
  return out;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV line's cells as numbers; undefined for a cell that is not one. */
export function csvCells(line: string): (number | undefined)[] {
  return line.split(",").map((c) => {
    const t = c.trim();
    if (!NUMBER.test(t)) return undefined;
    const v = Number(t);
    return Number.isFinite(v) ? v : undefined;
  });
}

export const isBlank = (line: string): boolean => line.trim() === "";

/** Parses CSV data lines into `out` at row `at`; `rowOf(i)` names line i in errors. */
export function csvRows(lines: string[], cols: number, out: Float32Array | Float64Array, scale: number, what: string, rowOf: (i: number) => number): void {
  for (let i = 0; i < lines.length; i++) {
    const cells = csvCells(lines[i]);
    if (cells.length !== cols) {
      throw new InvalidInputError(`${what}: data row ${rowOf(i)} has ${cells.length} values; the first has ${cols}`);
    }
    for (let j = 0; j < cols; j++) {
      const v = cells[j];
      if (v === undefined) {
        throw new InvalidInputError(`${what}: data row ${rowOf(i)}, column ${j + 1} is '${lines[i].split(",")[j].trim().slice(0, 40)}'; expected a number`);
      }
      out[i * cols + j] = v * scale;
    }
  }
}
