// The multi-level VAE (Bouchacourt, Tomioka & Nowozin 2017, "Learning Disentangled Representations from Grouped
// Observations"): examples come in groups that share a factor; each example has a style latent S_i, each group one
// content latent C_G whose posterior accumulates the members' evidence (a product of their Gaussians). Per group G,
//   ELBO(G) = Σ_{i∈G} E_q(C_G|X_G) E_q(S_i|x_i) [log p(x_i | C_G, S_i)] − Σ_{i∈G} KL(q(S_i|x_i) ‖ p(S_i)) − KL(q(C_G|X_G) ‖ p(C_G))
// trained on batches of whole groups (Algorithm 1); every member draws its own c_{G,i} from q(C_G|X_G).
// One MLP encoder gives both posteriors ([μ_s | log σ²_s | μ_c | log σ²_c] per row); the decoder reads [s | c].
import { InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data, type Rows } from "../io/data.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { klStandardNormal } from "../nn/kl.js";
import { Mlp } from "../nn/mlp.js";
import { productOfGaussians, productOfGaussiansBackward, runStarts } from "../nn/product-of-gaussians.js";
import { reparameterize } from "../nn/reparameterize.js";
import type { Tape } from "../nn/tape.js";
import type { Dims, Tensor, Workspace } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import { groupMembers, type FieldSet } from "../train/fields.js";
import type { Batch, EpochLog, FitOptions, SteppedTarget, Terms } from "../train/fit.js";
import { ParameterGroups } from "../train/groups.js";
import { configFromFile, readModelFile } from "./format.js";
import type { Encoding } from "./latent-model.js";
import { LikelihoodHead } from "./likelihood.js";
import type { LatentCode, ModelCapabilities } from "./model-api.js";
import { CHUNK, Model, STREAM, type EngineOptions } from "./model.js";
import { resolveMultiLevelConfig, type MultiLevelVAEConfig, type ResolvedMultiLevelVAEConfig } from "./multi-level-config.js";
import { optionsOf } from "./options.js";

/**
 * A multi-level VAE's loss terms (sums over examples in `gradients`, means per example in logs and `evaluate`):
 * `loss` = reconstruction + styleKl + contentKl (the negative ELBO of the groups); `contentKl` counts one KL per
 * group (per example with accumulate: false).
 *
 * @example
 * ```ts
 * const { loss, reconstruction, styleKl, contentKl }: MultiLevelTerms = model.evaluate(x, { groups });
 * ```
 */
export interface MultiLevelTerms extends Terms {
  loss: number;
  reconstruction: number;
  styleKl: number;
  contentKl: number;
}

/**
 * The posteriors of each example: its style q(S_i|x_i) and its content — the accumulated q(C_G|X_G) of its group
 * (the same rows for every member) when groups are given, else its own q(C|x_i). Each `{ mean, logVar }` is
 * row-major [n, styleSize] or [n, contentSize].
 *
 * @example
 * ```ts
 * const { style, content }: MultiLevelEncoding = model.encode(x, { groups });
 * content.mean; // n × contentSize
 * ```
 */
export interface MultiLevelEncoding {
  style: Encoding;
  content: Encoding;
  /** The decoder's input code [style | content] per example, [n, styleSize + contentSize]. */
  z: Encoding;
}

/**
 * Options of `MultiLevelVAE.fit`: fit's options plus the groups.
 *
 * @example
 * ```ts
 * const o: MultiLevelFitOptions = { groups: labels, subgroupSize: 32, epochs: 10, batchSize: 256 };
 * ```
 */
export interface MultiLevelFitOptions extends FitOptions<MultiLevelTerms> {
  /**
   * A group id (an integer) per example: examples with the same id share their content. Batches are made of whole
   * groups (Algorithm 1). Without groups every example is its own group.
   */
  groups?: ArrayLike<number>;
  /**
   * Groups larger than this are cut, afresh each epoch, into sub-groups of at most this many examples that travel
   * as whole groups (so a batch can hold several groups' sub-groups, e.g. MNIST grouped by class at batch 256); a
   * sub-group's content accumulates its own members' evidence (sub-groups of one group that share a batch count as
   * one). At most batchSize. Unset: a group larger than batchSize is refused.
   */
  subgroupSize?: number;
}

/** Training or evaluation data: x rows and, when given, a group id per row. */
interface GroupedData {
  x: Rows;
  groups?: Float64Array;
}

interface Buffers {
  x: Tensor; xnz: Tensor; sty: Tensor; grp: Tensor; rs: Tensor; eps: Tensor; z: Tensor;
  rec: Tensor; klS: Tensor; klC: Tensor; uni: Tensor;
}

