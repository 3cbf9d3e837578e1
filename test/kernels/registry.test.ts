// The kernel registry (assembly/registry.mjs) is the one list of kernels: the generated files committed from it must
// be what it gives now, every build must export exactly what it lists (names and parameter counts), and the
// generator must refuse an entry that disagrees with the kernel's source.
import { readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { expectedExports, moduleExports, type Registry, type RegistryEntry } from "../helpers/registry";

const root = fileURLToPath(new URL("../..", import.meta.url));
const load = async (rel: string): Promise<any> => import(pathToFileURL(`${root}${rel}`).href); // eslint-disable-line @typescript-eslint/no-explicit-any

const registry: Registry = await load("assembly/registry.mjs");
const gen = await load("scripts/gen-kernels.mjs");

/** The registry with entry `name` changed by `edit` (a copy; the module's own list is left alone). */
function edited(name: string, edit: (e: Record<string, unknown>) => Record<string, unknown> | undefined): Registry {
  const KERNELS = registry.KERNELS.flatMap((e): RegistryEntry[] => {
    if (e.name !== name) return [e];
    const out = edit({ ...e });
    return out ? [out as RegistryEntry] : [];
  });
  return { ...registry, KERNELS };
}

const problems = (r: Registry): string => {
  try {
    gen.generate(root, r);
  } catch (e) {
    return (e as Error).message;
  }
  return "";
};

describe("kernel registry", () => {
  it("the committed generated files are what assembly/registry.mjs gives (run npm run gen:kernels if not)", () => {
    const files: Map<string, string> = gen.generate(root, registry);
    expect([...files.keys()].sort()).toEqual([
      "assembly/exports-ext.generated.ts", "assembly/exports-mt.generated.ts", "assembly/exports-testing.generated.ts",
      "assembly/exports.generated.ts",
      "docs/ABI.md", "src/runtime/kernels.generated.ts",
    ]);
    for (const [path, text] of files) expect(readFileSync(`${root}${path}`, "utf8"), path).toBe(text);
    expect(gen.stale(root, files)).toEqual([]);
  });

  it("a change to the registry makes the committed files stale", () => {
    const reworded = edited("zero_f32", (e) => ({ ...e, abi: "x[n] = +0 (every element)" }));
    const files: Map<string, string> = gen.generate(root, reworded);
    expect(gen.stale(root, files).sort()).toEqual(["docs/ABI.md", "src/runtime/kernels.generated.ts"]);
  });

  it("refuses an `export function` of assembly/ that it does not list (a kernel written and not registered)", () => {
    const msg = problems(edited("gemv_forward", () => undefined));
    expect(msg).toContain('assembly/gemv.ts exports function "gemv_forward", which assembly/registry.mjs does not list');
    expect(msg).toContain('"gemv_forward_scalar"');
    expect(problems({ ...registry, INTERNAL: registry.INTERNAL.filter((n) => n !== "box_muller") })).toContain(
      'assembly/philox.ts exports function "box_muller"');
  });

  for (const [build, file] of [["default", "dist/vaekit.wasm"], ["ext", "dist/vaekit-ext.wasm"], ["mt", "dist/vaekit-mt.wasm"],
    ["testing", "build/vaekit-testing.wasm"]] as const) {
    it(`${file} exports exactly the registry's "${build}" kernels, each with its parameter count`, async () => {
      const got = await moduleExports(`${root}${file}`);
      const want = expectedExports(registry, build, false);
      expect(got.others).toEqual(["memory"]);
      expect(Object.keys(got.functions).sort()).toEqual(Object.keys(want).sort());
      expect(got.functions).toEqual(want);
    });
  }

  it("refuses parameters that differ from the kernel's source, naming both", () => {
    const msg = problems(edited("dense_forward", (e) => ({ ...e, params: String(e.params).replace("alpha: f32", "alpha: f64") })));
    expect(msg).toContain('kernel "dense_forward": params');
    expect(msg).toContain("alpha: f32");
    expect(msg).toContain("differ from assembly/dense.ts");
    expect(problems(edited("sum_squares", (e) => ({ ...e, returns: "i32" })))).toContain(
      'kernel "sum_squares": returns i32 but assembly/optim.ts returns f64');
    expect(problems(edited("scale_rows", (e) => ({ ...e, source: "loss" })))).toContain(
      'kernel "scale_rows": source is "loss" but it is exported from assembly/logmeanexp.ts');
    expect(problems(edited("scale_rows", (e) => ({ ...e, params: "x: ptr, w: pointer, B: i32, D: i32" })))).toContain(
      'parameter "w" has type "pointer"');
  });

  it("refuses a kernel without a twin or a reason, a twin that does not exist, and a default kernel missing from mt", () => {
    expect(problems(edited("reparam_forward", (e) => ({ ...e, twin: undefined })))).toContain(
      'kernel "reparam_forward": give either twin (its scalar twin) or noTwin (why it has none)');
    expect(problems(edited("rng_uniform", (e) => ({ ...e, noTwin: undefined, twin: true })))).toContain(
      'its twin "rng_uniform_scalar" is not an `export function` of assembly/');
    expect(problems(edited("scale_rows", (e) => ({ ...e, builds: ["default", "testing"] })))).toContain(
      'kernel "scale_rows": builds has "default" but not "mt"');
    expect(problems(edited("scale_rows", (e) => ({ ...e, builds: ["ext", "testing"] })))).toContain(
      'kernel "scale_rows": builds has "ext": use the registry\'s EXT list');
    expect(problems(edited("scale_rows", (e) => ({ ...e, builds: ["default", "ext", "mt", "testing"] })))).toContain(
      'kernel "scale_rows": builds has "ext": use the registry\'s EXT list');
    const twice = registry.KERNELS.filter((e) => e.name === "scale_rows");
    expect(problems({ ...registry, KERNELS: [...registry.KERNELS, ...twice] })).toContain('"scale_rows" is listed twice');
  });

  it("refuses a split whose argument layout does not fit it, and a job outside the threads build", () => {
    expect(problems(edited("kl_normal_loss", (e) => ({ ...e, split: "elements" })))).toContain(
      'kernel "kl_normal_loss": split "elements" needs pointers first, then `n: i32`');
    expect(problems(edited("scale_rows", (e) => ({ ...e, split: "row_loss" })))).toContain(
      'kernel "scale_rows": split "row_loss" needs');
    expect(problems(edited("gemm_nt_f32x4", (e) => ({ ...e, job: true })))).toContain(
      'kernel "gemm_nt_f32x4": a job kernel must be in the "mt" build');
    expect(problems(edited("sum_squares", (e) => ({ ...e, split: "elements_sum" })))).toContain(
      'split "elements_sum" needs pointers first, then `n: i32`, returning i32');
    // the registry as committed passes every check
    expect(problems(registry)).toBe("");
  });
});
