// vaekit's loss and gradients against PyTorch autograd (test/fixtures/golden/vae-*.json, written by
// scripts/make-golden.py from pytorch/examples' VAE; no Python needed here).
//
// Each fixture: a configuration, float32 weights (PyTorch nn.Linear layout [out, in]), inputs x in [0, 1] and
// fixed noise ε; the expectations are PyTorch's, computed in float64 from those same float32 numbers, so the
// only differences left are vaekit's float32 rounding. PyTorch's own float32 run is within 1e-7 (loss) and
// 5e-7 (gradients, relative to the tensor's largest entry) of them (recorded in each fixture as torchFloat32).
//
// Tolerances (20–100× PyTorch's own float32 error; a wrong formula, constant, β, activation, layout or
// reduction is off by 1e-3..1 relative and fails):
// - loss and reconstruction: relative 1e-5;
// - KL: 1e-5·|KL| + 1e-7·Σ(1 + |lv| + μ² + exp lv)/2 — its terms cancel (1 + lv − exp lv ≈ −lv²/2), so a
//   correct float32 sum carries an absolute error proportional to the size of its parts (klScale), not to KL;
// - every gradient tensor: max |Δ| ≤ 1e-5 · max |g| of that tensor (scale-free: small tensors are held to the
//   same relative standard as large ones);
// - the 784-400-20 reference (weights regenerated with mulberry32): 40 sampled entries per tensor as above,
//   plus each tensor's Σg (±1e-5·Σ|g|), Σ|g|, ‖g‖₂, max|g| (relative 1e-5) and a random projection Σ g·r with
//   r ~ U(−1, 1) (±1e-5·Σ|g·r|), which sees every entry and its position.
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { VAE } from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";

const TOL = 1e-5;
const KL_SCALE_TOL = 1e-7;

interface Config {
  inputSize: number;
  hiddenSizes: number[];
  latentSize: number;
  activation: string;
  likelihood: string;
  likelihoodScale: number;
  beta: number;
  seed: number;
}
interface Fixture {
  name: string;
  description: string;
  torchVersion: string;
  config: Config;
  activationAlpha: number | null;
  batch: number;
  x: number[];
  epsilon: number[];
  weights?: Record<string, { shape: number[]; data: number[] }>;
  weightsGenerator?: {
    tensors: Record<string, { shape: number[]; seed: number; lo: number; hi: number; check: { sum: number; first: number[]; last: number[] } }>;
  };
  expected: {
    loss: number;
    reconstruction: number;
    kl: number;
    klScale: number;
    gradients?: Record<string, number[]>;
    gradientStats?: Record<string, { sum: number; sumAbs: number; l2: number; maxAbs: number; probeSeed: number; probe: number; probeAbs: number }>;
    gradientSamples?: Record<string, { index: number[]; value: number[] }>;
  };
  torchFloat32: { lossRelErr: number; recRelErr: number; klRelErr: number; gradMaxErrOverMaxAbs: number };
}

const dir = new URL("../fixtures/golden/", import.meta.url);
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.startsWith("vae-") && f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), "utf8")));

function weightsOf(fx: Fixture): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  if (fx.weights) {
    for (const [k, t] of Object.entries(fx.weights)) out[k] = Float32Array.from(t.data);
  } else {
    for (const [k, t] of Object.entries(fx.weightsGenerator!.tensors)) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      out[k] = randomArray(n, t.seed, t.lo, t.hi);
    }
  }
  return out;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Observed errors, printed at the end: the margin each fixture has, and the numbers to report when one fails. */
const report: string[] = [];
afterAll(() => {
  if (report.length) console.log(`golden vs PyTorch (errors relative to tolerance scale):\n${report.join("\n")}`);
});

