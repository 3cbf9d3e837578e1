// Data bigger than memory: what `fit` accepts besides arrays, and how it draws batches from it.
//   - a RowSource: a length and a reader of row ranges (a file, a database, a Blob in a browser); fit shuffles it by a
//     seeded permutation of row ranges (shuffleRange rows each) and reads each batch as a few contiguous ranges, a
//     bounded number of batches ahead (readAhead);
//   - an async iterable of batches (any size up to batchSize each), taken in the order it yields them.
// A chunk (what read() returns or the iterable yields) is what the model's fit takes in memory for those rows: a
// Float32Array of rows × inputSize for a VAE, { x, labels } for a ConditionalVAE, a record of typed arrays for a
// model with named fields. Part of fit's chunk (loaded on the first fit), never of the default entry.
import { InvalidInputError } from "../errors.js";
import { kind, show } from "../errors-format.js";
import { permutation } from "./shuffle.js";

/**
 * A training set read in row ranges: `rows` examples, `read(start, count)` returns rows [start, start + count) as the
 * model's fit takes them in memory (a VAE: a Float32Array of count × inputSize; a ConditionalVAE: `{ x, labels }`;
 * a model with named fields: a record of typed arrays). `fit` shuffles it by a seeded permutation of row ranges
 * (FitOptions.shuffleRange) and keeps at most `readAhead` batches read ahead. `fit` never closes a source: whoever
 * opened it closes it. The readers of `vaekit/stream` (IDX, .npy, CSV files, Blobs) are RowSources.
 *
 * @example
 * ```ts
 * const source: RowSource<Float32Array> = {
 *   rows: 1_000_000,
 *   read: async (start, count) => fetchRows(start, count), // count × 784 values
 * };
 * await vae.fit(source, { epochs: 5, shuffleRange: 16, readAhead: 2 });
 * ```
 */
export interface RowSource<C = unknown> {
  /** How many examples the source holds (an integer ≥ 1; it must not change while fit runs). */
  readonly rows: number;
  /** Rows [start, start + count) (count ≥ 1, start + count ≤ rows), as the model's fit takes them in memory. */
  read(start: number, count: number): C | Promise<C>;
}

/**
 * Batches yielded one after another, in the order training takes them (no shuffling by fit): each a chunk as the
 * model's fit takes it in memory, of at most `batchSize` rows. Every epoch calls `[Symbol.asyncIterator]()` anew,
 * so an iterable that starts over (an object whose method calls an async generator function) serves several
 * epochs; a generator object serves one. The readers of `vaekit/stream` make one from a `ReadableStream`, a
 * `Response` or a gzipped file.
 *
 * @example
 * ```ts
 * const batches: BatchStream<Float32Array> = { async *[Symbol.asyncIterator]() {
 *   for (let b = 0; b < 100; b++) yield await nextBatch(b); // up to batchSize rows each
 * } };
 * await vae.fit(batches, { epochs: 3, batchSize: 128 });
 * ```
 */
export type BatchStream<C = unknown> = AsyncIterable<C>;

/** Which streamed kind `data` is: a row source, an async iterable of batches, or neither (in-memory data). */
export function streamKind(data: unknown): "source" | "batches" | undefined {
  if (typeof data !== "object" || data === null || ArrayBuffer.isView(data) || Array.isArray(data)) return undefined;
  if (typeof (data as RowSource).read === "function" && "rows" in data) return "source";
  if (typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") return "batches";
  return undefined;
}

/** Checks a row source's length; returns it. */
export function sourceRows(s: RowSource, what: string): number {
  const n = s.rows;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 2 ** 32 - 1) {
    throw new InvalidInputError(`${what}: a row source's rows must be an integer from 1 to 2^32 - 1; got ${show(n)}`);
  }
  return n;
}

/**
 * The examples of one epoch in range-shuffled order: the n rows cut into ⌈n / range⌉ ranges of `range` consecutive
 * rows (the last may be shorter), the ranges in the order of `permutation(⌈n / range⌉, seed, epoch)` (the same
 * generator as the row shuffle), each range's rows in file order. With range 1 this is exactly
 * `permutation(n, seed, epoch)`, today's row shuffle.
 *
 * @example
 * ```ts
 * rangeOrder(10, 4, 1, 0); // the ranges [0..3], [4..7], [8, 9] in a seeded order, e.g. 4 5 6 7 8 9 0 1 2 3
 * ```
 */
export function rangeOrder(n: number, range: number, seed: number, epoch: number): Uint32Array {
  if (range === 1) return permutation(n, seed, epoch);
  const ranges = Math.ceil(n / range);
  const perm = permutation(ranges, seed, epoch);
  const order = new Uint32Array(n);
  let at = 0;
  for (let i = 0; i < ranges; i++) {
    const lo = perm[i] * range, hi = Math.min(n, lo + range);
    for (let r = lo; r < hi; r++) order[at++] = r;
  }
  return order;
}

/** The runs of consecutive rows in `index` (start, count pairs): the reads that fetch one batch. */
export function runsOf(index: Uint32Array): [number, number][] {
  const runs: [number, number][] = [];
  for (let i = 0; i < index.length;) {
    let j = i + 1;
    while (j < index.length && index[j] === index[j - 1] + 1) j++;
    runs.push([index[i], j - i]);
    i = j;
  }
  return runs;
}

type Flat = ArrayLike<number> & { length: number };

/** The length of a chunk part (a typed array or number array), for concatenation. */
function isFlat(v: unknown): v is Flat {
  return (ArrayBuffer.isView(v) && !(v instanceof DataView)) || Array.isArray(v);
}

/**
 * Chunks read for the runs of one batch, joined in order into one chunk of the same shape: typed arrays (or number
 * arrays) end to end, or records of them key by key. A single chunk is returned as it is.
 */
export function joinChunks(parts: unknown[], what: string): unknown {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  if (isFlat(first)) {
    const all = parts as Flat[];
    for (const p of all) {
      if (!isFlat(p) || p.constructor !== first.constructor) {
        throw new InvalidInputError(`${what}: the source's reads returned different kinds of chunk (${kind(first)} and ${kind(p)})`);
      }
    }
    if (Array.isArray(first)) return (all as unknown[][]).flat();
    const out = new (first.constructor as new (n: number) => Flat & { set(a: Flat, at: number): void })(all.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of all) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  if (typeof first === "object" && first !== null) {
    const keys = Object.keys(first);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      out[k] = joinChunks(parts.map((p) => {
        if (typeof p !== "object" || p === null || !(k in p)) throw new InvalidInputError(`${what}: a chunk lacks the field '${k}' the first one has`);
        return (p as Record<string, unknown>)[k];
      }), `${what}: field '${k}'`);
    }
    return out;
  }
  throw new InvalidInputError(`${what}: a source must return typed arrays, number arrays or records of them; got ${kind(first)}`);
}

/** Reads the rows `index` (in that order) from a source as one chunk: one read per run of consecutive rows. */
export async function readRows(source: RowSource, index: Uint32Array, what: string): Promise<unknown> {
  const runs = runsOf(index);
  const parts = await Promise.all(runs.map(([s, c]) => source.read(s, c)));
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === undefined || parts[i] === null) {
      throw new InvalidInputError(`${what}: the source's read(${runs[i][0]}, ${runs[i][1]}) returned ${parts[i]}; expected the rows`);
    }
  }
  return joinChunks(parts, what);
}
