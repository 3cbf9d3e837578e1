// Imports a PyTorch VAE's state_dict (saved as safetensors) into vaekit: recognises the tensor naming of the
// lecture notes' demo model, of pytorch/examples' VAE and vaekit's own, infers every size from the shapes, and
// takes what a state_dict cannot hold (activation, likelihood) as options.
import { InvalidInputError, ModelFormatError, VaekitError } from "../errors.js";
import { show } from "../errors-format.js";
import type { ConditionalVAEConfig, Likelihood, VAEConfig } from "../models/config.js";
import { resolveConditionalConfig, resolveConfig, suggest } from "../models/config.js";
import { activationOf } from "../models/config-checks.js";
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, VAE, type AutoencoderConfig, type EngineOptions, type HierarchicalVAEConfig,
} from "../index.js";
import type { Activation } from "../nn/dense.js";
import type { InputShape, LayerSpec } from "../models/layers-config.js";
import { parseSafetensors } from "../io/safetensors-layout.js";
import { convert, type FloatDtype, type ForeignTensor } from "./float-tensors.js";
import { readTorchLayers, TORCH_LAYER_KINDS } from "./torch-layers.js";

/**
 * Options of `readTorch` / `loadTorch`: the parts of the model a state_dict does not record, and optionally
 * which state_dict layer is which vaekit layer.
 *
 * @example
 * ```ts
 * const options: TorchImportOptions = { activation: "relu", likelihood: "bernoulli" };
 * ```
 */
