// A way out to PyTorch: any vaekit model as a state_dict (safetensors, vaekit's tensor names, which are the
// nn.Module's own) and a short Python module defining the equivalent nn.Module, with encode, decode and the training
// loss, so that training can go on in PyTorch (and its DDP) and come back through loadTorch or setWeights.
import { InvalidInputError } from "../errors.js";
import { show } from "../errors-format.js";
import { encodeSafetensors, type Tensor } from "../io/safetensors.js";
import type { ModelApi, Terms } from "../index.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { planModel, type LayerSpec, type PlannedLayer } from "../models/layers-config.js";

/**
 * What `exportTorch` writes: the state_dict as safetensors bytes (load it with safetensors' `load_file`, or the
 * module's own `load_safetensors`), the Python source of the module, and the class name it defines.
 *
 * @example
 * ```ts
 * const { stateDict, python, className }: TorchExport = exportTorch(vae);
 * ```
 */
export interface TorchExport {
  stateDict: Uint8Array;
  python: string;
  className: string;
}

type Config = Record<string, unknown> & { inputSize: number; activation: string; leakySlope: number; likelihood: string; likelihoodScale: number | "learned"; seed: number };

const ACT: Record<string, string> = {
  relu: "F.relu(x)", tanh: "torch.tanh(x)", sigmoid: "torch.sigmoid(x)", identity: "x",
};
const act = (name: string, slope: number): string => (name === "leaky_relu" ? `F.leaky_relu(x, ${py(slope)})` : ACT[name]);
/** A number as Python source (shortest round-trip form, as JavaScript prints it). */
const py = (v: number): string => (Number.isInteger(v) ? `${v}.0` : String(v));
const list = (v: readonly number[]): string => `[${v.join(", ")}]`;

/** Imports and the state_dict reader: every module starts with them. */
const BASE = `import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_safetensors(path):
    """The state_dict written by vaekit's exportTorch (F32 safetensors), without the safetensors package."""
    import json, struct
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name != "__metadata__":
            a, b = t["data_offsets"]
            out[name] = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=torch.float32).reshape(t["shape"])
    return out


`;

/** The MLP building blocks (HierarchicalVAE, and VAE, ConditionalVAE and Autoencoder with hiddenSizes). */
const MLP = `class Gaussian(nn.Module):
    """An MLP ending in two heads: the mean and log-variance of a diagonal Gaussian."""

    def __init__(self, sizes, latent):
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.mean = nn.Linear(sizes[-1], latent)
        self.logvar = nn.Linear(sizes[-1], latent)

    def forward(self, x):
        for layer in self.hidden:
            x = activation(layer(x))
        return self.mean(x), self.logvar(x)


class Net(nn.Module):
    """An MLP: hidden layers with the activation, then a linear layer called \`name\`."""

    def __init__(self, sizes, out, name):
        super().__init__()
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.name = name
        setattr(self, name, nn.Linear(sizes[-1], out))

    def forward(self, x):
        for layer in self.hidden:
            x = activation(layer(x))
        return getattr(self, self.name)(x)


`;

/** The Gaussian log-density and the reparameterised sample. */
const GAUSSIAN = `def log_normal(z, mean, logvar):
    """log N(z; mean, exp(logvar)), summed over the last dimension."""
    return (-0.5 * (math.log(2 * math.pi) + logvar + (z - mean) ** 2 / logvar.exp())).sum(-1)


def sample(mean, logvar):
    return mean + (0.5 * logvar).exp() * torch.randn_like(mean)
`;

const PRELUDE = BASE + MLP + GAUSSIAN;

const LIKELIHOODS: Record<string, (scale: string) => [mean: string, nll: string]> = {
  bernoulli: () => ["torch.sigmoid(out)", "F.binary_cross_entropy_with_logits(out, x, reduction=\"none\").sum(-1)"],
  "continuous-bernoulli": () => [
    // in float64: float32 loses the difference of the two terms for small logits
    "torch.where(out.abs() < 1e-4, 0.5 + out.double() / 12, 1 / (1 - torch.exp(-out.double())) - 1 / out.double()).to(out.dtype)",
    // −log p = BCE − log C, C(λ = σ(l)) = l / tanh(l/2) (2 at l = 0)
    "(F.binary_cross_entropy_with_logits(out, x, reduction=\"none\")\n" +
      "            - torch.where(out.abs() < 1e-3, math.log(2) + out ** 2 / 12, torch.log(out / torch.tanh(out / 2)))).sum(-1)",
  ],
  gaussian: (s) => ["out", `(0.5 * ((x - out) / ${s}) ** 2 + torch.log(${s} * torch.ones_like(out)) + 0.5 * math.log(2 * math.pi)).sum(-1)`],
  laplace: (s) => ["out", `((x - out).abs() / ${s} + torch.log(2 * ${s} * torch.ones_like(out))).sum(-1)`],
};

