// readTorch for layer-list models (conv VAEs): a state_dict holds sizes but not strides, paddings, activations or
// where the flatten and reshape go, so the caller gives the layer lists as VAE.create takes them and this file matches
// the state_dict's modules to the lists' layers with parameters, in order, checking every shape against the plan.
import { InvalidInputError, ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import type { AutoencoderConfig } from "../models/autoencoder-config.js";
import type { ConditionalVAEConfig, VAEConfig } from "../models/config.js";
import { checkLayerLists, planModel, type LayerSpec, type PlannedLayer } from "../models/layers-config.js";
import type { ForeignTensor } from "./float-tensors.js";
import type { TorchImportOptions, TorchModelKind } from "./torch.js";

/** The classes that take layer lists. */
export const TORCH_LAYER_KINDS: readonly TorchModelKind[] = ["VAE", "ConditionalVAE", "Autoencoder"];

/** The mean / log-variance head names vaekit recognises, in the order tried (PyTorch-VAE, pytorch/examples, …). */
const HEADS: [string, string][] = [
  ["encoder.mean", "encoder.logvar"], ["fc_mu", "fc_var"], ["fc_mu", "fc_logvar"], ["fc_mu", "fc_log_var"],
  ["fc21", "fc22"], ["encoder.fc_mu", "encoder.fc_logvar"], ["fc_mean", "fc_logvar"], ["mu", "logvar"],
];
const BUFFERS = /\.(weight|bias|running_mean|running_var)$/;
const dims = (s: readonly (number | string)[]): string => `[${s.join(", ")}]`;
const count = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Orders module paths as PyTorch numbers them: "encoder.10" after "encoder.9", "encoder.0.1" after "encoder.0.0". */
function byPath(a: string, b: string): number {
  const x = a.split("."), y = b.split(".");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const nx = /^\d+$/.test(x[i]), ny = /^\d+$/.test(y[i]);
    if (nx && ny) return Number(x[i]) - Number(y[i]);
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

/** The modules (tensor-name prefixes) under each container, in order; a container may be one module itself. */
function modulesUnder(prefixes: readonly string[], containers: readonly string[], taken: Set<string>): string[] {
  const out: string[] = [];
  for (const c of containers) {
    const mine = prefixes.filter((p) => !taken.has(p) && (p === c || p.startsWith(`${c}.`))).sort(byPath);
    for (const p of mine) taken.add(p);
    out.push(...mine);
  }
  return out;
}

function containerNames(v: unknown, key: string, fallback: string): string[] {
  if (v === undefined) return [fallback];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== "string" || s === "")) {
    throw new InvalidInputError(`options.names["${key}"] must be the state_dict prefix of the module(s) holding those layers in order (a string such as "encoder", or an array such as ["decoder_input", "decoder", "final_layer"]); got ${show(v)}`);
  }
  return list as string[];
}

/**
 * Reads a layer-list model's state_dict. `tensors` are the file's float tensors (num_batches_tracked dropped).
 * Returns the config for `kind`'s create and the weights in vaekit's names.
 */
