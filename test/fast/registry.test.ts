// The fast (relaxed-SIMD) builds export exactly what the kernel registry (assembly/registry.mjs) lists for their
// exact counterparts, plus the "fast" kernels (precision_fast) — names and parameter counts. The exact builds and the
// generated files are checked in test/kernels/registry.test.ts.
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { expectedExports, moduleExports, type Registry } from "../helpers/registry";

const root = fileURLToPath(new URL("../..", import.meta.url));
const registry: Registry = await import(pathToFileURL(`${root}assembly/registry.mjs`).href);

describe("kernel registry: fast builds", () => {
  for (const [build, file] of [
    ["ext", "dist/vaekit-fast.wasm"], ["mt", "dist/vaekit-fast-mt.wasm"], ["testing", "build/vaekit-fast-testing.wasm"],
  ] as const) {
    it(`${file} exports exactly the registry's "${build}" and "fast" kernels, each with its parameter count`, async () => {
      const got = await moduleExports(`${root}${file}`);
      const want = expectedExports(registry, build, true);
      expect(want.precision_fast).toBe(0);
      expect(got.others).toEqual(["memory"]);
      expect(Object.keys(got.functions).sort()).toEqual(Object.keys(want).sort());
      expect(got.functions).toEqual(want);
    });
  }
});
