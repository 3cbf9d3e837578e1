// A pool of worker threads that run kernel calls on one shared wasm memory. The caller splits a call into jobs
// (JOBS_PER_THREAD per thread), posts a record per job, bumps the generation word (workers poll it briefly, then
// sleep in Atomics.wait) and runs jobs itself. Each thread runs its own share of the jobs first, then takes the
// jobs another thread has not started yet, from the back of that thread's share: a thread that is descheduled or
// slowed on a busy machine then holds up at most the job it is in (who runs a job never changes its result). The
// caller waits for the done count: polling first, then Atomics.wait where the thread may block (not a browser's
// main thread, which only polls). Workers are unref'd in Node, so a finished script exits; stop() ends them.
import { VaekitError } from "../../errors.js";
import { detectRuntime } from "../env.js";
import { nodeFactory, type Factory, type Handle } from "./spawn-node.js";
import { webWorkerSource, type WorkerInit } from "./worker.js";

/** Jobs a split call is cut into per thread: a thread that falls behind (descheduled by a busy host) then costs at
 *  most one small job's time, as the others take over the rest of its share. Paired runs on a noisy 2-core machine
 *  (2 threads / 1, three pairs of alternating rounds): 4 jobs per thread 1.30–1.56×, 2 per thread 1.23–1.44×; 8 per
 *  thread no better than 4. */
export const JOBS_PER_THREAD = 4;
/** Job records in the control block of a pool of `threads`. */
const maxJobs = (threads: number): number => JOBS_PER_THREAD * threads;
/** Bytes of the control block: 128 bytes of control words, then one 128-byte record per job. */
export const controlBytes = (threads: number): number => 128 * (1 + maxJobs(threads));

// SLEEPERS: workers asleep on GEN; CALLER_SLEEPS: 1 while the caller sleeps on DONE. A futex wake-up costs a system
// call even when nobody sleeps, so each side notifies only when the other is asleep (sequentially consistent atomics:
// the sleeper's count goes up before it re-reads the word it waits on, so no wake-up is lost).
// DEAD: set (and DONE notified) when a worker thread has died: by the worker itself when its loop unwinds, in Node by
// a watchdog thread that sees the dead worker's message port close (a terminated worker runs no more code), and for
// Web Workers by the handle that terminates one (only the pool holds it).
const GEN = 0, QUIT = 1, JOBS = 2, SLEEPERS = 3, CALLER_SLEEPS = 4, DONE = 16, ERR = 17, DEAD = 18;
/** The caller's sleeps on the done count are cut into slices this long (ms) to re-check DEAD. */
const SLICE = 50;
/** i32 index of job j's claim word (the last 4 bytes of its record). */
const claimWord = (j: number): number => 32 * j + 62;
/** Polls before sleeping (~13 ns each here): about 1 ms on the worker side, which covers the caller's serial work
 *  between two training steps (writing the next batch), so the next step's first job finds the workers awake;
 *  the caller polls ~25 µs before sleeping on the done count, so that on a busy machine it doesn't hold the core
 *  a worker needs. */
const SPIN = 80000, CALLER_SPIN = 2000;

/**
 * The Web Workers factory (browsers, Deno). A Web Worker can be terminated only through its handle, which the pool
 * alone holds: a termination while the pool is not quitting is a death, so the handle itself sets DEAD (and wakes a
 * sleeping caller) — the part of Node's watchdog thread that the web needs; a worker whose loop throws sets DEAD
 * itself as it unwinds (worker.ts).
 */
function webFactory(i32: Int32Array): Factory & { url: string } {
  const url = URL.createObjectURL(new Blob([webWorkerSource()], { type: "text/javascript" }));
  const f = (init: WorkerInit): Handle => {
    const w = new Worker(url, { type: "module" });
    const ready = new Promise<void>((resolve, reject) => {
      w.onmessage = (e: MessageEvent<{ error?: string }>) => (e.data.error ? reject(new Error(e.data.error)) : resolve());
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        reject(new Error(e.message || "the worker failed to start"));
      };
    });
    w.postMessage(init);
    return {
      ready,
      stop: async () => {
        w.terminate();
        if (Atomics.load(i32, QUIT) === 0) {
          Atomics.store(i32, DEAD, 1);
          Atomics.notify(i32, DONE);
        }
      },
    };
  };
  return Object.assign(f, { url });
}

export class Pool {
  readonly #i32: Int32Array;
  readonly #jobs: Float64Array;
  readonly #workers: Handle[];
  readonly #canWait: boolean;
  readonly #watchdog: Handle | undefined;
  #closed: Promise<unknown> | undefined;

