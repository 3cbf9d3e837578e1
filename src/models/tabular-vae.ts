// The tabular VAE: a VAE over table records whose columns each have their own likelihood (src/nn/parts.ts), with
// the preprocessing (standardisation, ranges, category lists) learned from the training data and stored in the
// model file, missing cells masked out of the likelihood (MIWAE / HI-VAE style: the encoder sees the observed
// values with zeros for the missing ones and the presence mask), imputation and per-column anomaly scores.
import { InvalidConfigError, InvalidInputError } from "../errors.js";
import { count, seedOf, toRows, type Data } from "../io/data.js";
import { gridPoints, traversePoints } from "../latent/grid.js";
import { interpolatePath, interpolationOptions, type InterpolationMethod } from "../latent/interpolate.js";
import { ParameterLayout, sparseInputScratch } from "../nn/dense.js";
import { klStandardNormal } from "../nn/kl.js";
import { Mlp } from "../nn/mlp.js";
import { Parts } from "../nn/parts.js";
import { reparameterize } from "../nn/reparameterize.js";
import type { Dims, Tensor } from "../nn/tensor.js";
import type { Engine } from "../runtime/engine.js";
import type { Activation } from "../nn/dense.js";
import type { EpochLog, FitOptions, LossTerms, TrainingTarget } from "../train/fit.js";
import type { BatchStream, RowSource } from "../train/source.js";
import {
  checked, Codec, inferSchema, isMissing, partsOf, recordsOf, type Cell, type Column, type ColumnSpec, type Encoded,
  type TableRecord,
} from "../tabular/schema.js";
import { configFromFile, readModelFile } from "./format.js";
import { logWeightsScale } from "./importance.js";
import type { Encoding, GradientResult } from "./latent-model.js";
import { CHUNK, Model, STREAM, type EngineOptions } from "./model.js";
import type { ModelCapabilities } from "./model-api.js";
import { intOption, optionsOf } from "./options.js";

/**
 * Configuration of a TabularVAE. `schema` lists every column with its complete preprocessing (as `inferSchema`
 * returns it, or `TabularVAE.fromRecords` builds it from training records).
 *
 * @example
 * ```ts
 * const config: TabularVAEConfig = { schema: inferSchema(records), latentSize: 4, hiddenSizes: [64], seed: 1 };
 * ```
 */
export interface TabularVAEConfig {
  schema: readonly Column[];
  /** Latent dimensions (default 8). */
  latentSize?: number;
  /** Encoder hidden layer widths (default [64, 64]). */
  hiddenSizes?: readonly number[];
  /** Decoder hidden layer widths (default: the encoder's reversed). */
  decoderHiddenSizes?: readonly number[];
  /** Hidden activation (default "relu"). */
  activation?: Activation;
  /** Slope of leaky_relu below 0 (default 0.01). */
  leakySlope?: number;
  /** Weight of the KL term (default 1). */
  beta?: number;
  /** Seed of the weights and of every default random stream (default 0). */
  seed?: number;
}

/**
 * A TabularVAE's complete configuration (`model.config`): every field filled.
 *
 * @example
 * ```ts
 * const { schema, latentSize }: ResolvedTabularVAEConfig = model.config;
 * ```
 */
export interface ResolvedTabularVAEConfig {
  schema: Column[];
  latentSize: number;
  hiddenSizes: number[];
  decoderHiddenSizes: number[];
  activation: Activation;
  leakySlope: number;
  beta: number;
  seed: number;
}

/**
 * Anomaly scores of records: per record the negative log-likelihood of its observed fields given its posterior mean
 * code (nats; higher is odder), and each column's share (NaN where the field is missing: it is ignored).
 *
 * @example
 * ```ts
 * const { scores, columns } = model.anomalyScore(records);
 * const oddest = Object.entries(columns).sort((a, b) => b[1][0] - a[1][0])[0][0]; // record 0's oddest field
 * ```
 */
export interface AnomalyScores {
  readonly scores: Float64Array;
  readonly columns: Record<string, Float64Array>;
}

/**
 * Options of `impute`: `samples` 0 (default) fills each missing field from the decoder's mean at the posterior mean
 * code; k ≥ 1 averages the decoded means of k codes drawn from q(z|x) weighted by importance weights
 * p(x_obs|z)p(z)/q(z|x_obs) (MIWAE's single imputation). `seed` keys the draws.
 *
 * @example
 * ```ts
 * const filled = model.impute(records, { samples: 50, seed: 1 });
 * ```
 */
export interface ImputeOptions {
  samples?: number;
  seed?: number;
}

/**
 * Encoded rows with their presence mask: `x` [n, inputSize] (0 where missing) and `mask` [n, columns], as
 * `encodeRecords` returns them and `openTable`'s reads (vaekit/tabular-arrow) give them to `fit`.
 *
 * @example
 * ```ts
 * const { x, mask }: EncodedRows = model.encodeRecords(records);
 * ```
 */
export interface EncodedRows {
  readonly x: Float32Array;
  readonly mask: Float32Array;
}

/**
 * What a streamed table gives `fit` per read or per batch: records, or encoded rows with their mask.
 *
 * @example
 * ```ts
 * const batches: BatchStream<TableChunk> = { async *[Symbol.asyncIterator]() { yield records.slice(0, 64); } };
 * ```
 */
export type TableChunk = readonly TableRecord[] | EncodedRows;

/**
 * Options of `imputeMultiple`: `copies` completed copies (default 5), `samples` codes drawn per record to resample
 * from (default 100), `seed` of the draws (default: the model's seed).
 *
 * @example
 * ```ts
 * const copies = model.imputeMultiple(records, { copies: 20, samples: 200, seed: 3 });
 * ```
 */
export interface MultipleImputeOptions {
  copies?: number;
  samples?: number;
  seed?: number;
}

/** The noise stream of imputeMultiple's codes (distinct from impute's STREAM.reconstruct). */
const STREAM_IMPUTE = 37;

/**
 * Uniforms in [0, 1) for copy j of record i under a seed: a counter-based hash (splitmix32 of seed, record, copy and
 * the draw's index), so every draw is fixed by its place whatever else the call does.
 */
