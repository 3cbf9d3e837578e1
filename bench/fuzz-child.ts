// The worker side of bench/fuzz.mjs: runs mutants [from, to) of the seeded corpus on the sources (via tsx) and
// reports each outcome to the parent, which watches for hangs. Not run on its own.
import { gzipSync } from "node:zlib";
import { readCsv } from "../src/cli/csv.js";
import { CliError } from "../src/cli/errors.js";
import { readNpy } from "../src/cli/npy.js";
import * as core from "../src/index.js";
import { loadTorch, readTorch } from "../src/torch.js";
import { attempt, mutate, rng, seeds } from "../test/harden/fuzz-kit.mjs";

const lib = { ...core, loadTorch, readTorch, readNpy, readCsv, CliError, gzip: (b: Uint8Array) => gzipSync(b) };
const [from, to, seed] = process.argv.slice(2).map(Number);
const send = (m: unknown) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

const files = await seeds(lib);
for (let i = from; i < to; i++) {
  // mutant i depends only on (seed, i): a restart after a hang regenerates exactly the rest
  const r = rng(seed * 1_000_003 + i);
  const [kind, name, bytes] = files[i % files.length];
  await send({ start: i, kind, name });
  const res = await attempt(lib, kind, mutate(bytes, r), r);
  const error = res.outcome === "other" ? String((res.error as Error)?.stack ?? res.error).slice(0, 400) : undefined;
  await send({ done: i, kind, outcome: res.outcome, memory: res.memory ?? 0, rss: process.memoryUsage().rss, error });
}
await send({ finished: true });
process.exit(0);
