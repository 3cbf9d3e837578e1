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

/** Makes a worker per call; in Node, `watchdog` is the thread that reports a worker's death (see nodeFactory). */
export type Factory = ((init: WorkerInit) => Handle) & { watchdog?: Handle };

/** i32 indices of the pool's control words the watchdog uses. */
export interface ControlWords {
  QUIT: number;
  DEAD: number;
  DONE: number;
}

/**
 * The watchdog's source: it holds one end of a channel per worker and, when a worker's end closes (the worker died
 * or was terminated), sets DEAD and wakes the caller, which may be blocked in Atomics.wait with no event loop.
 */
const watchdogSource = ({ QUIT, DEAD, DONE }: ControlWords): string =>
  `const{workerData:d,parentPort:p}=require("node:worker_threads");const i=new Int32Array(d.memory.buffer,d.ctrl,32);` +
  `for(const q of d.ports)q.on("message",()=>{}).on("close",()=>{if(!Atomics.load(i,${QUIT})){Atomics.store(i,${DEAD},1);Atomics.notify(i,${DONE})}});p.postMessage({})`;

/** The worker_threads factory (loads node:worker_threads) for `workers` workers, with its watchdog thread. */
export async function nodeFactory(memory: WebAssembly.Memory, ctrl: number, workers: number, words: ControlWords): Promise<Factory> {
  const { Worker, MessageChannel } = await import("node:worker_threads");
  const src = nodeWorkerSource();
  const channels = Array.from({ length: workers }, () => new MessageChannel());
  const dog = new Worker(watchdogSource(words), {
    eval: true, workerData: { memory, ctrl, ports: channels.map((c) => c.port1) }, transferList: channels.map((c) => c.port1),
  });
  const watchdog: Handle = { ready: new Promise((resolve, reject) => dog.once("message", () => resolve()).once("error", reject)), stop: () => dog.terminate() };
  void watchdog.ready.then(() => dog.unref(), () => {});
  let n = 0;
  return Object.assign((init: WorkerInit) => {
    const port = channels[n++].port2;
    const w = new Worker(src, { eval: true, workerData: { ...init, port }, transferList: [port] });
    const ready = new Promise<void>((resolve, reject) => {
      w.once("message", (m: { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
      w.once("error", reject);
      w.once("exit", (code) => reject(new Error(`the worker exited with code ${code}`)));
    });
    // Keep the process alive only while the worker starts; afterwards it must not hold a finished script open.
    void ready.then(() => w.unref(), () => {});
    return { ready, stop: () => w.terminate() };
  }, { watchdog });
}