export interface TorchImportOptions<K extends TorchModelKind = "VAE"> {
  /** Hidden-layer activation of the PyTorch model. Default "relu" (the demo model's). */
  activation?: Activation;
  /** Negative slope when activation is "leaky_relu". Default 0.01 (PyTorch's). */
  leakySlope?: number;
  /**
   * What the decoder's last linear layer produces: "bernoulli" when the PyTorch decoder ends in a sigmoid
   * (the demo model; vaekit keeps the pre-sigmoid values as logits), "gaussian"/"laplace" for an identity output.
   * Default "bernoulli".
   */
  likelihood?: Likelihood;
  /** σ (Gaussian) or b (Laplace) of the likelihood. Default 1. */
  likelihoodScale?: number;
  /** β of the loss if the model is trained further. Default 1. */
  beta?: number;
  /** Seed of the model's sampling and training noise. Default: random, as in `VAE.create`. */
  seed?: number;
  /**
   * The state_dict prefix of each vaekit layer, for namings vaekit does not recognise, e.g.
   * `{ "encoder.hidden.0": "enc.0", "encoder.mean": "mu", "encoder.logvar": "lv", "decoder.hidden.0": "dec.0",
   * "decoder.output": "out" }` (each prefix names a `<prefix>.weight` [out, in] and `<prefix>.bias` [out]).
   */
  names?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Which vaekit class the state_dict is read as: "VAE" (default), "ConditionalVAE" (the one-hot label joins the
   * encoder's input, or its first flatten, and the decoder's input; `classes` comes from the shapes),
   * "HierarchicalVAE" or "Autoencoder" (these two in vaekit's naming, as exportTorch writes them).
   */
  kind?: K;
  /** An Autoencoder's code activation. Default "identity". */
  latentActivation?: Activation;
  /**
   * Layer lists (conv models): the image shape [height, width, channels] of vaekit's rows, and the encoder's and
   * decoder's layers as `VAE.create` takes them. A state_dict holds neither strides, paddings nor activations, so
   * they come from here; sizes are checked against the tensors. The tensors are matched to the lists' layers with
   * parameters in order (see `readTorch`).
   */
  inputShape?: InputShape;
  /** The encoder's layer list (with `inputShape` and `decoder`). */
  encoder?: LayerSpec[];
  /** The decoder's layer list (with `inputShape` and `encoder`). */
  decoder?: LayerSpec[];
  /** A ConditionalVAE's number of classes, when the shapes cannot tell (a layer-list decoder not starting with dense). */
  classes?: number;
}

/**
 * The vaekit classes `readTorch` / `loadTorch` read a state_dict as (every class `exportTorch` writes).
 *
 * @example
 * ```ts
 * const kind: TorchModelKind = "ConditionalVAE";
 * ```
 */
export type TorchModelKind = "VAE" | "ConditionalVAE" | "HierarchicalVAE" | "Autoencoder";

/**
 * What `readTorch` found: a config for `VAE.create` and the weights in vaekit's names and layout.
 *
 * @example
 * ```ts
 * const { config, weights, naming }: TorchImport = readTorch(bytes);
 * ```
 */
export interface TorchImport<C = VAEConfig> {
  config: C;
  weights: Record<string, Float32Array>;
  /**
   * Which naming was recognised: "pytorch/examples", "lecture notes", "vaekit" or "options.names"; for layer lists
   * also "containers" (modules matched in order under encoder / decoder and heads such as fc_mu / fc_var).
   */
  naming: string;
  /** The class the weights are for (options.kind). */
  kind: TorchModelKind;
}

type Layer = [vaekit: string, torch: string];

const EXAMPLES: Layer[] = [
  ["encoder.hidden.0", "fc1"], ["encoder.mean", "fc21"], ["encoder.logvar", "fc22"],
  ["decoder.hidden.0", "fc3"], ["decoder.output", "fc4"],
];
const NOTES: Layer[] = [
  ["encoder.hidden.0", "encoder.fc1"], ["encoder.mean", "encoder.fc_mu"], ["encoder.logvar", "encoder.fc_logvar"],
  ["decoder.hidden.0", "decoder.fc1"], ["decoder.output", "decoder.fc2"],
];
const OPTION_KEYS = [
  "activation", "leakySlope", "likelihood", "likelihoodScale", "beta", "seed", "names", "kind", "latentActivation",
  "inputShape", "encoder", "decoder", "classes",
];
const KINDS: readonly TorchModelKind[] = ["VAE", "ConditionalVAE", "HierarchicalVAE", "Autoencoder"];
const CONFIG_KEYS = ["activation", "leakySlope", "likelihood", "likelihoodScale", "beta", "seed"] as const;

function vaekitLayers(prefixes: Set<string>): Layer[] {
  const out: Layer[] = [];
  for (let i = 0; prefixes.has(`encoder.hidden.${i}`); i++) out.push([`encoder.hidden.${i}`, `encoder.hidden.${i}`]);
  out.push(["encoder.mean", "encoder.mean"], ["encoder.logvar", "encoder.logvar"]);
  for (let i = 0; prefixes.has(`decoder.hidden.${i}`); i++) out.push([`decoder.hidden.${i}`, `decoder.hidden.${i}`]);
  out.push(["decoder.output", "decoder.output"]);
  return out;
}

/** Orders a user's names map into layers, checking it covers a whole VAE. */
function layersFromOptions(names: unknown): Layer[] {
  if (typeof names !== "object" || names === null || Array.isArray(names)) {
    throw new InvalidInputError(`options.names must map vaekit layer names to state_dict prefixes, e.g. { "encoder.mean": "fc21" }; got ${show(names)}`);
  }
  const map = names as Record<string, unknown>;
  const out: Layer[] = [];
  const take = (key: string): void => {
    const v = map[key];
    if (typeof v !== "string" || v === "") {
      throw new InvalidInputError(`options.names["${key}"] must be the state_dict prefix of that layer (a string such as "fc1"); got ${show(v)}`);
    }
    out.push([key, v]);
  };
  for (let i = 0; `encoder.hidden.${i}` in map; i++) take(`encoder.hidden.${i}`);
  take("encoder.mean");
  take("encoder.logvar");
  for (let i = 0; `decoder.hidden.${i}` in map; i++) take(`decoder.hidden.${i}`);
  take("decoder.output");
  const known = out.map(([k]) => k);
  for (const key of Object.keys(map)) {
    if (!known.includes(key)) {
      throw new InvalidInputError(
        `options.names has '${key}', which is not a vaekit layer of this model${suggest(key, known)}; layers are ` +
          "encoder.hidden.0, encoder.hidden.1, …, encoder.mean, encoder.logvar, decoder.hidden.0, …, decoder.output (hidden layers numbered from 0 without gaps)",
      );
    }
  }
  return out;
}

function detect(prefixes: Set<string>, options: TorchImportOptions<TorchModelKind>): { layers: Layer[]; naming: string } {
  if (options.names !== undefined) return { layers: layersFromOptions(options.names), naming: "options.names" };
  if (prefixes.has("fc21") || prefixes.has("fc22")) return { layers: EXAMPLES, naming: "pytorch/examples" };
  if (prefixes.has("encoder.fc_mu") || prefixes.has("encoder.fc_logvar")) return { layers: NOTES, naming: "lecture notes" };
  if (prefixes.has("encoder.mean") || prefixes.has("encoder.logvar")) return { layers: vaekitLayers(prefixes), naming: "vaekit" };
  const found = [...prefixes].slice(0, 12).join(", ");
  throw new ModelFormatError(
    `no known VAE naming in this state_dict (layers found: ${found || "none"}); vaekit recognises pytorch/examples' ` +
      "fc1, fc21, fc22, fc3, fc4, the lecture notes' encoder.fc1, encoder.fc_mu, encoder.fc_logvar, decoder.fc1, " +
      "decoder.fc2, and its own names; for any other naming pass options.names",
  );
}

const dims = (s: readonly (number | string)[]): string => `[${s.join(", ")}]`;

/**
 * Reads a PyTorch VAE state_dict saved as safetensors (e.g. `safetensors.torch.save_file(model.state_dict(), f)`)
 * and returns a vaekit config and weights. Sizes come from the tensor shapes (PyTorch's nn.Linear layout,
 * weight [out, in]); F64 tensors are rounded to float32, F16 and BF16 converted exactly. A missing, unexpected
 * or mis-shaped tensor, another dtype, or a non-finite weight throws ModelFormatError naming the tensor and
 * what was expected; bad options throw InvalidInputError or InvalidConfigError. Reads the bytes only (no wasm).
 *
 * Recognised namings (a leading "module." from DataParallel is dropped):
 * - the lecture notes' demo model: encoder.fc1, encoder.fc_mu, encoder.fc_logvar, decoder.fc1, decoder.fc2;
 * - pytorch/examples' VAE: fc1, fc21, fc22, fc3, fc4;
 * - vaekit's own: encoder.hidden.{i}, encoder.mean, encoder.logvar, decoder.hidden.{i}, decoder.output;
 * - anything else through `options.names`.
 *
 * `options.kind` reads the state_dict as another class (vaekit's naming, as `exportTorch` writes it): a
 * "ConditionalVAE" (any of the namings above; `classes` from the shapes), a "HierarchicalVAE" (encoder.z1, encoder.z2,
 * prior.z1, decoder) or an "Autoencoder" (encoder.hidden.{i}, encoder.code, decoder.*). A `decoder.logsigma` tensor
 * is a learned σ. With `inputShape`, `encoder` and `decoder` (layer lists, as `VAE.create` takes them) it reads a
 * conv model: vaekit's names (encoder.layers.{i}, …), or any PyTorch module tree — the modules with tensors under
 * `encoder` and `decoder` (or the prefixes `names["encoder.layers"]` / `names["decoder.layers"]` give) matched in
 * order to the layers with parameters, the heads found by name (fc_mu / fc_var, fc21 / fc22, …) or given in `names`;
 * a missing conv or dense bias (PyTorch's bias=False) is zero, batch norm's num_batches_tracked (I64) is skipped.
 *
 * @example
 * ```ts
 * import { readTorch, VAE } from "vaekit";
 * const { config, weights } = readTorch(await readFile("vae.safetensors"), { activation: "relu" });
 * const vae = await VAE.create(config);
 * vae.setWeights(weights);
 * // a PyTorch conv VAE: nn.Sequential encoder / decoder, heads fc_mu / fc_var
 * const conv = readTorch(bytes, { inputShape: [28, 28, 1], encoder: [
 *   { type: "conv2d", filters: 32, kernelSize: 3, strides: 2, padding: 1, activation: "relu" },
 *   { type: "flatten" }, { type: "dense", units: 16, activation: "relu" }], decoder });
 * ```
 */
export function readTorch(bytes: Uint8Array | ArrayBuffer, options?: TorchImportOptions): TorchImport<VAEConfig>;
export function readTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<"ConditionalVAE"> & { kind: "ConditionalVAE" }): TorchImport<ConditionalVAEConfig>;
export function readTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<"HierarchicalVAE"> & { kind: "HierarchicalVAE" }): TorchImport<HierarchicalVAEConfig>;
export function readTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<"Autoencoder"> & { kind: "Autoencoder" }): TorchImport<AutoencoderConfig>;
export function readTorch(bytes: Uint8Array | ArrayBuffer, options?: TorchImportOptions<TorchModelKind>): TorchImport<VAEConfig | ConditionalVAEConfig | HierarchicalVAEConfig | AutoencoderConfig>;
export function readTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<TorchModelKind> = {}): TorchImport<VAEConfig | ConditionalVAEConfig | HierarchicalVAEConfig | AutoencoderConfig> {
  if (typeof options !== "object" || options === null) {
    throw new InvalidInputError(`readTorch: options must be an object such as { activation: "relu" }; got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new InvalidInputError(`readTorch: unknown option '${key}'${suggest(key, OPTION_KEYS)}; known options: ${OPTION_KEYS.join(", ")}`);
    }
  }
  const kind = options.kind ?? "VAE";
  if (!KINDS.includes(kind)) {
    throw new InvalidInputError(`readTorch: options.kind must be one of ${KINDS.join(", ")}; got ${show(options.kind)}${typeof kind === "string" ? suggest(kind, KINDS) : ""}`);
  }
  const tensors = readStateDict(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  if (options.inputShape !== undefined || options.encoder !== undefined || options.decoder !== undefined) {
    if (!TORCH_LAYER_KINDS.includes(kind)) {
      throw new InvalidInputError(`readTorch: layer lists (inputShape, encoder, decoder) go with kind ${TORCH_LAYER_KINDS.join(", ")}; a ${kind} is an MLP (drop them)`);
    }
    const r = readTorchLayers(tensors, options, kind);
    return { ...r, kind };
  }
  const conv = [...tensors].find(([k, t]) => t.shape.length === 4 || /(^|\.)layers\.\d+\.running_(mean|var)$/.test(k) || k.startsWith("encoder.layers."));
  if (conv) {
    throw new ModelFormatError(
      `tensor '${conv[0]}' ${dims(conv[1].shape)} belongs to a conv / layer-list model; a state_dict does not record its ` +
        "strides, paddings or activations, so pass them: readTorch(bytes, { inputShape: [h, w, c], encoder: [...], decoder: [...] }) with the layer lists as VAE.create takes them",
    );
  }
  for (const key of ["classes"] as const) {
    if (options[key] !== undefined) throw new InvalidInputError(`readTorch: options.${key} goes with layer lists (encoder, decoder); an MLP's sizes come from the shapes`);
  }
  if (kind === "HierarchicalVAE") return readHierarchical(tensors, options);
  if (kind === "Autoencoder") return readAutoencoder(tensors, options);
  return readVAE(tensors, options, kind);
}


/**
 * The state_dict's float tensors (a DataParallel "module." prefix dropped). Batch norm's `num_batches_tracked`
 * (an I64 scalar in PyTorch's files; vaekit's momentum is fixed, so it is not needed) is skipped whatever its dtype.
 */
function readStateDict(bytes: Uint8Array): Map<string, ForeignTensor> {
  const FLOAT: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
  const INT: Record<string, number> = { I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, U16: 2, U32: 4, U64: 8 };
  const counter = (name: string): boolean => name === "num_batches_tracked" || name.endsWith(".num_batches_tracked");
  const layout = parseSafetensors(bytes, (name, dtype) => {
    if (typeof dtype === "string" && Object.hasOwn(FLOAT, dtype)) return FLOAT[dtype];
    if (typeof dtype === "string" && counter(name) && Object.hasOwn(INT, dtype)) return INT[dtype];
    throw new ModelFormatError(`tensor '${name}' has dtype ${show(dtype)}; vaekit converts floating-point tensors only (F32, F64, F16, BF16)`);
  });
  let tensors = new Map<string, ForeignTensor>();
  for (const t of layout.tensors) {
    if (counter(t.name)) continue;
    const dtype = t.dtype as FloatDtype;
    tensors.set(t.name, { shape: t.shape, dtype, data: convert(dtype, t.bytes, t.count) });
  }
  if (tensors.size > 0 && [...tensors.keys()].every((k) => k.startsWith("module."))) {
    tensors = new Map([...tensors].map(([k, t]) => [k.slice("module.".length), t]));
  }
  return tensors;
}

/** Reads named tensors, checking finiteness and nn.Linear shapes, and remembers which were used. */
function tensorReader(tensors: Map<string, ForeignTensor>, naming: string) {
  const used = new Set<string>();
  const weights: Record<string, Float32Array> = {};
  const get = (torchName: string, vaekitName: string, expected: string): ForeignTensor => {
    const t = tensors.get(torchName);
    if (!t) {
      throw new ModelFormatError(`missing tensor '${torchName}' (vaekit's ${vaekitName}, expected shape ${expected}) in a state_dict read with ${naming} naming`);
    }
    used.add(torchName);
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) {
        throw new ModelFormatError(`tensor '${torchName}' holds ${t.data[i]} at index ${i}${t.dtype === "F64" ? " (or a value beyond float32's range)" : ""}; weights must be finite`);
      }
    }
    return t;
  };
  // Reads one nn.Linear; `inSize` is what the previous layer produces (undefined for the first), `outSize` a
  // required output width (undefined when this layer defines it). Returns the output width.
  const linear = ([vk, pt]: Layer, inSize: number | undefined, outSize: number | undefined, why: string): number => {
    const want = dims([outSize ?? "out", inSize ?? "in"]);
    const w = get(`${pt}.weight`, `${vk}.weight`, want);
    const mismatch = w.shape.length !== 2 || (inSize !== undefined && w.shape[1] !== inSize) || (outSize !== undefined && w.shape[0] !== outSize);
    if (mismatch || w.shape[0] === 0 || w.shape[1] === 0) {
      throw new ModelFormatError(`tensor '${pt}.weight' (vaekit's ${vk}.weight) has shape ${dims(w.shape)}; expected ${want}${why ? ` (${why})` : ""}, nn.Linear layout [out, in]`);
    }
    const b = get(`${pt}.bias`, `${vk}.bias`, dims([w.shape[0]]));
    if (b.shape.length !== 1 || b.shape[0] !== w.shape[0]) {
      throw new ModelFormatError(`tensor '${pt}.bias' (vaekit's ${vk}.bias) has shape ${dims(b.shape)}; expected [${w.shape[0]}] to match '${pt}.weight' ${dims(w.shape)}`);
    }
    weights[`${vk}.weight`] = w.data;
    weights[`${vk}.bias`] = b.data;
    return w.shape[0];
  };
  /** A chain of hidden layers from `width` (undefined: the first defines it); returns their widths. */
  const chain = (layers: Layer[], width: number | undefined, from: string): { sizes: number[]; width: number | undefined; from: string } => {
    const sizes: number[] = [];
    for (const l of layers) {
      width = linear(l, width, undefined, from);
      sizes.push(width);
      from = `its input must match the ${width} outputs of '${l[1]}'`;
    }
    return { sizes, width, from };
  };
  /** vaekit's learned σ (`decoder.logsigma`, [inputSize]) when the state_dict has it. */
  const logSigma = (inputSize: number, options: TorchImportOptions<TorchModelKind>): boolean => {
    const t = tensors.get("decoder.logsigma");
    if (!t) return false;
    const v = get("decoder.logsigma", "decoder.logsigma", dims([inputSize]));
    if (v.shape.length !== 1 || v.shape[0] !== inputSize) {
      throw new ModelFormatError(`tensor 'decoder.logsigma' (the learned log σ per input value) has shape ${dims(v.shape)}; expected [${inputSize}]`);
    }
    if (options.likelihoodScale !== undefined && (options.likelihoodScale as unknown) !== "learned") {
      throw new InvalidInputError(`readTorch: the state_dict has a learned σ (decoder.logsigma) but options.likelihoodScale is ${show(options.likelihoodScale)}; drop the option (or pass "learned")`);
    }
    weights["decoder.logsigma"] = v.data;
    return true;
  };
  const unexpected = (layers: readonly string[], what: string): void => {
    for (const [name, t] of tensors) {
      if (!used.has(name)) {
        throw new ModelFormatError(
          `unexpected tensor '${name}' ${dims(t.shape)} in a state_dict read with ${naming} naming (layers ` +
            `${layers.join(", ")}); ${what}`,
        );
      }
    }
  };
  return { get, linear, chain, logSigma, unexpected, weights };
}

