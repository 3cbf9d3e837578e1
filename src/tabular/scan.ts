// Schema inference over a table read in batches (a Parquet or Arrow file bigger than memory): one pass that keeps,
// per column, counts and sums (continuous), the range (bounded), the distinct values (binary, categorical) — never
// the records. Types come from the first batch unless given, as inferSchema would pick them.
import { InvalidInputError } from "../errors.js";
import { checked, countLikelihood, inferSchema, isMissing, MAX_CATEGORIES, recordsOf, type Cell, type Column, type ColumnSpec, type TableRecord } from "./schema.js";

interface Acc {
  n: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
  distinct: Set<string | number | boolean>;
}

const name = (c: string): string => `column ${JSON.stringify(c)}`;

/**
 * Infers a complete schema from records read a batch at a time (an async iterable of record arrays, e.g.
 * `parquetBatches`), holding one batch at a time: each column's type from the first batch (unless `columns` fixes
 * it, as in inferSchema), then its preprocessing from every batch — mean and standard deviation from f64 sums,
 * range, binary values, the sorted category list. Messy values are refused as inferSchema refuses them, naming the
 * column and the record (counted from the first batch's first record).
 *
 * @example
 * ```ts
 * const schema = await scanSchema(parquetBatches(bytes), [{ name: "delay" }, { name: "origin", type: "categorical" }]);
 * const model = await TabularVAE.create({ schema, latentSize: 4 });
 * ```
 */
export async function scanSchema(batches: AsyncIterable<readonly TableRecord[]> | Iterable<readonly TableRecord[]>,
  columns?: readonly ColumnSpec[]): Promise<Column[]> {
  let specs: Column[] | undefined;
  let accs: Acc[] = [];
  let seen = 0;
  for await (const batch of batches as AsyncIterable<readonly TableRecord[]>) {
    const rs = recordsOf(batch, "scanSchema(batches)");
    if (rs.length === 0) continue;
    if (!specs) {
      // the first batch decides the types (and refuses messy values with inferSchema's errors)
      specs = inferSchema(rs, columns).map((c) => {
        const given = columns?.find((s) => s.name === c.name);
        return { ...given, name: c.name, type: c.type, ...(c.type === "continuous" ? { likelihood: c.likelihood } : {}) } as Column;
      });
      accs = specs.map(() => ({ n: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity, distinct: new Set() }));
    }
    specs.forEach((c, p) => {
      const a = accs[p];
      for (let i = 0; i < rs.length; i++) {
        const v: Cell = rs[i][c.name];
        if (isMissing(v)) continue;
        const where = `${name(c.name)}: record ${seen + i}`;
        if (c.type === "continuous" || c.type === "bounded" || c.type === "count") {
          if (typeof v !== "number" || !Number.isFinite(v)) {
            throw new InvalidInputError(`${where} holds ${typeof v} ${JSON.stringify(v)} in a ${c.type} column; give finite numbers (null for missing)`);
          }
          a.n++;
          a.sum += v;
          a.sumSq += v * v;
          if (v < a.min) a.min = v;
          if (v > a.max) a.max = v;
          continue;
        }
        if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
          throw new InvalidInputError(`${where} holds ${typeof v}; a cell is a number, string, boolean or null`);
        }
        if (v === "") throw new InvalidInputError(`${where} is an empty string, which can't be a category; use null for a missing value`);
        a.n++;
        a.distinct.add(v);
        if (c.type === "binary" && a.distinct.size > 2 && !c.values) {
          throw new InvalidInputError(`${name(c.name)} looked binary in the first batch but record ${seen + i} holds a third value ` +
            `${JSON.stringify(v)}; give its type ("categorical", or "continuous" for numbers)`);
        }
        if (c.type === "categorical" && a.distinct.size > MAX_CATEGORIES && !c.categories) {
          throw new InvalidInputError(`${name(c.name)} has over ${MAX_CATEGORIES} distinct values: it looks like an identifier; drop it or list its categories`);
        }
      }
    });
    seen += rs.length;
  }
  if (!specs) throw new InvalidInputError("scanSchema(batches): no records; give at least one");
  return specs.map((c, p) => {
    const a = accs[p];
    if (a.n === 0) throw new InvalidInputError(`${name(c.name)} has no values in the table (every one is missing); drop the column`);
    switch (c.type) {
      case "continuous": {
        const mean = a.sum / a.n;
        const sd = Math.sqrt(Math.max(0, a.sumSq / a.n - mean * mean));
        return checked({ name: c.name, type: c.type, likelihood: c.likelihood ?? "gaussian", mean: c.mean ?? mean, std: c.std ?? (sd > 0 ? sd : 1) });
      }
      case "bounded":
        return checked({ name: c.name, type: c.type, min: c.min ?? a.min, max: c.max ?? a.max });
      case "count": {
        const given = columns?.find((s) => s.name === c.name)?.likelihood;
        const mean = a.sum / a.n;
        const likelihood = given ?? countLikelihood(a.n, mean, Math.max(0, a.sumSq / a.n - mean * mean));
        return checked({ name: c.name, type: c.type, ...(likelihood === "negative-binomial" ? { likelihood } : {}) });
      }
      default: {
        // binary and categorical: inferSchema's own rules on the distinct values
        const recs = [...a.distinct].map((v) => ({ [c.name]: v }));
        return inferSchema(recs, [{ name: c.name, type: c.type, ...(c.values ? { values: c.values } : {}), ...(c.categories ? { categories: c.categories } : {}) }])[0];
      }
    }
  });
}
