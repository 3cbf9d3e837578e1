// Imports a PyTorch VAE's state_dict (saved as safetensors) into vaekit: recognises the tensor naming of the
// lecture notes' demo model, of pytorch/examples' VAE and vaekit's own, infers every size from the shapes, and
// takes what a state_dict cannot hold (activation, likelihood) as options.
import { InvalidInputError, ModelFormatError, VaekitError } from "../errors.js";
import { show } from "../errors-format.js";
import type { Likelihood, VAEConfig } from "../models/config.js";
import { resolveConfig, suggest } from "../models/config.js";
import { VAE, type EngineOptions } from "../index.js";
import type { Activation } from "../nn/dense.js";
import { readFloatSafetensors, type ForeignTensor } from "./float-tensors.js";

/**
 * Options of `readTorch` / `loadTorch`: the parts of the model a state_dict does not record, and optionally
 * which state_dict layer is which vaekit layer.
 *
 * @example
 * ```ts
 * const options: TorchImportOptions = { activation: "relu", likelihood: "bernoulli" };
 * ```
 */
export interface TorchImportOptions {
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
  names?: Readonly<Record<string, string>>;
}

/**
 * What `readTorch` found: a config for `VAE.create` and the weights in vaekit's names and layout.
 *
 * @example
 * ```ts
 * const { config, weights, naming }: TorchImport = readTorch(bytes);
 * ```
 */
export interface TorchImport {
  config: VAEConfig;
  weights: Record<string, Float32Array>;
  /** Which naming was recognised: "pytorch/examples", "lecture notes", "vaekit" or "options.names". */
  naming: string;
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
const OPTION_KEYS = ["activation", "leakySlope", "likelihood", "likelihoodScale", "beta", "seed", "names"];
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

function detect(prefixes: Set<string>, options: TorchImportOptions): { layers: Layer[]; naming: string } {
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
 * @example
 * ```ts
 * import { readTorch, VAE } from "vaekit";
 * const { config, weights } = readTorch(await readFile("vae.safetensors"), { activation: "relu" });
 * const vae = await VAE.create(config);
 * vae.setWeights(weights);
 * ```
 */
export function readTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions = {}): TorchImport {
  if (typeof options !== "object" || options === null) {
    throw new InvalidInputError(`readTorch: options must be an object such as { activation: "relu" }; got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new InvalidInputError(`readTorch: unknown option '${key}'${suggest(key, OPTION_KEYS)}; known options: ${OPTION_KEYS.join(", ")}`);
    }
  }
  const file = readFloatSafetensors(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  let tensors = file.tensors;
  if (tensors.size > 0 && [...tensors.keys()].every((k) => k.startsWith("module."))) {
    tensors = new Map([...tensors].map(([k, t]) => [k.slice("module.".length), t]));
  }
  const prefixes = new Set([...tensors.keys()].map((k) => k.replace(/\.(weight|bias)$/, "")));
  const { layers, naming } = detect(prefixes, options);

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

  const enc = layers.filter(([vk]) => vk.startsWith("encoder.hidden."));
  const dec = layers.filter(([vk]) => vk.startsWith("decoder.hidden."));
  const at = (vk: string): Layer => layers.find(([k]) => k === vk)!;
  const hiddenSizes: number[] = [];
  const decoderHiddenSizes: number[] = [];
  let width: number | undefined; // outputs of the previous layer (undefined before the first)
  let from = "";
  for (const l of enc) {
    width = linear(l, width, undefined, from);
    hiddenSizes.push(width);
    from = `its input must match the ${width} outputs of '${l[1]}'`;
  }
  const mean = at("encoder.mean");
  const latentSize = linear(mean, width, undefined, from);
  const headIn = weights["encoder.mean.weight"].length / latentSize;
  linear(at("encoder.logvar"), headIn, latentSize, `the shape of '${mean[1]}.weight'`);
  const inputSize = enc.length > 0 ? weights["encoder.hidden.0.weight"].length / hiddenSizes[0] : headIn;
  width = latentSize;
  from = `its input must match the latent size ${latentSize} of '${mean[1]}'`;
  for (const l of dec) {
    width = linear(l, width, undefined, from);
    decoderHiddenSizes.push(width);
    from = `its input must match the ${width} outputs of '${l[1]}'`;
  }
  linear(at("decoder.output"), width, inputSize, `${from}; its output must match the input size ${inputSize} of '${(enc[0] ?? mean)[1]}'`);

  for (const [name, t] of tensors) {
    if (!used.has(name)) {
      throw new ModelFormatError(
        `unexpected tensor '${name}' ${dims(t.shape)} in a state_dict read with ${naming} naming (layers ` +
          `${layers.map(([, pt]) => pt).join(", ")}); an MLP VAE has only those weights and biases — for another ` +
          "layout map each vaekit layer with options.names",
      );
    }
  }

  const config: VAEConfig = { inputSize, latentSize, hiddenSizes, decoderHiddenSizes };
  for (const key of CONFIG_KEYS) if (options[key] !== undefined) (config as unknown as Record<string, unknown>)[key] = options[key];
  resolveConfig(config); // throws InvalidConfigError on a bad activation, likelihood, slope, scale, β or seed
  return { config, weights, naming };
}

/**
 * Loads a PyTorch VAE state_dict saved as safetensors into a new VAE (see `readTorch` for the namings, dtypes
 * and errors). The result gives PyTorch's outputs: `encode` the (mean, log-variance) heads, `decode` the
 * decoder's sigmoid (Bernoulli) or identity (Gaussian/Laplace) output.
 *
 * @example
 * ```ts
 * import { loadTorch } from "vaekit";
 * // saved in Python with safetensors.torch.save_file(model.state_dict(), "vae.safetensors")
 * const vae = await loadTorch(await readFile("vae.safetensors"));   // the demo model: ReLU, sigmoid output
 * const { mean, logVar } = vae.encode(images);
 * ```
 */
export async function loadTorch(bytes: Uint8Array | ArrayBuffer, options: TorchImportOptions & EngineOptions = {}): Promise<VAE> {
  const { wasm, ...rest } = options ?? {};
  const { config, weights } = readTorch(bytes, rest);
  const vae = await VAE.create(config, { wasm });
  try {
    vae.setWeights(weights);
  } catch (e) {
    vae.dispose();
    throw e instanceof VaekitError ? new ModelFormatError(e.message) : e;
  }
  return vae;
}
