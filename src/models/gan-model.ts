// What VAEGAN and CVAEGAN share: networks built from layer lists as slices of one ParameterLayout (each network a
// contiguous slice, so each is a parameter group of its own), the encoder → reparameterization → decoder path of a
// VAE, the discriminator run once over the stacked rows [x; x̃; x_p] (real data, reconstructions, prior samples) and
// split at its feature layer l, the noise of training keyed on the model's step count (no hidden stream state), and
// the inference calls (encode, decode, reconstruct, sample, interpolate, traverse, latentGrid).
import { InvalidInputError } from "../errors.js";
import { seedOf, toRows, type Rows } from "../io/data.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions } from "../latent/interpolate.js";
import { concatCols } from "../nn/concat.js";
import { stackBackward, stackForward, type Activation, type DenseLayer, ParameterLayout, type TensorPart } from "../nn/dense.js";
import { klStandardNormal } from "../nn/kl.js";
import { reparameterize } from "../nn/reparameterize.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor, Workspace } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { Terms } from "../train/fit.js";
import { ParameterGroups, type ParameterGroup } from "../train/groups.js";
import type { GanLayer } from "./gan-config.js";
import { Tensor as TensorHandle } from "../nn/tensor.js";
import { JoinLabel, type Layer } from "../nn/stack.js";
import { stack as layerStack } from "./layer-nets.js";
import { planLayers, type DenseLayerSpec, type PlannedLayer } from "./layers-config.js";
import type { ModelKind } from "./format.js";
import { CHUNK, Model, STREAM } from "./model.js";
import type { ModelCapabilities } from "./model-api.js";
import { optionsOf } from "./options.js";

/** What the GAN passes need of a network: an MLP Stack or a LayerStack (conv layer lists). */
export interface Net {
  readonly layers: readonly unknown[];
  readonly inSize: number;
  readonly outSize: number;
  /** The label a conditional encoder joins after its flatten (layer lists only). */
  readonly join?: JoinLabel;
  declare(ws: Workspace, rows: (d: Dims) => number, fanOut?: boolean): void;
  readonly output: Tensor;
  run(t: Tape, x: Tensor, rows: number, inputGrad?: boolean): Tensor;
}

/** A stack of dense layers run on a tape (the layer-list counterpart of Mlp, with names `${prefix}.layers.{i}`). */
export class Stack implements Net {
  #outs: Tensor[] = [];

  constructor(readonly layers: readonly DenseLayer[], readonly alpha: number) {}

  get inSize(): number {
    return this.layers[0].inSize;
  }

  get outSize(): number {
    return this.layers[this.layers.length - 1].outSize;
  }

  /** Declares the layer outputs with gradients, `rows(d)` rows; `fanOut`: the output's gradient may have two writers. */
  declare(ws: Workspace, rows: (d: Dims) => number, fanOut = false): void {
    this.#outs = this.layers.map((l, i) => ws.tensor((d) => rows(d) * l.outSize, true, fanOut && i === this.layers.length - 1));
  }

  get output(): Tensor {
    return this.#outs[this.#outs.length - 1];
  }

  /**
   * Runs the stack on `rows` rows of x. Backward (when the tape records): parameter gradients +=, and x's gradient
   * when x has one and `inputGrad` (written by the first writer, else added).
   */
  run(t: Tape, x: Tensor, rows: number, inputGrad = true): Tensor {
    const outs = this.#outs.map((o) => o.ptr);
    stackForward(t.e, this.layers, t.params, x.ptr, outs, rows, this.alpha);
    if (t.scale) t.record(() => {
      const douts = this.#outs.map((o) => o.grad!.ptr);
      const back = (dx: number): void => stackBackward(t.e, this.layers, t.params, t.grads, x.ptr, outs, douts, dx, rows, this.alpha);
      if (x.grad && inputGrad) t.over(x.grad, rows * this.inSize, back);
      else back(0);
    });
    return this.output;
  }
}

/**
 * A network of vaekit's layer-list modules (conv2d, conv2dTranspose, dense, the label join) with the Stack
 * interface the GAN passes use: `fanOut` gives the output a gradient two writers may fill (a copy of the last
 * module's output, its gradient copied back), `inputGrad` false runs the first module on a view of x without its
 * gradient.
 */
