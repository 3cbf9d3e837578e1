// Tables for the tabular VAE: the schema (each column's name, type and learned preprocessing), its inference from
// records, and the codec between raw records and the model's rows (standardised numbers, one-hot categories, a
// presence mask per column). Every refusal is an InvalidInputError / InvalidConfigError that names the column.
import { InvalidConfigError, InvalidInputError } from "../errors.js";
import type { PartSpec } from "../nn/parts.js";

/**
 * A column's type: `continuous` (real numbers, standardised; Gaussian or Laplace), `bounded` (real numbers on a
 * known range [min, max], scaled to [0, 1]; continuous Bernoulli), `binary` (two values; Bernoulli), `categorical`
 * (strings, numbers or booleans from a learned list; softmax), `count` (non-negative integers; Poisson or negative
 * binomial).
 *
 * @example
 * ```ts
 * const t: ColumnType = "categorical";
 * ```
 */
export type ColumnType = "continuous" | "bounded" | "binary" | "categorical" | "count";

/**
 * A raw cell value: missing is null, undefined or NaN.
 *
 * @example
 * ```ts
 * const cells: Cell[] = [3.5, "Adelie", true, null];
 * ```
 */
export type Cell = string | number | boolean | null | undefined;

/**
 * A record: one row of a table as an object of column name → value.
 *
 * @example
 * ```ts
 * const r: TableRecord = { species: "Adelie", bill_length_mm: 39.1, sex: null };
 * ```
 */
export type TableRecord = Record<string, Cell>;

/**
 * One column of a schema. Only `name` is required when the schema is inferred from data: `type` and the
 * preprocessing fields given here are kept, the rest learned. A complete column (as a trained model stores it) has
 * `mean`/`std` (continuous), `min`/`max` (bounded), `values` (binary: [the 0 value, the 1 value]) or `categories`.
 *
 * @example
 * ```ts
 * const columns: ColumnSpec[] = [
 *   { name: "flipper_length_mm", type: "continuous", likelihood: "laplace" },
 *   { name: "humidity", type: "bounded", min: 0, max: 100 },
 *   { name: "species" },
 * ];
 * ```
 */
export interface ColumnSpec {
  readonly name: string;
  readonly type?: ColumnType;
  /**
   * continuous columns: "gaussian" (default) or "laplace", with a learned scale per column. count columns: "poisson"
   * or "negative-binomial" (a learned dispersion r per column: variance μ + μ²/r). Inferred counts are Poisson unless
   * the training data are clearly overdispersed — at least 20 values whose variance exceeds twice their mean — then
   * negative binomial (a stored column without a likelihood is Poisson).
   */
  readonly likelihood?: "gaussian" | "laplace" | "poisson" | "negative-binomial";
  readonly mean?: number;
  readonly std?: number;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly [Cell, Cell];
  readonly categories?: readonly (string | number | boolean)[];
}

/**
 * A complete column: its type and the preprocessing learned from the training data (stored in the model file).
 *
 * @example
 * ```ts
 * const c: Column = { name: "bill_depth_mm", type: "continuous", likelihood: "gaussian", mean: 17.2, std: 1.97 };
 * ```
 */
export interface Column extends ColumnSpec {
  readonly type: ColumnType;
}

/**
 * Most distinct values an inferred categorical column may have (more looks like an identifier).
 *
 * @example
 * ```ts
 * MAX_CATEGORIES; // 1000
 * ```
 */
export const MAX_CATEGORIES = 1000;

const TYPES: readonly ColumnType[] = ["continuous", "bounded", "binary", "categorical", "count"];

export const isMissing = (v: unknown): boolean => v === null || v === undefined || (typeof v === "number" && Number.isNaN(v));
const show = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v) : String(v));
const col = (name: string): string => `column ${JSON.stringify(name)}`;

/** Checks that `records` is an array of plain objects; returns it. */
export function recordsOf(records: unknown, what: string): readonly TableRecord[] {
  if (!Array.isArray(records)) {
    throw new InvalidInputError(`${what}: expected an array of records (objects of column → value), got ${records === null ? "null" : typeof records}`);
  }
  records.forEach((r, i) => {
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      throw new InvalidInputError(`${what}: record ${i} is ${Array.isArray(r) ? "an array" : r === null ? "null" : typeof r}; expected an object of column → value`);
    }
  });
  return records as TableRecord[];
}

