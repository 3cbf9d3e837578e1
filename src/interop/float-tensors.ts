// Reads a safetensors file written by another framework, whatever its floating-point dtype (F32, F64, F16, BF16),
// into float32 tensors. vaekit's own reader (io/safetensors.ts) accepts F32 only, because vaekit writes nothing else;
// a PyTorch state_dict may hold half precision or doubles. Structure is checked as strictly as there.
import { ModelFormatError } from "../errors.js";
import { halfToNumber } from "./half.js";

/**
 * A tensor read from a foreign file: its values as float32, its shape, and the dtype it was stored in.
 *
 * @example
 * ```ts
 * const t: ForeignTensor = { shape: [2], data: new Float32Array([1, 2]), dtype: "F16" };
 * ```
 */
export interface ForeignTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly dtype: FloatDtype;
}

/**
 * The floating-point dtypes vaekit converts from (F64 is rounded to the nearest float32; F16 and BF16 are exact).
 *
 * @example
 * ```ts
 * const d: FloatDtype = "BF16";
 * ```
 */
export type FloatDtype = "F32" | "F64" | "F16" | "BF16";

const BYTES: Record<FloatDtype, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
const MAX_HEADER = 100 * 1024 * 1024;

function convert(dtype: FloatDtype, raw: Uint8Array, count: number): Float32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(count);
  if (dtype === "F32") for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
  else if (dtype === "F64") for (let i = 0; i < count; i++) out[i] = dv.getFloat64(8 * i, true);
  else if (dtype === "F16") for (let i = 0; i < count; i++) out[i] = halfToNumber(dv.getUint16(2 * i, true));
  else {
    // bfloat16 is the upper half of a float32
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
  }
  return out;
}

/**
 * Parses safetensors bytes whose tensors are F32, F64, F16 or BF16, converting each to a Float32Array.
 * Throws ModelFormatError, naming the tensor, for other dtypes (integers, booleans, 8-bit floats) and for any
 * structural fault (truncation, overlapping or missing data, a header that is not JSON).
 *
 * @example
 * ```ts
 * const { tensors } = readFloatSafetensors(await readFile("model.safetensors"));
 * tensors.get("fc1.weight")?.shape; // [400, 784]
 * ```
 */
export function readFloatSafetensors(bytes: Uint8Array): { tensors: Map<string, ForeignTensor>; metadata: Record<string, string> } {
  const fail = (msg: string): never => {
    throw new ModelFormatError(`not a readable safetensors file: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  if (bytes.length < 10) fail(`only ${bytes.length} bytes; a file needs at least an 8-byte header length and a header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER) fail(`header length ${n} is implausible (over ${MAX_HEADER} bytes)`);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the ${bytes.length}-byte input (truncated?)`);
  if (bytes[8] !== 0x7b) fail("the header does not start with '{' (foreign bytes?)");
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, ForeignTensor>();
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null) fail("__metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) if (typeof v === "string") metadata[k] = v;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) fail(`tensor '${name}' has no description`);
    if (typeof e.dtype !== "string" || !(e.dtype in BYTES)) {
      throw new ModelFormatError(
        `tensor '${name}' has dtype ${JSON.stringify(e.dtype)}; vaekit converts floating-point tensors only ` +
          `(F32, F64, F16, BF16)`,
      );
    }
    const dtype = e.dtype as FloatDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      fail(`tensor '${name}' spans ${end - begin} bytes but its shape and dtype ${dtype} need ${count * BYTES[dtype]}`);
    }
    if (end > dataLength) fail(`tensor '${name}' ends at byte ${end} of a ${dataLength}-byte data section (truncated?)`);
    tensors.set(name, { shape: e.shape as number[], dtype, data: convert(dtype, bytes.subarray(dataStart + begin, dataStart + end), count) });
    spans.push([begin, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, e, name] of spans) {
    if (b !== at) fail(b < at ? `tensor '${name}' overlaps another` : `a gap before tensor '${name}'`);
    at = e;
  }
  if (at !== dataLength) fail(`${dataLength - at} bytes after the last tensor (corrupt or foreign file)`);
  return { tensors, metadata };
}
