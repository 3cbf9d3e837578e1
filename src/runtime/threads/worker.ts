// The code each worker thread runs, as a self-contained function turned into source text (no file, no bundler
// setup): it instantiates the shared-memory kernel module on the pool's memory, then loops: wait for the
// generation word to change, run the posted jobs it can claim (its own share first, then any the others have not
// started), count each done. The layout of the control block is pool.ts's.

/** What the pool posts to each worker. */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the control block. */
  readonly ctrl: number;
  /** This worker's number, 1 … workers (the caller's thread is 0). */
  readonly index: number;
  readonly workers: number;
  /** Job records in the control block (pool.ts's maxJobs). */
  readonly records: number;
  /** Export names, indexed by a job's kernel number. */
  readonly names: readonly string[];
  /** Polls of the generation word before sleeping in Atomics.wait. */
  readonly spin: number;
}

/**
 * The worker's body. Self-contained (it is sent as text): control words at i32 indices 0 (generation), 1 (quit),
 * 2 (jobs posted), 3 (sleeping workers), 4 (caller sleeps), 16 (jobs done), 17 (error flag), 18 (a worker died); job j is the 16 f64
 * at ctrl + 128·(j + 1) (op, then up to 14 arguments; a number result goes back to slot 14) whose last 4 bytes are
 * its claim word: 0 = posted, 1 = taken. Thread t's share of J jobs is [⌊t·J/T⌋, ⌊(t+1)·J/T⌋) of T threads; a
 * thread done with its share takes the others' unstarted jobs from the back (their owners work from the front).
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
  const i32 = new Int32Array(d.memory.buffer, d.ctrl, 32 * (d.records + 1));
  const f64 = new Float64Array(d.memory.buffer, d.ctrl, 16 * (d.records + 1));
  const T = d.workers + 1;
  post({ ready: true });
  // The generation is 0 until every worker is ready; reading it here instead could miss the first job (the caller
  // may already have posted it when this thread gets to run again).
  let seen = 0;
  // a loop that unwinds (anything but the quit word) marks the pool dead and wakes the caller: its job never ends
  try {
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
    const J = Atomics.load(i32, 2);
    const lo = Math.floor((d.index * J) / T), hi = Math.floor(((d.index + 1) * J) / T);
    // one loop, no inner functions (the text must not depend on a transpiler's helpers): the s-th job tried is
    // lo + s within the own share, then J − 1, J − 2, … down to 0, skipping the own share
    for (let s = 0; s < J; s++) {
      const t = s - (hi - lo);
      const j = t < 0 ? lo + s : t < J - hi ? J - 1 - t : lo - 1 - (t - (J - hi));
      if (Atomics.compareExchange(i32, 32 * j + 62, 0, 1) !== 0) continue;
      const o = 16 * j + 16;
      try {
        const r = fns[f64[o]](f64[o + 1], f64[o + 2], f64[o + 3], f64[o + 4], f64[o + 5], f64[o + 6], f64[o + 7],
          f64[o + 8], f64[o + 9], f64[o + 10], f64[o + 11], f64[o + 12], f64[o + 13], f64[o + 14]);
        if (typeof r === "number") f64[o + 14] = r;
      } catch {
        Atomics.store(i32, 17, 1);
      }
      // word 4 is 1 while the caller sleeps on the done count: wake it only then
      if (Atomics.add(i32, 16, 1) + 1 === Atomics.load(i32, 2) && Atomics.load(i32, 4) !== 0) Atomics.notify(i32, 16);
    }
  }
  } finally {
    if (Atomics.load(i32, 1) === 0) {
      Atomics.store(i32, 18, 1);
      Atomics.notify(i32, 16);
    }
  }
}

/** Source of a Node/Bun `worker_threads` eval worker: the init arrives as workerData. */
export const nodeWorkerSource = (): string =>
  `const{workerData:d,parentPort:p}=require("node:worker_threads");(${workerMain})(d,(m)=>p.postMessage(m));`;

/** Source of a module Web Worker (browsers, Deno): the init arrives as the first message. */
export const webWorkerSource = (): string =>
  `self.onmessage=(e)=>{self.onmessage=null;(${workerMain})(e.data,(m)=>self.postMessage(m))};`;
