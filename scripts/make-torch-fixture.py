#!/usr/bin/python3
"""Writes the PyTorch import fixtures in test/fixtures/interop/ (run: /usr/bin/python3 scripts/make-torch-fixture.py).

Each fixture is a real torch.nn.Module built with a fixed seed, its state_dict written as safetensors
(`<name>.safetensors`), and `<name>.json`: the importer options that describe the parts a state_dict lacks
(activation, likelihood), inputs x and latent vectors z, and PyTorch's own float32 outputs

    mean, logVar = encoder(x)        decode = decoder(z)        reconstruct = decoder(mean)

where decoder ends in the likelihood's mean (sigmoid for Bernoulli, identity for Gaussian), as vaekit's decode().
test/interop/torch.test.ts loads the .safetensors with vaekit and compares; no Python is needed there.

Models:
  notes-relu-bernoulli   the lecture notes' demo classes (Encoder: fc1, fc_mu, fc_logvar; Decoder: fc1, fc2;
                         names encoder.fc1.weight, …), small sizes, float32
  examples-leaky-f64     pytorch/examples' VAE naming (fc1, fc21, fc22, fc3, fc4), leaky ReLU, created in float64
                         and stored as F64; the expected outputs are those of model.float() (round to nearest)
  examples-relu-f16      the same naming, weights rounded to half precision and stored as F16
  examples-relu-bf16     the same naming, weights rounded to bfloat16 and stored as BF16
  vaekit-tanh-gaussian   vaekit's own tensor names with two hidden layers, tanh, Gaussian likelihood (identity output)
  notes-784-400-20       the lecture notes' model at its real sizes; its weights are mulberry32 draws (the test
                         regenerates them with randomArray of test/helpers/wasm.ts and writes the safetensors
                         itself), so only inputs and outputs are stored
torch 1.13 has no safetensors writer and Debian has no python3-safetensors, so `write_safetensors` below writes the
format directly: 8-byte little-endian header length, a JSON header padded with spaces to a multiple of 8
({"__metadata__": {"format": "pt"}, name: {dtype, shape, data_offsets}}), then the raw little-endian tensors,
ordered by element size (largest first) and then by name, as the reference writer orders them.
"""
import importlib.util
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "interop")

_golden_spec = importlib.util.spec_from_file_location("make_golden", os.path.join(ROOT, "scripts", "make-golden.py"))
_golden = importlib.util.module_from_spec(_golden_spec)
_golden_spec.loader.exec_module(_golden)
f32list = _golden.f32list      # shortest decimal strings that round-trip to the same float32
mulberry32 = _golden.mulberry32  # bit-exact twin of randomArray() in test/helpers/wasm.ts

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path, state_dict):
    entries = sorted(state_dict.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, t in entries:
        t = t.detach().contiguous().cpu()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


# ---------------------------------------------------------------------------------------------- the models
class NotesEncoder(nn.Module):
    """The lecture notes' demo Encoder."""

    def __init__(self, input_dim=784, hidden_dim=400, latent_dim=20):
        super().__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden_dim, latent_dim)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)


class NotesDecoder(nn.Module):
    """The lecture notes' demo Decoder."""

    def __init__(self, latent_dim=20, hidden_dim=400, output_dim=784):
        super().__init__()
        self.fc1 = nn.Linear(latent_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, output_dim)

    def forward(self, z):
        h = F.relu(self.fc1(z))
        return torch.sigmoid(self.fc2(h))


class NotesVAE(nn.Module):
    def __init__(self, input_dim=784, hidden_dim=400, latent_dim=20):
        super().__init__()
        self.encoder = NotesEncoder(input_dim, hidden_dim, latent_dim)
        self.decoder = NotesDecoder(latent_dim, hidden_dim, input_dim)

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)


class ExamplesVAE(nn.Module):
    """pytorch/examples' VAE (fc1, fc21, fc22, fc3, fc4), with a choice of hidden activation."""

    def __init__(self, input_dim, hidden_dim, latent_dim, act):
        super().__init__()
        self.act = act
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def encode(self, x):
        h1 = self.act(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode(self, z):
        return torch.sigmoid(self.fc4(self.act(self.fc3(z))))


class VaekitNamedVAE(nn.Module):
    """An MLP VAE whose state_dict uses vaekit's own names (encoder.hidden.0, …, decoder.output)."""

    def __init__(self, input_dim, hidden, latent_dim, act, output):
        super().__init__()
        self.act, self.output = act, output
        enc, dims = [], [input_dim] + hidden
        for i in range(len(hidden)):
            enc.append(nn.Linear(dims[i], dims[i + 1]))
        self.encoder = nn.Module()
        self.encoder.hidden = nn.ModuleList(enc)
        self.encoder.mean = nn.Linear(dims[-1], latent_dim)
        self.encoder.logvar = nn.Linear(dims[-1], latent_dim)
        rdims = [latent_dim] + list(reversed(hidden))
        self.decoder = nn.Module()
        self.decoder.hidden = nn.ModuleList([nn.Linear(rdims[i], rdims[i + 1]) for i in range(len(hidden))])
        self.decoder.output = nn.Linear(rdims[-1], input_dim)

    def encode(self, x):
        h = x
        for l in self.encoder.hidden:
            h = self.act(l(h))
        return self.encoder.mean(h), self.encoder.logvar(h)

    def decode(self, z):
        h = z
        for l in self.decoder.hidden:
            h = self.act(l(h))
        return self.output(self.decoder.output(h))


# ---------------------------------------------------------------------------------------------- fixtures
def outputs(model, x, z):
    with torch.no_grad():
        mean, logvar = model.encode(x)
        return {
            "mean": f32list(mean.numpy()),
            "logVar": f32list(logvar.numpy()),
            "decode": f32list(model.decode(z).numpy()),
            "reconstruct": f32list(model.decode(mean).numpy()),
        }


def inputs(n, d, latent, seed, unit):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, d, generator=g) if unit else torch.randn(n, d, generator=g) * 1.5
    z = torch.randn(n, latent, generator=g)
    return x, z


