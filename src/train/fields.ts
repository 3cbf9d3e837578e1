// Datasets and batches as named fields (x, labels, groups, lengths, several observations, sequences …): each field
// is `rows` rows of `width` values, row-major. The loop only moves rows: it permutes examples consistently across
// every field, and, given a `groups` field, forms batches of whole groups (Algorithm 1 of Bouchacourt et al. 2017:
// shuffle the order of the groups, fill each batch with whole groups up to batchSize). A sequence field ([T, D] per
// example, width T·D) and its `lengths` field pass through like any other.
import { InvalidInputError } from "../errors.js";
import { permutation } from "./shuffle.js";

/**
 * The typed arrays a field may hold.
 *
 * @example
 * ```ts
 * const v: FieldValues = new Int32Array([0, 0, 1, 1]);
 * ```
 */
export type FieldValues = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/**
 * One named field: `width` values per example, examples one after another.
 *
 * @example
 * ```ts
 * const x: Field = { width: 784, values: pixels }; // pixels.length = rows · 784
 * ```
 */
export interface Field {
  readonly width: number;
  readonly values: FieldValues;
}

/**
 * A training set as named fields of the same number of rows. A field called `groups` (width 1) holds a group id per
 * example: batches are then made of whole groups.
 *
 * @example
 * ```ts
 * const data: FieldSet = { rows: 4, fields: {
 *   x: { width: 2, values: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]) },
 *   groups: { width: 1, values: new Int32Array([7, 7, 9, 9]) },
 * } };
 * ```
 */
export interface FieldSet {
  readonly rows: number;
  readonly fields: Readonly<Record<string, Field>>;
}

/**
 * One batch: every field's rows for the batch's examples, in the same order in every field. `index[r]` is the
 * example (row of the training set) in row r; `epoch` is 1-based (it keys per-epoch randomness, e.g. binarization).
 * The field arrays are the loop's batch buffers, re-filled for the next batch: copy what must outlive the step.
 *
 * @example
 * ```ts
 * const forwardBackward = (batch: Batch): Terms => {
 *   const x = batch.fields.x.values; // batch.rows × width values
 *   return { loss: 0 };
 * };
 * ```
 */
export interface Batch extends FieldSet {
  readonly epoch: number;
  readonly index: Uint32Array;
}

type Ctor = new (n: number) => FieldValues;

/** Checks that `d` is a field set (what `validate` of a stepped target returned); throws InvalidInputError if not. */
export function checkFieldSet(d: FieldSet, what: string): void {
  const rows = d?.rows;
  if (!Number.isInteger(rows) || rows < 1 || typeof d.fields !== "object" || d.fields === null) {
    throw new InvalidInputError(`${what}: expected { rows ≥ 1, fields: { name: { width, values } } }`);
  }
  const names = Object.keys(d.fields);
  if (names.length === 0) throw new InvalidInputError(`${what}: no fields`);
  for (const name of names) {
    const f = d.fields[name];
    if (!f || !Number.isInteger(f.width) || f.width < 1 || !ArrayBuffer.isView(f.values) || f.values instanceof DataView ||
      (f.values as unknown) instanceof BigInt64Array || (f.values as unknown) instanceof BigUint64Array) {
      throw new InvalidInputError(`${what}: field '${name}' must be { width: integer ≥ 1, values: a numeric typed array }`);
    }
    if (f.values.length !== rows * f.width) {
      throw new InvalidInputError(`${what}: field '${name}' has ${f.values.length} values; expected rows · width = ` +
        `${rows} · ${f.width} = ${rows * f.width}`);
    }
  }
  const g = d.fields.groups;
  if (g && g.width !== 1) throw new InvalidInputError(`${what}: field 'groups' must have width 1 (a group id per example); got ${g.width}`);
}

/** Copies examples into batch buffers of `capacity` rows per field (allocated once, re-used every batch). */
export class Batcher {
  readonly #names: string[];
  readonly #buffers: FieldValues[];

