// The IDX header (the MNIST format), parsed in one place for the whole-file reader (idx-read.ts, with gunzip.ts) and
// the streaming readers (src/stream/formats.ts): a 4-byte magic (0, 0, element type, rank), then `rank` big-endian
// u32 dimensions. Sizes are returned as declared; each reader bounds them (readIdx: 2^28 values; the streaming
// readers: values per row) before allocating anything from them. Errors are InvalidInputError prefixed by `what`.
import { InvalidInputError } from "../errors.js";

/** An IDX element type: its size in bytes and its name. */
export interface IdxElement {
  readonly size: number;
  readonly name: "u8" | "i8" | "i16" | "i32" | "f32" | "f64";
}

/** The element types by their type byte. */
export const IDX_ELEMENTS: Readonly<Record<number, IdxElement>> = {
  0x08: { size: 1, name: "u8" },
  0x09: { size: 1, name: "i8" },
  0x0b: { size: 2, name: "i16" },
  0x0c: { size: 4, name: "i32" },
  0x0d: { size: 4, name: "f32" },
  0x0e: { size: 8, name: "f64" },
};

/** A parsed header: the element type, the dimensions and where the data starts. */
export interface IdxHeader {
  readonly elem: IdxElement;
  readonly shape: number[];
  readonly start: number;
}

/**
 * The header from a file's first bytes, or `{ need }` (how many bytes to tell) while `b` is too short. A first two
 * bytes that are not zero, an unknown type byte and rank 0 are refused as soon as those bytes are there.
 */
export function idxHeader(b: Uint8Array, what: string): IdxHeader | { need: number } {
  const bad = (m: string): never => {
    throw new InvalidInputError(`${what}: ${m}`);
  };
  if (b[0] || b[1]) bad("not an IDX file (it must start with two zero bytes, a type byte and a rank byte)");
  if (b.length < 4) return { need: 4 };
  const elem = Object.hasOwn(IDX_ELEMENTS, b[2]) ? IDX_ELEMENTS[b[2]]
    : bad(`unknown IDX element type 0x${b[2].toString(16)} (0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, 0x0e f64)`);
  if (b[3] === 0) bad("the header declares rank 0 (an IDX file has at least one dimension, its rows)");
  const start = 4 + 4 * b[3];
  if (b.length < start) return { need: start };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { elem, shape: Array.from({ length: b[3] }, (_, i) => dv.getUint32(4 + 4 * i)), start };
}
