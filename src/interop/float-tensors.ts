// Reads a safetensors file written by another framework, whatever its floating-point dtype (F32, F64, F16, BF16),
// into float32 tensors. vaekit's own reader (io/safetensors.ts) accepts F32 only, because vaekit writes nothing else;
// a PyTorch state_dict may hold half precision or doubles. Structure is checked as strictly as there.
import { ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import { halfToNumber } from "./half.js";
import { parseSafetensors } from "../io/safetensors-layout.js";

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

/** Converts one tensor's little-endian bytes of a float dtype to float32 (also used by interop/torch.ts). */
export function convert(dtype: FloatDtype, raw: Uint8Array, count: number): Float32Array {
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
  const layout = parseSafetensors(bytes, (name, dtype) => {
    if (typeof dtype != "string" || !Object.hasOwn(BYTES, dtype)) {
      throw new ModelFormatError(
        `tensor '${name}' has dtype ${show(dtype)}; vaekit converts floating-point tensors only ` +
          `(F32, F64, F16, BF16)`,
      );
    }
    return BYTES[dtype as FloatDtype];
  });
  const tensors = new Map<string, ForeignTensor>();
  for (const t of layout.tensors) {
    const dtype = t.dtype as FloatDtype;
    tensors.set(t.name, { shape: t.shape, dtype, data: convert(dtype, t.bytes, t.count) });
  }
  return { tensors, metadata: layout.metadata };
}