export class LayerStack implements Net {
  #out: Tensor | undefined;
  readonly #view = new TensorHandle(() => 0);

  constructor(readonly layers: readonly Layer[], readonly inSize: number, readonly outSize: number, readonly join?: JoinLabel) {}

  declare(ws: Workspace, rows: (d: Dims) => number, fanOut = false): void {
    for (const l of this.layers) l.declare(ws, rows);
    this.#out = fanOut ? ws.tensor((d) => rows(d) * this.outSize, true, true) : undefined;
  }

  get output(): Tensor {
    return this.#out ?? this.layers[this.layers.length - 1].output;
  }

  run(t: Tape, x: Tensor, rows: number, inputGrad = true): Tensor {
    let h = x;
    if (!inputGrad && x.grad) {
      this.#view.ptr = x.ptr;
      h = this.#view;
    }
    for (const l of this.layers) h = l.run(t, h, rows);
    const out = this.#out;
    if (!out) return h;
    const n = rows * this.outSize, k = t.e.k, inner = h;
    k.repeat_rows_forward(out.ptr, inner.ptr, 1, n, 1);
    t.record(() => {
      if (t.has(out.grad!)) t.over(inner.grad!, n, (d) => k.repeat_rows_forward(d, out.grad!.ptr, 1, n, 1));
    });
    return out;
  }
}

/** Module count of the planned layers before spec index `l` (flatten and reshape have none; a label join has one). */
function moduleIndex(plan: readonly PlannedLayer[], l: number, classes: number): number {
  let m = 0, joined = false;
  for (const p of plan) {
    if (p.index === l) return m;
    if (p.spec.type === "flatten") {
      if (classes && !joined) {
        joined = true;
        m++;
      }
    } else if (p.spec.type !== "reshape") m++;
  }
  return m;
}

/** Adds a layer list (and an optional output layer) to the layout: `${prefix}.layers.{i}`, then `${prefix}.${out.name}`. */
export function buildLayers(layout: ParameterLayout, prefix: string, inSize: number, list: readonly GanLayer[],
  out?: { name: string; size: number; activation: Activation; parts?: readonly TensorPart[] }): DenseLayer[] {
  const layers: DenseLayer[] = [];
  let width = inSize;
  list.forEach((spec, i) => {
    const l = spec as DenseLayerSpec;
    layers.push(layout.add(`${prefix}.layers.${i}`, width, l.units, l.activation ?? "leaky_relu"));
    width = l.units;
  });
  if (out) {
    const parts = out.parts?.map((p) => ({ ...p, name: `${prefix}.${p.name}` }));
    layers.push(layout.add(`${prefix}.${out.name}`, width, out.size, out.activation, parts));
  }
  return layers;
}

/** Why fit refuses dynamicBinarization for the GAN models: their real rows also feed the discriminator as they are. */
export const NO_BINARIZATION =
  "fit: dynamicBinarization is not available for VAEGAN / CVAEGAN (the discriminator sees the training rows as given); binarize the data beforehand";

/**
 * Result of `VAEGAN.gradients` and `CVAEGAN.gradients`: one step's loss summed over the batch and its gradient over
 * every tensor.
 *
 * @example
 * ```ts
 * const { loss, gradients }: GanGradients = model.gradients(x, { step: "discriminator", seed: 1 });
 * ```
 */
export interface GanGradients {
  loss: number;
  gradients: Record<string, Float32Array>;
}

/** The resolved config fields every GAN model has. */
export interface GanBaseConfig {
  inputSize: number;
  inputShape?: [number, number, number];
  latentSize: number;
  encoder: GanLayer[];
  decoder: GanLayer[];
  discriminator: GanLayer[];
  featureLayer: number;
  leakySlope: number;
  outputActivation: "sigmoid" | "tanh" | "identity";
  labelSmoothing: number;
  balance: { equilibrium: number; margin: number } | null;
  init: string;
  seed: number;
}

