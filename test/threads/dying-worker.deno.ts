// Issue 17 case 14 in Deno, whose threads are Web Workers (as in browsers): a worker terminated in the middle of a
// job makes the caller's call fail with a typed error instead of blocking forever, and the pool refuses later calls
// the same way (Node and Bun: test/harden/dying-worker.test.ts). Runs the sources, not the package (the pool's test
// hooks are internal):
//   deno run --unstable-sloppy-imports --allow-read --allow-env test/threads/dying-worker.deno.ts
// (.ci/conformance runs it after installing Deno); needs dist/vaekit.wasm and dist/vaekit-mt.wasm (npm run build).
import { VAE, VaekitError } from "../../src/index.js";
import { Pool } from "../../src/runtime/threads/pool.js";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`dying worker (Deno): ${what}`);
}

const x = Float32Array.from({ length: 64 * 784 }, (_, i) => ((i * 2654435761) >>> 0) / 2 ** 32);
const m = await VAE.create({ inputSize: 784, hiddenSizes: [2048], latentSize: 8, seed: 1 }, { threads: 2 });
check(m.engineInfo.threads === 2, `threads: 2 did not start (${m.engineInfo.fallbacks.join("; ")})`);
m.encode(x);
let killed = 0;
Pool.afterPost = (pool, jobs) => {
  if (killed || jobs < 2) return;
  // once the worker has taken the first job of its share (thread 1 of 2: the second half), terminate it there
  while (!pool.taken(Math.floor(jobs / 2)));
  killed++;
  pool.kill(1);
};
const first = await m.fit(x, { epochs: 1, batchSize: 64 }).then(() => undefined, (e: unknown) => e);
Pool.afterPost = undefined;
check(killed === 1, `the hook killed ${killed} workers`);
check(first instanceof VaekitError && first.code === "THREADS" && /worker thread died/.test(first.message),
  `fit gave ${String(first)}`);
let later: unknown;
try {
  m.encode(x);
} catch (e) {
  later = e;
}
check(later instanceof VaekitError && /worker thread died/.test((later as Error).message), `a later call gave ${String(later)}`);
m.dispose();

// a pool whose workers all live is unaffected: 2 threads give the 1-thread bits
const two = await VAE.create({ inputSize: 784, hiddenSizes: [256], latentSize: 8, seed: 1 }, { threads: 2 });
const one = await VAE.create({ inputSize: 784, hiddenSizes: [256], latentSize: 8, seed: 1 });
await two.fit(x, { epochs: 1, batchSize: 32 });
await one.fit(x, { epochs: 1, batchSize: 32 });
const a = two.encode(x).mean, b = one.encode(x).mean;
check(a.length === b.length && a.every((v, i) => Object.is(v, b[i])), "2 threads differ from 1 after the same fit");
two.dispose();
one.dispose();
console.log("ok   dying worker (Deno, Web Workers): the caller got the typed error, and a healthy pool matches 1 thread");
