// An Engine owns one instance of vaekit.wasm: its memory, the allocator over it, and typed views.
// Nothing here is shared between engines; a model owns exactly one engine and drops it on dispose().
import { Allocator } from "./allocator.js";
import type { KernelExports } from "./kernels.js";
import { InvalidConfigError } from "../errors.js";
import { compileKernels, type EngineInfo, type WasmSource } from "./module.js";
import { wasmUrl } from "./platform.js";

export class Engine {
  readonly k: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly allocator: Allocator;
  private view: Float32Array;
  /** What this engine runs (the build decides the precision: only vaekit-fast.wasm exports precision_fast). */
  readonly info: EngineInfo;

  private constructor(instance: WebAssembly.Instance, fallbacks: string[]) {
    this.k = instance.exports as unknown as KernelExports;
    this.info = { precision: this.k.precision_fast ? "fast" : "exact", threads: 1, fallbacks };
    this.memory = this.k.memory;
    this.view = new Float32Array(this.memory.buffer);
    this.allocator = new Allocator(this.memory, Number(this.k.heap_base()), () => {
      this.view = new Float32Array(this.memory.buffer);
    });
  }

  /**
   * Instantiates the kernels (compiling them once per realm unless a module is given). A precision, if given, is
   * settled by ./fast.js, loaded only then (dist/vaekit-fast.js): the default path carries none of it.
   */
  static async create(source?: WasmSource, precision?: unknown): Promise<Engine> {
    const [mod, fallbacks] = precision === undefined ? [await compileKernels(source), []]
      : await (await import("./fast.js")).kernels(source, precision, compileKernels, wasmUrl, InvalidConfigError);
    const instance = await WebAssembly.instantiate(mod, {});
    return new Engine(instance, fallbacks);
  }

  /** Allocates n zeroed f32 and returns the byte pointer. */
  alloc(n: number): number {
    return this.allocator.alloc(n * 4);
  }

  release(ptr: number): void {
    this.allocator.release(ptr);
  }

  /** Size of linear memory in bytes (it never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** A live view of n f32 at ptr; valid until the next allocation. */
  f32(ptr: number, n: number): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view.subarray(ptr >>> 2, (ptr >>> 2) + n);
  }

  write(ptr: number, src: ArrayLike<number>, offset = 0): void {
    this.f32(ptr + offset * 4, src.length).set(src);
  }

  /** Copies n f32 out of memory. */
  read(ptr: number, n: number): Float32Array {
    return this.f32(ptr, n).slice();
  }
}
