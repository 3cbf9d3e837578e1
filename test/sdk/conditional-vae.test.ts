// ConditionalVAE: gradients against float64 finite differences and TF.js autograd, the label forms, bad input, the
// file format, and the claim that class-conditional samples look like their class (kNN on MNIST's test set).
import { describe, expect, it } from "vitest";
import { ConditionalVAE, InvalidInputError, ModelFormatError, VAE } from "../../src/index.js";
import { loadKernels, randomArray } from "../helpers/wasm.js";
import { expectGradients } from "./gradcheck.js";
import { loadMnist } from "./mnist.js";
import { latentObjective, type LatentConfig } from "./reference.js";

const small = { inputSize: 9, hiddenSizes: [7], latentSize: 3, classes: 4, activation: "tanh", seed: 3 } as const;

function oneHot(labels: number[], C: number): Float32Array {
  const y = new Float32Array(labels.length * C);
  labels.forEach((c, i) => (y[i * C + c] = 1));
  return y;
}

describe("ConditionalVAE gradients", () => {
  for (const likelihood of ["bernoulli", "gaussian"] as const) {
    it(`match float64 finite differences and TF.js autograd (${likelihood})`, async () => {
      const m = await ConditionalVAE.create({ ...small, likelihood, hiddenSizes: [7, 5] });
      const n = 5;
      const x = randomArray(n * 9, 1, 0, 1);
      const labels = [0, 3, 1, 2, 3];
      const eps = randomArray(n * 3, 2, -2, 2);
      const result = m.gradients(x, labels, { epsilon: eps });
      const cfg = m.config as unknown as LatentConfig;
      const report = await expectGradients({
        model: m, result, label: `cvae ${likelihood}`,
        objective: (o, W) => latentObjective(o, W, cfg, o.input(x, n, 9), n, o.input(eps, n, 3), o.input(oneHot(labels, 4), n, 4)),
      });
      console.log(`cvae ${likelihood}: worst gradient error / max|g|: finite differences ${report.fdWorst.toExponential(1)}, TF.js ${report.tfWorst.toExponential(1)}`);
      m.dispose();
    });
  }
});

describe("ConditionalVAE labels and errors", () => {
  it("takes class indices, Int32Array and one-hot rows alike, and refuses bad labels without changing the model", async () => {
    const m = await ConditionalVAE.create(small);
    const x = randomArray(3 * 9, 4, 0, 1);
    const a = m.encode(x, [2, 0, 3]);
    expect(m.encode(x, Int32Array.of(2, 0, 3))).toEqual(a);
    expect(m.encode(x, oneHot([2, 0, 3], 4))).toEqual(a);
    expect(m.encode(x, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])).toEqual(a);
    expect(m.encode(x, [2, 0, 1]).mean).not.toEqual(a.mean); // the label reaches the encoder
    const z = new Float32Array(6);
    expect(m.decode(z, [0, 0])).toEqual(m.decode(z, 0));
    expect(m.decode(z, [0, 1])).not.toEqual(m.decode(z, 0)); // and the decoder
    const before = m.save();
    expect(() => m.encode(x, [0, 1])).toThrow(/got 2 values for 3 examples/);
    expect(() => m.encode(x, [0, 4, 1])).toThrow(/label 1 is 4; expected a class index from 0 to 3/);
    expect(() => m.encode(x, [0, 1.5, 1])).toThrow(InvalidInputError);
    expect(() => m.encode(x, [[0, 1, 0, 0], [0.5, 0.2, 0, 0], [1, 0, 0, 0]])).toThrow(/sums to 0.7/);
    expect(() => m.sample(2, {} as never)).toThrow(/give \{ label \}/);
    expect(() => m.sample(2, { label: 9 })).toThrow(/from 0 to 3/);
    await expect(m.fit(x, [0, 1], { epochs: 1 })).rejects.toThrow(/labels/);
    await expect(m.fit(x, [0, 1, 2], { epochs: 1, validationData: x as never })).rejects.toThrow(/expected \{ x, labels \}/);
    expect(m.save()).toEqual(before);
    m.dispose();
  });

  it("saves and loads (only as a ConditionalVAE), with the same samples", async () => {
    const m = await ConditionalVAE.create(small);
    await m.fit(randomArray(16 * 9, 5, 0, 1), randomArray(16, 6, 0, 4).map(Math.floor), { epochs: 2, batchSize: 4 });
    const bytes = m.save();
    const again = await ConditionalVAE.load(bytes);
    expect(again.save()).toEqual(bytes);
    expect(again.config).toEqual(m.config);
    expect(again.sample(3, { label: 1, seed: 2 })).toEqual(m.sample(3, { label: 1, seed: 2 }));
    await expect(VAE.load(bytes)).rejects.toThrow(ModelFormatError);
    await expect(VAE.load(bytes)).rejects.toThrow(/holds a ConditionalVAE model, not a VAE/);
    await expect(ConditionalVAE.load((await VAE.create({ inputSize: 9, latentSize: 2 })).save())).rejects.toThrow(/not a ConditionalVAE/);
    m.dispose();
    again.dispose();
  });
});

describe("ConditionalVAE on MNIST", () => {
  it("draws samples that a 5-nearest-neighbour classifier on the test set labels as the class asked for (≥ 90 %)", async () => {
    const { trainX, trainY, testX, testY } = await loadMnist();
    const N = 20_000;
    // A 2-D latent space: the label has to carry the class, and prior samples stay where the posteriors are.
    const m = await ConditionalVAE.create({ inputSize: 784, hiddenSizes: [256], latentSize: 2, classes: 10, seed: 1 });
    await m.fit(trainX.subarray(0, N * 784), trainY.subarray(0, N), { epochs: 3, batchSize: 64, learningRate: 2e-3 });
    const per = 20;
    const samples = new Float32Array(10 * per * 784);
    for (let c = 0; c < 10; c++) samples.set(m.sample(per, { label: c, seed: 10 + c }), c * per * 784);
    m.dispose();

    // squared distances ‖s‖² + ‖t‖² − 2 s·t, the dot products by the testing module's GEMM
    const k = loadKernels();
    const S = 10 * per, T = 10_000;
    const dots = k.alloc(S * T);
    k.x.gemm_nt_f32x4(dots, k.put(samples), k.put(testX.subarray(0, T * 784)), S, T, 784);
    const d = k.f32(dots, S * T);
    const tnorm = new Float64Array(T);
    for (let j = 0; j < T; j++) for (let i = 0; i < 784; i++) tnorm[j] += testX[j * 784 + i] ** 2;
    let correct = 0;
    for (let s = 0; s < S; s++) {
      const dist = Array.from({ length: T }, (_, j) => tnorm[j] - 2 * d[s * T + j]);
      const nearest = Array.from(dist.keys()).sort((a, b) => dist[a] - dist[b]).slice(0, 5);
      const votes = new Array<number>(10).fill(0);
      for (const j of nearest) votes[testY[j]]++;
      if (votes.indexOf(Math.max(...votes)) === Math.floor(s / per)) correct++;
    }
    console.log(`ConditionalVAE kNN: ${correct}/${S} class-conditional samples labelled as asked`);
    expect(correct / S).toBeGreaterThanOrEqual(0.9);
  });
});