/** The column names of records in first-seen order. */
function namesOf(records: readonly TableRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/**
 * Infers a complete schema from training records: each column's type (unless given) and its preprocessing (mean and
 * standard deviation, range, the two binary values, the category list in sorted order). `columns` (optional) lists
 * the columns to use and what is known of them; without it every key of the records is a column. Numbers give a
 * continuous column (binary when they are all 0 or 1), booleans a binary one, strings a categorical one. Messy
 * columns are refused with an InvalidInputError naming the column: strings in a numeric column, an empty string as a
 * category, a column with no values, a categorical column with over 1000 categories.
 *
 * @example
 * ```ts
 * const schema = inferSchema([{ a: 1.5, b: "x" }, { a: 2, b: "y" }, { a: null, b: "x" }]);
 * // [{ name: "a", type: "continuous", likelihood: "gaussian", mean: 1.75, std: 0.25 },
 * //  { name: "b", type: "categorical", categories: ["x", "y"] }]
 * ```
 */
export function inferSchema(records: unknown, columns?: readonly ColumnSpec[]): Column[] {
  const rs = recordsOf(records, "inferSchema(records)");
  if (rs.length === 0) throw new InvalidInputError("inferSchema(records): no records; give at least one");
  const specs: ColumnSpec[] = columns ? [...columns] : namesOf(rs).map((name) => ({ name }));
  if (specs.length === 0) throw new InvalidInputError("inferSchema(records): the records have no fields");
  const names = new Set<string>();
  for (const s of specs) {
    if (typeof s?.name !== "string" || s.name === "") throw new InvalidConfigError("schema: every column needs a non-empty name");
    if (names.has(s.name)) throw new InvalidConfigError(`schema: ${col(s.name)} is listed twice`);
    names.add(s.name);
    if (s.type !== undefined && !TYPES.includes(s.type)) {
      throw new InvalidConfigError(`schema: ${col(s.name)} has type ${show(s.type)}; expected one of ${TYPES.join(", ")}`);
    }
  }
  return specs.map((s) => inferColumn(s, rs));
}

function inferColumn(s: ColumnSpec, rs: readonly TableRecord[]): Column {
  const vals: Cell[] = [];
  const rows: number[] = [];
  rs.forEach((r, i) => {
    const v = r[s.name];
    if (isMissing(v)) return;
    if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
      throw new InvalidInputError(`${col(s.name)}: record ${i} holds ${Array.isArray(v) ? "an array" : typeof v}; a cell is a number, string, boolean or null`);
    }
    if (v === "") throw new InvalidInputError(`${col(s.name)}: record ${i} is an empty string, which can't be a category or a number; use null for a missing value`);
    if (typeof v === "number" && !Number.isFinite(v)) throw new InvalidInputError(`${col(s.name)}: record ${i} is ${v}; values must be finite (NaN means missing)`);
    vals.push(v);
    rows.push(i);
  });
  if (vals.length === 0 && !(s.type && complete({ ...s, type: s.type }))) {
    throw new InvalidInputError(`${col(s.name)} has no values in the training records (every one is missing); drop the column or give its full preprocessing`);
  }
  const kinds = new Set(vals.map((v) => typeof v));
  let type = s.type;
  if (!type) {
    if (kinds.size > 1) {
      const nums = vals.filter((v) => typeof v === "number").length;
      const odd = vals.findIndex((v) => (nums * 2 >= vals.length ? typeof v !== "number" : typeof v === "number"));
      throw new InvalidInputError(`${col(s.name)} mixes ${[...kinds].join(" and ")} values (record ${rows[odd]}: ${show(vals[odd])}); ` +
        (nums * 2 >= vals.length ? "a numeric column holds numbers only — clean the value, make it null, or give type \"categorical\"" : "give the column's type"));
    }
    const k = [...kinds][0];
    type = k === "boolean" ? "binary" : k === "string" ? "categorical" : vals.every((v) => v === 0 || v === 1) ? "binary" : "continuous";
  }
  const numeric = type === "continuous" || type === "bounded" || type === "count";
  if (numeric) {
    const bad = vals.findIndex((v) => typeof v !== "number");
    if (bad >= 0) throw new InvalidInputError(`${col(s.name)} is ${type} but record ${rows[bad]} holds ${typeof vals[bad]} ${show(vals[bad])}; give numbers (null for missing)`);
  }
  const nums = vals as number[];
  switch (type) {
    case "continuous": {
      if (s.likelihood !== undefined && s.likelihood !== "gaussian" && s.likelihood !== "laplace") {
        throw new InvalidConfigError(`schema: ${col(s.name)} has likelihood ${show(s.likelihood)}; a continuous column takes "gaussian" or "laplace"`);
      }
      let mean = s.mean, std = s.std;
      if (mean === undefined || std === undefined) {
        let m = 0;
        for (const v of nums) m += v;
        m /= nums.length;
        let q = 0;
        for (const v of nums) q += (v - m) ** 2;
        const sd = Math.sqrt(q / nums.length);
        mean ??= m;
        std ??= sd > 0 ? sd : 1;
      }
      return checked({ name: s.name, type, likelihood: s.likelihood ?? "gaussian", mean, std });
    }
    case "bounded": {
      const min = s.min ?? Math.min(...nums), max = s.max ?? Math.max(...nums);
      return checked({ name: s.name, type, min, max });
    }
    case "count": {
      if (s.likelihood !== undefined && s.likelihood !== "poisson" && s.likelihood !== "negative-binomial") {
        throw new InvalidConfigError(`schema: ${col(s.name)} has likelihood ${show(s.likelihood)}; a count column takes "poisson" or "negative-binomial"`);
      }
      let m = 0, q = 0;
      for (const v of nums) m += v;
      m /= Math.max(1, nums.length);
      for (const v of nums) q += (v - m) ** 2;
      const likelihood = s.likelihood ?? countLikelihood(nums.length, m, q / Math.max(1, nums.length));
      return checked({ name: s.name, type, ...(likelihood === "negative-binomial" ? { likelihood } : {}) });
    }
    case "binary": {
      let values = s.values;
      if (!values) {
        const distinct = [...new Set(vals)];
        if (distinct.length > 2) throw new InvalidInputError(`${col(s.name)} is binary but holds ${distinct.length} distinct values (${distinct.slice(0, 4).map(show).join(", ")}…); give type "categorical"`);
        const sorted = distinct.sort((a, b) => (a! < b! ? -1 : a! > b! ? 1 : 0));
        values = sorted.length === 2 ? [sorted[0], sorted[1]] : sorted[0] === true || sorted[0] === 1 ? [typeof sorted[0] === "boolean" ? false : 0, sorted[0]] : [sorted[0], typeof sorted[0] === "boolean" ? true : 1];
      }
      return checked({ name: s.name, type, values });
    }
    case "categorical": {
      let categories = s.categories;
      if (!categories) {
        const distinct = [...new Set(vals as (string | number | boolean)[])];
        if (distinct.length > MAX_CATEGORIES) throw new InvalidInputError(`${col(s.name)} has ${distinct.length} distinct values (over ${MAX_CATEGORIES}): it looks like an identifier; drop it or list its categories`);
        categories = distinct.sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
        if (categories.length < 2) categories = [...categories, ...(categories[0] === "(other)" ? ["(other2)"] : ["(other)"])];
      }
      return checked({ name: s.name, type, categories });
    }
  }
}

