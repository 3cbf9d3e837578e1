// The cache key of scripts/build-wasm.mjs: a hash of everything a module's bytes depend on (every file under
// assembly/, asconfig.json, the build script, the AssemblyScript version) and of the build row (entry, flags).
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

/** Every file under `dir`, relative to `root`, sorted (so the hash doesn't depend on readdir's order). */
function filesUnder(root, dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(root, p));
    else out.push(relative(root, p));
  }
  return out.sort();
}

/** The hash of the sources under `root` that every build row reads. */
export function sourceHash(root) {
  const h = createHash("sha256");
  for (const f of [...filesUnder(root, join(root, "assembly")), "asconfig.json", "scripts/build-wasm.mjs"]) {
    h.update(`${f}\0`).update(readFileSync(join(root, f))).update("\0");
  }
  h.update(JSON.parse(readFileSync(join(root, "node_modules", "assemblyscript", "package.json"), "utf8")).version);
  return h.digest("hex");
}

/** One build row's key: the sources' hash with the row's entry, flags and extra files. */
export function buildKey(source, { entry, flags, extra = [] }) {
  return createHash("sha256").update(JSON.stringify([source, entry, flags, extra])).digest("hex").slice(0, 32);
}
