// Where vaekit.wasm sits relative to this module. The package build rewrites this file so the URL points
// beside the bundled entry (dist/vaekit.wasm); from source it points at the freshly built dist/vaekit.wasm.
export const wasmUrl: URL = new URL("../../dist/vaekit.wasm", import.meta.url);
