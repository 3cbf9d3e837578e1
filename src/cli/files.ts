// Reading and writing files with errors that name the file and say what went wrong, in one line.
import { readFile, writeFile } from "node:fs/promises";
import { CliError } from "./errors.js";

function reason(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case "ENOENT": return "no such file or directory";
    case "EISDIR": return "it is a directory";
    case "ENOTDIR": return "a part of the path is not a directory";
    case "EACCES": case "EPERM": return "permission denied";
    case "ENOSPC": return "no space left on the device";
    default: return (e as Error).message?.split("\n")[0] ?? String(e);
  }
}

/** The bytes of a file, or a CliError naming it. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new CliError(`cannot read '${path}': ${reason(e)}`);
  }
}

/** Writes bytes or text to a file, or throws a CliError naming it. */
export async function writeBytes(path: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new CliError(`cannot write '${path}': ${reason(e)}`);
  }
}

/** The lower-case extension of a path ("" when none), e.g. ".npy". */
export function extension(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}
