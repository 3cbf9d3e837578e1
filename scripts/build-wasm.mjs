// Compiles assembly/ with the same options (asconfig.json) into each build below:
//   dist/vaekit.wasm              from assembly/index.ts   — shipped: only the kernels the SDK calls
//   build/vaekit-testing.wasm     from assembly/testing.ts — tests and bench: adds every scalar twin, raw GEMMs
//   dist/vaekit-fast.wasm, build/vaekit-fast-testing.wasm — the same two with `--enable relaxed-simd`: the GEMMs'
//     multiply-adds become f32x4.relaxed_madd (assembly/madd.ts); assembly/fast.ts adds the precision_fast export
// Each is written to a temporary file first and renamed, so concurrent builds never leave a torn module.
import asc from "assemblyscript/asc";
import { mkdirSync, renameSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const builds = [
  { entry: "assembly/index.ts", out: join(root, "dist", "vaekit.wasm") },
  { entry: "assembly/testing.ts", out: join(root, "build", "vaekit-testing.wasm") },
];
const FAST = { extra: ["assembly/fast.ts"], flags: ["--enable", "relaxed-simd"] };
builds.push(
  { entry: "assembly/index.ts", out: join(root, "dist", "vaekit-fast.wasm"), ...FAST },
  { entry: "assembly/testing.ts", out: join(root, "build", "vaekit-fast-testing.wasm"), ...FAST },
);

for (const { entry, out, extra = [], flags = [] } of builds) {
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  const { error } = await asc.main(
    [entry, ...extra, "--config", "asconfig.json", "--target", "release", ...flags, "--outFile", tmp],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    console.error(`build-wasm (${entry}): ${error.message}`);
    process.exit(1);
  }
  renameSync(tmp, out);
}
