// The two ways a command fails: a usage error (bad arguments; exit code 2) or a runtime failure (unreadable or
// malformed files, training that diverges; exit code 1). Either is reported as one line on stderr.

/** Bad command-line arguments: exit code 2. */
export class UsageError extends Error {
  override readonly name: string = "UsageError";
}

/** A failure while doing the work (files, data, the model): exit code 1. */
export class CliError extends Error {
  override readonly name: string = "CliError";
}

/** Thrown when the user interrupts (Ctrl-C): exit code 130. */
export class Interrupted extends Error {
  override readonly name: string = "Interrupted";
  constructor() {
    super("interrupted");
  }
}
