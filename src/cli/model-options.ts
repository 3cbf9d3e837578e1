// `vaekit train`'s model options: one flag per option of the model family, which models each applies to, and how
// they become a VAE, ConditionalVAE, HierarchicalVAE or Autoencoder config.
import type {
  Activation, AutoencoderConfig, ConditionalVAEConfig, Denoising, HierarchicalVAEConfig, Likelihood, Sparsity, VAEConfig,
} from "../index.js";
import { parseNumber, parseWholes, type Args, type OptionSpec } from "./args.js";
import { UsageError } from "./errors.js";
import { layerList, shapeOf } from "./layer-specs.js";

export const KINDS = ["vae", "conditional", "hierarchical", "autoencoder",
  "vrnn", // sequences: each row is `--steps` steps (vaekit/sequence, loaded on use)
  "vae-gan", "cvae-gan", // vaekit/gan
  "multi-level", "hybrid", // grouped models (vaekit/grouped, loaded on demand)
] as const;
export type Kind = (typeof KINDS)[number];
export const ACTIVATIONS: readonly Activation[] = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"];
export const LIKELIHOODS: readonly Likelihood[] = ["bernoulli", "continuous-bernoulli", "gaussian", "laplace"];

const M = "Model";
const VAES: Kind[] = ["vae", "conditional", "hierarchical"];
const GANS: Kind[] = ["vae-gan", "cvae-gan"]; // vaekit/gan

