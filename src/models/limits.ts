// The size model: how much WebAssembly memory a model and a call on it need, derived from the layer widths alone,
// checked before anything is allocated (create, load, and every call whose size the caller chooses).

/**
 * The most WebAssembly memory one model may need (bytes): its parameters with their gradients and two optimizer
 * moments (16 bytes per parameter) plus the workspace of the largest batch it runs. Half of wasm32's 4 GiB, so that
 * byte offsets stay below 2^31.
 *
 * @example
 * ```ts
 * MAX_MODEL_BYTES; // 2147483648
 * ```
 */
export const MAX_MODEL_BYTES = 2 ** 31;

/** The most values one result array may hold (2^28 f32 = 1 GiB). */
export const MAX_OUTPUT_VALUES = 2 ** 28;

/** A model's size: parameters, and workspace floats per row of a batch. */
export interface ModelSize {
  readonly params: number;
  readonly perRow: number;
}

/**
 * The size model of a stack of dense layers: per row, every layer's input (with the zero-skipping scratch, 2 more
 * per input) and output with its gradient, plus a little for per-row terms; parameters counted from the widths
 * (never from offsets, which could wrap) plus `vectors` loose parameters.
 */
export function sizeOf(layers: readonly { inSize: number; outSize: number }[], vectors: number): ModelSize {
  let perRow = 16, params = vectors;
  for (const l of layers) {
    perRow += 4 * l.inSize + 2 * l.outSize;
    params += (l.inSize + 1) * l.outSize;
  }
  return { params, perRow };
}

/**
 * The message when a model, or a batch of `rows` on it, would need more than MAX_MODEL_BYTES (16 bytes per
 * parameter, 4 per workspace float); undefined when it fits.
 */
export function tooBig(s: ModelSize, rows: number, what: string): string | undefined {
  const most = Math.floor((MAX_MODEL_BYTES - 16 * s.params) / (4 * s.perRow));
  return rows > most ? `${what} would need ${Math.ceil((16 * s.params + 4 * s.perRow * rows) / 2 ** 20)} MiB; the limit per model is 2048 MiB: ${most > 0 ? `at most ${most} rows per batch` : "use narrower layers"}` : undefined;
}

/** The message when a result of rows × width values would be larger than MAX_OUTPUT_VALUES; undefined otherwise. */
export function outputTooBig(rows: number, width: number, what: string): string | undefined {
  const most = Math.floor(MAX_OUTPUT_VALUES / width);
  return rows > most ? `${what}: at most ${most} rows per call` : undefined;
}
