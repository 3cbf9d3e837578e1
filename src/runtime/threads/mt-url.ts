// Where dist/vaekit-mt.wasm and dist/vaekit-fast-mt.wasm (the kernels over an imported shared memory) are found when
// threads are asked for and the caller gave no shared-memory module. Like ../platform.ts, the package build
// (rollup.config.mjs) replaces this file per entry: beside the bundle by `new URL("./vaekit-mt.wasm",
// import.meta.url)` (ESM: Node, Bun, browsers, Deno; bundlers see that pattern and ship the file), by __dirname for
// CommonJS, and nowhere for workerd. Functions, resolved only when threads start (see ../platform.ts).
// This source version serves tests and development: the freshly built dist/vaekit-mt.wasm.

/** The default vaekit-mt.wasm, or undefined where this build has none. */
export const mtWasmUrl: (() => URL) | undefined = () => new URL("../../../dist/vaekit-mt.wasm", import.meta.url);
/** The default vaekit-fast-mt.wasm (precision "fast" with threads). */
export const mtFastWasmUrl: (() => URL) | undefined = () => new URL("../../../dist/vaekit-fast-mt.wasm", import.meta.url);
