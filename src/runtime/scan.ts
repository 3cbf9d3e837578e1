// Bulk checks of user data in wasm: the values are copied through a scratch buffer in chunks (a memcpy each) and
// counted by a SIMD kernel — several times faster than a scalar JavaScript loop over a large training set. The
// caller looks for the first offending value itself (only when there is one) to say where it is.
import type { Engine } from "./engine.js";

/** Floats per chunk: 256 KiB, well inside a core's L2 cache. */
const CHUNK = 1 << 16;

/** True when every value is finite (and, with `unit`, in [0, 1]); the scratch is released before returning. */
export function allValid(e: Engine, values: Float32Array, unit: boolean): boolean {
  const n = values.length;
  const size = Math.min(n, CHUNK);
  const scratch = e.alloc(size);
  try {
    for (let i = 0; i < n; i += size) {
      const part = values.subarray(i, Math.min(n, i + size));
      e.write(scratch, part);
      const bad = unit ? e.k.count_outside_unit(scratch, part.length) : e.k.count_nonfinite(scratch, part.length);
      if (bad !== 0) return false;
    }
    return true;
  } finally {
    e.release(scratch);
  }
}
