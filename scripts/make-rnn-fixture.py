#!/usr/bin/python3
"""Fixtures for vaekit's recurrent cells and VRNN, from PyTorch (Debian python3-torch 1.13), in float64.

  test/fixtures/rnn/cells.json   torch.nn.GRUCell / LSTMCell on sweeps of (in, H) below/at/above the 4×8 tile:
                                 weights (PyTorch layout), x, h₋ (c₋), the outputs, and for a random upstream gradient
                                 (dh, dc) the gradients of x, h₋ (c₋) and every parameter.
  test/fixtures/rnn/vrnn-*.json  a small VRNN (bench/vrnn_torch.py's model class) with variable lengths: weights,
                                 x [n, T, D], lengths, ε [n, T, Z], the per-sequence loss terms and every gradient.

Inputs are drawn with mulberry32 (test/helpers/wasm.ts's randomArray twin) and rounded to float32; the references
are computed in float64 from those float32 values. Run: /usr/bin/python3 scripts/make-rnn-fixture.py
"""
import importlib.util
import json
import os

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "rnn")

_g = importlib.util.spec_from_file_location("make_golden", os.path.join(ROOT, "scripts", "make-golden.py"))
_golden = importlib.util.module_from_spec(_g)
_g.loader.exec_module(_golden)
f32list = _golden.f32list
mulberry32 = _golden.mulberry32

_v = importlib.util.spec_from_file_location("vrnn_torch", os.path.join(ROOT, "bench", "vrnn_torch.py"))
_vrnn = importlib.util.module_from_spec(_v)
_v.loader.exec_module(_vrnn)

torch.set_default_dtype(torch.float64)


def uniform(n, seed, lo=-1.0, hi=1.0):
    return mulberry32(n, seed, lo, hi)


def t64(a, shape):
    return torch.tensor(np.asarray(a, dtype=np.float32).astype(np.float64).reshape(shape))


def cell_case(kind, inp, H, B, seed):
    G = 3 if kind == "gru" else 4
    cell = (torch.nn.GRUCell if kind == "gru" else torch.nn.LSTMCell)(inp, H)
    params = {}
    for j, n in enumerate(("weight_ih", "weight_hh", "bias_ih", "bias_hh")):
        p = getattr(cell, n)
        v = uniform(p.numel(), seed + 10 + j, -0.6, 0.6)
        with torch.no_grad():
            p.copy_(t64(v, p.shape))
        params[n] = v
    x = t64(uniform(B * inp, seed + 1, -2, 2), (B, inp)).requires_grad_()
    h = t64(uniform(B * H, seed + 2), (B, H)).requires_grad_()
    dh = t64(uniform(B * H, seed + 3), (B, H))
    case = {"kind": kind, "in": inp, "H": H, "B": B, "x": f32list(x.detach()), "h": f32list(h.detach()), "dh": f32list(dh),
            **{n: f32list(v) for n, v in params.items()}}
    if kind == "gru":
        out = cell(x, h)
        out.backward(dh)
        case["out_h"] = out.detach().numpy().ravel().tolist()
    else:
        c = t64(uniform(B * H, seed + 4), (B, H)).requires_grad_()
        dc = t64(uniform(B * H, seed + 5), (B, H))
        ho, co = cell(x, (h, c))
        (ho * dh).sum().add_((co * dc).sum()).backward()
        case.update({"c": f32list(c.detach()), "dc": f32list(dc), "out_h": ho.detach().numpy().ravel().tolist(),
                     "out_c": co.detach().numpy().ravel().tolist(), "grad_c": c.grad.numpy().ravel().tolist()})
    case["grad_x"] = x.grad.numpy().ravel().tolist()
    case["grad_h"] = h.grad.numpy().ravel().tolist()
    for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        case["grad_" + n] = getattr(cell, n).grad.numpy().ravel().tolist()
    assert G * H == cell.weight_ih.shape[0]
    return case


