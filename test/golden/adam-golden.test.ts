// The optimizer kernels against torch.optim (PyTorch 1.13): Adam, Adam with L2 weight decay, AdamW, SGD with
// momentum / dampening / weight decay / Nesterov — 3 steps from a fixed parameter vector with fixed gradients
// (test/fixtures/golden/optim.json, written by scripts/make-golden.py; no Python needed here).
//
// Tolerance: |p − p_torch| ≤ 1e-6 · max(|p_torch|, |p_before|) per element, i.e. a handful of float32 ulps of the
// parameter. Both sides run in float32, so they can differ only by the rounding of a few operations; a step
// that is wrong in any part of its formula (a missing bias correction, ε inside the square root at these
// gradient sizes, coupled vs decoupled decay, Nesterov's look-ahead, the first-step momentum buffer) moves the
// parameter by a fraction of lr·|update|, i.e. by 1e-5..1e-1 relative, and fails. The vector's magnitudes
// span 1e-3..20 and it has a zero, a tiny (1e-6: ε matters) and a large (−250) gradient; n = 37 runs both the
// SIMD body and a scalar tail.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { loadKernels } from "../helpers/wasm.js";

interface AdamHyper {
  kind: "adam";
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}
interface SgdHyper {
  kind: "sgd";
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}
interface OptimFixture {
  torchVersion: string;
  n: number;
  params0: number[];
  grads: number[][];
  cases: { name: string; hyper: AdamHyper | SgdHyper; paramsAfter: number[][] }[];
}

const fx: OptimFixture = JSON.parse(
  readFileSync(new URL("../fixtures/golden/optim.json", import.meta.url), "utf8"),
);

const REL = 1e-6;
const worstSeen: string[] = [];
afterAll(() => {
  if (worstSeen.length) console.log(`optimizers vs torch.optim, worst relative error per step:\n  ${worstSeen.join("\n  ")}`);
});

function compare(got: Float32Array, want: number[], before: Float32Array, label: string): void {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const scale = Math.max(Math.abs(want[i]), Math.abs(before[i]));
    const r = Math.abs(got[i] - want[i]) / scale;
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  worstSeen.push(`${label}: ${worst.toExponential(2)} (${(worst / REL).toFixed(3)} of tolerance)`);
  const detail = `${label}: worst relative error ${worst.toExponential(3)} at [${at}] (got ${got[at]}, torch ${want[at]}, before ${before[at]})`;
  expect(worst <= REL, detail).toBe(true);
}

// Runs one case through `adam_update`/`sgd_update` (or a `_scalar` twin) exactly as the SDK's host does:
// state buffers zeroed once, bias corrections computed in f64 on the host, a fresh copy of the step's gradient.
function runCase(caseName: string, variant: "" | "_scalar", hyper: AdamHyper | SgdHyper, want: number[][]): void {
  const k = loadKernels();
  const n = fx.n;
  const name = (hyper.kind === "adam" ? "adam_update" : "sgd_update") + variant;
  const fn = k.x[name];
  expect(typeof fn, `vaekit.wasm exports ${name}`).toBe("function");
  const params = k.put(fx.params0);
  const s1 = k.alloc(n);
  const s2 = k.alloc(n);
  for (let t = 1; t <= fx.grads.length; t++) {
    const before = k.get(params, n);
    const grads = k.put(fx.grads[t - 1]);
    if (hyper.kind === "adam") {
      const bc1 = 1 - Math.pow(hyper.beta1, t);
      const bc2sqrt = Math.sqrt(1 - Math.pow(hyper.beta2, t));
      fn(params, grads, s1, s2, n, hyper.lr, hyper.beta1, hyper.beta2, hyper.eps, hyper.weightDecay, hyper.decoupled ? 1 : 0, bc1, bc2sqrt);
    } else {
      fn(params, grads, s1, n, hyper.lr, hyper.momentum, hyper.dampening, hyper.weightDecay, hyper.nesterov ? 1 : 0, t === 1 ? 1 : 0);
    }
    compare(k.get(params, n), want[t - 1], before, `${caseName}: ${name} step ${t}`);
  }
}

describe(`optimizer kernels vs torch.optim ${fx.torchVersion} (golden)`, () => {
  it("fixture is well formed", () => {
    expect(fx.params0.length).toBe(fx.n);
    expect(fx.grads.length).toBe(3);
    for (const c of fx.cases) expect(c.paramsAfter.map((p) => p.length)).toEqual([fx.n, fx.n, fx.n]);
  });

  for (const c of fx.cases) {
    it(`${c.name}: params after each of 3 steps match PyTorch within ${REL} relative`, () => {
      runCase(c.name, "", c.hyper, c.paramsAfter);
    });
    it(`${c.name} (scalar twin): same`, () => {
      runCase(c.name, "_scalar", c.hyper, c.paramsAfter);
    });
  }

  it("the tolerance has teeth: a step without bias correction, or with coupled decay for AdamW, would fail", () => {
    // Replays Adam step 1 in f64 with bc1 = 1 (bias correction forgotten) and checks the torch result is far outside REL.
    const c = fx.cases.find((x) => x.name === "adam")!;
    const h = c.hyper as AdamHyper;
    let worst = 0;
    for (let i = 0; i < fx.n; i++) {
      const g = Math.fround(fx.grads[0][i]);
      const m = (1 - h.beta1) * g;
      const v = (1 - h.beta2) * g * g;
      const p = fx.params0[i] - h.lr * m / (Math.sqrt(v) / Math.sqrt(1 - h.beta2) + h.eps);
      const scale = Math.max(Math.abs(c.paramsAfter[0][i]), Math.abs(fx.params0[i]));
      worst = Math.max(worst, Math.abs(p - c.paramsAfter[0][i]) / scale);
    }
    expect(worst).toBeGreaterThan(100 * REL);
    const w = fx.cases.find((x) => x.name === "adamw")!;
    const a = fx.cases.find((x) => x.name === "adam")!;
    let diff = 0;
    for (let i = 0; i < fx.n; i++) {
      const scale = Math.max(Math.abs(a.paramsAfter[2][i]), Math.abs(fx.params0[i]));
      diff = Math.max(diff, Math.abs(w.paramsAfter[2][i] - a.paramsAfter[2][i]) / scale);
    }
    expect(diff).toBeGreaterThan(10 * REL);
  });
});
