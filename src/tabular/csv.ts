// CSV in and out for the tabular model (RFC 4180: quoted fields with "" escapes, CRLF or LF). Hand-written rather than
// a CSV library because vaekit's core has no runtime dependencies; it is the small subset records need.
import { InvalidInputError } from "../errors.js";
import type { Cell, TableRecord } from "./schema.js";

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Parses CSV text with a header row into records. Empty fields (and `NA`, `NaN`, `null`) are missing (null); fields
 * that read as numbers become numbers, `true`/`false` booleans, the rest strings. Ragged rows and unclosed quotes
 * throw InvalidInputError naming the line.
 *
 * @example
 * ```ts
 * parseCsv("a,b\n1.5,x\n,y\n"); // [{ a: 1.5, b: "x" }, { a: null, b: "y" }]
 * ```
 */
export function parseCsv(text: string, options: { delimiter?: string } = {}): TableRecord[] {
  if (typeof text !== "string") throw new InvalidInputError(`parseCsv: expected CSV text (a string), got ${typeof text}`);
  const delim = options.delimiter ?? ",";
  if (delim.length !== 1 || delim === '"' || delim === "\n") throw new InvalidInputError("parseCsv: delimiter must be one character other than a quote or a newline");
  const rows: string[][] = [];
  let row: string[] = [], field = "", i = 0, line = 1, quoted = false;
  const n = text.length;
  const endField = (): void => {
    row.push(field);
    field = "";
  };
  while (i < n) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === "") quoted = true;
    else if (ch === delim) endField();
    else if (ch === "\n" || ch === "\r") {
      endField();
      rows.push(row);
      row = [];
      if (ch === "\r" && text[i + 1] === "\n") i++;
      line++;
    } else field += ch;
    i++;
  }
  if (quoted) throw new InvalidInputError(`parseCsv: a quoted field opened before line ${line} is never closed`);
  if (field !== "" || row.length) {
    endField();
    rows.push(row);
  }
  const lines = rows.filter((r) => !(r.length === 1 && r[0] === ""));
  if (lines.length === 0) throw new InvalidInputError("parseCsv: no header row");
  const header = lines[0];
  const seen = new Set<string>();
  for (const h of header) {
    if (h === "" || seen.has(h)) throw new InvalidInputError(`parseCsv: the header has ${h === "" ? "an empty" : `a repeated (${JSON.stringify(h)})`} column name`);
    seen.add(h);
  }
  return lines.slice(1).map((r, k) => {
    if (r.length !== header.length) throw new InvalidInputError(`parseCsv: data row ${k + 1} has ${r.length} fields; the header has ${header.length}`);
    const rec: TableRecord = {};
    header.forEach((h, j) => void (rec[h] = cell(r[j])));
    return rec;
  });
}

function cell(s: string): Cell {
  const t = s.trim();
  if (t === "" || t === "NA" || t === "NaN" || t === "null") return null;
  if (NUMBER.test(t)) return Number(t);
  if (t === "true") return true;
  if (t === "false") return false;
  return s;
}

/**
 * Writes records as CSV with a header row (the given columns, or every key in first-seen order); missing values are
 * empty fields; fields with the delimiter, a quote or a newline are quoted.
 *
 * @example
 * ```ts
 * toCsv([{ a: 1, b: "x, y" }, { a: null, b: "z" }]); // 'a,b\n1,"x, y"\n,z\n'
 * ```
 */
export function toCsv(records: readonly TableRecord[], columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(records.flatMap((r) => Object.keys(r)))];
  const q = (v: Cell): string => {
    if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) return "";
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [cols.map(q).join(","), ...records.map((r) => cols.map((c) => q(r[c])).join(","))].join("\n") + "\n";
}
