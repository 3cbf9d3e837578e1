// A model's scratch memory: named f32 buffers in one arena, kept while big enough, so repeated calls of any mix of
// methods settle on one allocation instead of growing memory.
import { Arena } from "../runtime/arena.js";
import type { Engine } from "../runtime/engine.js";

/** Byte pointers of named f32 buffers. */
export type Buffers = Record<string, number>;

export class Workspace {
  #arena: Arena<string> | undefined;
  #sizes: Record<string, number> = {};
  #ptr: Buffers = {};
  #last: Record<string, number> | undefined;

  constructor(private readonly e: Engine) {}

  /**
   * Buffers of at least the given sizes (in f32). Reuses the current arena when it has room; otherwise replaces it
   * with one sized to the larger of the old and new needs per buffer, so alternating callers stop reallocating.
   * Pointers handed out earlier are invalid after a call that reallocates.
   */
  get(sizes: Record<string, number>): Buffers {
    // the same table as last time (a model's cached batch-1 sizes): it still fits (the arena only ever grows; after
    // free() the owning model is disposed and never asks again)
    if (sizes === this.#last) return this.#ptr;
    this.#last = sizes;
    let fits = this.#arena !== undefined;
    for (const k of Object.keys(sizes)) if (!((this.#sizes[k] ?? -1) >= sizes[k])) fits = false;
    if (fits) return this.#ptr;
    const merged = { ...this.#sizes };
    for (const [k, n] of Object.entries(sizes)) merged[k] = Math.max(merged[k] ?? 0, n);
    this.#arena?.free();
    this.#arena = undefined;
    this.#arena = new Arena(this.e, merged);
    this.#sizes = merged;
    this.#ptr = this.#arena.ptr;
    return this.#ptr;
  }

  free(): void {
    this.#arena?.free();
    this.#arena = undefined;
    this.#sizes = {};
    this.#ptr = {};
  }
}