/**
 * The likelihood schema inference gives a count column from its n values' mean and (population) variance: Poisson
 * unless clearly overdispersed (n ≥ 20 and variance > 2 × mean), then negative binomial.
 *
 * @example
 * ```ts
 * countLikelihood(100, 3, 2.9); // "poisson"
 * countLikelihood(100, 3, 30); // "negative-binomial"
 * ```
 */
export function countLikelihood(n: number, mean: number, variance: number): "poisson" | "negative-binomial" {
  return n >= 20 && variance > 2 * mean ? "negative-binomial" : "poisson";
}

function complete(c: Column): boolean {
  switch (c.type) {
    case "continuous": return c.mean !== undefined && c.std !== undefined;
    case "bounded": return c.min !== undefined && c.max !== undefined;
    case "binary": return c.values !== undefined;
    case "categorical": return c.categories !== undefined;
    case "count": return true;
  }
}

/** Checks a complete column's preprocessing (a stored or user-given schema); returns it. */
export function checked(c: Column): Column {
  const where = `schema: ${col(String(c.name))}`;
  const finite = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
  if (typeof c.name !== "string" || c.name === "") throw new InvalidConfigError("schema: every column needs a non-empty name");
  switch (c.type) {
    case "continuous":
      if (!finite(c.mean) || !finite(c.std) || c.std! <= 0) throw new InvalidConfigError(`${where}: a continuous column needs a finite mean and a positive std, got ${c.mean} and ${c.std}`);
      if (c.likelihood !== "gaussian" && c.likelihood !== "laplace") throw new InvalidConfigError(`${where}: likelihood must be "gaussian" or "laplace", got ${show(c.likelihood)}`);
      break;
    case "bounded":
      if (!finite(c.min) || !finite(c.max) || !(c.max! > c.min!)) throw new InvalidConfigError(`${where}: a bounded column needs finite min < max, got ${c.min} and ${c.max}`);
      break;
    case "binary":
      if (!Array.isArray(c.values) || c.values.length !== 2 || c.values[0] === c.values[1] || c.values.some(isMissing)) {
        throw new InvalidConfigError(`${where}: a binary column needs values [the 0 value, the 1 value], two distinct non-missing values`);
      }
      break;
    case "categorical": {
      const cs = c.categories;
      if (!Array.isArray(cs) || cs.length < 2) throw new InvalidConfigError(`${where}: a categorical column needs at least 2 categories`);
      if (new Set(cs).size !== cs.length) throw new InvalidConfigError(`${where}: its categories are not distinct`);
      if (cs.some((v) => v === "" || isMissing(v) || !["string", "number", "boolean"].includes(typeof v))) {
        throw new InvalidConfigError(`${where}: a category is a non-empty string, a number or a boolean`);
      }
      break;
    }
    case "count":
      if (c.likelihood !== undefined && c.likelihood !== "poisson" && c.likelihood !== "negative-binomial") {
        throw new InvalidConfigError(`${where}: a count column's likelihood is "poisson" or "negative-binomial", got ${show(c.likelihood)}`);
      }
      break;
    default:
      throw new InvalidConfigError(`${where}: type ${show(c.type)} is not one of ${TYPES.join(", ")}`);
  }
  return c;
}

