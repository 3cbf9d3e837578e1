// Turns whatever the caller has (nothing, a Module, bytes, a Response, a URL) into a compiled WebAssembly.Module.
import { UnsupportedRuntimeError, VaekitError } from "../errors.js";
import { kind, show } from "../errors-format.js";
import { detectRuntime, hasWasmSimd } from "./env.js";
import { bundledModule, canReadFiles, readFileUrl, wasmUrl } from "./platform.js";

/**
 * What `init({ wasm })`, `VAE.create(config, { wasm })` and `VAE.load(bytes, { wasm })` accept as the kernel module:
 * a compiled `WebAssembly.Module`, the bytes of vaekit.wasm, a `Response` (e.g. from `fetch`) or a URL to fetch.
 *
 * @example
 * ```ts
 * const wasm: WasmSource = await WebAssembly.compileStreaming(fetch("/vaekit.wasm"));
 * ```
 */
export type WasmSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView | Response | URL | string;

let defaultModule: Promise<WebAssembly.Module> | undefined;
/** The module init({ wasm }) was given, if any (./ext.js uses it when it has the EXT kernels). */
export let initModule: Promise<WebAssembly.Module> | undefined;

/**
 * How the kernels do arithmetic. "exact" (the default): plain SIMD128, the same bits in every engine and on every
 * CPU. "fast": the GEMMs use relaxed-SIMD fused multiply-add (vaekit-fast.wasm): faster, but results may differ
 * in the last bits from "exact" and between CPUs. See `model.engineInfo` for what a model actually got.
 *
 * @example
 * ```ts
 * const precision: Precision = "fast";
 * const vae = await VAE.create(config, { precision });
 * ```
 */
export type Precision = "exact" | "fast";

/**
 * What a model's engine actually runs (`model.engineInfo`): its precision and thread count, and one sentence
 * for each thing that was asked for but not granted (e.g. "fast" on an engine without relaxed SIMD).
 *
 * @example
 * ```ts
 * const { precision, fallbacks } = vae.engineInfo;
 * if (fallbacks.length) console.warn(fallbacks.join("\n"));
 * ```
 */
export interface EngineInfo {
  precision: Precision;
  threads: number;
  fallbacks: string[];
}

/** Throws UnsupportedRuntimeError where the engine lacks WebAssembly or its SIMD128. */
export function checkEngine(): void {
  if (typeof WebAssembly !== "object") {
    throw new UnsupportedRuntimeError("this JavaScript engine has no WebAssembly; vaekit needs WebAssembly with SIMD128");
  }
  if (!hasWasmSimd()) {
    throw new UnsupportedRuntimeError(
      "this engine's WebAssembly lacks the SIMD128 proposal (fixed-width SIMD), which vaekit's kernels use; " +
        "it ships in Chrome/Edge 91+, Firefox 89+, Safari 16.4+, Node 16.4+, Deno 1.9+, Bun and Cloudflare Workers",
    );
  }
}

// What a failed load says about the files vaekit ships beside its entry (the one place a user can act on it).
const SHIP = " beside vaekit's JavaScript (esbuild and Rollup don't copy .wasm files: add " +
  "`cp node_modules/vaekit/dist/*.wasm <your output folder>` to the build), or pass it yourself with init({ wasm })";

async function fromUrl(url: URL, file: string): Promise<WebAssembly.Module> {
  if (url.protocol === "file:" && canReadFiles && detectRuntime() !== "deno") {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readFileUrl(url);
    } catch (e) {
      throw new VaekitError("WASM_LOAD", `could not read ${file} at ${url.href} (${(e as Error).message}); put it${SHIP}`);
    }
    return compileAs(bytes, file, url.href);
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new VaekitError("WASM_LOAD", `could not fetch ${file} from ${url.href} (${(e as Error).message}); serve it${SHIP}`);
  }
  return fromResponse(res, file);
}

async function fromResponse(res: Response, file = "vaekit.wasm"): Promise<WebAssembly.Module> {
  const where = res.url || "the response given";
  if (!res.ok) {
    throw new VaekitError("WASM_LOAD", `could not load ${file}: HTTP ${res.status} for ${where}; serve it${SHIP}`);
  }
  const type = res.headers.get("content-type") ?? "";
  return compileAs(
    typeof WebAssembly.compileStreaming === "function" && type.split(";")[0].trim() === "application/wasm" ? res : await res.arrayBuffer(),
    file, where,
  );
}

