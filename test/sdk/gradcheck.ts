// Model-level gradient checks: a model's loss and gradients (float32, from its kernels) against the same objective
// re-implemented in float64 (central finite differences on sampled entries) and in TensorFlow.js (autograd, every
// entry), with the same weights and noise.
import { expect } from "vitest";
import { decodeSafetensors } from "../../src/index.js";
import { loadTf } from "../helpers/tf.js";
import { randomArray } from "../helpers/wasm.js";
import { f64, tfOps, weightsAs, type M, type Ops } from "./reference.js";

/** Something with weights, a file (for shapes) and gradients. */
export interface Checked {
  getWeights(): Record<string, Float32Array>;
  save(): Uint8Array;
}

export interface GradientCheck {
  model: Checked;
  /** The model's summed loss and gradients at its current weights. */
  result: { loss: number; gradients: Record<string, Float32Array> };
  /** The objective over any back end, given the weights as tensors. */
  objective<T>(o: Ops<T>, W: Record<string, T>): T;
  /** Finite-difference probes per tensor. Default 6. */
  probes?: number;
  label: string;
}

export interface GradientReport {
  lossRelErr: number;
  /** Worst |Δ| / max|g| of a tensor, over all tensors: finite differences (sampled entries) and TF.js (all). */
  fdWorst: number;
  tfWorst: number;
}

const TOL_FD = 2e-5;
const TOL_TF = 2e-5;

/**
 * Checks loss (relative 1e-5 against float64) and every gradient tensor: finite differences (h = 1e-5 in float64)
 * within 2e-5 and TF.js autograd within 2e-5 of the tensor's largest gradient entry. Returns the errors seen.
 */
export async function expectGradients(c: GradientCheck): Promise<GradientReport> {
  const shapes: Record<string, number[]> = {};
  for (const [k, t] of decodeSafetensors(c.model.save()).tensors) shapes[k] = [...t.shape];
  const w32 = c.model.getWeights();
  const W64 = weightsAs(f64, w32, shapes);
  const loss64 = c.objective(f64, W64).d[0];
  const lossRelErr = Math.abs(c.result.loss - loss64) / Math.max(1, Math.abs(loss64));
  expect(lossRelErr, `${c.label}: loss ${c.result.loss} vs float64 ${loss64}`).toBeLessThan(1e-5);

  let fdWorst = 0;
  const probes = c.probes ?? 6;
  for (const [name, t] of Object.entries(W64) as [string, M][]) {
    const g = c.result.gradients[name];
    if (!g && /\.running_(mean|var)$/.test(name)) continue; // batch norm's running statistics: buffers, no gradient
    const scale = Math.max(1e-6, g.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    const picks = randomArray(probes, name.length * 31 + probes, 0, t.d.length).map(Math.floor);
    for (const i of picks) {
      const orig = t.d[i];
      const h = 1e-5;
      t.d[i] = orig + h;
      const up = c.objective(f64, W64).d[0];
      t.d[i] = orig - h;
      const down = c.objective(f64, W64).d[0];
      t.d[i] = orig;
      const fd = (up - down) / (2 * h);
      const err = Math.abs(fd - g[i]) / scale;
      fdWorst = Math.max(fdWorst, err);
      expect(err, `${c.label}: ${name}[${i}] finite difference ${fd} vs ${g[i]} (max |g| ${scale})`).toBeLessThan(TOL_FD);
    }
  }

  const tf = await loadTf();
  const o = tfOps(tf);
  // every tensor is an input of the objective; gradients are taken for the parameters (not batch norm's buffers)
  const all = Object.keys(shapes);
  const names = all.filter((n) => !/\.running_(mean|var)$/.test(n));
  let tfWorst = 0;
  tf.tidy(() => {
    const vars = weightsAs(o, w32, shapes);
    const f = tf.grads((...ts: unknown[]) => {
      const W: Record<string, unknown> = {};
      for (const n of all) W[n] = vars[n];
      names.forEach((n, i) => (W[n] = ts[i]));
      return tf.reshape(c.objective(o, W), []);
    });
    const grads = f(names.map((n) => vars[n]));
    names.forEach((n, i) => {
      const want = grads[i].dataSync() as Float32Array;
      const got = c.result.gradients[n];
      const scale = Math.max(1e-6, want.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
      let worst = 0, at = 0;
      for (let j = 0; j < want.length; j++) {
        const e = Math.abs(want[j] - got[j]);
        if (e > worst) [worst, at] = [e, j];
      }
      tfWorst = Math.max(tfWorst, worst / scale);
      expect(worst / scale, `${c.label}: ${n}[${at}] TF.js ${want[at]} vs ${got[at]} (max |g| ${scale})`).toBeLessThan(TOL_TF);
    });
  });
  return { lossRelErr, fdWorst, tfWorst };
}
