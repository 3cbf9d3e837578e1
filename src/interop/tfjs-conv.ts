// Imports TF.js layers models with Conv2D / Conv2DTranspose / BatchNormalization layers (Keras's conv VAE saved by
// TF.js) as a layer-list VAE: each Keras layer becomes one entry of `config.encoder` / `config.decoder` (activation
// layers fold into the layer before them, Dropout-like layers are passed over), and its weights go to vaekit's
// names in PyTorch's layouts:
//   Conv2D kernel [kH, kW, in, out] → [out, in, kH, kW]; Conv2DTranspose kernel [kH, kW, out, in] → [in, out, kH, kW];
//   Dense kernel [in, out] → [out, in], its columns after a Flatten and its rows before a Reshape reordered from
//   Keras's H-W-C order to PyTorch's C-H-W (vaekit's file order); BatchNormalization gamma/beta/moving_mean/
//   moving_variance → weight/bias/running_mean/running_var (momentum m → vaekit's 1 − m).
// Keras's "same"/"valid" padding is vaekit's own "same"/"valid" (the extra zero at the end, as TensorFlow does).
import { InvalidConfigError, InvalidInputError, type VAEConfig } from "../index.js";
import { show } from "../errors-format.js";
import { planModel, type LayerSpec, type PlannedLayer } from "../models/layers-config.js";
import { chwToHwc } from "../nn/stack.js";
import { activation, activationLayer, fail, find, isObject, type Act, type TfjsImport, type TfjsImportOptions, type WeightTable } from "./tfjs-layers.js";

/** Layer classes that make a model a layer-list (conv) model for the importer. */
export const CONV_CLASSES = new Set(["Conv2D", "Conv2DTranspose", "BatchNormalization"]);
const SKIP = new Set(["Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout2D"]);
const ACTIVATIONS = new Set(["Activation", "ReLU", "LeakyReLU"]);

/** One layer of a topology, as listed. */
interface KLayer { cls: string; name: string; config: Record<string, unknown>; inbound: string[] }
/** A parsed model: its layers in order (nested models refused), output layer names, its weights. */
export interface KModel { label: string; layers: KLayer[]; outputs: string[]; table: WeightTable }

/** Lists a topology's layers (a Sequential or a functional model, not nested). */
export function listLayers(topology: unknown, table: WeightTable, label: string): KModel {
  let top = topology as Record<string, unknown>;
  if (isObject(top) && isObject(top.model_config)) top = top.model_config;
  if (!isObject(top) || typeof top.class_name !== "string") fail(`the ${label} model's topology is not a TF.js layers model (no class_name); expected format "layers-model"`);
  const cfg = (isObject(top.config) || Array.isArray(top.config) ? top.config : {}) as Record<string, unknown>;
  const raw = (Array.isArray(cfg) ? cfg : cfg.layers) as unknown;
  if (!Array.isArray(raw)) fail(`the ${label} model's ${top.class_name} has no layer list`);
  const layers: KLayer[] = [];
  let prev: string | undefined;
  for (const l of raw as Record<string, unknown>[]) {
    if (!isObject(l) || typeof l.class_name !== "string") fail(`the ${label} model has a malformed layer entry ${show(l)}`);
    const c = (isObject(l.config) ? l.config : {}) as Record<string, unknown>;
    const name = String(l.name ?? c.name ?? "");
    const cls = l.class_name as string;
    if (cls === "Sequential" || cls === "Model" || cls === "Functional") {
      fail(`the ${label} model nests the model '${name}'; pass the encoder and the decoder as separate models ({ encoder, decoder })`);
    }
    const nodes = l.inbound_nodes;
    const inbound = Array.isArray(nodes) && Array.isArray(nodes[0]) ? (nodes[0] as unknown[]).map((e) => String(Array.isArray(e) ? e[0] : "")) : prev ? [prev] : [];
    layers.push({ cls, name, config: c, inbound });
    prev = name;
  }
  const outputs = Array.isArray(cfg.output_layers) ? (cfg.output_layers as unknown[][]).map((o) => String(o[0])) : [prev ?? ""];
  return { label, layers, outputs, table };
}

const ints = (v: unknown, where: string): [number, number] => {
  const a = typeof v === "number" ? [v, v] : v;
  if (!Array.isArray(a) || a.length !== 2 || !a.every((x) => Number.isInteger(x) && x >= 1)) fail(`${where} is ${show(v)}; expected two positive integers`);
  return a as [number, number];
};

