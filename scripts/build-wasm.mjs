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
//
// A cache in node_modules/.cache/vaekit-wasm/ skips a build whose inputs are unchanged: the key hashes every file
// under assembly/, asconfig.json, this script, the AssemblyScript version and the row's entry and flags, so any edit
// that could change a module's bytes misses it (test/sdk/build-cache.test.ts). VAEKIT_WASM_CACHE=0 turns it off.
// It saves the seven builds (~2 min on a free machine, 10+ under load) before every test run.
import asc from "assemblyscript/asc";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync } from "node:fs";
import { buildKey, sourceHash } from "./wasm-cache.mjs";
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

const CACHE = join(root, "node_modules", ".cache", "vaekit-wasm");
const CACHE_ON = process.env.VAEKIT_WASM_CACHE !== "0";
const CACHE_KEEP = 3 * BUILDS.length; // the newest modules kept (by last use): three states of assembly/ per row

function prune() {
  const files = readdirSync(CACHE).filter((f) => f.endsWith(".wasm")).map((f) => ({ f, t: statSync(join(CACHE, f)).mtimeMs }));
  files.sort((a, b) => b.t - a.t);
  for (const { f } of files.slice(CACHE_KEEP)) unlinkSync(join(CACHE, f));
}

const started = performance.now();
const seconds = (t0) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const source = CACHE_ON ? sourceHash(root) : "";
let fromCache = 0;
for (const [i, row] of BUILDS.entries()) {
  const { entry, out: rel, flags, extra = [] } = row;
  const t0 = performance.now();
  const out = join(root, rel);
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  const cached = CACHE_ON ? join(CACHE, `${buildKey(source, row)}.wasm`) : "";
  if (CACHE_ON && existsSync(cached)) {
    copyFileSync(cached, tmp);
    renameSync(tmp, out);
    const now = new Date();
    utimesSync(cached, now, now); // last use, for prune()
    fromCache++;
    continue;
  }
  const { error } = await asc.main(
    [entry, ...extra, "--config", "asconfig.json", "--target", "release", "--outFile", tmp, ...flags],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    console.error(`build-wasm (${entry}): ${error.message}`);
    process.exit(1);
  }
  // stored only if the sources didn't change while it compiled (else the key would name other bytes)
  if (CACHE_ON && sourceHash(root) === source) {
    mkdirSync(CACHE, { recursive: true });
    copyFileSync(tmp, `${cached}.${process.pid}.tmp`);
    renameSync(`${cached}.${process.pid}.tmp`, cached);
  }
  renameSync(tmp, out);
  const kb = (statSync(out).size / 1024).toFixed(1);
  console.error(`build-wasm ${i + 1}/${BUILDS.length}: ${rel} (${kb} KB) in ${seconds(t0)}`);
}
if (CACHE_ON) prune();
const cachedNote = fromCache ? ` (${fromCache} unchanged, from node_modules/.cache/vaekit-wasm)` : "";
console.error(`build-wasm: ${BUILDS.length} modules in ${seconds(started)}${cachedNote}`);
