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

/** Bytes a model needs to run batches of `rows` rows. */
export const bytesFor = (s: ModelSize, rows: number): number => 16 * s.params + 4 * s.perRow * rows;

const mib = (b: number): string => `${Math.ceil(b / 2 ** 20)} MiB`;

/**
 * The message when a model, or a batch of `rows` on it, would need more than MAX_MODEL_BYTES; undefined when it fits.
 */
export function tooBig(s: ModelSize, rows: number, what: string): string | undefined {
  const need = bytesFor(s, rows);
  if (need <= MAX_MODEL_BYTES) return undefined;
  const most = Math.floor((MAX_MODEL_BYTES - 16 * s.params) / (4 * s.perRow));
  return `${what} would need about ${mib(need)} of WebAssembly memory (${s.params} parameters with their gradients ` +
    `and optimizer state, and the workspace of ${rows} rows); vaekit's limit per model is ${mib(MAX_MODEL_BYTES)}: ` +
    (most >= 1 ? `use at most ${most} rows per batch` : "use narrower or fewer layers");
}

/** The message when a result of rows × width values would be larger than MAX_OUTPUT_VALUES; undefined otherwise. */
export function outputTooBig(rows: number, width: number, what: string): string | undefined {
  if (rows * width <= MAX_OUTPUT_VALUES) return undefined;
  return `${what}: ${rows} rows of ${width} values is more than the ${MAX_OUTPUT_VALUES} values one result may ` +
    `hold; ask for at most ${Math.floor(MAX_OUTPUT_VALUES / width)} rows per call`;
}
