// Imports the Dense weights of TF.js layers models (model.json + weight shards, the artifacts a save handler
// receives, or a live tf.LayersModel) into vaekit. Reads JSON and bytes only: TF.js itself is not needed here.
// Keras/TF.js Dense layers hold kernel [in, out] and bias [out]; vaekit keeps PyTorch's [out, in], so kernels are
// transposed. Activations come from the Dense layers' `activation` or from an Activation / ReLU / LeakyReLU layer
// that directly follows a linear Dense. Models with Conv2D / Conv2DTranspose / BatchNormalization layers (Keras's
// conv VAE) are read by tfjs-conv.ts into a layer-list VAE instead.
import { InvalidInputError, ModelFormatError, VAE, VaekitError, type EngineOptions, type Likelihood, type VAEConfig } from "../index.js";
import { show } from "../errors-format.js";
import { parseBoundedJson } from "../io/json-depth.js";
import { halfToNumber } from "./half.js";
import { hasConvLayers, listLayers, readLayerLists } from "./tfjs-conv.js";

/**
 * One weight as a TF.js weights manifest describes it.
 *
 * @example
 * ```ts
 * const spec: TfjsWeightSpec = { name: "dense_Dense1/kernel", shape: [784, 400], dtype: "float32" };
 * ```
 */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

/**
 * The files of a saved TF.js layers model: the parsed (or raw) model.json and its weight shards, in the order
 * of the manifest's `paths`.
 *
 * @example
 * ```ts
 * const files: TfjsModelFiles = { modelJson: JSON.parse(await readFile("model.json", "utf8")),
 *   weights: [await readFile("group1-shard1of1.bin")] };
 * ```
 */
export interface TfjsModelFiles {
  modelJson: object | string;
  weights: ArrayBuffer | ArrayBufferView | readonly (ArrayBuffer | ArrayBufferView)[];
}

/**
 * What a TF.js save handler receives (`tf.io.ModelArtifacts`): topology, weight specs and weight data.
 *
 * @example
 * ```ts
 * await model.save(tf.io.withSaveHandler(async (artifacts: TfjsArtifacts) => { … }));
 * ```
 */
export interface TfjsArtifacts {
  modelTopology: object;
  weightSpecs: readonly TfjsWeightSpec[];
  weightData: ArrayBuffer | readonly ArrayBuffer[];
}

/**
 * Anything with a TF.js `save(handler)` method, such as a `tf.LayersModel`.
 *
 * @example
 * ```ts
 * const model: TfjsSaveable = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
 * ```
 */
export interface TfjsSaveable {
  /** Hands the model's artifacts to `handler.save` (TF.js's `LayersModel.save(tf.io.withSaveHandler(…))`). */
  save(handler: { save(artifacts: never): Promise<unknown> }): Promise<unknown>;
}

/**
 * One TF.js layers model in any of its forms.
 *
 * @example
 * ```ts
 * const m: TfjsModel = encoderModel; // a tf.LayersModel, its artifacts, or { modelJson, weights }
 * ```
 */
export type TfjsModel = TfjsModelFiles | TfjsArtifacts | TfjsSaveable;

/**
 * The model(s) to import: an encoder and a decoder model (mapped by the order of their Dense layers), or one
 * model — or both — with `options.names` saying which layer is which.
 *
 * @example
 * ```ts
 * const source: TfjsSource = { encoder: encoderModel, decoder: decoderModel };
 * ```
 */
export type TfjsSource = TfjsModel | { encoder: TfjsModel; decoder: TfjsModel };

/**
 * Options of `readTfjs` / `loadTfjs`.
 *
 * @example
 * ```ts
 * const options: TfjsImportOptions = { likelihood: "gaussian", names: { "encoder.mean": "z_mean" } };
 * ```
 */