/** The encoder or decoder: an MLP, or a layer list (whose first layer takes no zero-skipping scratch). */
interface Net {
  declare(ws: Workspace, rows: (d: Dims) => number): void;
  run(t: Tape, x: Tensor, rows: number, scratch?: number): Tensor;
}

interface Nets {
  layout: ParameterLayout;
  encoder: Net;
  decoder: Net;
  lik: LikelihoodHead;
  /** The layers need the EXT kernels (conv, batch norm). */
  ext: boolean;
}

/** The networks: MLPs, or (config.encoder / decoder) layer lists built by a chunk loaded on demand. */
async function netsOf(cfg: ResolvedMultiLevelVAEConfig): Promise<Nets> {
  if (!cfg.encoder || !cfg.decoder || !cfg.inputShape) return { ...build(cfg), ext: false };
  const { layerStack, needsExt } = await import("./layer-nets.js");
  const { planModel } = await import("./layers-config.js");
  const { inputSize: D, styleSize: S, contentSize: C } = cfg;
  const layout = new ParameterLayout();
  const plan = planModel(cfg.inputShape, cfg.encoder, cfg.decoder, S + C, 0);
  const encoder = layerStack(layout, "encoder", plan.encoder, D, cfg.leakySlope, 0, {
    size: 2 * S + 2 * C, parts: [
      { name: "encoder.style.mean", col: 0, cols: S }, { name: "encoder.style.logvar", col: S, cols: S },
      { name: "encoder.content.mean", col: 2 * S, cols: C }, { name: "encoder.content.logvar", col: 2 * S + C, cols: C },
    ],
  });
  const decoder = layerStack(layout, "decoder", plan.decoder, S + C, cfg.leakySlope, 0);
  const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
  return { layout, encoder, decoder, lik: new LikelihoodHead(cfg, D, logSigma), ext: needsExt([...cfg.encoder, ...cfg.decoder]) };
}

function build(cfg: ResolvedMultiLevelVAEConfig) {
  const layout = new ParameterLayout();
  const { inputSize: D, styleSize: S, contentSize: C } = cfg;
  const encoder = new Mlp(layout, {
    prefix: "encoder", inSize: D, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation, outSize: 2 * S + 2 * C, outName: "head",
    outParts: [
      { name: "style.mean", col: 0, cols: S }, { name: "style.logvar", col: S, cols: S },
      { name: "content.mean", col: 2 * S, cols: C }, { name: "content.logvar", col: 2 * S + C, cols: C },
    ],
  }, cfg.leakySlope);
  const decoder = new Mlp(layout, {
    prefix: "decoder", inSize: S + C, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation, outSize: D, outName: "output",
  }, cfg.leakySlope);
  const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
  return { layout, encoder, decoder, lik: new LikelihoodHead(cfg, D, logSigma) };
}

/** Starts of groups of one example each (no accumulation). */
const singles = (rows: number): number[] => Array.from({ length: rows + 1 }, (_, i) => i);

/**
 * A multi-level VAE (Bouchacourt et al. 2017): a style latent per example and a content latent per group, whose
 * posterior is the product of the members' Gaussians (their accumulated evidence). It separates what a group's
 * members share (the class of a digit, a person's identity) from how each one varies, without labels for either:
 * only which examples belong together. Create with `MultiLevelVAE.create` or `load`; free with `dispose()`.
 *
 * @example
 * ```ts
 * import { MultiLevelVAE } from "vaekit/grouped";
 * const m = await MultiLevelVAE.create({ inputSize: 784, styleSize: 10, contentSize: 10, hiddenSizes: [500], seed: 1 });
 * await m.fit(images, { groups: digitClass, subgroupSize: 32, batchSize: 256, epochs: 10 });
 * const { content } = m.encode(testImages);           // each image's own content code
 * const grid = m.swap(fiveOfOneDigit, someStyles, { contentGroups: [0, 0, 0, 0, 0] });
 * m.dispose();
 * ```
 */
export class MultiLevelVAE extends Model<ResolvedMultiLevelVAEConfig, MultiLevelTerms> {
  readonly #enc: Net;
  readonly #dec: Net;
  readonly #lik: LikelihoodHead;
  readonly #D: number;
  readonly #S: number;
  readonly #C: number;
  readonly #b: Buffers;
  #groups: ParameterGroups | undefined;

