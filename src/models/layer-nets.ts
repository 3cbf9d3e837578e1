// The encoder and decoder of a layer-list model (config.encoder / config.decoder), built from the planned layers:
// one module per parameterised layer, named encoder.layers.{i} / decoder.layers.{i} after its index in the list
// (flatten and reshape keep their index and have no module), then the encoder's mean and log-variance heads.
// Loaded by a dynamic import from the async create/load of a model whose config has layer lists.
import { BatchNorm } from "../nn/batch-norm.js";
import { Conv2d } from "../nn/conv2d.js";
import { conv2dTranspose } from "../nn/conv2d-transpose.js";
import { ParameterLayout, type Activation, type TensorPart } from "../nn/dense.js";
import { InvalidConfigError } from "../errors.js";
import { size } from "./config-checks.js";
import { resolveAutoencoderConfig, type ResolvedAutoencoderConfig } from "./autoencoder-config.js";
import { chwToHwc, DenseLayer, JoinLabel, Stack, type Layer } from "../nn/stack.js";
import type { ResolvedVAEConfig } from "./config.js";
import { checkLayerLists, planModel, type PlannedLayer, type Shape } from "./layers-config.js";
import { LikelihoodHead } from "./likelihood.js";

/** A latent model's networks: the parameter layout, encoder (x → [μ | log σ²]) and decoder (z → likelihood parameters). */
export interface LayerNets {
  layout: ParameterLayout;
  encoder: Stack;
  decoder: Stack;
  lik: LikelihoodHead;
  /** True when a layer needs the EXT kernels (conv, batch norm). */
  ext: boolean;
}