/** Model options with the kinds they apply to (all kinds when absent). */
export const MODEL_OPTIONS: (OptionSpec & { kinds?: Kind[] })[] = [
  { name: "model", value: "kind", help: "vae, conditional, hierarchical, autoencoder, vrnn, vae-gan, cvae-gan, multi-level or hybrid", default: "vae", group: M },
  { name: "latent", value: "n", help: "latent dimensions (the code width of an autoencoder; per step for a vrnn)", default: "20; vrnn 16", group: M, kinds: ["vae", "conditional", "autoencoder", "vrnn", ...GANS, "hybrid"] },
  { name: "latent-sizes", value: "z1,z2", help: "hierarchical: sizes of z1 (near the data) and z2 (top)", default: "100,50", group: M, kinds: ["hierarchical"] },
  { name: "hidden", value: "widths", help: "encoder hidden widths, input side first, e.g. 512,256; hierarchical: two stages, e.g. 200,200/100,100", default: "400; hierarchical 200,200/100,100", group: M },
  { name: "decoder-hidden", value: "widths", help: "decoder hidden widths, latent side first", default: "--hidden reversed", group: M },
  { name: "activation", value: "name", help: ACTIVATIONS.join(", "), default: "relu; hierarchical tanh", group: M },
  { name: "leaky-slope", value: "a", help: "negative slope of leaky_relu", default: "0.01", group: M },
  { name: "latent-activation", value: "name", help: "autoencoder: activation of the code layer", default: "identity; sigmoid with --sparsity kl:…", group: M, kinds: ["autoencoder"] },
  { name: "likelihood", value: "name", help: LIKELIHOODS.join(", "), default: "bernoulli", group: M },
  { name: "sigma", value: "s|learned", help: "gaussian likelihood: σ, or 'learned' (one per input dimension)", default: "1", group: M },
  { name: "likelihood-scale", value: "b", help: "laplace likelihood: its scale b", default: "1", group: M },
  { name: "beta", value: "β", help: "weight of the KL term (β-VAE)", default: "1", group: M, kinds: VAES },
  { name: "kl-warmup", value: "steps", help: "β rises linearly from 0 over this many optimizer steps", default: "0, off", group: M, kinds: VAES },
  { name: "capacity", value: "γ,max,steps", help: "capacity objective γ·|KL − C|, C rising from 0 to max nats over steps", default: "off", group: M, kinds: ["vae", "conditional"] },
  { name: "objective", value: "elbo|iwae", help: "training bound: the ELBO or the importance-weighted bound", default: "elbo", group: M, kinds: VAES },
  { name: "samples", value: "k", help: "samples of z per example in training (IWAE's k)", default: "1; 5 with iwae", group: M, kinds: VAES },
  { name: "sparsity", value: "l1:w|kl:ρ:w", help: "autoencoder: sparsity penalty, e.g. l1:0.001 or kl:0.05:3", default: "off", group: M, kinds: ["autoencoder"] },
  { name: "denoising", value: "mask:p|gaussian:σ", help: "autoencoder: corrupt training inputs, e.g. mask:0.3", default: "off", group: M, kinds: ["autoencoder"] },
  { name: "classes", value: "C", help: "conditional: number of classes", default: "the largest label + 1", group: M, kinds: ["conditional", "cvae-gan"] },
  // vaekit/gan
  { name: "discriminator", value: "widths|layers", help: "vae-gan, cvae-gan: discriminator hidden widths, or with --encoder/--decoder a layer list like theirs, e.g. conv2d:32:k4:s2:p1,flatten,dense:256", default: "1024,256 (with --shape: needed)", group: M, kinds: GANS },
  { name: "feature-layer", value: "l", help: "vae-gan, cvae-gan: the discriminator layer (0-based) whose features measure reconstructions", default: "0", group: M, kinds: GANS },
  { name: "kl-weight", value: "β", help: "vae-gan: weight of the prior KL in the encoder's loss", default: "0.05", group: M, kinds: ["vae-gan"] },
  { name: "gamma", value: "γ", help: "vae-gan: weight of the feature reconstruction against the GAN loss in the decoder's loss", default: "1", group: M, kinds: ["vae-gan"] },
  { name: "classifier", value: "widths|layers", help: "cvae-gan: classifier hidden widths, or with --encoder/--decoder a layer list", default: "512,256 (with --shape: needed)", group: M, kinds: ["cvae-gan"] },
  { name: "seed", value: "s", help: "seed of the weights and the training noise", default: "random, recorded in the file", group: M },
  // ---- sequences (--model vrnn): each row of the data is one sequence of --steps steps
  { name: "steps", value: "T", help: "vrnn: steps per sequence (each row holds T × values per step)", group: M, kinds: ["vrnn"] },
  { name: "state", value: "H", help: "vrnn: width of the recurrent state", default: "100", group: M, kinds: ["vrnn"] },
  { name: "cell", value: "gru|lstm", help: "vrnn: the recurrent cell", default: "gru", group: M, kinds: ["vrnn"] },
  // grouped models (vaekit/grouped)
  { name: "style", value: "n", help: "multi-level: style latent dimensions (one style per example)", default: "10", group: M, kinds: ["multi-level"] },
  { name: "content", value: "n", help: "multi-level: content latent dimensions (one content per group)", default: "10", group: M, kinds: ["multi-level"] },
  { name: "no-accumulate", help: "multi-level: each example keeps its own content posterior instead of its group's product", group: M, kinds: ["multi-level"] },
  { name: "parts", value: "name:size:likelihood,…", help: "hybrid: the observation parts in row order, e.g. top:392:bernoulli,bottom:392:bernoulli (gaussian and laplace take :<scale> or :learned)", group: M, kinds: ["hybrid"] },
  // layer lists (convolutional models): instead of --hidden / --decoder-hidden / --activation
  { name: "encoder", value: "layers", help: "encoder layer list, e.g. conv2d:32:k3:s2:psame:relu,flatten,dense:16:relu, or JSON / a .json file", default: "an MLP (--hidden)", group: M, kinds: ["vae", "conditional", "autoencoder", ...GANS] },
  { name: "decoder", value: "layers", help: "decoder layer list, e.g. dense:3136:relu,reshape:7x7x64,conv2dTranspose:1:k3:s2:psame", default: "an MLP", group: M, kinds: ["vae", "conditional", "autoencoder", ...GANS] },
  { name: "shape", value: "HxWxC", help: "image shape of each row (channels last), e.g. 28x28x1", default: "flat rows", group: M, kinds: ["vae", "conditional", "autoencoder", ...GANS] },
];

/** Checks that every given model option applies to `kind`. */
export function checkApplicable(args: Args, kind: Kind): void {
  for (const o of MODEL_OPTIONS) {
    if (o.kinds && !o.kinds.includes(kind) && args.has(o.name)) {
      throw new UsageError(`--${o.name} applies to --model ${o.kinds.join(" or ")}, not ${kind}`);
    }
  }
}

function hiddenOf(args: Args, name: string, kind: Kind): number[] | [number[], number[]] | undefined {
  const v = args.string(name);
  if (v === undefined) return undefined;
  if (kind === "hierarchical") {
    const stages = v.split("/");
    if (stages.length !== 2) throw new UsageError(`--${name} of a hierarchical model needs two stages separated by '/', e.g. 200,200/100,100; got '${v}'`);
    return [parseWholes(`--${name}`, stages[0], 1), parseWholes(`--${name}`, stages[1], 1)];
  }
  return parseWholes(`--${name}`, v, 1);
}

