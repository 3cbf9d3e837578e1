// A raw handle on a fresh build/vaekit-testing.wasm instance (the shipped kernels plus their scalar twins) for kernel tests: exports, typed views and a bump allocator.
import { readFileSync } from "node:fs";

const wasmPath = new URL("../../build/vaekit-testing.wasm", import.meta.url);

export interface Kernels {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly x: Record<string, any>;
  readonly memory: WebAssembly.Memory;
  /** Allocates n f32 (16-byte aligned, zeroed), growing memory as needed; returns a byte pointer. */
  alloc(n: number): number;
  /** Allocates and fills from data; returns the pointer. */
  put(data: ArrayLike<number>): number;
  /** A fresh Float32Array view (re-made on every call, so it survives memory growth). */
  f32(ptr: number, n: number): Float32Array;
  /** Copies n f32 out of memory. */
  get(ptr: number, n: number): Float32Array;
  /** Frees everything allocated so far. */
  reset(): void;
}

let mod: WebAssembly.Module | undefined;

/** A fresh instance of build/vaekit-testing.wasm. */
export function loadKernels(): Kernels {
  mod ??= new WebAssembly.Module(readFileSync(wasmPath));
  return instantiateKernels(mod);
}

/** A fresh instance of any testing build (e.g. the fast one) with the same bump allocator and views. */
export function instantiateKernels(module: WebAssembly.Module): Kernels {
  const inst = new WebAssembly.Instance(module, {});
  const x = inst.exports as Record<string, any>;
  const memory = x.memory as WebAssembly.Memory;
  // Allocations start at 4096 at the lowest, so tests can check that a 0 pointer made a kernel write nothing
  // into the first page (the module's own data may end below it).
  const base = Math.max(4096, (Number(x.heap_base()) + 15) & ~15);
  let top = base;
  const k: Kernels = {
    x,
    memory,
    alloc(n: number): number {
      const p = top;
      top = (top + Math.max(1, n) * 4 + 15) & ~15;
      const need = top + 64 - memory.buffer.byteLength; // 64 bytes of slack: kernels may read a tail vector
      if (need > 0) memory.grow(Math.ceil(need / 65536));
      new Uint8Array(memory.buffer, p, top - p).fill(0);
      return p;
    },
    put(data: ArrayLike<number>): number {
      const p = k.alloc(data.length);
      k.f32(p, data.length).set(data);
      return p;
    },
    f32(ptr: number, n: number): Float32Array {
      return new Float32Array(memory.buffer, ptr, n);
    },
    get(ptr: number, n: number): Float32Array {
      return new Float32Array(memory.buffer, ptr, n).slice();
    },
    reset(): void {
      top = base;
    },
  };
  return k;
}

/** Deterministic uniform floats in [lo, hi) for test inputs (mulberry32). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}
