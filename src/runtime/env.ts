// The one place that knows which JavaScript runtime we are in.

declare const Deno: unknown;
declare const Bun: unknown;

/**
 * The runtime vaekit detected.
 *
 * @example
 * ```ts
 * const where: RuntimeName = detectRuntime(); // "node" in Node.js
 * ```
 */
export type RuntimeName = "node" | "deno" | "bun" | "workerd" | "browser" | "unknown";

/**
 * Detects the current JavaScript runtime.
 *
 * @example
 * ```ts
 * if (detectRuntime() === "workerd") console.log("running in Cloudflare Workers");
 * ```
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof Deno !== "undefined") return "deno";
  if (typeof Bun !== "undefined") return "bun";
  const nav = g.navigator as { userAgent?: string } | undefined;
  if (nav?.userAgent === "Cloudflare-Workers") return "workerd";
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (proc?.versions?.node) return "node";
  if (typeof g.window !== "undefined" || typeof g.importScripts === "function") return "browser";
  return "unknown";
}

// A module using one SIMD instruction (i32x4.splat + drop); validation fails on engines without wasm SIMD.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11,
]);

/**
 * True when the engine can compile WebAssembly SIMD128 code (vaekit needs it).
 *
 * @example
 * ```ts
 * if (!hasWasmSimd()) console.warn("this browser is too old for vaekit");
 * ```
 */
export function hasWasmSimd(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

type Yield = () => Promise<void>;
let yieldImpl: Yield | undefined;

/** Lets timers, I/O and abort signals run: a macrotask turn, as cheap as the runtime allows. */
export function yieldToEventLoop(): Promise<void> {
  if (!yieldImpl) {
    const g = globalThis as Record<string, unknown>;
    if (typeof g.setImmediate === "function") {
      const si = g.setImmediate as (cb: () => void) => void;
      yieldImpl = () => new Promise<void>((r) => si(r));
    } else if (typeof g.MessageChannel === "function") {
      yieldImpl = () =>
        new Promise<void>((r) => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => {
            ch.port1.close();
            r();
          };
          ch.port2.postMessage(null);
        });
    } else {
      yieldImpl = () => new Promise<void>((r) => setTimeout(r, 0));
    }
  }
  return yieldImpl();
}
