// Batch norm refuses a training batch with one value per channel (one row after a dense layer: its batch variance
// is 0, PyTorch raises "Expected more than 1 value per channel when training" too), with a typed error, and the
// refused call leaves the model — weights, optimizer state, step count, noise streams — exactly as it was
// (save({ optimizer: true }) carries all of them). A conv layer's batch norm has H·W values per channel in every row,
// so one image is a valid batch there.
import { describe, expect, it } from "vitest";
import { Autoencoder, InvalidInputError, VAE } from "../../src/index.js";
import type { LayerSpec } from "../../src/models/layers-config.js";

const dense: { inputShape: [number, number, number]; latentSize: number; seed: number; encoder: LayerSpec[]; decoder: LayerSpec[] } = {
  inputShape: [4, 4, 1], latentSize: 2, seed: 3,
  encoder: [{ type: "flatten" }, { type: "dense", units: 6 }, { type: "batchNorm", activation: "relu" }] as LayerSpec[],
  decoder: [{ type: "dense", units: 16 }] as LayerSpec[],
};
const x = Float32Array.from({ length: 9 * 16 }, (_, i) => ((i * 29) % 17) / 17);
const state = (m: { save(o: { optimizer: true }): Uint8Array }): Buffer => Buffer.from(m.save({ optimizer: true }));

describe("batch norm on a one-row training batch", () => {
  it("fit refuses in-memory data that leaves a one-row batch, before any step, and changes nothing", async () => {
    const vae = await VAE.create(dense);
    try {
      await vae.fit(x.subarray(0, 8 * 16), { epochs: 1, batchSize: 4, learningRate: 1e-2 }); // optimizer state exists
      const before = state(vae);
      // 9 rows in batches of 4: 4 + 4 + 1
      const e = await vae.fit(x, { epochs: 1, batchSize: 4, learningRate: 1e-2 }).catch((err: Error) => err);
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as Error).message).toMatch(/9 examples in batches of 4 leave a batch of 1 row.*at least 2 rows/);
      expect(state(vae).equals(before)).toBe(true);
      // one example alone, too
      await expect(vae.fit(x.subarray(0, 16), { epochs: 1 })).rejects.toThrow(InvalidInputError);
      expect(state(vae).equals(before)).toBe(true);
      // 9 rows in batches of 3 (or 2 + … + 1 avoided by 5: 5 + 4) train
      await vae.fit(x, { epochs: 1, batchSize: 5, learningRate: 1e-2 });
      expect(state(vae).equals(before)).toBe(false);
    } finally {
      vae.dispose();
    }
  });

  it("a streamed one-row batch is refused by the layer itself (naming it); the noise streams are put back", async () => {
    const vae = await VAE.create(dense);
    try {
      await vae.fit(x.subarray(0, 8 * 16), { epochs: 1, batchSize: 4, learningRate: 1e-2 });
      const before = state(vae);
      const one = { async *[Symbol.asyncIterator]() { yield x.slice(0, 16); } };
      const e = await vae.fit(one, { epochs: 1, batchSize: 4 }).catch((err: Error) => err);
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as Error).message).toMatch(/encoder\.layers\.2 \(batchNorm\): a training batch of 1 row gives 1 value per channel/);
      expect(state(vae).equals(before)).toBe(true);
      // gradients() of one row is a training pass as well
      expect(() => vae.gradients(x.subarray(0, 16), { seed: 1 })).toThrow(InvalidInputError);
      expect(state(vae).equals(before)).toBe(true);
      // inference uses the running statistics: one row is fine there
      expect(vae.encode(x.subarray(0, 16)).mean.length).toBe(2);
    } finally {
      vae.dispose();
    }
  });

  it("an Autoencoder with a dense batch norm refuses it too; a conv batch norm trains on one image", async () => {
    const ae = await Autoencoder.create({ ...dense, latentSize: 3 });
    try {
      const before = state(ae);
      await expect(ae.fit(x, { epochs: 1, batchSize: 8 })).rejects.toThrow(/leave a batch of 1 row/);
      expect(state(ae).equals(before)).toBe(true);
    } finally {
      ae.dispose();
    }
    const conv = await VAE.create({
      inputShape: [4, 4, 1], latentSize: 2, seed: 3,
      encoder: [{ type: "conv2d", filters: 2, kernelSize: 3, padding: 1 }, { type: "batchNorm", activation: "relu" }, { type: "flatten" }] as LayerSpec[],
      decoder: [{ type: "dense", units: 16 }] as LayerSpec[],
    });
    try {
      const before = state(conv);
      const h = await conv.fit(x.subarray(0, 16), { epochs: 1, batchSize: 1, learningRate: 1e-2 });
      expect(Number.isFinite(h[0].loss)).toBe(true);
      expect(state(conv).equals(before)).toBe(false);
    } finally {
      conv.dispose();
    }
  });
});