  constructor(private readonly data: FieldSet, capacity: number) {
    this.#names = Object.keys(data.fields);
    this.#buffers = this.#names.map((n) => {
      const f = data.fields[n];
      return new (f.values.constructor as Ctor)(capacity * f.width);
    });
  }

  /** The batch of examples order[start .. start + rows) (or start .. start + rows without an order). */
  fill(order: Uint32Array | undefined, start: number, rows: number, epoch: number): Batch {
    const index = new Uint32Array(rows);
    for (let r = 0; r < rows; r++) index[r] = order ? order[start + r] : start + r;
    const fields: Record<string, Field> = {};
    this.#names.forEach((name, i) => {
      const { width: w, values: src } = this.data.fields[name];
      const dst = this.#buffers[i];
      if (w === 1) for (let r = 0; r < rows; r++) dst[r] = src[index[r]];
      else for (let r = 0; r < rows; r++) dst.set(src.subarray(index[r] * w, index[r] * w + w), r * w);
      fields[name] = { width: w, values: dst.subarray(0, rows * w) };
    });
    return { rows, fields, epoch, index };
  }
}

/**
 * The members of each group, groups in order of first appearance, members in row order.
 *
 * @example
 * ```ts
 * groupMembers(new Int32Array([5, 3, 5])); // [[0, 2], [1]]
 * ```
 */
export function groupMembers(ids: ArrayLike<number>): number[][] {
  const at = new Map<number, number[]>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    let m = at.get(id);
    if (!m) at.set(id, (m = []));
    m.push(i);
  }
  return [...at.values()];
}

/**
 * One epoch of whole-group batches (Algorithm 1 of Bouchacourt et al.): the groups in a seeded random order (or in
 * order of first appearance when `shuffle` is false), each batch filled with whole groups while they fit in
 * `batchSize`. Returns the examples in batch order and where each batch starts (plus the end).
 *
 * @example
 * ```ts
 * const { order, starts } = groupBatches(groupMembers(ids), 256, true, seed, epoch - 1);
 * // batch b holds examples order[starts[b] .. starts[b + 1])
 * ```
 */
export function groupBatches(members: number[][], batchSize: number, shuffle: boolean, seed: number, epoch: number):
  { order: Uint32Array; starts: number[] } {
  const perm = shuffle ? permutation(members.length, seed, epoch) : undefined;
  const order = new Uint32Array(members.reduce((n, m) => n + m.length, 0));
  const starts = [0];
  let at = 0;
  for (let i = 0; i < members.length; i++) {
    const m = members[perm ? perm[i] : i];
    if (at - starts[starts.length - 1] + m.length > batchSize) starts.push(at);
    order.set(m, at);
    at += m.length;
  }
  starts.push(at);
  return { order, starts };
}

/**
 * Sub-groups for groups larger than a batch: each group of more than `size` members is cut into ⌈m/size⌉ sub-groups
 * of near-equal size (members in a seeded random order per epoch and group when `shuffle`, else in row order);
 * groups of at most `size` members are returned as they are (the same arrays), so data whose groups all fit keep
 * exactly the batches they had. Each sub-group then travels as a whole group in `groupBatches`: on MNIST grouped by
 * class (6,000 per group), a batch of 256 holds sub-groups of several classes, as in Bouchacourt et al.'s MNIST
 * experiment, where the group evidence of a batch is that of its members of one class.
 *
 * @example
 * ```ts
 * const parts = splitGroups(groupMembers(ids), 32, true, seed, epoch - 1);
 * const { order, starts } = groupBatches(parts, 256, true, seed, epoch - 1);
 * ```
 */
export function splitGroups(members: number[][], size: number, shuffle: boolean, seed: number, epoch: number): number[][] {
  const out: number[][] = [];
  members.forEach((m, g) => {
    if (m.length <= size) {
      out.push(m);
      return;
    }
    // a stream of its own per (epoch, group): the sub-groups change every epoch
    const p = shuffle ? permutation(m.length, seed, (Math.imul(epoch + 1, 0x9e3779b1) ^ (g + 1)) >>> 0) : undefined;
    const k = Math.ceil(m.length / size);
    let at = 0;
    for (let j = 0; j < k; j++) {
      const n = Math.floor((m.length * (j + 1)) / k) - Math.floor((m.length * j) / k);
      const part = new Array<number>(n);
      for (let i = 0; i < n; i++) part[i] = m[p ? p[at + i] : at + i];
      // members in row order inside a sub-group (as whole groups have them)
      part.sort((a, b) => a - b);
      out.push(part);
      at += n;
    }
  });
  return out;
}
