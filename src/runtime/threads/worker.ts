// The code each worker thread runs, as a self-contained function turned into source text (no file, no bundler
// setup): it instantiates the shared-memory kernel module on the pool's memory, then loops: wait for the
// generation word to change, run its job record (kernel index + arguments), count itself done. The layout of
// the control block is pool.ts's (CONTROL).

/** What the pool posts to each worker. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  readonly ctrl: number;
  /** This worker's number, 1 … workers (the caller's thread is 0). */
  readonly index: number;
  readonly workers: number;
  /** Export names, indexed by a job's kernel number. */
  readonly names: readonly string[];
  /** Polls of the generation word before sleeping in Atomics.wait. */
  readonly spin: number;
}

/**
 * The worker's body. Self-contained (it is sent as text): control words at i32 indices 0 (generation), 1 (quit),
 * 2 (jobs posted), 16 (jobs done), 17 (error flag); its job record is 16 f64 at ctrl + 128·index (op, then up to 14
 * arguments) whose last 4 bytes are the job's claim word: 0 = posted, 1 = taken (by this worker, or by the caller
 * when this worker had not started it by the time the caller finished its own share, or no job this round). A
 * kernel's number result is written back to argument slot 14.
 */
export function workerMain(d: WorkerInit, post: (m: { ready?: true; error?: string }) => void): void {
  let x: Record<string, unknown>;
  try {
    x = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  } catch (e) {
    post({ error: String((e as Error)?.message ?? e) });
    return;
  }
  type Fn = (...a: number[]) => unknown;
  const fns = d.names.map((n) => x[n] as Fn);
  const i32 = new Int32Array(d.memory.buffer, d.ctrl, 32 * (d.workers + 1));
  const a = new Float64Array(d.memory.buffer, d.ctrl + 128 * d.index, 16);
  const claim = 32 * d.index + 30;
  post({ ready: true });
  // The generation is 0 until every worker is ready; reading it here instead could miss the first job (the caller
  // may already have posted it when this thread gets to run again).
  let seen = 0;
  for (;;) {
    let g: number, spins = 0;
    while ((g = Atomics.load(i32, 0)) === seen) {
      if (++spins > d.spin) {
        // word 3 counts sleeping workers: the caller wakes them (a futex call) only when there are any
        Atomics.add(i32, 3, 1);
        Atomics.wait(i32, 0, seen);
        Atomics.sub(i32, 3, 1);
        spins = 0;
      }
    }
    seen = g;
    if (Atomics.load(i32, 1) !== 0) return;
    if (Atomics.compareExchange(i32, claim, 0, 1) !== 0) continue;
    try {
      // a kernel's number result (a count) goes back in the last argument slot, read after the job is done
      const r = fns[a[0]](a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]);
      if (typeof r === "number") a[14] = r;
    } catch {
      Atomics.store(i32, 17, 1);
    }
    // word 4 is 1 while the caller sleeps on the done count: wake it only then
    if (Atomics.add(i32, 16, 1) + 1 === Atomics.load(i32, 2) && Atomics.load(i32, 4) !== 0) Atomics.notify(i32, 16);
  }
}

/** Source of a Node/Bun `worker_threads` eval worker: the init arrives as workerData. */
export const nodeWorkerSource = (): string =>
  `const{workerData:d,parentPort:p}=require("node:worker_threads");(${workerMain})(d,(m)=>p.postMessage(m));`;

/** Source of a module Web Worker (browsers, Deno): the init arrives as the first message. */
export const webWorkerSource = (): string =>
  `self.onmessage=(e)=>{self.onmessage=null;(${workerMain})(e.data,(m)=>self.postMessage(m))};`;
