// The kernels of the model families beyond the MLP (the registry's EXT list: convolution, batch norm, recurrent
// cells, …) live in dist/vaekit-ext.wasm, which also has every kernel of vaekit.wasm, so that the default entry's
// vaekit.wasm stays small. Loaded only when a model that needs them creates its engine (Engine.create's `ext`): the
// package build ships this file as a lazy chunk of each entry.
// Which module such a model runs, when no precision or threads say otherwise:
// - the wasm given to the model ({ wasm }), or else the one given to init({ wasm }) if it has the EXT kernels,
//   or else vaekit-ext.wasm beside the entry (workerd: the bundled module, which is vaekit-ext.wasm);
// - a module without every EXT kernel (vaekit.wasm, an older build) is refused with a VaekitError ("WASM_LOAD")
//   that says to pass vaekit-ext.wasm.
import { VaekitError } from "../errors.js";
import { EXT_KERNELS } from "./kernels.generated.js";
import { checkEngine, compileFile, compileKernels, initModule, type WasmSource } from "./module.js";
import { extWasmUrl } from "./platform.js";

let shipped: Promise<WebAssembly.Module> | undefined;

/** The EXT kernels a module lacks (none for vaekit-ext.wasm and the fast and threads builds). */
export function missingExt(m: WebAssembly.Module): string[] {
  const names = new Set(WebAssembly.Module.exports(m).map((e) => e.name));
  return EXT_KERNELS.filter((n) => !names.has(n));
}

/** Compiles (or accepts) a kernel module that has every EXT kernel; vaekit-ext.wasm is compiled once per realm. */
export async function compileExtKernels(source?: WasmSource): Promise<WebAssembly.Module> {
  if (source === undefined && initModule) {
    const m = await initModule;
    if (missingExt(m).length === 0) return m;
  }
  let m: WebAssembly.Module;
  if (source === undefined && extWasmUrl) {
    checkEngine();
    shipped ??= compileFile(extWasmUrl, "vaekit-ext.wasm").catch((e: unknown) => {
      shipped = undefined;
      throw e;
    });
    m = await shipped;
  } else {
    m = await compileKernels(source);
  }
  const missing = missingExt(m);
  if (missing.length > 0) {
    throw new VaekitError("WASM_LOAD", `this model needs the kernels of vaekit-ext.wasm, and the wasm ${source === undefined
      ? "loaded" : "given"} lacks ${missing.length} of them (${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ", …" : ""}): it ` +
      "is vaekit.wasm or another build; pass vaekit-ext.wasm (shipped beside vaekit.wasm in node_modules/vaekit/dist/)");
  }
  return m;
}
