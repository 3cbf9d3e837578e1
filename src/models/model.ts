// What every vaekit model shares: one engine, every parameter in one flat buffer (with its gradient and optimizer
// state beside it), a reusable workspace, weights by name in PyTorch layout, the model file, fit's plumbing,
// seeded noise streams, and dispose.
import { DisposedError, InvalidConfigError, InvalidInputError, ModelBusyError, ModelFormatError, VaekitError } from "../errors.js";
import type { Tensor } from "../io/safetensors.js";
import type { ParameterLayout } from "../nn/dense.js";
import type { ParamTensor } from "../nn/module.js";
import { Tape } from "../nn/tape.js";
import { Workspace, type Tensor as Buffer } from "../nn/tensor.js";
import { Engine } from "../runtime/engine.js";
import { allValid } from "../runtime/scan.js";
import type { Data, Scan } from "../io/data.js";
import type { EngineInfo, Precision, WasmSource } from "../runtime/module.js";
import type { Dataset, EpochLog, FieldSet, FitOptions, SteppedTarget, Terms, TrainingTarget } from "../train/fit.js";
import { Optimizer } from "../train/optimizer.js";
import { suggest } from "./config-checks.js";
import { show } from "../errors-format.js";
import { stateHooks, writeModelFile, type ModelFile, type ModelKind } from "./format.js";
import { outputTooBig, sizeOf, tooBig, type ModelSize } from "./limits.js";

/** Files being loaded, by the engine of the model they are loaded into: checked against the model before it allocates. */
const LOADING = new WeakMap<Engine, ModelFile>();

import type { Label } from "./conditional-vae.js";
import type { InterpolationMethod } from "../latent/interpolate.js";
import type { Labels } from "./labels.js";
import type { LogLikelihoodOptions } from "./latent-model.js";
import type { LatentCode, ModelApi, ModelCapabilities } from "./model-api.js";

/** A class's own method, called by name from the uniform calls. */
type Own = (...args: unknown[]) => never;

/**
 * Options of `save()`.
 *
 * @example
 * ```ts
 * const bytes = model.save({ optimizer: true } satisfies SaveOptions);
 * ```
 */
export interface SaveOptions {
  /** Also store the optimizer state, noise stream positions and epoch counter (resumable training). Default false. */
  optimizer?: boolean;
}

/**
/**
 * Options for the engine under a model: where the kernels come from (rarely needed: vaekit finds its own .wasm),
 * which precision they compute in, and how many threads run them.
 *
 * @example
 * ```ts
 * const vae = await VAE.create(config, { precision: "fast", threads: 2 });
 * vae.engineInfo; // { precision: "fast", threads: 2, fallbacks: [] } where the engine allows both
 * ```
 */
export interface EngineOptions {
  /**
   * A compiled WebAssembly.Module, the .wasm bytes, a Response or a URL of vaekit.wasm (of vaekit-fast.wasm
   * with precision "fast"; with threads, of vaekit-mt.wasm or vaekit-fast-mt.wasm).
   */
  wasm?: WasmSource;
  /**
   * "exact" (default): the same bits on every engine and CPU. "fast":
   * relaxed-SIMD FMA in the GEMMs, faster, may differ in the last bits; falls back to "exact" where the engine
   * lacks relaxed SIMD, saying why in `engineInfo.fallbacks`. Anything else throws InvalidConfigError.
   */
  precision?: Precision;
  /**
   * Threads for training and batched inference, 1–64 (default 1). Results are bit-identical for every count. Needs
   * SharedArrayBuffer and workers (Node, Bun, Deno, cross-origin isolated pages); elsewhere the model uses one
   * thread and says why in `engineInfo.fallbacks`.
   */
  threads?: number;
}

/**
 * Random streams: the second key word of the Philox generator, one per purpose. A model's second stochastic layer
 * (HierarchicalVAE's z2, or z1 | z2 when sampling) draws from the stream + 16.
 */
export const STREAM = {
  init: 1, train: 2, evaluate: 3, sample: 4, reconstruct: 5, trainNoise: 6, binarize: 7, corrupt: 8, second: 16,
} as const;

/** Rows per kernel call outside training: bounds the workspace whatever n is. */
export const CHUNK = 256;

/** Per-row counters of a noise stream: `blocks` Philox blocks per row, row r of a call at rowOffset + r. */
function counter(row: number, blocks: number): [number, number] {
  const c = row * blocks;
  return [c % 2 ** 32, Math.floor(c / 2 ** 32)];
}

