// The precision choice, loaded only when a model is created or loaded with `{ precision }`: the package build
// ships it as dist/vaekit-fast.js, which every entry imports lazily (src/runtime/engine.ts), so the default entry
// carries none of it. It takes the core's loader, the entry's loader of vaekit-fast.wasm (the entry holds the literal
// `new URL("./vaekit-fast.wasm", import.meta.url)` that bundlers see and ship) and InvalidConfigError as arguments
// and imports nothing of the core, so that one copy serves every entry.
//
// Rules (README, "Precision"):
// - no precision (never reaches this file): the module given, or vaekit.wasm; engineInfo reports which build it is.
// - "exact": the module given (or vaekit.wasm); a module that is the fast build is refused (InvalidConfigError).
// - "fast": needs relaxed SIMD whose multiply-add fuses. Without it: vaekit.wasm (or an exact Module given) and a
//   reason. With it: the module given, or vaekit-fast.wasm beside vaekit.wasm; a given module that is the exact
//   build runs as "exact", with a reason. workerd (which only imports .wasm as modules) can't fetch
//   vaekit-fast.wasm: pass it.
// Which build a module is comes from its exports (vaekit-fast.wasm alone exports precision_fast).
import type { WasmSource } from "./module.js";

/** The core's loader: compiles the source given, or returns the realm's default vaekit.wasm. */
type Compile = (source?: WasmSource) => Promise<WebAssembly.Module>;

// A module exporting f() = lane 0 of f32x4.relaxed_madd(a, a, c) with a = 1 + 2^-12, c = −(1 + 2^-11): 2^-24 where
// the engine fuses (one rounding), 0 where it multiplies then adds. It validates only where the engine has relaxed SIMD.
const PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 125, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 31, 1, 29, 0,
  67, 0, 8, 128, 63, 253, 19, 67, 0, 8, 128, 63, 253, 19, 67, 0, 16, 128, 191, 253, 19, 253, 133, 2, 253, 31, 0, 11,
]);

/** True when the engine compiles relaxed-SIMD code (the fast build needs it). */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(PROBE);
}

/**
 * True when the engine's relaxed_madd is a fused multiply-add (V8 and SpiderMonkey on CPUs with FMA). JavaScriptCore
 * (Bun) on x86-64 multiplies then adds: the fast build then gives the exact build's bits at the exact build's speed.
 * Where no wasm may be compiled from bytes (workerd) the probe can't run; workerd is V8, which fuses.
 */
export function fusesMultiplyAdd(): boolean {
  try {
    const f = new WebAssembly.Instance(new WebAssembly.Module(PROBE)).exports.f as () => number;
    return f() === 2 ** -24;
  } catch {
    return true;
  }
}

/** True when the module is vaekit-fast.wasm. */
export function isFastBuild(m: WebAssembly.Module): boolean {
  return WebAssembly.Module.exports(m).some((e) => e.name === "precision_fast");
}

const NO_RELAXED =
  "this engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; Node 22+, Deno, Bun, " +
  "Cloudflare Workers, Chrome 114+ and Firefox 120+ have it)";
const UNFUSED =
  "this engine's relaxed SIMD multiplies and adds without fusing them (JavaScriptCore, e.g. Bun, on x86-64), so " +
  "the fast build would compute the exact build's bits at its speed";
const GIVEN_EXACT = "the wasm given is vaekit.wasm, the exact build (pass vaekit-fast.wasm for \"fast\")";
const NO_LOADER =
  "this runtime can't load vaekit-fast.wasm by itself (workerd imports .wasm files only as modules): import " +
  "vaekit-fast.wasm and pass it as { wasm, precision: \"fast\" }";

let fastDefault: Promise<WebAssembly.Module> | undefined;

function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : typeof v === "object" || typeof v === "function" ? typeof v : String(v);
}

/**
 * The kernel module for `precision`, and one sentence per thing asked for but not granted. Throws `Invalid`
 * (the core's InvalidConfigError) for a precision other than "exact" or "fast", before anything is compiled.
 */
export async function kernels(
  wasm: WasmSource | undefined, precision: unknown, compile: Compile, loadFast: (() => Promise<WebAssembly.Module>) | undefined,
  Invalid: new (message: string) => Error,
): Promise<[WebAssembly.Module, string[]]> {
  if (precision === "exact") {
    const m = await compile(wasm);
    if (isFastBuild(m)) {
      throw new Invalid('precision "exact" was requested but the wasm given is vaekit-fast.wasm (relaxed-SIMD FMA); pass vaekit.wasm, or ask for precision "fast"');
    }
    return [m, []];
  }
  if (precision !== "fast") throw new Invalid(`precision must be "exact" or "fast"; got ${describe(precision)}`);
  const fallback = async (reason: string, m?: WebAssembly.Module): Promise<[WebAssembly.Module, string[]]> =>
    [m ?? (await compile()), [`precision "fast" was requested but ${reason}; using "exact"`]];
  if (!hasRelaxedSimd()) {
    // A compiled module given here can't be the fast build (this engine couldn't have compiled it): keep it.
    return fallback(NO_RELAXED, wasm instanceof WebAssembly.Module ? wasm : undefined);
  }
  if (!fusesMultiplyAdd()) {
    const m = wasm instanceof WebAssembly.Module && !isFastBuild(wasm) ? wasm : undefined;
    return fallback(UNFUSED, m);
  }
  if (wasm !== undefined) {
    const m = await compile(wasm);
    return isFastBuild(m) ? [m, []] : fallback(GIVEN_EXACT, m);
  }
  if (!loadFast) {
    // workerd: the realm's default module is the bundled vaekit.wasm, unless init({ wasm }) gave the fast build.
    const d = await compile();
    return isFastBuild(d) ? [d, []] : fallback(NO_LOADER, d);
  }
  fastDefault ??= loadFast().catch((e: unknown) => {
    fastDefault = undefined;
    throw e;
  });
  return [await fastDefault, []];
}
