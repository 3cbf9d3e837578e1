#!/usr/bin/python3
"""Runs the PyTorch modules that vaekit's exportTorch wrote and commits what they compute
(run: /usr/bin/python3 scripts/make-export-fixture.py, after
VAEKIT_WRITE_EXPORT_FIXTURES=1 npx vitest run test/interop/torch-export.test.ts has written the exports).

For each test/fixtures/interop/export/<name>.py (+ <name>.safetensors, the state_dict) it
  1. imports the module and loads the state_dict into the class it defines (strict: every name must match);
  2. evaluates it in float32 on fixed inputs: encode(x) and decode(z) (and their labels y for a ConditionalVAE);
  3. trains it 3 steps further in PyTorch (Adam, lr 1e-3, forward(x) = the training loss, torch.manual_seed(0)),
     writes that state_dict as <name>-trained.safetensors and decode(z) after training;
and writes <name>.json: the inputs, the outputs, and the loss values. test/interop/torch-export.test.ts (no Python)
checks vaekit's outputs against them and brings the trained weights back into vaekit.
The inputs are simple closed forms, so the test could recompute them; they are stored anyway.
"""
import importlib.util
import json
import os
import struct
import sys

import torch

torch.set_num_threads(1)
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DIR = os.path.join(ROOT, "test", "fixtures", "interop", "export")


def write_safetensors(path, state_dict):
    """F32 safetensors (see scripts/make-torch-fixture.py for the format)."""
    entries = sorted(state_dict.items())
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, t in entries:
        raw = t.detach().contiguous().cpu().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
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
    """A tensor (or tuple of tensors) as lists of Python floats (float32 values, printed as doubles)."""
    if isinstance(t, (tuple, list)):
        return [flat(u) for u in t]
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def main():
    names = sorted(f[:-3] for f in os.listdir(DIR) if f.endswith(".py"))
    if not names:
        sys.exit("no exported modules in " + DIR + ": run the test with VAEKIT_WRITE_EXPORT_FIXTURES=1 first")
    for name in names:
        spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(DIR, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        with open(os.path.join(DIR, name + ".py")) as f:
            cls = next(line.split()[1].split("(")[0] for line in f if line.startswith("class ") and "(nn.Module)" in line
                       and line.split()[1].split("(")[0] not in ("Gaussian", "Net"))
        model = getattr(mod, cls)()
        model.load_state_dict(mod.load_safetensors(os.path.join(DIR, name + ".safetensors")), strict=True)
        conditional = cls == "ConditionalVAE"
        D = model.decoder.output.out_features
        n = 5
        x = torch.tensor([[((i * 7 + j * 3) % 11) / 10.0 for j in range(D)] for i in range(n)], dtype=torch.float32)
        y = torch.tensor([i % 3 for i in range(n)], dtype=torch.float32)
        args = (x, y) if conditional else (x,)
        with torch.no_grad():
            enc = model.encode(*args)
            code_size = (enc[2] if cls == "HierarchicalVAE" else enc[0] if isinstance(enc, tuple) else enc).shape[1]
            z = torch.tensor([[((i * 5 + j * 2) % 9) / 4.0 - 1.0 for j in range(code_size)] for i in range(n)], dtype=torch.float32)
            zargs = (z, y) if conditional else (z,)
            out = {"x": flat(x), "z": flat(z), "encode": flat(enc), "decode": flat(model.decode(*zargs))}
            if conditional:
                out["y"] = [int(v) for v in y.tolist()]
        torch.manual_seed(0)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = model(*args)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        write_safetensors(os.path.join(DIR, name + "-trained.safetensors"), model.state_dict())
        with torch.no_grad():
            out["trainedDecode"] = flat(model.decode(*zargs))
        out["losses"] = losses
        out["torch"] = torch.__version__
        with open(os.path.join(DIR, name + ".json"), "w") as f:
            json.dump(out, f, indent=None, separators=(",", ":"))
            f.write("\n")
        print(name, cls, "losses", ["%.3f" % v for v in losses])


if __name__ == "__main__":
    main()