const applyOptions = (config: object, options: TorchImportOptions<TorchModelKind>, keys: readonly string[]): void => {
  for (const key of keys) {
    const v = (options as Record<string, unknown>)[key];
    if (v !== undefined) (config as Record<string, unknown>)[key] = v;
  }
};

/** VAE and ConditionalVAE MLPs in any of the recognised namings. */
function readVAE(tensors: Map<string, ForeignTensor>, options: TorchImportOptions<TorchModelKind>, kind: "VAE" | "ConditionalVAE"): TorchImport<VAEConfig | ConditionalVAEConfig> {
  for (const key of ["latentActivation"] as const) {
    if (options[key] !== undefined) throw new InvalidInputError(`readTorch: options.${key} belongs to an Autoencoder; this is a ${kind}`);
  }
  const prefixes = new Set([...tensors.keys()].map((k) => k.replace(/\.(weight|bias)$/, "")));
  const { layers, naming } = detect(prefixes, options);
  const r = tensorReader(tensors, naming);
  const cond = kind === "ConditionalVAE";

  const enc = layers.filter(([vk]) => vk.startsWith("encoder.hidden."));
  const dec = layers.filter(([vk]) => vk.startsWith("decoder.hidden."));
  const at = (vk: string): Layer => layers.find(([k]) => k === vk)!;
  const e = r.chain(enc, undefined, "");
  const mean = at("encoder.mean");
  const latentSize = r.linear(mean, e.width, undefined, e.from);
  const headIn = r.weights["encoder.mean.weight"].length / latentSize;
  r.linear(at("encoder.logvar"), headIn, latentSize, `the shape of '${mean[1]}.weight'`);
  const encoderIn = enc.length > 0 ? r.weights["encoder.hidden.0.weight"].length / e.sizes[0] : headIn;
  let classes = 0;
  let decodeFrom = `its input must match the latent size ${latentSize} of '${mean[1]}'`;
  let decoderIn: number | undefined = latentSize;
  if (cond) {
    // the label's one-hot columns follow z at the decoder's input (and x at the encoder's): the shapes tell how many
    decoderIn = undefined;
    decodeFrom = "";
  }
  const d = r.chain(dec, decoderIn, decodeFrom);
  let inputSize: number;
  if (cond) {
    const first = dec[0] ?? at("decoder.output");
    const w = r.get(`${first[1]}.weight`, `${first[0]}.weight`, dims(["out", `${latentSize} + classes`]));
    classes = (w.shape[1] ?? 0) - latentSize;
    if (w.shape.length !== 2 || classes < 1) {
      throw new ModelFormatError(`tensor '${first[1]}.weight' (vaekit's ${first[0]}.weight) has shape ${dims(w.shape)}; a ConditionalVAE's decoder takes z (${latentSize}) and the one-hot label, so expected [out, ${latentSize} + classes] with classes ≥ 1`);
    }
    inputSize = r.linear(at("decoder.output"), d.width, undefined, dec.length ? d.from : "");
    if (encoderIn !== inputSize + classes) {
      const first = (enc[0] ?? mean);
      throw new ModelFormatError(`tensor '${first[1]}.weight' (vaekit's ${first[0]}.weight) takes ${encoderIn} inputs; a ConditionalVAE's encoder takes x (${inputSize}, the decoder's output) and the one-hot label (${classes}, from the decoder's input), so expected ${inputSize + classes}`);
    }
  } else {
    inputSize = encoderIn;
    r.linear(at("decoder.output"), d.width, inputSize, `${d.from}; its output must match the input size ${inputSize} of '${(enc[0] ?? mean)[1]}'`);
  }
  const learned = r.logSigma(inputSize, options);
  r.unexpected(layers.map(([, pt]) => pt), "an MLP VAE has only those weights and biases (and decoder.logsigma for a learned σ) — for another layout map each vaekit layer with options.names");

  const config: VAEConfig = { inputSize, latentSize, hiddenSizes: e.sizes, decoderHiddenSizes: d.sizes };
  applyOptions(config, options, CONFIG_KEYS);
  if (learned) config.likelihoodScale = "learned";
  if (cond) (config as ConditionalVAEConfig).classes = classes;
  if (cond) resolveConditionalConfig(config);
  else resolveConfig(config); // throws InvalidConfigError on a bad activation, likelihood, slope, scale, β or seed
  return { config, weights: r.weights, naming, kind };
}