/** A Keras layer turned into a vaekit layer: its spec, and how to fill its tensors once the list is planned. */
interface Mapped { spec: LayerSpec; from: string; act?: Act; fill?: (name: string, p: PlannedLayer, out: Record<string, Float32Array>) => void }

function tensor(table: WeightTable, layer: string, part: string, shape: number[] | undefined, label: string): Float32Array {
  const w = find(table, layer, part);
  if (!w) return fail(`no weight '${layer}/${part}' for layer '${layer}' in the ${label} model's weights`);
  if (shape && w.shape.join() !== shape.join()) fail(`'${layer}/${part}' has shape [${w.shape.join(", ")}]; expected [${shape.join(", ")}]`);
  const bad = w.values.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) fail(`layer '${layer}' has a non-finite value in '${part}' (${w.values[bad]}); weights must be finite`);
  return w.values;
}

/** Maps one Keras layer (not an activation or skipped layer). `channels`: the input's channel count for images. */
function mapLayer(l: KLayer, m: KModel): Mapped {
  const c = l.config, where = `${l.cls} layer '${l.name}' of the ${m.label} model`;
  if (c.data_format !== undefined && c.data_format !== null && c.data_format !== "channels_last") fail(`${where} has data_format ${show(c.data_format)}; vaekit's images are channels_last`);
  switch (l.cls) {
    case "Conv2D":
    case "Conv2DTranspose": {
      const transpose = l.cls === "Conv2DTranspose";
      if (ints(c.dilation_rate ?? 1, `${where}: dilation_rate`).some((d) => d !== 1)) fail(`${where} has dilation_rate ${show(c.dilation_rate)}; vaekit's conv layers have no dilation`);
      if ((c.groups ?? 1) !== 1) fail(`${where} has groups ${show(c.groups)}; vaekit's conv layers are not grouped`);
      if (c.output_padding !== undefined && c.output_padding !== null) fail(`${where} has output_padding ${show(c.output_padding)}; vaekit reads Keras's "same"/"valid" transposed layers without it`);
      const padding = c.padding;
      if (padding !== "same" && padding !== "valid") fail(`${where} has padding ${show(padding)}; expected "same" or "valid"`);
      const [kH, kW] = ints(c.kernel_size, `${where}: kernel_size`);
      const strides = ints(c.strides ?? 1, `${where}: strides`);
      const filters = c.filters as number;
      const spec = { type: l.cls === "Conv2D" ? "conv2d" : "conv2dTranspose", filters, kernelSize: [kH, kW], strides, padding } as LayerSpec;
      return {
        spec, from: l.name, act: activation(c.activation, l.name),
        fill: (name, p, out) => {
          const g = p.geometry!, inC = g.inC, outC = g.outC;
          // Keras: Conv2D [kH, kW, in, out]; Conv2DTranspose [kH, kW, out, in]
          const k = tensor(m.table, l.name, "kernel", transpose ? [kH, kW, outC, inC] : [kH, kW, inC, outC], m.label);
          const w = new Float32Array(k.length);
          for (let o = 0; o < outC; o++) for (let i = 0; i < inC; i++) for (let y = 0; y < kH; y++) for (let x = 0; x < kW; x++) {
            const t = transpose ? ((i * outC + o) * kH + y) * kW + x : ((o * inC + i) * kH + y) * kW + x;
            w[t] = k[transpose ? ((y * kW + x) * outC + o) * inC + i : ((y * kW + x) * inC + i) * outC + o];
          }
          out[`${name}.weight`] = w;
          out[`${name}.bias`] = c.use_bias === false ? new Float32Array(outC) : tensor(m.table, l.name, "bias", [outC], m.label).slice();
        },
      };
    }
    case "Dense":
      return {
        spec: { type: "dense", units: c.units as number }, from: l.name, act: activation(c.activation, l.name),
        fill: (name, p, out) => {
          const K = p.input[0], N = (p.spec as { units: number }).units;
          const k = tensor(m.table, l.name, "kernel", [K, N], m.label);
          const inAt = chwToHwc(p.inChw), outAt = chwToHwc(p.outChw);
          const w = new Float32Array(K * N), b = new Float32Array(N);
          const bias = c.use_bias === false ? undefined : tensor(m.table, l.name, "bias", [N], m.label);
          for (let o = 0; o < N; o++) {
            for (let i = 0; i < K; i++) w[o * K + i] = k[inAt(i) * N + outAt(o)];
            if (bias) b[o] = bias[outAt(o)];
          }
          out[`${name}.weight`] = w;
          out[`${name}.bias`] = b;
        },
      };
    case "BatchNormalization": {
      const axis = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? -1);
      const momentum = c.momentum ?? 0.99, epsilon = c.epsilon ?? 1e-3;
      if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) fail(`${where} has momentum ${show(momentum)}; expected a number in [0, 1]`);
      if (typeof epsilon !== "number" || !(epsilon > 0)) fail(`${where} has epsilon ${show(epsilon)}; expected a positive number`);
      return {
        spec: { type: "batchNorm", momentum: Math.round((1 - (momentum as number)) * 1e12) / 1e12, epsilon: epsilon as number }, from: l.name,
        fill: (name, p, out) => {
          const image = p.input.length === 3, C = image ? p.input[2] : p.input[0];
          if (axis !== -1 && axis !== (image ? 3 : 1)) fail(`${where} normalises axis ${show(c.axis)}; vaekit's batch norm is over the channels (axis -1)`);
          const at = image ? (t: number) => t : chwToHwc(p.outChw);
          const get = (part: string, on: boolean, fill: number): Float32Array => {
            const v = on ? tensor(m.table, l.name, part, [C], m.label) : new Float32Array(C).fill(fill);
            return Float32Array.from({ length: C }, (_, t) => v[at(t)]);
          };
          out[`${name}.weight`] = get("gamma", c.scale !== false, 1);
          out[`${name}.bias`] = get("beta", c.center !== false, 0);
          out[`${name}.running_mean`] = get("moving_mean", true, 0);
          const variance = get("moving_variance", true, 1);
          const neg = variance.findIndex((v) => v < 0);
          if (neg >= 0) fail(`${where} has a negative moving_variance (${variance[neg]})`);
          out[`${name}.running_var`] = variance;
        },
      };
    }
    case "Flatten":
      return { spec: { type: "flatten" }, from: l.name };
    case "Reshape": {
      const s = c.target_shape;
      if (!Array.isArray(s) || s.length !== 3) fail(`${where} has target_shape ${show(s)}; vaekit reshapes flat rows to images [height, width, channels]`);
      return { spec: { type: "reshape", shape: s as [number, number, number] }, from: l.name };
    }
    default:
      return fail(`${where}: vaekit imports Conv2D, Conv2DTranspose, Dense, BatchNormalization, Flatten, Reshape and activation layers; a ${l.cls} has no vaekit equivalent`);
  }
}