export function readTorchLayers(tensors: Map<string, ForeignTensor>, options: TorchImportOptions<TorchModelKind>, kind: TorchModelKind): {
  config: VAEConfig | ConditionalVAEConfig | AutoencoderConfig; weights: Record<string, Float32Array>; naming: string;
} {
  if (options.inputShape === undefined || options.encoder === undefined || options.decoder === undefined) {
    const missing = ["inputShape", "encoder", "decoder"].filter((k) => (options as Record<string, unknown>)[k] === undefined);
    throw new InvalidInputError(`readTorch: layer lists need inputShape, encoder and decoder together (missing ${missing.join(", ")}), e.g. { inputShape: [28, 28, 1], encoder: [{ type: "conv2d", filters: 32, kernelSize: 3, strides: 2, padding: 1, activation: "relu" }, { type: "flatten" }], decoder: [...] }`);
  }
  if (options.activation !== undefined) {
    throw new InvalidInputError("readTorch: options.activation goes with MLPs; with layer lists each layer carries its own activation (e.g. { type: \"conv2d\", …, activation: \"relu\" })");
  }
  if (kind === "Autoencoder" && options.beta !== undefined) throw new InvalidInputError("readTorch: options.beta belongs to the VAEs; an Autoencoder has no KL term");
  if (kind !== "Autoencoder" && options.latentActivation !== undefined) throw new InvalidInputError(`readTorch: options.latentActivation belongs to an Autoencoder; this is a ${kind}`);
  if (kind !== "ConditionalVAE" && options.classes !== undefined) throw new InvalidInputError(`readTorch: options.classes belongs to a ConditionalVAE; this is a ${kind}`);
  const names = (options.names ?? {}) as Record<string, unknown>;
  if (typeof names !== "object" || names === null || Array.isArray(names)) {
    throw new InvalidInputError(`options.names must map vaekit names to state_dict prefixes, e.g. { "encoder.layers": "encoder", "encoder.mean": "fc_mu" }; got ${show(options.names)}`);
  }
  const ae = kind === "Autoencoder";
  const NAME_KEYS = ae ? ["encoder.layers", "encoder.code", "decoder.layers"] : ["encoder.layers", "encoder.mean", "encoder.logvar", "decoder.layers"];
  for (const k of Object.keys(names)) {
    if (!NAME_KEYS.includes(k)) throw new InvalidInputError(`options.names has '${k}'; with layer lists it maps ${NAME_KEYS.join(", ")}`);
  }

  const prefixes = [...new Set([...tensors.keys()].map((k) => k.replace(BUFFERS, "")))].filter((p) => p !== "decoder.logsigma");
  const has = (p: string): boolean => prefixes.includes(p);
  const vaekit = [...tensors.keys()].some((k) => k.startsWith("encoder.layers.") || k.startsWith("decoder.layers."));
  // the heads
  let heads: string[];
  let naming: string;
  const named = (k: string): string | undefined => {
    const v = names[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") throw new InvalidInputError(`options.names["${k}"] must be the state_dict prefix of that layer (a string such as "fc_mu"); got ${show(v)}`);
    return v;
  };
  if (ae) {
    heads = [named("encoder.code") ?? "encoder.code"];
  } else {
    const m = named("encoder.mean"), l = named("encoder.logvar");
    const pair = m !== undefined || l !== undefined ? [m ?? "encoder.mean", l ?? "encoder.logvar"] : HEADS.find(([a, b]) => has(a) && has(b));
    if (!pair) {
      throw new ModelFormatError(`no mean / log-variance heads found in this state_dict (modules: ${prefixes.slice(0, 16).join(", ")}); vaekit looks for ${HEADS.map((h) => h.join(" + ")).join(", ")}; for another naming pass options.names { "encoder.mean": "…", "encoder.logvar": "…" }`);
    }
    heads = pair;
  }
  for (const h of heads) {
    if (!has(h)) throw new ModelFormatError(`missing tensor '${h}.weight' (vaekit's ${ae ? "encoder.code" : h === heads[0] ? "encoder.mean" : "encoder.logvar"} head) in this state_dict (modules: ${prefixes.slice(0, 16).join(", ")})`);
  }
  const taken = new Set(heads);
  const encNames = names["encoder.layers"] !== undefined || names["decoder.layers"] !== undefined || !vaekit;
  const encModules = vaekit && !encNames ? undefined : modulesUnder(prefixes, containerNames(names["encoder.layers"], "encoder.layers", "encoder"), taken);
  const decModules = vaekit && !encNames ? undefined : modulesUnder(prefixes, containerNames(names["decoder.layers"], "decoder.layers", "decoder"), taken);
  naming = vaekit && !encNames ? "vaekit" : Object.keys(names).length ? "options.names" : "containers";

  const used = new Set<string>();
  const weights: Record<string, Float32Array> = {};
  const take = (torchName: string, vaekitName: string, shape: readonly number[], optional = false): boolean => {
    const t = tensors.get(torchName);
    if (!t) {
      if (optional) {
        weights[vaekitName] = new Float32Array(count(shape)); // nn.Conv2d(…, bias=False): a zero bias is the same layer
        return false;
      }
      throw new ModelFormatError(`missing tensor '${torchName}' (vaekit's ${vaekitName}, expected shape ${dims(shape)}) in a state_dict read with ${naming} naming`);
    }
    if (t.shape.join() !== shape.join()) {
      throw new ModelFormatError(`tensor '${torchName}' (vaekit's ${vaekitName}) has shape ${dims(t.shape)}; expected ${dims(shape)}`);
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new ModelFormatError(`tensor '${torchName}' holds ${t.data[i]} at index ${i}; weights must be finite`);
    }
    used.add(torchName);
    weights[vaekitName] = t.data;
    return true;
  };

  // sizes the shapes decide: the latent (code) width, and a ConditionalVAE's classes
  const headWeight = tensors.get(`${heads[0]}.weight`)!;
  if (headWeight.shape.length !== 2) throw new ModelFormatError(`tensor '${heads[0]}.weight' has shape ${dims(headWeight.shape)}; expected [latent, in] (nn.Linear)`);
  const latentSize = headWeight.shape[0];
  const firstParam = (list: readonly LayerSpec[]): number => list.findIndex((l) => l.type !== "flatten" && l.type !== "reshape");
  let classes = 0;
  if (kind === "ConditionalVAE") {
    if (options.classes !== undefined) classes = options.classes;
    else {
      const dec = Array.isArray(options.decoder) ? options.decoder : [];
      const i = firstParam(dec);
      const module = vaekit && !encNames ? `decoder.layers.${i}` : decModules?.[0];
      const w = module === undefined ? undefined : tensors.get(`${module}.weight`);
      if (dec[i]?.type !== "dense" || !w || w.shape.length !== 2) {
        throw new InvalidInputError("readTorch: a ConditionalVAE whose decoder does not start with a dense layer needs options.classes (the number of classes)");
      }
      classes = w.shape[1] - latentSize;
      if (classes < 1) throw new ModelFormatError(`tensor '${module}.weight' has shape ${dims(w.shape)}; a ConditionalVAE's first decoder layer takes z (${latentSize}) and the one-hot label, so expected [out, ${latentSize} + classes]`);
    }
  }
  const lists = checkLayerLists({ inputShape: options.inputShape, encoder: options.encoder, decoder: options.decoder, latentSize }, classes);
  const plan = planModel(lists.inputShape, lists.encoder, lists.decoder, latentSize, classes);

  const read = (part: "encoder" | "decoder", layers: PlannedLayer[], modules: string[] | undefined): void => {
    const params = layers.filter((p) => p.spec.type !== "flatten" && p.spec.type !== "reshape");
    if (modules && modules.length !== params.length) {
      throw new ModelFormatError(
        `the state_dict's ${part} has ${modules.length} modules with tensors (${modules.join(", ") || "none"}) but options.${part} has ${params.length} layers with parameters ` +
          `(${params.map((p) => `${p.index}: ${p.spec.type}`).join(", ")}); they are matched in order — add or remove layers, or map the modules with options.names["${part}.layers"]`,
      );
    }
    params.forEach((p, k) => {
      const vk = `${part}.layers.${p.index}`, pt = modules ? modules[k] : vk;
      const s = p.spec, g = p.geometry;
      const what = `${part}[${p.index}] (${s.type})`;
      const check = (name: string, vkName: string, shape: number[], optional = false): void => {
        try {
          take(name, vkName, shape, optional);
        } catch (e) {
          if (e instanceof ModelFormatError) throw new ModelFormatError(`${e.message}, for ${what} of options.${part}`);
          throw e;
        }
      };
      if (s.type === "dense") {
        check(`${pt}.weight`, `${vk}.weight`, [s.units, count(p.input)]);
        check(`${pt}.bias`, `${vk}.bias`, [s.units], true);
      } else if (s.type === "conv2d") {
        check(`${pt}.weight`, `${vk}.weight`, [g!.outC, g!.inC, g!.kH, g!.kW]);
        check(`${pt}.bias`, `${vk}.bias`, [g!.outC], true);
      } else if (s.type === "conv2dTranspose") {
        check(`${pt}.weight`, `${vk}.weight`, [g!.inC, g!.outC, g!.kH, g!.kW]);
        check(`${pt}.bias`, `${vk}.bias`, [g!.outC], true);
      } else {
        const c = p.input.length === 3 ? p.input[2] : p.input[0];
        for (const b of ["weight", "bias", "running_mean", "running_var"]) check(`${pt}.${b}`, `${vk}.${b}`, [c]);
      }
    });
  };
  read("encoder", plan.encoder, encModules);
  read("decoder", plan.decoder, decModules);
  const encOut = plan.encoder[plan.encoder.length - 1].output[0];
  const headNames = ae ? ["encoder.code"] : ["encoder.mean", "encoder.logvar"];
  heads.forEach((h, i) => {
    take(`${h}.weight`, `${headNames[i]}.weight`, [latentSize, encOut]);
    take(`${h}.bias`, `${headNames[i]}.bias`, [latentSize]);
  });
  const D = lists.inputSize;
  let learned = false;
  if (tensors.has("decoder.logsigma")) {
    take("decoder.logsigma", "decoder.logsigma", [D]);
    if (options.likelihoodScale !== undefined && (options.likelihoodScale as unknown) !== "learned") {
      throw new InvalidInputError(`readTorch: the state_dict has a learned σ (decoder.logsigma) but options.likelihoodScale is ${show(options.likelihoodScale)}; drop the option (or pass "learned")`);
    }
    learned = true;
  }
  for (const [name, t] of tensors) {
    if (!used.has(name)) {
      throw new ModelFormatError(`unexpected tensor '${name}' ${dims(t.shape)} in a state_dict read with ${naming} naming: no layer of options.encoder / options.decoder (or head ${heads.join(", ")}) takes it`);
    }
  }
  const config: Record<string, unknown> = { inputShape: lists.inputShape, encoder: lists.encoder, decoder: lists.decoder, latentSize };
  for (const k of ["leakySlope", "likelihood", "likelihoodScale", "beta", "seed", "latentActivation"] as const) {
    if (options[k] !== undefined) config[k] = options[k];
  }
  if (learned) config.likelihoodScale = "learned";
  if (kind === "ConditionalVAE") config.classes = classes;
  return { config: config as unknown as VAEConfig, weights, naming };
}
