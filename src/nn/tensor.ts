// Typed tensor handles and the workspace that lays them out: every scratch buffer of a model is a Tensor object
// declared once (its size as a function of the pass's shape), so a misspelt buffer is a type error, not a silent
// undefined pointer.
import type { Engine } from "../runtime/engine.js";

/**
 * The shape of one pass: `B` examples with `K` samples each (R = B·K rows after a repeat), whether the k-sample
 * buffers are needed (`multi`), and the samples of a whole log-likelihood estimate (`total`, 0 otherwise).
 */
export interface Dims {
  readonly B: number;
  readonly K: number;
  readonly multi: boolean;
  readonly total: number;
}

/** f32 words a tensor needs for a pass of shape `d`. */
export type Size = (d: Dims) => number;

/**
 * A handle on one f32 buffer of the workspace: `ptr` is its byte address for the current layout (the workspace
 * rewrites it when it re-lays out, so a handle never goes stale). `grad`, when declared, is the buffer of its
 * gradient; a gradient's `sum`, when declared, is where an overwriting kernel writes a second contribution to `grad` before the
 * tape adds it (fan-out).
 */
export class Tensor {
  ptr = 0;
  constructor(readonly size: Size, readonly grad?: Tensor, readonly sum?: Tensor) {}
}

const words = (n: number): number => ((n + 3) & ~3) + 4; // 16-byte aligned with a vector of slack

/**
 * The tensors of one model in one allocation, kept while big enough: re-laid out only when some tensor needs more
 * than it has (then sized to the larger of old and new needs per tensor, so alternating callers settle on one
 * allocation). Asking again for the shape of the last call costs one comparison (batch-1 inference).
 */
export class Workspace {
  readonly #tensors: Tensor[] = [];
  #have: number[] = [];
  #base = 0;
  #last: Dims | undefined;

  /** `e`: the engine whose memory the tensors live in (modules read its thread count for per-thread scratch). */
  constructor(readonly e: Engine) {}

  /** Declares a tensor (with a gradient buffer of the same size when `grad`, and a fan-out scratch when `fanOut`). */
  tensor(size: Size, grad = false, fanOut = false): Tensor {
    const g = grad ? this.#add(new Tensor(size, undefined, fanOut ? this.#add(new Tensor(size)) : undefined)) : undefined;
    return this.#add(new Tensor(size, g));
  }

  #add(t: Tensor): Tensor {
    this.#tensors.push(t);
    return t;
  }

  /** Lays the tensors out for a pass of shape `d` (a no-op when they already fit). Earlier pointers may move. */
  layout(d: Dims): void {
    const l = this.#last;
    if (l && l.B === d.B && l.K === d.K && l.multi === d.multi && l.total === d.total) return;
    const need = this.#tensors.map((t) => t.size(d));
    if (!this.#base || need.some((n, i) => n > this.#have[i])) {
      this.#have = need.map((n, i) => Math.max(n, this.#have[i] ?? 0));
      this.#place();
    }
    this.#last = d;
  }

  #place(): void {
    this.free();
    let total = 0;
    for (const n of this.#have) total += words(n);
    this.#base = this.e.alloc(total);
    let at = this.#base;
    this.#tensors.forEach((t, i) => {
      t.ptr = at;
      at += words(this.#have[i]) * 4;
    });
  }

  /** Runs `body` over chunks of at most `chunk` rows of n, laid out for `dims` of the first (largest) chunk. */
  chunks(n: number, dims: (rows: number) => Dims, body: (start: number, rows: number) => void, chunk: number): void {
    this.layout(dims(Math.min(n, chunk)));
    for (let start = 0; start < n; start += chunk) body(start, Math.min(chunk, n - start));
  }

  /** Frees the allocation (the tensors keep their sizes: the next layout allocates again). */
  free(): void {
    if (this.#base) this.e.release(this.#base);
    this.#base = 0;
    this.#last = undefined;
  }
}
