// precision "fast" loads vaekit-fast.wasm through the entry's own literal URL (src/runtime/platform.ts's fastWasmUrl,
// the pattern bundlers ship): when that file is missing, creating the model rejects with a VaekitError naming
// vaekit-fast.wasm (not vaekit.wasm), where it looked and the fix; the exact path is untouched, and a later "fast"
// model with the file given works.
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";

vi.mock("../../src/runtime/platform.js", async (importOriginal) => ({
  ...(await importOriginal<object>()),
  fastWasmUrl: () => new URL("file:///nowhere/vaekit-fast-files/vaekit-fast.wasm"),
}));

const { VAE, VaekitError } = await import("../../src/index.js");
const config = { inputSize: 6, latentSize: 2, hiddenSizes: [5], seed: 7 };

describe("vaekit-fast.wasm missing beside the entry", () => {
  it("names the file it wanted; exact still works, and so does fast with the file given", async () => {
    const e = await VAE.create(config, { precision: "fast" }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(VaekitError);
    expect((e as InstanceType<typeof VaekitError>).code).toBe("WASM_LOAD");
    expect((e as Error).message).toMatch(/^could not read vaekit-fast\.wasm at file:\/\/\/nowhere\/vaekit-fast-files\/vaekit-fast\.wasm \(.*ENOENT.*cp node_modules\/vaekit\/dist\/\*\.wasm/);
    const exact = await VAE.create(config, { precision: "exact" });
    expect(exact.engineInfo.precision).toBe("exact");
    exact.dispose();
    const wasm = new Uint8Array(readFileSync(new URL("../../dist/vaekit-fast.wasm", import.meta.url)));
    const fast = await VAE.create(config, { precision: "fast", wasm });
    expect(fast.engineInfo).toEqual({ precision: "fast", threads: 1, fallbacks: [] });
    fast.dispose();
  });
});
