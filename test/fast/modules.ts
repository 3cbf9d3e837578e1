// Raw handles on the two test builds, for the fast-vs-exact kernel tests: build/vaekit-testing.wasm (exact) and
// build/vaekit-fast-testing.wasm (the same kernels compiled with relaxed-SIMD FMA). Same bump allocator as
// test/helpers/wasm.ts, so the two instances hold the same tensors at the same addresses.
import { readFileSync } from "node:fs";
import type { Kernels } from "../helpers/wasm.js";

const paths = {
  exact: new URL("../../build/vaekit-testing.wasm", import.meta.url),
  fast: new URL("../../build/vaekit-fast-testing.wasm", import.meta.url),
};
const modules: Partial<Record<keyof typeof paths, WebAssembly.Module>> = {};

/** A fresh instance of the exact or the fast test build. */
export function loadBuild(which: keyof typeof paths): Kernels {
  const mod = (modules[which] ??= new WebAssembly.Module(readFileSync(paths[which])));
  const x = new WebAssembly.Instance(mod, {}).exports as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const memory = x.memory as WebAssembly.Memory;
  const base = Math.max(4096, (Number(x.heap_base()) + 15) & ~15);
  let top = base;
  const k: Kernels = {
    x,
    memory,
    alloc(n: number): number {
      const p = top;
      top = (top + Math.max(1, n) * 4 + 15) & ~15;
      const need = top + 64 - memory.buffer.byteLength;
      if (need > 0) memory.grow(Math.ceil(need / 65536));
      new Uint8Array(memory.buffer, p, top - p).fill(0);
      return p;
    },
    put(data: ArrayLike<number>): number {
      const p = k.alloc(data.length);
      k.f32(p, data.length).set(data);
      return p;
    },
    f32: (ptr, n) => new Float32Array(memory.buffer, ptr, n),
    get: (ptr, n) => new Float32Array(memory.buffer, ptr, n).slice(),
    reset(): void {
      top = base;
    },
  };
  return k;
}

/** The two builds side by side. */
export function loadBoth(): { exact: Kernels; fast: Kernels } {
  return { exact: loadBuild("exact"), fast: loadBuild("fast") };
}