export interface TfjsImportOptions {
  /**
   * What the decoder's output means. Default: "bernoulli" when the output layer has a sigmoid, else "gaussian".
   * "bernoulli" with a linear output layer reads that output as logits.
   */
  likelihood?: Likelihood;
  /** σ (Gaussian) or b (Laplace) of the likelihood. Default 1. */
  likelihoodScale?: number;
  /** β of the loss if the model is trained further. Default 1. */
  beta?: number;
  /** Seed of the model's sampling and training noise. Default: random, as in `VAE.create`. */
  seed?: number;
  /**
   * The TF.js layer name of every vaekit layer (encoder.hidden.{i}, encoder.mean, encoder.logvar,
   * decoder.hidden.{i}, decoder.output), searched in all given models. Without it, the encoder's Dense layers
   * are its hidden layers in order and then its heads (the two Dense outputs of a functional model in output order,
   * or a last Dense of 2·latent units split into mean and log-variance halves), and the decoder's are its hidden
   * layers and then the output layer.
   */
  names?: Readonly<Record<string, string>>;
}

/**
 * What `readTfjs` found: a config for `VAE.create`, the weights in vaekit's names and [out, in] layout, and which
 * TF.js layer became which vaekit layer.
 *
 * @example
 * ```ts
 * const { config, weights, layers }: TfjsImport = await readTfjs({ encoder, decoder });
 * layers["encoder.mean"]; // "z_mean"
 * ```
 */
export interface TfjsImport {
  config: VAEConfig;
  weights: Record<string, Float32Array>;
  layers: Record<string, string>;
  /** Layers without weights that were passed over (InputLayer, Dropout, Flatten, a sampling layer, …). */
  skipped: string[];
}

export type ActivationKind = "relu" | "leaky_relu" | "tanh" | "sigmoid" | "identity";
export interface Act { kind: ActivationKind; slope: number; from: string }
interface Dense {
  name: string;
  model: string; // "encoder", "decoder" or "model"
  act: Act;
  useBias: boolean;
  kernel: Float32Array; // [in, out] as stored
  inSize: number;
  outSize: number;
  bias: Float32Array | undefined;
}
interface Parsed { denses: Dense[]; outputs: string[]; skipped: string[] }
/** A model's weights by normalised name (tfjs-conv.ts reads them too). */
export type WeightTable = Map<string, { shape: number[]; values: Float32Array }>;

const OPTION_KEYS = ["likelihood", "likelihoodScale", "beta", "seed", "names"];
const PASS_THROUGH = new Set(["InputLayer", "Dropout", "Flatten", "Reshape", "GaussianNoise", "GaussianDropout", "AlphaDropout"]);
const ACTIVATION_LAYERS = new Set(["Activation", "ReLU", "LeakyReLU"]);

export const fail = (msg: string): never => {
  throw new ModelFormatError(msg);
};
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function activation(name: unknown, layer: string): Act {
  const a = name ?? "linear";
  if (a === "linear") return { kind: "identity", slope: 0, from: layer };
  if (a === "relu" || a === "tanh" || a === "sigmoid") return { kind: a, slope: 0, from: layer };
  return fail(`layer '${layer}' has activation ${show(a)}; vaekit's layers use relu, LeakyReLU, tanh, sigmoid or linear`);
}

/** The activation of an Activation / ReLU / LeakyReLU layer. */
export function activationLayer(cls: string, config: Record<string, unknown>, layer: string): Act {
  if (cls === "Activation") return activation(config.activation, layer);
  if (cls === "LeakyReLU") {
    const alpha = config.alpha ?? config.negative_slope ?? 0.3; // TF.js' default alpha is 0.3
    if (typeof alpha !== "number" || !(alpha >= 0)) fail(`LeakyReLU layer '${layer}' has alpha ${show(alpha)}; expected a number ≥ 0`);
    return { kind: "leaky_relu", slope: alpha as number, from: layer };
  }
  const bounded = config.max_value !== undefined && config.max_value !== null;
  if (bounded || (config.negative_slope ?? 0) !== 0 || (config.threshold ?? 0) !== 0) {
    fail(`ReLU layer '${layer}' has max_value/negative_slope/threshold set; vaekit's relu is max(0, x)`);
  }
  return { kind: "relu", slope: 0, from: layer };
}

