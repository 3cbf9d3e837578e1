// An Engine owns one instance of vaekit.wasm: its memory, the allocator over it, and typed views.
// Nothing here is shared between engines; a model owns exactly one engine and drops it on dispose().
// With threads > 1 (threads/start.ts, loaded only then) the instance is vaekit-mt.wasm's on a shared memory,
// `k` splits the heavy kernels over a worker pool, and `pool` ends the workers.
import { Allocator } from "./allocator.js";
import type { KernelExports } from "./kernels.js";
import { InvalidConfigError } from "../errors.js";
import { compileFile, compileKernels, type EngineInfo, type WasmSource } from "./module.js";
import { fastWasmUrl } from "./platform.js";

/** A new shared memory for the shared-memory kernel build (4 GiB maximum; 1 GiB where that can't be reserved). */
export function sharedMemory(): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  } catch {
    return new WebAssembly.Memory({ initial: 1, maximum: 16384, shared: true });
  }
}

export class Engine {
  /** The kernels (with threads: the same calls, split over the pool). */
  k: KernelExports;
  /** Threads in use, the caller's included. */
  threads = 1;
  /** Why something asked for was not granted (one sentence each). */
  readonly fallbacks: string[] = [];
  /** The worker threads, when threads > 1 (stop() ends them). */
  declare pool?: { stop(): void };
  private readonly allocator: Allocator;
  private view: Float32Array;
  private readonly precision: "exact" | "fast";

  constructor(k: KernelExports, private readonly memory: WebAssembly.Memory) {
    this.k = k;
    this.precision = k.precision_fast ? "fast" : "exact";
    this.view = new Float32Array(memory.buffer);
    this.allocator = new Allocator(memory, Number(k.heap_base()), () => {
      this.view = new Float32Array(memory.buffer);
    });
  }

  /** What this engine runs (the build decides the precision: only the fast builds export precision_fast). */
  get info(): EngineInfo {
    return { precision: this.precision, threads: this.threads, fallbacks: [...this.fallbacks] };
  }

  /**
   * Instantiates the kernels (compiling them once per realm unless a module is given), on `threads` threads; with
   * `ext`, kernels that include the registry's EXT ones (vaekit-ext.wasm, or the fast or threads build). A
   * precision, if given, is settled by ./fast.js, loaded only then (dist/vaekit-fast.js); threads by
   * ./threads/start.js, loaded only for threads > 1: the default path carries neither.
   */
  static async create(source?: WasmSource, precision?: unknown, threads = 1, ext = false): Promise<Engine> {
    // a model that calls the EXT kernels (convolution, recurrent cells, …) runs vaekit-ext.wasm: ./ext.js, loaded
    // only then, finds it and checks that a module given has them (the fast and threads builds always do)
    const compile = ext ? (await import("./ext.js")).compileExtKernels : compileKernels;
    const [mod, fallbacks] = precision === undefined ? [undefined, []]
      : await (await import("./fast.js")).kernels(source, precision, compile,
        fastWasmUrl && (() => compileFile(fastWasmUrl!, "vaekit-fast.wasm")), InvalidConfigError);
    let why: Engine | string = "";
    if (threads > 1) {
      const fast = !!mod && WebAssembly.Module.exports(mod).some((x) => x.name === "precision_fast");
      why = await import("./threads/start.js").then((m) => m.startThreads(source, threads, undefined, fast), (e) => `threads: ${threads} failed to load (${e})`);
      if (typeof why !== "string") {
        why.fallbacks.push(...fallbacks);
        return why;
      }
    }
    const m = mod ?? await compile(source);
    // the shared-memory build (vaekit-mt.wasm) given for one thread: it runs alone on a memory of its own
    let memory: WebAssembly.Memory | undefined;
    if (WebAssembly.Module.imports(m).some((i) => i.kind === "memory")) {
      try {
        memory = sharedMemory();
      } catch (err) {
        throw new InvalidConfigError(`wasm: this is the shared-memory build (vaekit-mt.wasm), which needs a shared ` +
          `WebAssembly.Memory, and this runtime can't make one (${err instanceof Error ? err.message : err}); pass vaekit.wasm`);
      }
    }
    const k = (await WebAssembly.instantiate(m, memory ? { env: { memory } } : {})).exports as unknown as KernelExports;
    const e = new Engine(k, memory ?? k.memory);
    e.fallbacks.push(...fallbacks);
    if (why) e.fallbacks.push(`${why}; using 1 thread`);
    return e;
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
    return this.#live().subarray(ptr >>> 2, (ptr >>> 2) + n);
  }

  write(ptr: number, src: ArrayLike<number>, offset = 0): void {
    this.#live().set(src, (ptr >>> 2) + offset);
  }

  /** The f32 view of the whole memory, remade after the memory has grown. */
  #live(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** Copies n f32 out of memory. */
  read(ptr: number, n: number): Float32Array {
    return this.f32(ptr, n).slice();
  }
}
