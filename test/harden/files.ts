// Test helper: safetensors files built from header text, so a test can write what no object-based writer can
// (a tensor named "__proto__", 10,000 levels of nesting).

/** The header text and data section of a safetensors file. */
export function split(file: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(file.buffer, file.byteOffset, file.byteLength).getBigUint64(0, true));
  return { header: new TextDecoder().decode(file.subarray(8, 8 + n)).trimEnd(), data: file.subarray(8 + n) };
}

/** A safetensors file of the given header text and data. */
export function join(header: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** `file` with one more F32 tensor `name` of `values` appended (the header edited as text). */
export function withTensor(file: Uint8Array, name: string, values: Float32Array): Uint8Array {
  const { header, data } = split(file);
  const entry = `${JSON.stringify(name)}:{"dtype":"F32","shape":[${values.length}],"data_offsets":[${data.length},${data.length + values.length * 4}]}`;
  const more = new Uint8Array(data.length + values.length * 4);
  more.set(data);
  more.set(new Uint8Array(values.buffer, values.byteOffset, values.length * 4), data.length);
  return join(`{${entry},${header.slice(1)}`, more);
}

/** A JSON array nested `depth` levels. */
export const deepJson = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);

/** A JS value nested `depth` levels (built without recursion). */
export function deepValue(depth: number): unknown {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}