/** The part each column is scored by (continuous: learned scale on standardised values). */
export function partsOf(schema: readonly Column[]): PartSpec[] {
  return schema.map((c) => {
    switch (c.type) {
      case "continuous": return { name: c.name, likelihood: c.likelihood === "laplace" ? "laplace" : "gaussian", width: 1, scale: "learned" };
      case "bounded": return { name: c.name, likelihood: "continuous-bernoulli", width: 1 };
      case "binary": return { name: c.name, likelihood: "bernoulli", width: 1 };
      case "count": return { name: c.name, likelihood: c.likelihood === "negative-binomial" ? "negative-binomial" : "poisson", width: 1 };
      case "categorical": return { name: c.name, likelihood: "categorical", width: c.categories!.length };
    }
  });
}

/**
 * A table encoded for the model: rows [n, width] (missing cells 0) and the presence mask [n, columns].
 *
 * @example
 * ```ts
 * const { rows, x, mask }: Encoded = model.encodeRecords(records);
 * ```
 */
export interface Encoded {
  readonly rows: number;
  readonly x: Float32Array;
  readonly mask: Float32Array;
}

/**
 * Encodes records and decodes model rows for one schema (what a TabularVAE uses inside; handy to prepare data for
 * other tools the same way).
 *
 * @example
 * ```ts
 * const codec = new Codec(inferSchema(records));
 * const { x, mask } = codec.encode(records, "my data");
 * ```
 */
export class Codec {
  readonly width: number;
  readonly offsets: readonly number[];
  readonly #index: Map<string | number | boolean, number>[];

  constructor(readonly schema: readonly Column[]) {
    const offsets: number[] = [];
    let w = 0;
    for (const c of schema) {
      offsets.push(w);
      w += c.type === "categorical" ? c.categories!.length : 1;
    }
    this.width = w;
    this.offsets = offsets;
    this.#index = schema.map((c) => new Map((c.categories ?? []).map((v, i) => [v, i])));
  }

