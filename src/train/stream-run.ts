// How fit draws batches from streamed data (source.ts): a RowSource read a bounded number of batches ahead in a
// range-shuffled order, or an async iterable of batches taken as it yields them; and streamed validation data. The
// epoch and step control flow stays in fit.ts; this file only answers "what is batch b of this epoch".
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";
import type { FieldSet } from "./fields.js";
import type { Dataset, Epoch, Run, SteppedTarget, Terms, TrainingTarget } from "./fit.js";
import { type BatchStream, readRows, type RowSource, sourceRows } from "./source.js";

/** fit's options of streamed data (checked with the rest; KEYS of fit.ts plus these). */
export const STREAM_KEYS = ["shuffleRange", "readAhead"];

/** A RowSource's range length when shuffleRange is not given. */
export const DEFAULT_RANGE = 16;

/** Rows per validation chunk of a RowSource at least (more when batchSize is larger). */
const VALIDATION_CHUNK = 1024;

/** Rows read per block when reading a source's groups field before training. */
const GROUP_BLOCK = 4096;

export interface StreamPlan {
  /** Rows per shuffled range; undefined: row shuffle (in memory) or DEFAULT_RANGE (a RowSource, set by openStream). */
  range: number | undefined;
  readAhead: number;
}

/** Checks fit's streamed-data options. */
export function streamPlan(o: Record<string, unknown>): StreamPlan {
  const int = (key: string, lo: number, hi: number): number | undefined => {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
      throw new InvalidInputError(`fit: ${key} must be an integer from ${lo} to ${hi}; got ${show(v)}`);
    }
    return v;
  };
  return { range: int("shuffleRange", 1, 2 ** 31 - 1), readAhead: int("readAhead", 0, 64) ?? 2 };
}

type Target = TrainingTarget<Terms, Dataset> | SteppedTarget<FieldSet>;

/** 0, 1, … as the index of rows in file order. */
function iota(from: number, to: number): Uint32Array {
  const a = new Uint32Array(to - from);
  for (let i = 0; i < a.length; i++) a[i] = from + i;
  return a;
}

/**
 * Checks streamed training data before training: its size (a RowSource's rows; an async iterable: batchSize, the
 * capacity of its batches) and, for a model with named fields, a source's `groups` field, read whole in one pass
 * (8 bytes per example) because batches of whole groups need every group's members.
 */
export async function openStream(target: Target, data: RowSource | BatchStream, kind: "source" | "batches",
  p: StreamPlan & { batchSize: number; binarizeSeed: number | undefined }, stepped: boolean):
  Promise<{ rows: number; ids?: Float64Array }> {
  if (kind === "batches") {
    if (p.binarizeSeed !== undefined) {
      throw new InvalidInputError("fit: dynamicBinarization keys each example's draws by its row in the training set, which an async " +
        "iterable of batches doesn't have; pass a RowSource (rows and read(start, count)), or binarize in the iterable");
    }
    if (p.range !== undefined) {
      throw new InvalidInputError("fit: shuffleRange: an async iterable of batches is trained in the order it yields; pass a RowSource " +
        "to have fit shuffle it, or shuffle in the iterable");
    }
    return { rows: p.batchSize };
  }
  const source = data as RowSource;
  const rows = sourceRows(source, "fit(x)");
  let ids: Float64Array | undefined;
  if (stepped) {
    for (let s = 0; s < rows; s += GROUP_BLOCK) {
      const count = Math.min(GROUP_BLOCK, rows - s);
      const d = (target as SteppedTarget<FieldSet>).validate(await source.read(s, count), `fit(x): rows ${s} to ${s + count - 1}`, false);
      const g = d.fields?.groups?.values;
      if (!g) break;
      if (g.length !== count) {
        throw new InvalidInputError(`fit(x): the source's read(${s}, ${count}) returned ${g.length} group ids; expected ${count}`);
      }
      (ids ??= new Float64Array(rows)).set(g, s);
    }
  }
  if (p.range === undefined && !ids) p.range = DEFAULT_RANGE;
  return { rows, ids };
}

/**
 * Each epoch's batches of streamed data. A RowSource: the run's order (range-shuffled, or whole groups), batch b read
 * as its runs of consecutive rows, batches b + 1 … b + readAhead requested while b trains; each chunk validated by
 * the model as in-memory data would be. An async iterable: its batches in order, indexed by their position in the
 * epoch.
 */