/** decode-side methods shared by every class: the likelihood's mean and −log p(x | decoder output). */
function likelihood(c: Config, owner: string): string {
  const learned = c.likelihoodScale === "learned";
  const s = learned ? `${owner}.logsigma.exp()` : py(c.likelihoodScale as number);
  const [mean, nll] = LIKELIHOODS[c.likelihood](s);
  return `
    def likelihood_mean(self, out):
        """The mean of p(x | decoder output) (${c.likelihood}${learned ? ", learned σ" : ""})."""
        return ${mean}

    def nll(self, out, x):
        """−log p(x | decoder output) per example."""
        return ${nll}
`;
}

/** The learned log σ as a parameter of the decoder (vaekit's decoder.logsigma), when the model has one. */
const logSigma = (c: Config, owner: string): string =>
  c.likelihoodScale === "learned" ? `\n        ${owner}.logsigma = nn.Parameter(torch.zeros(${c.inputSize}))` : "";

function header(c: Config, kind: string, note: string): string {
  return `# ${kind} exported by vaekit's exportTorch: the same layers, tensor names and forward pass as the vaekit model.
# Load the weights with model.load_state_dict(load_safetensors("<file>.safetensors")).
# config: ${JSON.stringify(c)}
# ${note}
`;
}

function vae(c: Config, kind: string): string {
  const C = (c.classes as number | undefined) ?? 0;
  const L = c.latentSize as number;
  const cat = (v: string) => (C ? `torch.cat([${v}, F.one_hot(y.long(), ${C}).float()], -1)` : v);
  const y = C ? ", y" : "";
  return `${header(c, kind, `The training loss is the ELBO with β = ${c.beta}, one sample per example, summed over the batch; vaekit's IWAE, multi-sample, capacity and KL warm-up objectives are not reproduced here.`)}
${PRELUDE}

def activation(x):
    return ${act(c.activation, c.leakySlope)}


class ${kind}(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Gaussian(${list([c.inputSize + C, ...(c.hiddenSizes as number[])])}, ${L})
        self.decoder = Net(${list([L + C, ...(c.decoderHiddenSizes as number[])])}, ${c.inputSize}, "output")${logSigma(c, "self.decoder")}

    def encode(self, x${y}):
        """The mean and log-variance of q(z | x${C ? ", y" : ""})."""
        return self.encoder(${cat("x")})

    def decode(self, z${y}):
        """The mean of p(x | z${C ? ", y" : ""})."""
        return self.likelihood_mean(self.decoder(${cat("z")}))
${likelihood(c, "self.decoder")}
    def forward(self, x${y}):
        """The training loss (−ELBO with β), summed over the batch."""
        mean, logvar = self.encode(x${y})
        out = self.decoder(${cat("sample(mean, logvar)")})
        kl = 0.5 * (logvar.exp() + mean ** 2 - 1 - logvar).sum(-1)
        return (self.nll(out, x) + ${py(c.beta as number)} * kl).sum()
`;
}

function hierarchical(c: Config): string {
  const [L1, L2] = c.latentSizes as [number, number];
  const [h1, h2] = c.hiddenSizes as [number[], number[]];
  const [d1, d2] = c.decoderHiddenSizes as [number[], number[]];
  return `${header(c, "HierarchicalVAE", "The training loss is the one-sample ELBO (log p(x|z1) + log p(z1|z2) + log p(z2) − log q(z1|x) − log q(z2|z1)), summed over the batch; vaekit's IWAE and KL warm-up are not reproduced here.")}
${PRELUDE}

def activation(x):
    return ${act(c.activation, c.leakySlope)}


class HierarchicalVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Module()
        self.encoder.z1 = Gaussian(${list([c.inputSize, ...h1])}, ${L1})  # q(z1 | x)
        self.encoder.z2 = Gaussian(${list([L1, ...h2])}, ${L2})  # q(z2 | z1)
        self.prior = nn.Module()
        self.prior.z1 = Gaussian(${list([L2, ...d2])}, ${L1})  # p(z1 | z2)
        self.decoder = Net(${list([L1, ...d1])}, ${c.inputSize}, "output")  # p(x | z1)${logSigma(c, "self.decoder")}

    def encode(self, x):
        """q(z1 | x), and q(z2 | z1) at z1 = the mean of q(z1 | x): (mean1, logvar1, mean2, logvar2)."""
        m1, v1 = self.encoder.z1(x)
        m2, v2 = self.encoder.z2(m1)
        return m1, v1, m2, v2

    def decode(self, z2):
        """The mean of p(x | z1) at z1 = the mean of p(z1 | z2)."""
        return self.likelihood_mean(self.decoder(self.prior.z1(z2)[0]))
${likelihood(c, "self.decoder")}
    def forward(self, x):
        """The training loss (−ELBO), summed over the batch."""
        m1, v1 = self.encoder.z1(x)
        z1 = sample(m1, v1)
        m2, v2 = self.encoder.z2(z1)
        z2 = sample(m2, v2)
        pm, pv = self.prior.z1(z2)
        zero = torch.zeros_like(z2)
        elbo = (-self.nll(self.decoder(z1), x) + log_normal(z1, pm, pv) + log_normal(z2, zero, zero)
                - log_normal(z1, m1, v1) - log_normal(z2, m2, v2))
        return -elbo.sum()
`;
}

/**
 * The sparsity penalty per example as Python (`code`: the batch's codes). The KL penalty is weight·KL(ρ ‖ ρ̂) with
 * ρ̂ over the batch, counted once per example as vaekit's summed loss counts it (the batch's mean loss is then
 * reconstruction + weight·KL, as `evaluate` reports it).
 */
function sparsityPenalty(sp: { type: string; weight: number; rho?: number } | null): string {
  return !sp ? "0"
    : sp.type === "l1" ? `${py(sp.weight)} * code.abs().sum(-1)`
    : `${py(sp.weight)} * kl_sparsity(code.mean(0), ${py(sp.rho!)})`;
}

function autoencoder(c: Config): string {
  const sp = c.sparsity as { type: string; weight: number; rho?: number } | null;
  const dn = c.denoising as { type: string; p?: number; sigma?: number } | null;
  const sparsity = sparsityPenalty(sp);
  const corrupt = !dn ? "x" : dn.type === "mask" ? `x * (torch.rand_like(x) >= ${py(dn.p!)})` : `x + ${py(dn.sigma!)} * torch.randn_like(x)`;
  return `${header(c, "Autoencoder", `The training loss is −log p(x | decoder(code))${sp ? ` plus the ${sp.type} sparsity penalty` : ""}${dn ? `, on ${dn.type}-corrupted inputs` : ""}, summed over the batch.`)}
${PRELUDE}

def activation(x):
    return ${act(c.activation, c.leakySlope)}


def code_activation(x):
    return ${act(c.latentActivation as string, c.leakySlope)}


def kl_sparsity(mean_code, rho):
    """Σ_j KL(Bernoulli(ρ) ‖ Bernoulli(mean activation of unit j))."""
    q = mean_code.clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / q) + (1 - rho) * torch.log((1 - rho) / (1 - q))).sum()


class Autoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Net(${list([c.inputSize, ...(c.hiddenSizes as number[])])}, ${c.latentSize}, "code")
        self.decoder = Net(${list([c.latentSize as number, ...(c.decoderHiddenSizes as number[])])}, ${c.inputSize}, "output")${logSigma(c, "self.decoder")}

    def encode(self, x):
        """The code."""
        return code_activation(self.encoder(x))

    def decode(self, code):
        """The mean of p(x | code)."""
        return self.likelihood_mean(self.decoder(code))
${likelihood(c, "self.decoder")}
    def forward(self, x):
        """The training loss, summed over the batch."""
        code = self.encode(${corrupt})
        return (self.nll(self.decoder(code), x) + ${sparsity}).sum()
`;
}

// ---- layer-list models (conv, batch norm, flatten, reshape): VAE, ConditionalVAE and Autoencoder ----

const LAYERS_PRELUDE = `

ACTIVATIONS = {
    "identity": lambda x: x,
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, LEAKY_SLOPE),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


class Flatten(nn.Module):
    """vaekit's flatten: an NCHW image as one row in channels-height-width order."""

    def forward(self, x):
        return x.flatten(1)


class Reshape(nn.Module):
    """vaekit's reshape to [h, w, c]: a row viewed as an NCHW image."""

    def __init__(self, h, w, c):
        super().__init__()
        self.chw = (c, h, w)

    def forward(self, x):
        return x.view(-1, *self.chw)


