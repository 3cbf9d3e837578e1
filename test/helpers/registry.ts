// What a built kernel module exports (function names with their parameter counts) and what the kernel registry
// (assembly/registry.mjs) says it should, for test/kernels/registry.test.ts and test/fast/registry.test.ts.
import { readFileSync } from "node:fs";

export interface RegistryEntry {
  readonly name: string;
  readonly params: string;
  readonly builds: readonly string[];
  readonly twin?: boolean | string;
  readonly [field: string]: unknown;
}
export interface Registry {
  readonly KERNELS: readonly RegistryEntry[];
  readonly INTERNAL: readonly string[];
}

/** The function exports of the module at `path`, name → parameter count (instantiated: a shared-memory build on a
 *  shared memory of its own), and the names of its other exports. */
export async function moduleExports(path: string): Promise<{ functions: Record<string, number>; others: string[] }> {
  const module = new WebAssembly.Module(readFileSync(path));
  const importsMemory = WebAssembly.Module.imports(module).some((i) => i.kind === "memory");
  const imports: WebAssembly.Imports = importsMemory
    ? { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) } }
    : {};
  const { exports } = await WebAssembly.instantiate(module, imports);
  const functions: Record<string, number> = {};
  const others: string[] = [];
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === "function") functions[name] = value.length;
    else others.push(name);
  }
  return { functions, others };
}

/** name → parameter count of every kernel (and testing twin) the registry lists for `build`; `fast`: a fast build,
 *  which adds the "fast" kernels. */
export function expectedExports(r: Registry, build: "default" | "ext" | "mt" | "testing", fast: boolean): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of r.KERNELS) {
    // vaekit-ext.wasm (and vaekit-fast.wasm) export the default kernels and the EXT ones
    const inBuild = e.builds.includes(build) || (build === "ext" && e.builds.includes("default"));
    if (!(inBuild || (fast && e.builds.includes("fast")))) continue;
    const n = e.params.trim() === "" ? 0 : e.params.split(",").length;
    out[e.name] = n;
    if (build === "testing" && e.twin !== undefined) out[e.twin === true ? `${e.name}_scalar` : String(e.twin)] = n;
  }
  return out;
}
