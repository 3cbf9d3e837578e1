// Turns whatever the caller has (nothing, a Module, bytes, a Response, a URL) into a compiled WebAssembly.Module.
import { UnsupportedRuntimeError, VaekitError } from "../errors.js";
import { detectRuntime, hasWasmSimd } from "./env.js";
import { wasmUrl } from "./wasm-url.js";

/**
 * What `VAE.create(config, { wasm })` and `VAE.load(bytes, { wasm })` accept as the kernel module.
 *
 * @example
 * ```ts
 * const wasm: WasmSource = await WebAssembly.compileStreaming(fetch("/vaekit.wasm"));
 * ```
 */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response | URL | string;

let defaultModule: Promise<WebAssembly.Module> | undefined;

function checkEngine(): void {
  if (typeof WebAssembly !== "object") {
    throw new UnsupportedRuntimeError("this JavaScript engine has no WebAssembly; vaekit needs WebAssembly with SIMD128");
  }
  if (!hasWasmSimd()) {
    throw new UnsupportedRuntimeError(
      "this engine's WebAssembly lacks the SIMD128 proposal (fixed-width SIMD), which vaekit's kernels use; " +
        "it ships in Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+, Deno 1.9+, Bun and Cloudflare Workers",
    );
  }
}

async function fromUrl(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === "file:" && detectRuntime() !== "deno") {
    const fs = "node:fs/promises";
    const { readFile } = (await import(/* @vite-ignore */ fs)) as { readFile(u: URL): Promise<Uint8Array<ArrayBuffer>> };
    return WebAssembly.compile(await readFile(url));
  }
  return fromResponse(await fetch(url));
}

async function fromResponse(res: Response): Promise<WebAssembly.Module> {
  if (!res.ok) throw new VaekitError("WASM_LOAD", `could not load vaekit.wasm: HTTP ${res.status} for ${res.url}`);
  return WebAssembly.compile(await res.arrayBuffer());
}

/** Compiles (or accepts) the kernel module; the default one is compiled once per realm and reused. */
export function compileKernels(source?: WasmSource): Promise<WebAssembly.Module> {
  checkEngine();
  if (source === undefined) {
    defaultModule ??= fromUrl(wasmUrl).catch((e: unknown) => {
      defaultModule = undefined;
      throw e;
    });
    return defaultModule;
  }
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  if (source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (ArrayBuffer.isView(source)) {
    return WebAssembly.compile(new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice());
  }
  if (typeof Response !== "undefined" && source instanceof Response) return fromResponse(source);
  if (source instanceof URL || typeof source === "string") return fromUrl(new URL(source));
  throw new VaekitError("WASM_LOAD", "wasm must be a WebAssembly.Module, bytes, a Response or a URL");
}
