import { defineConfig } from "vitest/config";

// test/fast/ runs the relaxed-SIMD build (dist/vaekit-fast.wasm), which Node 20 compiles only with
// --experimental-wasm-relaxed-simd: that project's workers get the flag when this Node needs it (newer engines
// have relaxed SIMD on by default). Everything else runs as users run it, without flags.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 20, 1, 18, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 26, 11,
]);
const relaxedFlag = WebAssembly.validate(RELAXED_PROBE) ? [] : ["--experimental-wasm-relaxed-simd"];

const shared = { testTimeout: 120_000, hookTimeout: 120_000, pool: "forks" } as const;

export default defineConfig({
  test: {
    globalSetup: ["test/helpers/build-wasm.setup.ts"],
    ...shared,
    // The projects share the root's options except globalSetup, which must run once (it builds every .wasm).
    projects: [
      { test: { ...shared, name: "default", include: ["test/**/*.test.ts"], exclude: ["test/fast/**"] } },
      { test: { ...shared, name: "fast", include: ["test/fast/**/*.test.ts"], execArgv: relaxedFlag } },
    ],
  },
});
