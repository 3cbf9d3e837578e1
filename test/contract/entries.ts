// The model contract suite's table: one entry per model (class, or configuration of a class that runs different
// code), saying how to make a small instance and a small dataset, how to call each of its capabilities with
// deterministic arguments, the float64 reference of its objective, and the calls it must refuse. Only the public
// API (src/index.ts) is used, so the suite holds whatever the models are built from.
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, VAE, type AutoencoderConfig, type AutoencoderTerms, type ConditionalVAEConfig,
  type EngineOptions, type FitOptions, type HierarchicalVAEConfig, type ModelApi, type ModelKind, type Terms,
  type VAEConfig,
} from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";
import { CVAEGAN, VAEGAN, type CVAEGANConfig, type VAEGANConfig } from "../../src/gan.js"; // vaekit/gan
import type { GradientCheck } from "../sdk/gradcheck.js";
import { layersObjective, type LayersConfig } from "../sdk/conv-reference.js";
import {
  aeObjective, hierarchicalObjective, latentObjective, type AeConfig, type HierarchicalConfig, type LatentConfig,
} from "../sdk/reference.js";
// sequences: the VRNN lives in the vaekit/sequence entry
import { VRNN, type VRNNConfig } from "../../src/sequence.js";
import { vrnnObjective, type VrnnConfig } from "../sdk/reference.js";
// the tabular model (vaekit/tabular's public API)
import { TabularVAE, type Column } from "../../src/tabular.js";
import { tabularObjective, type TabularColumn } from "../sdk/reference.js";
import { cvaeGanObjective, vaeGanObjective, type CvaeGanConfig, type VaeGanConfig } from "../sdk/reference.js"; // vaekit/gan

/**
 * What the suite needs from every model: the parts of the public API all model classes share, the shared model
 * interface (ModelApi) included, so that an entry whose class does not implement it fails to compile.
 */
export type Common = ModelApi<Terms>;

/** A small dataset: n examples (values per example = the model's inputSize), labels where the model takes them, latent rows for decode. */
export interface Batch {
  n: number;
  x: Float32Array;
  labels?: number[];
  z: Float32Array;
  /** A group id per example, for models of grouped observations (passed to fit and fitAny). */
  groups?: number[];
  /** Which parts each example has ([n, parts] of 0/1), for multi-part models (passed to fit and fitAny). */
  present?: Float32Array;
}

/** Anything a call returns: typed arrays, numbers, and objects or arrays of them. Compared bit for bit. */
export type Output = unknown;

export interface Entry<M extends Common = Common> {
  /** Shown in test names. */
  name: string;
  /** The class name written in the model's file. */
  kind: ModelKind;
  create(engine?: EngineOptions): Promise<M>;
  /** The class's own loader (X.load). */
  load(bytes: Uint8Array, engine?: EngineOptions): Promise<M>;
  /** A small dataset of n examples, drawn from `seed`, valid for the model's likelihood. */
  data(n: number, seed: number): Batch;
  fit(m: M, b: Batch, options: FitOptions): Promise<unknown[]>;
  /** Every deterministic output the model offers (random ones with explicit seeds), by name. */
  outputs: Record<string, (m: M, b: Batch) => Output>;
  /** A draw from the model's own seedless stream (each call continues it), if it has one. */
  seedless?: (m: M) => Output;
  /** The model's gradients on b and its objective in any back end (test/sdk/reference.ts), at its current weights. */
  gradients(m: M, b: Batch): Omit<GradientCheck, "model" | "label" | "probes">;
  /**
   * Calls the model must refuse with a typed error (a VaekitError subclass), leaving it exactly as it was. Only
   * calls that hold on main today belong here (see the README).
   */
  badCalls: Record<string, (m: M, b: Batch) => unknown>;
  /** Every public method with valid arguments: each must throw DisposedError (fit: reject) after dispose(). */
  methods: Record<string, (m: M, b: Batch) => unknown>;
}

/** Types an entry by its class, stores it untyped in the table; every entry also refuses UNIFORM_BAD_CALLS. */
const entry = <M extends Common>(e: Entry<M>): Entry => ({ ...e, badCalls: { ...e.badCalls, ...UNIFORM_BAD_CALLS } }) as unknown as Entry;

/** Labels that are wrong for m by its capabilities: none for a conditional model, some for an unconditional one. */
const wrongLabels = (m: Common, b: Batch): number[] | undefined => (m.capabilities.classes > 0 ? undefined : new Array<number>(b.n).fill(0));
const wrongLabel = (m: Common): number | undefined => (m.capabilities.classes > 0 ? undefined : 0);
/** Labels that are right for m (the batch's, which exist exactly for a conditional model). */
const labelsOf = (b: Batch): number[] | undefined => b.labels;

/**
 * Uniform (ModelApi) calls that are wrong for every model, each by what its capabilities say: a call a capability
 * rules out, or else labels where capabilities.classes says otherwise. Each must be refused with a typed error.
 */
const UNIFORM_BAD_CALLS: Record<string, (m: Common, b: Batch) => unknown> = {
  "encodeAny: labels against capabilities.classes": (m, b) => m.encodeAny(b.x, { labels: wrongLabels(m, b) }),
  "encodeAny: a layer not in capabilities.latentLayers": (m, b) => m.encodeAny(b.x, { labels: labelsOf(b), layer: "nope" }),
  "decodeAny: a label against capabilities.classes": (m, b) => m.decodeAny(b.z, { label: wrongLabel(m) }),
  "evaluateAny: labels against capabilities.classes": (m, b) => m.evaluateAny(b.x, { labels: wrongLabels(m, b), seed: 1 }),
  "reconstructAny: labels against capabilities.classes": (m, b) => m.reconstructAny(b.x, { labels: wrongLabels(m, b) }),
  "reconstructAny: sample where capabilities.sampledReconstruction is false, or labels against classes": (m, b) =>
    m.reconstructAny(b.x, { sample: true, seed: 1, labels: m.capabilities.sampledReconstruction ? wrongLabels(m, b) : labelsOf(b) }),
  "sampleAny: where capabilities.sampling is false, or a label against classes": (m, b) =>
    m.sampleAny(2, { seed: 1, label: m.capabilities.sampling ? wrongLabel(m) : b.labels?.[0] }),
  "sampleAny (seedless): where capabilities.sampling is false, or a label against classes": (m, b) =>
    m.sampleAny(2, { label: m.capabilities.sampling ? wrongLabel(m) : b.labels?.[0] }),
  "latentGridAny: where capabilities.sampling is false, or a label against classes": (m, b) =>
    m.latentGridAny({ size: 2, label: m.capabilities.sampling ? wrongLabel(m) : b.labels?.[0] }),
  "logLikelihoodAny: where capabilities.logLikelihood is false, or labels against classes": (m, b) =>
    m.logLikelihoodAny(b.x, { samples: 2, seed: 1, labels: m.capabilities.logLikelihood ? wrongLabels(m, b) : labelsOf(b) }),
  "interpolateAny: a label against capabilities.classes": (m) => {
    const L = m.capabilities.latentSize;
    return m.interpolateAny(new Float32Array(L), new Float32Array(L).fill(1), { steps: 3, label: wrongLabel(m) });
  },
  "traverseAny: a label against capabilities.classes": (m) => m.traverseAny(new Float32Array(m.capabilities.latentSize), 0, { label: wrongLabel(m) }),
  "fitAny: labels against capabilities.classes": (m, b) => m.fitAny(b.x, { epochs: 1, labels: wrongLabels(m, b) }),
};

