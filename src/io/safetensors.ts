// The safetensors format (8-byte little-endian header length, a JSON header, then raw little-endian data),
// written deterministically and read strictly. vaekit stores f32 tensors and refuses other dtypes by name.
import { failSafetensors, parseSafetensors } from "./safetensors-layout.js";
import { show } from "../errors-format.js";

/**
 * One tensor to write or that was read.
 *
 * @example
 * ```ts
 * const t: Tensor = { shape: [2, 2], data: new Float32Array(4) };
 * ```
 */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A parsed safetensors file.
 *
 * @example
 * ```ts
 * const file: SafetensorsFile = decodeSafetensors(vae.save());
 * file.metadata.format; // "vaekit"
 * ```
 */
export interface SafetensorsFile {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/**
 * Serialises tensors (in the given order) and string metadata to safetensors bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors(new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]), { note: "x" });
 * ```
 */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.length * 4;
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = (json.length + 7) & ~7; // keep the data 8-byte aligned, padding with spaces as the format allows
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, json.length, true);
  dv.setUint32(4, 0, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.length * 4), at);
    at += t.data.length * 4;
  }
  return out;
}

/**
 * Parses safetensors bytes, checking every offset, shape and dtype; throws ModelFormatError on anything off.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const layout = parseSafetensors(bytes, (name, dtype) => {
    if (dtype !== "F32") failSafetensors(`tensor '${name}' has dtype ${show(dtype)}; vaekit reads F32 tensors only`);
    return 4;
  });
  const tensors = new Map<string, Tensor>();
  for (const t of layout.tensors) {
    // Copy into a fresh buffer: the input may be a view (a Node Buffer's slice() is one), and may be unaligned.
    const data = new Float32Array(t.count);
    new Uint8Array(data.buffer).set(t.bytes);
    tensors.set(t.name, { shape: t.shape, data });
  }
  return { tensors, metadata: layout.metadata };
}
