// VRNN against PyTorch: a small VRNN (GRU + Bernoulli, LSTM + Gaussian) with sequences of different lengths —
// its loss and every parameter gradient for a given ε against bench/vrnn_torch.py's model in float64
// (test/fixtures/rnn/, written by scripts/make-rnn-fixture.py), and the padded steps' junk values changing nothing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sequences } from "../../src/io/sequences";
import { VRNN, type VRNNConfig } from "../../src/models/vrnn";

interface Fixture {
  config: VRNNConfig; n: number; steps: number; lengths: number[]; x: number[]; epsilon: number[];
  weights: Record<string, number[]>; loss: number; reconstruction: number[]; kl: number[]; gradients: Record<string, number[]>;
}
const load = (name: string): Fixture => JSON.parse(readFileSync(new URL(`../fixtures/rnn/${name}.json`, import.meta.url), "utf8"));

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (err > tol * (scale + 1e-3) + 1e-6) expect.fail(`${label}[${i}]: ${actual[i]} vs ${expected[i]} (max |ref| ${scale})`);
  }
}

describe.each(["vrnn-gru-bernoulli", "vrnn-lstm-gaussian"])("%s against PyTorch", (name) => {
  const f = load(name);
  it("loss and every gradient match within 1e-4 (relative to the tensor's largest entry)", async () => {
    const m = await VRNN.create(f.config);
    m.setWeights(f.weights);
    const x = sequences(f.x, { steps: f.steps, size: f.config.inputSize, lengths: f.lengths });
    const { loss, gradients } = m.gradients(x, { epsilon: f.epsilon });
    expect(Math.abs(loss - f.loss) / Math.abs(f.loss)).toBeLessThan(1e-5);
    expect(Object.keys(gradients).sort()).toEqual(Object.keys(f.gradients).sort());
    for (const [k, g] of Object.entries(f.gradients)) close(gradients[k], g, 1e-4, k);
    m.dispose();
  });

  it("a padded step's values change nothing (loss, gradients, scores)", async () => {
    const m = await VRNN.create(f.config);
    m.setWeights(f.weights);
    const x1 = sequences(f.x, { steps: f.steps, size: f.config.inputSize, lengths: f.lengths });
    const junk = Float32Array.from(f.x);
    const D = f.config.inputSize;
    for (let i = 0; i < f.n; i++) for (let t = f.lengths[i]; t < f.steps; t++) for (let d = 0; d < D; d++) junk[(i * f.steps + t) * D + d] = 0.5 + 0.1 * d;
    const changed = junk.some((v, i) => v !== Math.fround(f.x[i]));
    expect(changed).toBe(true);
    const x2 = sequences(junk, { steps: f.steps, size: D, lengths: f.lengths });
    const a = m.gradients(x1, { epsilon: f.epsilon }), b = m.gradients(x2, { epsilon: f.epsilon });
    expect(b.loss).toBe(a.loss);
    for (const k of Object.keys(a.gradients)) expect(b.gradients[k]).toEqual(a.gradients[k]);
    const s1 = m.anomalyScore(x1, { seed: 3 }), s2 = m.anomalyScore(x2, { seed: 3 });
    expect(s2.perStep).toEqual(s1.perStep);
    for (let i = 0; i < f.n; i++) for (let t = f.lengths[i]; t < f.steps; t++) expect(s1.perStep[i * f.steps + t]).toBe(0);
    m.dispose();
  });
});
