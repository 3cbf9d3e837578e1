// vaekit train on files bigger than memory: a data file over --stream-above megabytes (default 256), or any with
// --stream always, is read a batch at a time by vaekit/stream (loaded only then) instead of being loaded whole;
// --stream never always loads. Uncompressed IDX, .npy and CSV are shuffled by row ranges (--shuffle-range rows,
// default 16); a gzipped file can't be read at random ranges: it is refused with a hint (gunzip it, or --stream never).
import { stat } from "node:fs/promises";
import { VaekitError } from "../index.js";
import type { RowSource } from "../index.js";
import type { FileSource } from "../stream.js";
import type { Args, OptionSpec } from "./args.js";
import { CliError, UsageError } from "./errors.js";

const G = "Data bigger than memory";

export const STREAM_OPTIONS: OptionSpec[] = [
  { name: "stream", value: "auto|always|never", help: "read the data a batch at a time instead of whole; auto: files over --stream-above", default: "auto", group: G },
  { name: "stream-above", value: "MB", help: "auto streams data files larger than this many megabytes (2^20 bytes)", default: "256", group: G },
  { name: "shuffle-range", value: "rows", help: "shuffle whole ranges of this many consecutive rows (streamed: fewer, larger reads)", default: "streamed 16; in memory off (rows)", group: G },
  { name: "read-ahead", value: "n", help: "streamed: batches read ahead while one trains", default: "2", group: G },
];

/** fit's options from the streaming flags (shuffleRange and readAhead apply in memory too, where they mean the same). */
export function streamFitOptions(args: Args): { shuffleRange?: number; readAhead?: number } {
  const o: { shuffleRange?: number; readAhead?: number } = {};
  if (args.has("shuffle-range")) {
    if (args.flag("no-shuffle")) throw new UsageError("--shuffle-range has no effect with --no-shuffle");
    o.shuffleRange = args.whole("shuffle-range", 16, 1, 2 ** 31 - 1);
  }
  if (args.has("read-ahead")) o.readAhead = args.whole("read-ahead", 2, 0, 64);
  return o;
}

/** Whether `path` is read a batch at a time. */
export async function streams(args: Args, path: string): Promise<boolean> {
  const mode = args.choice("stream", ["auto", "always", "never"] as const, "auto");
  const above = args.number("stream-above", 256, { min: 0 });
  if (mode !== "auto") {
    if (args.has("stream-above")) throw new UsageError("--stream-above applies to --stream auto");
    return mode === "always";
  }
  try {
    return (await stat(path)).size > above * 2 ** 20;
  } catch {
    return false; // the whole-file reader names the problem
  }
}

/** Rows [from, to) of a source. */
export function rowRange<C>(s: RowSource<C>, from: number, to: number): RowSource<C> {
  return { rows: to - from, read: (start, count) => s.read(from + start, count) };
}

/** Opens a data file for streaming; errors name the file as the whole-file readers do. */
export async function openStreamed(path: string, scale: number | "auto"): Promise<FileSource<Float32Array>> {
  const stream = await import("../stream.js");
  try {
    return await stream.openFile(path, { scale });
  } catch (e) {
    if (e instanceof VaekitError && /gzipped/.test(e.message)) {
      throw new UsageError(`'${path}' is gzipped: gzip can't be read at random row ranges, so vaekit train can't stream it; ` +
        "gunzip it (then it streams, shuffled by row ranges), or pass --stream never to load it whole");
    }
    if (e instanceof VaekitError) throw new CliError(`'${path}': ${e.message.replace(/^open\w+\('[^']*'\): /, "")}`);
    throw e;
  }
}
