// The batch-1 path: encode, decode, reconstruct and sample of ONE example give, bit for bit, the row of the same
// example inside a batched call (whose rows go through 4-row register tiles, or the leftover-row GEMV), for every
// hidden activation, every likelihood's mean and every model class — so a one-example request never disagrees with
// a batch, and conformance/expected-hash.txt stays put. Inputs are MNIST-like (mostly exact zeros: the first layer
// skips them at batch 1 and, when the batch is sparse enough, in the batch too) and dense.
import { describe, expect, it } from "vitest";
import { Autoencoder, ConditionalVAE, HierarchicalVAE, VAE } from "../../src/index.js";
import { expectBitIdentical } from "../helpers/assert.js";
import { randomArray } from "../helpers/wasm.js";

const ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"] as const;
const LIKELIHOODS = ["bernoulli", "continuous-bernoulli", "gaussian", "laplace"] as const;
const N = 9; // two 4-row tiles and one leftover row in the batched call

/** n rows of d pixels in [0, 1]: `zeros` of them exact zeros (MNIST has ~81 %), the rest uniform. */
function pixels(n: number, d: number, seed: number, zeros: number): Float32Array {
  const u = randomArray(n * d, seed, 0, 1), v = randomArray(n * d, seed + 1, 0, 1);
  return u.map((x, i) => (v[i] < zeros ? 0 : x));
}

const row = (a: Float32Array, r: number, w: number) => a.subarray(r * w, (r + 1) * w);

