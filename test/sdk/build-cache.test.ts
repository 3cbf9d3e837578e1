// scripts/build-wasm.mjs skips a build whose cache key is unchanged: the key must change with anything that can
// change a module's bytes, and only with that.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error a plain .mjs script without types
import { buildKey, sourceHash } from "../../scripts/wasm-cache.mjs";

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "vaekit-cache-"));
  dirs.push(root);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(root, f, ".."), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}
const BASE = {
  "assembly/index.ts": "export function f(): i32 { return 1; }\n",
  "assembly/sub/gemm.ts": "// tiles\n",
  "asconfig.json": "{}\n",
  "scripts/build-wasm.mjs": "// build\n",
  "node_modules/assemblyscript/package.json": JSON.stringify({ version: "0.28.0" }),
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("wasm build cache key", () => {
  it("is the same for the same sources, wherever they are", () => {
    expect(sourceHash(tree(BASE))).toBe(sourceHash(tree(BASE)));
  });

  it.each([
    ["a byte of a nested kernel file", { "assembly/sub/gemm.ts": "// tileS\n" }],
    ["a new file under assembly/", { "assembly/extra.ts": "" }],
    ["asconfig.json", { "asconfig.json": "{ }\n" }],
    ["the build script", { "scripts/build-wasm.mjs": "// build 2\n" }],
    ["the AssemblyScript version", { "node_modules/assemblyscript/package.json": JSON.stringify({ version: "0.28.1" }) }],
  ])("changes with %s", (_, change) => {
    expect(sourceHash(tree({ ...BASE, ...change }))).not.toBe(sourceHash(tree(BASE)));
  });

  it("changes when a file is renamed, even with the same contents", () => {
    const a = tree(BASE);
    const before = sourceHash(a);
    renameSync(join(a, "assembly/sub/gemm.ts"), join(a, "assembly/sub/gemm2.ts"));
    expect(sourceHash(a)).not.toBe(before);
  });

  it("differs between build rows (entry, flags, extra files)", () => {
    const s = sourceHash(tree(BASE));
    const row = { entry: "assembly/index.ts", flags: [] as string[] };
    const keys = [
      buildKey(s, row),
      buildKey(s, { ...row, entry: "assembly/index-ext.ts" }),
      buildKey(s, { ...row, flags: ["--enable", "relaxed-simd"] }),
      buildKey(s, { ...row, flags: ["--enable", "relaxed-simd"], extra: ["assembly/fast.ts"] }),
      buildKey(s + "0", row),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(buildKey(s, row)).toBe(buildKey(s, { ...row }));
  });

  it("hashes the repository's own sources the same twice", () => {
    const root = join(import.meta.dirname, "..", "..");
    expect(sourceHash(root)).toMatch(/^[0-9a-f]{64}$/);
    expect(sourceHash(root)).toBe(sourceHash(root));
  });
});