/**
 * Every uniform (ModelApi) call that m's capabilities allow, with valid arguments (labels exactly where
 * capabilities.classes > 0), by name. The keys of ModelApi's calls it leaves out are the ones the capabilities
 * rule out.
 */
export function uniformCalls(m: Common, b: Batch): Record<string, () => unknown> {
  const c = m.capabilities, L = c.latentSize, labels = labelsOf(b), label = b.labels?.[0];
  const calls: Record<string, () => unknown> = {
    fitAny: () => m.fitAny(b.x, { epochs: 1, batchSize: 8, labels }),
    evaluateAny: () => m.evaluateAny(b.x, { labels, seed: 2 }),
    encodeAny: () => m.encodeAny(b.x, { labels }),
    decodeAny: () => m.decodeAny(b.z, { label: b.labels }),
    reconstructAny: () => m.reconstructAny(b.x, { labels }),
    interpolateAny: () => m.interpolateAny(new Float32Array(L), new Float32Array(L).fill(1), { steps: 3, label }),
    traverseAny: () => m.traverseAny(new Float32Array(L), 0, { values: [-1, 0, 1], label }),
  };
  if (c.sampledReconstruction) calls["reconstructAny (sampled)"] = () => m.reconstructAny(b.x, { labels, sample: true, seed: 3 });
  if (c.sampling) {
    calls.sampleAny = () => m.sampleAny(5, { seed: 7, label });
    calls.latentGridAny = () => m.latentGridAny({ size: 2, label });
  }
  if (c.logLikelihood) calls.logLikelihoodAny = () => m.logLikelihoodAny(b.x.subarray(0, 3 * c.inputSize), { labels: labels?.slice(0, 3), samples: 6, seed: 1 });
  return calls;
}

/** Unit-interval data with about a third exact zeros (so the first layer's zero-skipping path runs). */
function unit(n: number, D: number, seed: number): Float32Array {
  return randomArray(n * D, seed, 0, 1).map((v) => (v < 0.33 ? 0 : v));
}

const real = (n: number, D: number, seed: number): Float32Array => randomArray(n * D, seed, -2, 2);

const withNaN = (x: Float32Array): Float32Array => {
  const y = x.slice();
  y[y.length >> 1] = NaN;
  return y;
};

/** The k of the training objective (the reference objectives' ε has n·k rows). */
const samplesOf = (c: { objective: string; samples: number }): number => (c.objective === "iwae" || c.samples > 1 ? c.samples : 1);

const D = 32, L = 8;

/** Bad fit options every model refuses (the data is fine). */
function badFits<M extends Common>(fit: (m: M, b: Batch, o: FitOptions) => Promise<unknown>): Record<string, (m: M, b: Batch) => unknown> {
  return {
    "fit: epochs 0": (m, b) => fit(m, b, { epochs: 0 }),
    "fit: batchSize 2.5": (m, b) => fit(m, b, { batchSize: 2.5 }),
    "fit: negative learningRate": (m, b) => fit(m, b, { learningRate: -1e-3 }),
    "fit: NaN learningRate": (m, b) => fit(m, b, { learningRate: NaN }),
    "fit: learningRate above its range": (m, b) => fit(m, b, { learningRate: 1e30 }),
    "fit: unknown optimizer": (m, b) => fit(m, b, { optimizer: "rmsprop" as never }),
    "fit: misspelt option": (m, b) => fit(m, b, { epoch: 2 } as never),
    "fit: NaN in the data": (m, b) => fit(m, { ...b, x: withNaN(b.x) }, { epochs: 1 }),
    "fit: data not a whole number of examples": (m, b) => fit(m, { ...b, x: b.x.subarray(1) }, { epochs: 1 }),
  };
}

// ---- VAE ----

