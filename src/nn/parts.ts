// Module: named parts of a row, each a slice with its own likelihood, with a per-row presence mask (tabular columns,
// the parts of a hybrid VAE). One call scores every part of `rows` rows into losses [rows, P]; a missing part
// (mask 0) scores +0 and gets no gradient. The kernels are assembly/parts.ts's parts_*_loss (EXT build).
import { InvalidConfigError } from "../errors.js";
import type { Engine } from "../runtime/engine.js";
import type { ParameterLayout, ParameterVector } from "./dense.js";
import type { Tape } from "./tape.js";
import type { Tensor } from "./tensor.js";

/**
 * The likelihood of one part: `bernoulli` (logits, data in [0, 1]), `gaussian` (mean; σ fixed or learned),
 * `laplace` (location; scale b fixed or learned), `continuous-bernoulli` (logits, data in [0, 1]), `poisson` (log
 * rate, data counts ≥ 0), `categorical` (one logit per category, data one-hot), `negative-binomial` (log mean, data
 * counts ≥ 0; its dispersion r — variance μ + μ²/r — fixed or learned as `scale`).
 *
 * @example
 * ```ts
 * const kind: PartLikelihood = "categorical";
 * ```
 */
export type PartLikelihood = "bernoulli" | "gaussian" | "laplace" | "continuous-bernoulli" | "poisson" | "categorical" | "negative-binomial";

/**
 * One named part of a row: its likelihood and width (elements; categories for a categorical part). `scale` is the
 * Gaussian σ or the Laplace b: a positive number (fixed) or `"learned"` (a per-element log scale parameter saved as
 * `<prefix>.<name>.log_scale`, initialised to 0); default 1. For a negative binomial part `scale` is the dispersion
 * r: a positive number or `"learned"` (saved as `<prefix>.<name>.log_dispersion`, initialised to 0: r = 1); default
 * "learned". Other likelihoods take no scale.
 *
 * @example
 * ```ts
 * const parts: PartSpec[] = [
 *   { name: "age", likelihood: "gaussian", width: 1, scale: "learned" },
 *   { name: "colour", likelihood: "categorical", width: 3 },
 * ];
 * ```
 */
export interface PartSpec {
  readonly name: string;
  readonly likelihood: PartLikelihood;
  readonly width: number;
  readonly scale?: number | "learned";
}

/** Where the parts sit in the rows of the decoder output and of the data (strides in elements). */
export interface PartsPlacement {
  /** Element of an output row where the (first scored) part begins (default 0). */
  readonly outOffset?: number;
  /** Elements per output row (default: the parts' total width). */
  readonly outStride?: number;
  /** Element of a data row where the (first scored) part begins (default 0). */
  readonly xOffset?: number;
  /** Elements per data row (default: the parts' total width). */
  readonly xStride?: number;
}

const KINDS: readonly PartLikelihood[] = ["bernoulli", "gaussian", "laplace", "continuous-bernoulli", "poisson", "categorical", "negative-binomial"];

/** A run of adjacent parts the kernel scores in one call (same likelihood, width and scale mode). */
interface Run {
  readonly kind: PartLikelihood;
  readonly first: number;
  readonly n: number;
  readonly w: number;
  /** Element offset of the run in a row. */
  readonly at: number;
  /** Learned log scales: float offset in the parameter buffer of the first part's vector (−1: fixed). */
  readonly param: number;
}

/**
 * Named parts of a row with their own likelihoods and a per-row presence mask, as a module on the tape
 * (docs/adding-a-module.md). Declare it while building the model (learned scales become parameter vectors of the
 * layout); `forward` scores every part, `forwardPart` one part against its own output tensor (a hybrid VAE with a
 * decoder per part). Call `dispose` with the model.
 *
 * @example
 * ```ts
 * const parts = new Parts([
 *   { name: "x", likelihood: "gaussian", width: 2, scale: "learned" },
 *   { name: "c", likelihood: "categorical", width: 3 },
 * ], layout, "decoder.parts");
 * // in a pass: losses [rows, 2], out/x [rows, 5], mask [rows, 2]
 * parts.forward(tape, losses, out, x, mask, rows);
 * ```
 */
export class Parts {
  readonly specs: readonly PartSpec[];
  /** Elements of a row the parts cover (Σ width). */
  readonly width: number;
  /** Element offset of each part in a row. */
  readonly offsets: readonly number[];
  /** The learned log-scale vector of each part (undefined when its scale is fixed or it has none). */
  readonly logScales: readonly (ParameterVector | undefined)[];
  readonly #runs: Run[];
  /** log of each element's fixed scale (0 for learned or unscaled parts). */
  readonly #fixed: Float32Array;
  #engine: Engine | undefined;
  #constPtr = 0;

