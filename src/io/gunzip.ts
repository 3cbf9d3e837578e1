// Gzipped IDX input, inflated as a stream and no further than the IDX header inside it declares (itself bounded by
// idx.ts's header check), so a small file that inflates to gigabytes costs no more than its header allows. Part of
// idx-read.ts's chunk.
import { InvalidInputError } from "../errors.js";
import { fail } from "./idx-read.js";

/** The first n bytes of the chunks. */
function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p.subarray(0, n - at), at);
    at += Math.min(p.length, n - at);
  }
  return out;
}

/**
 * Inflates gzip data as a stream, keeping no more than the IDX header inside it declares (at most 2^28 values);
 * `header` reads the IDX header (null while too short).
 *
 * @example
 * ```ts
 * const raw = await gunzip(gz, header);
 * ```
 */
export async function gunzip(bytes: Uint8Array, header: (b: Uint8Array) => { need: number } | null): Promise<Uint8Array> {
  if (typeof DecompressionStream != "function") fail("the input is gzipped but this runtime has no DecompressionStream; pass the inflated bytes");
  const reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const parts: Uint8Array[] = [];
  let have = 0, need = Infinity;
  try {
    for (let r; have < need && !(r = await reader.read()).done;) {
      parts.push(r.value);
      have += r.value.length;
      if (need == Infinity) need = header(concat(parts, have))?.need ?? Infinity;
    }
  } catch (e) {
    if (e instanceof InvalidInputError) throw e;
    fail(`the gzip data is corrupt or truncated (${(e as Error).message})`);
  } finally {
    reader.cancel().catch(() => 0);
  }
  return concat(parts, Math.min(have, need));
}

