// Raw handles on the two test builds, for the fast-vs-exact kernel tests: build/vaekit-testing.wasm (exact) and
// build/vaekit-fast-testing.wasm (the same kernels compiled with relaxed-SIMD FMA). The bump allocator of
// test/helpers/wasm.ts, so the two instances hold the same tensors at the same addresses.
import { readFileSync } from "node:fs";
import { instantiateKernels, type Kernels } from "../helpers/wasm.js";

const paths = {
  exact: new URL("../../build/vaekit-testing.wasm", import.meta.url),
  fast: new URL("../../build/vaekit-fast-testing.wasm", import.meta.url),
};
const modules: Partial<Record<keyof typeof paths, WebAssembly.Module>> = {};

/** A fresh instance of the exact or the fast test build. */
export function loadBuild(which: keyof typeof paths): Kernels {
  return instantiateKernels((modules[which] ??= new WebAssembly.Module(readFileSync(paths[which]))));
}

/** The two builds side by side. */
export function loadBoth(): { exact: Kernels; fast: Kernels } {
  return { exact: loadBuild("exact"), fast: loadBuild("fast") };
}
