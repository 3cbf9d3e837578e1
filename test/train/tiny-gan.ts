// A tiny GAN on 1-D data, built directly from the engine's dense kernels, as a test-only SteppedTarget with two
// parameter groups and two ordered steps per batch:
//   generator      g = z·Wg + bg                       (z: Z noise values per example, from the batch's field z)
//   discriminator  D(u) = tanh(u·W1 + b1)·W2 + b2      (a logit)
//   step "discriminator" (updates the discriminator): Σ softplus(−D(x)) + Σ softplus(D(g)); its backward runs on
//     through the generator too, so the generator's gradients are written — and must not be applied;
//   step "generator" (updates the generator): Σ softplus(−D(g)); its backward writes the discriminator's gradients.
// Hooks let tests look at every step (weights before it, gradients after its backward) and poison a step.
import type { Engine } from "../../src/runtime/engine";
import type { Batch, Field, FieldSet, SteppedTarget, Terms } from "../../src/train/fit";
import { type ParameterGroup, ParameterGroups } from "../../src/train/groups";

export const Z = 8;
export const H = 16;
export const G_SIZE = Z + 1;
export const TOTAL = G_SIZE + 3 * H + 1;
const TANH = 3;

export const T = 5;
export const D = 3;

/**
 * The examples: x_i (1 value), z_i (Z values), id_i = i, optionally a group id per example, and optionally a
 * sequence per example (T steps of D values, value (i, t, d) = i + t/10 + d/100) with a length 1 + i % T.
 */
export function ganData(n: number, groups?: (i: number) => number, sequences = false): Record<string, Float32Array | Int32Array> {
  const x = new Float32Array(n), z = new Float32Array(n * Z), id = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = 2 + 0.5 * Math.sin(1.7 * i);
    for (let j = 0; j < Z; j++) z[i * Z + j] = Math.sin(0.37 * (i * Z + j) + 1);
    id[i] = i;
  }
  const out: Record<string, Float32Array | Int32Array> = { x, z, id };
  if (groups) out.groups = Int32Array.from({ length: n }, (_, i) => groups(i));
  if (sequences) {
    out.seq = Float32Array.from({ length: n * T * D }, (_, k) => Math.floor(k / (T * D)) + Math.floor((k % (T * D)) / D) / 10 + (k % D) / 100);
    out.lengths = Int32Array.from({ length: n }, (_, i) => 1 + (i % T));
  }
  return out;
}

/** What a hook sees. */
export interface StepView {
  step: "discriminator" | "generator";
  batch: Batch;
  /** All weights as they were when the step began. */
  before: Float32Array;
  /** The whole gradient buffer after the step's backward (read in `after` only). */
  grads?: Float32Array;
}

export interface GanHooks {
  /** Called when a step begins (before) and after its backward (after, with the gradients). */
  before?(v: StepView): void;
  after?(v: StepView): void;
  /** Return "loss" to make the step's loss NaN, or a group name to put a NaN into that group's gradient. */
  poison?(v: StepView): "loss" | "generator" | "discriminator" | undefined;
}

export class TinyGan {
  readonly params: number;
  readonly grads: number;
  readonly groups: ParameterGroups;
  hooks: GanHooks = {};
  readonly stepsTaken: string[] = [];
  #buf: Record<string, number> = {};
  #cap = 0;

  constructor(readonly e: Engine, groupSettings: Partial<Record<"generator" | "discriminator", Partial<ParameterGroup>>> = {}) {
    this.params = e.alloc(TOTAL);
    this.grads = e.alloc(TOTAL);
    const w = new Float32Array(TOTAL);
    for (let i = 0; i < TOTAL; i++) w[i] = 0.5 * Math.sin(2.3 * i + 0.4);
    e.write(this.params, w);
    this.groups = new ParameterGroups(e, this.params, this.grads, TOTAL, [
      { ...groupSettings.generator, name: "generator", offset: 0, size: G_SIZE },
      { ...groupSettings.discriminator, name: "discriminator", offset: G_SIZE, size: TOTAL - G_SIZE },
    ]);
  }

  weights(): Float32Array {
    return this.e.read(this.params, TOTAL);
  }

  dispose(): void {
    this.groups.free();
    for (const p of Object.values(this.#buf)) this.e.release(p);
    this.e.release(this.params);
    this.e.release(this.grads);
  }

  // parameter addresses
  #p(offset: number): number {
    return this.params + offset * 4;
  }
  #g(offset: number): number {
    return this.grads + offset * 4;
  }

