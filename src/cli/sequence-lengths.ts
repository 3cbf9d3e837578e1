// --lengths (and train's --validation-lengths): a sequence length per row of a VRNN's data, read from IDX, CSV or
// .npy with the numbers reader every data file goes through. Steps at or past a row's length are padding. The
// rows reach the model as the public sequence type, sequences(x, { steps, size, lengths }) from vaekit/sequence
// (imported on use, as train imports the VRNN class).
import type { Args, OptionSpec } from "./args.js";
import { readMatrix, type Matrix } from "./data.js";
import { UsageError } from "./errors.js";
import type { Sequences } from "../sequence.js";

/**
 * The --lengths option of every command that reads a VRNN's data.
 *
 * @example
 * ```ts
 * options: [LABELS, LENGTHS, LIMIT, SCALE]
 * ```
 */
export const LENGTHS: OptionSpec = {
  name: "lengths", value: "file", group: "Data",
  help: "vrnn: each sequence's length, a whole number from 1 to T per row (IDX, CSV or .npy); the steps after it are padding, their values ignored",
};

/**
 * Reads `--flag` (when given): one whole number from 1 to `steps` per data row, `rows` of them (the first `limit`
 * rows of the file, as the data). Anything else is a usage error naming the flag, the file and the row.
 *
 * @example
 * ```ts
 * const lengths = await readLengths(args, "lengths", data.rows, 28, args.whole("limit", undefined, 1)); // Int32Array or undefined
 * ```
 */
export async function readLengths(args: Args, flag: string, rows: number, steps: number, limit?: number): Promise<Int32Array | undefined> {
  const path = args.string(flag);
  if (path === undefined) return undefined;
  let m: Matrix;
  try {
    m = await readMatrix(path, 1, limit);
  } catch (e) {
    throw new UsageError(`--${flag} '${path}': ${(e as Error).message}`);
  }
  if (m.cols !== 1) throw new UsageError(`--${flag} '${path}' has ${m.cols} values per row; give one length per sequence (a single column)`);
  if (m.rows !== rows) {
    const where = m.rows < rows ? `row ${m.rows} (sequence ${m.rows}) has no length` : `row ${rows} has no sequence`;
    throw new UsageError(`--${flag} '${path}' holds ${m.rows} lengths for ${rows} sequences: ${where}; give one length per sequence`);
  }
  const lengths = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const v = m.values[i];
    if (!Number.isInteger(v) || v < 1 || v > steps) {
      throw new UsageError(`--${flag} '${path}', row ${i}: length ${v}; expected a whole number of steps from 1 to ${steps}`);
    }
    lengths[i] = v;
  }
  return lengths;
}

/**
 * Refuses --flag for a model that is not a VRNN.
 *
 * @example
 * ```ts
 * lengthsApply(args, "lengths", kind === "vrnn", `--model ${kind}`);
 * ```
 */
export function lengthsApply(args: Args, flag: string, isVrnn: boolean, kind: string): void {
  if (!isVrnn && args.has(flag)) throw new UsageError(`--${flag} applies to a VRNN (--model vrnn); this model is ${kind}`);
}

/**
 * Rows of `steps` × `size` values with a length each, as the public Sequences type (vaekit/sequence).
 *
 * @example
 * ```ts
 * const s = await asSequences(rows, 28, 28, lengths); // sequences(rows, { steps: 28, size: 28, lengths })
 * ```
 */
export async function asSequences(x: Float32Array, steps: number, size: number, lengths: Int32Array): Promise<Sequences> {
  const { sequences } = await import("../sequence.js");
  return sequences(x, { steps, size, lengths });
}

/**
 * A saved model's input from the rows of a data file: with --lengths (a VRNN only) the rows as Sequences of the
 * model's config.steps, else the rows as they are. Typed as the rows for ModelApi's calls, which pass it on to
 * the VRNN's own methods (they take Sequences).
 *
 * @example
 * ```ts
 * const x = await modelInput(args, model, data);
 * model.evaluateAny(x, { seed });
 * ```
 */
export async function modelInput(args: Args, model: { kind: string; config: unknown }, data: Matrix): Promise<Float32Array> {
  lengthsApply(args, "lengths", model.kind === "VRNN", `a ${model.kind}`);
  if (!args.has("lengths")) return data.values;
  const steps = (model.config as { steps?: number }).steps || 1;
  const lengths = (await readLengths(args, "lengths", data.rows, steps, args.whole("limit", undefined, 1)))!;
  return await asSequences(data.values, steps, data.cols / steps, lengths) as unknown as Float32Array;
}

/**
 * Rows [from, to) of what modelInput returned (`D` values per row): a slice of the rows, or of the Sequences and their lengths.
 *
 * @example
 * ```ts
 * const block = inputRows(x, D, 100, 200); // the second block of 100 rows
 * ```
 */
export function inputRows(x: Float32Array, D: number, from: number, to: number): Float32Array {
  if (x instanceof Float32Array) return x.subarray(from * D, to * D);
  const s = x as unknown as Sequences;
  return { ...s, n: to - from, values: s.values.subarray(from * D, to * D), lengths: s.lengths.subarray(from, to) } as unknown as Float32Array;
}