/** Compiles a file loaded by URL; what came instead of it (say, a server's HTML page) is a VaekitError naming it. */
async function compileAs(src: Response | BufferSource, file: string, where: string): Promise<WebAssembly.Module> {
  try {
    return await (src instanceof Response ? WebAssembly.compileStreaming(src) : WebAssembly.compile(src));
  } catch (e) {
    throw new VaekitError("WASM_LOAD", `${where} is not ${file} (${(e as Error).message}); serve the file${SHIP}`);
  }
}

/** Loads a .wasm shipped beside this entry; its URL is resolved only now, so that a bundle never fails at import. */
export function compileFile(url: () => URL, file: string): Promise<WebAssembly.Module> {
  let u: URL;
  try {
    u = url();
  } catch (e) {
    return Promise.reject(new VaekitError("WASM_LOAD", `could not locate ${file} (${(e as Error).message}): this bundle ` +
      "has no import.meta.url (vaekit's ES module bundled as CommonJS or an IIFE?); bundle as ES modules " +
      "(esbuild: --format=esm), or pass it yourself with init({ wasm })"));
  }
  return fromUrl(u, file);
}

function compileDefault(): Promise<WebAssembly.Module> {
  return bundledModule ? Promise.resolve(bundledModule) : compileFile(wasmUrl!, "vaekit.wasm");
}

/**
 * Compiles (or accepts) the kernel module; the default one is compiled once per realm and reused. A given source
 * that doesn't compile, or isn't vaekit's kernels, rejects with a VaekitError (code "WASM_LOAD") saying so.
 */
export function compileKernels(source?: WasmSource): Promise<WebAssembly.Module> {
  checkEngine();
  if (source === undefined) return compileSource(source);
  return compileSource(source).then((m) => {
    if (!WebAssembly.Module.exports(m).some((x) => x.name == "heap_base")) throw Error("not vaekit's kernels");
    return m;
  }).catch((e: unknown) => {
    throw e instanceof VaekitError ? e : new VaekitError("WASM_LOAD", `wasm: ${(e as Error).message}; pass vaekit.wasm`);
  });
}

function compileSource(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source === undefined) {
    defaultModule ??= compileDefault().catch((e: unknown) => {
      defaultModule = undefined;
      throw e;
    });
    return defaultModule;
  }
  if (source instanceof WebAssembly.Module) return Promise.resolve(source);
  if (source instanceof ArrayBuffer) return WebAssembly.compile(source);
  if (ArrayBuffer.isView(source)) {
    return WebAssembly.compile(new Uint8Array(source.buffer, source.byteOffset, source.byteLength).slice());
  }
  if (typeof Response !== "undefined" && source instanceof Response) return fromResponse(source);
  if (source instanceof URL || typeof source === "string") {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return Promise.reject(new VaekitError("WASM_LOAD", `wasm URL ${show(String(source))} is not an absolute URL`));
    }
    return fromUrl(url, decodeURIComponent(url.pathname.split("/").pop() || url.href));
  }
  return Promise.reject(new VaekitError(
    "WASM_LOAD",
    `wasm must be a WebAssembly.Module, bytes (ArrayBuffer or a typed array), a Response or a URL; got ${kind(source)}`,
  ));
}

/**
 * Options of {@link init}.
 *
 * @example
 * ```ts
 * const options: InitOptions = { wasm: new URL("/assets/vaekit.wasm", location.href) };
 * ```
 */
export interface InitOptions {
  /** The kernel module, for runtimes or bundlers vaekit doesn't detect. Default: the vaekit.wasm shipped beside this entry. */
  wasm?: WasmSource;
}

/**
 * Compiles vaekit's kernels ahead of the first model and makes them the default for this realm. Optional: models
 * load the shipped vaekit.wasm on their own. Call it to give the module explicitly (an unusual bundler, a CDN, a
 * precompiled `WebAssembly.Module`) or to pay the compile cost early. Rejects with `UnsupportedRuntimeError` when the
 * engine lacks WebAssembly SIMD128, and with a `VaekitError` (code "WASM_LOAD") when the module can't be loaded.
 *
 * @example
 * ```ts
 * import { init, VAE } from "vaekit";
 * await init({ wasm: await fetch("/static/vaekit.wasm") });
 * const vae = await VAE.create({ inputSize: 784, latentSize: 20 });
 * ```
 */
export async function init(options: InitOptions = {}): Promise<void> {
  const compiled = compileKernels(options.wasm);
  await compiled;
  if (options.wasm !== undefined) defaultModule = initModule = compiled;
}