function vae(name: string, extra: Partial<VAEConfig>, data: "unit" | "real", layers = false): Entry {
  const config: VAEConfig = { inputSize: D, hiddenSizes: [64], latentSize: L, activation: "tanh", seed: 5, ...extra };
  const fit = (m: VAE, b: Batch, o: FitOptions) => m.fit(b.x, o);
  return entry<VAE>({
    name: `VAE ${name}`,
    kind: "VAE",
    create: (engine) => VAE.create(config, engine),
    load: (bytes, engine) => VAE.load(bytes, engine),
    data: (n, seed) => ({ n, x: data === "unit" ? unit(n, D, seed) : real(n, D, seed), z: real(n, L, seed + 1) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      "reconstruct (sampled)": (m, b) => m.reconstruct(b.x, { sample: true, seed: 3 }),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, { seed: 4 }),
      logLikelihood: (m, b) => m.logLikelihood(b.x.subarray(0, 3 * D), { samples: 6, seed: 1 }),
      elbo: (m, b) => m.elbo(b.x.subarray(0, 3 * D), { samples: 2, seed: 1 }),
      klPerDimension: (m, b) => m.klPerDimension(b.x),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const cfg = m.config as unknown as LatentConfig;
      const K = samplesOf(cfg);
      const eps = randomArray(b.n * K * L, 12, -2, 2);
      const step = m.trainingSteps;
      return {
        result: m.gradients(b.x, { epsilon: eps }),
        objective: (o, W) => layers
          ? layersObjective(o, W, cfg as LayersConfig, o.input(b.x, b.n, D), b.n, o.input(eps, b.n, L))
          : latentObjective(o, W, cfg, o.input(b.x, b.n, D), b.n, o.input(eps, b.n * K, L), undefined, step),
      };
    },
    badCalls: {
      "encode: data not a whole number of examples": (m, b) => m.encode(b.x.subarray(1)),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x)),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "decode: NaN latent": (m, b) => m.decode(withNaN(b.z)),
      "evaluate: NaN in the data": (m, b) => m.evaluate(withNaN(b.x), { seed: 1 }),
      "evaluate: seed -1": (m, b) => m.evaluate(b.x, { seed: -1 }),
      "reconstruct: seed 1.5": (m, b) => m.reconstruct(b.x, { sample: true, seed: 1.5 }),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, { epsilon: new Float32Array(b.n * L + 1) }),
      "logLikelihood: samples 0": (m, b) => m.logLikelihood(b.x, { samples: 0 }),
      "sample: seed 2^32": (m) => m.sample(2, { seed: 2 ** 32 }),
      "sample: n = -1 (seedless)": (m) => m.sample(-1),
      "sample: n = 1.5 (seedless)": (m) => m.sample(1.5),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      "setWeights: a NaN weight": (m) => {
        const w = m.getWeights();
        w[layers ? "decoder.layers.4.bias" : "decoder.output.bias"][0] = NaN;
        m.setWeights(w);
      },
      ...(data === "unit" ? { "evaluate: values outside [0, 1] for this likelihood": (m: VAE, b: Batch) => m.evaluate(b.x.map((v) => v + 2)) } : {}),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      logLikelihood: (m, b) => m.logLikelihood(b.x, { samples: 2 }),
      elbo: (m, b) => m.elbo(b.x),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      interpolate: (m, b) => m.interpolate(b.x.subarray(0, D), b.x.subarray(D, 2 * D)),
      traverse: (m) => m.traverse(new Float32Array(L), 0),
      latentGrid: (m) => m.latentGrid(),
      klPerDimension: (m, b) => m.klPerDimension(b.x),
      activeUnits: (m, b) => m.activeUnits(b.x),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

// ---- ConditionalVAE ----

const C = 4;

function oneHot(labels: number[]): Float32Array {
  const y = new Float32Array(labels.length * C);
  labels.forEach((c, i) => (y[i * C + c] = 1));
  return y;
}

function cvae(name: string, extra: Partial<ConditionalVAEConfig>, data: "unit" | "real", layers = false): Entry {
  const config: ConditionalVAEConfig = { inputSize: D, hiddenSizes: [64], latentSize: L, classes: C, activation: "tanh", seed: 6, ...extra };
  const fit = (m: ConditionalVAE, b: Batch, o: FitOptions) => m.fit(b.x, b.labels!, o);
  return entry<ConditionalVAE>({
    name: `ConditionalVAE ${name}`,
    kind: "ConditionalVAE",
    create: (engine) => ConditionalVAE.create(config, engine),
    load: (bytes, engine) => ConditionalVAE.load(bytes, engine),
    data: (n, seed) => ({
      n, x: data === "unit" ? unit(n, D, seed) : real(n, D, seed), z: real(n, L, seed + 1),
      labels: Array.from(randomArray(n, seed + 2, 0, C), Math.floor),
    }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x, b.labels!),
      decode: (m, b) => m.decode(b.z, b.labels!),
      "decode (one label)": (m, b) => m.decode(b.z, 2),
      reconstruct: (m, b) => m.reconstruct(b.x, b.labels!),
      "reconstruct (sampled)": (m, b) => m.reconstruct(b.x, b.labels!, { sample: true, seed: 3 }),
      sample: (m) => m.sample(5, { label: 1, seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, b.labels!, { seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, b.labels!, { seed: 4 }),
      logLikelihood: (m, b) => m.logLikelihood(b.x.subarray(0, 3 * D), b.labels!.slice(0, 3), { samples: 6, seed: 1 }),
      elbo: (m, b) => m.elbo(b.x.subarray(0, 3 * D), b.labels!.slice(0, 3), { samples: 2, seed: 1 }),
    },
    seedless: (m) => m.sample(3, { label: 2 }),
    gradients(m, b) {
      const cfg = m.config as unknown as LatentConfig;
      const K = samplesOf(cfg);
      const eps = randomArray(b.n * K * L, 12, -2, 2);
      const step = m.trainingSteps;
      return {
        result: m.gradients(b.x, b.labels!, { epsilon: eps }),
        objective: (o, W) => layers
          ? layersObjective(o, W, cfg as LayersConfig, o.input(b.x, b.n, D), b.n, o.input(eps, b.n, L), o.input(oneHot(b.labels!), b.n, C))
          : latentObjective(o, W, cfg, o.input(b.x, b.n, D), b.n, o.input(eps, b.n * K, L), o.input(oneHot(b.labels!), b.n, C), step),
      };
    },
    badCalls: {
      "encode: one label too few": (m, b) => m.encode(b.x, b.labels!.slice(1)),
      "encode: a label out of range": (m, b) => m.encode(b.x, b.labels!.map((c, i) => (i === 1 ? C : c))),
      "encode: a fractional label": (m, b) => m.encode(b.x, b.labels!.map((c, i) => (i === 1 ? 0.5 : c))),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x), b.labels!),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1), b.labels!),
      "evaluate: labels for other examples": (m, b) => m.evaluate(b.x, [...b.labels!, 0], { seed: 1 }),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, b.labels!, { epsilon: new Float32Array(b.n * L + 1) }),
      "sample: no label": (m) => m.sample(2, {} as never),
      "sample: label out of range": (m) => m.sample(2, { label: C + 5, seed: 1 }),
      "sample: label out of range (seedless)": (m) => m.sample(2, { label: C + 5 }),
      "sample: options null": (m) => m.sample(2, null as never),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      "fit: one label too few": (m, b) => m.fit(b.x, b.labels!.slice(1), { epochs: 1 }),
      "fit: validationData without labels": (m, b) => m.fit(b.x, b.labels!, { epochs: 1, validationData: b.x as never }),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, b.labels!, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x, b.labels!),
      decode: (m, b) => m.decode(b.z, b.labels!),
      reconstruct: (m, b) => m.reconstruct(b.x, b.labels!),
      sample: (m) => m.sample(2, { label: 1, seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x, b.labels!),
      gradients: (m, b) => m.gradients(b.x, b.labels!),
      logLikelihood: (m, b) => m.logLikelihood(b.x, b.labels!, { samples: 2 }),
      elbo: (m, b) => m.elbo(b.x, b.labels!),
      anomalyScore: (m, b) => m.anomalyScore(b.x, b.labels!),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, L), b.z.subarray(L, 2 * L), { label: 1 }),
      traverse: (m) => m.traverse(new Float32Array(L), 0, { label: 1 }),
      latentGrid: (m) => m.latentGrid({ label: 1 }),
      klPerDimension: (m, b) => m.klPerDimension(b.x, b.labels!),
      activeUnits: (m, b) => m.activeUnits(b.x, b.labels!),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

// ---- HierarchicalVAE ----

const L1 = 8, L2 = 4;

