// A minimal Protocol Buffers writer (proto2/proto3 wire format): enough to serialise an ONNX ModelProto.
// A message is a list of byte chunks; nesting appends the child's chunks after its length prefix, so the
// weights are copied once, when `finish()` joins everything.
//
// Wire format: each field is a key varint (field number << 3 | wire type) then the value; wire type 0 = varint,
// 2 = length-delimited (a varint byte length, then the bytes), 5 = 32-bit little-endian.

const VARINT = 0;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** Encodes a non-negative integer below 2^53 as a base-128 varint, least significant group first. */
function varintBytes(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`protobuf varint: ${value} is not a non-negative safe integer`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/**
 * Builds one protobuf message field by field, in the order written (a reader accepts any order; ONNX readers
 * expect repeated fields in order, which this keeps).
 *
 * @example
 * ```ts
 * const opset = new ProtoWriter().string(1, "").int(2, 13);           // OperatorSetIdProto
 * const bytes = new ProtoWriter().int(1, 7).message(8, opset).finish();  // ModelProto with ir_version and opset
 * ```
 */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  #key(field: number, wireType: number): void {
    this.#push(varintBytes(field * 8 + wireType));
  }

  /** An int32/int64/enum/bool field holding a non-negative integer. */
  int(field: number, value: number): this {
    this.#key(field, VARINT);
    this.#push(varintBytes(value));
    return this;
  }

  /** A `float` field (32-bit IEEE, little-endian). */
  float(field: number, value: number): this {
    this.#key(field, FIXED32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#push(b);
    return this;
  }

  /** A `bytes` field. The array is referenced, not copied, until `finish()`. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, LENGTH_DELIMITED);
    this.#push(varintBytes(value.length));
    this.#push(value);
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** An embedded message field. */
  message(field: number, child: ProtoWriter): this {
    this.#key(field, LENGTH_DELIMITED);
    this.#push(varintBytes(child.#length));
    for (const c of child.#chunks) this.#push(c);
    return this;
  }

  /** The serialised message. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
