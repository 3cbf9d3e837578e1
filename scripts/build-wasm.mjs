// Compiles assembly/ with the same options (asconfig.json) once per row of BUILDS:
//   dist/vaekit.wasm              from assembly/index.ts    — shipped: only the kernels the SDK's MLP models call
//   dist/vaekit-ext.wasm          from assembly/index-ext.ts — shipped, loaded only by models that need the EXT
//                                 kernels (convolution, recurrent cells, …): vaekit.wasm's kernels plus those
//   dist/vaekit-mt.wasm           from assembly/index-mt.ts — shipped, loaded only for `threads > 1`: the same
//                                 kernels plus the range-split ones, over an imported shared memory
//   build/vaekit-testing.wasm     from assembly/testing.ts  — tests and bench: adds every scalar twin, raw GEMMs
//   dist/vaekit-fast.wasm (from index-ext.ts), dist/vaekit-fast-mt.wasm, build/vaekit-fast-testing.wasm — the same with
//     `--enable relaxed-simd`: the GEMMs' multiply-adds become f32x4.relaxed_madd (assembly/madd.ts);
//     assembly/fast.ts adds the precision_fast export
// Each is written to a temporary file first and renamed, so concurrent builds never leave a torn module. One line per
// build (its output, size and time) goes to stderr as it finishes, so a ~35 s build isn't silent.
import asc from "assemblyscript/asc";
import { mkdirSync, renameSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// Flags added to asconfig.json's per build variant. SHARED: the memory is created by the host (shared, so that
// worker threads' instances run on the same memory) and imported as env.memory; 65536 pages (4 GiB) is the
// maximum a wasm32 memory can have, and a shared memory must declare one. FAST: relaxed-SIMD FMA.
const SHARED = ["--importMemory", "--sharedMemory", "--maximumMemory", "65536", "--enable", "threads"];
const FAST = ["--enable", "relaxed-simd"];
const FAST_EXTRA = ["assembly/fast.ts"];

const BUILDS = [
  { entry: "assembly/index.ts", out: "dist/vaekit.wasm", flags: [] },
  { entry: "assembly/index-ext.ts", out: "dist/vaekit-ext.wasm", flags: [] },
  { entry: "assembly/index-mt.ts", out: "dist/vaekit-mt.wasm", flags: SHARED },
  { entry: "assembly/testing.ts", out: "build/vaekit-testing.wasm", flags: [] },
  { entry: "assembly/index-ext.ts", out: "dist/vaekit-fast.wasm", flags: FAST, extra: FAST_EXTRA },
  { entry: "assembly/index-mt.ts", out: "dist/vaekit-fast-mt.wasm", flags: [...SHARED, ...FAST], extra: FAST_EXTRA },
  { entry: "assembly/testing.ts", out: "build/vaekit-fast-testing.wasm", flags: FAST, extra: FAST_EXTRA },
];

const started = performance.now();
const seconds = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
for (const [i, { entry, out: rel, flags, extra = [] }] of BUILDS.entries()) {
  const t0 = performance.now();
  const out = join(root, rel);
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  const { error } = await asc.main(
    [entry, ...extra, "--config", "asconfig.json", "--target", "release", "--outFile", tmp, ...flags],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    console.error(`build-wasm (${entry}): ${error.message}`);
    process.exit(1);
  }
  renameSync(tmp, out);
  const kb = (statSync(out).size / 1024).toFixed(1);
  console.error(`build-wasm ${i + 1}/${BUILDS.length}: ${rel} (${kb} KB) in ${seconds(t0)}`);
}
console.error(`build-wasm: ${BUILDS.length} modules in ${seconds(started)}`);