  constructor(specs: readonly PartSpec[], layout?: ParameterLayout, prefix = "parts") {
    if (specs.length === 0) throw new InvalidConfigError("parts: give at least one part ({ name, likelihood, width })");
    const names = new Set<string>();
    const offsets: number[] = [];
    let width = 0;
    for (const s of specs) {
      const where = `parts: part ${JSON.stringify(s.name)}`;
      if (typeof s.name !== "string" || s.name === "") throw new InvalidConfigError("parts: every part needs a non-empty name");
      if (names.has(s.name)) throw new InvalidConfigError(`${where} is named twice; part names must be unique`);
      names.add(s.name);
      if (!KINDS.includes(s.likelihood)) {
        throw new InvalidConfigError(`${where}: likelihood ${JSON.stringify(s.likelihood)} is not one of ${KINDS.join(", ")}`);
      }
      if (!Number.isInteger(s.width) || s.width < 1 || s.width > 1 << 20) {
        throw new InvalidConfigError(`${where}: width must be an integer in [1, 2^20], got ${s.width}`);
      }
      if (s.likelihood === "categorical" && s.width < 2) throw new InvalidConfigError(`${where}: a categorical part needs at least 2 categories, got ${s.width}`);
      const scaled = s.likelihood === "gaussian" || s.likelihood === "laplace" || s.likelihood === "negative-binomial";
      if (s.scale !== undefined) {
        if (!scaled) throw new InvalidConfigError(`${where}: scale applies to gaussian and laplace parts (their σ or b) and negative-binomial parts (the dispersion r) only, not ${s.likelihood}`);
        if (s.scale !== "learned" && !(typeof s.scale === "number" && s.scale > 0 && Number.isFinite(s.scale))) {
          throw new InvalidConfigError(`${where}: scale must be a positive finite number or "learned", got ${String(s.scale)}`);
        }
      }
      offsets.push(width);
      width += s.width;
    }
    // a negative binomial part's dispersion is learned unless given
    specs = specs.map((s) => (s.likelihood === "negative-binomial" && s.scale === undefined ? { ...s, scale: "learned" as const } : s));
    this.specs = specs.map((s) => ({ ...s }));
    this.width = width;
    this.offsets = offsets;
    this.logScales = specs.map((s) => s.scale === "learned" && layout
      ? layout.vector(`${prefix}.${s.name}.${s.likelihood === "negative-binomial" ? "log_dispersion" : "log_scale"}`, s.width, 0) : undefined);
    if (specs.some((s) => s.scale === "learned") && !layout) {
      throw new InvalidConfigError("parts: a learned scale needs the model's parameter layout");
    }
    this.#fixed = new Float32Array(width);
    specs.forEach((s, p) => {
      if (typeof s.scale === "number") this.#fixed.fill(Math.log(s.scale), offsets[p], offsets[p] + s.width);
    });
    // Runs: adjacent parts of one likelihood and width; learned parts only while their vectors are adjacent.
    const runs: Run[] = [];
    specs.forEach((s, p) => {
      const v = this.logScales[p];
      const last = runs[runs.length - 1];
      const prev = last ? this.logScales[last.first + last.n - 1] : undefined;
      if (last && last.kind === s.likelihood && last.w === s.width && (last.param < 0) === !v &&
        (!v || (prev !== undefined && prev.offset + prev.size === v.offset))) {
        runs[runs.length - 1] = { ...last, n: last.n + 1 };
      } else runs.push({ kind: s.likelihood, first: p, n: 1, w: s.width, at: offsets[p], param: v ? v.offset : -1 });
    });
    this.#runs = runs;
  }

  /** Number of parts (P: the columns of the losses and of the mask). */
  get count(): number {
    return this.specs.length;
  }

