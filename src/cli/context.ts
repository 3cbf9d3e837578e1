// What a command runs with: its output streams, the interrupt signal, a clock; and the shape of a command.
import type { Args, CommandSpec } from "./args.js";
import { Interrupted } from "./errors.js";
import type { ProgressStream } from "./progress.js";

export interface Context {
  stdout: { write(text: string): unknown };
  stderr: ProgressStream;
  /** Aborted on the first Ctrl-C. */
  signal?: AbortSignal;
  /** Milliseconds, for rates and ETAs. Default performance.now. */
  now?: () => number;
}

export interface Command {
  spec: CommandSpec;
  /** Does the work; resolves with the exit code. */
  run(args: Args, ctx: Context): Promise<number>;
}

/** Throws Interrupted if Ctrl-C was pressed; otherwise lets the event loop run (so the signal can arrive). */
export async function checkpoint(ctx: Context): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (ctx.signal?.aborted) throw new Interrupted();
}