/** An MLP Gaussian stage in vaekit's naming: `<p>.hidden.{i}`, `<p>.mean`, `<p>.logvar`. */
function gaussianStage(r: ReturnType<typeof tensorReader>, prefixes: Set<string>, p: string, width: number | undefined, from: string, out?: number) {
  const hidden: Layer[] = [];
  for (let i = 0; prefixes.has(`${p}.hidden.${i}`); i++) hidden.push([`${p}.hidden.${i}`, `${p}.hidden.${i}`]);
  const c = r.chain(hidden, width, from);
  const size = r.linear([`${p}.mean`, `${p}.mean`], c.width, out, c.from);
  r.linear([`${p}.logvar`, `${p}.logvar`], r.weights[`${p}.mean.weight`].length / size, size, `the shape of '${p}.mean.weight'`);
  const input = hidden.length ? r.weights[`${p}.hidden.0.weight`].length / c.sizes[0] : r.weights[`${p}.mean.weight`].length / size;
  return { hidden: c.sizes, size, input, layers: [...hidden.map(([k]) => k), `${p}.mean`, `${p}.logvar`] };
}

/** A HierarchicalVAE in vaekit's naming (exportTorch's): encoder.z1, encoder.z2, prior.z1, decoder. */
function readHierarchical(tensors: Map<string, ForeignTensor>, options: TorchImportOptions<TorchModelKind>): TorchImport<HierarchicalVAEConfig> {
  noNames(options, "HierarchicalVAE");
  const prefixes = new Set([...tensors.keys()].map((k) => k.replace(/\.(weight|bias)$/, "")));
  const r = tensorReader(tensors, "vaekit (HierarchicalVAE)");
  const z1 = gaussianStage(r, prefixes, "encoder.z1", undefined, "");
  const z2 = gaussianStage(r, prefixes, "encoder.z2", z1.size, `its input must match the latent size ${z1.size} of 'encoder.z1.mean'`);
  const prior = gaussianStage(r, prefixes, "prior.z1", z2.size, `its input must match the latent size ${z2.size} of 'encoder.z2.mean'`, z1.size);
  const hidden: Layer[] = [];
  for (let i = 0; prefixes.has(`decoder.hidden.${i}`); i++) hidden.push([`decoder.hidden.${i}`, `decoder.hidden.${i}`]);
  const d = r.chain(hidden, z1.size, `its input must match the latent size ${z1.size} of 'encoder.z1.mean'`);
  r.linear(["decoder.output", "decoder.output"], d.width, z1.input, `${d.from}; its output must match the input size ${z1.input} of 'encoder.z1'`);
  const learned = r.logSigma(z1.input, options);
  r.unexpected([...z1.layers, ...z2.layers, ...prior.layers, ...hidden.map(([k]) => k), "decoder.output"], "a HierarchicalVAE (as exportTorch writes it) has only those");
  const config: HierarchicalVAEConfig = {
    inputSize: z1.input, latentSizes: [z1.size, z2.size], hiddenSizes: [z1.hidden, z2.hidden], decoderHiddenSizes: [d.sizes, prior.hidden],
  };
  applyOptions(config, options, CONFIG_KEYS);
  if (learned) config.likelihoodScale = "learned";
  checkShared(config);
  return { config, weights: r.weights, naming: "vaekit", kind: "HierarchicalVAE" };
}