  private constructor(memory: WebAssembly.Memory, ctrl: number, workers: Handle[], watchdog?: Handle) {
    this.#watchdog = watchdog;
    const records = maxJobs(workers.length + 1);
    this.#i32 = new Int32Array(memory.buffer, ctrl, 32 * (records + 1));
    this.#jobs = new Float64Array(memory.buffer, ctrl, 16 * (records + 1));
    this.#workers = workers;
    let canWait = true;
    try {
      Atomics.wait(this.#i32, GEN, -1, 0); // "not-equal" at once where blocking is allowed; throws where it is not
    } catch {
      canWait = false;
    }
    this.#canWait = canWait;
  }

  /** Starts threads − 1 workers on `module` over `memory` (control block of controlBytes(threads) at ctrl). */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, threads: number,
    names: readonly string[]): Promise<Pool> {
    const rt = detectRuntime();
    // every record starts taken: a worker never finds a claimable job before the first post
    const i32 = new Int32Array(memory.buffer, ctrl, 32 * (maxJobs(threads) + 1));
    const factory: Factory = rt === "node" || rt === "bun" ? await nodeFactory(memory, ctrl, threads - 1, { QUIT, DEAD, DONE }) : webFactory(i32);
    const handles: Handle[] = [];
    for (let j = 0; j < maxJobs(threads); j++) Atomics.store(i32, claimWord(j), 1);
    try {
      for (let index = 1; index < threads; index++) {
        handles.push(factory({ module, memory, ctrl, index, workers: threads - 1, records: maxJobs(threads), names, spin: SPIN }));
      }
      await Promise.all([...handles, factory.watchdog ?? handles[0]].map((h) => h.ready));
    } catch (e) {
      for (const h of handles) void h.stop();
      void factory.watchdog?.stop();
      throw e;
    } finally {
      if ("url" in factory) URL.revokeObjectURL(factory.url as string);
    }
    return new Pool(memory, ctrl, handles, factory.watchdog);
  }

  /** Number of threads, the caller's included. */
  get threads(): number {
    return this.#workers.length + 1;
  }

  /** The most jobs one post may carry. */
  get maxJobs(): number {
    return maxJobs(this.threads);
  }

  /**
   * Posts jobs 0 … jobs.length − 1 (≤ maxJobs; each: kernel number, then ≤ 14 arguments — ≤ 13 for a kernel that
   * returns a number, which comes back in slot 14) and starts the workers on them.
   */
  post(jobs: readonly (readonly number[])[]): void {
    const i32 = this.#i32, f = this.#jobs;
    this.#dead();
    Atomics.store(i32, DONE, 0); // before any job is claimable: a late worker may take one at once
    Atomics.store(i32, JOBS, jobs.length);
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j], o = 16 * j + 16;
      for (let i = 0; i < job.length; i++) f[o + i] = job[i];
      Atomics.store(i32, claimWord(j), 0);
    }
    Atomics.add(i32, GEN, 1);
    if (Atomics.load(i32, SLEEPERS) !== 0) Atomics.notify(i32, GEN);
    Pool.afterPost?.(this, jobs.length);
  }

  /** Takes job j if no thread has started it; the caller must then run it and call done(). */
  claim(j: number): boolean {
    return Atomics.compareExchange(this.#i32, claimWord(j), 0, 1) === 0;
  }

  /** The number job j returned, when a worker ran it (read after wait()). */
  result(j: number): number {
    return this.#jobs[16 * j + 30];
  }

  /** Counts a job the caller ran as done. */
  done(): void {
    Atomics.add(this.#i32, DONE, 1);
  }

  /** Returns once every posted job has finished; throws if one of them failed. */
  wait(): void {
    const i32 = this.#i32, target = Atomics.load(i32, JOBS);
    let d: number, spins = 0;
    while ((d = Atomics.load(i32, DONE)) !== target) {
      this.#dead();
      if (this.#canWait && ++spins > CALLER_SPIN) {
        Atomics.store(i32, CALLER_SLEEPS, 1);
        Atomics.wait(i32, DONE, d, SLICE);
        Atomics.store(i32, CALLER_SLEEPS, 0);
        spins = 0;
      }
    }
    if (Atomics.load(i32, ERR) !== 0) {
      Atomics.store(i32, ERR, 0);
      throw new VaekitError("THREADS", "a kernel failed in a worker thread; the model's state is undefined, dispose it");
    }
  }

  /** Throws once a worker has died: its job will never finish, and the pool can't run another. */
  #dead(): void {
    if (Atomics.load(this.#i32, DEAD) !== 0) {
      throw new VaekitError("THREADS", "a worker thread died in the middle of a job; the model's state is undefined, dispose it");
    }
  }

  /** Test hook: runs after each post, before the caller takes any job. */
  static afterPost: ((pool: Pool, jobs: number) => void) | undefined;

  /** Test hook: whether job j has been taken (by a worker, when asked from afterPost). */
  taken(j: number): boolean {
    return Atomics.load(this.#i32, claimWord(j)) !== 0;
  }

  /** Test hook: terminates worker i (1-based, as the threads are numbered) at once, wherever it is. */
  kill(i: number): void {
    void this.#workers[i - 1].stop();
  }

  /** Ends the workers (idempotent); `closed` resolves once they are gone. */
  stop(): void {
    if (this.#closed) return;
    Atomics.store(this.#i32, QUIT, 1);
    Atomics.add(this.#i32, GEN, 1);
    Atomics.notify(this.#i32, GEN);
    void this.#watchdog?.stop();
    this.#closed = Promise.all(this.#workers.map((h) => h.stop()));
  }

  /** Resolves when stop() has ended every worker (undefined before stop()). */
  get closed(): Promise<unknown> | undefined {
    return this.#closed;
  }
}