def vrnn_case(name, cell, likelihood, sigma, seed):
    D, H, Z = 5, 6, 3
    cfg = dict(phi_x=(7, 4), phi_z=(4,), prior=(5,), enc=(6,), dec=(5, 4))
    m = _vrnn.VRNN(D, H, Z, likelihood=likelihood, sigma=sigma, **cfg)
    if cell == "lstm":
        m.rnn = torch.nn.LSTMCell(cfg["phi_x"][-1] + cfg["phi_z"][-1], H)
        m.rnn.double()

        def lstm_step(inp, h, _cell=m.rnn):
            hh, cc = _cell(inp, (h[:, :H], h[:, H:]))
            return torch.cat([hh, cc], 1)
    weights = {}
    for j, (n, p) in enumerate(sorted(m.state().items())):
        v = uniform(p.numel(), seed + 100 + j, -0.5, 0.5)
        with torch.no_grad():
            p.copy_(t64(v, p.shape))
        weights[n] = v
    n_, T = 3, 4
    lengths = [4, 2, 3]
    lo, hi = (0.0, 1.0) if likelihood == "bernoulli" else (-1.5, 1.5)
    x = uniform(n_ * T * D, seed + 1, lo, hi)
    # padded steps hold junk on purpose: a padded step must change nothing
    eps = uniform(n_ * T * Z, seed + 2, -2, 2)
    xt, et = t64(x, (n_, T, D)), t64(eps, (n_, T, Z))
    if cell == "lstm":
        rec, kl = lstm_loss(m, xt, et, torch.tensor(lengths), H)
    else:
        rec, kl = m.loss(xt, et, torch.tensor(lengths))
    loss = (rec + kl).sum()
    loss.backward()
    case = {
        "name": name,
        "config": {"inputSize": D, "hiddenSize": H, "latentSize": Z, "cell": cell, "phiX": list(cfg["phi_x"]),
                   "phiZ": list(cfg["phi_z"]), "priorSizes": list(cfg["prior"]), "encoderSizes": list(cfg["enc"]),
                   "decoderSizes": list(cfg["dec"]), "activation": "relu", "likelihood": likelihood,
                   "likelihoodScale": sigma, "seed": 1},
        "n": n_, "steps": T, "lengths": lengths, "x": f32list(x), "epsilon": f32list(eps),
        "weights": {k: f32list(v) for k, v in weights.items()},
        "loss": loss.item(), "reconstruction": rec.detach().numpy().tolist(), "kl": kl.detach().numpy().tolist(),
        "gradients": {k: p.grad.numpy().ravel().tolist() for k, p in m.state().items()},
    }
    return case


def lstm_loss(m, x, eps, lengths, H):
    """bench/vrnn_torch.py's VRNN.loss with an LSTM cell (state (h, c); padded steps carry both)."""
    import torch.nn.functional as F
    B, T, _ = x.shape
    h = x.new_zeros(B, H)
    c = x.new_zeros(B, H)
    rec = x.new_zeros(B)
    kl = x.new_zeros(B)
    fx_all = m.phi_x(x.reshape(B * T, -1)).reshape(B, T, -1)
    for t in range(T):
        xt, fx = x[:, t], fx_all[:, t]
        p = m.prior(h)
        pm, plv = m.prior_mean(p), m.prior_logvar(p)
        e = m.enc(torch.cat([fx, h], 1))
        qm, qlv = m.enc_mean(e), m.enc_logvar(e)
        z = qm + torch.exp(0.5 * qlv) * eps[:, t]
        fz = m.phi_z(z)
        d = m.dec_out(m.dec(torch.cat([fz, h], 1)))
        if m.likelihood == "bernoulli":
            r = F.binary_cross_entropy_with_logits(d, xt, reduction="none").sum(1)
        else:
            s = m.sigma
            r = (0.5 * ((xt - d) / s) ** 2).sum(1) + m.x_dim * (np.log(s) + 0.5 * np.log(2 * np.pi))
        k = 0.5 * (plv - qlv + (torch.exp(qlv) + (qm - pm) ** 2) / torch.exp(plv) - 1).sum(1)
        hn, cn = m.rnn(torch.cat([fx, fz], 1), (h, c))
        msk = (t < lengths).to(x.dtype)
        rec, kl = rec + r * msk, kl + k * msk
        h = msk[:, None] * hn + (1 - msk[:, None]) * h
        c = msk[:, None] * cn + (1 - msk[:, None]) * c
    return rec, kl


def main():
    os.makedirs(OUT, exist_ok=True)
    cases, seed = [], 1000
    for kind in ("gru", "lstm"):
        for inp, H in ((3, 2), (5, 4), (8, 8), (17, 9), (33, 13)):
            cases.append(cell_case(kind, inp, H, 5, seed))
            seed += 20
    with open(os.path.join(OUT, "cells.json"), "w") as f:
        json.dump({"source": "torch " + torch.__version__ + ", float64", "cases": cases}, f)
    for name, cell, lik, sigma, s in (("vrnn-gru-bernoulli", "gru", "bernoulli", 1.0, 7),
                                      ("vrnn-lstm-gaussian", "lstm", "gaussian", 0.7, 8)):
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(vrnn_case(name, cell, lik, sigma, s), f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
