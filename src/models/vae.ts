// The variational autoencoder: an MLP encoder to (μ, log σ²), the reparameterization z = μ + σ·ε, an MLP decoder,
// a fused likelihood + KL loss. All parameters live in one flat buffer in the model's own engine.
import { DisposedError, InvalidInputError, ModelFormatError, VaekitError } from "../errors.js";
import { count, seedOf, toRows, type Data, type Rows } from "../io/data.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../io/safetensors.js";
import { ParameterLayout, sparseInputScratch, stackBackward, stackForward, type DenseLayer } from "../nn/dense.js";
import { Arena } from "../runtime/arena.js";
import { Engine } from "../runtime/engine.js";
import type { WasmSource } from "../runtime/module.js";
import { fit, type EpochLog, type FitOptions, type LossTerms, type TrainingTarget } from "../train/fit.js";
import { Optimizer } from "../train/optimizer.js";
import { resolveConfig, suggest, type ResolvedVAEConfig, type VAEConfig } from "./config.js";

/**
 * Options for where the kernels come from (rarely needed: vaekit finds its own .wasm).
 *
 * @example
 * ```ts
 * const vae = await VAE.create(config, { wasm: new URL("./vaekit.wasm", import.meta.url) });
 * ```
 */
export interface EngineOptions {
  /** A compiled WebAssembly.Module, the .wasm bytes, a Response or a URL of vaekit.wasm. */
  wasm?: WasmSource;
}

/**
 * The posterior q(z|x) = N(mean, exp(logVar)) of each example, row-major [n, latentSize].
 *
 * @example
 * ```ts
 * const { mean, logVar }: Encoding = vae.encode(x);
 * ```
 */
export interface Encoding {
  mean: Float32Array;
  logVar: Float32Array;
}

/**
 * Result of `gradients`: sums over the batch, and the gradient of `loss` per tensor (PyTorch layout).
 *
 * @example
 * ```ts
 * const { loss, gradients }: GradientResult = vae.gradients(batch, { seed: 1 });
 * ```
 */
export interface GradientResult {
  /** Σ over the batch of reconstruction + β·kl: the quantity differentiated. */
  loss: number;
  reconstruction: number;
  kl: number;
  gradients: Record<string, Float32Array>;
}

/**
 * The file format version written by `save()` (in the safetensors metadata).
 *
 * @example
 * ```ts
 * FORMAT_VERSION; // "1"
 * ```
 */
export const FORMAT_VERSION = "1";

// Random streams: the second key word of the Philox generator, one per purpose.
const STREAM = { init: 1, train: 2, evaluate: 3, sample: 4, reconstruct: 5 } as const;
const CHUNK = 256; // rows per kernel call outside training: bounds the workspace whatever n is

interface TensorSpec {
  readonly name: string;
  readonly layer: DenseLayer;
  readonly col: number; // first output column of the layer this tensor covers
  readonly cols: number;
  readonly bias: boolean;
}

type Buffers = Record<string, number>;

/**
 * A variational autoencoder (Kingma & Welling) with MLP encoder and decoder, trained and run by vaekit's
 * WebAssembly SIMD kernels. Create with `VAE.create` or `VAE.load`; free with `dispose()`.
 *
 * @example
 * ```ts
 * import { VAE } from "vaekit";
 * const vae = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 });
 * await vae.fit(trainX, { epochs: 10, batchSize: 128, learningRate: 1e-3 });
 * const digits = vae.sample(16, { seed: 7 });   // Float32Array of 16 × 784 pixel probabilities
 * vae.dispose();
 * ```
 */
export class VAE {
  readonly #e: Engine;
  readonly #cfg: ResolvedVAEConfig;
  readonly #encoder: DenseLayer[]; // hidden layers, then the (μ, log σ²) head
  readonly #decoder: DenseLayer[]; // hidden layers, then the output layer
  readonly #specs: TensorSpec[];
  readonly #nParams: number;
  readonly #params: number;
  readonly #grads: number;
  readonly #optimizer: Optimizer;
  #ws: { rows: number; arena: Arena<string>; p: Buffers } | undefined;
  #trainBlocks = 0;
  #sampleRows = 0;
  #disposed = false;