/** Weights of one model by (normalised) name, decoded to float32. */
export function weightTable(specs: readonly TfjsWeightSpec[], data: Uint8Array, model: string): Map<string, { shape: number[]; values: Float32Array }> {
  const table = new Map<string, { shape: number[]; values: Float32Array }>();
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  for (const s of specs) {
    if (!isObject(s) || typeof s.name !== "string" || !Array.isArray(s.shape)) fail(`the ${model} model's weight specs are malformed: ${show(s)}`);
    const count = s.shape.reduce((a, b) => a * b, 1);
    const q = s.quantization;
    const stored = q ? q.dtype : s.dtype;
    const size = { float32: 4, int32: 4, uint16: 2, float16: 2, uint8: 1, bool: 1 }[stored as string];
    if (size === undefined) fail(`weight '${s.name}' of the ${model} model has dtype ${show(stored)}, which vaekit cannot read`);
    if (at + count * size! > data.length) {
      fail(`the ${model} model's weight data has ${data.length} bytes but its manifest needs more (at weight '${s.name}'); are all shards given, in the manifest's order?`);
    }
    const values = new Float32Array(count);
    if (s.dtype === "float32") {
      if (!q) for (let i = 0; i < count; i++) values[i] = dv.getFloat32(at + 4 * i, true);
      else if (q.dtype === "float16") for (let i = 0; i < count; i++) values[i] = halfToNumber(dv.getUint16(at + 2 * i, true));
      else if ((q.dtype === "uint8" || q.dtype === "uint16") && typeof q.scale === "number" && typeof q.min === "number") {
        for (let i = 0; i < count; i++) values[i] = (q.dtype === "uint8" ? data[at + i] : dv.getUint16(at + 2 * i, true)) * q.scale + q.min;
      } else fail(`weight '${s.name}' of the ${model} model has an unsupported quantization ${show(q)}`);
    }
    at += count * size!;
    table.set(s.name.replace(/:0$/, ""), { shape: s.shape, values }); // non-float weights are read but never used
  }
  if (at !== data.length) fail(`the ${model} model's weight data has ${data.length} bytes but its manifest describes ${at}; are the shards the right ones?`);
  return table;
}

export function find(table: Map<string, { shape: number[]; values: Float32Array }>, layer: string, part: string): { shape: number[]; values: Float32Array } | undefined {
  const exact = table.get(`${layer}/${part}`);
  if (exact) return exact;
  const hits = [...table.keys()].filter((k) => k.endsWith(`/${layer}/${part}`));
  if (hits.length > 1) fail(`weights ${hits.join(", ")} all match layer '${layer}'; name the layers uniquely`);
  return hits.length === 1 ? table.get(hits[0]) : undefined;
}

