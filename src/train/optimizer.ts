// Optimizers over one flat parameter buffer: PyTorch's Adam, AdamW and SGD (momentum, dampening, Nesterov).
import type { Engine } from "../runtime/engine.js";

/** Optimizer settings shared by fit() options. */
export interface OptimizerOptions {
  optimizer: "adam" | "adamw" | "sgd";
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/** Optimizer state living in engine memory next to the parameters it updates. */
export class Optimizer {
  private m = 0;
  private v = 0;
  private t = 0;
  private kind: OptimizerOptions["optimizer"] | undefined;

  constructor(
    private readonly e: Engine,
    private readonly params: number,
    private readonly grads: number,
    private readonly n: number,
  ) {}

  /** Steps taken since the state was (re)created. */
  get steps(): number {
    return this.t;
  }

  /** Keeps the state when the kind of optimizer is unchanged (like Keras' repeated fit), resets it otherwise. */
  prepare(kind: OptimizerOptions["optimizer"]): void {
    if (kind === this.kind) return;
    this.free();
    this.kind = kind;
    this.m = this.e.alloc(this.n);
    if (kind !== "sgd") this.v = this.e.alloc(this.n);
    this.t = 0;
  }

  /** One update of the parameters from the gradients in the grads buffer. */
  step(o: OptimizerOptions): void {
    this.prepare(o.optimizer);
    this.t++;
    const k = this.e.k;
    if (o.optimizer === "sgd") {
      k.sgd_update(this.params, this.grads, this.m, this.n, o.learningRate, o.momentum, o.dampening, o.weightDecay,
        o.nesterov ? 1 : 0, this.t === 1 ? 1 : 0);
    } else {
      const bc1 = 1 - Math.pow(o.beta1, this.t);
      const bc2sqrt = Math.sqrt(1 - Math.pow(o.beta2, this.t));
      k.adam_update(this.params, this.grads, this.m, this.v, this.n, o.learningRate, o.beta1, o.beta2, o.eps,
        o.weightDecay, o.optimizer === "adamw" ? 1 : 0, bc1, bc2sqrt);
    }
  }

  free(): void {
    if (this.m) this.e.release(this.m);
    if (this.v) this.e.release(this.v);
    this.m = this.v = 0;
    this.kind = undefined;
    this.t = 0;
  }
}
