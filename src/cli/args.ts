// A small strict argument parser: each command declares its options (with defaults for --help); anything else is
// a usage error with a "did you mean" hint, and typed accessors say exactly what a value should have been.
import { UsageError } from "./errors.js";

/** One option of a command. */
export interface OptionSpec {
  /** Long name without the dashes, e.g. "epochs". */
  name: string;
  /** One-letter alias, e.g. "o". */
  short?: string;
  /** Other long names accepted, e.g. "lr" for "learning-rate". */
  aliases?: string[];
  /** Placeholder of the value in help, e.g. "n"; absent for flags. */
  value?: string;
  help: string;
  /** The default as shown in help. */
  default?: string;
  /** Heading the option is listed under in help. */
  group?: string;
}

/** One command: its positional arguments and options. */
export interface CommandSpec {
  name: string;
  /** One line for `vaekit --help`. */
  brief: string;
  summary: string;
  positionals: { name: string; help: string; optional?: boolean }[];
  options: OptionSpec[];
  /** More text for --help, after the usage line. */
  details?: string;
}

export const HELP: OptionSpec = { name: "help", short: "h", help: "show this help", group: "Other" };

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** " (did you mean 'x'?)" for the closest candidate within a few edits, else "". */
export function didYouMean(word: string, candidates: readonly string[], prefix = ""): string {
  let best = "", bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean '${prefix}${best}'?)` : "";
}

function quote(s: string): string {
  return `'${s}'`;
}

/** Parsed arguments with typed, checked accessors. */
export class Args {
  constructor(readonly positionals: string[], private readonly raw: Map<string, string | true>) {}

  has(name: string): boolean {
    return this.raw.has(name);
  }

  flag(name: string): boolean {
    return this.raw.get(name) === true;
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const v = this.raw.get(name);
    return typeof v === "string" ? v : fallback;
  }

  /** A whole number in [min, max]. */
  whole(name: string, fallback: number, min: number, max?: number): number;
  whole(name: string, fallback: number | undefined, min: number, max?: number): number | undefined;
  whole(name: string, fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.raw.get(name);
    if (typeof v !== "string") return fallback;
    return parseWhole(`--${name}`, v, min, max);
  }

  /** A finite number ≥ min (> min when open), ≤ max. */
  number(name: string, fallback: number, range?: NumberRange): number;
  number(name: string, fallback: number | undefined, range?: NumberRange): number | undefined;
  number(name: string, fallback: number | undefined, range: NumberRange = {}): number | undefined {
    const v = this.raw.get(name);
    if (typeof v !== "string") return fallback;
    return parseNumber(`--${name}`, v, range);
  }

  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T;
  choice<T extends string>(name: string, choices: readonly T[], fallback: T | undefined): T | undefined;
  choice<T extends string>(name: string, choices: readonly T[], fallback: T | undefined): T | undefined {
    const v = this.raw.get(name);
    if (typeof v !== "string") return fallback;
    if (!choices.includes(v as T)) {
      throw new UsageError(`--${name} must be one of ${choices.join(", ")}; got ${quote(v)}${didYouMean(v, choices)}`);
    }
    return v as T;
  }

  /** Comma-separated whole numbers ≥ min, e.g. "400,200". */
  wholes(name: string, fallback: number[] | undefined, min: number, count?: number): number[] | undefined {
    const v = this.raw.get(name);
    if (typeof v !== "string") return fallback;
    return parseWholes(`--${name}`, v, min, count);
  }

  /** Comma-separated finite numbers, e.g. "-2,2". */
  numbers(name: string, fallback: number[] | undefined, count?: number): number[] | undefined {
    const v = this.raw.get(name);
    if (typeof v !== "string") return fallback;
    const parts = v.split(",");
    const bad = () => new UsageError(`--${name} must be ${count ? `${count} ` : ""}comma-separated numbers, e.g. ${count === 2 ? "-2,2" : "0,0.5,1"}; got ${quote(v)}`);
    if (count !== undefined && parts.length !== count) throw bad();
    return parts.map((p) => {
      const x = strictNumber(p);
      if (x === undefined) throw bad();
      return x;
    });
  }
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** min itself excluded. */
  open?: boolean;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number written plainly (no hex, no blanks, no Infinity), or undefined. */
export function strictNumber(s: string): number | undefined {
  const t = s.trim();
  if (!NUMBER.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

export function parseWhole(what: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const x = strictNumber(v);
  if (x === undefined || !Number.isInteger(x) || x < min || x > max || !/^[+-]?\d+$/.test(v.trim())) {
    const bound = max < 1e9 ? `from ${min} to ${max}` : `≥ ${min}`;
    throw new UsageError(`${what} must be a whole number ${bound}; got ${quote(v)}`);
  }
  return x;
}

export function parseNumber(what: string, v: string, r: NumberRange): number {
  const x = strictNumber(v);
  const lo = r.min ?? -Infinity, hi = r.max ?? Infinity;
  if (x === undefined || x < lo || x > hi || (r.open && x === lo)) {
    const parts: string[] = [];
    if (r.min !== undefined) parts.push(`${r.open ? ">" : "≥"} ${r.min}`);
    if (r.max !== undefined) parts.push(`≤ ${r.max}`);
    throw new UsageError(`${what} must be a number${parts.length ? ` ${parts.join(" and ")}` : ""}; got ${quote(v)}`);
  }
  return x;
}

export function parseWholes(what: string, v: string, min: number, count?: number): number[] {
  const parts = v.split(",");
  const ok = parts.every((p) => /^\s*\d+\s*$/.test(p) && Number(p) >= min) && (count === undefined || parts.length === count);
  if (!ok) {
    const n = count === undefined ? "" : `${count} `;
    const eg = count === 2 ? "100,50" : "400,200";
    throw new UsageError(`${what} must be ${n}comma-separated whole numbers ≥ ${min}, e.g. ${eg}; got ${quote(v)}`);
  }
  return parts.map(Number);
}

/** Parses argv against a command's options. Throws UsageError for anything unknown, repeated or missing. */
export function parseArgs(argv: readonly string[], spec: CommandSpec): Args {
  const options = [...spec.options, HELP];
  const byName = new Map<string, OptionSpec>();
  for (const o of options) {
    byName.set(`--${o.name}`, o);
    for (const a of o.aliases ?? []) byName.set(`--${a}`, o);
    if (o.short) byName.set(`-${o.short}`, o);
  }
  const raw = new Map<string, string | true>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (onlyPositionals || !a.startsWith("-") || a === "-" || /^-\d/.test(a)) {
      positionals.push(a);
      continue;
    }
    if (a === "--") {
      onlyPositionals = true;
      continue;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const key = eq > 0 ? a.slice(0, eq) : a;
    const o = byName.get(key);
    if (!o) {
      const names = options.map((x) => x.name).concat(options.flatMap((x) => x.aliases ?? []));
      throw new UsageError(`unknown option '${key}'${didYouMean(key.replace(/^-+/, ""), names, "--")}; see vaekit ${spec.name} --help`);
    }
    if (raw.has(o.name)) throw new UsageError(`--${o.name} is given twice`);
    if (o.value === undefined) {
      if (eq > 0) throw new UsageError(`--${o.name} is a switch and takes no value; got '${a}'`);
      raw.set(o.name, true);
      continue;
    }
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${o.name} needs a value (${o.value})`);
      value = argv[++i];
    }
    if (value === "") throw new UsageError(`--${o.name} needs a value (${o.value}); got an empty one`);
    raw.set(o.name, value);
  }
  const args = new Args(positionals, raw);
  if (args.flag("help")) return args;
  const required = spec.positionals.filter((p) => !p.optional).length;
  if (positionals.length < required) {
    const missing = spec.positionals.slice(positionals.length, required).map((p) => `<${p.name}>`).join(" ");
    throw new UsageError(`missing ${missing}; usage: ${usage(spec)}`);
  }
  if (positionals.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument '${positionals[spec.positionals.length]}'; usage: ${usage(spec)}`);
  }
  return args;
}

export function usage(spec: CommandSpec): string {
  const pos = spec.positionals.map((p) => (p.optional ? `[<${p.name}>]` : `<${p.name}>`)).join(" ");
  return `vaekit ${spec.name}${pos ? ` ${pos}` : ""} [options]`;
}

/** The --help text of a command: usage, arguments, and every option with its default, by group. */
export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: ${usage(spec)}`, "", spec.summary];
  if (spec.details) lines.push("", spec.details);
  const label = (o: OptionSpec) =>
    `${o.short ? `-${o.short}, ` : "    "}--${o.name}${o.value ? ` <${o.value}>` : ""}${(o.aliases ?? []).map((a) => `, --${a}`).join("")}`;
  const all = [...spec.options, HELP];
  const width = Math.min(34, Math.max(...all.map((o) => label(o).length), ...spec.positionals.map((p) => p.name.length + 2)) + 2);
  const row = (left: string, text: string) => `  ${left.padEnd(width)}${left.length >= width ? `\n  ${" ".repeat(width)}` : ""}${text}`;
  if (spec.positionals.length) {
    lines.push("", "Arguments:");
    for (const p of spec.positionals) lines.push(row(`<${p.name}>`, p.help));
  }
  const groups = [...new Set(all.map((o) => o.group ?? "Options"))];
  for (const g of groups) {
    lines.push("", `${g}:`);
    for (const o of all.filter((x) => (x.group ?? "Options") === g)) {
      lines.push(row(label(o), `${o.help}${o.default !== undefined ? ` [default: ${o.default}]` : ""}`));
    }
  }
  return lines.join("\n") + "\n";
}