describe("batch 1 ≡ the same row of a batch, bit for bit", () => {
  for (const [i, activation] of ACTIVATIONS.entries()) {
    const likelihood = LIKELIHOODS[i % LIKELIHOODS.length];
    it(`VAE (${activation}, ${likelihood}): encode, decode, reconstruct, sample`, async () => {
      const D = 37, L = 5;
      const cfg = { inputSize: D, hiddenSizes: [23, 11], latentSize: L, activation, likelihood, seed: 3 + i };
      const vae = await VAE.create(cfg);
      for (const zeros of [0.8, 0]) {
        const x = pixels(N, D, 10 + i, zeros);
        const enc = vae.encode(x);
        const rec = vae.reconstruct(x);
        const z = randomArray(N * L, 20 + i, -2, 2);
        const dec = vae.decode(z);
        for (let r = 0; r < N; r++) {
          const one = vae.encode(row(x, r, D));
          expectBitIdentical(one.mean, row(enc.mean, r, L), `zeros ${zeros} row ${r}: mean`);
          expectBitIdentical(one.logVar, row(enc.logVar, r, L), `zeros ${zeros} row ${r}: logVar`);
          expectBitIdentical(vae.reconstruct(row(x, r, D)), row(rec, r, D), `zeros ${zeros} row ${r}: reconstruct`);
          expectBitIdentical(vae.decode(row(z, r, L)), row(dec, r, D), `row ${r}: decode`);
        }
      }
      // seedless samples continue the model's stream: N calls of one ≡ one call of N on a twin model
      const twin = await VAE.create(cfg);
      const all = twin.sample(N);
      for (let r = 0; r < N; r++) expectBitIdentical(vae.sample(1), row(all, r, D), `sample row ${r}`);
      expectBitIdentical(vae.sample(1, { seed: 4 }), row(twin.sample(N, { seed: 4 }), 0, D), "seeded sample row 0");
      vae.dispose();
      twin.dispose();
    });
  }

  it("the reference model (784-400-(20,20)-400-784 relu, Bernoulli) on MNIST-like and dense pixels", async () => {
    const vae = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 });
    for (const zeros of [0.81, 0]) {
      const x = pixels(N, 784, 5, zeros);
      const enc = vae.encode(x);
      const dec = vae.decode(enc.mean);
      for (let r = 0; r < N; r++) {
        const one = vae.encode(row(x, r, 784));
        expectBitIdentical(one.mean, row(enc.mean, r, 20), `zeros ${zeros} row ${r}: mean`);
        expectBitIdentical(one.logVar, row(enc.logVar, r, 20), `zeros ${zeros} row ${r}: logVar`);
        expectBitIdentical(vae.decode(one.mean), row(dec, r, 784), `zeros ${zeros} row ${r}: decode`);
      }
    }
    vae.dispose();
  });

  it("ConditionalVAE: encode, decode, reconstruct, sample with labels", async () => {
    const D = 21, L = 4, C = 3;
    const cvae = await ConditionalVAE.create({ inputSize: D, hiddenSizes: [13], latentSize: L, classes: C, activation: "tanh", seed: 2 });
    const x = pixels(N, D, 40, 0.7);
    const labels = Array.from({ length: N }, (_, r) => r % C);
    const enc = cvae.encode(x, labels);
    const rec = cvae.reconstruct(x, labels);
    const z = randomArray(N * L, 41, -2, 2);
    const dec = cvae.decode(z, labels);
    for (let r = 0; r < N; r++) {
      const one = cvae.encode(row(x, r, D), [labels[r]]);
      expectBitIdentical(one.mean, row(enc.mean, r, L), `row ${r}: mean`);
      expectBitIdentical(one.logVar, row(enc.logVar, r, L), `row ${r}: logVar`);
      expectBitIdentical(cvae.reconstruct(row(x, r, D), [labels[r]]), row(rec, r, D), `row ${r}: reconstruct`);
      expectBitIdentical(cvae.decode(row(z, r, L), labels[r]), row(dec, r, D), `row ${r}: decode`);
    }
    expectBitIdentical(cvae.sample(1, { label: 2, seed: 9 }), row(cvae.sample(N, { label: 2, seed: 9 }), 0, D), "sample row 0");
    cvae.dispose();
  });

  it("HierarchicalVAE: encode (both levels), decode, reconstruct, sample", async () => {
    const D = 19;
    const cfg = { inputSize: D, latentSizes: [6, 3] as [number, number], hiddenSizes: [[11], [7]] as [number[], number[]], activation: "leaky_relu" as const, seed: 6 };
    const h = await HierarchicalVAE.create(cfg);
    const x = pixels(N, D, 50, 0.75);
    const enc = h.encode(x);
    const rec = h.reconstruct(x);
    const z2 = randomArray(N * 3, 51, -2, 2);
    const dec = h.decode(z2);
    for (let r = 0; r < N; r++) {
      const one = h.encode(row(x, r, D));
      expectBitIdentical(one.z1.mean, row(enc.z1.mean, r, 6), `row ${r}: z1 mean`);
      expectBitIdentical(one.z1.logVar, row(enc.z1.logVar, r, 6), `row ${r}: z1 logVar`);
      expectBitIdentical(one.z2.mean, row(enc.z2.mean, r, 3), `row ${r}: z2 mean`);
      expectBitIdentical(one.z2.logVar, row(enc.z2.logVar, r, 3), `row ${r}: z2 logVar`);
      expectBitIdentical(h.reconstruct(row(x, r, D)), row(rec, r, D), `row ${r}: reconstruct`);
      expectBitIdentical(h.decode(row(z2, r, 3)), row(dec, r, D), `row ${r}: decode`);
    }
    const twin = await HierarchicalVAE.create(cfg);
    const all = twin.sample(N);
    for (let r = 0; r < N; r++) expectBitIdentical(h.sample(1), row(all, r, D), `sample row ${r}`);
    h.dispose();
    twin.dispose();
  });

  it("Autoencoder: encode, decode, reconstruct", async () => {
    const D = 29, L = 6;
    const ae = await Autoencoder.create({ inputSize: D, hiddenSizes: [17], latentSize: L, activation: "sigmoid", seed: 4 });
    const x = pixels(N, D, 60, 0.8);
    const code = ae.encode(x);
    const rec = ae.reconstruct(x);
    const dec = ae.decode(code);
    for (let r = 0; r < N; r++) {
      expectBitIdentical(ae.encode(row(x, r, D)), row(code, r, L), `row ${r}: encode`);
      expectBitIdentical(ae.reconstruct(row(x, r, D)), row(rec, r, D), `row ${r}: reconstruct`);
      expectBitIdentical(ae.decode(row(code, r, L)), row(dec, r, D), `row ${r}: decode`);
    }
    expect(rec.some((v) => v !== rec[0])).toBe(true); // not a constant output
    ae.dispose();
  });
});