/** Walks a topology (nested models included) and collects its Dense layers with their activations. */
function parseTopology(topology: unknown, table: ReturnType<typeof weightTable>, model: string): Parsed {
  let top = topology as Record<string, unknown>;
  if (isObject(top) && isObject(top.model_config)) top = top.model_config; // Keras' model.json keeps it there
  if (!isObject(top) || typeof top.class_name !== "string") fail(`the ${model} model's topology is not a TF.js layers model (no class_name); expected format "layers-model"`);
  const denses: Dense[] = [];
  const skipped: string[] = [];
  const flows = new Map<string, Dense | undefined>(); // which Dense's output (possibly activated) a layer passes on
  let outputs: string[] = [];

  const walk = (node: Record<string, unknown>, prev: string | undefined, depth: number): string | undefined => {
    const cls = node.class_name as string;
    const cfg = (isObject(node.config) || Array.isArray(node.config) ? node.config : {}) as Record<string, unknown>;
    if (cls === "Sequential" || cls === "Model" || cls === "Functional") {
      const layers = (Array.isArray(cfg) ? cfg : cfg.layers) as unknown;
      if (!Array.isArray(layers)) fail(`the ${model} model's ${cls} '${String(cfg.name ?? "")}' has no layer list`);
      if (depth === 0 && Array.isArray(cfg.output_layers)) outputs = (cfg.output_layers as unknown[][]).map((o) => String(o[0]));
      let last = prev;
      for (const l of layers as unknown[]) {
        if (!isObject(l) || typeof l.class_name !== "string") fail(`the ${model} model has a malformed layer entry ${show(l)}`);
        const inbound = (l as { inbound_nodes?: unknown }).inbound_nodes;
        const from = Array.isArray(inbound) && Array.isArray(inbound[0]) && Array.isArray(inbound[0][0]) ? String(inbound[0][0][0]) : last;
        last = walk(l as Record<string, unknown>, from, depth + 1);
      }
      const name = String(node.name ?? cfg.name ?? "");
      if (depth > 0 && name) flows.set(name, last === undefined ? undefined : flows.get(last));
      return depth > 0 && name ? name : last;
    }
    const name = String(node.name ?? cfg.name ?? "");
    if (!name) fail(`a ${cls} layer of the ${model} model has no name`);
    const source = prev === undefined ? undefined : flows.get(prev);
    if (cls === "Dense") {
      const kernel = find(table, name, "kernel");
      if (!kernel) fail(`no weight '${name}/kernel' for Dense layer '${name}' in the ${model} model's weights`);
      if (kernel!.shape.length !== 2) fail(`'${name}/kernel' has shape [${kernel!.shape.join(", ")}]; a Dense kernel is [in, out]`);
      const [inSize, outSize] = kernel!.shape;
      const useBias = cfg.use_bias !== false;
      const bias = useBias ? find(table, name, "bias") : undefined;
      if (useBias && !bias) fail(`no weight '${name}/bias' for Dense layer '${name}' (use_bias is true) in the ${model} model's weights`);
      if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outSize)) fail(`'${name}/bias' has shape [${bias.shape.join(", ")}]; expected [${outSize}] to match '${name}/kernel' [${inSize}, ${outSize}]`);
      const d: Dense = { name, model, act: activation(cfg.activation, name), useBias, kernel: kernel!.values, inSize, outSize, bias: bias?.values };
      denses.push(d);
      flows.set(name, d);
    } else if (ACTIVATION_LAYERS.has(cls)) {
      if (!source) fail(`${cls} layer '${name}' of the ${model} model does not follow a Dense layer; vaekit has no such layer`);
      if (source!.act.kind !== "identity") fail(`${cls} layer '${name}' follows Dense layer '${source!.name}', which already applies ${source!.act.kind}`);
      source!.act = activationLayer(cls, cfg, name);
      flows.set(name, source);
    } else if (PASS_THROUGH.has(cls)) {
      skipped.push(name);
      flows.set(name, source);
    } else {
      if ([...table.keys()].some((k) => k === name || k.startsWith(`${name}/`) || k.includes(`/${name}/`))) {
        fail(`layer '${name}' of the ${model} model is a ${cls} with weights; vaekit imports Dense, Conv2D, Conv2DTranspose and BatchNormalization layers (and their activations)`);
      }
      skipped.push(name);
      flows.set(name, undefined);
    }
    return name;
  };
  walk(top, undefined, 0);
  return { denses, outputs: outputs.map((o) => flows.get(o)?.name ?? o), skipped };
}

const asBytes = (b: ArrayBuffer | ArrayBufferView): Uint8Array => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
function concat(parts: readonly (ArrayBuffer | ArrayBufferView)[]): Uint8Array {
  const bytes = parts.map(asBytes);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bytes) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Brings any model form to (topology, specs, bytes). */