for (const fx of fixtures) {
  describe(`${fx.name}: ${fx.description}`, () => {
    const w = weightsOf(fx);

    if (fx.weightsGenerator) {
      it("regenerated weights are the ones PyTorch used", () => {
        for (const [k, t] of Object.entries(fx.weightsGenerator!.tensors)) {
          const a = w[k];
          let s = 0;
          for (let i = 0; i < a.length; i++) s += a[i];
          expect(Array.from(a.subarray(0, 3)), k).toEqual(t.check.first.map(Math.fround));
          expect(a[a.length - 1], k).toBe(Math.fround(t.check.last[0]));
          expect(Math.abs(s - t.check.sum), k).toBeLessThan(1e-9 * a.length);
        }
      });
    }

    it("loss, reconstruction, KL and every gradient match PyTorch autograd", async () => {
      const cfg = fx.config;
      // leaky_relu's slope is passed explicitly (PyTorch's 0.01), so the fixture does not lean on a default.
      const slope = fx.activationAlpha === null ? {} : { leakySlope: fx.activationAlpha };
      const vae = await VAE.create({ ...cfg, ...slope } as Parameters<typeof VAE.create>[0]);
      try {
        const own = vae.getWeights();
        expect(Object.keys(own).sort(), "tensor names").toEqual(Object.keys(w).sort());
        for (const k of Object.keys(w)) expect(own[k].length, `${k} size`).toBe(w[k].length);
        vae.setWeights(w);
        const x = Float32Array.from(fx.x);
        const epsilon = Float32Array.from(fx.epsilon);
        expect(x.length).toBe(fx.batch * cfg.inputSize);
        expect(epsilon.length).toBe(fx.batch * cfg.latentSize);
        const r = vae.gradients(x, { epsilon });
        const e = fx.expected;
        const lines: string[] = [];
        const fails: string[] = [];
        const check = (label: string, err: number, scale: number) => {
          const ratio = err / (TOL * scale);
          lines.push(`  ${label}: ${(err / scale).toExponential(2)} (${ratio.toFixed(3)} of tolerance)`);
          if (!(ratio <= 1)) fails.push(`${label}: error ${err.toExponential(3)} > ${(TOL * scale).toExponential(3)}`);
        };
        check(`loss ${r.loss} vs ${e.loss}`, Math.abs(r.loss - e.loss), Math.abs(e.loss));
        check(`reconstruction ${r.reconstruction} vs ${e.reconstruction}`, Math.abs(r.reconstruction - e.reconstruction), Math.abs(e.reconstruction));
        check(`kl ${r.kl} vs ${e.kl}`, Math.abs(r.kl - e.kl), Math.abs(e.kl) + (KL_SCALE_TOL / TOL) * e.klScale);

        expect(Object.keys(r.gradients).sort(), "gradient names").toEqual(Object.keys(w).sort());
        if (e.gradients) {
          for (const [k, want] of Object.entries(e.gradients)) {
            const got = r.gradients[k];
            expect(got.length, `${k} gradient size`).toBe(want.length);
            let worst = 0;
            let at = 0;
            for (let i = 0; i < want.length; i++) {
              const d = Math.abs(got[i] - want[i]);
              if (!(d <= worst)) [worst, at] = [d, i];
            }
            const m = maxAbs(want);
            check(`d${k} max|Δ|/max|g| (worst [${at}]: ${got[at]} vs ${want[at]})`, worst, m);
          }
        } else {
          for (const [k, st] of Object.entries(e.gradientStats!)) {
            const got = r.gradients[k];
            expect(got.length, `${k} gradient size`).toBe(w[k].length);
            const smp = e.gradientSamples![k];
            let worst = 0;
            let at = 0;
            smp.index.forEach((idx, j) => {
              const d = Math.abs(got[idx] - smp.value[j]);
              if (!(d <= worst)) [worst, at] = [d, idx];
            });
            check(`d${k} samples max|Δ|/max|g| (worst [${at}])`, worst, st.maxAbs);
            const r2 = randomArray(got.length, st.probeSeed, -1, 1);
            let sum = 0, sumAbs = 0, ss = 0, mx = 0, probe = 0;
            for (let i = 0; i < got.length; i++) {
              const g = got[i];
              sum += g;
              sumAbs += Math.abs(g);
              ss += g * g;
              mx = Math.max(mx, Math.abs(g));
              probe += g * r2[i];
            }
            check(`d${k} Σg`, Math.abs(sum - st.sum), st.sumAbs);
            check(`d${k} Σ|g|`, Math.abs(sumAbs - st.sumAbs), st.sumAbs);
            check(`d${k} ‖g‖₂`, Math.abs(Math.sqrt(ss) - st.l2), st.l2);
            check(`d${k} max|g|`, Math.abs(mx - st.maxAbs), st.maxAbs);
            check(`d${k} Σg·r`, Math.abs(probe - st.probe), st.probeAbs);
          }
        }
        report.push(`${fx.name}:\n${lines.join("\n")}`);
        expect(fails, `${fx.name} mismatches vs PyTorch:\n${fails.join("\n")}`).toEqual([]);
      } finally {
        vae.dispose();
      }
    });

    it("the tolerances have teeth for this fixture", () => {
      const e = fx.expected;
      const cfg = fx.config;
      const n = fx.batch * cfg.inputSize;
      // The likelihood's constant (Gaussian/Laplace normaliser) is far outside the loss tolerance.
      if (cfg.likelihood === "gaussian") {
        const c = n * (Math.log(cfg.likelihoodScale) + 0.5 * Math.log(2 * Math.PI));
        expect(Math.abs(c)).toBeGreaterThan(100 * TOL * e.reconstruction);
      }
      if (cfg.likelihood === "laplace") {
        expect(Math.abs(n * Math.log(2 * cfg.likelihoodScale))).toBeGreaterThan(100 * TOL * e.reconstruction);
      }
      // β: loss − (rec + KL) differs from loss by much more than the tolerance when β ≠ 1; the KL term matters.
      expect(Math.abs(e.loss - e.reconstruction - cfg.beta * e.kl)).toBeLessThan(1e-9 * e.loss);
      expect(Math.abs(e.kl)).toBeGreaterThan(10 * TOL * e.loss);
      // Layout: reading a weight gradient [out, in] as [in, out] moves its entries far beyond the tolerance.
      if (e.gradients) {
        for (const [k, g] of Object.entries(e.gradients)) {
          if (!k.endsWith(".weight")) continue;
          const [o, i] = fx.weights![k].shape;
          let worst = 0;
          for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) worst = Math.max(worst, Math.abs(g[a * i + b] - g[b * o + a]));
          expect(worst, k).toBeGreaterThan(100 * TOL * maxAbs(g));
        }
      }
    });
  });
}