function sparsityOf(v: string): Sparsity {
  const [type, ...rest] = v.split(":");
  if (type === "l1" && rest.length === 1) return { type: "l1", weight: parseNumber("--sparsity l1:<weight>", rest[0], { min: 0 }) };
  if (type === "kl" && rest.length === 2) {
    return { type: "kl", rho: parseNumber("--sparsity kl:<ρ>", rest[0], { min: 0, max: 1, open: true }), weight: parseNumber("--sparsity kl:ρ:<weight>", rest[1], { min: 0 }) };
  }
  throw new UsageError(`--sparsity must be l1:<weight> or kl:<ρ>:<weight>, e.g. l1:0.001 or kl:0.05:3; got '${v}'`);
}

function denoisingOf(v: string): Denoising {
  const [type, ...rest] = v.split(":");
  if (type === "mask" && rest.length === 1) return { type: "mask", p: parseNumber("--denoising mask:<p>", rest[0], { min: 0, max: 0.999999 }) };
  if (type === "gaussian" && rest.length === 1) return { type: "gaussian", sigma: parseNumber("--denoising gaussian:<σ>", rest[0], { min: 0, open: true }) };
  throw new UsageError(`--denoising must be mask:<p> or gaussian:<σ>, e.g. mask:0.3; got '${v}'`);
}

/** The parts every kind shares: activation, likelihood and its scale, seed. */
function common(args: Args): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  const activation = args.choice("activation", ACTIVATIONS, undefined);
  if (activation) c.activation = activation;
  const slope = args.number("leaky-slope", undefined, { min: 0 });
  if (slope !== undefined) c.leakySlope = slope;
  const likelihood = args.choice("likelihood", LIKELIHOODS, undefined);
  if (likelihood) c.likelihood = likelihood;
  const sigma = args.string("sigma");
  if (sigma !== undefined) {
    if ((likelihood ?? "bernoulli") !== "gaussian") throw new UsageError("--sigma sets the gaussian likelihood's σ; add --likelihood gaussian");
    c.sigma = sigma === "learned" ? "learned" : parseNumber("--sigma", sigma, { min: 0, open: true });
  }
  if (args.has("likelihood-scale")) {
    if (likelihood !== "laplace" && likelihood !== "gaussian") throw new UsageError("--likelihood-scale sets the laplace (or gaussian) likelihood's scale; add --likelihood laplace");
    if (sigma !== undefined) throw new UsageError("give --sigma or --likelihood-scale, not both");
    c.likelihoodScale = args.number("likelihood-scale", 1, { min: 0, open: true });
  }
  const seed = args.whole("seed", undefined, 0, 2 ** 32 - 1);
  if (seed !== undefined) c.seed = seed;
  return c;
}

/** The VAE-family options: β, warm-up, capacity, objective, samples. */
function variational(args: Args): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  const beta = args.number("beta", undefined, { min: 0 });
  if (beta !== undefined) c.beta = beta;
  const warm = args.whole("kl-warmup", undefined, 0);
  if (warm !== undefined) c.klWarmup = warm;
  const cap = args.string("capacity");
  if (cap !== undefined) {
    const parts = cap.split(",");
    if (parts.length !== 3) throw new UsageError(`--capacity must be γ,max,steps, e.g. 100,25,10000; got '${cap}'`);
    c.capacity = {
      gamma: parseNumber("--capacity γ", parts[0], { min: 0, open: true }),
      max: parseNumber("--capacity max", parts[1], { min: 0 }),
      steps: parseWholes("--capacity steps", parts[2], 0, 1)[0],
    };
  }
  const objective = args.choice("objective", ["elbo", "iwae"] as const, undefined);
  if (objective) c.objective = objective;
  const samples = args.whole("samples", undefined, 1, 10_000);
  if (samples !== undefined) c.samples = samples;
  return c;
}

