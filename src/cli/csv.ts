// CSV of numbers: comma-separated, one example per line, an optional header line (any line whose cells are not
// all numbers, if it is the first), blank lines ignored. Written with the shortest text that reads back the same
// float32 value.
import { strictNumber } from "./args.js";
import { CliError } from "./errors.js";

export interface CsvTable {
  values: Float64Array;
  rows: number;
  cols: number;
  header?: string[];
}

/** Parses CSV text; `what` names the file in errors. */
export function readCsv(text: string, what: string): CsvTable {
  const lines = text.split(/\r?\n/);
  const out: number[] = [];
  let cols = -1, firstLine = 0, rows = 0;
  let header: string[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const cells = lines[i].split(",");
    const nums = cells.map(strictNumber);
    if (cols < 0 && nums.some((v) => v === undefined) && header === undefined && rows === 0) {
      header = cells.map((c) => c.trim());
      cols = cells.length;
      firstLine = i + 1;
      continue;
    }
    if (cols < 0) {
      cols = cells.length;
      firstLine = i + 1;
    } else if (cells.length !== cols) {
      throw new CliError(`${what}: line ${i + 1} has ${cells.length} values; line ${firstLine} has ${cols}`);
    }
    for (let j = 0; j < cells.length; j++) {
      const v = nums[j];
      if (v === undefined) throw new CliError(`${what}: line ${i + 1}, column ${j + 1} is '${cells[j].trim()}'; expected a number`);
      out.push(v);
    }
    rows++;
  }
  if (rows === 0) throw new CliError(`${what}: no rows of numbers`);
  return { values: Float64Array.from(out), rows, cols, header };
}

/** The shortest decimal text that parses back to the same float32. */
export function float32Text(v: number): string {
  if (Number.isInteger(v)) return String(v);
  for (let p = 1; p < 10; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/** CSV text of row-major float32 values with `cols` columns and an optional header. */
export function writeCsv(values: Float32Array, cols: number, header?: readonly string[]): string {
  const lines: string[] = header ? [header.join(",")] : [];
  for (let r = 0; r < values.length / cols; r++) {
    const cells: string[] = [];
    for (let j = 0; j < cols; j++) cells.push(float32Text(values[r * cols + j]));
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}