  #reserve(rows: number): void {
    if (rows <= this.#cap) return;
    for (const p of Object.values(this.#buf)) this.e.release(p);
    const sizes: Record<string, number> = { x: 1, z: Z, g: 1, hr: H, lr: 1, hf: H, lf: 1, dl: 1, dh: H, dg: 1 };
    this.#buf = Object.fromEntries(Object.entries(sizes).map(([k, w]) => [k, this.e.alloc(rows * w)]));
    this.#cap = rows;
  }

  /** Generator and discriminator forward on M rows already in x and z; returns the logits (real, fake). */
  #forward(M: number, real: boolean): { lr: Float32Array; lf: Float32Array } {
    const k = this.e.k, b = this.#buf;
    const W1 = this.#p(G_SIZE), b1 = this.#p(G_SIZE + H), W2 = this.#p(G_SIZE + 2 * H), b2 = this.#p(G_SIZE + 3 * H);
    k.dense_forward(b.g, b.z, this.#p(0), this.#p(Z), M, Z, 1, 0, 0);
    k.dense_forward(b.hf, b.g, W1, b1, M, 1, H, TANH, 0);
    k.dense_forward(b.lf, b.hf, W2, b2, M, H, 1, 0, 0);
    if (real) {
      k.dense_forward(b.hr, b.x, W1, b1, M, 1, H, TANH, 0);
      k.dense_forward(b.lr, b.hr, W2, b2, M, H, 1, 0, 0);
    }
    return { lr: this.e.read(b.lr, M), lf: this.e.read(b.lf, M) };
  }

  /** Backward of the discriminator from dlogits dl at logits l (hidden h, input u); returns dL/du in dh→du. */
  #backD(M: number, dl: Float32Array, h: number, l: number, u: number, du: number): void {
    const k = this.e.k, b = this.#buf;
    this.e.write(b.dl, dl);
    k.dense_backward(b.dh, this.#g(G_SIZE + 2 * H), this.#g(G_SIZE + 3 * H), b.dl, h, this.#p(G_SIZE + 2 * H), l, M, H, 1, 0, 0);
    k.dense_backward(du, this.#g(G_SIZE), this.#g(G_SIZE + H), b.dh, u, this.#p(G_SIZE), h, M, 1, H, TANH, 0);
  }

  #backG(M: number): void {
    const b = this.#buf;
    this.e.k.dense_backward(0, this.#g(0), this.#g(Z), b.dg, b.z, this.#p(0), b.g, M, Z, 1, 0, 0);
  }

  #load(batch: Batch): number {
    const M = batch.rows;
    this.#reserve(M);
    this.e.write(this.#buf.x, batch.fields.x.values as Float32Array);
    this.e.write(this.#buf.z, batch.fields.z.values as Float32Array);
    return M;
  }

  #end(v: StepView, terms: Terms & Record<string, number>): Terms {
    const bad = this.hooks.poison?.(v);
    if (bad === "loss") terms.loss = NaN;
    else if (bad) {
      const g = this.groups.get(bad)!;
      this.e.write(this.grads, [NaN], g.offset + 1);
    }
    if (this.hooks.after) this.hooks.after({ ...v, grads: this.e.read(this.grads, TOTAL) });
    return terms;
  }

  discriminatorStep(batch: Batch, scale: number): Terms {
    const v: StepView = { step: "discriminator", batch, before: this.weights() };
    this.hooks.before?.(v);
    const M = this.#load(batch);
    const { lr, lf } = this.#forward(M, true);
    let real = 0, fake = 0;
    const dr = new Float32Array(M), df = new Float32Array(M);
    for (let r = 0; r < M; r++) {
      real += softplus(-lr[r]);
      fake += softplus(lf[r]);
      dr[r] = -sigmoid(-lr[r]) * scale;
      df[r] = sigmoid(lf[r]) * scale;
    }
    const b = this.#buf;
    this.#backD(M, dr, b.hr, b.lr, b.x, 0);
    this.#backD(M, df, b.hf, b.lf, b.g, b.dg);
    this.#backG(M);
    return this.#end(v, { loss: real + fake, real, fake });
  }

  generatorStep(batch: Batch, scale: number): Terms {
    const v: StepView = { step: "generator", batch, before: this.weights() };
    this.hooks.before?.(v);
    const M = this.#load(batch);
    const { lf } = this.#forward(M, false);
    let loss = 0;
    const df = new Float32Array(M);
    for (let r = 0; r < M; r++) {
      loss += softplus(-lf[r]);
      df[r] = -sigmoid(-lf[r]) * scale;
    }
    const b = this.#buf;
    this.#backD(M, df, b.hf, b.lf, b.g, b.dg);
    this.#backG(M);
    return this.#end(v, { loss });
  }

  /** Mean discriminator loss over data (forward only, in chunks of the batch capacity). */
  evaluate(d: FieldSet): Terms {
    let loss = 0;
    const cap = Math.max(this.#cap, 1);
    this.#reserve(cap);
    for (let s = 0; s < d.rows; s += cap) {
      const M = Math.min(cap, d.rows - s);
      this.e.write(this.#buf.x, (d.fields.x.values as Float32Array).subarray(s, s + M));
      this.e.write(this.#buf.z, (d.fields.z.values as Float32Array).subarray(s * Z, (s + M) * Z));
      const { lr, lf } = this.#forward(M, true);
      for (let r = 0; r < M; r++) loss += softplus(-lr[r]) + softplus(lf[r]);
    }
    return { loss: loss / d.rows };
  }

  target(order: ("discriminator" | "generator")[] = ["discriminator", "generator"]): SteppedTarget {
    const step = {
      discriminator: { name: "discriminator", groups: ["discriminator"], forwardBackward: (b: Batch, s: number) => this.discriminatorStep(b, s) },
      generator: { name: "generator", groups: ["generator"], forwardBackward: (b: Batch, s: number) => this.generatorStep(b, s) },
    };
    return {
      seed: 7,
      groups: this.groups,
      steps: order.map((s) => step[s]),
      validate: (data) => {
        const d = data as Record<string, Float32Array | Int32Array>;
        const rows = d.x.length;
        const fields: Record<string, Field> = { x: { width: 1, values: d.x }, z: { width: Z, values: d.z }, id: { width: 1, values: d.id } };
        if (d.groups) fields.groups = { width: 1, values: d.groups };
        if (d.seq) Object.assign(fields, { seq: { width: T * D, values: d.seq }, lengths: { width: 1, values: d.lengths } });
        return { rows, fields };
      },
      begin: (capacity) => this.#reserve(capacity),
      stepTaken: (name) => void this.stepsTaken.push(name),
      evaluate: (d) => this.evaluate(d),
    };
  }
}

function softplus(a: number): number {
  return a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a));
}
function sigmoid(a: number): number {
  return 1 / (1 + Math.exp(-a));
}