/** The networks of a GAN model, laid out network by network (each a contiguous slice: a parameter group). */
export interface GanNets {
  layout: ParameterLayout;
  encoder: Net;
  decoder: Net;
  /** Discriminator layers 0 … featureLayer (output: the features Dis_l) and the rest down to the logit. */
  features: Net;
  head: Net;
  groups: ParameterGroup[];
  /** Any further networks (CVAEGAN's classifier), by name. */
  extra: Record<string, Net>;
}

/** Parameter groups laid out network by network: `group(name)` names everything added to `layout` since the last call. */
function groupRecorder(layout: ParameterLayout): { groups: ParameterGroup[]; group: (name: string) => void } {
  const groups: ParameterGroup[] = [];
  let from = 0;
  return {
    groups,
    group: (name) => {
      groups.push({ name, offset: from, size: layout.size - from });
      from = layout.size;
    },
  };
}

/** Builds encoder, decoder and discriminator for D inputs, L latents, and `classes` label columns joined to the encoder's and decoder's inputs. */
export function buildNets(cfg: GanBaseConfig, classes: number,
  more?: { group: string; build: (layout: ParameterLayout) => Record<string, Net> }): GanNets {
  if (cfg.inputShape) return buildLayerNets(cfg, cfg.inputShape, classes, more);
  const layout = new ParameterLayout();
  const D = cfg.inputSize, L = cfg.latentSize, a = cfg.leakySlope;
  const { groups, group } = groupRecorder(layout);
  const encoder = new Stack(buildLayers(layout, "encoder", D + classes, cfg.encoder,
    { name: "head", size: 2 * L, activation: "identity", parts: [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }] }), a);
  group("encoder");
  const decoder = new Stack(buildLayers(layout, "decoder", L + classes, cfg.decoder, { name: "output", size: D, activation: cfg.outputActivation }), a);
  group("decoder");
  const dis = buildLayers(layout, "discriminator", D, cfg.discriminator, { name: "output", size: 1, activation: "identity" });
  group("discriminator");
  const extra = more ? more.build(layout) : {};
  if (more) group(more.group);
  const l = cfg.featureLayer;
  return { layout, encoder, decoder, features: new Stack(dis.slice(0, l + 1), a), head: new Stack(dis.slice(l + 1), a), groups, extra };
}

/**
 * A layer list that ends flat and a dense head after it (`out` units, named `${prefix}.output`, or `parts`) as
 * two LayerStacks split after spec layer `split` (the whole list and the head when split is the last layer).
 */
export function splitLayerNet(layout: ParameterLayout, prefix: string, list: readonly GanLayer[], shape: readonly number[], alpha: number,
  split: number, out: { size: number; activation: Activation; parts?: TensorPart[] }, classes = 0): { first: LayerStack; rest: LayerStack } {
  const plan = planLayers(prefix, list, shape, classes);
  const whole = layerStack(layout, prefix, plan, shape.reduce((a, b) => a * b, 1), alpha, classes,
    { size: out.size, activation: out.activation, parts: out.parts ?? [{ name: `${prefix}.output`, col: 0, cols: out.size }] });
  // the modules up to and including spec layer `split` (a flatten or reshape there has no module of its own)
  const k = moduleIndex(plan, split, classes) + (["flatten", "reshape"].includes(plan[split].spec.type) ? 0 : 1);
  const mods = whole.layers as Layer[];
  const first = new LayerStack(mods.slice(0, k), whole.inSize, mods[k - 1].outSize, whole.join);
  const rest = new LayerStack(mods.slice(k), mods[k - 1].outSize, whole.outSize);
  return { first, rest };
}