export async function artifactsOf(m: unknown, model: string): Promise<{ topology: unknown; specs: TfjsWeightSpec[]; data: Uint8Array }> {
  if (isObject(m) && typeof m.save === "function" && !("modelTopology" in m)) {
    let got: TfjsArtifacts | undefined;
    await (m as unknown as TfjsSaveable).save({
      save: async (a: never) => {
        got = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      },
    });
    if (!got) fail(`the ${model} model's save() gave no artifacts`);
    m = got;
  }
  if (isObject(m) && "modelJson" in m) {
    let json = m.modelJson as unknown;
    if (typeof json === "string") {
      json = parseBoundedJson(json, (m) => fail(`the ${model} model's model.json is ${m}`));
    }
    if (!isObject(json) || !Array.isArray(json.weightsManifest)) fail(`the ${model} model's model.json has no weightsManifest; is it a TF.js layers model?`);
    const j = json as { modelTopology: unknown; weightsManifest: { weights?: TfjsWeightSpec[] }[]; format?: unknown };
    if (j.format !== undefined && j.format !== "layers-model") fail(`the ${model} model.json has format ${show(j.format)}; vaekit imports "layers-model" files`);
    const w = m.weights as TfjsModelFiles["weights"];
    if (w === undefined || w === null) fail(`the ${model} model has no weights; pass the shard(s) listed in model.json's weightsManifest`);
    const data = Array.isArray(w) ? concat(w) : asBytes(w as ArrayBuffer);
    return { topology: j.modelTopology, specs: j.weightsManifest.flatMap((g) => g.weights ?? []), data };
  }
  if (isObject(m) && "modelTopology" in m) {
    const a = m as unknown as TfjsArtifacts;
    if (!Array.isArray(a.weightSpecs) || a.weightData === undefined) fail(`the ${model} model's artifacts have no weightSpecs/weightData (saved with includeOptimizer or topology only?)`);
    const data = Array.isArray(a.weightData) ? concat(a.weightData) : asBytes(a.weightData as ArrayBuffer);
    return { topology: a.modelTopology, specs: [...a.weightSpecs], data };
  }
  return fail(`the ${model} model is not a TF.js layers model: expected a tf.LayersModel, its artifacts { modelTopology, weightSpecs, weightData } or { modelJson, weights }`);
}

type Slot = [vaekit: string, dense: Dense, columns?: [number, number]]; // columns: a slice of a fused head

function byNames(all: Dense[], names: unknown): Slot[] {
  if (!isObject(names)) throw new InvalidInputError(`options.names must map vaekit layer names to TF.js layer names, e.g. { "encoder.mean": "z_mean" }; got ${show(names)}`);
  const keys: string[] = [];
  for (let i = 0; `encoder.hidden.${i}` in names; i++) keys.push(`encoder.hidden.${i}`);
  keys.push("encoder.mean", "encoder.logvar");
  for (let i = 0; `decoder.hidden.${i}` in names; i++) keys.push(`decoder.hidden.${i}`);
  keys.push("decoder.output");
  for (const k of Object.keys(names)) {
    if (!keys.includes(k)) throw new InvalidInputError(`options.names has '${k}', which is not a vaekit layer here; layers are encoder.hidden.0, …, encoder.mean, encoder.logvar, decoder.hidden.0, …, decoder.output (numbered from 0 without gaps)`);
  }
  return keys.map((k) => {
    const v = names[k];
    if (typeof v !== "string") throw new InvalidInputError(`options.names["${k}"] must be a TF.js layer name; got ${show(v)}`);
    const hits = all.filter((x) => x.name === v);
    if (hits.length > 1) fail(`options.names["${k}"] is '${v}', a layer name both the encoder and the decoder model use; rename one of them`);
    const d = hits[0];
    if (!d) fail(`options.names["${k}"] is '${v}', but no Dense layer has that name (Dense layers: ${all.map((x) => x.name).join(", ") || "none"})`);
    return [k, d!] as Slot;
  });
}

