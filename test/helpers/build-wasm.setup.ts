// Builds dist/vaekit.wasm and build/vaekit-testing.wasm once before the suite, so tests always run the current assembly/.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  execFileSync(process.execPath, ["scripts/build-wasm.mjs"], { stdio: "inherit" });
}