class PaddedConv2d(nn.Conv2d):
    """nn.Conv2d after uneven zero padding (left, right, top, bottom): Keras's "same" with an odd total pad."""

    def __init__(self, cin, cout, kernel, stride, pad):
        super().__init__(cin, cout, kernel, stride)
        self.pad = pad

    def forward(self, x):
        return super().forward(F.pad(x, self.pad))


class CroppedConvTranspose2d(nn.ConvTranspose2d):
    """nn.ConvTranspose2d whose full output loses (top, bottom, left, right) rows/columns: Keras's "same" with an
    odd total crop (a negative crop at the end is PyTorch's output_padding)."""

    def __init__(self, cin, cout, kernel, stride, crop):
        t, b, l, r = crop
        super().__init__(cin, cout, kernel, stride, output_padding=(max(-b, 0), max(-r, 0)))
        self.crop = (t, max(b, 0), l, max(r, 0))

    def forward(self, x):
        t, b, l, r = self.crop
        y = super().forward(x)
        return y[:, :, t:y.shape[2] - b, l:y.shape[3] - r]


class Layers(nn.Module):
    """A vaekit layer list: layers[i] is the list's layer i (flatten and reshape keep their index), each followed by
    its activation; a conditional model's one-hot label joins after layer \`join\`."""

    def __init__(self, layers, activations, join=None):
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.activations = activations
        self.join = join

    def forward(self, x, label=None):
        for i, (layer, act) in enumerate(zip(self.layers, self.activations)):
            x = ACTIVATIONS[act](layer(x))
            if i == self.join:
                x = torch.cat([x, label], -1)
        return x
`;

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** One planned layer as a PyTorch module expression, with the same tensor names and layouts as vaekit's. */
function layerModule(p: PlannedLayer): string {
  const s = p.spec;
  const g = p.geometry;
  switch (s.type) {
    case "dense":
      return `nn.Linear(${size(p.input)}, ${s.units})`;
    case "conv2d": {
      const head = `${g!.inC}, ${g!.outC}, (${g!.kH}, ${g!.kW}), stride=(${g!.sH}, ${g!.sW})`;
      if (g!.padTop === g!.padBottom && g!.padLeft === g!.padRight) return `nn.Conv2d(${head}, padding=(${g!.padTop}, ${g!.padLeft}))`;
      return `PaddedConv2d(${head}, pad=(${g!.padLeft}, ${g!.padRight}, ${g!.padTop}, ${g!.padBottom}))`;
    }
    case "conv2dTranspose": {
      const head = `${g!.inC}, ${g!.outC}, (${g!.kH}, ${g!.kW}), stride=(${g!.sH}, ${g!.sW})`;
      // PyTorch crops `padding` off both ends of the full output, then adds output_padding (< stride) at the end
      const fits = (begin: number, end: number, stride: number): boolean => begin >= end && begin - end < stride;
      if (fits(g!.padTop, g!.padBottom, g!.sH) && fits(g!.padLeft, g!.padRight, g!.sW)) {
        return `nn.ConvTranspose2d(${head}, padding=(${g!.padTop}, ${g!.padLeft}), output_padding=(${g!.padTop - g!.padBottom}, ${g!.padLeft - g!.padRight}))`;
      }
      return `CroppedConvTranspose2d(${head}, crop=(${g!.padTop}, ${g!.padBottom}, ${g!.padLeft}, ${g!.padRight}))`;
    }
    case "batchNorm":
      return p.input.length === 3
        ? `nn.BatchNorm2d(${p.input[2]}, eps=${py(s.epsilon ?? 1e-5)}, momentum=${py(s.momentum ?? 0.1)})`
        : `nn.BatchNorm1d(${p.input[0]}, eps=${py(s.epsilon ?? 1e-5)}, momentum=${py(s.momentum ?? 0.1)})`;
    case "flatten":
      return "Flatten()";
    default:
      return `Reshape(${s.shape.join(", ")})`;
  }
}

/** `Layers([...], [...], join)` for one planned list, one module per line with its index and output shape. */
function layersSource(plan: readonly PlannedLayer[], join: number | undefined): string {
  const shape = (o: readonly number[]): string => (o.length === 3 ? `[${o[2]}, ${o[0]}, ${o[1]}] (C, H, W)` : `[${o[0]}]`);
  const rows = plan.map((p) => `            ${layerModule(p)},  # ${p.index}: ${p.spec.type} → ${shape(p.output)}`);
  const acts = plan.map((p) => JSON.stringify((p.spec as { activation?: string }).activation ?? "identity"));
  return `Layers([\n${rows.join("\n")}\n        ], [${acts.join(", ")}]${join === undefined ? "" : `, join=${join}`})`;
}

