// NumPy's .npy format, strictly: little-endian float32, float64, uint8, int32 or int64 arrays in C order.
// A file is the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), the header's length (2 bytes in 1.0, 4 after),
// a Python dict literal {'descr': …, 'fortran_order': False, 'shape': (…)} padded to a multiple of 64 bytes, and
// the values.
import { CliError } from "./errors.js";

export type NpyData = Float32Array | Float64Array | Uint8Array | Int32Array;

/** A decoded .npy array; int64 values come back as Float64Array (they must be exact there). */
export interface NpyArray {
  shape: number[];
  dtype: "<f4" | "<f8" | "|u1" | "<i4" | "<i8";
  data: NpyData;
}

const SIZES = { "<f4": 4, "<f8": 8, "|u1": 1, "<i4": 4, "<i8": 8 } as const;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** Parses .npy bytes; `what` names the file in errors. */
export function readNpy(bytes: Uint8Array, what: string): NpyArray {
  const bad = (msg: string) => new CliError(`${what}: ${msg}`);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad("not a .npy file (it must start with \\x93NUMPY)");
  const major = bytes[6];
  if (major < 1 || major > 3) throw bad(`unsupported .npy version ${major}.${bytes[7]} (1.0, 2.0 and 3.0 are read)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw bad("truncated header");
  const headerLength = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = headerStart + headerLength;
  if (bytes.length < start) throw bad("truncated header");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, start)).trim();
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!header.startsWith("{") || descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad("malformed header (expected {'descr': …, 'fortran_order': …, 'shape': (…)})");
  }
  const dtype = descr === "<u1" ? "|u1" : descr;
  if (!Object.prototype.hasOwnProperty.call(SIZES, dtype)) {
    const hint = descr.startsWith(">") ? " (big-endian; save it little-endian, e.g. a.astype('<f4'))" : "";
    throw bad(`unsupported dtype '${descr}'${hint}; expected float32 '<f4', float64 '<f8', uint8 '|u1', int32 '<i4' or int64 '<i8'`);
  }
  if (fortran === "True") throw bad("the array is in Fortran order; save a C-order array (np.ascontiguousarray)");
  const dims = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (!dims.every((d) => /^\d+$/.test(d))) throw bad(`malformed shape (${shapeText})`);
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = SIZES[dtype as keyof typeof SIZES];
  const need = start + count * size;
  if (bytes.length < need) throw bad(`truncated: shape (${shape.join(", ")}) needs ${need} bytes, the file has ${bytes.length}`);
  if (bytes.length > need) throw bad(`${bytes.length - need} bytes after the data of shape (${shape.join(", ")})`);
  const body = bytes.slice(start, need).buffer; // a copy, aligned for the typed array
  let data: NpyData;
  switch (dtype) {
    case "<f4": data = new Float32Array(body); break;
    case "<f8": data = new Float64Array(body); break;
    case "|u1": data = new Uint8Array(body); break;
    case "<i4": data = new Int32Array(body); break;
    default: {
      const big = new BigInt64Array(body);
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        if (big[i] > BigInt(Number.MAX_SAFE_INTEGER) || big[i] < -BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`int64 value ${big[i]} at ${i} is too large`);
        data[i] = Number(big[i]);
      }
    }
  }
  if (!littleEndianHost()) throw bad("this machine is big-endian; .npy reading needs a little-endian host");
  return { shape, dtype: dtype as NpyArray["dtype"], data };
}

function littleEndianHost(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Encodes float32 values of the given shape as a version 1.0 .npy file. */
export function writeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total + values.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, total);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return out;
}
