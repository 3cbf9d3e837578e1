// Starts an engine on several threads (loaded only when `threads > 1` is asked for): checks that this runtime can
// run them, loads dist/vaekit-mt.wasm (the kernels over an imported shared memory), instantiates it on a new
// shared memory for the caller's thread, starts the worker pool and swaps in the split kernels. Returns the
// engine, or the sentence saying why threads can't run here (the caller then uses one thread and reports it).
import { Engine, sharedMemory } from "../engine.js";
import type { KernelExports } from "../kernels.js";
import { detectRuntime } from "../env.js";
import { compileFile, compileKernels, type WasmSource } from "../module.js";
import { parallelKernels, WORKER_KERNELS, type MtKernelExports, type SplitThresholds } from "./parallel.js";
import { mtFastWasmUrl, mtWasmUrl } from "./mt-url.js";
import { controlBytes, Pool } from "./pool.js";

const ISOLATION = "serve the page with the headers Cross-Origin-Opener-Policy: same-origin and " +
  "Cross-Origin-Embedder-Policy: require-corp";

/** Why this runtime can't run worker threads, or "" if it can. */
function unsupported(): string {
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  const rt = detectRuntime();
  if (rt === "workerd") return "Cloudflare Workers (workerd) cannot start threads";
  if (g.crossOriginIsolated === false && rt !== "node" && rt !== "deno" && rt !== "bun") return `this page is not cross-origin isolated (${ISOLATION})`;
  if (typeof SharedArrayBuffer !== "function") {
    return rt === "browser" ? `SharedArrayBuffer is missing (${ISOLATION})` : "this runtime has no SharedArrayBuffer";
  }
  if (rt !== "node" && rt !== "bun" && typeof g.Worker !== "function") return "this runtime has no Web Worker";
  return "";
}

const importsMemory = (m: WebAssembly.Module): boolean =>
  WebAssembly.Module.imports(m).some((i) => i.kind === "memory");

const defaultThreaded: Promise<WebAssembly.Module>[] = [];

/**
 * The shared-memory module: the one given if it is one, else vaekit-mt.wasm (vaekit-fast-mt.wasm when `fast`)
 * beside the default vaekit.wasm.
 */
async function threadedModule(source: WasmSource | undefined, fast: boolean): Promise<WebAssembly.Module> {
  if (source !== undefined) {
    const given = await compileKernels(source);
    if (importsMemory(given)) return given;
  }
  const url = fast ? mtFastWasmUrl : mtWasmUrl;
  if (!url) throw new Error("this build has no URL for it");
  const slot = fast ? 1 : 0;
  defaultThreaded[slot] ??= compileFile(url, fast ? "vaekit-fast-mt.wasm" : "vaekit-mt.wasm").catch((e: unknown) => {
    delete defaultThreaded[slot];
    throw e;
  });
  const m = await defaultThreaded[slot];
  if (!importsMemory(m)) throw new Error("it is not the shared-memory build");
  return m;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** An engine running on `threads` threads, or why it can't be had (`min`: tests lower the split thresholds). */
export async function startThreads(
  source: WasmSource | undefined, threads: number, min?: SplitThresholds, fast = false,
): Promise<Engine | string> {
  const no = (why: string): string => `threads: ${threads} was requested but ${why}`;
  const why = unsupported();
  if (why) return no(why);
  let memory: WebAssembly.Memory;
  try {
    memory = sharedMemory();
  } catch (e) {
    return no(`a shared WebAssembly.Memory could not be created (${message(e)})`);
  }
  let module: WebAssembly.Module;
  try {
    module = await threadedModule(source, fast);
  } catch (e) {
    return no(`${fast ? "vaekit-fast-mt.wasm" : "vaekit-mt.wasm"}, the kernels for threads, could not be loaded (${message(e)}); serve it beside ` +
      "vaekit.wasm, or pass it as the wasm option");
  }
  let pool: Pool | undefined;
  try {
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const k = instance.exports as unknown as MtKernelExports;
    const e = new Engine(k, memory);
    const ctrl = e.alloc(controlBytes(threads) / 4);
    pool = await Pool.start(module, memory, ctrl, threads, WORKER_KERNELS);
    e.k = parallelKernels(k, pool, min) as KernelExports;
    e.threads = threads;
    e.pool = pool;
    return e;
  } catch (err) {
    pool?.stop();
    return no(`its worker threads could not be started (${message(err)})`);
  }
}
