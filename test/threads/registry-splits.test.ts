// parallelKernels installs, for every kernel the registry gives a split (KERNEL_SPLITS, generated from
// assembly/registry.mjs), the split the registry names — and only for those: each split call posts its parts as jobs
// of the generated job table (WORKER_KERNELS), within the pool's 14 argument slots, and every other export is the
// module's own. Run on a recording stand-in for the pool whose jobs the caller runs itself (the real pool and the
// bit-identity of each split: parallel.test.ts).
import { describe, expect, it } from "vitest";
import { KERNEL_SPLITS, WORKER_KERNELS } from "../../src/runtime/kernels.generated";
import { parallelKernels, type MtKernelExports } from "../../src/runtime/threads/parallel";
import type { Pool } from "../../src/runtime/threads/pool";
import { type RegistryEntry } from "../helpers/registry";
import { loadKernels } from "../helpers/wasm";

const { KERNELS }: { KERNELS: RegistryEntry[] } = await import("../../assembly/registry.mjs" as string);

/** A pool stand-in: records what is posted; every job is left to the caller (claim always succeeds). */
function recordingPool(threads: number) {
  const posted: number[][] = [];
  const pool = {
    threads,
    maxJobs: 4 * threads,
    post: (jobs: readonly (readonly number[])[]) => void posted.push(...jobs.map((j) => [...j])),
    claim: () => true,
    done: () => {},
    wait: () => {},
    result: () => Number.NaN,
  };
  return { pool: pool as unknown as Pool, posted };
}

/** Arguments for a call of `e` large enough to split: every pointer a zeroed buffer of its own, sizes 8 (n: 64). */
function argsFor(e: RegistryEntry, alloc: (n: number) => number): number[] {
  const fixed: Record<string, number> = { n: 64, act: 0, decoupled: 0, nesterov: 0, first_step: 1 };
  return e.params.split(",").map((p) => {
    const [name, type] = p.split(":").map((s) => s.trim());
    if (type === "ptr") return alloc(2048);
    if (name in fixed) return fixed[name];
    return type === "i32" ? 8 : type === "u32" ? 1 : 0.5;
  });
}

describe("the registry's splits, as parallelKernels installs them", () => {
  it("each split kernel posts jobs of WORKER_KERNELS (at most 14 arguments each); unsplit exports stay the module's", () => {
    const k = loadKernels(); // the testing build has every export of the threads build
    const raw = k.x as unknown as MtKernelExports;
    const { pool, posted } = recordingPool(2);
    const split = parallelKernels(raw, pool, { gemm: 0, elements: 0 }) as unknown as Record<string, unknown>;
    const splitNames = new Set<string>(KERNEL_SPLITS.map(([name]) => name));
    expect(splitNames.size).toBeGreaterThan(10);
    for (const e of KERNELS) {
      if (!e.builds.includes("default")) continue;
      if (!splitNames.has(e.name)) {
        expect(split[e.name], e.name).toBe(raw[e.name as keyof MtKernelExports]);
        continue;
      }
      expect(split[e.name], e.name).not.toBe(raw[e.name as keyof MtKernelExports]);
      k.reset();
      posted.length = 0;
      (split[e.name] as (...a: number[]) => unknown)(...argsFor(e, k.alloc));
      expect(posted.length, `${e.name} posts its parts`).toBeGreaterThan(1);
      for (const job of posted) {
        expect(WORKER_KERNELS[job[0]], `${e.name}: job kernel number ${job[0]}`).toBeDefined();
        expect(job.length - 1, `${e.name}: arguments of ${WORKER_KERNELS[job[0]]}`).toBeLessThanOrEqual(14);
        const entry = KERNELS.find((x) => x.name === WORKER_KERNELS[job[0]]);
        expect(job.length - 1, `${e.name}: ${entry?.name}'s parameter count`).toBe(entry!.params.split(",").length);
      }
    }
  });
});
