// Compiles assembly/ into dist/vaekit.wasm (the exact, SIMD128 build).
// Writes to a temporary file first and renames, so concurrent builds never leave a torn module.
import asc from "assemblyscript/asc";
import { mkdirSync, renameSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "vaekit.wasm");
const tmp = `${out}.${process.pid}.tmp`;
mkdirSync(dirname(out), { recursive: true });

const { error, stderr } = await asc.main(
  ["assembly/index.ts", "--config", "asconfig.json", "--target", "release", "--outFile", tmp],
  { stdout: process.stdout, stderr: process.stderr, baseDir: root },
);
if (error) {
  console.error(`build-wasm: ${error.message}`);
  process.exit(1);
}
renameSync(tmp, out);