  /**
   * losses [rows, P] = −log p(part p of row r), +0 where mask [rows, P] is 0 (mask undefined: all present). In a
   * training pass (t.scale ≠ 0) adds t.scale·∂/∂out into out.grad (the tape zeroes it first when nothing wrote it
   * in this pass) and, for learned scales, into the parameter gradients; a missing part adds nothing.
   */
  forward(t: Tape, losses: Tensor, out: Tensor, x: Tensor, mask: Tensor | undefined, rows: number, at: PartsPlacement = {}): void {
    const os = at.outStride ?? this.width, xs = at.xStride ?? this.width;
    const o0 = at.outOffset ?? 0, x0 = at.xOffset ?? 0;
    const dout = t.scale ? t.acc(out.grad!, rows * os) : 0;
    for (const r of this.#runs) {
      this.#call(t, r, dout ? dout + (o0 + r.at) * 4 : 0, losses.ptr + r.first * 4, out.ptr + (o0 + r.at) * 4,
        x.ptr + (x0 + r.at) * 4, mask ? mask.ptr + r.first * 4 : 0, rows, os, xs);
    }
  }

  /**
   * Scores part `p` alone against its own output tensor (outStride elements per row, the part at outOffset, default
   * 0 and its width): losses column p of [rows, P], mask column p. Gradients as `forward`.
   */
  forwardPart(t: Tape, p: number, losses: Tensor, out: Tensor, x: Tensor, mask: Tensor | undefined, rows: number,
    at: PartsPlacement = {}): void {
    const s = this.specs[p];
    if (!s) throw new InvalidConfigError(`parts: no part ${p} (there are ${this.count})`);
    const os = at.outStride ?? s.width, xs = at.xStride ?? this.width;
    const o0 = at.outOffset ?? 0, x0 = at.xOffset ?? this.offsets[p];
    const v = this.logScales[p];
    const run: Run = { kind: s.likelihood, first: p, n: 1, w: s.width, at: this.offsets[p], param: v ? v.offset : -1 };
    const dout = t.scale ? t.acc(out.grad!, rows * os) : 0;
    this.#call(t, run, dout ? dout + o0 * 4 : 0, losses.ptr + p * 4, out.ptr + o0 * 4, x.ptr + x0 * 4,
      mask ? mask.ptr + p * 4 : 0, rows, os, xs);
  }

  #call(t: Tape, r: Run, dout: number, losses: number, out: number, x: number, mask: number, rows: number,
    os: number, xs: number): void {
    const k = t.e.k, P = this.count, s = t.scale;
    switch (r.kind) {
      case "bernoulli":
        return k.parts_bernoulli_loss(dout, losses, out, x, mask, rows, r.n, r.w, os, xs, P, s);
      case "continuous-bernoulli":
        return k.parts_cbernoulli_loss(dout, losses, out, x, mask, rows, r.n, r.w, os, xs, P, s);
      case "poisson":
        return k.parts_poisson_loss(dout, losses, out, x, mask, rows, r.n, r.w, os, xs, P, s);
      case "categorical":
        return k.parts_categorical_loss(dout, losses, out, x, mask, rows, r.n, r.w, os, xs, P, s);
      default: {
        const learned = r.param >= 0;
        const par = learned ? t.params + r.param * 4 : this.#constants(t.e) + r.at * 4;
        const dpar = learned && dout ? t.grads + r.param * 4 : 0;
        const f = r.kind === "gaussian" ? k.parts_gaussian_loss : r.kind === "laplace" ? k.parts_laplace_loss : k.parts_negbinomial_loss;
        return f(dout, dpar, losses, out, x, par, mask, rows, r.n, r.w, os, xs, P, s);
      }
    }
  }

  /** The fixed log scales in engine memory (allocated once per engine; freed by dispose). */
  #constants(e: Engine): number {
    if (this.#engine !== e) {
      this.dispose();
      this.#constPtr = e.alloc(this.width);
      e.write(this.#constPtr, this.#fixed);
      this.#engine = e;
    }
    return this.#constPtr;
  }

  /**
   * Distribution means of decoder outputs [rows, outStride] (host arrays), per part into [rows, width]: sigmoid
   * (Bernoulli), the location (Gaussian, Laplace), the continuous Bernoulli mean, e^η (Poisson, negative binomial), softmax
   * (categorical).
   */
  means(out: Float32Array, rows: number, outStride = this.width): Float32Array {
    const W = this.width, res = new Float32Array(rows * W);
    for (let r = 0; r < rows; r++) {
      this.specs.forEach((s, p) => {
        const o = r * outStride + this.offsets[p], d = r * W + this.offsets[p];
        if (s.likelihood === "categorical") {
          let m = -Infinity, sum = 0;
          for (let c = 0; c < s.width; c++) m = Math.max(m, out[o + c]);
          for (let c = 0; c < s.width; c++) sum += Math.exp(out[o + c] - m);
          for (let c = 0; c < s.width; c++) res[d + c] = Math.exp(out[o + c] - m) / sum;
          return;
        }
        for (let c = 0; c < s.width; c++) {
          const l = out[o + c];
          if (s.likelihood === "bernoulli") res[d + c] = 1 / (1 + Math.exp(-l));
          else if (s.likelihood === "continuous-bernoulli") res[d + c] = Math.abs(l) < 1e-4 ? 0.5 + l / 12 : 1 / (1 - Math.exp(-l)) - 1 / l;
          else if (s.likelihood === "poisson" || s.likelihood === "negative-binomial") res[d + c] = Math.exp(l);
          else res[d + c] = l;
        }
      });
    }
    return res;
  }

  /** Frees the fixed scales' engine memory (a later forward allocates it again). */
  dispose(): void {
    if (this.#engine && this.#constPtr) this.#engine.release(this.#constPtr);
    this.#engine = undefined;
    this.#constPtr = 0;
  }
}
