// dist/vaekit-ext.wasm: the default kernels plus the registry's EXT ones (convolution, recurrent cells, …), loaded by
// the models that need them (Engine.create's `ext`) so that the default entry's vaekit.wasm stays small. Its default
// kernels are the same functions compiled into another module: a model gives the same bits on either.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VAE } from "../../src/index.js";
import { Engine } from "../../src/runtime/engine.js";
import { compileExtKernels, missingExt } from "../../src/runtime/ext.js";
import { EXT_KERNELS } from "../../src/runtime/kernels.generated.js";

const file = (name: string) => new Uint8Array(readFileSync(new URL(`../../dist/${name}`, import.meta.url)));
const config = { inputSize: 12, latentSize: 3, hiddenSizes: [9], seed: 5 };
const data = Float32Array.from({ length: 40 * 12 }, (_, i) => ((i * 7919) % 97) / 97);

describe("vaekit-ext.wasm", () => {
  it("exports every kernel of vaekit.wasm and every EXT kernel; vaekit.wasm lacks every EXT kernel", async () => {
    const ext = await WebAssembly.compile(file("vaekit-ext.wasm"));
    const plain = await WebAssembly.compile(file("vaekit.wasm"));
    const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name).sort();
    expect(missingExt(ext)).toEqual([]);
    expect(missingExt(plain)).toEqual([...EXT_KERNELS]);
    expect(names(ext)).toEqual([...new Set([...names(plain), ...EXT_KERNELS])].sort());
    // the threads build carries them too (the fast builds: test/fast/registry.test.ts)
    expect(missingExt(await WebAssembly.compile(file("vaekit-mt.wasm")))).toEqual([]);
  });

  it("an engine asked for the EXT kernels runs vaekit-ext.wasm by itself, once compiled per realm", async () => {
    const a = await compileExtKernels();
    expect(await compileExtKernels()).toBe(a);
    expect(missingExt(a)).toEqual([]);
    const e = await Engine.create(undefined, undefined, 1, true);
    expect(typeof e.k.heap_base).toBe("function");
    for (const n of EXT_KERNELS) expect(typeof (e.k as unknown as Record<string, unknown>)[n], n).toBe("function");
  });

  it("training and inference give the same bits on vaekit-ext.wasm as on vaekit.wasm", async () => {
    const run = async (wasm: Uint8Array) => {
      const vae = await VAE.create(config, { wasm });
      const history = await vae.fit(data, { epochs: 2, batchSize: 8, shuffle: true });
      const out = { history: history.map((h) => h.loss), weights: vae.save(), rec: vae.reconstruct(data.subarray(0, 24)) };
      vae.dispose();
      return out;
    };
    const plain = await run(file("vaekit.wasm"));
    const ext = await run(file("vaekit-ext.wasm"));
    expect(ext.history).toEqual(plain.history);
    expect(Buffer.from(ext.weights).equals(Buffer.from(plain.weights))).toBe(true);
    expect(ext.rec).toEqual(plain.rec);
  });
});