/** The layer-list form (conv layers): every network from vaekit's layer-list modules, laid out network by network. */
function buildLayerNets(cfg: GanBaseConfig, shape: [number, number, number], classes: number,
  more?: { group: string; build: (layout: ParameterLayout) => Record<string, Net> }): GanNets {
  const layout = new ParameterLayout();
  const D = cfg.inputSize, L = cfg.latentSize, a = cfg.leakySlope;
  const { groups, group } = groupRecorder(layout);
  const encPlan = planLayers("encoder", cfg.encoder, shape, classes);
  const enc = layerStack(layout, "encoder", encPlan, D, a, classes,
    { size: 2 * L, parts: [{ name: "encoder.mean", col: 0, cols: L }, { name: "encoder.logvar", col: L, cols: L }] });
  const encoder = new LayerStack(enc.layers, D, 2 * L, enc.join);
  group("encoder");
  const decStack = layerStack(layout, "decoder", planLayers("decoder", cfg.decoder, [L + classes]), L + classes, a, 0);
  const decoder = new LayerStack(decStack.layers, L + classes, D);
  group("decoder");
  const dis = splitLayerNet(layout, "discriminator", cfg.discriminator, shape, a, cfg.featureLayer, { size: 1, activation: "identity" });
  group("discriminator");
  const extra = more ? more.build(layout) : {};
  if (more) group(more.group);
  return { layout, encoder, decoder, features: dis.first, head: dis.rest, groups, extra };
}

/** What a pass runs: prior rows (x_p), the discriminator's head, and which networks' backward is recorded. */
export interface PassPlan {
  /** Decode prior samples z_p too (rows B … 2B of the decoder, 2B … 3B of the discriminator). */
  prior: boolean;
  /** Run the discriminator past its feature layer, to the logit. */
  head: boolean;
  /** Networks whose forward runs without recording a backward (their gradients are not needed). */
  frozen: { encoder?: boolean; decoder?: boolean };
}

/** The typed tensors of a GAN pass, B examples. */
export interface GanTensors {
  /** x [B, D], labels y [B, C], encoder input [x | y]. */
  x: Tensor; y: Tensor; xc: Tensor;
  /** ε [B, L]; z [2B, L] = [posterior z; prior z_p]; decoder input [z | y] [2B, L + C]. */
  eps: Tensor; z: Tensor; zc: Tensor;
  /** The discriminator's input rows [x; x̃; x_p] [3B, D]. */
  dIn: Tensor;
  /** Per-row losses: KL [B], two feature-loss rows [B], GAN losses [3B], GAN targets [3B]. */
  kl: Tensor; rec: Tensor; rec2: Tensor; gl: Tensor; tgt: Tensor;
}

/** Row r of step s of training: the noise counter (batches up to 2^20 rows, the fit loop's limit). */
const ROW_BLOCK = 2 ** 20;

export abstract class GanModel<C extends GanBaseConfig, T extends Terms> extends Model<C, T> {
  protected readonly D: number;
  protected readonly L: number;
  protected readonly classes: number;
  protected readonly encoder: Net;
  protected readonly decoder: Net;
  protected readonly features: Net;
  protected readonly head: Net;
  protected readonly extra: Record<string, Net>;
  protected readonly b: GanTensors;
  readonly #groupList: ParameterGroup[];
  #groups: ParameterGroups | undefined;
  #gone = false;

  protected constructor(e: Engine, cfg: C, nets: GanNets, kind: ModelKind, classes: number) {
    super(e, cfg, nets.layout, kind);
    this.D = cfg.inputSize;
    this.L = cfg.latentSize;
    this.classes = classes;
    this.encoder = nets.encoder;
    this.decoder = nets.decoder;
    this.features = nets.features;
    this.head = nets.head;
    this.extra = nets.extra;
    this.#groupList = nets.groups;
    const { D, L } = this, Cn = classes;
    const ws = this.ws;
    const B = (d: Dims): number => d.B;
    this.b = {
      x: ws.tensor((d) => B(d) * D), y: ws.tensor((d) => B(d) * Cn), xc: ws.tensor((d) => (Cn ? B(d) * (D + Cn) : 0)),
      eps: ws.tensor((d) => B(d) * L), z: ws.tensor((d) => 2 * B(d) * L, true), zc: ws.tensor((d) => (Cn ? 2 * B(d) * (L + Cn) : 0), true),
      dIn: ws.tensor((d) => 3 * B(d) * D, true, Cn > 0), // a conditional model's classifier reads it too: two writers
      kl: ws.tensor(B), rec: ws.tensor(B), rec2: ws.tensor(B), gl: ws.tensor((d) => 3 * B(d)), tgt: ws.tensor((d) => 3 * B(d)),
    };
    this.encoder.declare(ws, B);
    this.decoder.declare(ws, (d) => 2 * B(d));
    this.features.declare(ws, (d) => 3 * B(d), true);
    if (this.head.layers.length) this.head.declare(ws, (d) => 3 * B(d));
  }