def fixture(name, description, model, state_dict, options, x, z, extra=None):
    write_safetensors(os.path.join(OUT, f"{name}.safetensors"), state_dict)
    obj = {
        "generatedBy": "scripts/make-torch-fixture.py",
        "torchVersion": torch.__version__,
        "name": name,
        "description": description,
        "safetensors": f"{name}.safetensors",
        "options": options,
        "rows": x.shape[0],
        "x": f32list(x.numpy()),
        "z": f32list(z.numpy()),
        "expected": outputs(model, x, z),
        **(extra or {}),
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def rounded(model, dtype):
    """Rounds every parameter to `dtype` in place (the float32 model then computes with the stored values)."""
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(dtype).to(torch.float32))
    return model


def main():
    os.makedirs(OUT, exist_ok=True)

    torch.manual_seed(1)
    m = NotesVAE(24, 16, 4)
    x, z = inputs(5, 24, 4, 101, True)
    fixture("notes-relu-bernoulli", "the lecture notes' demo VAE (nested Encoder/Decoder) at 24-16-4, float32",
            m, m.state_dict(), {}, x, z)

    torch.manual_seed(2)
    m64 = ExamplesVAE(30, 12, 3, lambda h: F.leaky_relu(h, 0.01)).double()
    m32 = ExamplesVAE(30, 12, 3, lambda h: F.leaky_relu(h, 0.01))
    m32.load_state_dict({k: v.float() for k, v in m64.state_dict().items()})
    x, z = inputs(4, 30, 3, 102, True)
    fixture("examples-leaky-f64", "pytorch/examples' VAE naming at 30-12-3, leaky ReLU 0.01, stored as F64 "
            "(created in float64; outputs of the model rounded to float32)",
            m32, m64.state_dict(), {"activation": "leaky_relu", "leakySlope": 0.01}, x, z)

    for dtype, tag in ((torch.float16, "f16"), (torch.bfloat16, "bf16")):
        torch.manual_seed(3)
        m = rounded(ExamplesVAE(20, 10, 2, F.relu), dtype)
        x, z = inputs(4, 20, 2, 103, True)
        fixture(f"examples-relu-{tag}", f"pytorch/examples' VAE naming at 20-10-2, weights rounded to and stored "
                f"as {tag.upper()}", m, {k: v.to(dtype) for k, v in m.state_dict().items()}, {}, x, z)

    torch.manual_seed(4)
    m = VaekitNamedVAE(18, [10, 6], 3, torch.tanh, lambda y: y)
    x, z = inputs(4, 18, 3, 104, False)
    fixture("vaekit-tanh-gaussian", "vaekit's tensor names, hidden [10, 6] (decoder [6, 10]), tanh, Gaussian "
            "likelihood (identity output), float32", m, m.state_dict(),
            {"activation": "tanh", "likelihood": "gaussian"}, x, z)

    # The real sizes: weights are mulberry32 draws in ±1/√fan_in (nn.Linear's range), regenerated by the test.
    m = NotesVAE()
    gen = {}
    with torch.no_grad():
        for i, (name, p) in enumerate(m.state_dict().items()):
            fan_in = p.shape[1] if p.dim() == 2 else m.state_dict()[name.replace(".bias", ".weight")].shape[1]
            bound = 1.0 / np.sqrt(fan_in)
            seed = 7000 + i
            p.copy_(torch.from_numpy(mulberry32(p.numel(), seed, -bound, bound).reshape(p.shape)))
            gen[name] = {"shape": list(p.shape), "seed": seed, "lo": -bound, "hi": bound,
                         "check": {"sum": float(p.double().sum()), "first": f32list(p.flatten()[:3].numpy())}}
    x, z = inputs(3, 784, 20, 105, True)
    obj = {
        "generatedBy": "scripts/make-torch-fixture.py",
        "torchVersion": torch.__version__,
        "name": "notes-784-400-20",
        "description": "the lecture notes' demo VAE at its real sizes 784-400-20; weights are mulberry32 draws "
                       "(weightsGenerator) that the test regenerates and writes as safetensors with these names",
        "options": {},
        "weightsGenerator": gen,
        "rows": 3,
        "x": f32list(x.numpy()),
        "z": f32list(z.numpy()),
        "expected": outputs(m, x, z),
    }
    with open(os.path.join(OUT, "notes-784-400-20.json"), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
