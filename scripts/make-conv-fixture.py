#!/usr/bin/python3
"""Writes the convolutional fixtures in test/fixtures/conv/ (run: /usr/bin/python3 scripts/make-conv-fixture.py).

A small conv VAE with odd sizes — conv2d, batch norm (2-d and 1-d), flatten, dense, reshape, conv2dTranspose —
built as ordinary PyTorch modules from the same layer list vaekit takes (CONFIG below), so that its state_dict
names are vaekit's (encoder.layers.{i}.weight, encoder.mean.*, decoder.layers.{i}.running_mean, …). Images are
vaekit's channels-last rows; the PyTorch model sees them as NCHW (x.view(N, H, W, C).permute(0, 3, 1, 2)), flattens
with flatten(1) (C-H-W order), reshapes with view(-1, C, H, W), and its output is turned back into channels-last
rows. Deterministic: fixed seeds, one thread.

conv-vae-golden.json   train mode (batch statistics): loss = Σ over the batch of BCE-with-logits + KL, its
                       reconstruction and KL, and every parameter's gradient (autograd), computed in float64 from
                       the float32 weights, inputs and ε (PyTorch's own float32 run's distance from them is in
                       torchFloat32); the running statistics after that one training forward (PyTorch's momentum,
                       unbiased variance); and eval mode (running statistics): encode's mean/logvar and decode(z).
conv-vae-torch.json    written only when test/fixtures/conv/vaekit-conv-vae.safetensors exists (a file saved by
                       vaekit after a few training steps, by `node scripts/make-conv-file.mjs`): PyTorch loads it
                       with load_state_dict(strict=True) into the same modules and records its eval-mode outputs
                       for inputs x and latent z, which test/conv/torch-conv.test.ts compares with vaekit's.
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
OUT = os.path.join(ROOT, "test", "fixtures", "conv")

_spec = importlib.util.spec_from_file_location("make_golden", os.path.join(ROOT, "scripts", "make-golden.py"))
_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_golden)
f32list, f64list = _golden.f32list, _golden.f64list

LEAKY = 0.01
ACTS = {
    "identity": lambda h: h,
    "relu": F.relu,
    "leaky_relu": lambda h: F.leaky_relu(h, LEAKY),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}

# The model: odd image sizes (7 × 11 × 2), every layer kind, batch norm after a conv, after a dense layer whose
# output is reshaped (BatchNorm1d in C-H-W order) and after a conv2dTranspose.
CONFIG = {
    "inputShape": [7, 11, 2],
    "latentSize": 3,
    "encoder": [
        {"type": "conv2d", "filters": 3, "kernelSize": 3, "strides": 2, "padding": 1, "activation": "relu"},
        {"type": "batchNorm"},
        {"type": "conv2d", "filters": 5, "kernelSize": [2, 3], "strides": 1, "padding": 0, "activation": "tanh"},
        {"type": "flatten"},
        {"type": "dense", "units": 6, "activation": "relu"},
    ],
    "decoder": [
        {"type": "dense", "units": 24, "activation": "leaky_relu"},
        {"type": "batchNorm", "momentum": 0.2},
        {"type": "reshape", "shape": [2, 3, 4]},
        {"type": "conv2dTranspose", "filters": 3, "kernelSize": 3, "strides": 2, "padding": 1, "outputPadding": 1,
         "activation": "relu"},
        {"type": "batchNorm", "epsilon": 1e-3},
        {"type": "conv2dTranspose", "filters": 2, "kernelSize": 3, "strides": 2, "padding": 1},
    ],
    "likelihood": "bernoulli",
    "seed": 3,
}
BATCH = 5


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


class Flatten(nn.Module):
    def forward(self, x):
        return x.flatten(1)


class Reshape(nn.Module):
    def __init__(self, hwc):
        super().__init__()
        self.hwc = hwc

    def forward(self, x):
        h, w, c = self.hwc
        return x.view(-1, c, h, w)


class Layers(nn.Module):
    """A vaekit layer list as nn.ModuleList `layers` (flatten/reshape keep their index), activations after each."""

    def __init__(self, specs, shape, label_cols=0):
        super().__init__()
        mods, self.acts, self.join = [], [], None
        for i, s in enumerate(specs):
            t = s["type"]
            if t == "dense":
                mods.append(nn.Linear(shape[0], s["units"]))
                shape = [s["units"]]
            elif t in ("conv2d", "conv2dTranspose"):
                k, st, p = pair(s["kernelSize"]), pair(s.get("strides", 1)), pair(s.get("padding", 0))
                if t == "conv2d":
                    m = nn.Conv2d(shape[2], s["filters"], k, st, p)
                    hw = [(shape[j] + 2 * p[j] - k[j]) // st[j] + 1 for j in (0, 1)]
                else:
                    op = pair(s.get("outputPadding", 0))
                    m = nn.ConvTranspose2d(shape[2], s["filters"], k, st, p, op)
                    hw = [(shape[j] - 1) * st[j] - 2 * p[j] + k[j] + op[j] for j in (0, 1)]
                mods.append(m)
                shape = hw + [s["filters"]]
            elif t == "batchNorm":
                c = shape[2] if len(shape) == 3 else shape[0]
                cls = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
                mods.append(cls(c, eps=s.get("epsilon", 1e-5), momentum=s.get("momentum", 0.1)))
            elif t == "flatten":
                mods.append(Flatten())
                if label_cols and self.join is None:
                    self.join = i
                shape = [shape[0] * shape[1] * shape[2] + (label_cols if self.join == i else 0)]
            else:
                mods.append(Reshape(s["shape"]))
                shape = list(s["shape"])
            self.acts.append(s.get("activation", "identity"))
        self.layers = nn.ModuleList(mods)
        self.out_shape = shape

    def forward(self, h, y=None):
        for i, (m, a) in enumerate(zip(self.layers, self.acts)):
            h = ACTS[a](m(h))
            if i == self.join:
                h = torch.cat([h, y], 1)
        return h


class ConvVAE(nn.Module):
    def __init__(self, cfg, classes=0):
        super().__init__()
        H, W, C = cfg["inputShape"]
        self.hwc, self.L, self.classes = (H, W, C), cfg["latentSize"], classes
        self.encoder = Layers(cfg["encoder"], [H, W, C], classes)
        width = self.encoder.out_shape[0]
        self.encoder.mean = nn.Linear(width, self.L)
        self.encoder.logvar = nn.Linear(width, self.L)
        self.decoder = Layers(cfg["decoder"], [self.L + classes])

    def images(self, rows):
        """vaekit's channels-last rows → NCHW."""
        H, W, C = self.hwc
        return rows.view(-1, H, W, C).permute(0, 3, 1, 2)

    def encode(self, x, y=None):
        h = self.encoder(self.images(x), y)
        return self.encoder.mean(h), self.encoder.logvar(h)

    def decode(self, z, y=None):
        out = self.decoder(z if y is None else torch.cat([z, y], 1))
        return out.permute(0, 2, 3, 1).reshape(out.shape[0], -1) if out.dim() == 4 else out

    def loss(self, x, eps, y=None):
        mu, lv = self.encode(x, y)
        z = mu + torch.exp(0.5 * lv) * eps
        logits = self.decode(z, y)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + lv - mu * mu - torch.exp(lv))
        return rec + kl, rec, kl


