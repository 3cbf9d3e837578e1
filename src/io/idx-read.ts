// Reading IDX files (the MNIST format), a chunk of its own (dist/*-idx.*) that idx.ts loads on the first read: a 4-byte magic (0, 0, dtype, rank), big-endian u32 dimensions, big-endian data.
// Gzipped files (.gz) are recognised by their magic bytes and inflated with the standard DecompressionStream, as a
// stream: inflation stops at the size the IDX header declares, which is bounded (MAX_IDX_VALUES) before any of it
// is kept, so a small file that inflates to gigabytes costs no more than its header allows.
import { InvalidInputError } from "../errors.js";
import { gunzip } from "./gunzip.js";
import { type IdxElement, idxHeader } from "./idx-header.js";
import type { IdxArray } from "./idx.js";

export const fail = (m: string): never => {
  throw new InvalidInputError(`readIdx: ${m}`);
};

/** The header's element type, shape and total size in bytes; null while `b` is too short to tell. */
export function header(b: Uint8Array): { type: IdxElement; shape: number[]; start: number; need: number } | null {
  if (b.length < 2) fail("not an IDX file (it must start with two zero bytes, a type byte and a rank byte)");
  const h = idxHeader(b, "readIdx");
  if ("need" in h) return null;
  const { elem: type, shape, start } = h;
  const count = shape.reduce((a, n) => a * n, 1);
  if (count > 2 ** 28) fail(`shape [${shape}] declares ${count} values; at most 2^28 are read`);
  return { type, shape, start, need: start + count * type.size };
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
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes, header);
  const { type, shape, start, need } = header(bytes) ?? fail(`truncated header (rank ${bytes[3]})`);
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