  private constructor(e: Engine, cfg: ResolvedMultiLevelVAEConfig, nets: Nets) {
    super(e, cfg, nets.layout, "MultiLevelVAE");
    this.#enc = nets.encoder;
    this.#dec = nets.decoder;
    this.#lik = nets.lik;
    const D = (this.#D = cfg.inputSize), S = (this.#S = cfg.styleSize), C = (this.#C = cfg.contentSize);
    const Z = S + C;
    const ws = this.ws, B = (d: Dims): number => d.B;
    this.#b = {
      x: ws.tensor((d) => B(d) * D), xnz: ws.tensor((d) => sparseInputScratch(B(d), D)),
      sty: ws.tensor((d) => B(d) * 2 * S, true), grp: ws.tensor((d) => B(d) * 2 * C, true), rs: ws.tensor((d) => B(d) * 2 * Z, true),
      eps: ws.tensor((d) => B(d) * Z), z: ws.tensor((d) => B(d) * Z, true),
      rec: ws.tensor(B), klS: ws.tensor(B), klC: ws.tensor(B), uni: ws.tensor(() => D),
    };
    this.#enc.declare(ws, B);
    this.#dec.declare(ws, B);
  }

  /**
   * Creates a multi-level VAE with weights initialised like PyTorch's nn.Linear from `config.seed`.
   *
   * @example
   * ```ts
   * const m = await MultiLevelVAE.create({ inputSize: 784, styleSize: 10, contentSize: 10, seed: 1 });
   * ```
   */
  static async create(config: MultiLevelVAEConfig, options: EngineOptions = {}): Promise<MultiLevelVAE> {
    const cfg = resolveMultiLevelConfig(config);
    const nets = await netsOf(cfg);
    const m = new MultiLevelVAE(await Model.engine(options, undefined, nets.ext), cfg, nets);
    m.initialise();
    return m;
  }