function layerModel(c: Config, kind: string): string {
  const C = (c.classes as number | undefined) ?? 0;
  const ae = kind === "Autoencoder";
  const L = c.latentSize as number;
  const inputShape = c.inputShape as number[];
  const encoder = c.encoder as LayerSpec[], decoder = c.decoder as LayerSpec[];
  const plan = planModel(inputShape, encoder, decoder, L, C);
  const flatten = plan.encoder.find((p) => p.spec.type === "flatten");
  const join = C && flatten ? flatten.index : undefined;
  const encOut = plan.encoder[plan.encoder.length - 1].output[0];
  const decOut = plan.decoder[plan.decoder.length - 1].output;
  const image = inputShape.length === 3;
  const bn = [...encoder, ...decoder].some((l) => l.type === "batchNorm");
  const y = C ? ", y" : "";
  const onehot = `F.one_hot(y.long(), ${C}).float()`;
  const encIn = !C ? "self.images(x)" : join === undefined ? `torch.cat([x, ${onehot}], -1)` : `self.images(x), ${onehot}`;
  const decIn = C ? `torch.cat([z, ${onehot}], -1)` : "z";
  const note = ae
    ? `The training loss is −log p(x | decoder(code))${c.sparsity ? " plus the sparsity penalty" : ""}${c.denoising ? ", on corrupted inputs" : ""}, summed over the batch.`
    : `The training loss is the ELBO with β = ${c.beta}, one sample per example, summed over the batch; vaekit's IWAE, multi-sample, capacity and KL warm-up objectives are not reproduced here.`;
  const modes = bn
    ? "\n# Batch norm: call model.train() for the loss (batch statistics, as vaekit's fit) and model.eval() for encode/decode\n# (running statistics, as vaekit's encode/decode)."
    : "";
  const images = image
    ? `        """vaekit's rows (height × width × channels, channels last) as NCHW images."""
        return x.view(-1, ${inputShape[0]}, ${inputShape[1]}, ${inputShape[2]}).permute(0, 3, 1, 2)`
    : `        """vaekit's rows: flat already."""
        return x`;
  const rows = decOut.length === 3
    ? `        """The decoder's NCHW output as vaekit's rows (channels last)."""
        return out.permute(0, 2, 3, 1).flatten(1)`
    : `        """The decoder's output: flat rows already."""
        return out`;
  const heads = ae
    ? `        self.encoder.code = nn.Linear(${encOut}, ${L})`
    : `        self.encoder.mean = nn.Linear(${encOut}, ${L})\n        self.encoder.logvar = nn.Linear(${encOut}, ${L})`;
  const sp = c.sparsity as { type: string; weight: number; rho?: number } | null;
  const dn = c.denoising as { type: string; p?: number; sigma?: number } | null;
  const body = ae
    ? `
    def encode(self, x):
        """The code."""
        return code_activation(self.encoder.code(self.encoder(${encIn})))

    def decode(self, code):
        """The mean of p(x | code)."""
        return self.likelihood_mean(self.decoder_output(code))
${likelihood(c, "self.decoder")}
    def forward(self, x):
        """The training loss, summed over the batch."""
        code = self.encode(${!dn ? "x" : dn.type === "mask" ? `x * (torch.rand_like(x) >= ${py(dn.p!)})` : `x + ${py(dn.sigma!)} * torch.randn_like(x)`})
        return (self.nll(self.decoder_output(code), x) + ${sparsityPenalty(sp)}).sum()
`
    : `
    def encode(self, x${y}):
        """The mean and log-variance of q(z | x${y})."""
        h = self.encoder(${encIn})
        return self.encoder.mean(h), self.encoder.logvar(h)

    def decode(self, z${y}):
        """The mean of p(x | z${y})."""
        return self.likelihood_mean(self.decoder_output(z${y}))
${likelihood(c, "self.decoder")}
    def forward(self, x${y}):
        """The training loss (−ELBO with β), summed over the batch."""
        mean, logvar = self.encode(x${y})
        out = self.decoder_output(sample(mean, logvar)${y})
        kl = 0.5 * (logvar.exp() + mean ** 2 - 1 - logvar).sum(-1)
        return (self.nll(out, x) + ${py(c.beta as number)} * kl).sum()
`;
  return `${header(c, kind, note)}#
# Layer lists: encoder.layers[i] / decoder.layers[i] is the config's layer i with PyTorch's layouts (Conv2d
# [out, in, kH, kW], ConvTranspose2d [in, out, kH, kW], Linear [out, in]); images are NCHW inside the network and
# vaekit's channels-last rows outside it.${modes}
${BASE}${GAUSSIAN}
LEAKY_SLOPE = ${py(c.leakySlope)}
${LAYERS_PRELUDE}${ae ? `

def code_activation(x):
    return ${act(c.latentActivation as string, c.leakySlope)}


def kl_sparsity(mean_code, rho):
    """Σ_j KL(Bernoulli(ρ) ‖ Bernoulli(mean activation of unit j))."""
    q = mean_code.clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / q) + (1 - rho) * torch.log((1 - rho) / (1 - q))).sum()