const count = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** The modules of one planned list; `head` (the encoder's) is a dense layer appended after the last layer (also run by vaekit/gan and vaekit/metrics). */
export function stack(layout: ParameterLayout, prefix: string, plan: readonly PlannedLayer[], inSize: number, alpha: number,
  classes: number, head?: { size: number; parts: TensorPart[]; activation?: Activation }): Stack {
  const layers: Layer[] = [];
  let join: JoinLabel | undefined;
  let width = inSize;
  for (const p of plan) {
    const s = p.spec, name = `${prefix}.layers.${p.index}`;
    switch (s.type) {
      case "dense":
        layers.push(new DenseLayer(layout, count(p.input), s.units, s.activation ?? "identity", alpha,
          [{ name, col: 0, cols: s.units }], chwToHwc(p.inChw), chwToHwc(p.outChw)));
        break;
      case "conv2d":
        layers.push(new Conv2d(layout, name, p.geometry!, s.activation ?? "identity", alpha));
        break;
      case "conv2dTranspose":
        layers.push(conv2dTranspose(layout, name, p.geometry!, s.activation ?? "identity", alpha));
        break;
      case "batchNorm": {
        const conv = p.input.length === 3;
        layers.push(new BatchNorm(layout, name, conv ? p.input[2] : p.input[0], conv ? p.input[0] * p.input[1] : 1,
          s.momentum ?? 0.1, s.epsilon ?? 1e-5, s.activation ?? "identity", alpha, conv ? undefined : chwToHwc(p.outChw)));
        break;
      }
      case "flatten":
        if (classes && !join) layers.push((join = new JoinLabel(count(p.input), classes)));
        break;
    }
    width = count(p.output);
  }
  if (head) {
    const last = plan[plan.length - 1];
    const inChw = last.spec.type === "flatten" ? last.input : undefined;
    layers.push(new DenseLayer(layout, width, head.size, head.activation ?? "identity", alpha, head.parts, chwToHwc(inChw), (o) => o));
    width = head.size;
  }
  return new Stack(layers, inSize, width, join);
}

/** Builds a layer-list latent model's networks (`classes` > 0: a conditional model's label joins both). */
export function layerNets(cfg: ResolvedVAEConfig, classes: number): LayerNets {
  const layout = new ParameterLayout();
  const L = cfg.latentSize, D = cfg.inputSize;
  const plan = planModel(cfg.inputShape!, cfg.encoder!, cfg.decoder!, L, classes);
  const encoder = stack(layout, "encoder", plan.encoder, count(plan.encoderInput), cfg.leakySlope, plan.encoderInput === cfg.inputShape ? classes : 0, {
    size: 2 * L, parts: [{ name: "encoder.mean", col: 0, cols: L }, { name: "encoder.logvar", col: L, cols: L }],
  });
  const decoder = stack(layout, "decoder", plan.decoder, L + classes, cfg.leakySlope, 0);
  const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
  const ext = [...cfg.encoder!, ...cfg.decoder!].some((l) => l.type !== "dense" && l.type !== "flatten" && l.type !== "reshape");
  return { layout, encoder, decoder, lik: new LikelihoodHead(cfg, D, logSigma), ext };
}

/** An Autoencoder's layer-list networks: encoder x → code (`encoder.code`, latentActivation), decoder code → x. */
export interface AutoencoderNets {
  cfg: ResolvedAutoencoderConfig;
  layout: ParameterLayout;
  encoder: Stack;
  decoder: Stack;
  logSigma: number;
  ext: boolean;
}

/**
 * Resolves an Autoencoder config with layer lists (the MLP fields hiddenSizes, decoderHiddenSizes and activation
 * must be absent, or as a resolved layer-list config has them: [], [], "identity") and builds its networks.
 */
export function autoencoderNets(config: unknown): AutoencoderNets {
  const { inputShape, encoder, decoder, ...rest } = config as Record<string, unknown>;
  for (const k of ["hiddenSizes", "decoderHiddenSizes", "activation"]) {
    const v = rest[k];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0) && v !== "identity") {
      throw new InvalidConfigError(`${k} goes with MLP configs; with encoder/decoder layer lists give each layer its own size and activation`);
    }
  }
  if (rest.inputSize === undefined && inputShape === undefined) throw new InvalidConfigError("inputShape is required with layer lists ([height, width, channels], e.g. [28, 28, 1])");
  if (rest.latentSize === undefined) throw new InvalidConfigError("latentSize is required (the code width, e.g. 32)");
  const lists = checkLayerLists({ inputShape, encoder, decoder, inputSize: rest.inputSize, latentSize: size("latentSize", rest.latentSize) }, 0);
  const base = resolveAutoencoderConfig({ ...rest, inputSize: lists.inputSize, hiddenSizes: [], decoderHiddenSizes: [], activation: "identity" });
  const cfg = { ...base, inputShape: lists.inputShape, encoder: lists.encoder, decoder: lists.decoder } as ResolvedAutoencoderConfig;
  const layout = new ParameterLayout();
  const H = cfg.latentSize, D = cfg.inputSize;
  const plan = planModel(lists.inputShape, lists.encoder, lists.decoder, H, 0);
  const enc = stack(layout, "encoder", plan.encoder, D, cfg.leakySlope, 0, {
    size: H, parts: [{ name: "encoder.code", col: 0, cols: H }], activation: cfg.latentActivation,
  });
  const dec = stack(layout, "decoder", plan.decoder, H, cfg.leakySlope, 0);
  const logSigma = cfg.likelihoodScale === "learned" ? layout.vector("decoder.logsigma", D, 0).offset : -1;
  const ext = [...lists.encoder, ...lists.decoder].some((l) => l.type !== "dense" && l.type !== "flatten" && l.type !== "reshape");
  return { cfg, layout, encoder: enc, decoder: dec, logSigma, ext };
}

// ---- vaekit/grouped (MultiLevelVAE, HybridVAE): their own heads on a layer list ----
/** The modules of a planned layer list with an optional dense head (the grouped models name their heads' parts). */
export const layerStack = stack;
/** True when a list has a layer that needs the EXT kernels (conv, batch norm). */
export const needsExt = (layers: readonly { type: string }[]): boolean => layers.some((l) => l.type !== "dense" && l.type !== "flatten" && l.type !== "reshape");
