#!/usr/bin/python3
"""PyTorch's side of the vaekit ⇄ PyTorch round trip (issues 19 and 13), for test/interop/torch-roundtrip.test.ts.

Run: VAEKIT_WRITE_TORCH_ROUNDTRIP=1 npx vitest run test/interop/torch-roundtrip.test.ts   (writes the exports)
     /usr/bin/python3 scripts/make-torch-roundtrip.py                                       (this script)

For each test/fixtures/torch-roundtrip/<name>.py + <name>.safetensors that vaekit's exportTorch wrote, it
  1. imports the module and loads the state_dict into the class it defines (strict: every name and shape);
  2. eval mode: encode(x) and decode(z) (and the labels y of a ConditionalVAE);
  3. train mode: the module's own loss, forward(x), on fixed inputs AND fixed noise — torch.randn_like, which the
     module calls for each reparameterised sample (z, or z1 then z2), is made to return the recorded ε — in float32
     and in float64 (the same module, .double());
  4. trains it 3 Adam steps further in PyTorch (lr 1e-2, random noise from torch.manual_seed(0)), saves that
     state_dict as safetensors the way safetensors.torch.save_file does (F32, and batch norm's num_batches_tracked as
     I64) to <name>-trained.safetensors, and records eval-mode encode(x) and decode(z) after training;
and writes <name>.json. The test (no Python) compares vaekit's outputs and loss with these, and loads the trained
state_dict back with loadTorch.

It also builds a PyTorch conv VAE of its own, written as PyTorch users write them (nn.Sequential of Conv2d,
BatchNorm2d, ReLU, Flatten, Linear; heads fc_mu / fc_var; a decoder of Linear, Unflatten and ConvTranspose2d; a
conv without bias before its batch norm), with random weights and running statistics, and saves
native-conv-vae.safetensors + native-conv-vae.json (its eval-mode outputs): "vaekit/torch reads PyTorch conv VAEs".
Deterministic: fixed seeds, one thread.
"""
import importlib.util
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DIR = os.path.join(ROOT, "test", "fixtures", "torch-roundtrip")
N = 6
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_safetensors(path, state_dict):
    """safetensors as safetensors.torch.save_file writes a state_dict: each tensor in its own dtype."""
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, t in sorted(state_dict.items()):
        t = t.detach().contiguous().cpu()
        raw = t.numpy().tobytes()
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


def flat(t):
    """A tensor (or tuple of tensors) as lists of Python floats (float32 values printed exactly as doubles)."""
    if isinstance(t, (tuple, list)):
        return [flat(u) for u in t]
    return [float(v) for v in t.detach().float().reshape(-1).tolist()]


class FixedNoise:
    """Makes torch.randn_like (or `fn`) return the given tensors in order (the module's reparameterised samples, a
    denoising autoencoder's corruption)."""

    def __init__(self, noises, fn="randn_like"):
        self.queue = list(noises)
        self.fn = fn

    def __enter__(self):
        self.original = getattr(torch, self.fn)

        def fake(t, **kwargs):
            e = self.queue.pop(0)
            assert e.shape == t.shape, (e.shape, t.shape)
            return e.to(t.dtype)

        setattr(torch, self.fn, fake)
        return self

    def __exit__(self, *exc):
        setattr(torch, self.fn, self.original)
        assert not self.queue or exc[0] is not None, "unused noise: the module drew fewer samples than expected"