/** An MLP Autoencoder in vaekit's naming: encoder.hidden.{i}, encoder.code, decoder.hidden.{i}, decoder.output. */
function readAutoencoder(tensors: Map<string, ForeignTensor>, options: TorchImportOptions<TorchModelKind>): TorchImport<AutoencoderConfig> {
  noNames(options, "Autoencoder");
  if (options.beta !== undefined) throw new InvalidInputError("readTorch: options.beta belongs to the VAEs; an Autoencoder has no KL term");
  const prefixes = new Set([...tensors.keys()].map((k) => k.replace(/\.(weight|bias)$/, "")));
  const r = tensorReader(tensors, "vaekit (Autoencoder)");
  const enc: Layer[] = [], dec: Layer[] = [];
  for (let i = 0; prefixes.has(`encoder.hidden.${i}`); i++) enc.push([`encoder.hidden.${i}`, `encoder.hidden.${i}`]);
  for (let i = 0; prefixes.has(`decoder.hidden.${i}`); i++) dec.push([`decoder.hidden.${i}`, `decoder.hidden.${i}`]);
  const e = r.chain(enc, undefined, "");
  const latentSize = r.linear(["encoder.code", "encoder.code"], e.width, undefined, e.from);
  const inputSize = enc.length ? r.weights["encoder.hidden.0.weight"].length / e.sizes[0] : r.weights["encoder.code.weight"].length / latentSize;
  const d = r.chain(dec, latentSize, `its input must match the code size ${latentSize} of 'encoder.code'`);
  r.linear(["decoder.output", "decoder.output"], d.width, inputSize, `${d.from}; its output must match the input size ${inputSize} of '${(enc[0] ?? ["", "encoder.code"])[1]}'`);
  const learned = r.logSigma(inputSize, options);
  r.unexpected([...enc, ["", "encoder.code"], ...dec, ["", "decoder.output"]].map(([, k]) => k as string), "an Autoencoder (as exportTorch writes it) has only those");
  const config: AutoencoderConfig = { inputSize, latentSize, hiddenSizes: e.sizes, decoderHiddenSizes: d.sizes };
  applyOptions(config, options, [...CONFIG_KEYS.filter((k) => k !== "beta"), "latentActivation"]);
  if (learned) config.likelihoodScale = "learned";
  if (options.latentActivation !== undefined) activationOf("latentActivation", options.latentActivation, "identity");
  checkShared(config);
  return { config, weights: r.weights, naming: "vaekit", kind: "Autoencoder" };
}