function byOrder(enc: Parsed, dec: Parsed): Slot[] {
  const slots: Slot[] = [];
  const heads = enc.outputs.map((o) => enc.denses.find((d) => d.name === o)).filter((d): d is Dense => d !== undefined);
  let hidden: Dense[];
  if (heads.length === 2) {
    hidden = enc.denses.filter((d) => !heads.includes(d));
    hidden.forEach((d, i) => slots.push([`encoder.hidden.${i}`, d]));
    slots.push(["encoder.mean", heads[0]], ["encoder.logvar", heads[1]]);
  } else {
    const last = enc.denses[enc.denses.length - 1];
    if (!last) fail("the encoder model has no Dense layer");
    if (heads.length > 2 || last!.outSize % 2 !== 0) {
      fail(`cannot tell the encoder's mean and log-variance layers apart: expected a functional encoder with two Dense outputs (mean, then log-variance) or a last Dense layer of 2·latent units; its last Dense '${last!.name}' has ${last!.outSize} units. Pass options.names`);
    }
    const L = last!.outSize / 2;
    hidden = enc.denses.slice(0, -1);
    hidden.forEach((d, i) => slots.push([`encoder.hidden.${i}`, d]));
    slots.push(["encoder.mean", last!, [0, L]], ["encoder.logvar", last!, [L, 2 * L]]);
  }
  if (dec.denses.length === 0) fail("the decoder model has no Dense layer");
  dec.denses.slice(0, -1).forEach((d, i) => slots.push([`decoder.hidden.${i}`, d]));
  slots.push(["decoder.output", dec.denses[dec.denses.length - 1]]);
  return slots;
}

/** [out, in] weight and [out] bias of a Dense (or of a column slice of it). */
function transposed(d: Dense, cols: [number, number] = [0, d.outSize]): [Float32Array, Float32Array] {
  const [c0, c1] = cols;
  const n = c1 - c0;
  const w = new Float32Array(n * d.inSize);
  for (let o = 0; o < n; o++) for (let i = 0; i < d.inSize; i++) w[o * d.inSize + i] = d.kernel[i * d.outSize + c0 + o];
  const b = d.bias ? d.bias.slice(c0, c1) : new Float32Array(n);
  return [w, b];
}

/**
 * Reads the Dense weights of TF.js layers models into a vaekit config and weights (kernels transposed to
 * vaekit's [out, in]). An encoder and a decoder with Conv2D, Conv2DTranspose or BatchNormalization layers (such as
 * Keras's conv VAE) become a layer-list config instead: one `encoder` / `decoder` entry per Keras layer (Conv2D,
 * Conv2DTranspose, Dense, BatchNormalization, Flatten, Reshape; activation layers fold into the layer before them;
 * Keras's "same"/"valid" padding kept), its weights in vaekit's PyTorch layouts (conv kernels from Keras's
 * [kH, kW, in, out] — Conv2DTranspose [kH, kW, out, in] — and dense columns/rows around a Flatten/Reshape from
 * H-W-C to C-H-W order), the encoder ending in two linear Dense heads (or one of 2·latent units). Sizes come from the kernels; the hidden activation from the Dense layers (or a following
 * Activation / ReLU / LeakyReLU layer), and it must be the same in every hidden layer; the mean and log-variance
 * layers must be linear; a sigmoid output means a Bernoulli likelihood. Weights stored as float32 or quantized
 * (uint8, uint16, float16) are accepted. Anything that does not fit says which layer and what was expected
 * (ModelFormatError); bad options throw InvalidInputError or InvalidConfigError.
 *
 * @example
 * ```ts
 * import { readTfjs } from "vaekit/tfjs";
 * const { config, weights, layers } = await readTfjs({ encoder: encoderModel, decoder: decoderModel });
 * // Keras's conv VAE: config.encoder[0] is { type: "conv2d", filters: 32, kernelSize: [3, 3], strides: [2, 2], padding: "same", activation: "relu" }
 * ```
 */