` : ""}

class ${kind}(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = ${layersSource(plan.encoder, join)}
${heads}
        self.decoder = ${layersSource(plan.decoder, undefined)}${logSigma(c, "self.decoder")}

    def images(self, x):
${images}

    def rows(self, out):
${rows}

    def decoder_output(self, z${y}):
        """The decoder's last layer (before the likelihood's link) as vaekit's rows."""
        return self.rows(self.decoder(${decIn}))
${body}`;
}

/**
 * Exports a model to PyTorch: its weights as a state_dict in safetensors (the tensor names are the nn.Module's, so
 * `model.load_state_dict(load_safetensors(path))` needs no renaming) and the Python source of the equivalent
 * nn.Module, with `encode`, `decode` (the likelihood's mean, as vaekit's decode) and `forward(x)` = the training
 * loss. Continue training there (DDP included), save the state_dict as safetensors, and come back with `loadTorch`
 * (`{ kind }` for a ConditionalVAE, HierarchicalVAE or Autoencoder; the layer lists for a conv model) or
 * `setWeights(readFloatSafetensors(bytes))` (any model: same names and layout). Layer-list (conv) models export too:
 * `encoder.layers` / `decoder.layers` as nn.ModuleLists indexed like the config, NCHW inside, vaekit's
 * channels-last rows outside.
 *
 * @example
 * ```ts
 * import { exportTorch } from "vaekit/torch";
 * const { stateDict, python, className } = exportTorch(vae);
 * await writeFile("vae.safetensors", stateDict);
 * await writeFile("vae_model.py", python); // then in Python: from vae_model import VAE, load_safetensors
 * ```
 */
export function exportTorch(model: ModelApi<Terms>): TorchExport {
  if (typeof model !== "object" || model === null || typeof (model as { getWeights?: unknown }).getWeights !== "function") {
    throw new InvalidInputError(`exportTorch: expected a vaekit model (VAE, ConditionalVAE, HierarchicalVAE or Autoencoder); got ${show(model)}`);
  }
  const c = model.config as Config;
  const kind = model.kind;
  let python: string;
  const layerLists = Array.isArray(c.encoder);
  if (layerLists && (kind === "VAE" || kind === "ConditionalVAE" || kind === "Autoencoder")) python = layerModel(c, kind);
  else if (kind === "VAE" || kind === "ConditionalVAE") python = vae(c, kind);
  else if (kind === "HierarchicalVAE") python = hierarchical(c);
  else if (kind === "Autoencoder") python = autoencoder(c);
  else throw new InvalidInputError(`exportTorch: no PyTorch definition for ${show(kind)} models yet; it exports VAE, ConditionalVAE, HierarchicalVAE and Autoencoder`);
  const weights = model.getWeights();
  const tensors = new Map<string, Tensor>();
  if (layerLists) {
    // conv weights are 4-D ([out, in, kH, kW], ConvTranspose2d [in, out, kH, kW]): the model file has every shape
    const saved = decodeSafetensors(model.save()).tensors;
    for (const [name, data] of Object.entries(weights)) tensors.set(name, { shape: [...saved.get(name)!.shape], data });
  } else {
    for (const [name, data] of Object.entries(weights)) {
      // nn.Linear's [out, in]: out is the length of the layer's bias
      const out = name.endsWith(".weight") ? weights[name.replace(/\.weight$/, ".bias")]?.length : undefined;
      tensors.set(name, { shape: out ? [out, data.length / out] : [data.length], data });
    }
  }
  return { stateDict: encodeSafetensors(tensors, { format: "pt" }), python, className: kind };
}