function hvae(name: string, extra: Partial<HierarchicalVAEConfig>, data: "unit" | "real"): Entry {
  const config: HierarchicalVAEConfig = { inputSize: D, latentSizes: [L1, L2], hiddenSizes: [[64], [16]], seed: 8, ...extra };
  const fit = (m: HierarchicalVAE, b: Batch, o: FitOptions) => m.fit(b.x, o);
  return entry<HierarchicalVAE>({
    name: `HierarchicalVAE ${name}`,
    kind: "HierarchicalVAE",
    create: (engine) => HierarchicalVAE.create(config, engine),
    load: (bytes, engine) => HierarchicalVAE.load(bytes, engine),
    data: (n, seed) => ({ n, x: data === "unit" ? unit(n, D, seed) : real(n, D, seed), z: real(n, L2, seed + 1) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, { seed: 4 }),
      logLikelihood: (m, b) => m.logLikelihood(b.x.subarray(0, 3 * D), { samples: 6, seed: 1 }),
      elbo: (m, b) => m.elbo(b.x.subarray(0, 3 * D), { samples: 2, seed: 1 }),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const cfg = m.config as unknown as HierarchicalConfig;
      const K = samplesOf(cfg);
      const e1 = randomArray(b.n * K * L1, 32, -2, 2), e2 = randomArray(b.n * K * L2, 33, -2, 2);
      const step = m.trainingSteps;
      return {
        result: m.gradients(b.x, { epsilon: { z1: e1, z2: e2 } }),
        objective: (o, W) => hierarchicalObjective(o, W, cfg, o.input(b.x, b.n, D), b.n, o.input(e1, b.n * K, L1),
          o.input(e2, b.n * K, L2), step),
      };
    },
    badCalls: {
      "encode: data not a whole number of examples": (m, b) => m.encode(b.x.subarray(1)),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x)),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "evaluate: seed 1.5": (m, b) => m.evaluate(b.x, { seed: 1.5 }),
      "gradients: ε for z1 only": (m, b) => m.gradients(b.x, { epsilon: { z1: new Float32Array(b.n * L1) } as never }),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, { epsilon: { z1: new Float32Array(b.n * L1), z2: new Float32Array(b.n * L2 + 2) } }),
      "logLikelihood: samples 0": (m, b) => m.logLikelihood(b.x, { samples: 0 }),
      "sample: seed -1": (m) => m.sample(2, { seed: -1 }),
      "sample: n = 0 (seedless)": (m) => m.sample(0),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      ...(data === "unit" ? { "evaluate: values outside [0, 1] for this likelihood": (m: HierarchicalVAE, b: Batch) => m.evaluate(b.x.map((v) => v - 2)) } : {}),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      logLikelihood: (m, b) => m.logLikelihood(b.x, { samples: 2 }),
      elbo: (m, b) => m.elbo(b.x),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      interpolate: (m, b) => m.interpolate(b.x.subarray(0, D), b.x.subarray(D, 2 * D)),
      traverse: (m) => m.traverse(new Float32Array(L2), 0),
      latentGrid: (m) => m.latentGrid(),
      activeUnits: (m, b) => m.activeUnits(b.x),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

// ---- Autoencoder ----

const H = 8;

function ae(name: string, extra: Partial<AutoencoderConfig>, data: "unit" | "real"): Entry {
  const config: AutoencoderConfig = { inputSize: D, hiddenSizes: [64], latentSize: H, activation: "tanh", seed: 9, ...extra };
  const fit = (m: Autoencoder, b: Batch, o: FitOptions) => m.fit(b.x, o as unknown as FitOptions<AutoencoderTerms>);
  const denoising = !!extra.denoising;
  return entry<Autoencoder>({
    name: `Autoencoder ${name}`,
    kind: "Autoencoder",
    create: (engine) => Autoencoder.create(config, engine),
    load: (bytes, engine) => Autoencoder.load(bytes, engine),
    data: (n, seed) => ({ n, x: data === "unit" ? unit(n, D, seed) : real(n, D, seed), z: randomArray(n * H, seed + 1, 0, 1) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x, { seed: 4 }),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      meanActivation: (m, b) => m.meanActivation(b.x),
      ...(denoising ? { corrupt: (m: Autoencoder, b: Batch) => m.corrupt(b.x, { seed: 5 }) } : {}),
    },
    gradients(m, b) {
      const cfg = m.config as unknown as AeConfig;
      const input = denoising ? m.corrupt(b.x, { seed: 4 }) : b.x;
      return {
        result: m.gradients(b.x, { seed: 4 }),
        objective: (o, W) => aeObjective(o, W, cfg, o.input(input, b.n, D), o.input(b.x, b.n, D), b.n),
      };
    },
    badCalls: {
      "encode: data not a whole number of examples": (m, b) => m.encode(b.x.subarray(1)),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x)),
      "decode: codes of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "reconstruct: NaN in the data": (m, b) => m.reconstruct(withNaN(b.x)),
      "gradients: seed -1": (m, b) => m.gradients(b.x, { seed: -1 }),
      "gradients: options null": (m, b) => m.gradients(b.x, null as never),
      "corrupt: unknown noise": (m, b) => m.corrupt(b.x, { noise: { type: "salt" } as never }),
      ...(denoising ? {} : { "corrupt: no denoising noise configured": (m: Autoencoder, b: Batch) => m.corrupt(b.x) }),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      corrupt: (m, b) => m.corrupt(b.x, { noise: { type: "mask", p: 0.5 } }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      meanActivation: (m, b) => m.meanActivation(b.x),
      interpolate: (m, b) => m.interpolate(b.x.subarray(0, D), b.x.subarray(D, 2 * D)),
      traverse: (m) => m.traverse(new Float32Array(H), 0),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

// ---- VRNN (vaekit/sequence): flat rows of config.steps full-length sequences ----

function vrnn(name: string, extra: Partial<VRNNConfig>, data: "unit" | "real"): Entry {
  const S = 4, X = 6, Z = 2, R = S * X, LZ = S * Z;
  const config: VRNNConfig = { inputSize: X, steps: S, hiddenSize: 8, latentSize: Z, phiX: [8], phiZ: [6], priorSizes: [8],
    encoderSizes: [8], decoderSizes: [8], activation: "tanh", seed: 6, ...extra };
  const fit = (m: VRNN, b: Batch, o: FitOptions) => m.fit(b.x, o);
  return entry<VRNN>({
    name: `VRNN ${name}`,
    kind: "VRNN",
    create: (engine) => VRNN.create(config, engine),
    load: (bytes, engine) => VRNN.load(bytes, engine),
    data: (n, seed) => ({ n, x: data === "unit" ? unit(n, R, seed) : real(n, R, seed), z: real(n, LZ, seed + 1) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, { seed: 4 }),
      logLikelihood: (m, b) => m.logLikelihood(b.x.subarray(0, 3 * R), { samples: 6, seed: 1 }),
      anomalyScore: (m, b) => m.anomalyScore(b.x, { seed: 1, samples: 2 }),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const cfg = m.config as unknown as VrnnConfig;
      const eps = randomArray(b.n * LZ, 12, -2, 2);
      return {
        result: m.gradients(b.x, { epsilon: eps }),
        objective: (o, W) => vrnnObjective(o, W, cfg, o.input(b.x, b.n, R), b.n, o.input(eps, b.n, LZ)),
      };
    },
    badCalls: {
      "encode: data not a whole number of sequences": (m, b) => m.encode(b.x.subarray(1)),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x)),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "decode: NaN latent": (m, b) => m.decode(withNaN(b.z)),
      "evaluate: seed -1": (m, b) => m.evaluate(b.x, { seed: -1 }),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, { epsilon: new Float32Array(b.n * LZ + 1) }),
      "logLikelihood: samples 0": (m, b) => m.logLikelihood(b.x, { samples: 0 }),
      "anomalyScore: unknown option": (m, b) => m.anomalyScore(b.x, { sample: 2 } as never),
      "sample: seed 2^32": (m) => m.sample(2, { seed: 2 ** 32 }),
      "sample: n = -1 (seedless)": (m) => m.sample(-1),
      "sample: steps 0 (seedless)": (m) => m.sample(2, { steps: 0 }),
      "traverse: a trajectory of the wrong size": (m) => m.traverse(new Float32Array(LZ - 1), 0),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      ...(data === "unit" ? { "evaluate: values outside [0, 1] for this likelihood": (m: VRNN, b: Batch) => m.evaluate(b.x.map((v) => v + 2)) } : {}),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      logLikelihood: (m, b) => m.logLikelihood(b.x, { samples: 2 }),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, LZ), b.z.subarray(LZ, 2 * LZ)),
      traverse: (m, b) => m.traverse(b.z.subarray(0, LZ), 0),
      latentGrid: (m) => m.latentGrid(),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

// ---- TabularVAE (vaekit/tabular) ----

const TAB_SCHEMA: Column[] = [
  { name: "a", type: "continuous", likelihood: "gaussian", mean: 1, std: 2 },
  { name: "b", type: "continuous", likelihood: "laplace", mean: -1, std: 0.5 },
  { name: "c", type: "categorical", categories: ["x", "y", "z"] },
  { name: "d", type: "binary", values: [false, true] },
  { name: "e", type: "bounded", min: 0, max: 10 },
  { name: "f", type: "count" },
];
const TAB_W = 8, TAB_L = 3;
const tabWidth = (c: Column): number => (c.type === "categorical" ? c.categories!.length : 1);

/** n encoded rows (standardised values, one-hot groups, 0/1, [0, 1], counts) with about 15 % of cells missing (NaN). */
function tabRows(n: number, seed: number): Float32Array {
  const u = randomArray(n * TAB_W * 2, seed, 0, 1), x = new Float32Array(n * TAB_W);
  for (let r = 0; r < n; r++) {
    let at = 0;
    TAB_SCHEMA.forEach((c, p) => {
      const v = u[2 * (r * TAB_W + at)], miss = u[2 * (r * TAB_W + at) + 1] < 0.15;
      const w = tabWidth(c), o = r * TAB_W + at;
      if (c.type === "categorical") x[o + Math.floor(v * w)] = 1;
      else x[o] = c.type === "continuous" ? 4 * v - 2 : c.type === "binary" ? (v < 0.5 ? 0 : 1) : c.type === "bounded" ? v : Math.floor(v * 6);
      if (miss || (r === 0 && p === 0)) x.fill(NaN, o, o + w);
      at += w;
    });
  }
  return x;
}

function tabular(): Entry {
  const config = { schema: TAB_SCHEMA, latentSize: TAB_L, hiddenSizes: [16], activation: "tanh" as const, seed: 7 };
  const fit = (m: TabularVAE, b: Batch, o: FitOptions) => m.fit(b.x, o);
  const fits = badFits(fit);
  delete fits["fit: NaN in the data"]; // NaN marks a missing cell: valid tabular data
  return entry<TabularVAE>({
    name: "TabularVAE (Gaussian, Laplace, categorical, binary, bounded, count; missing cells)",
    kind: "TabularVAE",
    create: (engine) => TabularVAE.create(config, engine),
    load: (bytes, engine) => TabularVAE.load(bytes, engine),
    data: (n, seed) => ({ n, x: tabRows(n, seed), z: real(n, TAB_L, seed + 1) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, { seed: 4 }),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      records: (m, b) => m.toRecords(m.reconstruct(b.x)),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const eps = randomArray(b.n * TAB_L, 12, -2, 2);
      const P = TAB_SCHEMA.length;
      const x = b.x.map((v) => (Number.isNaN(v) ? 0 : v)), mask = new Float32Array(b.n * P), enc = new Float32Array(b.n * (TAB_W + P));
      const consts = new Float32Array(b.n);
      const columns: TabularColumn[] = TAB_SCHEMA.map((c) => ({ name: c.name, type: c.type, likelihood: c.likelihood, width: tabWidth(c) }));
      for (let r = 0; r < b.n; r++) {
        let at = 0;
        TAB_SCHEMA.forEach((c, p) => {
          const present = !Number.isNaN(b.x[r * TAB_W + at]);
          mask[r * P + p] = present ? 1 : 0;
          for (let i = 0; i < tabWidth(c); i++) enc[r * (TAB_W + P) + at + i] = c.type === "count" ? Math.log1p(x[r * TAB_W + at + i]) : x[r * TAB_W + at + i];
          enc[r * (TAB_W + P) + TAB_W + p] = mask[r * P + p];
          if (c.type === "count" && present) for (let k = 2; k <= x[r * TAB_W + at]; k++) consts[r] += Math.log(k);
          at += tabWidth(c);
        });
      }
      const beta = (m.config as { beta: number }).beta;
      return {
        result: m.gradients(b.x, { epsilon: eps }),
        objective: (o, W) => tabularObjective(o, W, { activation: "tanh", leakySlope: 0.01, beta }, columns, o.input(x, b.n, TAB_W),
          o.input(mask, b.n, P), o.input(enc, b.n, TAB_W + P), o.input(eps, b.n, TAB_L), o.input(consts, b.n, 1)),
      };
    },
    badCalls: {
      "encode: data not a whole number of rows": (m, b) => m.encode(b.x.subarray(1)),
      "encode: Infinity in the data": (m, b) => m.encode(b.x.map((v, i) => (i === 9 ? Infinity : v))),
      "evaluate: a binary cell of 2": (m, b) => m.evaluate(b.x.map((v, i) => (i % TAB_W === 5 ? 2 : v)), { seed: 1 }),
      "evaluate: a one-hot group with two ones": (m, b) => m.evaluate(b.x.map((v, i) => (i % TAB_W === 2 || i % TAB_W === 3 ? 1 : v)), { seed: 1 }),
      "evaluate: a count of 1.5": (m, b) => m.evaluate(b.x.map((v, i) => (i % TAB_W === 7 ? 1.5 : v))),
      "evaluate: seed -1": (m, b) => m.evaluate(b.x, { seed: -1 }),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "decode: NaN latent": (m, b) => m.decode(withNaN(b.z)),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, { epsilon: new Float32Array(b.n * TAB_L + TAB_L) }),
      "anomalyScore: an unknown category": (m) => m.anomalyScore([{ a: 1, c: "w" }]),
      "impute: samples -1": (m) => m.impute([{ a: 1 }], { samples: -1 }),
      "impute: a string in a numeric field": (m) => m.impute([{ a: "1" }]),
      "sample: seed 2^32": (m) => m.sample(2, { seed: 2 ** 32 }),
      "sample: n = -1 (seedless)": (m) => m.sample(-1),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      ...fits,
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      anomalyScore: (m, b) => m.anomalyScore(b.x),
      impute: (m) => m.impute([{ a: 1 }]),
      encodeRecords: (m) => m.encodeRecords([{ a: 1 }]),
      toRecords: (m, b) => m.toRecords(b.x),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, TAB_L), b.z.subarray(TAB_L, 2 * TAB_L)),
      traverse: (m) => m.traverse(new Float32Array(TAB_L), 0),
      latentGrid: (m) => m.latentGrid(),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

// ---- vaekit/gan: VAEGAN and CVAEGAN ----

const GAN_NETS = {
  inputSize: D, latentSize: L, activation: "tanh" as const,
  encoder: [{ type: "dense" as const, units: 24 }], decoder: [{ type: "dense" as const, units: 20 }],
  discriminator: [{ type: "dense" as const, units: 16 }, { type: "dense" as const, units: 12 }],
};

function vaeGan(name: string, extra: Partial<VAEGANConfig>): Entry {
  const config: VAEGANConfig = { ...GAN_NETS, seed: 7, ...extra };
  const fit = (m: VAEGAN, b: Batch, o: FitOptions) => m.fit(b.x, o as never);
  return entry<VAEGAN>({
    name: `VAEGAN ${name}`,
    kind: "VAEGAN",
    create: (engine) => VAEGAN.create(config, engine),
    load: (bytes, engine) => VAEGAN.load(bytes, engine),
    data: (n, seed) => ({ n, x: unit(n, D, seed), z: real(n, L, seed + 1) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      discriminate: (m, b) => m.discriminate(b.x),
      "gradients (encoder)": (m, b) => m.gradients(b.x, { step: "encoder", seed: 4 }),
      "gradients (discriminator)": (m, b) => m.gradients(b.x, { step: "discriminator", seed: 4 }),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const cfg = m.config as unknown as VaeGanConfig;
      const eps = randomArray(b.n * L, 12, -2, 2), prior = randomArray(b.n * L, 13, -2, 2);
      return {
        result: m.gradients(b.x, { step: "decoder", epsilon: eps, prior }),
        objective: (o, W) => vaeGanObjective(o, W, cfg, "decoder", o.input(b.x, b.n, D), b.n, o.input(eps, b.n, L), o.input(prior, b.n, L)),
      };
    },
    badCalls: {
      "encode: data not a whole number of examples": (m, b) => m.encode(b.x.subarray(1)),
      "encode: values outside [0, 1]": (m, b) => m.encode(b.x.map((v) => v + 2)),
      "decode: NaN latent": (m, b) => m.decode(withNaN(b.z)),
      "evaluate: seed -1": (m, b) => m.evaluate(b.x, { seed: -1 }),
      "reconstruct: an unknown option": (m, b) => m.reconstruct(b.x, { sample: true } as never),
      "gradients: an unknown step": (m, b) => m.gradients(b.x, { step: "generator" as never }),
      "gradients: prior of the wrong size": (m, b) => m.gradients(b.x, { prior: new Float32Array(L) }),
      "sample: seed 2^32": (m) => m.sample(2, { seed: 2 ** 32 }),
      "sample: n = -1 (seedless)": (m) => m.sample(-1),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      "fit: an unknown parameter group": (m, b) => fit(m, b, { epochs: 1, parameterGroups: { generator: { learningRate: 1 } } }),
      "fit: a bad group setting": (m, b) => fit(m, b, { epochs: 1, parameterGroups: { discriminator: { beta1: 1 } } }),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      discriminate: (m, b) => m.discriminate(b.x),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, L), b.z.subarray(L, 2 * L)),
      traverse: (m) => m.traverse(new Float32Array(L), 0),
      latentGrid: (m) => m.latentGrid(),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

function cvaeGan(name: string, extra: Partial<CVAEGANConfig>): Entry {
  const config: CVAEGANConfig = { ...GAN_NETS, classes: C, classifier: [{ type: "dense", units: 16 }, { type: "dense", units: 10 }], seed: 8, ...extra };
  const fit = (m: CVAEGAN, b: Batch, o: FitOptions) => m.fit(b.x, b.labels!, o as never);
  return entry<CVAEGAN>({
    name: `CVAEGAN ${name}`,
    kind: "CVAEGAN",
    create: (engine) => CVAEGAN.create(config, engine),
    load: (bytes, engine) => CVAEGAN.load(bytes, engine),
    data: (n, seed) => ({ n, x: unit(n, D, seed), z: real(n, L, seed + 1), labels: Array.from(randomArray(n, seed + 2, 0, C), Math.floor) }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x, b.labels!),
      decode: (m, b) => m.decode(b.z, b.labels!),
      "decode (one label)": (m, b) => m.decode(b.z, 2),
      reconstruct: (m, b) => m.reconstruct(b.x, b.labels!),
      sample: (m) => m.sample(5, { label: 1, seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, b.labels!, { seed: 2 }),
      classify: (m, b) => m.classify(b.x),
      discriminate: (m, b) => m.discriminate(b.x),
      "gradients (encoder)": (m, b) => m.gradients(b.x, b.labels!, { step: "encoder", seed: 4 }),
      "gradients (classifier)": (m, b) => m.gradients(b.x, b.labels!, { step: "classifier", seed: 4 }),
    },
    seedless: (m) => m.sample(3, { label: 2 }),
    gradients(m, b) {
      const cfg = m.config as unknown as CvaeGanConfig;
      const eps = randomArray(b.n * L, 12, -2, 2), prior = randomArray(b.n * L, 13, -2, 2);
      const y = oneHot(b.labels!);
      return {
        result: m.gradients(b.x, b.labels!, { step: "generator", epsilon: eps, prior }),
        objective: (o, W) => cvaeGanObjective(o, W, cfg, "generator", o.input(b.x, b.n, D), o.input(y, b.n, C), y, b.n, o.input(eps, b.n, L), o.input(prior, b.n, L)),
      };
    },
    badCalls: {
      "encode: one label too few": (m, b) => m.encode(b.x, b.labels!.slice(1)),
      "encode: a label out of range": (m, b) => m.encode(b.x, b.labels!.map((c, i) => (i === 1 ? C : c))),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x), b.labels!),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1), b.labels!),
      "gradients: an unknown step": (m, b) => m.gradients(b.x, b.labels!, { step: "decoder" as never }),
      "sample: no label": (m) => m.sample(2, {} as never),
      "sample: label out of range (seedless)": (m) => m.sample(2, { label: C + 5 }),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      "fit: one label too few": (m, b) => m.fit(b.x, b.labels!.slice(1), { epochs: 1 }),
      "fit: validationData without labels": (m, b) => m.fit(b.x, b.labels!, { epochs: 1, validationData: b.x as never }),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, b.labels!, { epochs: 1 }),
      encode: (m, b) => m.encode(b.x, b.labels!),
      decode: (m, b) => m.decode(b.z, b.labels!),
      reconstruct: (m, b) => m.reconstruct(b.x, b.labels!),
      sample: (m) => m.sample(2, { label: 1, seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x, b.labels!),
      gradients: (m, b) => m.gradients(b.x, b.labels!),
      classify: (m, b) => m.classify(b.x),
      discriminate: (m, b) => m.discriminate(b.x),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, L), b.z.subarray(L, 2 * L), { label: 1 }),
      traverse: (m) => m.traverse(new Float32Array(L), 0, { label: 1 }),
      latentGrid: (m) => m.latentGrid({ label: 1 }),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

/**
 * A layer-list model over 4×4×2 images (D = 32): Keras's "same" padding with its odd pad at the end in a conv2d and a
 * conv2dTranspose, "valid" with stride 2, batch norm after a conv and after the dense layer a reshape follows.
 */
const CONV: Partial<VAEConfig> = {
  hiddenSizes: [], activation: "identity", inputShape: [4, 4, 2],
  encoder: [
    { type: "conv2d", filters: 3, kernelSize: 3, strides: 1, padding: "same", activation: "tanh" },
    { type: "batchNorm" },
    { type: "conv2d", filters: 4, kernelSize: 2, strides: 2, padding: "valid", activation: "relu" },
    { type: "flatten" },
    { type: "dense", units: 12, activation: "tanh" },
  ],
  decoder: [
    { type: "dense", units: 12, activation: "tanh" },
    { type: "batchNorm", momentum: 0.3 },
    { type: "reshape", shape: [2, 2, 3] },
    { type: "conv2dTranspose", filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "relu" },
    { type: "conv2dTranspose", filters: 2, kernelSize: 1, strides: 1 },
  ],
};

/** VAEGAN / CVAEGAN over 4×4×2 images (D = 32) with conv layer lists: "same" and "valid" convs, a reshape, a conv2dTranspose output. */
const GAN_CONV: Partial<VAEGANConfig> = {
  inputShape: [4, 4, 2],
  encoder: [{ type: "conv2d", filters: 3, kernelSize: 3, strides: 1, padding: "same" }, { type: "flatten" }, { type: "dense", units: 12 }],
  decoder: [{ type: "dense", units: 12 }, { type: "reshape", shape: [2, 2, 3] }, { type: "conv2dTranspose", filters: 2, kernelSize: 3, strides: 2, padding: "same" }],
  discriminator: [{ type: "conv2d", filters: 3, kernelSize: 2, strides: 2, padding: "valid", activation: "leaky_relu" }, { type: "flatten" }, { type: "dense", units: 6 }],
  featureLayer: 0,
};

/** The table: every model class, and the configurations that run different code. */
export const ENTRIES: Entry[] = [
  vae("(Bernoulli)", {}, "unit"),
  vae("(β = 4, KL warm-up, ReLU)", { beta: 4, klWarmup: 5, activation: "relu" }, "unit"),
  vae("(capacity objective)", { capacity: { gamma: 5, max: 3, steps: 8 } }, "unit"),
  vae("(IWAE, k = 3)", { objective: "iwae", samples: 3 }, "unit"),
  vae("(continuous Bernoulli, ELBO over 2 samples)", { likelihood: "continuous-bernoulli", samples: 2 }, "unit"),
  vae("(Gaussian, learned σ)", { likelihood: "gaussian", sigma: "learned" }, "real"),
  vae("(Laplace)", { likelihood: "laplace", likelihoodScale: 0.7 }, "real"),
  cvae("(Bernoulli)", {}, "unit"),
  cvae("(Gaussian σ = 0.5)", { likelihood: "gaussian", likelihoodScale: 0.5 }, "real"),
  hvae("(ELBO)", {}, "unit"),
  hvae("(IWAE, k = 3, learned σ)", { objective: "iwae", samples: 3, likelihood: "gaussian", sigma: "learned" }, "real"),
  ae("(plain)", {}, "unit"),
  ae("(KL-sparse, masking noise)", { latentActivation: "sigmoid", sparsity: { type: "kl", rho: 0.2, weight: 2 }, denoising: { type: "mask", p: 0.3 } }, "unit"),
  ae("(L1-sparse, Gaussian noise, learned σ)", { latentActivation: "tanh", sparsity: { type: "l1", weight: 0.3 }, denoising: { type: "gaussian", sigma: 0.3 }, likelihood: "gaussian", sigma: "learned" }, "real"),
  // ---- layer lists (issue 13): conv2d, batch norm, flatten, dense, reshape, conv2dTranspose; "same" and "valid" ----
  vae("(conv layers, batch norm)", CONV, "unit", true),
  cvae("(conv layers, batch norm, label after the flatten)", CONV, "unit", true),
  // sequences
  vrnn("(GRU, Bernoulli)", {}, "unit"),
  vrnn("(LSTM, Gaussian, learned σ)", { cell: "lstm", likelihood: "gaussian", likelihoodScale: "learned" }, "real"),
  // vaekit/tabular
  tabular(),
  // vaekit/gan
  vaeGan("(non-saturating, balance rule, features at the last hidden layer)", { featureLayer: 1 }),
  vaeGan("(minimax, features at layer 0, smoothing, leaky ReLU)", { generatorLoss: "minimax", featureLayer: 0, labelSmoothing: 0.1, activation: "leaky_relu", balance: null }),
  cvaeGan("(defaults)", {}),
  // vaekit/gan with conv layer lists (inputShape): Dis_l at a conv layer, the label after the encoder's flatten
  vaeGan("(conv layer lists, features at the conv layer)", GAN_CONV),
  cvaeGan("(conv layer lists, label after the encoder's flatten)", { ...GAN_CONV, classifier: [
    { type: "conv2d", filters: 2, kernelSize: 2, strides: 2, padding: "valid" }, { type: "flatten" }, { type: "dense", units: 5 }] }),
];

// ---- grouped models (vaekit/grouped) ----

import { HybridVAE, MultiLevelVAE, type HybridVAEConfig, type MultiLevelVAEConfig } from "../../src/grouped.js";
import { hybridObjective, multiLevelObjective, type HybridConfig, type MultiLevelConfig } from "../sdk/reference.js";

const MS = 3, MC = 5;

/** `group(i)`: the group id of example i (groups of at most 4 at the suite's batch sizes). */
function mlvae(name: string, extra: Partial<MultiLevelVAEConfig>, data: "unit" | "real", group: (i: number) => number): Entry {
  const config: MultiLevelVAEConfig = { inputSize: D, styleSize: MS, contentSize: MC, hiddenSizes: [32], seed: 10, ...extra };
  const Z = MS + MC;
  const fit = (m: MultiLevelVAE, b: Batch, o: FitOptions) => m.fit(b.x, { ...(o as object), groups: b.groups });
  return entry<MultiLevelVAE>({
    name: `MultiLevelVAE ${name}`,
    kind: "MultiLevelVAE",
    create: (engine) => MultiLevelVAE.create(config, engine),
    load: (bytes, engine) => MultiLevelVAE.load(bytes, engine),
    data: (n, seed) => ({
      n, x: data === "unit" ? unit(n, D, seed) : real(n, D, seed), z: real(n, Z, seed + 1), groups: Array.from({ length: n }, (_, i) => group(i)),
    }),
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      "encode (groups)": (m, b) => m.encode(b.x, { groups: b.groups }),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      "reconstruct (groups)": (m, b) => m.reconstruct(b.x, { groups: b.groups }),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      "evaluate (groups)": (m, b) => m.evaluate(b.x, { groups: b.groups, seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, { groups: b.groups, seed: 4 }),
      swap: (m, b) => m.swap(b.x.subarray(0, 3 * D), b.x.subarray(3 * D), { contentGroups: [0, 0, 1] }),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const cfg = m.config as unknown as MultiLevelConfig;
      const eps = randomArray(b.n * Z, 13, -2, 2);
      return {
        result: m.gradients(b.x, { groups: b.groups, epsilon: eps }),
        objective: (o, W) => multiLevelObjective(o, W, cfg, o.input(b.x, b.n, D), b.n, o.input(eps, b.n, Z), b.groups!),
      };
    },
    badCalls: {
      "encode: data not a whole number of examples": (m, b) => m.encode(b.x.subarray(1)),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x)),
      "encode: one group id too few": (m, b) => m.encode(b.x, { groups: b.groups!.slice(1) }),
      "encode: a fractional group id": (m, b) => m.encode(b.x, { groups: b.groups!.map((g, i) => (i === 2 ? 0.5 : g)) }),
      "decode: codes of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "decode: style and content of different lengths": (m, b) => m.decode({ style: b.z.subarray(0, 2 * MS), content: b.z.subarray(0, 3 * MC) }),
      "evaluate: seed -1": (m, b) => m.evaluate(b.x, { seed: -1 }),
      "evaluate: misspelt option": (m, b) => m.evaluate(b.x, { group: b.groups } as never),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, { epsilon: new Float32Array(b.n * Z + 1) }),
      "swap: style sources not a whole number of examples": (m, b) => m.swap(b.x.subarray(0, D), b.x.subarray(1)),
      "sample: seed 2^32": (m) => m.sample(2, { seed: 2 ** 32 }),
      "sample: n = -1 (seedless)": (m) => m.sample(-1),
      "latentGrid: a latent space that is not 2-D": (m) => m.latentGrid(),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      "fit: group ids for other examples": (m, b) => m.fit(b.x, { groups: [...b.groups!, 0], epochs: 1 }),
      "fit: a group larger than the batch": (m, b) => m.fit(b.x, { groups: b.groups!.map(() => 1), batchSize: 4, epochs: 1 }),
      "fit: subgroupSize above batchSize": (m, b) => m.fit(b.x, { groups: b.groups, batchSize: 4, subgroupSize: 5, epochs: 1 }),
      ...(data === "unit" ? { "evaluate: values outside [0, 1] for this likelihood": (m: MultiLevelVAE, b: Batch) => m.evaluate(b.x.map((v) => v + 2)) } : {}),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1, groups: b.groups }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      swap: (m, b) => m.swap(b.x, b.x),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, Z), b.z.subarray(Z, 2 * Z)),
      traverse: (m) => m.traverse(new Float32Array(Z), 0),
      latentGrid: (m) => m.latentGrid(),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

ENTRIES.push(
  mlvae("(accumulated content, Bernoulli)", {}, "unit", (i) => Math.floor(i / 3)),
  mlvae("(per-example content, Gaussian learned σ)", { accumulate: false, likelihood: "gaussian", sigma: "learned", activation: "relu" }, "real", (i) => i % 3 + 10 * Math.floor(i / 9)),
  mlvae("(conv layers, batch norm)", CONV as Partial<MultiLevelVAEConfig>, "unit", (i) => Math.floor(i / 3)),
);

const HW = 16, HL = 4, HP = 3;

/** Rows of three parts: a (8, in [0, 1] with zeros), b (4, real), c (4 categories, one-hot); about a third of the parts missing. */
function hybridData(n: number, seed: number): Batch {
  const x = new Float32Array(n * HW), u = randomArray(n * HW, seed, 0, 1);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < 8; j++) x[r * HW + j] = u[r * HW + j] < 0.3 ? 0 : u[r * HW + j];
    for (let j = 8; j < 12; j++) x[r * HW + j] = 4 * u[r * HW + j] - 2;
    x[r * HW + 12 + Math.floor(u[r * HW + 12] * 4)] = 1;
  }
  const present = randomArray(n * HP, seed + 2, 0, 1).map((v) => (v < 0.3 ? 0 : 1));
  return { n, x, z: real(n, HL, seed + 1), present };
}

function hybrid(name: string, extra: Partial<HybridVAEConfig>): Entry {
  const config: HybridVAEConfig = {
    parts: { a: { size: 8, likelihood: "bernoulli" }, b: { size: 4, likelihood: "gaussian", scale: "learned" }, c: { size: 4, likelihood: "categorical" } },
    latentSize: HL, hiddenSizes: [16], activation: "tanh", seed: 11, ...extra,
  };
  const fit = (m: HybridVAE, b: Batch, o: FitOptions) => m.fit(b.x, { ...(o as object), present: b.present });
  return entry<HybridVAE>({
    name: `HybridVAE ${name}`,
    kind: "HybridVAE",
    create: (engine) => HybridVAE.create(config, engine),
    load: (bytes, engine) => HybridVAE.load(bytes, engine),
    data: hybridData,
    fit,
    outputs: {
      encode: (m, b) => m.encode(b.x),
      "encode (present)": (m, b) => m.encode(b.x, { present: b.present }),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      impute: (m, b) => m.impute(b.x, { present: b.present }),
      "impute (sampled)": (m, b) => m.impute(b.x, { present: b.present, sample: true, seed: 3 }),
      sample: (m) => m.sample(5, { seed: 7 }),
      evaluate: (m, b) => m.evaluate(b.x, { seed: 2 }),
      "evaluate (present)": (m, b) => m.evaluate(b.x, { present: b.present, seed: 2 }),
      gradients: (m, b) => m.gradients(b.x, { present: b.present, seed: 4 }),
      logLikelihood: (m, b) => m.logLikelihood(b.x.subarray(0, 3 * HW), { samples: 6, seed: 1 }),
      conditionalLogLikelihood: (m, b) => m.conditionalLogLikelihood(b.x.subarray(0, 3 * HW), { target: ["c"], samples: 6, seed: 1 }),
    },
    seedless: (m) => m.sample(3),
    gradients(m, b) {
      const cfg = m.config as unknown as HybridConfig;
      const eps = randomArray(b.n * HL, 14, -2, 2);
      const epsC = cfg.classification ? randomArray(b.n * HL, 15, -2, 2) : undefined;
      return {
        result: m.gradients(b.x, { present: b.present, epsilon: eps, ...(epsC ? { classificationEpsilon: epsC } : {}) }),
        objective: (o, W) => hybridObjective(o, W, cfg, b.x, b.present!, b.n, o.input(eps, b.n, HL), epsC && o.input(epsC, b.n, HL)),
      };
    },
    badCalls: {
      "encode: data not a whole number of examples": (m, b) => m.encode(b.x.subarray(1)),
      "encode: NaN in the data": (m, b) => m.encode(withNaN(b.x)),
      "encode: presence for other examples": (m, b) => m.encode(b.x, { present: b.present!.subarray(HP) }),
      "encode: a presence flag of 0.5": (m, b) => m.encode(b.x, { present: b.present!.map((v, i) => (i === 1 ? 0.5 : v)) }),
      "encode: presence of an unknown part": (m, b) => m.encode(b.x, { present: { d: new Array(b.n).fill(true) } }),
      "evaluate: a Bernoulli part outside [0, 1]": (m, b) => m.evaluate(b.x.map((v, i) => (i % HW === 0 ? 2 : v))),
      "decode: latent rows of the wrong size": (m, b) => m.decode(b.z.subarray(1)),
      "evaluate: seed -1": (m, b) => m.evaluate(b.x, { seed: -1 }),
      "gradients: ε of the wrong size": (m, b) => m.gradients(b.x, { epsilon: new Float32Array(b.n * HL + 1) }),
      "logLikelihood: samples 0": (m, b) => m.logLikelihood(b.x, { samples: 0 }),
      "conditionalLogLikelihood: an unknown target": (m, b) => m.conditionalLogLikelihood(b.x, { target: ["d"] }),
      "conditionalLogLikelihood: a target missing in an example": (m, b) => m.conditionalLogLikelihood(b.x, { target: ["c"], present: { c: new Array(b.n).fill(false) } }),
      "impute: sample not a boolean": (m, b) => m.impute(b.x, { sample: "yes" as never }),
      "sample: seed 2^32": (m) => m.sample(2, { seed: 2 ** 32 }),
      "sample: n = -1 (seedless)": (m) => m.sample(-1),
      "latentGrid: a latent space that is not 2-D": (m) => m.latentGrid(),
      "setWeights: a tensor missing": (m) => m.setWeights({}),
      "fit: presence for other examples": (m, b) => m.fit(b.x, { present: b.present!.subarray(HP), epochs: 1 }),
      "fit: dynamicBinarization": (m, b) => m.fit(b.x, { present: b.present, epochs: 1, dynamicBinarization: true }),
      ...badFits(fit),
    },
    methods: {
      fit: (m, b) => m.fit(b.x, { epochs: 1, present: b.present }),
      encode: (m, b) => m.encode(b.x),
      decode: (m, b) => m.decode(b.z),
      reconstruct: (m, b) => m.reconstruct(b.x),
      impute: (m, b) => m.impute(b.x, { present: b.present }),
      sample: (m) => m.sample(2, { seed: 1 }),
      evaluate: (m, b) => m.evaluate(b.x),
      gradients: (m, b) => m.gradients(b.x),
      logLikelihood: (m, b) => m.logLikelihood(b.x, { samples: 2 }),
      conditionalLogLikelihood: (m, b) => m.conditionalLogLikelihood(b.x, { target: ["c"], samples: 2 }),
      interpolate: (m, b) => m.interpolate(b.z.subarray(0, HL), b.z.subarray(HL, 2 * HL)),
      traverse: (m) => m.traverse(new Float32Array(HL), 0),
      latentGrid: (m) => m.latentGrid(),
      getWeights: (m) => m.getWeights(),
      setWeights: (m) => m.setWeights({}),
      save: (m) => m.save(),
    },
  });
}

ENTRIES.push(hybrid("(Bernoulli, learned-σ Gaussian and categorical parts, some missing)", {}));
ENTRIES.push(hybrid("(an α-weighted classification term on the categorical part)", { classification: { part: "c", weight: 2.5 } }));
ENTRIES.push(hybrid("(part a over 2×4 images: conv layers, batch norm)", {
  parts: {
    a: {
      shape: [2, 4, 1], likelihood: "bernoulli",
      encoder: [
        { type: "conv2d", filters: 3, kernelSize: 2, padding: "same", activation: "tanh" },
        { type: "batchNorm" },
        { type: "flatten" },
        { type: "dense", units: 8, activation: "tanh" },
      ],
      decoder: [
        { type: "dense", units: 8, activation: "tanh" },
        { type: "batchNorm", momentum: 0.3 },
        { type: "reshape", shape: [1, 2, 4] },
        { type: "conv2dTranspose", filters: 1, kernelSize: 2, strides: 2 },
      ],
    },
    b: { size: 4, likelihood: "gaussian", scale: "learned" }, c: { size: 4, likelihood: "categorical" },
  } as unknown as HybridVAEConfig["parts"],
}));
