// Issue 17 case 14: a worker thread that dies in the middle of a job (terminated from a test hook while it is inside
// its share of a kernel call) makes the caller's call fail with a typed error instead of blocking forever, and the
// pool refuses later calls the same way.
import { afterEach, describe, expect, it } from "vitest";
import { VAE, VaekitError } from "../../src/index.js";
import { Pool } from "../../src/runtime/threads/pool.js";
import { randomArray } from "../helpers/wasm.js";

afterEach(() => {
  Pool.afterPost = undefined;
});

describe("case 14: a worker dying mid-job", () => {
  it("rejects fit with a typed error (and later calls too) instead of hanging", async () => {
    const m = await VAE.create({ inputSize: 784, hiddenSizes: [2048], latentSize: 8, seed: 1 }, { threads: 2 });
    expect(m.engineInfo.threads).toBe(2);
    const x = randomArray(64 * 784, 3, 0, 1);
    let killed = 0;
    Pool.afterPost = (pool, jobs) => {
      if (killed || jobs < 2) return;
      // once the worker has taken the first job of its share (thread 1 of 2: the second half), terminate it there
      const j = Math.floor(jobs / 2);
      while (!pool.taken(j));
      killed++;
      pool.kill(1);
    };
    const e = await m.fit(x, { epochs: 1, batchSize: 64 }).then(() => undefined, (err: unknown) => err);
    expect(killed).toBeGreaterThan(0);
    expect(e).toBeInstanceOf(VaekitError);
    expect((e as VaekitError).code).toBe("THREADS");
    expect((e as Error).message).toMatch(/worker thread died/);
    Pool.afterPost = undefined;
    expect(() => m.encode(x)).toThrow(/worker thread died/);
    m.dispose();
  });

  it("a worker terminated inside a long job of a batched call: the waiting caller gets the typed error", async () => {
    const m = await VAE.create({ inputSize: 784, hiddenSizes: [2048], latentSize: 8, seed: 1 }, { threads: 2 });
    const x = randomArray(256 * 784, 4, 0, 1);
    m.encode(x); // warm: the workspace exists, so the next call's first posts are the big layer's GEMM
    let killed = 0;
    Pool.afterPost = (pool, jobs) => {
      if (killed || jobs < 2) return;
      while (!pool.taken(Math.floor(jobs / 2)));
      killed++;
      pool.kill(1);
    };
    expect(() => m.encode(x)).toThrow(VaekitError);
    expect(killed).toBe(1);
    m.dispose();
  });

  it("a pool whose workers are all alive is unaffected by the checks", async () => {
    const m = await VAE.create({ inputSize: 784, hiddenSizes: [256], latentSize: 8, seed: 1 }, { threads: 2 });
    const one = await VAE.create({ inputSize: 784, hiddenSizes: [256], latentSize: 8, seed: 1 });
    const x = randomArray(64 * 784, 3, 0, 1);
    await m.fit(x, { epochs: 1, batchSize: 32 });
    await one.fit(x, { epochs: 1, batchSize: 32 });
    expect(Array.from(m.encode(x).mean)).toEqual(Array.from(one.encode(x).mean));
    m.dispose();
    one.dispose();
  });
});