export async function readTfjs(source: TfjsSource, options: TfjsImportOptions = {}): Promise<TfjsImport> {
  if (typeof options !== "object" || options === null) throw new InvalidInputError(`readTfjs: options must be an object; got ${show(options)}`);
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.includes(k)) throw new InvalidInputError(`readTfjs: unknown option '${k}'; known options: ${OPTION_KEYS.join(", ")}`);
  }
  if (options.likelihood !== undefined && !["bernoulli", "gaussian", "laplace"].includes(options.likelihood)) {
    throw new InvalidInputError(`readTfjs: likelihood must be "bernoulli", "gaussian" or "laplace"; got ${show(options.likelihood)}`);
  }
  const pair = isObject(source) && "encoder" in source && "decoder" in source;
  const models: [string, unknown][] = pair ? [["encoder", source.encoder], ["decoder", source.decoder]] : [["model", source]];
  const parsed: Parsed[] = [];
  const read: [string, unknown, WeightTable][] = [];
  for (const [label, m] of models) {
    const a = await artifactsOf(m, label);
    read.push([label, a.topology, weightTable(a.specs, a.data, label)]);
  }
  if (read.some(([, topology]) => hasConvLayers(topology))) { // conv / batch-norm layers: a layer-list VAE (tfjs-conv.ts)
    if (!pair) throw new InvalidInputError("readTfjs: a model with conv or batch-norm layers is read as two models, { encoder, decoder }");
    const [enc, dec] = read.map(([label, topology, table]) => listLayers(topology, table, label));
    return readLayerLists(enc, dec, options);
  }
  for (const [label, topology, table] of read) parsed.push(parseTopology(topology, table, label));
  let slots: Slot[];
  if (options.names !== undefined) slots = byNames(parsed.flatMap((p) => p.denses), options.names);
  else if (pair) slots = byOrder(parsed[0], parsed[1]);
  else {
    throw new InvalidInputError("readTfjs: with a single model, pass options.names to say which Dense layer is which vaekit layer; or pass { encoder, decoder } models");
  }

  // shapes: each layer's input is the previous layer's output; heads alike; the output reproduces the input size
  const width = (s: Slot): number => (s[2] ? s[2][1] - s[2][0] : s[1].outSize);
  const label = (s: Slot): string => `${s[1].name}${s[2] ? `[${s[2][0]}:${s[2][1]}]` : ""}`;
  const encHidden = slots.filter((s) => s[0].startsWith("encoder.hidden."));
  const decHidden = slots.filter((s) => s[0].startsWith("decoder.hidden."));
  const mean = slots.find((s) => s[0] === "encoder.mean")!;
  const logvar = slots.find((s) => s[0] === "encoder.logvar")!;
  const output = slots.find((s) => s[0] === "decoder.output")!;
  const chain = (layers: Slot[], start: number | undefined, startFrom: string): void => {
    let w = start;
    let from = startFrom;
    for (const s of layers) {
      if (w !== undefined && s[1].inSize !== w) fail(`Dense layer '${s[1].name}' (vaekit's ${s[0]}) takes ${s[1].inSize} inputs; expected ${w}, the ${from}`);
      w = width(s);
      from = `${w} outputs of '${label(s)}'`;
    }
  };
  const inputSize = (encHidden[0] ?? mean)[1].inSize;
  chain([...encHidden, mean], undefined, "");
  const latentSize = width(mean);
  if (logvar[1].inSize !== mean[1].inSize || width(logvar) !== latentSize) {
    fail(`the log-variance layer '${label(logvar)}' maps ${logvar[1].inSize} → ${width(logvar)}; expected ${mean[1].inSize} → ${latentSize} like the mean layer '${label(mean)}'`);
  }
  chain([...decHidden, output], latentSize, `latent size ${latentSize}`);
  if (output[1].outSize !== inputSize) {
    fail(`the output layer '${output[1].name}' has ${output[1].outSize} units; expected ${inputSize}, the input size of the encoder's first layer '${(encHidden[0] ?? mean)[1].name}'`);
  }

  // activations
  for (const s of [mean, logvar]) {
    if (s[1].act.kind !== "identity") fail(`the ${s[0] === "encoder.mean" ? "mean" : "log-variance"} layer '${s[1].name}' applies ${s[1].act.kind} (layer '${s[1].act.from}'); vaekit's heads are linear`);
  }
  const hidden = [...encHidden, ...decHidden];
  const act = hidden[0]?.[1].act ?? { kind: "relu", slope: 0, from: "" };
  for (const s of hidden) {
    if (s[1].act.kind !== act.kind || s[1].act.slope !== act.slope) {
      const d = (a: Act): string => (a.kind === "leaky_relu" ? `leaky_relu(${a.slope})` : a.kind);
      fail(`hidden layers differ in activation: '${hidden[0][1].name}' uses ${d(act)} but '${s[1].name}' uses ${d(s[1].act)}; vaekit applies one activation to every hidden layer`);
    }
  }
  const outAct = output[1].act.kind;
  let likelihood = options.likelihood;
  if (outAct === "sigmoid") {
    if (likelihood !== undefined && likelihood !== "bernoulli") fail(`the output layer '${output[1].name}' ends in a sigmoid, which is the Bernoulli likelihood's mean; options.likelihood is "${likelihood}"`);
    likelihood = "bernoulli";
  } else if (outAct === "identity") likelihood ??= "gaussian";
  else fail(`the output layer '${output[1].name}' applies ${outAct}; vaekit's decoder ends in a sigmoid (Bernoulli) or is linear (Gaussian, Laplace)`);

  const weights: Record<string, Float32Array> = {};
  const layers: Record<string, string> = {};
  for (const s of slots) {
    const [w, b] = transposed(s[1], s[2]);
    for (const [part, v] of [["weight", w], ["bias", b]] as const) {
      const bad = v.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) fail(`layer '${s[1].name}' has a non-finite ${part === "weight" ? "kernel" : "bias"} value (${v[bad]}); weights must be finite`);
    }
    weights[`${s[0]}.weight`] = w;
    weights[`${s[0]}.bias`] = b;
    layers[s[0]] = label(s);
  }
  const config: VAEConfig = {
    inputSize,
    latentSize,
    hiddenSizes: encHidden.map(width),
    decoderHiddenSizes: decHidden.map(width),
    activation: act.kind,
    ...(act.kind === "leaky_relu" ? { leakySlope: act.slope } : {}),
    likelihood,
    ...(options.likelihoodScale !== undefined ? { likelihoodScale: options.likelihoodScale } : {}),
    ...(options.beta !== undefined ? { beta: options.beta } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  return { config, weights, layers, skipped: parsed.flatMap((p) => p.skipped) };
}

/**
 * Builds a VAE from TF.js layers models (see `readTfjs` for the forms, the mapping and the errors); its `encode`
 * and `decode` give the TF.js encoder's and decoder's outputs.
 *
 * @example
 * ```ts
 * import { loadTfjs } from "vaekit/tfjs";
 * const vae = await loadTfjs({ encoder: await tf.loadLayersModel(encUrl), decoder: await tf.loadLayersModel(decUrl) });
 * ```
 */
export async function loadTfjs(source: TfjsSource, options: TfjsImportOptions & EngineOptions = {}): Promise<VAE> {
  const { wasm, ...rest } = options ?? {};
  const { config, weights } = await readTfjs(source, rest);
  const vae = await VAE.create(config, { wasm });
  try {
    vae.setWeights(weights);
  } catch (e) {
    vae.dispose();
    throw e instanceof VaekitError ? new ModelFormatError(e.message) : e;
  }
  return vae;
}