  /**
   * Loads a model written by `save()`; other classes' files and damaged bytes throw ModelFormatError.
   *
   * @example
   * ```ts
   * const m = await MultiLevelVAE.load(await readFile("mlvae.safetensors"));
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<MultiLevelVAE> {
    const file = await readModelFile(bytes, "MultiLevelVAE");
    const cfg = configFromFile(() => resolveMultiLevelConfig(file.config));
    const nets = await netsOf(cfg);
    return new MultiLevelVAE(await Model.engine(options, file, nets.ext), cfg, nets).restore(file);
  }

  /**
   * A style latent, a content latent and the decoder's input [style | content] (`z`, the space decodeAny, sampleAny,
   * interpolateAny and traverseAny work in); Gaussian posteriors and a standard normal prior.
   */
  /** The one parameter group with its optimizer state (src/train/state.ts stores and restores it: resumable files). */
  protected trainingGroups(): ParameterGroups {
    return (this.#groups ??= new ParameterGroups(this.e, this.params, this.grads, this.nParams, [{ name: "all", offset: 0, size: this.nParams }]));
  }

  get capabilities(): ModelCapabilities {
    const S = this.#S, C = this.#C;
    return {
      inputSize: this.#D, classes: 0, latentLayers: { style: S, content: C, z: S + C }, latentSize: S + C,
      posterior: true, sampling: true, sampledReconstruction: false, logLikelihood: false,
    };
  }

  protected override codeOf(encoding: never, layer: string): LatentCode {
    const e = encoding as MultiLevelEncoding;
    return layer === "style" ? e.style : layer === "content" ? e.content : e.z;
  }

  /**
   * Trains on examples and their group ids (`groups`: one integer per example; examples with the same id share
   * their content). Batches are made of whole groups (Algorithm 1 of the paper), groups in a seeded random order
   * each epoch; give `subgroupSize` when a group is larger than a batch. Resolves with one log per epoch
   * (`validationData`: x, or `{ x, groups }`). Rejects, changing nothing, on invalid data or options.
   *
   * @example
   * ```ts
   * const history = await m.fit(images, { groups: classes, subgroupSize: 32, batchSize: 256, epochs: 20 });
   * history.at(-1)!.contentKl;
   * ```
   */
  fit(x: Data, options: MultiLevelFitOptions = {}): Promise<EpochLog<MultiLevelTerms>[]> {
    const { groups, subgroupSize, ...rest } = (options ?? {}) as MultiLevelFitOptions;
    return this.train(() => this.#target(subgroupSize) as never, { x, groups }, rest);
  }

  /**
   * Mean loss terms per example in nats, with s and c sampled from a seeded stream (default seed 0); `groups` as in
   * fit (without them each example is its own group).
   *
   * @example
   * ```ts
   * const { loss, contentKl } = m.evaluate(testX, { groups: testGroups, seed: 1 });
   * ```
   */
  evaluate(x: Data, options: { groups?: ArrayLike<number>; seed?: number } = {}): MultiLevelTerms {
    this.live("evaluate");
    const o = optionsOf(options, ["groups", "seed"], "evaluate");
    const data = this.#data({ x, groups: o.groups }, "evaluate(x)", this.#lik.unitData);
    return this.#evaluateData(data, seedOf("evaluate: seed", o.seed, 0));
  }

  /**
   * The style and content posteriors of each example. With `groups`, each example's content is its group's
   * accumulated posterior (the product of the members' Gaussians: content inferred from all of them); without,
   * each example's own.
   *
   * @example
   * ```ts
   * const { style, content } = m.encode(testX);                       // per example
   * const shared = m.encode(fiveImages, { groups: [0, 0, 0, 0, 0] }); // content from all five
   * ```
   */
  encode(x: Data, options: { groups?: ArrayLike<number> } = {}): MultiLevelEncoding {
    this.live("encode");
    const o = optionsOf(options, ["groups"], "encode");
    const data = this.#data({ x, groups: o.groups }, "encode(x)", false);
    const n = data.x.rows, S = this.#S, C = this.#C, W = 2 * S + 2 * C;
    const stats = this.#stats(data.x);
    const { rowStats } = this.#posteriors(stats, n, data.groups, true);
    const Z = S + C;
    const pair = (w: number): Encoding => ({ mean: new Float32Array(n * w), logVar: new Float32Array(n * w) });
    const out = { style: pair(S), content: pair(C), z: pair(Z) };
    for (let r = 0; r < n; r++) {
      out.z.mean.set(rowStats.subarray(r * 2 * Z, r * 2 * Z + Z), r * Z);
      out.z.logVar.set(rowStats.subarray(r * 2 * Z + Z, (r + 1) * 2 * Z), r * Z);
      out.style.mean.set(stats.subarray(r * W, r * W + S), r * S);
      out.style.logVar.set(stats.subarray(r * W + S, r * W + 2 * S), r * S);
      out.content.mean.set(rowStats.subarray(r * 2 * Z + S, r * 2 * Z + Z), r * C);
      out.content.logVar.set(rowStats.subarray(r * 2 * Z + Z + S, (r + 1) * 2 * Z), r * C);
    }
    return out;
  }

  /**
   * Decodes latent codes into the likelihood's mean: `{ style, content }` (rows of styleSize and contentSize), or
   * rows [style | content] of styleSize + contentSize values.
   *
   * @example
   * ```ts
   * const { style, content } = m.encode(x);
   * const images = m.decode({ style: style.mean, content: content.mean });
   * ```
   */
  decode(z: Data | { style: Data; content: Data }): Float32Array {
    this.live("decode");
    const codes = this.#codes(z, "decode");
    this.fits("decode", codes.rows, true);
    return this.#decodeRows(codes.rows, (start, rows, ptr) => this.e.write(ptr, codes.values.subarray(start * (this.#S + this.#C), (start + rows) * (this.#S + this.#C))));
  }

  /**
   * Encodes and decodes: the decoder's mean at the posterior means of style and content (content accumulated over
   * each group when `groups` are given).
   *
   * @example
   * ```ts
   * const again = m.reconstruct(x, { groups });
   * ```
   */
  reconstruct(x: Data, options: { groups?: ArrayLike<number> } = {}): Float32Array {
    this.live("reconstruct");
    const e = this.encode(x, optionsOf(options, ["groups"], "reconstruct"));
    return this.decode({ style: e.style.mean, content: e.content.mean });
  }

  /**
   * The swap grid: row i decodes the content of `contentSources` example i (accumulated over its group when
   * `contentGroups` are given) with the style of each `styleSources` example j, in columns: rows
   * [contentRows · styleRows, inputSize], row-major by (i, j).
   *
   * @example
   * ```ts
   * // rows: one digit's content inferred from 5 of its images (5 identical rows); columns: 8 other images' styles
   * const grid = m.swap(fives, others, { contentGroups: [0, 0, 0, 0, 0] });
   * ```
   */
  swap(contentSources: Data, styleSources: Data, options: { contentGroups?: ArrayLike<number> } = {}): Float32Array {
    this.live("swap");
    const o = optionsOf(options, ["contentGroups"], "swap");
    const styles = this.#data({ x: styleSources }, "swap: styleSources", false);
    const content = this.encode(contentSources, { groups: o.contentGroups as ArrayLike<number> | undefined }).content.mean;
    const style = this.encode(styles.x.values).style.mean;
    const S = this.#S, C = this.#C, nc = content.length / C, ns = style.length / S;
    this.fits("swap", nc * ns, true);
    const z = new Float32Array(nc * ns * (S + C));
    for (let i = 0; i < nc; i++) {
      for (let j = 0; j < ns; j++) {
        const at = (i * ns + j) * (S + C);
        z.set(style.subarray(j * S, (j + 1) * S), at);
        z.set(content.subarray(i * C, (i + 1) * C), at + S);
      }
    }
    return this.decode(z);
  }

  /**
   * Draws n examples: style and content from N(0, I), decoded. With a seed the result is reproducible; without
   * one, each call continues the model's own stream.
   *
   * @example
   * ```ts
   * const images = m.sample(16, { seed: 1 });
   * ```
   */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["seed"], "sample");
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    const Z = this.#S + this.#C;
    return this.sampled(n, o.seed !== undefined, (offset) =>
      this.#decodeRows(n, (start, rows, ptr) => this.normals(ptr, rows, Z, seed, STREAM.sample, offset + start)));
  }

  /**
   * Decoded points on the straight line (or "slerp" arc) between two codes [style | content] (styleSize +
   * contentSize values each), ends included.
   *
   * @example
   * ```ts
   * const frames = m.interpolate(codeA, codeB, { steps: 8 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    const Z = this.#S + this.#C;
    const one = (v: ArrayLike<number>, what: string): Float32Array => {
      const r = toRows(Array.from(v), Z, what);
      if (r.rows !== 1) throw new InvalidInputError(`${what} must be one code [style | content] of ${Z} values; got ${r.rows} rows`);
      return r.values;
    };
    return this.decode(interpolatePath(one(a, "interpolate: a"), one(b, "interpolate: b"), o.steps, o.method));
  }

  /**
   * Decodes a code [style | content] with one of its dimensions swept over `values` (default −3 … 3 in 7 steps);
   * dimensions 0 … styleSize − 1 are style, the rest content.
   *
   * @example
   * ```ts
   * const sweep = m.traverse(code, 12, { values: [-2, 0, 2] }); // a content dimension
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    const Z = this.#S + this.#C;
    const base = toRows(Array.from(z), Z, "traverse: z");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: z must be one code [style | content] of ${Z} values; got ${base.rows} rows`);
    return this.decode(traversePoints(base.values, dim, o.values));
  }

  /**
   * For styleSize + contentSize = 2: the decoded size × size grid over [lo, hi]² (default 10, [−2, 2]).
   *
   * @example
   * ```ts
   * const tiles = m.latentGrid({ size: 12 });
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    const Z = this.#S + this.#C;
    if (Z !== 2) throw new InvalidInputError(`latentGrid needs styleSize + contentSize = 2; this model has ${Z} (use traverse() for one dimension at a time)`);
    return this.decode(gridPoints(optionsOf(options, ["size", "range"], "latentGrid")).points);
  }

  /**
   * The gradient of the summed training objective on x as one batch (members of a group need not be adjacent),
   * without changing the model; ε [n, styleSize + contentSize] ([ε_s | ε_c] per example, in x's order) can be given,
   * else it is evaluate's for `seed`.
   *
   * @example
   * ```ts
   * const { loss, gradients } = m.gradients(x, { groups, epsilon });
   * gradients["encoder.content.mean.weight"];
   * ```
   */
  gradients(x: Data, options: { groups?: ArrayLike<number>; epsilon?: Data; seed?: number } = {}): MultiLevelTerms & { gradients: Record<string, Float32Array> } {
    this.live("gradients");
    const o = optionsOf(options, ["groups", "epsilon", "seed"], "gradients");
    const data = this.#data({ x, groups: o.groups }, "gradients(x)", this.#lik.unitData);
    const n = data.x.rows, D = this.#D, Z = this.#S + this.#C;
    const eps = o.epsilon === undefined ? undefined : toRows(o.epsilon, Z, "gradients: epsilon");
    if (eps && eps.rows !== n) throw new InvalidInputError(`gradients: epsilon has ${eps.rows} rows but x has ${n}; give one ε row [ε_s | ε_c] per example`);
    const seed = seedOf("gradients: seed", o.seed, 0);
    this.fits("gradients", n);
    // the batch in group order: members of a group adjacent
    const order = data.groups && this.cfg.accumulate ? Uint32Array.from(groupMembers(data.groups).flat()) : undefined;
    this.ws.layout({ B: n, K: 1, multi: false, total: 0 });
    const b = this.#b;
    const xs = this.e.f32(b.x.ptr, n * D);
    for (let r = 0; r < n; r++) xs.set(data.x.values.subarray((order ? order[r] : r) * D, ((order ? order[r] : r) + 1) * D), r * D);
    if (eps) {
      const ev = this.e.f32(b.eps.ptr, n * Z);
      for (let r = 0; r < n; r++) ev.set(eps.values.subarray((order ? order[r] : r) * Z, ((order ? order[r] : r) + 1) * Z), r * Z);
    } else {
      // evaluate's ε for example i is row i of the stream, wherever the example sits in the batch
      for (let r = 0; r < n; r++) this.normals(b.eps.ptr + r * Z * 4, 1, Z, seed, STREAM.evaluate, order ? order[r] : r);
    }
    const starts = order ? runStarts(Float64Array.from(order, (i) => data.groups![i]), n) : singles(n);
    this.e.k.zero_f32(this.grads, this.nParams);
    const terms = this.#forward(n, starts, 1);
    return { ...terms, gradients: this.gradientTensors() };
  }

  /**
   * Frees the model's WebAssembly memory (and its optimizer states); later calls throw DisposedError.
   *
   * @example
   * ```ts
   * m.dispose();
   * ```
   */
  override dispose(): void {
    const g = this.#groups;
    super.dispose();
    if (g) {
      g.free();
      this.#groups = undefined;
    }
  }

  // ---- internals ----

  /** Checks x (and its group ids); `unit`: values must lie in [0, 1]. */
  #data(d: { x: unknown; groups?: unknown }, what: string, unit: boolean): GroupedData {
    const hint = this.#lik.unitData ? this.#lik.unitHint : " for dynamic binarization";
    const x = toRows(d.x, this.#D, what, unit, unit ? hint : "", this.scan);
    if (d.groups === undefined) return { x };
    const g = d.groups as ArrayLike<number>;
    const where = what.replace(/\(x\)$/, "");
    if (typeof g !== "object" || g === null || typeof g.length !== "number") {
      throw new InvalidInputError(`${where}: groups must be an array of group ids (an integer per example); got ${typeof g}`);
    }
    if (g.length !== x.rows) throw new InvalidInputError(`${where}: groups has ${g.length} ids but x has ${x.rows} examples; give one group id per example`);
    const ids = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      const v = g[i];
      if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        throw new InvalidInputError(`${where}: groups[${i}] is ${String(v)}; group ids must be integers`);
      }
      ids[i] = v;
    }
    return { x, groups: ids };
  }

  /** Encoder outputs [n, 2S + 2C] of every row. */
  #stats(x: Rows): Float32Array {
    const n = x.rows, D = this.#D, W = 2 * this.#S + 2 * this.#C;
    const out = new Float32Array(n * W);
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
      this.e.write(this.#b.x.ptr, x.values.subarray(start * D, (start + rows) * D));
      const E = this.#enc.run(this.pass(0), this.#b.x, rows, this.#b.xnz.ptr);
      out.set(this.e.f32(E.ptr, rows * W), start * W);
    }, CHUNK);
    return out;
  }

  /**
   * Content posteriors from encoder outputs: per group (the product of its members' Gaussians when `accumulate`,
   * else per example) [G, 2C], and per row the decoder-side stats [μ_s | μ_c | log σ²_s | log σ²_c] [n, 2(S + C)].
   */
  #posteriors(stats: Float32Array, n: number, ids: Float64Array | undefined, accumulate: boolean): { group: Float32Array; rowStats: Float32Array } {
    const S = this.#S, C = this.#C, W = 2 * S + 2 * C, Z = S + C;
    const members = ids && accumulate ? groupMembers(ids) : undefined;
    const G = members ? members.length : n;
    const group = new Float32Array(G * 2 * C);
    const of = new Uint32Array(n);
    if (members) {
      const gathered = new Float32Array(n * 2 * C), starts = [0];
      let at = 0;
      members.forEach((m, g) => {
        for (const r of m) {
          gathered.set(stats.subarray(r * W + 2 * S, (r + 1) * W), at * 2 * C);
          of[r] = g;
          at++;
        }
        starts.push(at);
      });
      productOfGaussians(gathered, 2 * C, 0, starts, C, group, 2 * C, 0);
    } else {
      for (let r = 0; r < n; r++) {
        group.set(stats.subarray(r * W + 2 * S, (r + 1) * W), r * 2 * C);
        of[r] = r;
      }
    }
    const rowStats = new Float32Array(n * 2 * Z);
    for (let r = 0; r < n; r++) {
      const g = of[r], o = r * 2 * Z;
      rowStats.set(stats.subarray(r * W, r * W + S), o);
      rowStats.set(group.subarray(g * 2 * C, g * 2 * C + C), o + S);
      rowStats.set(stats.subarray(r * W + S, r * W + 2 * S), o + Z);
      rowStats.set(group.subarray(g * 2 * C + C, (g + 1) * 2 * C), o + Z + S);
    }
    return { group, rowStats };
  }

  /** Latent codes [rows, S + C] from `{ style, content }` or from rows of S + C values. */
  #codes(z: unknown, what: string): Rows {
    const S = this.#S, C = this.#C, Z = S + C;
    if (typeof z === "object" && z !== null && !Array.isArray(z) && !ArrayBuffer.isView(z)) {
      const o = optionsOf(z, ["style", "content"], what);
      if (o.style === undefined || o.content === undefined) throw new InvalidInputError(`${what}: give { style, content } (both) or rows of ${Z} values [style | content]`);
      const s = toRows(o.style, S, `${what}: style`), c = toRows(o.content, C, `${what}: content`);
      if (s.rows !== c.rows) throw new InvalidInputError(`${what}: style has ${s.rows} rows and content ${c.rows}; give one of each per example`);
      const v = new Float32Array(s.rows * Z);
      for (let r = 0; r < s.rows; r++) {
        v.set(s.values.subarray(r * S, (r + 1) * S), r * Z);
        v.set(c.values.subarray(r * C, (r + 1) * C), r * Z + S);
      }
      return { rows: s.rows, values: v } as Rows;
    }
    return toRows(z, Z, `${what}(z)`);
  }

  /** Decodes n codes written by `fill` at byte pointer ptr ([rows, S + C]) into the likelihood's mean. */
  #decodeRows(n: number, fill: (start: number, rows: number, ptr: number) => void): Float32Array {
    const D = this.#D;
    const out = new Float32Array(n * D);
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
      fill(start, rows, this.#b.z.ptr);
      const y = this.#dec.run(this.pass(0), this.#b.z, rows);
      this.#lik.mean(this.e, y.ptr, rows);
      out.set(this.e.f32(y.ptr, rows * D), start * D);
    }, CHUNK);
    return out;
  }

  /**
   * The stats of a training pass from the encoder output E [rows, 2S + 2C]: style [rows, 2S], each group's product
   * of Gaussians [G, 2C] and the decoder-side rows [μ_s | μ_c | log σ²_s | log σ²_c]; backward gathers their
   * gradients into E's (the first writer of E's gradient).
   */
  #latent(t: Tape, E: Tensor, rows: number, starts: readonly number[]): void {
    const S = this.#S, C = this.#C, W = 2 * S + 2 * C, Z = S + C, G = starts.length - 1, b = this.#b, e = this.e;
    const ev = e.f32(E.ptr, rows * W), sty = e.f32(b.sty.ptr, rows * 2 * S), grp = e.f32(b.grp.ptr, G * 2 * C), rs = e.f32(b.rs.ptr, rows * 2 * Z);
    productOfGaussians(ev, W, 2 * S, starts, C, grp, 2 * C, 0);
    for (let g = 0; g < G; g++) {
      for (let r = starts[g]; r < starts[g + 1]; r++) {
        sty.set(ev.subarray(r * W, r * W + 2 * S), r * 2 * S);
        const o = r * 2 * Z;
        rs.set(ev.subarray(r * W, r * W + S), o);
        rs.set(grp.subarray(g * 2 * C, g * 2 * C + C), o + S);
        rs.set(ev.subarray(r * W + S, r * W + 2 * S), o + Z);
        rs.set(grp.subarray(g * 2 * C + C, (g + 1) * 2 * C), o + Z + S);
      }
    }
    t.record(() => t.over(E.grad!, rows * W, (d) => {
      const src = e.f32(E.ptr, rows * W), dE = e.f32(d, rows * W);
      const gs = e.f32(b.sty.grad!.ptr, rows * 2 * S), gg = e.f32(b.grp.grad!.ptr, G * 2 * C), gr = e.f32(b.rs.grad!.ptr, rows * 2 * Z);
      const acc = Float64Array.from(gg);
      for (let g = 0; g < G; g++) {
        for (let r = starts[g]; r < starts[g + 1]; r++) {
          const o = r * 2 * Z;
          for (let j = 0; j < S; j++) {
            dE[r * W + j] = gs[r * 2 * S + j] + gr[o + j];
            dE[r * W + S + j] = gs[r * 2 * S + S + j] + gr[o + Z + j];
          }
          for (let j = 0; j < C; j++) {
            acc[g * 2 * C + j] += gr[o + S + j];
            acc[g * 2 * C + C + j] += gr[o + Z + S + j];
            dE[r * W + 2 * S + j] = 0;
            dE[r * W + 2 * S + C + j] = 0;
          }
        }
      }
      productOfGaussiansBackward(src, W, 2 * S, starts, C, acc, 2 * C, 0, dE);
    }));
  }

  /** The objective on `rows` rows of the workspace (x and ε in place, groups as runs from `starts`); summed terms. */
  #forward(rows: number, starts: readonly number[], gradScale: number): MultiLevelTerms {
    const b = this.#b, S = this.#S, C = this.#C;
    const t = this.pass(gradScale);
    const E = this.#enc.run(t, b.x, rows, b.xnz.ptr);
    this.#latent(t, E, rows, starts);
    const G = starts.length - 1;
    klStandardNormal(t, b.klS, b.sty, rows, S, gradScale);
    klStandardNormal(t, b.klC, b.grp, G, C, gradScale);
    reparameterize(t, b.z, b.eps, b.rs, rows, S + C);
    const out = this.#dec.run(t, b.z, rows);
    this.#lik.nll(t, b.rec, out, b.x, rows);
    const reconstruction = this.sumAt(b.rec.ptr, rows), styleKl = this.sumAt(b.klS.ptr, rows), contentKl = this.sumAt(b.klC.ptr, G);
    t.backward();
    return { loss: reconstruction + styleKl + contentKl, reconstruction, styleKl, contentKl };
  }

  /** Mean terms per example, ε from the evaluate stream (row i of the data: counter i); groups of any size. */
  #evaluateData(data: GroupedData, seed: number): MultiLevelTerms {
    const n = data.x.rows, S = this.#S, C = this.#C, Z = S + C, D = this.#D, W = 2 * S + 2 * C, b = this.#b;
    const stats = this.#stats(data.x);
    const { group, rowStats } = this.#posteriors(stats, n, data.groups, this.cfg.accumulate);
    const kl = (v: Float32Array, at: number, L: number): number => {
      let s = 0;
      for (let j = 0; j < L; j++) s += v[at + j] * v[at + j] + Math.exp(v[at + L + j]) - v[at + L + j] - 1;
      return s / 2;
    };
    let styleKl = 0, contentKl = 0, reconstruction = 0;
    for (let r = 0; r < n; r++) styleKl += kl(stats, r * W, S);
    for (let g = 0; g < group.length / (2 * C); g++) contentKl += kl(group, g * 2 * C, C);
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), (start, rows) => {
      this.e.write(b.x.ptr, data.x.values.subarray(start * D, (start + rows) * D));
      this.e.write(b.rs.ptr, rowStats.subarray(start * 2 * Z, (start + rows) * 2 * Z));
      this.normals(b.eps.ptr, rows, Z, seed, STREAM.evaluate, start);
      const t = this.pass(0);
      reparameterize(t, b.z, b.eps, b.rs, rows, Z);
      const out = this.#dec.run(t, b.z, rows);
      this.#lik.nll(t, b.rec, out, b.x, rows);
      reconstruction += this.sumAt(b.rec.ptr, rows);
    }, CHUNK);
    return { loss: (reconstruction + styleKl + contentKl) / n, reconstruction: reconstruction / n, styleKl: styleKl / n, contentKl: contentKl / n };
  }

  /** fit's target: one parameter group, one step per batch of whole groups. */
  #target(subgroupSize: number | undefined): SteppedTarget<FieldSet> {
    const b = this.#b, D = this.#D, Z = this.#S + this.#C;
    this.trainingGroups();
    let binarize: number | undefined, trainRows = 0, capacity = 1;
    const validate = (d: unknown, what: string, unit: boolean): FieldSet & { data: GroupedData } => {
      const given = typeof d === "object" && d !== null && !Array.isArray(d) && !ArrayBuffer.isView(d) && "x" in d
        ? d as { x: unknown; groups?: unknown } : { x: d };
      const data = this.#data(given, what, unit || this.#lik.unitData);
      if (what === "fit(x)") trainRows = data.x.rows;
      const fields: Record<string, { width: number; values: Float32Array | Float64Array }> = { x: { width: D, values: data.x.values } };
      if (data.groups) fields.groups = { width: 1, values: data.groups };
      return { rows: data.x.rows, fields, data };
    };
    return {
      seed: this.cfg.seed,
      groups: this.#groups!,
      model: this as never, // resumable files: the epoch counter, order and noise streams are the model's
      subgroupSize,
      validate,
      begin: (cap, o) => {
        capacity = cap;
        binarize = o.binarizeSeed;
      },
      steps: [{
        name: "elbo",
        groups: ["all"],
        forwardBackward: (batch: Batch, gradScale: number) => {
          const rows = batch.rows;
          this.ws.layout({ B: capacity, K: 1, multi: false, total: 0 });
          this.e.write(b.x.ptr, batch.fields.x.values);
          if (binarize !== undefined) {
            for (let r = 0; r < rows; r++) this.binarizeRow(b.x.ptr + r * D * 4, b.uni.ptr, D, binarize, (batch.epoch - 1) * trainRows + batch.index[r]);
          }
          const ids = batch.fields.groups?.values;
          const starts = ids && this.cfg.accumulate ? runStarts(ids, rows) : singles(rows);
          this.trainNormals(b.eps.ptr, rows * Z);
          return this.#forward(rows, starts, gradScale);
        },
      }],
      stepTaken: () => void this.steps++,
      evaluate: (d, seed) => this.#evaluateData((d as unknown as { data: GroupedData }).data, seed),
    };
  }
}