/** A VRNN's config: rows of `rowSize` values are sequences of --steps steps; --hidden sets φx, the prior and the encoder. */
function vrnnConfig(args: Args, rowSize: number, hidden: number[] | undefined, decoderHidden: number[] | undefined): Record<string, unknown> {
  if (!args.has("steps")) throw new UsageError("--model vrnn needs --steps <T>: each row of the data is one sequence of T steps");
  const steps = args.whole("steps", 1, 1, 65536);
  if (rowSize % steps !== 0) throw new UsageError(`--steps ${steps}: a row of ${rowSize} values is not a whole number of steps`);
  const { sigma, ...c } = common(args);
  if (sigma !== undefined) c.likelihoodScale = sigma;
  if (hidden) Object.assign(c, { phiX: hidden, priorSizes: hidden, encoderSizes: hidden });
  if (decoderHidden ?? hidden) c.decoderSizes = decoderHidden ?? hidden;
  return { inputSize: rowSize / steps, steps, hiddenSize: args.whole("state", 100, 1, 65536), latentSize: args.whole("latent", 16, 1, 65536),
    cell: args.choice("cell", ["gru", "lstm"] as const, "gru"), ...c };
}

/**
 * vaekit/gan: a VAEGAN or CVAEGAN config. MLPs from the widths (every layer of --activation); or, with
 * --encoder/--decoder (and --shape for conv lists), layer lists for every network: --discriminator and --classifier
 * then take a layer list too, or widths (dense layers, after a flatten when --shape is given).
 */
function ganConfig(args: Args, kind: Kind, inputSize: number, classes: number, lists?: Record<string, unknown>): VAEConfig {
  const layers = (v: number[] | undefined) => v?.map((units) => ({ type: "dense", units }));
  const c: Record<string, unknown> = { inputSize, latentSize: args.whole("latent", 20, 1, 65536), ...common(args) };
  // a network beside --encoder/--decoder: widths (digits and commas only) or a layer list (compact, JSON or a .json file)
  const net = (name: string): unknown[] | undefined => {
    const v = args.string(name);
    if (v === undefined) return undefined;
    if (!lists) return layers(hiddenOf(args, name, kind) as number[]);
    if (/^\s*\d[\d,\s]*$/.test(v)) return [...(lists.inputShape ? [{ type: "flatten" }] : []), ...layers(parseWholes(`--${name}`, v, 1))!];
    return layerList(`--${name}`, v);
  };
  if (lists) {
    if (lists.inputShape) {
      delete c.inputSize;
      c.inputShape = lists.inputShape;
    }
    c.encoder = lists.encoder;
    c.decoder = lists.decoder;
  } else {
    const enc = layers(hiddenOf(args, "hidden", kind) as number[] | undefined);
    if (enc) c.encoder = enc;
    const dec = layers(hiddenOf(args, "decoder-hidden", kind) as number[] | undefined);
    if (dec) c.decoder = dec;
  }
  const dis = net("discriminator");
  if (dis) c.discriminator = dis;
  else if (lists?.inputShape) throw new UsageError(`--model ${kind} with --shape needs --discriminator (a layer list, e.g. conv2d:32:k4:s2:p1,flatten,dense:256, or widths)`);
  const l = args.whole("feature-layer", undefined, 0, 1000);
  if (l !== undefined) c.featureLayer = l;
  if (kind === "vae-gan") {
    const beta = args.number("kl-weight", undefined, { min: 0 });
    if (beta !== undefined) c.beta = beta;
    const gamma = args.number("gamma", undefined, { min: 0 });
    if (gamma !== undefined) c.gamma = gamma;
  } else {
    c.classes = classes;
    const cls = net("classifier");
    if (cls) c.classifier = cls;
    else if (lists?.inputShape) throw new UsageError("--model cvae-gan with --shape needs --classifier (a layer list, e.g. conv2d:32:k4:s2:p1,flatten,dense:128, or widths)");
  }
  return c as unknown as VAEConfig;
}

