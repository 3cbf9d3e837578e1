// Starts one worker thread in Node and Bun (node:worker_threads, an eval worker from source text). The package
// build keeps this file only in the entries that may run in Node (dist/index.js, dist/index.cjs, loaded only with
// threads); the browser entry (dist/web.js) gets a stub instead (rollup.config.mjs), so no bundler targeting the
// web ever meets node:worker_threads.
import { nodeWorkerSource, type WorkerInit } from "./worker.js";

/** What the pool holds per worker: ready once its instance is up; stop() ends it. */
export interface Handle {
  ready: Promise<void>;
  stop(): Promise<unknown>;
}

/** Makes a worker per call. */
export type Factory = (init: WorkerInit) => Handle;

/** The worker_threads factory (loads node:worker_threads). */
export async function nodeFactory(): Promise<Factory> {
  const { Worker } = await import("node:worker_threads");
  const src = nodeWorkerSource();
  return (init) => {
    const w = new Worker(src, { eval: true, workerData: init });
    const ready = new Promise<void>((resolve, reject) => {
      w.once("message", (m: { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
      w.once("error", reject);
      w.once("exit", (code) => reject(new Error(`the worker exited with code ${code}`)));
    });
    // Keep the process alive only while the worker starts; afterwards it must not hold a finished script open.
    void ready.then(() => w.unref(), () => {});
    return { ready, stop: () => w.terminate() };
  };
}
