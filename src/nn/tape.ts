// The tape: records the backward step of each module called in a forward pass and replays them in reverse.
//
// Gradient convention (llm.c's): a module's backward ACCUMULATES into the gradients of its parameters and of its
// inputs, so a tensor feeding several modules needs no special case. Some kernels overwrite instead of adding
// (dense_backward's dX, the fused loss kernels' gradients); the tape keeps their bits by ordering, not by extra
// work: within one pass the FIRST contribution to a gradient buffer writes it (`over` hands out the buffer itself;
// `acc` zeroes it first and the accumulating kernel adds onto zeros), and every later contribution adds (`acc`
// hands out the buffer; `over` hands out the tensor's fan-out scratch `sum` and adds it in afterwards). The order
// of the additions is the reverse of the forward calls, so a model keeps a given order of f32 sums by the order of
// its forward calls.
import type { Engine } from "../runtime/engine.js";
import type { Tensor } from "./tensor.js";

export class Tape {
  readonly #back: (() => void)[] = [];
  readonly #written = new Set<Tensor>();
  /** Scale of the objective's gradient in this pass; 0 in inference (nothing is recorded, no gradient written). */
  scale = 0;
  /** Byte pointers of the flat parameter buffer and of its gradient (0 in inference) for this pass. */
  params = 0;
  grads = 0;
  /** True in fit's steps (not in gradients()): batch norm then updates its running statistics. */
  fit = false;

  constructor(readonly e: Engine) {}

  /** Starts a pass over the parameters at `params` (gradients into `grads` when scale ≠ 0): forgets the last pass. */
  start(scale: number, params: number, grads: number): void {
    this.scale = scale;
    this.params = params;
    this.grads = grads;
    this.#back.length = 0;
    this.#written.clear();
  }

  /** Records a backward step (a no-op in inference). */
  record(back: () => void): void {
    if (this.scale) this.#back.push(back);
  }

  /** Runs the recorded backward steps, last first, and forgets them. */
  backward(): void {
    const b = this.#back;
    for (let i = b.length - 1; i >= 0; i--) b[i]();
    b.length = 0;
  }

  /** True once something has written gradient `g` in this pass. */
  has(g: Tensor): boolean {
    return this.#written.has(g);
  }

  /** Gradient buffer `g` (n words) for a kernel that adds into it: zeroed first if nothing wrote it in this pass. */
  acc(g: Tensor, n: number): number {
    if (!this.#written.has(g)) {
      this.e.k.zero_f32(g.ptr, n);
      this.#written.add(g);
    }
    return g.ptr;
  }

  /**
   * Lets a kernel that overwrites its output contribute to gradient `g` (n words): the first writer writes `g`;
   * a later one writes `g.sum`'s buffer (declared with fanOut), which is then added to `g`.
   */
  over(g: Tensor, n: number, write: (ptr: number) => void): void {
    if (!this.#written.has(g)) {
      this.#written.add(g);
      write(g.ptr);
      return;
    }
    if (!g.sum) throw new Error("vaekit internal: a second overwriting gradient into a tensor declared without fanOut");
    write(g.sum.ptr);
    this.e.k.repeat_rows_backward(g.ptr, g.sum.ptr, 1, n, 1);
  }
}