/** The config of `kind` for inputs of `inputSize` values (and `classes` for a conditional model). */
export function modelConfig(args: Args, kind: Kind, inputSize: number, classes: number):
  VAEConfig | ConditionalVAEConfig | HierarchicalVAEConfig | AutoencoderConfig {
  checkApplicable(args, kind);
  const hidden = hiddenOf(args, "hidden", kind);
  const decoderHidden = hiddenOf(args, "decoder-hidden", kind);
  const sizes: Record<string, unknown> = {};
  if (hidden) sizes.hiddenSizes = hidden;
  if (decoderHidden) sizes.decoderHiddenSizes = decoderHidden;
  const base: Record<string, unknown> = { inputSize, ...sizes, ...common(args) };
  const enc = args.string("encoder"), dec = args.string("decoder"), shape = args.string("shape");
  if (enc !== undefined || dec !== undefined || shape !== undefined) {
    if (enc === undefined || dec === undefined) throw new UsageError("--encoder and --decoder go together (layer lists for both networks)");
    if (hidden || decoderHidden || args.has("activation")) throw new UsageError("--hidden, --decoder-hidden and --activation describe MLPs; with --encoder/--decoder each layer names its own");
    base.encoder = layerList("--encoder", enc);
    base.decoder = layerList("--decoder", dec);
    // vaekit/gan: without --shape the lists are MLPs of dense layers (no inputShape)
    if (GANS.includes(kind)) return ganConfig(args, kind, inputSize, classes, { ...(shape === undefined ? {} : { inputShape: shapeOf(shape, inputSize) }), encoder: base.encoder, decoder: base.decoder });
    delete base.inputSize;
    base.inputShape = shape === undefined ? [inputSize] : shapeOf(shape, inputSize);
  }
  switch (kind) {
    case "vrnn": return vrnnConfig(args, inputSize, hidden as number[] | undefined, decoderHidden as number[] | undefined) as never;
    case "hierarchical": {
      const [z1, z2] = args.wholes("latent-sizes", [100, 50], 1, 2)!;
      return { ...base, latentSizes: [z1, z2], ...variational(args) } as unknown as HierarchicalVAEConfig;
    }
    case "autoencoder": {
      const c: Record<string, unknown> = { ...base, latentSize: args.whole("latent", 20, 1, 65536) };
      const sparsity = args.string("sparsity");
      if (sparsity !== undefined) c.sparsity = sparsityOf(sparsity);
      const denoising = args.string("denoising");
      if (denoising !== undefined) c.denoising = denoisingOf(denoising);
      const la = args.choice("latent-activation", ACTIVATIONS, undefined);
      c.latentActivation = la ?? ((c.sparsity as Sparsity | undefined)?.type === "kl" ? "sigmoid" : "identity");
      return c as unknown as AutoencoderConfig;
    }
    case "conditional":
      return { ...base, latentSize: args.whole("latent", 20, 1, 65536), classes, ...variational(args) } as ConditionalVAEConfig;
    case "vae-gan":
    case "cvae-gan":
      return ganConfig(args, kind, inputSize, classes);
    // grouped models (vaekit/grouped)
    case "multi-level":
      return { ...base, styleSize: args.whole("style", 10, 1, 65536), contentSize: args.whole("content", 10, 1, 65536), accumulate: !args.flag("no-accumulate") } as never;
    case "hybrid": {
      const { inputSize: _, likelihood, sigma, likelihoodScale, ...rest } = base as Record<string, unknown>;
      if (likelihood !== undefined || sigma !== undefined || likelihoodScale !== undefined) {
        throw new UsageError("--likelihood, --sigma and --likelihood-scale don't apply to --model hybrid: each part names its own in --parts");
      }
      return { ...rest, parts: partsOf(args.string("parts")), latentSize: args.whole("latent", 20, 1, 65536) } as never;
    }
    default:
      return { ...base, latentSize: args.whole("latent", 20, 1, 65536), ...variational(args) } as VAEConfig;
  }
}

// grouped models (vaekit/grouped)

/** --parts name:size:likelihood[:scale|learned],… → a HybridVAE's parts. */
function partsOf(v: string | undefined): Record<string, { size: number; likelihood: string; scale?: number | "learned" }> {
  if (v === undefined) throw new UsageError("--model hybrid needs --parts, e.g. --parts top:392:bernoulli,bottom:392:bernoulli");
  const parts: Record<string, { size: number; likelihood: string; scale?: number | "learned" }> = {};
  for (const item of v.split(",")) {
    const f = item.split(":");
    if (f.length < 3 || f.length > 4 || f[0] === "") throw new UsageError(`--parts: '${item}' must be name:size:likelihood or name:size:likelihood:scale, e.g. top:392:bernoulli`);
    const [name, size, likelihood, scale] = f;
    if (Object.hasOwn(parts, name)) throw new UsageError(`--parts: part '${name}' is named twice`);
    parts[name] = { size: parseWholes(`--parts ${name}: size`, size, 1, 1)[0], likelihood };
    if (scale !== undefined) parts[name].scale = scale === "learned" ? "learned" : parseNumber(`--parts ${name}: scale`, scale, { min: 0, open: true });
  }
  return parts;
}
