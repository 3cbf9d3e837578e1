// IDX files (the MNIST format): a 4-byte magic (0, 0, dtype, rank), big-endian u32 dimensions, big-endian data.
// Gzipped files (.gz) are recognised by their magic bytes and inflated with the standard DecompressionStream, as a
// stream: inflation stops at the size the IDX header declares, which is bounded (MAX_IDX_VALUES) before any of it
// is kept, so a small file that inflates to gigabytes costs no more than its header allows.
import { InvalidInputError } from "../errors.js";

/**
 * A decoded IDX array: its dimensions and its values in a typed array of the file's type.
 *
 * @example
 * ```ts
 * const labels: IdxArray = await readIdx(bytes); // shape [60000], Uint8Array data
 * ```
 */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { size: number; name: string }> = {
  0x08: { size: 1, name: "u8" },
  0x09: { size: 1, name: "i8" },
  0x0b: { size: 2, name: "i16" },
  0x0c: { size: 4, name: "i32" },
  0x0d: { size: 4, name: "f32" },
  0x0e: { size: 8, name: "f64" },
};

/** The most values an IDX file may declare (2^28: 256 MiB of bytes, 1 GiB as readIdxImages' floats). */
export const MAX_IDX_VALUES = 2 ** 28;

/** The header's element type, shape and total size in bytes; null while `b` is too short to tell. */
function header(b: Uint8Array): { type: { size: number; name: string }; shape: number[]; start: number; need: number } | null {
  if (b.length >= 2 && (b[0] !== 0 || b[1] !== 0)) {
    throw new InvalidInputError("readIdx: not an IDX file (it must start with two zero bytes, a type byte and a rank byte)");
  }
  if (b.length < 4) return null;
  const type = TYPES[b[2]];
  if (!Object.prototype.hasOwnProperty.call(TYPES, b[2])) throw new InvalidInputError(`readIdx: unknown IDX element type 0x${b[2].toString(16)}`);
  const rank = b[3];
  if (rank === 0) throw new InvalidInputError("readIdx: truncated header (rank 0)");
  const start = 4 + 4 * rank;
  if (b.length < start) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, n) => a * n, 1);
  if (count > MAX_IDX_VALUES) {
    throw new InvalidInputError(`readIdx: shape [${shape.join(", ")}] declares ${count} values; vaekit reads at most ${MAX_IDX_VALUES}`);
  }
  return { type, shape, start, need: start + count * type.size };
}

/** Inflates gzip data as a stream, keeping no more than the IDX header inside it declares. */
async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== "function") {
    throw new InvalidInputError("readIdx: the input is gzipped but this runtime has no DecompressionStream; pass the inflated bytes");
  }
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  let out = new Uint8Array(0);
  let have = 0;
  let need = Infinity;
  try {
    while (have < need) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, need - have);
      if (have + take > out.length) {
        const grown = new Uint8Array(Math.min(need, Math.max(2 * out.length, have + take, 64)));
        grown.set(out.subarray(0, have));
        out = grown;
      }
      out.set(value.subarray(0, take), have);
      have += take;
      if (need === Infinity) need = header(out.subarray(0, have))?.need ?? Infinity;
    }
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    throw new InvalidInputError(`readIdx: the gzip data is corrupt or truncated (${(e as Error).message})`);
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return out.subarray(0, have);
}

/**
 * Reads an IDX file (raw or gzipped), e.g. MNIST's train-images-idx3-ubyte.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * const images = await readIdx(await readFile("train-images-idx3-ubyte.gz")); // shape [60000, 28, 28]
 * ```
 */
export async function readIdx(input: Uint8Array | ArrayBuffer): Promise<IdxArray> {
  let bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
  if (!(bytes instanceof Uint8Array)) throw new InvalidInputError("readIdx: expected the file's bytes as a Uint8Array or ArrayBuffer");
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  const h = header(bytes);
  if (!h) {
    if (bytes.length < 4) throw new InvalidInputError("readIdx: not an IDX file (it must start with two zero bytes, a type byte and a rank byte)");
    throw new InvalidInputError(`readIdx: truncated header (rank ${bytes[3]})`);
  }
  const { type, shape, start, need } = h;
  const count = (need - start) / type.size;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < need) {
    throw new InvalidInputError(`readIdx: truncated file: shape [${shape.join(", ")}] needs ${need} bytes, got ${bytes.length}`);
  }
  let data: IdxArray["data"];
  switch (type.name) {
    case "u8": data = bytes.slice(start, need); break;
    case "i8": data = new Int8Array(bytes.slice(start, need).buffer); break;
    case "i16": data = Int16Array.from({ length: count }, (_, i) => dv.getInt16(start + 2 * i, false)); break;
    case "i32": data = Int32Array.from({ length: count }, (_, i) => dv.getInt32(start + 4 * i, false)); break;
    case "f32": data = Float32Array.from({ length: count }, (_, i) => dv.getFloat32(start + 4 * i, false)); break;
    default: data = Float64Array.from({ length: count }, (_, i) => dv.getFloat64(start + 8 * i, false));
  }
  return { shape, data };
}

/**
 * Reads an IDX image file into a Float32Array of [n, rows·cols] values scaled to [0, 1] (u8 pixels / 255).
 *
 * @example
 * ```ts
 * const { images, count, size } = await readIdxImages(bytes); // MNIST: count 60000, size 784
 * ```
 */
export async function readIdxImages(input: Uint8Array | ArrayBuffer): Promise<{ images: Float32Array; count: number; size: number }> {
  const { shape, data } = await readIdx(input);
  if (!(data instanceof Uint8Array) || shape.length < 2) {
    throw new InvalidInputError(`readIdxImages: expected unsigned-byte images of rank ≥ 2; got rank ${shape.length}`);
  }
  const count = shape[0];
  const size = data.length / Math.max(count, 1);
  const images = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) images[i] = data[i] / 255;
  return { images, count, size };
}