function uniforms(seed: number, i: number, j: number): () => number {
  let n = 0;
  const mix = (h: number): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  const key = mix(mix(mix(seed ^ 0x9e3779b9) + i) + j);
  return () => {
    const a = mix(key + Math.imul(++n, 0x9e3779b9)), b = mix(a ^ 0x5bd1e995);
    return (a * 2 ** 21 + (b >>> 11)) / 2 ** 53; // 53 random bits
  };
}

/** A standard normal from two uniforms (Box–Muller). */
const gauss = (u: () => number): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());

/**
 * One draw of a column's likelihood at decoder output l (its first value; `logits` all of a categorical column's),
 * in the encoded space (standardised, scaled to [0, 1], a count, 0/1); categorical: writes the one-hot into `hot` and
 * returns its first value.
 */
function drawCell(c: Column, logits: Float32Array, l: number, logScale: number, u: () => number, hot: Float32Array): number {
  switch (c.type) {
    case "continuous": {
      if (c.likelihood === "laplace") {
        const v = u() - 0.5;
        return l - Math.exp(logScale) * Math.sign(v) * Math.log(1 - 2 * Math.abs(v));
      }
      return l + Math.exp(logScale) * gauss(u);
    }
    case "bounded": {
      // continuous Bernoulli by its inverse CDF: x = log1p(v·(e^l − 1)) / l (v itself at l ≈ 0)
      const v = u();
      return Math.abs(l) < 1e-6 ? v : Math.min(1, Math.max(0, Math.log1p(v * Math.expm1(l)) / l));
    }
    case "binary":
      return u() < 1 / (1 + Math.exp(-l)) ? 1 : 0;
    case "categorical": {
      let m = -Infinity, sum = 0;
      for (const v of logits) m = Math.max(m, v);
      for (const v of logits) sum += Math.exp(v - m);
      let pick = u() * sum, k = 0;
      while (k < logits.length - 1 && (pick -= Math.exp(logits[k] - m)) >= 0) k++;
      hot[k] = 1;
      return hot[0];
    }
    case "count": {
      const mu = Math.exp(l);
      // negative binomial: a gamma-Poisson mixture by inversion of its pmf; Poisson likewise (normal beyond mean 500)
      const r = c.likelihood === "negative-binomial" ? Math.exp(logScale) : Infinity;
      if (mu > 500) return Math.max(0, Math.round(mu + Math.sqrt(mu + (Number.isFinite(r) ? mu * mu / r : 0)) * gauss(u)));
      const q = Number.isFinite(r) ? mu / (r + mu) : 0;
      let p = Number.isFinite(r) ? Math.exp(r * Math.log(r / (r + mu))) : Math.exp(-mu);
      let k = 0, acc = p;
      const v = u();
      while (acc <= v && k < 100_000 && p > 0) {
        p *= Number.isFinite(r) ? ((k + r) / (k + 1)) * q : mu / (k + 1);
        k++;
        acc += p;
      }
      return k;
    }
  }
}

/** Training rows of a tabular model: encoded values and the presence mask. */
interface TabData extends Encoded {
  readonly x: Float32Array;
}

const ACTIVATIONS: readonly Activation[] = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"];

function sizes(v: unknown, what: string, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  if (!Array.isArray(v) || v.some((h) => !Number.isInteger(h) || h < 1 || h > 65536)) {
    throw new InvalidConfigError(`${what} must be an array of integers from 1 to 65536; got ${JSON.stringify(v)}`);
  }
  return [...v];
}

/**
 * Validates a TabularVAE config and fills its defaults; throws InvalidConfigError naming what is wrong.
 *
 * @example
 * ```ts
 * resolveTabularConfig({ schema: inferSchema(records) }).hiddenSizes; // [64, 64]
 * ```
 */
export function resolveTabularConfig(config: unknown): ResolvedTabularVAEConfig {
  if (typeof config !== "object" || config === null) throw new InvalidConfigError("TabularVAE: config must be an object with a schema");
  const c = config as Record<string, unknown>;
  const known = ["schema", "latentSize", "hiddenSizes", "decoderHiddenSizes", "activation", "leakySlope", "beta", "seed"];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw new InvalidConfigError(`TabularVAE: unknown config field ${JSON.stringify(k)} (known: ${known.join(", ")})`);
  if (!Array.isArray(c.schema) || c.schema.length === 0) {
    throw new InvalidConfigError("TabularVAE: schema must be a non-empty array of columns (inferSchema(records) makes one, or use TabularVAE.fromRecords)");
  }
  const names = new Set<string>();
  const schema = (c.schema as Column[]).map((col) => {
    if (typeof col !== "object" || col === null) throw new InvalidConfigError("TabularVAE: every schema entry is a column object");
    const k = checked({ ...col, ...(col.values ? { values: [...col.values] as [Cell, Cell] } : {}), ...(col.categories ? { categories: [...col.categories] } : {}) });
    if (names.has(k.name)) throw new InvalidConfigError(`TabularVAE: column ${JSON.stringify(k.name)} is listed twice`);
    names.add(k.name);
    return k;
  });
  const latentSize = c.latentSize ?? 8;
  if (!Number.isInteger(latentSize) || (latentSize as number) < 1 || (latentSize as number) > 4096) {
    throw new InvalidConfigError(`TabularVAE: latentSize must be an integer from 1 to 4096; got ${JSON.stringify(c.latentSize)}`);
  }
  const hiddenSizes = sizes(c.hiddenSizes, "TabularVAE: hiddenSizes", [64, 64]);
  const decoderHiddenSizes = sizes(c.decoderHiddenSizes, "TabularVAE: decoderHiddenSizes", [...hiddenSizes].reverse());
  const activation = (c.activation ?? "relu") as Activation;
  if (!ACTIVATIONS.includes(activation)) throw new InvalidConfigError(`TabularVAE: activation must be one of ${ACTIVATIONS.join(", ")}; got ${JSON.stringify(c.activation)}`);
  const leakySlope = c.leakySlope ?? 0.01, beta = c.beta ?? 1, seed = c.seed ?? 0;
  if (typeof leakySlope !== "number" || !Number.isFinite(leakySlope)) throw new InvalidConfigError("TabularVAE: leakySlope must be a finite number");
  if (typeof beta !== "number" || !(beta >= 0) || !Number.isFinite(beta)) throw new InvalidConfigError(`TabularVAE: beta must be a finite number ≥ 0; got ${JSON.stringify(c.beta)}`);
  if (!Number.isInteger(seed) || (seed as number) < 0 || (seed as number) >= 2 ** 32) throw new InvalidConfigError(`TabularVAE: seed must be an integer in [0, 2^32); got ${JSON.stringify(c.seed)}`);
  return { schema, latentSize: latentSize as number, hiddenSizes, decoderHiddenSizes, activation, leakySlope, beta, seed: seed as number };
}

