// The structure of a safetensors file, checked strictly and independent of dtype: an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte span, then the data, every byte of which must
// belong to exactly one tensor. vaekit's own reader (safetensors.ts, F32 only) and the foreign-file reader for
// PyTorch state_dicts (interop/float-tensors.ts, any float dtype) both stand on it.
import { ModelFormatError } from "../errors.js";
import { parseBoundedJson } from "./json-depth.js";
import { show } from "../errors-format.js";

const MAX_HEADER = 100 * 1024 * 1024;

/** One tensor's place in the file: its raw little-endian bytes (a view into the input) and element count. */
export interface RawTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: number[];
  readonly count: number;
  readonly bytes: Uint8Array;
}

/** Throws the ModelFormatError every structural fault gets. */
export function failSafetensors(msg: string): never {
  throw new ModelFormatError(`not a readable safetensors file: ${msg}`);
}

/**
 * Parses the header and checks every span. `elementSize(name, dtype)` gives the bytes per element of a dtype the
 * caller accepts, and throws (naming the tensor) for one it doesn't.
 */
export function parseSafetensors(
  bytes: Uint8Array,
  elementSize: (name: string, dtype: unknown) => number,
): { tensors: RawTensor[]; metadata: Record<string, string> } {
  const fail = failSafetensors;
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array, got ${bytes === null ? "null" : typeof bytes}`);
  if (bytes.length < 10) fail(`only ${bytes.length} bytes; a file needs at least an 8-byte header length and a header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER) fail(`header length ${n} is implausible (over ${MAX_HEADER} bytes): not a safetensors file`);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the ${bytes.length}-byte input (truncated?)`);
  if (bytes[8] !== 0x7b) fail("the header does not start with '{' (foreign bytes?)");
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("the header is not valid UTF-8");
  }
  const header = parseBoundedJson(text, (m) => fail(`the header is ${m}`));
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header is not a JSON object");
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const tensors: RawTensor[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null) fail("__metadata__ must be an object of strings");
      // fromEntries: an own entry whatever its name ("__proto__" included), never a prototype change
      metadata = Object.fromEntries(Object.entries(entry as Record<string, unknown>).map(([k, v]) =>
        typeof v === "string" ? [k, v] : fail(`__metadata__.${k} must be a string`)));
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) fail(`tensor '${name}' has no description`);
    const size = elementSize(name, e.dtype);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has an invalid shape ${show(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      fail(`tensor '${name}' has invalid data_offsets ${show(off)}`);
    }
    const [begin, end] = off as [number, number];
    const shape = e.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * size) {
      fail(`tensor '${name}' spans ${end - begin} bytes but its shape ${show(shape)} of ${String(e.dtype)} needs ${count * size}`);
    }
    if (end > dataLength) fail(`tensor '${name}' ends at byte ${end} of a ${dataLength}-byte data section (truncated?)`);
    tensors.push({ name, dtype: String(e.dtype), shape, count, bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  const spans = tensors.map((t) => [t.bytes.byteOffset - bytes.byteOffset - dataStart, t.bytes.length, t.name] as const);
  spans.sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [b, len, name] of spans) {
    if (b !== at) fail(b < at ? `tensor '${name}' overlaps another` : `a gap before tensor '${name}'`);
    at = b + len;
  }
  if (at !== dataLength) fail(`${dataLength - at} bytes after the last tensor (corrupt or foreign file)`);
  return { tensors, metadata };
}
