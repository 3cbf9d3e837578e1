// p(x|·): the decoder's output scored against the data by one fused kernel, and turned into the distribution's mean.
import type { Tape } from "../nn/tape.js";
import type { Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { Likelihood, LikelihoodChoice } from "./config-checks.js";

/** The likelihood of a model's decoder output. Its log σ (when learned) is a parameter vector at `logSigma`. */
export class LikelihoodHead {
  readonly kind: Likelihood;
  readonly scale: number | "learned";

  /** `logSigma`: float offset of the learned log σ [D] in the parameter buffer (−1 when σ is fixed). */
  constructor(choice: LikelihoodChoice, readonly size: number, readonly logSigma: number) {
    this.kind = choice.likelihood;
    this.scale = choice.likelihoodScale;
  }

  /** True when data must lie in [0, 1]. */
  get unitData(): boolean {
    return this.kind === "bernoulli" || this.kind === "continuous-bernoulli";
  }

  /** Hint appended to the [0, 1] data error. */
  get unitHint(): string {
    return this.kind === "bernoulli"
      ? ' for the Bernoulli likelihood (scale pixels by 1/255, or create the model with likelihood: "gaussian")'
      : " for the continuous Bernoulli likelihood (scale pixels by 1/255)";
  }

  /**
   * losses[rows] = −log p(x|out) per row; with dOut ≠ 0 also dOut = scale·∂loss/∂out (overwritten), and for a
   * learned σ, unless `sigmaGrad` is false, scale·∂loss/∂log σ added to the gradient buffer.
   */
  loss(e: Engine, params: number, grads: number, dOut: number, losses: number, out: number, x: number, rows: number,
    scale: number, sigmaGrad = true): void {
    const k = e.k, D = this.size;
    switch (this.kind) {
      case "bernoulli":
        k.bernoulli_logits_loss(dOut, losses, out, x, rows, D, scale);
        return;
      case "continuous-bernoulli":
        k.continuous_bernoulli_loss(dOut, losses, out, x, rows, D, scale);
        return;
      case "laplace":
        k.laplace_loss(dOut, losses, out, x, rows, D, this.scale as number, scale);
        return;
      case "gaussian":
        if (this.scale === "learned") {
          const ls = params + this.logSigma * 4;
          const dls = dOut && sigmaGrad ? grads + this.logSigma * 4 : 0;
          k.gaussian_learned_loss(dOut, dls, losses, out, x, ls, rows, D, scale);
        } else k.gaussian_loss(dOut, losses, out, x, rows, D, this.scale, scale);
    }
  }

  /**
   * As a module: losses [rows] = −log p(x|out), a fused loss. In a training pass out's gradient is written with the
   * tape's scale (first writer) and a learned σ's gradient added; with `weights` [rows], the backward step weights the
   * rows of out's gradient by them instead (and adds the learned σ's weighted share; `scratch`: 1 word).
   */
  nll(t: Tape, losses: Tensor, out: Tensor, x: Tensor, rows: number, weights?: Tensor, scratch?: Tensor): void {
    const s = t.scale;
    if (!s) {
      this.loss(t.e, t.params, 0, 0, losses.ptr, out.ptr, x.ptr, rows, 0, !weights);
      return;
    }
    t.over(out.grad!, rows * this.size, (d) => this.loss(t.e, t.params, t.grads, d, losses.ptr, out.ptr, x.ptr, rows, s, !weights));
    if (weights) t.record(() => this.weightRows(t.e, t.params, t.grads, out.grad!.ptr, out.ptr, x.ptr, weights.ptr, rows, s, scratch!.ptr));
  }

  /**
   * Row-weighted gradient: makes dOut (computed by `loss` with the same scale) the gradient of Σ_r w_r·loss_r and
   * adds the learned σ's share Σ_r w_r·scale·∂loss_r/∂log σ (per-row kernel calls: the kernel sums its rows
   * with one scale). `w` points at rows f32 weights.
   */
  weightRows(e: Engine, params: number, grads: number, dOut: number, out: number, x: number, w: number, rows: number,
    scale: number, scratchLoss: number): void {
    const D = this.size;
    e.k.scale_rows(dOut, w, rows, D);
    if (this.kind !== "gaussian" || this.scale !== "learned") return;
    const weights = e.read(w, rows);
    const ls = params + this.logSigma * 4, dls = grads + this.logSigma * 4;
    for (let r = 0; r < rows; r++) {
      if (weights[r] === 0) continue;
      e.k.gaussian_learned_loss(0, dls, scratchLoss, out + r * D * 4, x + r * D * 4, ls, 1, D, scale * weights[r]);
    }
  }

  /** Turns decoder outputs (logits or means) into the likelihood's mean, in place. */
  mean(e: Engine, out: number, rows: number): void {
    const n = rows * this.size;
    if (this.kind === "bernoulli") e.k.activation_forward(out, out, n, 4, 0);
    else if (this.kind === "continuous-bernoulli") e.k.cbernoulli_mean(out, out, n);
  }
}
