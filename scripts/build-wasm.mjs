// Compiles assembly/ with the same options (asconfig.json, exact SIMD128 build) once per row of BUILDS:
//   dist/vaekit.wasm              from assembly/index.ts    — shipped: only the kernels the SDK calls
//   dist/vaekit-mt.wasm           from assembly/index-mt.ts — shipped, loaded only for `threads > 1`: the same
//                                 kernels plus the range-split ones, over an imported shared memory
//   build/vaekit-testing.wasm     from assembly/testing.ts  — tests and bench: adds every scalar twin, raw GEMMs
// Each is written to a temporary file first and renamed, so concurrent builds never leave a torn module.
import asc from "assemblyscript/asc";
import { mkdirSync, renameSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// Flags added to asconfig.json's per build variant. SHARED: the memory is created by the host (shared, so that
// worker threads' instances run on the same memory) and imported as env.memory; 65536 pages (4 GiB) is the
// maximum a wasm32 memory can have, and a shared memory must declare one.
const SHARED = ["--importMemory", "--sharedMemory", "--maximumMemory", "65536", "--enable", "threads"];

const BUILDS = [
  { entry: "assembly/index.ts", out: "dist/vaekit.wasm", flags: [] },
  { entry: "assembly/index-mt.ts", out: "dist/vaekit-mt.wasm", flags: SHARED },
  { entry: "assembly/testing.ts", out: "build/vaekit-testing.wasm", flags: [] },
];

for (const { entry, out: rel, flags } of BUILDS) {
  const out = join(root, rel);
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  const { error } = await asc.main(
    [entry, "--config", "asconfig.json", "--target", "release", "--outFile", tmp, ...flags],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    console.error(`build-wasm (${entry}): ${error.message}`);
    process.exit(1);
  }
  renameSync(tmp, out);
}
