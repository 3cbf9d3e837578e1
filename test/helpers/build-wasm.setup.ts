// Builds dist/vaekit.wasm and build/vaekit-testing.wasm once before the suite, so tests always run the current assembly/.
// It compiles the committed export lists as they are (no scripts/gen-kernels.mjs first, unlike npm run build:wasm), so
// test/kernels/registry.test.ts sees a stale generated file as it is committed.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { stdio: "inherit" });
}
