// Loading the kernels: init({ wasm }) with every kind of source, the errors for bad sources, and the error on an
// engine without wasm SIMD. (Which entry each runtime gets is checked from the packed tarball by conformance/.)
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UnsupportedRuntimeError, VAE, VaekitError, detectRuntime, hasWasmSimd, init, type WasmSource } from "../../src/index.js";

const wasmUrl = new URL("../../dist/vaekit.wasm", import.meta.url);
const bytes = () => new Uint8Array(readFileSync(wasmUrl));

async function fingerprint(wasm?: WasmSource): Promise<number[]> {
  const vae = await VAE.create({ inputSize: 6, latentSize: 2, hiddenSizes: [5], seed: 7 }, wasm === undefined ? {} : { wasm });
  try {
    return Array.from(vae.sample(2, { seed: 11 }));
  } finally {
    vae.dispose();
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("init and wasm sources", () => {
  it("detects Node and its SIMD support", () => {
    expect(detectRuntime()).toBe("node");
    expect(hasWasmSimd()).toBe(true);
  });

  it("accepts a Module, bytes (buffer or view), a Response, a URL and a URL string, all giving the same model", async () => {
    const reference = await fingerprint();
    const b = bytes();
    const sources = {
      module: new WebAssembly.Module(b),
      arrayBuffer: b.slice().buffer,
      view: new DataView(b.slice().buffer),
      response: new Response(b.slice(), { headers: { "content-type": "application/wasm" } }),
      responseWithoutType: new Response(b.slice()),
      url: wasmUrl,
      urlString: wasmUrl.href,
    };
    for (const [name, wasm] of Object.entries(sources)) {
      expect(await fingerprint(wasm), name).toEqual(reference);
    }
  });

  it("init({ wasm }) makes the given module the default for later models", async () => {
    const compile = vi.spyOn(WebAssembly, "compile");
    await init({ wasm: bytes() });
    expect(compile).toHaveBeenCalledTimes(1);
    compile.mockClear();
    await fingerprint();
    expect(compile).not.toHaveBeenCalled();
  });

  it("rejects sources that are not wasm, saying what it accepts", async () => {
    await expect(init({ wasm: 42 as never })).rejects.toThrow(/WebAssembly\.Module, bytes .*Response or a URL; got the number 42/);
    await expect(init({ wasm: "vaekit.wasm" })).rejects.toThrow(/"vaekit\.wasm" is not an absolute URL/);
    await expect(init({ wasm: new Response("nope", { status: 404 }) })).rejects.toThrow(/HTTP 404/);
    const err = await init({ wasm: new Response("nope", { status: 404 }) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaekitError);
    expect((err as VaekitError).code).toBe("WASM_LOAD");
    // bytes that don't compile: a VaekitError naming why (issue 17), not the engine's CompileError
    const bad = await init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0]) }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(VaekitError);
    expect((bad as VaekitError).code).toBe("WASM_LOAD");
    expect((bad as Error).message).toMatch(/^wasm: WebAssembly\.compile\(\)/);
  });

  it("a source that fails to load rejects with the reason and later loads still work", async () => {
    const missing = new URL("./no-such-file.wasm", wasmUrl);
    await expect(VAE.create({ inputSize: 4, latentSize: 2 }, { wasm: missing })).rejects.toThrow(/ENOENT|no such file/);
    expect(await fingerprint()).toHaveLength(12);
  });

  it("names what is missing on an engine without wasm SIMD", async () => {
    vi.spyOn(WebAssembly, "validate").mockReturnValue(false);
    expect(hasWasmSimd()).toBe(false);
    const err = await VAE.create({ inputSize: 4, latentSize: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedRuntimeError);
    expect((err as Error).message).toMatch(/SIMD128/);
    await expect(init()).rejects.toThrow(UnsupportedRuntimeError);
  });
});
