// package.json ships dist/*.js, *.cjs, *.d.ts, *.d.cts and *.wasm: `npm run build` clears the bundles and
// declarations of an earlier build first (the .wasm files are rewritten by build-wasm.mjs), so that a chunk renamed
// or an entry removed since then is never packed.
import { existsSync, readdirSync, rmSync } from "node:fs";

const dist = new URL("../dist/", import.meta.url);
for (const f of existsSync(dist) ? readdirSync(dist) : []) {
  if (/\.(c?js|d\.c?ts)$/.test(f)) rmSync(new URL(f, dist));
}