  /** The parameter groups (encoder, decoder, discriminator, …) with their optimizer states, made on first training. */
  protected get groups(): ParameterGroups {
    return (this.#groups ??= new ParameterGroups(this.e, this.params, this.grads, this.nParams, this.#groupList));
  }

  /** Parameter group names and sizes (f32 slices of the flat buffer), in layout order. */
  get parameterGroups(): { name: string; offset: number; size: number }[] {
    return this.#groupList.map((g) => ({ name: g.name, offset: g.offset, size: g.size }));
  }

  /**
   * Frees the model's WebAssembly memory, the optimizer states of its parameter groups included; any later call
   * throws DisposedError. Safe to call twice.
   *
   * @example
   * ```ts
   * model.dispose();
   * ```
   */
  override dispose(): void {
    if (this.#gone) return;
    this.live("dispose", true);
    this.#groups?.free();
    this.#groups = undefined;
    super.dispose();
    this.#gone = true;
  }

  /** The parameter groups with their optimizer states (src/train/state.ts stores and restores them: resumable files). */
  protected trainingGroups(): ParameterGroups {
    return this.groups;
  }

  /** A Gaussian posterior and a prior to sample from; no likelihood (the reconstruction error is in feature space). */
  get capabilities(): ModelCapabilities {
    return { ...this.caps(this.D, this.classes, { z: this.L }, true, false), logLikelihood: false };
  }

  // ---- data ----

  /** Data rows; with a sigmoid output the values must lie in [0, 1] (what the decoder can produce). */
  protected rowsOf(x: unknown, what: string): Rows {
    const unit = this.cfg.outputActivation === "sigmoid";
    return toRows(x, this.D, what, unit, unit ? " (the decoder's sigmoid output lies in [0, 1]; scale the data, or set outputActivation)" : "", this.scan);
  }

  /** Lays the workspace out for passes of B examples. */
  protected dims(B: number): void {
    this.ws.layout({ B, K: 1, multi: false, total: 0 });
  }

  protected chunks(n: number, body: (start: number, rows: number) => void): void {
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), body, CHUNK);
  }

  /** Writes x rows [start, start + rows) (and labels) into the batch tensors. */
  protected putRows(x: Float32Array, y: Float32Array | undefined, start: number, rows: number): void {
    this.e.write(this.b.x.ptr, x.subarray(start * this.D, (start + rows) * this.D));
    if (this.classes) this.e.write(this.b.y.ptr, y!.subarray(start * this.classes, (start + rows) * this.classes));
  }

  /** Training noise of a batch: ε and z_p of row r keyed on (seed, the model's step count, r). */
  protected trainNoise(rows: number, step: number): void {
    const base = step * ROW_BLOCK;
    this.normals(this.b.eps.ptr, rows, this.L, this.cfg.seed, STREAM.train, base);
    this.normals(this.b.z.ptr + rows * this.L * 4, rows, this.L, this.cfg.seed, STREAM.trainNoise, base);
  }

  /** Evaluation noise: ε and z_p of data row start + r from (seed, evaluate stream). */
  protected evalNoise(rows: number, seed: number, start: number): void {
    this.normals(this.b.eps.ptr, rows, this.L, seed, STREAM.evaluate, start);
    this.normals(this.b.z.ptr + rows * this.L * 4, rows, this.L, seed, STREAM.evaluate + STREAM.second, start);
  }

  // ---- the pass ----

