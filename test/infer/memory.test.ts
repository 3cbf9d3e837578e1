// No growth: 100,000 batch-1 encode + decode calls (small model), and a few thousand on the reference model, plus the
// other one-example calls (reconstruct, sample), leave the engine's wasm memory size and its allocator's live blocks
// exactly as they were after the first call. Batched calls in between may grow the workspace once; batch-1 calls after
// them must reuse it. A model used only for inference holds no gradient buffer or optimizer state (they are
// allocated by the first training step). The engine is reached through the model's internals (no public API).
import { describe, expect, it } from "vitest";
import { VAE } from "../../src/index.js";
import type { Engine } from "../../src/runtime/engine.js";
import { randomArray } from "../helpers/wasm.js";

/** What the engine holds: memory bytes, and blocks handed out by its allocator (its `used` map). */
function held(model: VAE): { bytes: number; blocks: number; inUse: number } {
  const e = (model as unknown as { e: Engine }).e;
  const alloc = (e as unknown as { allocator: { used: Map<number, number>; bytesInUse: number } }).allocator;
  return { bytes: e.memoryBytes, blocks: alloc.used.size, inUse: alloc.bytesInUse };
}

describe("memory over many batch-1 calls", () => {
  it("100,000 encode + decode calls of a small VAE: wasm memory and live blocks unchanged", async () => {
    const D = 16, L = 3;
    const vae = await VAE.create({ inputSize: D, hiddenSizes: [8], latentSize: L, seed: 1 });
    const x = randomArray(64 * D, 2, 0, 1).map((v) => (v < 0.5 ? 0 : v));
    vae.decode(vae.encode(x.subarray(0, D)).mean);
    const before = held(vae);
    expect(before.blocks).toBeGreaterThan(0);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = i % 64;
      const { mean } = vae.encode(x.subarray(r * D, (r + 1) * D));
      sum += vae.decode(mean)[r % D];
    }
    expect(Number.isFinite(sum)).toBe(true);
    expect(held(vae)).toEqual(before);
    vae.dispose();
  });

  it("the reference model: 3,000 encode + decode, reconstruct and sample calls, around batched ones", async () => {
    const vae = await VAE.create({ inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 });
    const x = randomArray(16 * 784, 3, 0, 1).map((v) => (v < 0.8 ? 0 : v));
    vae.decode(vae.encode(x).mean); // a batch of 16 first: the workspace grows to fit it once
    vae.reconstruct(x.subarray(0, 784));
    vae.sample(1);
    const before = held(vae);
    for (let i = 0; i < 3000; i++) {
      const r = i % 16;
      const one = x.subarray(r * 784, (r + 1) * 784);
      vae.decode(vae.encode(one).mean);
      if (i % 10 === 0) {
        vae.reconstruct(one);
        vae.sample(1);
      }
    }
    expect(held(vae)).toEqual(before);
    // inference allocates no gradient or optimizer state: parameters plus a small workspace
    const paramBytes = vae.parameterCount * 4;
    expect(before.inUse).toBeGreaterThan(paramBytes);
    expect(before.inUse).toBeLessThan(1.2 * paramBytes);
    await vae.fit(x, { epochs: 1, batchSize: 16 });
    expect(held(vae).inUse).toBeGreaterThan(4 * paramBytes); // gradients, Adam's m and v
    vae.dispose();
    // dispose returns every block the model held
    expect(held(vae).blocks).toBe(0);
  });
});