def exported(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(DIR, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    with open(os.path.join(DIR, name + ".py")) as f:
        cls = next(line.split()[1].split("(")[0] for line in f if line.startswith("class ") and "(nn.Module)" in line
                   and line.split()[1].split("(")[0] in ("VAE", "ConditionalVAE", "HierarchicalVAE", "Autoencoder"))
    model = getattr(mod, cls)()
    model.load_state_dict(mod.load_safetensors(os.path.join(DIR, name + ".safetensors")), strict=True)
    return mod, cls, model


def latent_sizes(model, cls):
    if cls == "HierarchicalVAE":
        return [model.encoder.z1.mean.out_features, model.encoder.z2.mean.out_features]
    if cls == "Autoencoder":
        return [model.encoder.code.out_features]
    return [model.encoder.mean.out_features]


def input_size(model):
    d = model.decoder
    if hasattr(d, "output"):
        return d.output.out_features
    return None


def roundtrip(name, gen):
    mod, cls, model = exported(name)
    with open(os.path.join(DIR, name + ".config.json")) as f:
        config = json.load(f)
    D = config["inputSize"]
    C = config.get("classes", 0)
    sizes = latent_sizes(model, cls)
    x = torch.rand((N, D), generator=gen, dtype=torch.float32)
    x[x < 0.15] = 0
    y = torch.tensor([i % C for i in range(N)], dtype=torch.float32) if C else None
    z = torch.randn((N, sizes[-1]), generator=gen, dtype=torch.float32)
    eps = [torch.randn((N, L), generator=gen, dtype=torch.float32) for L in sizes] if cls != "Autoencoder" else []
    noise_fn = "randn_like"
    noise_path = os.path.join(DIR, name + ".noise.json")
    if os.path.exists(noise_path):
        # a denoising autoencoder: the corruption vaekit draws (written by the test), which the module draws instead
        with open(noise_path) as f:
            noise = json.load(f)
        noise_fn = noise["fn"]
        eps = [torch.tensor(noise["values"], dtype=torch.float32).view(N, D)]
    args = (x, y) if C else (x,)
    zargs = (z, y) if C else (z,)
    out = {"generatedBy": "scripts/make-torch-roundtrip.py", "torch": torch.__version__, "kind": cls,
           "x": flat(x), "z": flat(z), "epsilon": flat(eps) if noise_fn == "randn_like" and cls != "Autoencoder" else []}
    if C:
        out["y"] = [int(v) for v in y.tolist()]
    model.eval()
    with torch.no_grad():
        out["encode"] = flat(model.encode(*args))
        out["decode"] = flat(model.decode(*zargs))
    # the module's loss on fixed inputs and noise, training mode (batch norm: batch statistics)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    with torch.no_grad(), FixedNoise(eps, noise_fn):
        out["loss32"] = float(model(*args))
    model.load_state_dict(state)  # the training forward moved the running statistics; put them back
    m64 = exported(name)[2].double()
    m64.train()
    with torch.no_grad(), FixedNoise([e.double() for e in eps], noise_fn):
        out["loss"] = float(m64(*[a.double() for a in args]))
    # train on in PyTorch
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = model(*args)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    out["losses"] = losses
    write_safetensors(os.path.join(DIR, name + "-trained.safetensors"), model.state_dict())
    model.eval()
    with torch.no_grad():
        out["trainedEncode"] = flat(model.encode(*args))
        out["trainedDecode"] = flat(model.decode(*zargs))
    with open(os.path.join(DIR, name + ".json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {cls}, loss {out['loss']:.6f} (float32 {out['loss32']:.6f}), trained losses", ["%.3f" % v for v in losses])


# ---- a PyTorch conv VAE written the PyTorch way (not by vaekit) ----
H, W, CH, LATENT = 12, 8, 2, 3


class NativeConvVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(CH, 4, 3, stride=2, padding=1, bias=False),  # 12×8 → 6×4
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.Conv2d(4, 6, 3, stride=2, padding=1),  # → 3×2
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(6 * 3 * 2, 10),
            nn.Tanh(),
        )
        self.fc_mu = nn.Linear(10, LATENT)
        self.fc_var = nn.Linear(10, LATENT)
        self.decoder = nn.Sequential(
            nn.Linear(LATENT, 6 * 3 * 2),
            nn.ReLU(),
            nn.Unflatten(1, (6, 3, 2)),
            nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1),  # → 6×4
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.ConvTranspose2d(4, CH, 3, stride=2, padding=1, output_padding=1),  # → 12×8
        )

    def encode(self, images):
        h = self.encoder(images)
        return self.fc_mu(h), self.fc_var(h)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))


def native(gen):
    model = NativeConvVAE()
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                t.fill_(7)
                continue
            r = torch.rand(t.shape, generator=gen, dtype=torch.float32)
            if name.endswith("running_var"):
                t.copy_(0.5 + r)
            elif name.endswith(".weight") and t.dim() == 1:  # batch norm's γ
                t.copy_(0.75 + 0.5 * r)
            else:
                t.copy_(r - 0.5)
    model.eval()
    rows = torch.rand((N, H * W * CH), generator=gen, dtype=torch.float32)  # vaekit's rows: channels last
    z = torch.randn((N, LATENT), generator=gen, dtype=torch.float32)
    with torch.no_grad():
        mu, lv = model.encode(rows.view(N, H, W, CH).permute(0, 3, 1, 2))
        dec = model.decode(z).permute(0, 2, 3, 1).reshape(N, -1)
    write_safetensors(os.path.join(DIR, "native-conv-vae.safetensors"), model.state_dict())
    out = {"generatedBy": "scripts/make-torch-roundtrip.py", "torch": torch.__version__, "module": repr(model),
           "x": flat(rows), "z": flat(z), "mean": flat(mu), "logVar": flat(lv), "decode": flat(dec)}
    with open(os.path.join(DIR, "native-conv-vae.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("native-conv-vae:", len(model.state_dict()), "tensors")


def main():
    names = sorted(f[:-3] for f in os.listdir(DIR) if f.endswith(".py"))
    if not names:
        sys.exit("no exported modules in " + DIR + ": run the test with VAEKIT_WRITE_TORCH_ROUNDTRIP=1 first")
    gen = torch.Generator().manual_seed(19)
    for name in names:
        roundtrip(name, gen)
    native(torch.Generator().manual_seed(13))


if __name__ == "__main__":
    main()
