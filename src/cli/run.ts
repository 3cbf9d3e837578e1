// The vaekit command: picks the command, parses its arguments, runs it, and turns every failure into one line on
// stderr and an exit code (2 for usage, 1 for failures, 130 when interrupted).
import { createRequire } from "node:module";
import { InvalidConfigError, VaekitError } from "../index.js";
import { didYouMean, helpText, parseArgs } from "./args.js";
import { evaluate } from "./commands/evaluate.js";
import { encode } from "./commands/encode.js";
import { interpolate } from "./commands/interpolate.js";
import { reconstruct } from "./commands/reconstruct.js";
import { sample } from "./commands/sample.js";
import { train } from "./commands/train.js";
import { traverse } from "./commands/traverse.js";
import { impute, score } from "./commands/tabular.js";
import { complete, swap } from "./commands/grouped.js"; // vaekit/grouped's pictures
import type { Command, Context } from "./context.js";
import { CliError, Interrupted, UsageError } from "./errors.js";

export type { Context } from "./context.js";

export const COMMANDS: Record<string, Command> = { train, evaluate, sample, reconstruct, encode, interpolate, traverse,
  score, impute,
  swap, complete };

function version(): string {
  try {
    return (createRequire(import.meta.url)("vaekit/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length)) + 2;
  const summaries = Object.values(COMMANDS).map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.brief}`);
  return [
    "Usage: vaekit <command> [arguments] [options]",
    "",
    "Variational autoencoders (and plain autoencoders) on WebAssembly SIMD kernels: train on IDX, CSV or .npy data,",
    "then evaluate, sample, reconstruct, encode, interpolate and traverse; results as .npy, CSV or PNG pictures.",
    "",
    "Commands:",
    ...summaries,
    "",
    "vaekit <command> --help lists a command's options with their defaults.",
    "  -h, --help     show this help",
    "  -v, --version  print vaekit's version",
    "",
  ].join("\n");
}

/** One line: the message without line breaks. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** Runs `vaekit <argv>`; resolves with the exit code. Never throws. */
export async function run(argv: readonly string[], ctx: Context): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    if (name === "help" && rest[0] && COMMANDS[rest[0]]) {
      ctx.stdout.write(helpText(COMMANDS[rest[0]].spec));
      return 0;
    }
    (name === undefined ? ctx.stderr : ctx.stdout).write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    ctx.stderr.write(`vaekit: unknown command '${name}'${didYouMean(name, Object.keys(COMMANDS))}; commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  const prefix = `vaekit ${name}`;
  try {
    const args = parseArgs(rest, command.spec);
    if (args.flag("help")) {
      ctx.stdout.write(helpText(command.spec));
      return 0;
    }
    return await command.run(args, ctx);
  } catch (e) {
    if (e instanceof Interrupted || (ctx.signal?.aborted && !(e instanceof UsageError || e instanceof CliError))) {
      ctx.stderr.write(`${prefix}: interrupted\n`);
      return 130;
    }
    const code = e instanceof UsageError || e instanceof InvalidConfigError ? 2 : 1;
    const known = e instanceof UsageError || e instanceof CliError || e instanceof VaekitError;
    const message = known ? (e as Error).message : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
    ctx.stderr.write(`${prefix}: ${oneLine(message)}\n`);
    if (!known && process.env.VAEKIT_DEBUG) ctx.stderr.write(`${(e as Error)?.stack}\n`);
    return code;
  }
}