/** A chain of Keras layers as vaekit layers (activation layers folded into the layer before them). */
function mapChain(chain: KLayer[], m: KModel, skipped: string[]): Mapped[] {
  const out: Mapped[] = [];
  for (const l of chain) {
    if (l.cls === "InputLayer" || SKIP.has(l.cls)) {
      skipped.push(l.name);
      continue;
    }
    if (ACTIVATIONS.has(l.cls)) {
      const last = out[out.length - 1];
      if (!last || last.spec.type === "flatten" || last.spec.type === "reshape") {
        fail(`${l.cls} layer '${l.name}' of the ${m.label} model follows ${last ? `the ${last.spec.type} '${last.from}'` : "the input"}; vaekit applies activations in conv, dense and batch-norm layers only`);
      }
      if (last!.act && last!.act.kind !== "identity") fail(`${l.cls} layer '${l.name}' follows layer '${last!.from}', which already applies ${last!.act.kind}`);
      last!.act = activationLayer(l.cls, l.config, l.name);
      continue;
    }
    out.push(mapLayer(l, m));
  }
  return out;
}

/** The input shape a model's first layer (or its InputLayer) declares, without the batch dimension. */
function inputShapeOf(m: KModel): number[] {
  const first = m.layers[0]?.config ?? {};
  const s = (first.batch_input_shape ?? first.batch_shape) as unknown;
  if (!Array.isArray(s) || s.length < 2 || !s.slice(1).every((x) => Number.isInteger(x) && x > 0)) {
    return fail(`the ${m.label} model declares no input shape (batch_input_shape ${show(s)}); expected [null, height, width, channels] or [null, values]`);
  }
  return s.slice(1) as number[];
}