  /**
   * Records → rows and mask. A missing field (null, undefined, NaN, or absent) is masked; a present field of the
   * wrong kind, an unknown category, a value outside a bounded column's range or a negative/fractional count is
   * refused with an InvalidInputError naming the record and the field. Fields not in the schema are ignored.
   */
  encode(records: unknown, what: string): Encoded {
    const rs = recordsOf(records, what);
    const n = rs.length, W = this.width, P = this.schema.length;
    const x = new Float32Array(n * W), mask = new Float32Array(n * P);
    for (let r = 0; r < n; r++) this.encodeRecord(rs[r], r, x, mask, what);
    return { rows: n, x, mask };
  }

  /**
   * Encodes one record into row `r` of `x` [.., width] and `mask` [.., columns] (both zero there beforehand), as
   * `encode` does. `unknown` "missing" masks a category the schema doesn't list instead of refusing it and returns
   * how many cells it masked so (a table read in row groups may hold categories its first rows didn't).
   */
  encodeRecord(rec: TableRecord, r: number, x: Float32Array, mask: Float32Array, what: string, unknown: "error" | "missing" = "error",
    label = r): number {
    const W = this.width, P = this.schema.length;
    let masked = 0;
    this.schema.forEach((c, p) => {
      const v = rec[c.name];
      if (isMissing(v)) return;
      const at = r * W + this.offsets[p];
      const bad = (expected: string): never => {
        throw new InvalidInputError(`${what}: record ${label}, field ${JSON.stringify(c.name)}: ${typeof v} ${show(v)} — expected ${expected}`);
      };
      switch (c.type) {
        case "continuous":
          if (typeof v !== "number" || !Number.isFinite(v)) bad("a finite number (null for missing)");
          x[at] = ((v as number) - c.mean!) / c.std!;
          break;
        case "bounded":
          if (typeof v !== "number" || !Number.isFinite(v)) bad(`a number in [${c.min}, ${c.max}] (null for missing)`);
          if ((v as number) < c.min! || (v as number) > c.max!) bad(`a number in the column's range [${c.min}, ${c.max}]`);
          x[at] = ((v as number) - c.min!) / (c.max! - c.min!);
          break;
        case "count":
          if (typeof v !== "number" || !Number.isInteger(v) || v < 0) bad("a whole number ≥ 0 (null for missing)");
          x[at] = v as number;
          break;
        case "binary":
          if (v === c.values![0]) x[at] = 0;
          else if (v === c.values![1]) x[at] = 1;
          else bad(`${show(c.values![0])} or ${show(c.values![1])}`);
          break;
        case "categorical": {
          const i = this.#index[p].get(v as string);
          if (i === undefined) {
            if (unknown === "missing") {
              masked++;
              return;
            }
            bad(`one of the categories learned in training (${c.categories!.slice(0, 8).map(show).join(", ")}${c.categories!.length > 8 ? ", …" : ""})`);
          }
          x[at + i!] = 1;
          break;
        }
      }
      mask[r * P + p] = 1;
    });
    return masked;
  }

  /** The raw value of column p from its distribution mean at `at` of a means row (categorical: the likeliest). */
  value(p: number, means: Float32Array, at: number): Cell {
    const c = this.schema[p];
    const m = means[at];
    switch (c.type) {
      case "continuous": return m * c.std! + c.mean!;
      case "bounded": return c.min! + m * (c.max! - c.min!);
      case "count": return m;
      case "binary": return m >= 0.5 ? c.values![1] : c.values![0];
      case "categorical": {
        let best = 0;
        for (let i = 1; i < c.categories!.length; i++) if (means[at + i] > means[at + best]) best = i;
        return c.categories![best];
      }
    }
  }

  /** Decoded means [n, width] → records of raw values. */
  decode(means: Float32Array, n: number): TableRecord[] {
    const out: TableRecord[] = [];
    for (let r = 0; r < n; r++) {
      const rec: TableRecord = {};
      this.schema.forEach((c, p) => void (rec[c.name] = this.value(p, means, r * this.width + this.offsets[p])));
      out.push(rec);
    }
    return out;
  }
}