export function streamedEpochs(target: Target, run: Run, data: RowSource | BatchStream, kind: "source" | "batches",
  p: StreamPlan & { binarizeSeed: number | undefined }, size: number): (epoch: number) => Epoch {
  const unit = p.binarizeSeed !== undefined;
  const validate = (chunk: unknown, what: string): Dataset => (target.validate as (d: unknown, w: string, u: boolean) => Dataset)(chunk, what, unit);
  if (kind === "source") {
    const source = data as RowSource;
    return (epoch) => {
      const { order, starts } = run.epoch(epoch);
      const batches = starts.length - 1;
      const indexOf = (b: number): Uint32Array => (order ? order.subarray(starts[b], starts[b + 1]) : iota(starts[b], starts[b + 1]));
      const pending = new Map<number, Promise<unknown>>();
      const request = (b: number): void => {
        if (b >= batches || pending.has(b)) return;
        const read = readRows(source, indexOf(b), `fit(x): batch ${b} of epoch ${epoch}`);
        read.catch(() => undefined); // a read ahead that fails is reported when its batch is due (or never)
        pending.set(b, read);
      };
      return {
        batches,
        next: async (b) => {
          if (b >= batches) return undefined;
          for (let k = b; k <= b + p.readAhead; k++) request(k);
          const chunk = await pending.get(b)!;
          pending.delete(b);
          const index = indexOf(b);
          const d = validate(chunk, `fit(x): rows of batch ${b} of epoch ${epoch}`);
          if (d.rows !== index.length) {
            throw new InvalidInputError(`fit(x): the source returned ${d.rows} rows for batch ${b}; ${index.length} were asked for`);
          }
          return { rows: index.length, batch: run.put(d, index, epoch, size) };
        },
      };
    };
  }
  const iterable = data as BatchStream;
  let last = NaN;
  return (epoch) => {
    const it = iterable[Symbol.asyncIterator]();
    let seen = 0;
    return {
      batches: last,
      next: async (b) => {
        let r: IteratorResult<unknown>;
        let d: Dataset;
        try {
          r = await it.next();
          if (r.done) {
            if (b === 0) {
              throw new InvalidInputError(`fit(x): the async iterable yielded no batches in epoch ${epoch}` + (epoch > 1
                ? "; a generator object serves one epoch: pass an object whose [Symbol.asyncIterator]() starts over, e.g. " +
                  "{ [Symbol.asyncIterator]: () => batches() }"
                : ""));
            }
            last = b;
            return undefined;
          }
          d = validate(r.value, `fit(x): batch ${b} of epoch ${epoch}`);
          if (d.rows > size) {
            throw new InvalidInputError(`fit(x): batch ${b} of epoch ${epoch} has ${d.rows} rows, more than batchSize ${size}; ` +
              "set batchSize to the largest batch the iterable yields");
          }
        } catch (e) {
          await it.return?.();
          throw e;
        }
        const index = new Uint32Array(d.rows);
        for (let i = 0; i < d.rows; i++) index[i] = seen + i;
        seen += d.rows;
        return { rows: d.rows, batch: run.put(d, index, epoch, NaN) };
      },
    };
  };
}

/**
 * Streamed validation data: evaluated chunk by chunk (a RowSource in chunks of max(batchSize, 1024) rows, an
 * iterable as it yields), the chunks' terms averaged weighted by their rows. One chunk: exactly in-memory evaluate.
 */
export async function streamedValidation(target: Target, data: RowSource | BatchStream, kind: "source" | "batches",
  p: { batchSize: number; validationSeed: number }): Promise<Terms> {
  const evaluate = target.evaluate as (d: Dataset, seed: number) => Terms;
  const what = "fit: validationData";
  const sums: Record<string, number> = {};
  let rows = 0, chunks = 0, only: Terms | undefined;
  const add = (chunk: unknown): void => {
    const d = (target.validate as (d: unknown, w: string, u: boolean) => Dataset)(chunk, what, false);
    const t = evaluate(d, p.validationSeed);
    only = t;
    chunks++;
    for (const [k, v] of Object.entries(t) as [string, number][]) sums[k] = (sums[k] ?? 0) + v * d.rows;
    rows += d.rows;
  };
  if (kind === "source") {
    const source = data as RowSource;
    const n = sourceRows(source, what);
    const step = Math.max(p.batchSize, VALIDATION_CHUNK);
    for (let s = 0; s < n; s += step) add(await source.read(s, Math.min(step, n - s)));
  } else {
    for await (const chunk of data as BatchStream) add(chunk);
    if (chunks === 0) throw new InvalidInputError(`${what}: the async iterable yielded no batches`);
  }
  if (chunks === 1) return only!;
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / rows])) as unknown as Terms;
}