def randomise(model, gen):
    """Weights U(−0.5, 0.5), BN γ around 1, β, running mean/var non-trivial (so every path is exercised)."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            r = torch.rand(t.shape, generator=gen, dtype=torch.float32)
            if name.endswith("running_var"):
                t.copy_(0.5 + r)
            elif ".weight" in name and t.dim() == 1:  # batch-norm γ
                t.copy_(0.75 + 0.5 * r)
            else:
                t.copy_(r - 0.5)


def state32(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def run(W32, x32, eps32, z32, dtype):
    m = ConvVAE(CONFIG).to(dtype)
    m.load_state_dict({k: v.to(dtype) for k, v in W32.items()}, strict=False)
    m.train()
    x, eps = x32.to(dtype), eps32.to(dtype)
    loss, rec, kl = m.loss(x, eps)
    m.zero_grad()
    loss.backward()
    grads = {k: p.grad.detach().clone() for k, p in m.named_parameters()}
    running = {k: v.detach().clone() for k, v in m.state_dict().items() if "running" in k}
    # eval mode with the ORIGINAL running statistics (before the training forward above updated them)
    e = ConvVAE(CONFIG).to(dtype)
    e.load_state_dict({k: v.to(dtype) for k, v in W32.items()}, strict=False)
    e.eval()
    with torch.no_grad():
        mu, lv = e.encode(x)
        dec = torch.sigmoid(e.decode(z32.to(dtype)))
    return dict(loss=loss.item(), rec=rec.item(), kl=kl.item(), grads=grads, running=running, mean=mu, logvar=lv, decode=dec)


def golden():
    gen = torch.Generator().manual_seed(13)
    model = ConvVAE(CONFIG)
    randomise(model, gen)
    W32 = state32(model)
    D = int(np.prod(CONFIG["inputShape"]))
    L = CONFIG["latentSize"]
    x32 = torch.rand((BATCH, D), generator=gen, dtype=torch.float32)
    x32[x32 < 0.2] = 0  # some exact zeros, as images have
    eps32 = torch.randn((BATCH, L), generator=gen, dtype=torch.float32)
    z32 = torch.randn((4, L), generator=gen, dtype=torch.float32)
    r64 = run(W32, x32, eps32, z32, torch.float64)
    r32 = run(W32, x32, eps32, z32, torch.float32)
    grad_err = max(float((r32["grads"][k].double() - g).abs().max() / max(g.abs().max(), 1e-30)) for k, g in r64["grads"].items())
    out = {
        "generatedBy": "scripts/make-conv-fixture.py",
        "torchVersion": torch.__version__,
        "config": CONFIG,
        "leakySlope": LEAKY,
        "batch": BATCH,
        "x": f32list(x32),
        "epsilon": f32list(eps32),
        "z": f32list(z32),
        "weights": {k: {"shape": list(v.shape), "data": f32list(v)} for k, v in W32.items()},
        "expected": {
            "loss": r64["loss"], "reconstruction": r64["rec"], "kl": r64["kl"],
            "gradients": {k: f64list(g) for k, g in r64["grads"].items()},
            "runningAfterStep": {k: f64list(v) for k, v in r64["running"].items()},
            "evalMean": f64list(r64["mean"]), "evalLogVar": f64list(r64["logvar"]), "evalDecode": f64list(r64["decode"]),
        },
        "torchFloat32": {
            "lossRelErr": abs(r32["loss"] - r64["loss"]) / abs(r64["loss"]),
            "gradMaxErrOverMaxAbs": grad_err,
        },
    }
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "conv-vae-golden.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("conv-vae-golden.json: loss", r64["loss"], "float32 grad err", grad_err)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    body = raw[8 + n:]
    out = {}
    for name, h in header.items():
        assert h["dtype"] == "F32", h
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype="<f4").copy()).reshape(h["shape"])
    return out, meta


def from_vaekit():
    """PyTorch's eval-mode outputs for a model file saved by vaekit (strict load: every name and shape must match)."""
    path = os.path.join(OUT, "vaekit-conv-vae.safetensors")
    if not os.path.exists(path):
        print("no", path, "- run node scripts/make-conv-file.mjs first for conv-vae-torch.json")
        return
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    classes = cfg.get("classes", 0)
    model = ConvVAE(cfg, classes)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    # num_batches_tracked is only used when momentum is None (cumulative averages); vaekit uses a fixed momentum
    assert all(k.endswith("num_batches_tracked") for k in missing) and not unexpected, (missing, unexpected)
    model.eval()
    gen = torch.Generator().manual_seed(29)
    D = int(np.prod(cfg["inputShape"]))
    x = torch.rand((6, D), generator=gen, dtype=torch.float32)
    z = torch.randn((4, cfg["latentSize"]), generator=gen, dtype=torch.float32)
    with torch.no_grad():
        mu, lv = model.encode(x)
        dec = torch.sigmoid(model.decode(z))
        rec = torch.sigmoid(model.decode(mu))
    out = {
        "generatedBy": "scripts/make-conv-fixture.py",
        "torchVersion": torch.__version__,
        "file": "vaekit-conv-vae.safetensors",
        "loadedStrict": sorted(tensors.keys()),
        "x": f32list(x), "z": f32list(z),
        "mean": f32list(mu), "logVar": f32list(lv), "decode": f32list(dec), "reconstruct": f32list(rec),
    }
    with open(os.path.join(OUT, "conv-vae-torch.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("conv-vae-torch.json:", len(tensors), "tensors loaded")


if __name__ == "__main__":
    golden()
    from_vaekit()
