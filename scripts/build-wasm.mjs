// Compiles assembly/ twice with the same options (asconfig.json, exact SIMD128 build):
//   dist/vaekit.wasm              from assembly/index.ts   — shipped: only the kernels the SDK calls
//   build/vaekit-testing.wasm     from assembly/testing.ts — tests and bench: adds every scalar twin, raw GEMMs
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

for (const { entry, out } of builds) {
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  const { error } = await asc.main(
    [entry, "--config", "asconfig.json", "--target", "release", "--outFile", tmp],
    { stdout: process.stdout, stderr: process.stderr, baseDir: root },
  );
  if (error) {
    console.error(`build-wasm (${entry}): ${error.message}`);
    process.exit(1);
  }
  renameSync(tmp, out);
}