  /** Runs `body` with the tape not recording (a frozen network's forward). */
  #frozen(t: Tape, frozen: boolean | undefined, body: () => void): void {
    const s = t.scale;
    if (frozen) t.scale = 0;
    try {
      body();
    } finally {
      t.scale = s;
    }
  }

  /** The encoder's input: x, or [x | y]. */
  protected encIn(t: Tape, B: number): Tensor {
    if (!this.classes) return this.b.x;
    if (this.encoder.join) {
      // a layer list's label joins after its flatten
      this.encoder.join.y = this.b.y;
      return this.b.x;
    }
    concatCols(t, this.b.xc, this.b.x, this.D, this.b.y, this.classes, B);
    return this.b.xc;
  }

  /** The decoder's input rows: z, or [z | y] (labels of rows B … 2B: the same examples' labels again). */
  protected decIn(t: Tape, B: number, G: number): Tensor {
    if (!this.classes) return this.b.z;
    const C = this.classes, b = this.b;
    concatCols(t, b.zc, b.z, this.L, b.y, C, B);
    if (G > B) {
      // prior rows: [z_p | y] — no gradient flows into z_p (noise), so a plain copy
      const mem = this.e.f32(0, this.e.memoryBytes / 4);
      const w = this.L + C, o = b.zc.ptr / 4 + B * w, pz = b.z.ptr / 4 + B * this.L, py = b.y.ptr / 4;
      for (let r = 0; r < G - B; r++) {
        mem.copyWithin(o + r * w, pz + r * this.L, pz + (r + 1) * this.L);
        mem.copyWithin(o + r * w + this.L, py + r * C, py + (r + 1) * C);
      }
    }
    return b.zc;
  }

  /**
   * Encoder, reparameterization (ε in eps), decoder on [z; z_p] (z_p in z's rows B … 2B when plan.prior) and the
   * discriminator on [x; x̃; x_p] up to its features (and its logit with plan.head). `klScale`: the KL's weight in
   * the pass's objective (its gradient is fused, written now), or 0 for no KL gradient. Returns the rows the
   * discriminator ran on and the stats.
   */
  protected forward(t: Tape, B: number, plan: PassPlan, klScale: number): { R: number; stats: Tensor } {
    const b = this.b, { D, L } = this;
    const G = plan.prior ? 2 * B : B, R = B + G;
    let stats!: Tensor;
    this.#frozen(t, plan.frozen.encoder, () => {
      stats = this.encoder.run(t, this.encIn(t, B), B);
      klStandardNormal(t, b.kl, stats, B, L, klScale * t.scale, klScale !== 0);
      reparameterize(t, b.z, b.eps, stats, B, L);
    });
    this.#frozen(t, plan.frozen.decoder, () => {
      const out = this.decoder.run(t, this.decIn(t, B, G), G);
      this.e.k.repeat_rows_forward(b.dIn.ptr, b.x.ptr, 1, B * D, 1);
      this.e.k.repeat_rows_forward(b.dIn.ptr + B * D * 4, out.ptr, 1, G * D, 1);
      t.record(() => t.over(out.grad!, G * D, (d) => t.e.k.repeat_rows_forward(d, b.dIn.grad!.ptr + B * D * 4, 1, G * D, 1)));
    });
    const frozenGen = !!plan.frozen.encoder && !!plan.frozen.decoder;
    this.features.run(t, b.dIn, R, !frozenGen);
    if (plan.head) this.head.run(t, this.features.output, R);
    return { R, stats };
  }

  /**
   * The Gaussian reconstruction error of the features, per example: ½‖Dis_l(x) − Dis_l(x̃)‖² + ½·h·log 2π (into
   * rec), its gradient (times `scale`, when the tape records and scale ≠ 0) written into the features' gradient
   * rows of x and x̃ — the first writer of that gradient in the pass (called right after forward).
   */
  protected featureLoss(t: Tape, B: number, R: number, scale: number, F = this.features.output, h = this.features.outSize): number {
    const k = this.e.k, b = this.b;
    const real = F.ptr, fake = F.ptr + B * h * 4;
    if (t.scale && scale) {
      const g = t.acc(F.grad!, R * h);
      k.gaussian_loss(g + B * h * 4, b.rec.ptr, fake, real, B, h, 1, scale * t.scale);
      k.gaussian_loss(g, b.rec2.ptr, real, fake, B, h, 1, scale * t.scale);
    } else {
      k.gaussian_loss(0, b.rec.ptr, fake, real, B, h, 1, 0);
    }
    return this.sumAt(b.rec.ptr, B);
  }

  /**
   * Binary cross-entropies of the logits of rows [from, from + n) against `target`: Σ softplus(a) − target·a, and
   * (scale ≠ 0, the tape recording) scale·(σ(a) − target) written into those rows of the logit's gradient.
   */
  protected bce(t: Tape, from: number, n: number, target: number, scale: number, R: number): number {
    const a = this.head.output, b = this.b, k = this.e.k;
    const tg = this.e.f32(b.tgt.ptr + from * 4, n);
    tg.fill(target);
    if (t.scale && scale) {
      const g = t.acc(a.grad!, R);
      k.bernoulli_logits_loss(g + from * 4, b.gl.ptr + from * 4, a.ptr + from * 4, b.tgt.ptr + from * 4, n, 1, scale * t.scale);
    } else {
      k.bernoulli_logits_loss(0, b.gl.ptr + from * 4, a.ptr + from * 4, b.tgt.ptr + from * 4, n, 1, 0);
    }
    return this.sumAt(b.gl.ptr + from * 4, n);
  }

  // ---- inference ----

  /** Posterior means and log-variances of every row. */
  protected encodeData(x: Float32Array, y: Float32Array | undefined, n: number): { mean: Float32Array; logVar: Float32Array } {
    const L = this.L;
    const mean = new Float32Array(n * L), logVar = new Float32Array(n * L);
    this.chunks(n, (start, rows) => {
      this.putRows(x, y, start, rows);
      const t = this.pass(0);
      const s = this.e.f32(this.encoder.run(t, this.encIn(t, rows), rows).ptr, rows * 2 * L);
      for (let r = 0; r < rows; r++) {
        mean.set(s.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        logVar.set(s.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    });
    return { mean, logVar };
  }

  /** Decodes n latent rows written by fillZ (labels: one-hot rows [n, C]). */
  protected decodeWith(n: number, labels: Float32Array | undefined, fillZ: (start: number, rows: number, z: number) => void): Float32Array {
    const D = this.D, C = this.classes;
    const out = new Float32Array(n * D);
    this.chunks(n, (start, rows) => {
      if (C) this.e.write(this.b.y.ptr, labels!.subarray(start * C, (start + rows) * C));
      fillZ(start, rows, this.b.z.ptr);
      const t = this.pass(0);
      const y = this.decoder.run(t, this.decIn(t, rows, rows), rows);
      out.set(this.e.f32(y.ptr, rows * D), start * D);
    });
    return out;
  }

  /** decode(μ(x)): the reconstruction at the posterior mean. */
  protected reconstructData(x: Float32Array, y: Float32Array | undefined, n: number): Float32Array {
    const L = this.L;
    return this.decodeWith(n, y, (start, rows, z) => {
      this.putRows(x, y, start, rows);
      const t = this.pass(0);
      const s = this.e.f32(this.encoder.run(t, this.encIn(t, rows), rows).ptr, rows * 2 * L);
      const zz = this.e.f32(z, rows * L);
      for (let r = 0; r < rows; r++) zz.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
    });
  }

  /** n draws z ~ N(0, I) decoded. */
  protected sampleData(n: number, labels: Float32Array | undefined, seed: number, offset: number): Float32Array {
    return this.decodeWith(n, labels, (start, rows, z) => this.normals(z, rows, this.L, seed, STREAM.sample, offset + start));
  }

  /** D(x) as logits, one per row. */
  protected discriminateData(x: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n);
    this.chunks(n, (start, rows) => {
      this.e.write(this.b.dIn.ptr, x.subarray(start * this.D, (start + rows) * this.D));
      const t = this.pass(0);
      this.features.run(t, this.b.dIn, rows);
      out.set(this.e.f32(this.head.run(t, this.features.output, rows).ptr, rows), start);
    });
    return out;
  }

  /** A latent code, or an input encoded to its posterior mean (unconditional models). */
  protected code(v: ArrayLike<number>, what: string, encode: (x: Float32Array) => Float32Array): Float32Array {
    const values = Float32Array.from(v as ArrayLike<number>);
    if (values.length === this.L) return toRows(values, this.L, what).values;
    if (values.length === this.D) return encode(values);
    throw new InvalidInputError(`${what} has ${values.length} values; give a latent code (${this.L} values) or an input (${this.D} values)`);
  }

  /** Latent rows of interpolate, traverse and latentGrid. */
  protected interpolationPoints(za: Float32Array, zb: Float32Array, options: unknown, extra: string[]): Float32Array {
    const o = interpolationOptions(optionsOf(options, ["steps", "method", ...extra], "interpolate"));
    return interpolatePath(za, zb, o.steps, o.method);
  }

  protected traversalPoints(z: ArrayLike<number>, dim: number, options: unknown, extra: string[]): Float32Array {
    const o = optionsOf(options, ["values", ...extra], "traverse");
    const base = toRows(Array.from(z), this.L, "traverse: z");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: z must be one latent code of ${this.L} values; got ${base.rows} rows`);
    return traversePoints(base.values, dim, o.values);
  }

  protected gridOf(options: unknown, extra: string[]): Float32Array {
    if (this.L !== 2) {
      throw new InvalidInputError(`latentGrid needs a 2-D latent space; this model has latentSize ${this.L} (use traverse() for one dimension at a time)`);
    }
    return gridPoints(optionsOf(options, ["size", "range", ...extra], "latentGrid")).points;
  }

  /**
   * What `gradients` does after checking its step and data (both models): ε and z_p from `epsilon` / `prior` or
   * drawn from `seed`, the gradient buffer zeroed, one step run by `step` at the current weights.
   */
  protected stepGradients(o: Record<string, unknown>, x: Float32Array, y: Float32Array | undefined, n: number,
    step: (n: number) => Terms): GanGradients {
    const eps = o.epsilon === undefined ? undefined : toRows(o.epsilon, this.L, "gradients: epsilon");
    const prior = o.prior === undefined ? undefined : toRows(o.prior, this.L, "gradients: prior");
    for (const [name, v] of [["epsilon", eps], ["prior", prior]] as const) {
      if (v && v.rows !== n) throw new InvalidInputError(`gradients: ${name} has ${v.rows} rows but x has ${n}; give one row of ${this.L} values per example`);
    }
    const seed = seedOf("gradients: seed", o.seed, 0);
    this.fits("gradients", n);
    this.dims(n);
    this.putRows(x, y, 0, n);
    this.evalNoise(n, seed, 0);
    if (eps) this.e.write(this.b.eps.ptr, eps.values);
    if (prior) this.e.write(this.b.z.ptr + n * this.L * 4, prior.values);
    this.e.k.zero_f32(this.grads, this.nParams);
    const terms = step(n);
    return { loss: terms.loss, gradients: this.gradientTensors() };
  }

  /**
   * The discriminator's step (both models): encoder and decoder frozen in training, the BCEs of real data (target
   * 1 − labelSmoothing), reconstructions and prior samples (target 0), each with its gradient.
   */
  protected discriminatorLoss(t: Tape, B: number, train: boolean): { real: number; reconstructed: number; prior: number } {
    const plan: PassPlan = { prior: true, head: true, frozen: { encoder: train, decoder: train } };
    const { R } = this.forward(t, B, plan, 0);
    const real = this.bce(t, 0, B, 1 - this.cfg.labelSmoothing, 1, R);
    const reconstructed = this.bce(t, B, B, 0, 1, R);
    const prior = this.bce(t, 2 * B, B, 0, 1, R);
    return { real, reconstructed, prior };
  }

  /** The balance rule's verdict from a batch's discriminator BCEs on real data and on prior samples (means). */
  protected balanceOf(realBce: number, fakeBce: number): { decoder: boolean; discriminator: boolean } {
    const b = this.cfg.balance;
    if (!b) return { decoder: true, discriminator: true };
    let discriminator = !(realBce < b.equilibrium - b.margin || fakeBce < b.equilibrium - b.margin);
    let decoder = !(realBce > b.equilibrium + b.margin || fakeBce > b.equilibrium + b.margin);
    if (!decoder && !discriminator) decoder = discriminator = true;
    return { decoder, discriminator };
  }
}