export abstract class Model<C extends { seed: number }, T extends Terms> implements ModelApi<T> {
  protected readonly e: Engine;
  protected readonly cfg: C;
  protected readonly nParams: number;
  protected readonly params: number;
  #grads = 0;
  /** The optimizer state once made (src/train/state.ts reads it for save({ optimizer: true })). */
  private opt: Optimizer | undefined;
  /** The model's typed scratch tensors (declared by the subclass's constructor) and the tape its passes run on. */
  protected readonly ws: Workspace;
  protected readonly tape: Tape;
  readonly #layout: ParameterLayout;
  readonly #specs: ParamTensor[];
  /** Floats of the parameter buffer: nParams trainable ones, then non-trainable buffers (running statistics). */
  readonly #total: number;
  /** Optimizer steps taken over the model's life (saved in its file): schedules read it. */
  protected steps = 0;
  /** Philox blocks consumed so far by training streams (key = stream). */
  protected trainBlocks: Record<number, number> = {};
  #sampleRows = 0;
  #disposed = false;
  #fitting = false;
  readonly #size: ModelSize;

  protected constructor(e: Engine, cfg: C, layout: ParameterLayout, readonly kind: ModelKind) {
    this.e = e;
    this.cfg = cfg;
    this.#layout = layout;
    this.nParams = layout.size;
    this.#total = layout.size + layout.buffers;
    this.#specs = layout.tensors();
    const x = layout.extra, s = sizeOf(layout.layers, layout.vectors.reduce((n, v) => n + v.size, x.params));
    this.#size = { params: s.params, perRow: s.perRow + x.perRow };
    // Everything is checked before the first allocation: the size model, and a file's tensors against the config.
    const file = LOADING.get(e);
    const problem = tooBig(this.#size, CHUNK, file ? "the model file's config" : "this model");
    // a file's weights must add up to what its config describes (names and shapes are checked as they are copied)
    let held = 0;
    for (const t of file?.tensors.values() ?? []) held += t.data.length;
    if (problem || (file && held !== this.#size.params)) {
      e.pool?.stop();
      throw file ? new ModelFormatError(problem ?? `the model file has ${held} weights; its config needs ${this.#size.params}`) : new InvalidConfigError(problem!);
    }
    this.params = e.alloc(this.#total);
    this.ws = new Workspace(e);
    this.tape = new Tape(e);
  }

  /** The gradient buffer (nParams f32), allocated on first use: a model used only for inference never holds one. */
  protected get grads(): number {
    return (this.#grads ||= this.e.alloc(this.nParams));
  }

  /** The optimizer and its state, created with the first training step. */
  protected get optimizer(): Optimizer {
    return (this.opt ??= new Optimizer(this.e, this.params, this.grads, this.nParams));
  }

  /**
   * Creates an engine for a new model (the subclass's static create/load call this first); `ext` (truthy): the model
   * calls kernels of the registry's EXT builds (convolution, recurrent cells, the continuous Bernoulli likelihood, …),
   * so its engine runs dist/vaekit-ext.wasm.
   */
  protected static async engine(options: EngineOptions, file?: ModelFile, ext: unknown = false): Promise<Engine> {
    const t = options.threads === undefined ? 1 : options.threads;
    if (!Number.isInteger(t) || t < 1 || t > 64) {
      throw new InvalidConfigError(`threads must be an integer from 1 to 64; got ${show(t)}`);
    }
    const e = await Engine.create(options.wasm, options.precision, t, !!ext);
    if (file) LOADING.set(e, file);
    return e;
  }

  /** The model's complete configuration (defaults filled in). */
  get config(): C {
    return structuredClone(this.cfg);
  }

  /**
   * What the model's engine actually runs: precision, threads, and one sentence per thing asked for but not
   * granted (`fallbacks`; empty when everything asked for is in use). A copy.
   *
   * @example
   * ```ts
   * const vae = await VAE.create(config, { precision: "fast" });
   * if (vae.engineInfo.precision !== "fast") console.warn(vae.engineInfo.fallbacks[0]);
   * ```
   */
  get engineInfo(): EngineInfo {
    return structuredClone(this.e.info);
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.#specs.reduce((n, s) => n + (s.buffer ? 0 : s.shape.reduce((a, b) => a * b, 1)), 0);
  }

  /**
   * Bytes of WebAssembly memory this model's engine holds. WebAssembly memory never shrinks, so this is also the peak
   * so far: read it after `fit` for a training run's peak.
   *
   * @example
   * ```ts
   * await vae.fit(x, { epochs: 1 });
   * console.log(`peak wasm memory ${(vae.memoryBytes / 2 ** 20).toFixed(1)} MiB`);
   * ```
   */
  get memoryBytes(): number {
    return this.e.memoryBytes;
  }

  /** Optimizer steps taken so far (over every fit call; kept by save/load). KL warm-up and capacity follow it. */
  get trainingSteps(): number {
    return this.steps;
  }

  /**
   * A copy of every weight, by name, in PyTorch's nn.Linear layout (weight [out, in], bias [out]).
   *
   * @example
   * ```ts
   * const w = model.getWeights(); Object.keys(w); // ["encoder.hidden.0.weight", …]
   * ```
   */
  getWeights(): Record<string, Float32Array> {
    this.live("getWeights");
    const all = this.e.f32(this.params, this.#total);
    const out: Record<string, Float32Array> = {};
    for (const s of this.#specs) out[s.name] = s.read(all);
    return out;
  }

  /**
   * Replaces every weight (names and layout as `getWeights`). All tensors are checked before any is written.
   *
   * @example
   * ```ts
   * other.setWeights(model.getWeights());
   * ```
   */
  setWeights(weights: Record<string, ArrayLike<number>>): void {
    this.live("setWeights", true);
    this.#setWeights(weights);
  }

  /**
   * The model as safetensors bytes: weights in PyTorch layout (names as `getWeights`), model class, config, format
   * version and training steps in the metadata. `load(model.save()).save()` gives the same bytes. With
   * `{ optimizer: true }` (once the model has trained) the file also holds the optimizer state, the noise streams'
   * positions and the epoch counter, so that training resumes exactly (`fit(x, { resume: true })`); such a file is
   * format_version "2", which vaekit versions before it refuse by that version.
   *
   * @example
   * ```ts
   * await writeFile("model.safetensors", model.save());
   * await writeFile("checkpoint.safetensors", model.save({ optimizer: true }));
   * ```
   */
  save(options?: SaveOptions): Uint8Array {
    this.live("save");
    if (options !== undefined && (typeof options !== "object" || options === null || ![undefined, true, false].includes(options.optimizer))) {
      throw new InvalidInputError(`save: options must be { optimizer?: true | false }; got ${show(options)}`);
    }
    const all = this.e.f32(this.params, this.#total);
    const tensors = new Map<string, Tensor>();
    for (const s of this.#specs) tensors.set(s.name, { shape: s.shape, data: s.read(all) });
    return writeModelFile(this.kind, this.cfg, tensors, this.steps, options?.optimizer ? stateHooks.write?.(this, tensors) : undefined);
  }

  /** What the model can do, as data (see ModelApi): each class states its own. */
  abstract get capabilities(): ModelCapabilities;

  // ---- ModelApi's uniform calls: one implementation over each class's own methods, refusing by capability ----

  /** Refuses a call the model's capabilities rule out. */
  #need(flag: "sampling" | "logLikelihood" | "sampledReconstruction"): void {
    if (!this.capabilities[flag]) throw new InvalidInputError(`${this.kind}: capabilities.${flag} is false`);
  }

  /** Checks that labels (or a label) are given exactly when the model is conditional; its classes. */
  #labelled(v: unknown): number {
    const { classes } = this.capabilities;
    if (!classes != (v === undefined)) throw new InvalidInputError(`${this.kind}: capabilities.classes is ${classes}, and labels go with classes > 0`);
    return classes;
  }

  /** The class's own method with x, then the labels where a conditional model takes them, then the options. */
  #own(name: string, x: unknown, labels: unknown, o: object): never {
    return (this as unknown as Record<string, Own>)[name](...(this.#labelled(labels) ? [x, labels, o] : [x, o]));
  }

  /** The class's own method with args, then the options (their `label` only where a conditional model takes one). */
  #opt(name: string, o: { label?: unknown }, ...args: unknown[]): never {
    const { label, ...rest } = o;
    return (this as unknown as Record<string, Own>)[name](...args, this.#labelled(label) ? o : rest);
  }

  /**
   * Capabilities in the common shapes: `vae` — a Gaussian posterior, a prior to sample from and a likelihood (the
   * VAE family); otherwise a deterministic code with none of them. The last of `latentLayers` is the latent space.
   */
  protected caps(inputSize: number, classes: number, latentLayers: Record<string, number>, vae: boolean, sampledReconstruction = vae): ModelCapabilities {
    return {
      inputSize, classes, latentLayers, latentSize: Object.values(latentLayers).pop()!,
      posterior: vae, sampling: vae, sampledReconstruction, logLikelihood: vae,
    };
  }

  /** A LatentCode from what the class's encode returned for the named layer (by default its Encoding as is). */
  protected codeOf(encoding: never, _layer: string): LatentCode {
    return encoding;
  }

  fitAny(x: Data, { labels, ...o }: FitOptions<T> & { labels?: Labels } = {}): Promise<EpochLog<T>[]> {
    return this.#own("fit", x, labels, o);
  }

  evaluateAny(x: Data, { labels, ...o }: { labels?: Labels; seed?: number } = {}): T {
    return this.#own("evaluate", x, labels, o);
  }

  encodeAny(x: Data, { labels, layer }: { labels?: Labels; layer?: string } = {}): LatentCode {
    const names = Object.keys(this.capabilities.latentLayers);
    if (layer !== undefined && !names.includes(layer)) throw new InvalidInputError(`layer must be one of ${names}; got ${layer}`);
    return this.codeOf(this.#own("encode", x, labels, {}), layer ?? names.pop()!);
  }

  decodeAny(z: Data, { label }: { label?: Label | Labels } = {}): Float32Array {
    return this.#own("decode", z, label, {});
  }

  reconstructAny(x: Data, { labels, ...o }: { labels?: Labels; sample?: boolean; seed?: number } = {}): Float32Array {
    if (o.sample) this.#need("sampledReconstruction");
    return this.#own("reconstruct", x, labels, o);
  }

  sampleAny(n: number, o: { label?: Label | Labels; seed?: number } = {}): Float32Array {
    this.#need("sampling");
    return this.#opt("sample", o, n);
  }

  latentGridAny(o: { label?: Label; size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.#need("sampling");
    return this.#opt("latentGrid", o);
  }

  logLikelihoodAny(x: Data, { labels, ...o }: LogLikelihoodOptions & { labels?: Labels } = {}): Float64Array {
    this.#need("logLikelihood");
    return this.#own("logLikelihood", x, labels, o);
  }

  interpolateAny(a: ArrayLike<number>, b: ArrayLike<number>, o: { label?: Label; steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    return this.#opt("interpolate", o, a, b);
  }

  traverseAny(z: ArrayLike<number>, dim: number, o: { label?: Label; values?: ArrayLike<number> } = {}): Float32Array {
    return this.#opt("traverse", o, z, dim);
  }

  /**
   * Frees the model's WebAssembly memory; any later call throws DisposedError. Safe to call twice.
   *
   * @example
   * ```ts
   * model.dispose();
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.live("dispose", true);
    this.#disposed = true;
    this.ws.free();
    this.opt?.free();
    this.e.release(this.params);
    this.e.release(this.#grads);
    this.e.pool?.stop();
  }

  // ---- for subclasses ----

  /** Throws DisposedError after dispose(); with `exclusive`, ModelBusyError while a fit runs. */
  protected live(what: string, exclusive = false): void {
    if (this.#disposed) throw new DisposedError(`${this.kind}.${what}()`);
    if (exclusive && this.#fitting) throw new ModelBusyError(`${this.kind}.${what}()`);
  }

  /**
   * Throws InvalidInputError when a batch of `rows` rows would take the model past its memory limit, or (`output`)
   * a result of `rows` rows of inputSize values would be too large.
   */
  protected fits(what: string, rows: number, output?: boolean): void {
    const m = output ? outputTooBig(rows, (this.cfg as unknown as { inputSize: number }).inputSize, what) : tooBig(this.#size, rows, what);
    if (m) throw new InvalidInputError(m);
  }

  /**
   * Weights from the seed, initialised like PyTorch's nn.Linear, U(−1/√fan_in, 1/√fan_in) for weights and biases, or
   * with config.init "glorot" U(±√(6/(fan_in + fan_out))) and zero biases; vectors to their init.
   */
  protected initialise(): void {
    const glorot = (this.cfg as { init?: string }).init === "glorot";
    this.#layout.initialise(this.e.k, this.params, this.cfg.seed, glorot, (p, n) => this.e.f32(p, n));
  }

  /** Loads a file's weights and steps into a fresh model; disposes it and throws ModelFormatError on a mismatch. */
  protected restore(file: ModelFile): this {
    // a null-prototype record: a tensor named "__proto__" is an entry like any other (and is rejected by name)
    const weights: Record<string, Float32Array> = Object.create(null);
    for (const [name, t] of file.tensors) weights[name] = t.data;
    try {
      this.#setWeights(weights, file.tensors);
      file.resume?.(this);
    } catch (e) {
      this.dispose();
      throw e instanceof VaekitError ? new ModelFormatError(e.message) : e;
    }
    this.steps = file.steps;
    return this;
  }

  /**
   * Runs fit's loop on this model's training target. The loop is loaded on the first fit (a chunk of its own beside
   * the entry): a model used only for inference never loads the training code.
   */
  protected async train<D extends Dataset>(target: () => TrainingTarget<T, D> | SteppedTarget<FieldSet>, data: unknown,
    options?: FitOptions<T>): Promise<EpochLog<T>[]> {
    // async: a misuse rejects like every other failure of fit (never a synchronous throw); the busy mark is set
    // before the first await, so a second call made at once sees it
    this.live("fit", true);
    const t = target();
    this.#fitting = true;
    try {
      return await (await import("../train/fit.js")).fit(t as TrainingTarget<T, D>, data, options); // or a SteppedTarget (GANs)
    } finally {
      this.#fitting = false;
    }
  }

  /** Checks a large data array in wasm (toRows' fast path). */
  protected readonly scan: Scan = (values, unit) => allValid(this.e, values, unit);

  /** The parts of a training target every model shares. */
  protected targetBase(): Pick<TrainingTarget<T>, "seed" | "optimizer" | "gradNormSquared" | "gradNonFinite" | "scaleGradients" | "stepTaken" | "mark" | "fits" | "model"> {
    return {
      seed: this.cfg.seed,
      optimizer: this.optimizer,
      model: this as never,
      gradNormSquared: () => this.e.k.sum_squares(this.grads, this.nParams),
      gradNonFinite: () => this.e.k.count_nonfinite(this.grads, this.nParams),
      scaleGradients: (s) => this.e.k.scale_inplace(this.grads, this.nParams, s),
      stepTaken: () => void this.steps++,
      fits: (rows) => this.fits("fit: batchSize", rows * ((this.cfg as { samples?: number }).samples ?? 1)),
      mark: () => {
        const saved = { ...this.trainBlocks };
        return () => void (this.trainBlocks = saved);
      },
    };
  }

  /** The gradient buffer read out per tensor (names as getWeights). */
  protected gradientTensors(): Record<string, Float32Array> {
    const all = this.e.f32(this.grads, this.nParams);
    const out: Record<string, Float32Array> = {};
    for (const s of this.#specs) if (!s.buffer) out[s.name] = s.read(all);
    return out;
  }

  /** Starts a pass on the tape: inference (gradScale 0) or training, gradients scaled by gradScale into grads. */
  protected pass(gradScale: number): Tape {
    this.tape.start(gradScale, this.params, gradScale ? this.grads : 0);
    this.tape.fit = this.#fitting;
    return this.tape;
  }

  /**
   * Standard normals for rows [offset, offset + rows) of (seed, stream), `width` per row, written `stride` floats
   * apart: row r's values never depend on how calls are chunked.
   */
  protected normals(ptr: number, rows: number, width: number, seed: number, stream: number, offset: number, stride = width): void {
    const per = Math.ceil(width / 4);
    if (width % 4 === 0 && stride === width) {
      const [c0, c1] = counter(offset, per);
      this.e.k.rng_normal(ptr, rows * width, seed, stream, c0, c1);
      return;
    }
    for (let r = 0; r < rows; r++) {
      const [c0, c1] = counter(offset + r, per);
      this.e.k.rng_normal(ptr + r * stride * 4, width, seed, stream, c0, c1);
    }
  }

  /** Training normals: continues the model's own stream (seed = config seed). */
  protected trainNormals(ptr: number, n: number, stream: number = STREAM.train): void {
    const c = this.trainBlocks[stream] ?? 0;
    this.e.k.rng_normal(ptr, n, this.cfg.seed, stream, c % 2 ** 32, Math.floor(c / 2 ** 32));
    this.trainBlocks[stream] = c + Math.ceil(n / 4);
  }

  /**
   * Draws n rows with `draw(offset)`: from row 0 of an explicit seed's stream, or (seedless) where the last call
   * stopped; the seedless stream moves on only when the draw succeeds. The result's size is checked first.
   */
  protected sampled<R>(n: number, explicit: boolean, draw: (offset: number) => R): R {
    this.fits("sample", n, true);
    const out = draw(explicit ? 0 : this.#sampleRows);
    if (!explicit) this.#sampleRows += n;
    return out;
  }

  /** Σ of n f32 at ptr, accumulated in f64 (per-example loss terms → batch totals). */
  protected sumAt(ptr: number, n: number): number {
    const a = this.e.f32(ptr, n);
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i];
    return s;
  }

  /**
   * Copies example `src` of training data `x` (rows of `width`) into row `r` of tensor `batch`, and binarizes it
   * there (scratch: `uni`, width words) when fit asked for dynamic binarization (`binarize` = its seed): the one batch
   * writer of every model's training target. Streamed data give `index` and `total` (the example's row in the whole
   * set and the set's size), which key the binarization as in memory.
   */
  protected writeTrainingRow(
    batch: Buffer, uni: Buffer, r: number, x: Float32Array, rows: number, width: number, src: number,
    epoch: number, binarize: number | undefined, index = src, total = rows,
  ): void {
    const at = batch.ptr + r * width * 4;
    this.e.write(at, x.subarray(src * width, (src + 1) * width));
    if (binarize !== undefined) this.binarizeRow(at, uni.ptr, width, binarize, (epoch - 1) * total + index);
  }

  /**
   * Dynamic binarization of one training row in place: x_d ← 1 if u_d < x_d else 0, u ~ U[0, 1) from
   * (seed, binarize stream) at the row's own counter (example index and epoch), so batching doesn't matter.
   */
  protected binarizeRow(ptr: number, uniforms: number, width: number, seed: number, row: number): void {
    const [c0, c1] = counter(row, Math.ceil(width / 4));
    this.e.k.rng_uniform(uniforms, width, seed, STREAM.binarize, c0, c1);
    const x = this.e.f32(ptr, width);
    const u = this.e.f32(uniforms, width);
    for (let d = 0; d < width; d++) x[d] = u[d] < x[d] ? 1 : 0;
  }

  #setWeights(weights: unknown, shapes?: Map<string, Tensor>): void {
    if (typeof weights !== "object" || weights === null) {
      throw new InvalidInputError("setWeights: expected an object mapping tensor names to Float32Arrays");
    }
    const w = weights as Record<string, ArrayLike<number>>;
    const names = this.#specs.map((s) => s.name);
    for (const name of Object.keys(w)) {
      if (!names.includes(name)) {
        throw new InvalidInputError(`setWeights: unexpected tensor '${name}'${suggest(name, names)}; this model has ${names.join(", ")}`);
      }
    }
    for (const s of this.#specs) {
      const t = w[s.name];
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (t === undefined) throw new InvalidInputError(`setWeights: missing tensor '${s.name}' [${s.shape.join(", ")}]`);
      if (typeof t !== "object" || typeof t.length !== "number") {
        throw new InvalidInputError(`setWeights: '${s.name}' must be a Float32Array of ${n} values`);
      }
      const given = shapes?.get(s.name)?.shape;
      if (given && given.join() !== s.shape.join()) {
        throw new InvalidInputError(`setWeights: '${s.name}' has shape [${given.join(", ")}]; this model needs [${s.shape.join(", ")}]`);
      }
      if (t.length !== n) {
        throw new InvalidInputError(`setWeights: '${s.name}' has ${t.length} values; expected ${n} (shape [${s.shape.join(", ")}], PyTorch layout)`);
      }
      for (let i = 0; i < n; i++) {
        if (typeof t[i] !== "number" || !Number.isFinite(t[i])) {
          throw new InvalidInputError(`setWeights: '${s.name}'[${i}] is ${show(t[i])}; weights must be finite numbers`);
        }
      }
    }
    const all = this.e.f32(this.params, this.#total);
    for (const s of this.#specs) s.write(all, w[s.name]);
  }
}
