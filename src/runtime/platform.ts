// How this build of vaekit finds its kernel module when the caller gives none. The package build (rollup.config.mjs)
// replaces this file once per entry, so each runtime's entry carries only the loader that works there:
//   dist/index.js   (Node, Bun)            the .wasm beside the bundle, read with node:fs
//   dist/index.cjs  (require)              the same, for CommonJS
//   dist/web.js     (browsers, Deno)       the .wasm beside the bundle, fetched by URL
//   dist/workerd.js (Cloudflare Workers)   vaekit-ext.wasm (every kernel) imported as a module (workerd compiles no
//                                          wasm from bytes)
// The ES entries name each .wasm with its own literal `new URL("./vaekit.wasm", import.meta.url)`, the pattern that
// bundlers (webpack 5, Vite, Parcel) recognise and ship beside the bundle they write. Each is a function, called
// only when the file is needed: a bundle whose import.meta.url is empty (an ES module bundled as CommonJS) must not
// fail at import, where init({ wasm }) could still help.
// This source version serves tests and development: it reads the freshly built dist/*.wasm.

/** A module compiled by the host (workerd's wasm import), or undefined when the wasm is loaded by URL. */
export const bundledModule: WebAssembly.Module | undefined = undefined;

/** Where the default vaekit.wasm lives. */
export const wasmUrl: (() => URL) | undefined = () => new URL("../../dist/vaekit.wasm", import.meta.url);

/**
 * Where vaekit-ext.wasm lives: vaekit.wasm's kernels plus the EXT ones (convolution, recurrent cells, …), loaded for
 * the models that need them; undefined where the bundled module already has every kernel (workerd).
 */
export const extWasmUrl: (() => URL) | undefined = () => new URL("../../dist/vaekit-ext.wasm", import.meta.url);

/** Where vaekit-fast.wasm (precision "fast") lives; undefined where this build can't load it by itself (workerd). */
export const fastWasmUrl: (() => URL) | undefined = () => new URL("../../dist/vaekit-fast.wasm", import.meta.url);

/** Reads a file: URL's bytes where the runtime can (Node, Bun); undefined where fetch must do it. */
export async function readFileUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const fs = "node:fs/promises";
  const { readFile } = (await import(/* @vite-ignore */ fs)) as { readFile(u: URL): Promise<Uint8Array<ArrayBuffer>> };
  return readFile(url);
}

/** True where readFileUrl works. */
export const canReadFiles = true;