interface TabTensors {
  x: Tensor; mask: Tensor; xin: Tensor; xnz: Tensor; eps: Tensor; z: Tensor; losses: Tensor; kl: Tensor;
}

/**
 * A variational autoencoder for tables: each column has its own likelihood (continuous: Gaussian or Laplace on
 * standardised values with a learned scale; bounded: continuous Bernoulli on its range; binary: Bernoulli;
 * categorical: softmax; count: Poisson), the preprocessing is learned from the training records and saved with the
 * model, and missing cells (null, undefined, NaN, absent) are left out of the likelihood and of the gradients.
 * Records go in and come out as the user has them. The numeric calls (`encode`, `decode`, `fit` on arrays, …) use
 * encoded rows: `inputSize` values per row (standardised numbers, one-hot categories; NaN marks a missing cell).
 *
 * @example
 * ```ts
 * import { TabularVAE } from "vaekit/tabular";
 * const model = await TabularVAE.fromRecords(penguins, { latentSize: 4, hiddenSizes: [64, 64], seed: 1 });
 * await model.fit(penguins, { epochs: 200, batchSize: 64, learningRate: 1e-3 });
 * const filled = model.impute([{ species: "Adelie", bill_length_mm: null, sex: "MALE" }]);
 * const { scores, columns } = model.anomalyScore(penguins);
 * ```
 */
export class TabularVAE extends Model<ResolvedTabularVAEConfig, LossTerms> {
  readonly #codec: Codec;
  readonly #parts: Parts;
  readonly #encoder: Mlp;
  readonly #decoder: Mlp;
  readonly #b: TabTensors;
  readonly #W: number;
  readonly #P: number;
  readonly #L: number;
  /** Row offsets of the count columns. */
  readonly #counts: number[];

