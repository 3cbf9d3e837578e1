// Bundles src/ into dist/index.js (ESM) next to dist/vaekit.wasm, which scripts/build-wasm.mjs writes.
import esbuild from "rollup-plugin-esbuild";

/** Points the wasm URL at the file beside the bundle instead of the source tree's dist/. */
const wasmBesideBundle = {
  name: "vaekit-wasm-url",
  transform(code, id) {
    if (!id.replace(/\\/g, "/").endsWith("src/runtime/wasm-url.ts")) return null;
    return { code: 'export const wasmUrl = new URL("./vaekit.wasm", import.meta.url);\n', map: null };
  },
};

export default {
  input: "src/index.ts",
  output: { file: "dist/index.js", format: "es", sourcemap: false },
  plugins: [wasmBesideBundle, esbuild({ target: "es2022", minify: false })],
};