/** The chain of layers from the input to `end` (exclusive of layers downstream of the heads), in listed order. */
function chainTo(m: KModel, heads: readonly string[]): KLayer[] {
  const downstream = new Set(heads);
  const chain: KLayer[] = [];
  for (const l of m.layers) {
    if (downstream.has(l.name)) continue;
    if (l.inbound.some((i) => downstream.has(i))) {
      downstream.add(l.name); // e.g. a sampling layer after the heads
      continue;
    }
    const prev = chain[chain.length - 1];
    if (prev && (l.inbound.length !== 1 || l.inbound[0] !== prev.name)) {
      fail(`layer '${l.name}' of the ${m.label} model takes ${l.inbound.length ? l.inbound.map((i) => `'${i}'`).join(", ") : "no input"}, not the layer before it ('${prev.name}'); vaekit imports chains of layers (with the encoder's two heads at the end)`);
    }
    chain.push(l);
  }
  return chain;
}

const actName = (a: Act): string => (a.kind === "leaky_relu" ? `leaky_relu(${a.slope})` : a.kind);

/**
 * Reads an encoder and a decoder model with conv / batch-norm layers into a layer-list VAE config and its weights
 * (see the file's header for the mapping). The encoder ends in two linear Dense heads (mean, then log-variance: its
 * functional outputs) or, in a Sequential, one linear Dense of 2·latent units split in halves.
 */