  private constructor(e: Engine, cfg: ResolvedVAEConfig) {
    this.#e = e;
    this.#cfg = cfg;
    const layout = new ParameterLayout();
    const act = cfg.activation;
    let width = cfg.inputSize;
    this.#encoder = cfg.hiddenSizes.map((h, i) => {
      const l = layout.add(`encoder.hidden.${i}`, width, h, act);
      width = h;
      return l;
    });
    this.#encoder.push(layout.add("encoder.head", width, 2 * cfg.latentSize, "identity"));
    width = cfg.latentSize;
    this.#decoder = cfg.decoderHiddenSizes.map((h, i) => {
      const l = layout.add(`decoder.hidden.${i}`, width, h, act);
      width = h;
      return l;
    });
    this.#decoder.push(layout.add("decoder.output", width, cfg.inputSize, "identity"));
    this.#nParams = layout.size;
    this.#specs = [];
    for (const l of layout.layers) {
      const L = cfg.latentSize;
      const parts: [string, number, number][] =
        l.name === "encoder.head" ? [["encoder.mean", 0, L], ["encoder.logvar", L, L]] : [[l.name, 0, l.outSize]];
      for (const [name, col, cols] of parts) {
        this.#specs.push({ name: `${name}.weight`, layer: l, col, cols, bias: false });
        this.#specs.push({ name: `${name}.bias`, layer: l, col, cols, bias: true });
      }
    }
    this.#params = e.alloc(this.#nParams);
    this.#grads = e.alloc(this.#nParams);
    this.#optimizer = new Optimizer(e, this.#params, this.#grads, this.#nParams);
  }

  /**
   * Creates a VAE with weights initialised like PyTorch's nn.Linear (U(−1/√fan_in, 1/√fan_in)) from `config.seed`.
   *
   * @example
   * ```ts
   * const vae = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, activation: "relu",
   *   likelihood: "bernoulli", beta: 1, seed: 1 });
   * ```
   */
  static async create(config: VAEConfig, options: EngineOptions = {}): Promise<VAE> {
    const cfg = resolveConfig(config);
    const vae = new VAE(await Engine.create(options.wasm), cfg);
    vae.#initialise();
    return vae;
  }

  /**
   * Loads a model written by `save()`. Truncated, foreign or inconsistent bytes throw ModelFormatError.
   *
   * @example
   * ```ts
   * const vae = await VAE.load(await readFile("model.safetensors"));
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<VAE> {
    const file = decodeSafetensors(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
    const meta = file.metadata;
    if (meta.format !== "vaekit") {
      throw new ModelFormatError(
        "this safetensors file was not written by vaekit (its metadata has no format = \"vaekit\"); to use foreign " +
          "weights, create a VAE with the matching config and pass the tensors to setWeights()",
      );
    }
    if (meta.format_version !== FORMAT_VERSION) {
      throw new ModelFormatError(
        `this model file has format_version ${JSON.stringify(meta.format_version)}; this vaekit reads version ${FORMAT_VERSION}`,
      );
    }
    if (meta.model !== "VAE") throw new ModelFormatError(`this file holds a ${JSON.stringify(meta.model)} model, not a VAE`);
    let cfg: ResolvedVAEConfig;
    try {
      cfg = resolveConfig(JSON.parse(meta.config ?? "null"));
    } catch (e) {
      throw new ModelFormatError(`the model file's config is invalid: ${(e as Error).message}`);
    }
    const vae = new VAE(await Engine.create(options.wasm), cfg);
    const weights: Record<string, Float32Array> = {};
    for (const [name, t] of file.tensors) weights[name] = t.data;
    try {
      vae.#setWeights(weights, file.tensors);
    } catch (e) {
      vae.dispose();
      throw e instanceof VaekitError ? new ModelFormatError(e.message) : e;
    }
    return vae;
  }

  /** The model's complete configuration (defaults filled in). */
  get config(): ResolvedVAEConfig {
    return structuredClone(this.#cfg);
  }

  /** Number of trainable parameters. */
  get parameterCount(): number {
    return this.#specs.reduce((n, s) => n + s.cols * (s.bias ? 1 : s.layer.inSize), 0);
  }

  /** Bytes of WebAssembly memory this model's engine holds. */
  get memoryBytes(): number {
    return this.#e.memoryBytes;
  }

  /**
   * Trains the model; resolves with one log per epoch. Rejects (leaving the weights of the last completed step)
   * on invalid data or options, on a non-finite loss (TrainingDivergedError), or when `signal` aborts.
   *
   * @example
   * ```ts
   * const history = await vae.fit(trainX, { epochs: 10, batchSize: 128, learningRate: 1e-3, validationData: testX,
   *   shuffleSeed: 1, onEpochEnd: (e) => console.log(e.epoch, e.loss, e.validation?.loss) });
   * ```
   */
  fit(x: Data, options?: FitOptions): Promise<EpochLog[]> {
    this.#live("fit");
    return fit(this.#target(), x, options);
  }

  /**
   * Mean loss terms per example in nats, with one z sampled per example from a seeded stream (default seed 0).
   * `loss` = reconstruction + β·kl, which is −ELBO when β = 1.
   *
   * @example
   * ```ts
   * const { loss, reconstruction, kl } = vae.evaluate(testX, { seed: 1 });
   * ```
   */
  evaluate(x: Data, options: { seed?: number } = {}): LossTerms {
    this.#live("evaluate");
    const seed = seedOf("evaluate: seed", options.seed, 0);
    return this.#evaluate(this.#rows(x, "evaluate(x)"), seed);
  }

  /**
   * The approximate posterior of each example: mean and log-variance, each [n, latentSize].
   *
   * @example
   * ```ts
   * const { mean, logVar } = vae.encode(images);
   * ```
   */
  encode(x: Data): Encoding {
    this.#live("encode");
    const data = this.#rows(x, "encode(x)");
    const L = this.#cfg.latentSize;
    const mean = new Float32Array(data.rows * L);
    const logVar = new Float32Array(data.rows * L);
    this.#chunks(data.rows, (start, rows, p) => {
      this.#e.write(p.x, data.values.subarray(start * this.#cfg.inputSize, (start + rows) * this.#cfg.inputSize));
      this.#forwardEncoder(rows, p);
      const stats = this.#e.f32(p.stats, rows * 2 * L);
      for (let r = 0; r < rows; r++) {
        mean.set(stats.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        logVar.set(stats.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    });
    return { mean, logVar };
  }

  /**
   * Decodes latent vectors [n, latentSize] into the likelihood's mean: pixel probabilities for "bernoulli",
   * means for "gaussian" and "laplace".
   *
   * @example
   * ```ts
   * const images = vae.decode(new Float32Array(20)); // the image at the origin of the latent space
   * ```
   */
  decode(z: Data): Float32Array {
    this.#live("decode");
    const L = this.#cfg.latentSize;
    const data = toRows(z, L, "decode(z)");
    return this.#decodeRows(data.rows, (start, rows, p) => {
      this.#e.write(p.z, data.values.subarray(start * L, (start + rows) * L));
    });
  }

  /**
   * Encodes and decodes: the decoder's mean at z = μ(x), or at a sampled z with `{ sample: true }`.
   *
   * @example
   * ```ts
   * const again = vae.reconstruct(testX.subarray(0, 8 * 784));
   * ```
   */
  reconstruct(x: Data, options: { sample?: boolean; seed?: number } = {}): Float32Array {
    this.#live("reconstruct");
    const data = this.#rows(x, "reconstruct(x)");
    const seed = seedOf("reconstruct: seed", options.seed, this.#cfg.seed);
    const D = this.#cfg.inputSize;
    const L = this.#cfg.latentSize;
    return this.#decodeRows(data.rows, (start, rows, p) => {
      this.#e.write(p.x, data.values.subarray(start * D, (start + rows) * D));
      this.#forwardEncoder(rows, p);
      if (options.sample) {
        this.#normals(p.eps, rows, seed, STREAM.reconstruct, start);
        this.#e.k.reparam_forward(p.z, p.eps, p.stats, rows, L);
      } else {
        const stats = this.#e.f32(p.stats, rows * 2 * L);
        const z = this.#e.f32(p.z, rows * L);
        for (let r = 0; r < rows; r++) z.set(stats.subarray(r * 2 * L, r * 2 * L + L), r * L);
      }
    });
  }

  /**
   * Draws n examples from the model: z ~ N(0, I), decoded. With a seed the result is reproducible on every
   * runtime; without one, each call continues the model's own stream.
   *
   * @example
   * ```ts
   * const digits = vae.sample(64, { seed: 1 }); // 64 × 784 pixel probabilities
   * ```
   */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    this.#live("sample");
    count("sample: n", n);
    const explicit = options.seed !== undefined;
    const seed = seedOf("sample: seed", options.seed, this.#cfg.seed);
    const offset = explicit ? 0 : this.#sampleRows;
    const out = this.#decodeRows(n, (start, rows, p) => {
      this.#normals(p.z, rows, seed, STREAM.sample, offset + start);
    });
    if (!explicit) this.#sampleRows += n;
    return out;
  }

  /**
   * The gradient of Σ_batch (reconstruction + β·kl) for a batch, without changing the model; ε can be given
   * ([n, latentSize]) to compare with another framework, else it is the ε that `evaluate(x, { seed })` uses. Tensor names and layout are those of `getWeights`.
   *
   * @example
   * ```ts
   * const { loss, gradients } = vae.gradients(batch, { epsilon });
   * gradients["encoder.mean.weight"]; // Float32Array [latentSize × hidden], PyTorch layout
   * ```
   */
  gradients(x: Data, options: { epsilon?: Data; seed?: number } = {}): GradientResult {
    this.#live("gradients");
    const data = this.#rows(x, "gradients(x)");
    const L = this.#cfg.latentSize;
    const D = this.#cfg.inputSize;
    let eps: Rows | undefined;
    if (options.epsilon !== undefined) {
      eps = toRows(options.epsilon, L, "gradients: epsilon");
      if (eps.rows !== data.rows) {
        throw new InvalidInputError(`gradients: epsilon has ${eps.rows} rows but x has ${data.rows}; give one ε row per example`);
      }
    }
    const seed = seedOf("gradients: seed", options.seed, 0);
    this.#e.k.zero_f32(this.#grads, this.#nParams);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    this.#chunks(data.rows, (start, rows, p) => {
      this.#e.write(p.x, data.values.subarray(start * D, (start + rows) * D));
      if (eps) this.#e.write(p.eps, eps.values.subarray(start * L, (start + rows) * L));
      else this.#normals(p.eps, rows, seed, STREAM.evaluate, start); // the ε evaluate(x, { seed }) uses
      const t = this.#forwardBackward(rows, p, 1);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    });
    const all = this.#e.f32(this.#grads, this.#nParams);
    const gradients: Record<string, Float32Array> = {};
    for (const s of this.#specs) gradients[s.name] = this.#readTensor(all, s);
    return { ...sums, gradients };
  }

  /**
   * A copy of every weight, by name, in PyTorch's nn.Linear layout (weight [out, in], bias [out]).
   * Names: encoder.hidden.{i}, encoder.mean, encoder.logvar, decoder.hidden.{i}, decoder.output — each with
   * .weight and .bias (the PyTorch reference's fc1, fc21, fc22, fc3, fc4).
   *
   * @example
   * ```ts
   * const w = vae.getWeights(); w["encoder.hidden.0.weight"].length; // 400 × 784
   * ```
   */
  getWeights(): Record<string, Float32Array> {
    this.#live("getWeights");
    const all = this.#e.f32(this.#params, this.#nParams);
    const out: Record<string, Float32Array> = {};
    for (const s of this.#specs) out[s.name] = this.#readTensor(all, s);
    return out;
  }

  /**
   * Replaces every weight (names and layout as `getWeights`). All tensors are checked before any is written.
   *
   * @example
   * ```ts
   * other.setWeights(vae.getWeights());
   * ```
   */
  setWeights(weights: Record<string, ArrayLike<number>>): void {
    this.#live("setWeights");
    this.#setWeights(weights);
  }

  /**
   * The model as safetensors bytes: weights in PyTorch layout (names as `getWeights`), config and format version
   * in the metadata. `VAE.load(vae.save()).save()` gives the same bytes.
   *
   * @example
   * ```ts
   * await writeFile("model.safetensors", vae.save());
   * ```
   */
  save(): Uint8Array {
    this.#live("save");
    const w = this.getWeights();
    const tensors = new Map<string, Tensor>();
    for (const s of this.#specs) tensors.set(s.name, { shape: this.#shape(s), data: w[s.name] });
    return encodeSafetensors(tensors, {
      format: "vaekit",
      format_version: FORMAT_VERSION,
      model: "VAE",
      config: JSON.stringify(this.#cfg),
    });
  }

  /**
   * Frees the model's WebAssembly memory; any later call throws DisposedError. Safe to call twice.
   *
   * @example
   * ```ts
   * vae.dispose();
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#ws?.arena.free();
    this.#ws = undefined;
    this.#optimizer.free();
    this.#e.release(this.#params);
    this.#e.release(this.#grads);
  }

  // ---- internals ----

  #live(what: string): void {
    if (this.#disposed) throw new DisposedError(`VAE.${what}()`);
  }

  #rows(x: unknown, what: string): Rows {
    const bern = this.#cfg.likelihood === "bernoulli";
    return toRows(x, this.#cfg.inputSize, what, bern,
      bern ? ' for the Bernoulli likelihood (scale pixels by 1/255, or create the VAE with likelihood: "gaussian")' : "");
  }

  #initialise(): void {
    const k = this.#e.k;
    const all = (): Float32Array => this.#e.f32(this.#params, this.#nParams);
    const layers = [...this.#encoder, ...this.#decoder];
    layers.forEach((l, i) => {
      const bound = 1 / Math.sqrt(l.inSize);
      const n = l.inSize * l.outSize;
      k.rng_uniform(this.#params + l.w * 4, n, this.#cfg.seed, STREAM.init, 0, 2 * i);
      k.rng_uniform(this.#params + l.b * 4, l.outSize, this.#cfg.seed, STREAM.init, 0, 2 * i + 1);
      const w = all();
      for (let j = l.w; j < l.w + n; j++) w[j] = bound * (2 * w[j] - 1);
      for (let j = l.b; j < l.b + l.outSize; j++) w[j] = bound * (2 * w[j] - 1);
    });
  }

  #shape(s: TensorSpec): number[] {
    return s.bias ? [s.cols] : [s.cols, s.layer.inSize];
  }

  #readTensor(all: Float32Array, s: TensorSpec): Float32Array {
    const l = s.layer;
    if (s.bias) return all.slice(l.b + s.col, l.b + s.col + s.cols);
    const K = l.inSize, N = l.outSize;
    const out = new Float32Array(s.cols * K);
    for (let o = 0; o < s.cols; o++) {
      for (let i = 0; i < K; i++) out[o * K + i] = all[l.w + i * N + s.col + o];
    }
    return out;
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
      const shape = this.#shape(s);
      const n = shape.reduce((a, b) => a * b, 1);
      if (t === undefined) throw new InvalidInputError(`setWeights: missing tensor '${s.name}' [${shape.join(", ")}]`);
      if (typeof t !== "object" || typeof t.length !== "number") {
        throw new InvalidInputError(`setWeights: '${s.name}' must be a Float32Array of ${n} values`);
      }
      const given = shapes?.get(s.name)?.shape;
      if (given && given.join() !== shape.join()) {
        throw new InvalidInputError(`setWeights: '${s.name}' has shape [${given.join(", ")}]; this model needs [${shape.join(", ")}]`);
      }
      if (t.length !== n) {
        throw new InvalidInputError(`setWeights: '${s.name}' has ${t.length} values; expected ${n} (shape [${shape.join(", ")}], PyTorch layout)`);
      }
      for (let i = 0; i < n; i++) {
        if (typeof t[i] !== "number" || !Number.isFinite(t[i])) {
          throw new InvalidInputError(`setWeights: '${s.name}'[${i}] is ${t[i]}; weights must be finite numbers`);
        }
      }
    }
    const all = this.#e.f32(this.#params, this.#nParams);
    for (const s of this.#specs) {
      const t = w[s.name];
      const l = s.layer;
      if (s.bias) {
        for (let o = 0; o < s.cols; o++) all[l.b + s.col + o] = t[o];
        continue;
      }
      const K = l.inSize, N = l.outSize;
      for (let o = 0; o < s.cols; o++) {
        for (let i = 0; i < K; i++) all[l.w + i * N + s.col + o] = t[o * K + i];
      }
    }
  }

  /** A workspace for `rows` examples, reused while big enough (so repeated calls don't grow memory). */
  #workspace(rows: number): Buffers {
    if (this.#ws && this.#ws.rows >= rows) return this.#ws.p;
    this.#ws?.arena.free();
    this.#ws = undefined;
    const c = this.#cfg;
    const sizes: Record<string, number> = {
      x: rows * c.inputSize, eps: rows * c.latentSize, z: rows * c.latentSize, dz: rows * c.latentSize,
      rec: rows, kl: rows,
      xnz: sparseInputScratch(rows, c.inputSize), // the first layer skips zero inputs (MNIST: ~81 % of pixels)
    };
    this.#encoder.forEach((l, i) => {
      sizes[`e${i}`] = rows * l.outSize;
      sizes[`de${i}`] = rows * l.outSize;
    });
    this.#decoder.forEach((l, i) => {
      sizes[`d${i}`] = rows * l.outSize;
      sizes[`dd${i}`] = rows * l.outSize;
    });
    const arena = new Arena(this.#e, sizes);
    const p: Buffers = { ...arena.ptr, stats: arena.ptr[`e${this.#encoder.length - 1}`], out: arena.ptr[`d${this.#decoder.length - 1}`] };
    this.#ws = { rows, arena, p };
    return p;
  }

  #list(p: Buffers, prefix: string, n: number): number[] {
    return Array.from({ length: n }, (_, i) => p[`${prefix}${i}`]);
  }

  /** Runs `body` over chunks of at most CHUNK rows with a workspace big enough for them. */
  #chunks(n: number, body: (start: number, rows: number, p: Buffers) => void): void {
    const p = this.#workspace(Math.min(n, CHUNK));
    for (let start = 0; start < n; start += CHUNK) body(start, Math.min(CHUNK, n - start), p);
  }

  #decodeRows(n: number, fillZ: (start: number, rows: number, p: Buffers) => void): Float32Array {
    const D = this.#cfg.inputSize;
    const out = new Float32Array(n * D);
    this.#chunks(n, (start, rows, p) => {
      fillZ(start, rows, p);
      stackForward(this.#e, this.#decoder, this.#params, p.z, this.#list(p, "d", this.#decoder.length), rows, this.#cfg.leakySlope);
      if (this.#cfg.likelihood === "bernoulli") this.#e.k.activation_forward(p.out, p.out, rows * D, 4, 0);
      out.set(this.#e.f32(p.out, rows * D), start * D);
    });
    return out;
  }

  /** Standard normals for rows [offset, offset + rows) of a (seed, stream): row r's values never depend on chunking. */
  #normals(ptr: number, rows: number, seed: number, stream: number, offset: number): void {
    const L = this.#cfg.latentSize;
    const per = Math.ceil(L / 4); // Philox blocks per row
    if (L % 4 === 0) {
      const c = offset * per;
      this.#e.k.rng_normal(ptr, rows * L, seed, stream, c % 2 ** 32, Math.floor(c / 2 ** 32));
      return;
    }
    for (let r = 0; r < rows; r++) {
      const c = (offset + r) * per;
      this.#e.k.rng_normal(ptr + r * L * 4, L, seed, stream, c % 2 ** 32, Math.floor(c / 2 ** 32));
    }
  }

  #forwardEncoder(rows: number, p: Buffers): void {
    stackForward(this.#e, this.#encoder, this.#params, p.x, this.#list(p, "e", this.#encoder.length), rows, this.#cfg.leakySlope,
      p.xnz);
  }

  /** Encoder, reparameterization (ε already in p.eps), decoder, and the summed loss terms (gradients if gradScale). */
  #forward(rows: number, p: Buffers, gradScale: number): { loss: number; reconstruction: number; kl: number } {
    const { k } = this.#e;
    const c = this.#cfg;
    const D = c.inputSize, L = c.latentSize;
    this.#forwardEncoder(rows, p);
    k.reparam_forward(p.z, p.eps, p.stats, rows, L);
    stackForward(this.#e, this.#decoder, this.#params, p.z, this.#list(p, "d", this.#decoder.length), rows, c.leakySlope);
    const dOut = gradScale ? p[`dd${this.#decoder.length - 1}`] : 0;
    const dStats = gradScale ? p[`de${this.#encoder.length - 1}`] : 0;
    if (c.likelihood === "bernoulli") k.bernoulli_logits_loss(dOut, p.rec, p.out, p.x, rows, D, gradScale);
    else if (c.likelihood === "gaussian") k.gaussian_loss(dOut, p.rec, p.out, p.x, rows, D, c.likelihoodScale, gradScale);
    else k.laplace_loss(dOut, p.rec, p.out, p.x, rows, D, c.likelihoodScale, gradScale);
    k.kl_normal_loss(dStats, p.kl, p.stats, rows, L, c.beta * gradScale);
    const rec = this.#e.f32(p.rec, rows);
    const kl = this.#e.f32(p.kl, rows);
    let sr = 0, sk = 0;
    for (let r = 0; r < rows; r++) {
      sr += rec[r];
      sk += kl[r];
    }
    return { loss: sr + c.beta * sk, reconstruction: sr, kl: sk };
  }

  /** Forward, loss and backward; gradients accumulate into the grads buffer. */
  #forwardBackward(rows: number, p: Buffers, gradScale: number): { loss: number; reconstruction: number; kl: number } {
    const t = this.#forward(rows, p, gradScale);
    const a = this.#cfg.leakySlope;
    const nd = this.#decoder.length, ne = this.#encoder.length;
    stackBackward(this.#e, this.#decoder, this.#params, this.#grads, p.z, this.#list(p, "d", nd), this.#list(p, "dd", nd),
      p.dz, rows, a);
    this.#e.k.reparam_backward(p[`de${ne - 1}`], p.dz, p.eps, p.stats, rows, this.#cfg.latentSize);
    stackBackward(this.#e, this.#encoder, this.#params, this.#grads, p.x, this.#list(p, "e", ne), this.#list(p, "de", ne),
      0, rows, a, p.xnz);
    return t;
  }

  #evaluate(data: Rows, seed: number): LossTerms {
    const D = this.#cfg.inputSize;
    let sr = 0, sk = 0;
    this.#chunks(data.rows, (start, rows, p) => {
      this.#e.write(p.x, data.values.subarray(start * D, (start + rows) * D));
      this.#normals(p.eps, rows, seed, STREAM.evaluate, start);
      const t = this.#forward(rows, p, 0);
      sr += t.reconstruction;
      sk += t.kl;
    });
    const n = data.rows;
    return { loss: (sr + this.#cfg.beta * sk) / n, reconstruction: sr / n, kl: sk / n };
  }

  #target(): TrainingTarget {
    const e = this.#e;
    const D = this.#cfg.inputSize;
    let capacity = 1;
    // The workspace is looked up on every use: validation between epochs may have replaced it with a larger one.
    return {
      inputSize: D,
      seed: this.#cfg.seed,
      optimizer: this.#optimizer,
      validate: (data, what) => this.#rows(data, what),
      batchInput: (rows) => {
        capacity = rows;
        this.#workspace(rows);
        return (r, example) => e.write(this.#workspace(capacity).x + r * D * 4, example);
      },
      forwardBackward: (rows, gradScale) => {
        const p = this.#workspace(capacity);
        const L = this.#cfg.latentSize;
        const c = this.#trainBlocks;
        e.k.rng_normal(p.eps, rows * L, this.#cfg.seed, STREAM.train, c % 2 ** 32, Math.floor(c / 2 ** 32));
        this.#trainBlocks += Math.ceil((rows * L) / 4);
        e.k.zero_f32(this.#grads, this.#nParams);
        return this.#forwardBackward(rows, p, gradScale);
      },
      gradNormSquared: () => e.k.sum_squares(this.#grads, this.#nParams),
      scaleGradients: (s) => e.k.scale_inplace(this.#grads, this.#nParams, s),
      evaluate: (data, seed) => this.#evaluate(data, seed),
    };
  }
}