  private constructor(e: Engine, cfg: ResolvedTabularVAEConfig) {
    const codec = new Codec(cfg.schema);
    const W = codec.width, P = cfg.schema.length, L = cfg.latentSize;
    const layout = new ParameterLayout();
    const encoder = new Mlp(layout, {
      prefix: "encoder", inSize: W + P, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation,
      outSize: 2 * L, outName: "head", outParts: [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }],
    }, cfg.leakySlope);
    const decoder = new Mlp(layout, {
      prefix: "decoder", inSize: L, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation, outSize: W, outName: "output",
    }, cfg.leakySlope);
    const parts = new Parts(partsOf(cfg.schema), layout, "decoder.columns");
    super(e, cfg, layout, "TabularVAE");
    this.#codec = codec;
    this.#parts = parts;
    this.#encoder = encoder;
    this.#decoder = decoder;
    this.#W = W;
    this.#P = P;
    this.#L = L;
    this.#counts = cfg.schema.flatMap((c, p) => (c.type === "count" ? [codec.offsets[p]] : []));
    const ws = this.ws;
    const B = (d: Dims): number => d.B;
    this.#b = {
      x: ws.tensor((d) => B(d) * W), mask: ws.tensor((d) => B(d) * P), xin: ws.tensor((d) => B(d) * (W + P)),
      xnz: ws.tensor((d) => sparseInputScratch(B(d), W + P)), eps: ws.tensor((d) => B(d) * L),
      z: ws.tensor((d) => B(d) * L, true), losses: ws.tensor((d) => B(d) * P), kl: ws.tensor(B),
    };
    encoder.declare(ws, B);
    decoder.declare(ws, B);
  }

  /**
   * Creates a TabularVAE for a complete schema (weights from `config.seed`). Its engine runs the extended kernels.
   *
   * @example
   * ```ts
   * const model = await TabularVAE.create({ schema: inferSchema(records), latentSize: 4, seed: 1 });
   * ```
   */
  static async create(config: TabularVAEConfig, options: EngineOptions = {}): Promise<TabularVAE> {
    const cfg = resolveTabularConfig(config);
    const m = new TabularVAE(await Model.engine(options, undefined, true), cfg);
    m.initialise();
    return m;
  }

  /**
   * Infers the schema from training records (`columns` may name the columns to use and fix their types or
   * preprocessing; see `inferSchema`) and creates the model.
   *
   * @example
   * ```ts
   * const model = await TabularVAE.fromRecords(records, { latentSize: 4, seed: 1, columns: [{ name: "kind", type: "categorical" }, { name: "x" }] });
   * ```
   */
  static async fromRecords(records: readonly TableRecord[], config: Omit<TabularVAEConfig, "schema"> & { columns?: readonly ColumnSpec[] } = {},
    options: EngineOptions = {}): Promise<TabularVAE> {
    const { columns, ...rest } = config;
    return TabularVAE.create({ ...rest, schema: inferSchema(records, columns) }, options);
  }

  /**
   * Loads a TabularVAE written by `save()`: the schema and its learned preprocessing come back with the weights, so
   * the loaded model scores raw records exactly as before saving.
   *
   * @example
   * ```ts
   * const model = await TabularVAE.load(await readFile("table.safetensors"));
   * ```
   */
  static async load(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<TabularVAE> {
    const file = await readModelFile(bytes, "TabularVAE");
    const cfg = configFromFile(() => resolveTabularConfig(file.config));
    return new TabularVAE(await Model.engine(options, file, true), cfg).restore(file);
  }

  /** The columns with their learned preprocessing (a copy). */
  get schema(): Column[] {
    return structuredClone(this.cfg.schema);
  }

  /** Values per encoded row (Σ over columns: 1, or the number of categories). */
  get inputSize(): number {
    return this.#W;
  }

  /** A Gaussian latent layer z with a prior: sampling, posterior; no importance-sampled log-likelihood. */
  get capabilities(): ModelCapabilities {
    return { ...this.caps(this.#W, 0, { z: this.#L }, true, false), logLikelihood: false };
  }

  // ---- data ----

  /**
   * Records → encoded rows (standardised numbers, one-hot categories, 0 where missing) and the presence mask
   * [n, columns]. Bad fields throw InvalidInputError naming the record and the field.
   *
   * @example
   * ```ts
   * const { x, mask } = model.encodeRecords([{ a: 1.2, b: "x" }]);
   * ```
   */
  encodeRecords(records: readonly TableRecord[]): Encoded {
    this.live("encodeRecords");
    return this.#codec.encode(records, "encodeRecords(records)");
  }

  /**
   * Encoded rows or decoded means [n, inputSize] → records of raw values (categories: the likeliest).
   *
   * @example
   * ```ts
   * const records = model.toRecords(model.sample(10, { seed: 1 }));
   * ```
   */
  toRecords(rows: Data): TableRecord[] {
    this.live("toRecords");
    const r = toRows(rows, this.#W, "toRecords(rows)");
    return this.#codec.decode(r.values, r.rows);
  }

  /** Records, or numeric encoded rows with NaN for missing cells, as training/evaluation data. */
  #data(x: unknown, what: string): TabData {
    if (Array.isArray(x) && x.length > 0 && typeof x[0] === "object" && x[0] !== null && !ArrayBuffer.isView(x[0]) && !Array.isArray(x[0])) {
      return this.#codec.encode(x, what);
    }
    if (Array.isArray(x) && x.length === 0) throw new InvalidInputError(`${what}: no records`);
    const W = this.#W, P = this.#P;
    if (isEncoded(x)) return this.#encoded(x, what);
    const values = numericRows(x, W, what);
    const n = values.length / W;
    const mask = new Float32Array(n * P), xs = new Float32Array(values.length);
    for (let r = 0; r < n; r++) {
      this.cfg.schema.forEach((c, p) => {
        const at = r * W + this.#codec.offsets[p], w = c.type === "categorical" ? c.categories!.length : 1;
        let missing = false;
        for (let i = 0; i < w; i++) if (Number.isNaN(values[at + i])) missing = true;
        if (missing) return;
        const bad = (v: number, expected: string): never => {
          throw new InvalidInputError(`${what}: row ${r}, column ${JSON.stringify(c.name)}: ${v} — expected ${expected} (NaN marks a missing cell)`);
        };
        let ones = 0;
        for (let i = 0; i < w; i++) {
          const v = values[at + i];
          if (!Number.isFinite(v)) bad(v, "a finite number");
          if (c.type === "binary" && v !== 0 && v !== 1) bad(v, "0 or 1 (a binary column)");
          if (c.type === "bounded" && !(v >= 0 && v <= 1)) bad(v, "a value in [0, 1] (a bounded column, scaled to its range)");
          if (c.type === "count" && !(Number.isInteger(v) && v >= 0)) bad(v, "a whole number ≥ 0 (a count column)");
          if (c.type === "categorical") {
            if (v !== 0 && v !== 1) bad(v, `a one-hot group of ${w} values (a categorical column)`);
            ones += v;
          }
          xs[at + i] = v;
        }
        if (c.type === "categorical" && ones !== 1) {
          throw new InvalidInputError(`${what}: row ${r}, column ${JSON.stringify(c.name)}: ${ones} of its ${w} one-hot values are 1; expected exactly one (or all NaN for a missing cell)`);
        }
        mask[r * P + p] = 1;
      });
    }
    return { rows: n, x: xs, mask };
  }

  /** Encoded rows with their presence mask (what encodeRecords and openTable's reads return), checked. */
  #encoded(d: { x: Float32Array; mask: Float32Array }, what: string): TabData {
    const W = this.#W, P = this.#P, n = d.x.length / W;
    if (!Number.isInteger(n) || n < 1 || d.mask.length !== n * P) {
      throw new InvalidInputError(`${what}: encoded rows { x, mask } need x of n × ${W} values and mask of n × ${P} (one per column); ` +
        `got ${d.x.length} and ${d.mask.length}`);
    }
    for (let i = 0; i < d.mask.length; i++) {
      if (d.mask[i] !== 0 && d.mask[i] !== 1) throw new InvalidInputError(`${what}: mask[${i}] is ${d.mask[i]}; a presence mask holds 0 (missing) or 1`);
    }
    for (let i = 0; i < d.x.length; i++) {
      if (!Number.isFinite(d.x[i])) throw new InvalidInputError(`${what}: x[${i}] is ${d.x[i]}; encoded rows are finite (0 where the mask is 0)`);
    }
    return { rows: n, x: d.x, mask: d.mask };
  }

  // ---- passes ----

  #dims(B: number): void {
    this.ws.layout({ B, K: 1, multi: false, total: 0 });
  }

  #chunks(n: number, body: (start: number, rows: number) => void): void {
    this.ws.chunks(n, (B) => ({ B, K: 1, multi: false, total: 0 }), body, CHUNK);
  }

  /** Writes encoded row src of data into batch row r (x, mask and the encoder's input [x | mask]). */
  #putRow(r: number, data: TabData, src: number): void {
    const W = this.#W, P = this.#P, b = this.#b;
    const x = data.x.subarray(src * W, (src + 1) * W), m = data.mask.subarray(src * P, (src + 1) * P);
    this.e.write(b.x.ptr + r * W * 4, x);
    this.e.write(b.mask.ptr + r * P * 4, m);
    this.e.write(b.xin.ptr + r * (W + P) * 4, x);
    this.e.write(b.xin.ptr + (r * (W + P) + W) * 4, m);
    if (this.#counts.length) {
      // the encoder sees log(1 + count): raw counts would swamp its other inputs
      const v = this.e.f32(b.xin.ptr + r * (W + P) * 4, W);
      for (const at of this.#counts) v[at] = Math.log1p(v[at]);
    }
  }

  #putRows(data: TabData, start: number, rows: number): void {
    for (let r = 0; r < rows; r++) this.#putRow(r, data, start + r);
  }

  /** −ELBO terms of `rows` batch rows (ε in eps); with gradScale its gradient accumulates into grads. */
  #elbo(rows: number, gradScale: number): LossTerms {
    const b = this.#b, L = this.#L;
    const t = this.pass(gradScale);
    const stats = this.#encoder.run(t, b.xin, rows, b.xnz.ptr);
    reparameterize(t, b.z, b.eps, stats, rows, L);
    const out = this.#decoder.run(t, b.z, rows);
    this.#parts.forward(t, b.losses, out, b.x, b.mask, rows);
    const rec = this.sumAt(b.losses.ptr, rows * this.#P);
    const beta = this.cfg.beta;
    klStandardNormal(t, b.kl, stats, rows, L, beta * gradScale);
    const kl = this.sumAt(b.kl.ptr, rows);
    t.backward();
    return { loss: rec + beta * kl, reconstruction: rec, kl };
  }

  /** Posterior statistics [rows, 2L] of the batch rows (inference). */
  #stats(rows: number): Float32Array {
    const t = this.pass(0);
    return this.e.f32(this.#encoder.run(t, this.#b.xin, rows, this.#b.xnz.ptr).ptr, rows * 2 * this.#L);
  }

  /** Decoder outputs [rows, W] for the codes in z (inference), and the per-column losses of the batch's x. */
  #decodeZ(rows: number): { out: Float32Array; losses: Float32Array } {
    const t = this.pass(0);
    const out = this.#decoder.run(t, this.#b.z, rows);
    this.#parts.forward(t, this.#b.losses, out, this.#b.x, this.#b.mask, rows);
    return { out: this.e.read(out.ptr, rows * this.#W), losses: this.e.read(this.#b.losses.ptr, rows * this.#P) };
  }

  /**
   * K codes per batch row drawn from q(z|x_obs) (posterior statistics s [rows, 2L]; ε from `stream` of `seed`, draw k of
   * the chunk at row offset + k·rows) and their log importance weights [rows, K]: log p(x_obs|z_k) + log p(z_k) −
   * log q(z_k|x_obs), up to a constant per row. `draw(out, k)` gets each draw's decoder outputs [rows, W].
   */
  #proposals(s: Float32Array, rows: number, K: number, seed: number, stream: number, offset: number,
    draw: (out: Float32Array, k: number) => void): Float64Array {
    const L = this.#L, P = this.#P;
    const logw = new Float64Array(rows * K);
    const eps = new Float32Array(rows * L);
    for (let k = 0; k < K; k++) {
      this.normals(this.#b.eps.ptr, rows, L, seed, stream, offset + k * rows);
      eps.set(this.e.f32(this.#b.eps.ptr, rows * L));
      const z = this.e.f32(this.#b.z.ptr, rows * L);
      for (let r = 0; r < rows; r++) {
        let lp = 0, lq = 0;
        for (let l = 0; l < L; l++) {
          const mu = s[r * 2 * L + l], lv = s[r * 2 * L + L + l], e = eps[r * L + l];
          const zz = mu + Math.exp(0.5 * lv) * e;
          z[r * L + l] = zz;
          lp += -0.5 * zz * zz;
          lq += -0.5 * e * e - 0.5 * lv;
        }
        logw[r * K + k] = lp - lq;
      }
      const { out, losses } = this.#decodeZ(rows);
      for (let r = 0; r < rows; r++) {
        let nll = 0;
        for (let p = 0; p < P; p++) nll += losses[r * P + p];
        logw[r * K + k] -= nll;
      }
      draw(out, k);
    }
    return logw;
  }

  // ---- training and evaluation ----

  /**
   * Trains on records (or encoded rows with NaN for missing cells, or `{ x, mask }`); resolves with one log per
   * epoch. A table bigger than memory streams: a RowSource (vaekit/tabular-arrow's `openTable` reads Parquet and
   * Arrow files by row groups; fit shuffles it by seeded row ranges) or an async iterable of batches, each chunk
   * records or `{ x, mask }`. Missing cells add nothing to the loss and get no gradient. Rejects (leaving the weights of the last completed step) on bad data
   * or options — naming the record and the field — on a non-finite loss, or when `signal` aborts.
   *
   * @example
   * ```ts
   * await model.fit(records, { epochs: 100, batchSize: 64, learningRate: 1e-3, shuffleSeed: 1 });
   * ```
   */
  fit(x: readonly TableRecord[] | Data | EncodedRows | RowSource<TableChunk> | BatchStream<TableChunk>, options?: FitOptions): Promise<EpochLog[]> {
    return this.train(() => this.#target(), x, options);
  }

  /**
   * Mean loss terms per record in nats (−ELBO of the observed cells), z drawn from a seeded stream (default 0).
   *
   * @example
   * ```ts
   * const { loss } = model.evaluate(testRecords, { seed: 1 });
   * ```
   */
  evaluate(x: readonly TableRecord[] | Data, options: { seed?: number } = {}): LossTerms {
    this.live("evaluate");
    const seed = seedOf("evaluate: seed", optionsOf(options, ["seed"], "evaluate").seed, 0);
    return this.#evaluateData(this.#data(x, "evaluate(x)"), seed);
  }

  #evaluateData(data: TabData, seed: number): LossTerms {
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    this.#chunks(data.rows, (start, rows) => {
      this.#putRows(data, start, rows);
      this.normals(this.#b.eps.ptr, rows, this.#L, seed, STREAM.evaluate, start);
      const t = this.#elbo(rows, 0);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    });
    const n = data.rows;
    return { loss: sums.loss / n, reconstruction: sums.reconstruction / n, kl: sums.kl / n };
  }

  /**
   * The gradient of the summed −ELBO over the records (or encoded rows) by tensor (names as getWeights), with ε
   * given [n, latentSize] or drawn like evaluate's (seed, default 0); the model is unchanged.
   *
   * @example
   * ```ts
   * const { loss, gradients } = model.gradients(records, { seed: 1 });
   * ```
   */
  gradients(x: readonly TableRecord[] | Data, options: { epsilon?: Data; seed?: number } = {}): GradientResult {
    this.live("gradients");
    const o = optionsOf(options, ["epsilon", "seed"], "gradients");
    const data = this.#data(x, "gradients(x)");
    const L = this.#L;
    const eps = o.epsilon === undefined ? undefined : toRows(o.epsilon, L, "gradients: epsilon");
    if (eps && eps.rows !== data.rows) throw new InvalidInputError(`gradients: epsilon has ${eps.rows} rows but x has ${data.rows}; give one ε row per record`);
    const seed = seedOf("gradients: seed", o.seed, 0);
    this.e.k.zero_f32(this.grads, this.nParams);
    const sums = { loss: 0, reconstruction: 0, kl: 0 };
    this.#chunks(data.rows, (start, rows) => {
      this.#putRows(data, start, rows);
      if (eps) this.e.write(this.#b.eps.ptr, eps.values.subarray(start * L, (start + rows) * L));
      else this.normals(this.#b.eps.ptr, rows, L, seed, STREAM.evaluate, start);
      const t = this.#elbo(rows, 1);
      sums.loss += t.loss;
      sums.reconstruction += t.reconstruction;
      sums.kl += t.kl;
    });
    return { ...sums, gradients: this.gradientTensors() };
  }

  #target(): TrainingTarget<LossTerms, TabData> {
    const b = this.#b;
    let capacity = 1;
    const ws = (): void => this.#dims(capacity);
    return {
      ...this.targetBase(),
      validate: (data, what) => this.#data(data, what),
      batchInput: (rows) => {
        capacity = rows;
        ws();
        return (r, data, src) => {
          ws();
          this.#putRow(r, data, src);
        };
      },
      forwardBackward: (rows, gradScale) => {
        ws();
        this.trainNormals(b.eps.ptr, rows * this.#L);
        this.e.k.zero_f32(this.grads, this.nParams);
        return this.#elbo(rows, gradScale);
      },
      evaluate: (data, seed) => this.#evaluateData(data, seed),
    };
  }

  // ---- the latent space ----

  /**
   * The approximate posterior of each record: mean and log-variance [n, latentSize] (missing cells masked).
   *
   * @example
   * ```ts
   * const { mean } = model.encode(records);
   * ```
   */
  encode(x: readonly TableRecord[] | Data): Encoding {
    this.live("encode");
    const data = this.#data(x, "encode(x)");
    const L = this.#L, mean = new Float32Array(data.rows * L), logVar = new Float32Array(data.rows * L);
    this.#chunks(data.rows, (start, rows) => {
      this.#putRows(data, start, rows);
      const s = this.#stats(rows);
      for (let r = 0; r < rows; r++) {
        mean.set(s.subarray(r * 2 * L, r * 2 * L + L), (start + r) * L);
        logVar.set(s.subarray(r * 2 * L + L, (r + 1) * 2 * L), (start + r) * L);
      }
    });
    return { mean, logVar };
  }

  /** Decodes codes written by fill into z to distribution means [n, W] (encoded space). */
  #decodeWith(n: number, fill: (start: number, rows: number, z: number) => void): Float32Array {
    const W = this.#W, res = new Float32Array(n * W);
    this.#chunks(n, (start, rows) => {
      fill(start, rows, this.#b.z.ptr);
      const t = this.pass(0);
      const out = this.#decoder.run(t, this.#b.z, rows);
      res.set(this.#parts.means(this.e.read(out.ptr, rows * W), rows), start * W);
    });
    return res;
  }

  /**
   * Decodes latent codes [n, latentSize] to each column's distribution mean, as encoded rows [n, inputSize]
   * (standardised values, category probabilities); `toRecords` turns them into raw records.
   *
   * @example
   * ```ts
   * const records = model.toRecords(model.decode(codes));
   * ```
   */
  decode(z: Data): Float32Array {
    this.live("decode");
    const L = this.#L, d = toRows(z, L, "decode(z)");
    this.fits("decode", d.rows, true);
    return this.#decodeWith(d.rows, (start, rows, zp) => this.e.write(zp, d.values.subarray(start * L, (start + rows) * L)));
  }

  /**
   * Reconstructions: each record decoded at its posterior mean code, as encoded rows [n, inputSize].
   *
   * @example
   * ```ts
   * const again = model.toRecords(model.reconstruct(records));
   * ```
   */
  reconstruct(x: readonly TableRecord[] | Data): Float32Array {
    this.live("reconstruct");
    const data = this.#data(x, "reconstruct(x)");
    const L = this.#L;
    return this.#decodeWith(data.rows, (start, rows, zp) => {
      this.#putRows(data, start, rows);
      const s = this.#stats(rows);
      const z = this.e.f32(zp, rows * L);
      for (let r = 0; r < rows; r++) z.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
    });
  }

  /**
   * n draws z ~ N(0, I) decoded to distribution means (encoded rows [n, inputSize]; `toRecords` for records).
   *
   * @example
   * ```ts
   * const synthetic = model.toRecords(model.sample(100, { seed: 3 }));
   * ```
   */
  sample(n: number, options: { seed?: number } = {}): Float32Array {
    this.live("sample");
    count("sample: n", n);
    const o = optionsOf(options, ["seed"], "sample");
    const seed = seedOf("sample: seed", o.seed, this.cfg.seed);
    return this.sampled(n, o.seed !== undefined, (offset) =>
      this.#decodeWith(n, (start, rows, zp) => this.normals(zp, rows, this.#L, seed, STREAM.sample, offset + start)));
  }

  /**
   * Decodes the path between two codes (or two encoded rows) as encoded rows [steps, inputSize].
   *
   * @example
   * ```ts
   * const path = model.interpolate(codeA, codeB, { steps: 5 });
   * ```
   */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, options: { steps?: number; method?: InterpolationMethod } = {}): Float32Array {
    this.live("interpolate");
    const o = interpolationOptions(optionsOf(options, ["steps", "method"], "interpolate"));
    return this.decode(interpolatePath(this.#code(a, "interpolate: a"), this.#code(b, "interpolate: b"), o.steps, o.method));
  }

  /**
   * Decodes a sweep of one latent dimension around a code, as encoded rows.
   *
   * @example
   * ```ts
   * const sweep = model.traverse(model.encode(records).mean.subarray(0, 4), 0, { values: [-2, 0, 2] });
   * ```
   */
  traverse(z: ArrayLike<number>, dim: number, options: { values?: ArrayLike<number> } = {}): Float32Array {
    this.live("traverse");
    const o = optionsOf(options, ["values"], "traverse");
    const base = toRows(Array.from(z), this.#L, "traverse: z");
    if (base.rows !== 1) throw new InvalidInputError(`traverse: z must be one latent code of ${this.#L} values; got ${base.rows} rows`);
    return this.decode(traversePoints(base.values, dim, o.values));
  }

  /**
   * Decodes a grid over a 2-D latent space, as encoded rows.
   *
   * @example
   * ```ts
   * const grid = model.latentGrid({ size: 5 });
   * ```
   */
  latentGrid(options: { size?: number; range?: number | [number, number] } = {}): Float32Array {
    this.live("latentGrid");
    if (this.#L !== 2) throw new InvalidInputError(`latentGrid needs a 2-D latent space; this model has latentSize ${this.#L}`);
    return this.decode(gridPoints(optionsOf(options, ["size", "range"], "latentGrid")).points);
  }

  #code(v: ArrayLike<number>, what: string): Float32Array {
    const values = Float32Array.from(v as ArrayLike<number>);
    if (values.length === this.#L) return toRows(values, this.#L, what).values;
    if (values.length === this.#W) return this.encode(values).mean;
    throw new InvalidInputError(`${what} has ${values.length} values; give a latent code (${this.#L} values) or an encoded row (${this.#W} values)`);
  }

  // ---- records: imputation and anomaly scores ----

  /**
   * Fills every missing field (null, undefined, NaN or absent) of each record; observed fields are returned as given.
   * See ImputeOptions for the posterior-mean and importance-weighted (MIWAE) fills.
   *
   * @example
   * ```ts
   * const [filled] = model.impute([{ species: "Gentoo", body_mass_g: null, sex: null }], { samples: 50 });
   * ```
   */
  impute(records: readonly TableRecord[], options: ImputeOptions = {}): TableRecord[] {
    this.live("impute");
    const o = optionsOf(options, ["samples", "seed"], "impute");
    const K = intOption("impute: samples", o.samples, 0, 0, 10_000);
    const seed = seedOf("impute: seed", o.seed, this.cfg.seed);
    const rs = recordsOf(records, "impute(records)");
    const data = this.#codec.encode(rs, "impute(records)");
    const W = this.#W, P = this.#P, L = this.#L;
    const means = new Float32Array(data.rows * W);
    this.#chunks(data.rows, (start, rows) => {
      this.#putRows(data, start, rows);
      const s = this.#stats(rows).slice();
      if (K === 0) {
        const z = this.e.f32(this.#b.z.ptr, rows * L);
        for (let r = 0; r < rows; r++) z.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
        means.set(this.#parts.means(this.#decodeZ(rows).out, rows), start * W);
        return;
      }
      // importance-weighted: z_k = μ + σ·ε_k; log w_k = log p(x_obs|z_k) + log p(z_k) − log q(z_k|x)
      const acc = new Float64Array(rows * W);
      const draws: Float32Array[] = [];
      const logw = this.#proposals(s, rows, K, seed, STREAM.reconstruct, start * K, (out) => draws.push(this.#parts.means(out, rows)));
      for (let r = 0; r < rows; r++) {
        const { max: m, sum: tot } = logWeightsScale(logw, r * K, K);
        for (let k = 0; k < K; k++) {
          const w = Math.exp(logw[r * K + k] - m) / tot;
          for (let i = 0; i < W; i++) acc[r * W + i] += w * draws[k][r * W + i];
        }
      }
      for (let i = 0; i < rows * W; i++) means[start * W + i] = acc[i];
    });
    return rs.map((rec, r) => {
      const out: TableRecord = { ...rec };
      this.cfg.schema.forEach((c, p) => {
        if (data.mask[r * P + p] === 0) out[c.name] = this.#codec.value(p, means, r * W + this.#codec.offsets[p]);
      });
      return out;
    });
  }

  /**
   * Multiple imputation: `copies` completed copies of the records (default 5), each missing field drawn from the
   * posterior predictive p(x_mis | x_obs) — MIWAE's sampling importance resampling: `samples` codes (default 100)
   * drawn from q(z | x_obs), one of them picked by its importance weight p(x_obs|z)p(z)/q(z|x_obs), then the field
   * drawn from its column's likelihood at that code (with the learned scales and dispersions). Observed fields are
   * kept as given, so the copies differ only where fields are missing; their spread shows how uncertain each fill
   * is. Seeded (default: the model's seed) and stateless: the same call gives the same copies, and a rejected call
   * changes nothing. Returns copies[j][i] = copy j of record i.
   *
   * @example
   * ```ts
   * const copies = model.imputeMultiple(records, { copies: 10, seed: 1 });
   * const massOfFirst = copies.map((c) => c[0].body_mass_g); // 10 plausible values for record 0's missing mass
   * ```
   */
  imputeMultiple(records: readonly TableRecord[], options: MultipleImputeOptions = {}): TableRecord[][] {
    this.live("imputeMultiple");
    const o = optionsOf(options, ["copies", "samples", "seed"], "imputeMultiple");
    const M = intOption("imputeMultiple: copies", o.copies, 5, 1, 10_000);
    const K = intOption("imputeMultiple: samples", o.samples, 100, 1, 10_000);
    const seed = seedOf("imputeMultiple: seed", o.seed, this.cfg.seed);
    const rs = recordsOf(records, "imputeMultiple(records)");
    const data = this.#codec.encode(rs, "imputeMultiple(records)");
    const W = this.#W, P = this.#P, schema = this.cfg.schema, offsets = this.#codec.offsets;
    const weights = this.getWeights();
    const scaleOf = schema.map((c) => weights[`decoder.columns.${c.name}.${c.type === "count" ? "log_dispersion" : "log_scale"}`]?.[0] ?? 0);
    const copies: TableRecord[][] = Array.from({ length: M }, () => rs.map((r) => ({ ...r })));
    const cell = new Float32Array(W);
    // decoder outputs of every draw are kept for the chunk: at most CHUNK rows × K × W floats, so fewer rows per
    // chunk when K·W is large
    const block = Math.max(1, Math.min(data.rows, Math.floor(2 ** 22 / (K * W))));
    for (let b0 = 0; b0 < data.rows; b0 += block) {
      const bn = Math.min(block, data.rows - b0);
      const part = { rows: bn, x: data.x.subarray(b0 * W, (b0 + bn) * W), mask: data.mask.subarray(b0 * P, (b0 + bn) * P) };
      this.#chunks(bn, (start, rows) => {
        this.#putRows(part, start, rows);
        const st = this.#stats(rows).slice();
        const outs: Float32Array[] = [];
        const logw = this.#proposals(st, rows, K, seed, STREAM_IMPUTE, (b0 + start) * K, (out) => outs.push(out));
        for (let r = 0; r < rows; r++) {
          const i = b0 + start + r;
          if (!schema.some((_, p) => data.mask[i * P + p] === 0)) continue;
          const { max, sum } = logWeightsScale(logw, r * K, K);
          for (let j = 0; j < M; j++) {
            const u = uniforms(seed, i, j);
            // pick a code by its weight, then draw each missing field at it
            let k = 0, c = Math.exp(logw[r * K] - max) / sum;
            const pick = u();
            while (k < K - 1 && c <= pick) c += Math.exp(logw[r * K + ++k] - max) / sum;
            const out = outs[k];
            schema.forEach((col, p) => {
              if (data.mask[i * P + p] !== 0) return;
              const at = offsets[p], l = out[r * W + at];
              const w = col.type === "categorical" ? col.categories!.length : 1;
              cell.fill(0, at, at + w);
              cell[at] = drawCell(col, out.subarray(r * W + at, r * W + at + w), l, scaleOf[p], u, cell.subarray(at, at + w));
              copies[j][i][col.name] = this.#codec.value(p, cell, at);
            });
          }
        }
      });
    }
    return copies;
  }

  /**
   * Anomaly scores of records. A field's score is its negative log-likelihood (nats) under the decoder at the
   * posterior mean code of the record's OTHER observed fields (the field itself masked out, so an odd value can't pull
   * the code towards itself and hide); a record's score is the sum over its observed fields. Missing fields are
   * ignored (NaN in `columns`).
   *
   * @example
   * ```ts
   * const { scores, columns } = model.anomalyScore(records);
   * const odd = records.filter((_, i) => scores[i] > threshold);
   * ```
   */
  anomalyScore(records: readonly TableRecord[] | Data): AnomalyScores {
    this.live("anomalyScore");
    const data = this.#data(records, "anomalyScore(records)");
    const P = this.#P, L = this.#L, W = this.#W;
    const scores = new Float64Array(data.rows);
    const columns: Record<string, Float64Array> = {};
    for (const c of this.cfg.schema) columns[c.name] = new Float64Array(data.rows);
    this.#chunks(data.rows, (start, rows) => {
      this.#putRows(data, start, rows);
      this.cfg.schema.forEach((c, p) => {
        const at = this.#codec.offsets[p], w = c.type === "categorical" ? c.categories!.length : 1;
        // hide column p from the encoder
        const xin = this.e.f32(this.#b.xin.ptr, rows * (W + P));
        for (let r = 0; r < rows; r++) {
          xin.fill(0, r * (W + P) + at, r * (W + P) + at + w);
          xin[r * (W + P) + W + p] = 0;
        }
        const s = this.#stats(rows).slice();
        const z = this.e.f32(this.#b.z.ptr, rows * L);
        for (let r = 0; r < rows; r++) z.set(s.subarray(r * 2 * L, r * 2 * L + L), r * L);
        const { losses } = this.#decodeZ(rows);
        const col = columns[c.name];
        for (let r = 0; r < rows; r++) {
          const present = data.mask[(start + r) * P + p] !== 0;
          col[start + r] = present ? losses[r * P + p] : NaN;
          if (present) scores[start + r] += losses[r * P + p];
        }
        // put column p back
        const back = this.e.f32(this.#b.xin.ptr, rows * (W + P));
        for (let r = 0; r < rows; r++) {
          back.set(data.x.subarray((start + r) * W + at, (start + r) * W + at + w), r * (W + P) + at);
          if (c.type === "count") back[r * (W + P) + at] = Math.log1p(back[r * (W + P) + at]);
          back[r * (W + P) + W + p] = data.mask[(start + r) * P + p];
        }
      });
    });
    return { scores, columns };
  }

  /** Frees the model's memory (see Model.dispose). */
  override dispose(): void {
    this.#parts.dispose();
    super.dispose();
  }
}

/** Encoded rows with their mask ({ x, mask } of Float32Arrays), as openTable's reads and encodeRecords return. */
function isEncoded(x: unknown): x is { x: Float32Array; mask: Float32Array } {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x) &&
    (x as { x?: unknown }).x instanceof Float32Array && (x as { mask?: unknown }).mask instanceof Float32Array;
}

/** Numeric rows [n, W] with NaN allowed (missing cells). */
function numericRows(x: unknown, W: number, what: string): Float32Array {
  let flat: Float32Array;
  if (x instanceof Float32Array || x instanceof Float64Array) flat = Float32Array.from(x);
  else if (Array.isArray(x) && x.every((v) => typeof v === "number")) flat = Float32Array.from(x as number[]);
  else if (Array.isArray(x) && x.every((r) => r !== null && typeof r === "object" && typeof (r as ArrayLike<number>).length === "number")) {
    const rows = x as ArrayLike<number>[];
    rows.forEach((r, i) => {
      if (r.length !== W) throw new InvalidInputError(`${what}: row ${i} has ${r.length} values; expected ${W} (one encoded row)`);
    });
    flat = new Float32Array(rows.length * W);
    rows.forEach((r, i) => flat.set(Array.from(r, Number), i * W));
  } else {
    throw new InvalidInputError(`${what}: expected records (an array of objects) or encoded rows (a Float32Array or number[][] of width ${W}, NaN for missing)`);
  }
  if (flat.length === 0 || flat.length % W !== 0) {
    throw new InvalidInputError(`${what}: ${flat.length} values are not a whole number of rows of ${W}`);
  }
  return flat;
}

export { isMissing };