export function readLayerLists(enc: KModel, dec: KModel, options: TfjsImportOptions): TfjsImport {
  if (options.names !== undefined) throw new InvalidInputError("readTfjs: options.names maps dense-only models; a model with conv or batch-norm layers is read layer by layer in order");
  const skipped: string[] = [];
  const denseOut = enc.outputs.filter((o) => enc.layers.find((l) => l.name === o)?.cls === "Dense");
  let heads: string[];
  let fused: KLayer | undefined;
  if (denseOut.length >= 2) heads = denseOut.slice(0, 2);
  else {
    const last = enc.layers[enc.layers.length - 1];
    if (!last || last.cls !== "Dense" || (last.config.units as number) % 2 !== 0) {
      return fail(`cannot find the encoder's mean and log-variance layers: expected a functional encoder with two Dense outputs (mean, then log-variance) or a last Dense layer of 2·latent units; its last layer is ${last ? `the ${last.cls} '${last.name}'` : "missing"}`);
    }
    heads = [last.name];
    fused = last;
  }
  const headLayers = heads.map((h) => enc.layers.find((l) => l.name === h)!);
  const chain = chainTo(enc, heads);
  const top = chain[chain.length - 1]?.name;
  for (const h of headLayers) {
    if (h.inbound.length !== 1 || h.inbound[0] !== top) fail(`the encoder's head '${h.name}' takes ${h.inbound.map((i) => `'${i}'`).join(", ") || "no input"}; expected the last layer of the chain before it ('${top}')`);
    const a = activation(h.config.activation, h.name);
    if (a.kind !== "identity") fail(`the encoder's head '${h.name}' applies ${a.kind}; vaekit's mean and log-variance heads are linear`);
  }
  const encoder = mapChain(chain, enc, skipped);
  const decoder = mapChain(chainTo(dec, []), dec, skipped);
  skipped.push(...enc.layers.filter((l) => !chain.includes(l) && !heads.includes(l.name)).map((l) => l.name));
  if (decoder.length === 0) fail("the decoder model has no layers vaekit imports");

  // activations: per layer; LeakyReLU slopes must agree (vaekit has one leakySlope per model); the decoder's last
  // layer ends in a sigmoid (Bernoulli: vaekit's decoder outputs logits) or is linear
  const last = decoder[decoder.length - 1];
  const outAct = last.act ?? { kind: "identity", slope: 0, from: last.from };
  let likelihood = options.likelihood;
  if (outAct.kind === "sigmoid") {
    if (likelihood !== undefined && likelihood !== "bernoulli") fail(`the decoder's last layer '${outAct.from}' ends in a sigmoid, which is the Bernoulli likelihood's mean; options.likelihood is "${likelihood}"`);
    likelihood = "bernoulli";
    last.act = undefined;
  } else if (outAct.kind === "identity") likelihood ??= "gaussian";
  else fail(`the decoder's last layer '${outAct.from}' applies ${outAct.kind}; vaekit's decoder ends in a sigmoid (Bernoulli) or is linear (Gaussian, Laplace)`);
  const leaky = [...encoder, ...decoder].map((l) => l.act).filter((a): a is Act => a?.kind === "leaky_relu");
  for (const a of leaky) {
    if (a.slope !== leaky[0].slope) fail(`LeakyReLU slopes differ: '${leaky[0].from}' uses ${actName(leaky[0])} but '${a.from}' uses ${actName(a)}; vaekit has one leakySlope per model`);
  }
  const specs = (list: Mapped[]): LayerSpec[] => list.map((l) => (l.act && l.act.kind !== "identity" ? { ...l.spec, activation: l.act.kind } : l.spec) as LayerSpec);

  const inputShape = inputShapeOf(enc);
  const latentSize = fused ? (fused.config.units as number) / 2 : (headLayers[0].config.units as number);
  const encSpecs = specs(encoder), decSpecs = specs(decoder);
  let plan: ReturnType<typeof planModel>;
  try {
    plan = planModel(inputShape, encSpecs, decSpecs, latentSize, 0);
  } catch (e) {
    if (e instanceof InvalidConfigError) fail(`the TF.js layers don't form a vaekit VAE: ${e.message} (encoder[i] / decoder[i] count the imported layers: ${[...encoder, ...decoder].map((l) => l.from).join(", ")})`);
    throw e;
  }
  const dIn = dec.layers[0] ? inputShapeOf(dec) : [];
  if (dIn.length !== 1 || dIn[0] !== latentSize) fail(`the decoder model takes input [${dIn.join(", ")}]; expected [${latentSize}], the encoder's latent size`);

  const weights: Record<string, Float32Array> = {};
  const layers: Record<string, string> = {};
  for (const [prefix, list, planned] of [["encoder", encoder, plan.encoder], ["decoder", decoder, plan.decoder]] as const) {
    list.forEach((l, i) => {
      const name = `${prefix}.layers.${i}`;
      layers[name] = l.from;
      l.fill?.(name, planned[i], weights);
    });
  }
  // heads: [out, in], their columns in C-H-W order when a Flatten feeds them
  const lastEnc = plan.encoder[plan.encoder.length - 1];
  const K = lastEnc.output[0], L = latentSize;
  const inAt = chwToHwc(lastEnc.spec.type === "flatten" ? lastEnc.input : undefined);
  const headTensors = (h: KLayer, col: number, vaekit: string): void => {
    const N = h.config.units as number;
    const k = tensor(enc.table, h.name, "kernel", [K, N], enc.label);
    const bias = h.config.use_bias === false ? undefined : tensor(enc.table, h.name, "bias", [N], enc.label);
    const w = new Float32Array(L * K), b = new Float32Array(L);
    for (let o = 0; o < L; o++) {
      for (let i = 0; i < K; i++) w[o * K + i] = k[inAt(i) * N + col + o];
      if (bias) b[o] = bias[col + o];
    }
    weights[`${vaekit}.weight`] = w;
    weights[`${vaekit}.bias`] = b;
    layers[vaekit] = fused ? `${h.name}[${col}:${col + L}]` : h.name;
  };
  if (fused) {
    headTensors(fused, 0, "encoder.mean");
    headTensors(fused, L, "encoder.logvar");
  } else {
    headTensors(headLayers[0], 0, "encoder.mean");
    headTensors(headLayers[1], 0, "encoder.logvar");
  }
  const config: VAEConfig = {
    inputShape: inputShape as VAEConfig["inputShape"],
    latentSize,
    encoder: encSpecs,
    decoder: decSpecs,
    likelihood,
    ...(leaky.length ? { leakySlope: leaky[0].slope } : {}),
    ...(options.likelihoodScale !== undefined ? { likelihoodScale: options.likelihoodScale } : {}),
    ...(options.beta !== undefined ? { beta: options.beta } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  };
  return { config, weights, layers, skipped };
}

/** True when a topology (nested models included) has a layer only the layer-list importer reads. */
export function hasConvLayers(topology: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (Array.isArray(topology)) return topology.some((t) => hasConvLayers(t, depth + 1));
  if (!isObject(topology)) return false;
  if (typeof topology.class_name === "string" && CONV_CLASSES.has(topology.class_name)) return true;
  return ["model_config", "config", "layers"].some((k) => hasConvLayers(topology[k], depth + 1));
}