/**
 * Checks the options every class shares (activation, slope, likelihood, scale, β, seed) as VAE.create checks them
 * (InvalidConfigError), without the class's own config module (the class's create checks the rest).
 */
function checkShared(config: object): void {
  const c = config as Record<string, unknown>;
  const shared: Record<string, unknown> = { inputSize: c.inputSize, latentSize: 1 };
  for (const k of CONFIG_KEYS) if (c[k] !== undefined) shared[k] = c[k];
  resolveConfig(shared);
}

function noNames(options: TorchImportOptions<TorchModelKind>, kind: string): void {
  if (options.names !== undefined) {
    throw new InvalidInputError(`readTorch: options.names maps a VAE's or ConditionalVAE's layers; a ${kind} is read in vaekit's naming (as exportTorch writes it)`);
  }
}

/**
 * Loads a PyTorch state_dict saved as safetensors into a new vaekit model (see `readTorch` for the namings, dtypes,
 * layer lists and errors): a VAE by default, or the class `options.kind` names — ConditionalVAE, HierarchicalVAE,
 * Autoencoder — which is what `exportTorch` wrote and PyTorch trained on. The result gives PyTorch's outputs:
 * `encode` the (mean, log-variance) heads (an Autoencoder's code), `decode` the decoder's sigmoid (Bernoulli) or
 * identity (Gaussian/Laplace) output, with batch norm's running statistics as in PyTorch's eval mode.
 *
 * @example
 * ```ts
 * import { loadTorch } from "vaekit/torch";
 * // saved in Python with safetensors.torch.save_file(model.state_dict(), "vae.safetensors")
 * const vae = await loadTorch(await readFile("vae.safetensors"));   // the demo model: ReLU, sigmoid output
 * const { mean, logVar } = vae.encode(images);
 * const cvae = await loadTorch(await readFile("cvae.safetensors"), { kind: "ConditionalVAE", activation: "tanh" });
 * ```
 */
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options?: TorchImportOptions & EngineOptions): Promise<VAE>;
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<"ConditionalVAE"> & EngineOptions & { kind: "ConditionalVAE" }): Promise<ConditionalVAE>;
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<"HierarchicalVAE"> & EngineOptions & { kind: "HierarchicalVAE" }): Promise<HierarchicalVAE>;
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<"Autoencoder"> & EngineOptions & { kind: "Autoencoder" }): Promise<Autoencoder>;
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options?: TorchImportOptions<TorchModelKind> & EngineOptions): Promise<VAE | ConditionalVAE | HierarchicalVAE | Autoencoder>;
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions<TorchModelKind> & EngineOptions = {}): Promise<VAE | ConditionalVAE | HierarchicalVAE | Autoencoder> {
  const { wasm, ...rest } = options ?? {};
  const { config, weights, kind } = readTorch(bytes, rest);
  const model = kind === "ConditionalVAE" ? await ConditionalVAE.create(config as ConditionalVAEConfig, { wasm })
    : kind === "HierarchicalVAE" ? await HierarchicalVAE.create(config as HierarchicalVAEConfig, { wasm })
    : kind === "Autoencoder" ? await Autoencoder.create(config as AutoencoderConfig, { wasm })
    : await VAE.create(config as VAEConfig, { wasm });
  try {
    model.setWeights(weights);
  } catch (e) {
    model.dispose();
    throw e instanceof VaekitError ? new ModelFormatError(e.message) : e;
  }
  return model;
}
