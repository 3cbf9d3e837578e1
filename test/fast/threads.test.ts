// precision "fast" together with threads (vitest's "fast" project: relaxed SIMD is on in this engine).
//
// What is proven: { precision: "fast", threads: 2 } runs vaekit-fast-mt.wasm on two threads (engineInfo says so,
// with no fallback), and its training and inference equal the 1-thread fast model bit for bit (the split never
// changes an output element's operations, in the fast build too); the 2-thread exact model equals the 1-thread
// exact one, and fast differs from exact (the FMA build really runs on the threads).
import { describe, expect, it } from "vitest";
import { VAE, type EngineOptions } from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";

const config = { inputSize: 301, hiddenSizes: [203], latentSize: 5, activation: "relu", seed: 4 } as const; // big enough to be split
const x = randomArray(259 * 301, 9, 0, 1);

async function run(engine: EngineOptions) {
  const m = await VAE.create(config, engine);
  const info = m.engineInfo;
  const history = await m.fit(x, { epochs: 2, batchSize: 128, learningRate: 1e-3, shuffleSeed: 2 });
  const w = m.getWeights();
  const z = m.encode(x).mean;
  const y = m.decode(z);
  m.dispose();
  return { info, losses: history.map((h) => h.loss), w, z, y };
}

describe('precision "fast" with threads', () => {
  it("2 threads of the fast build equal 1 thread of it bit for bit, and differ from exact", async () => {
    const f1 = await run({ precision: "fast" });
    const f2 = await run({ precision: "fast", threads: 2 });
    const e1 = await run({});
    const e2 = await run({ threads: 2 });
    expect(f1.info).toEqual({ precision: "fast", threads: 1, fallbacks: [] });
    expect(f2.info).toEqual({ precision: "fast", threads: 2, fallbacks: [] });
    expect(e2.info).toEqual({ precision: "exact", threads: 2, fallbacks: [] });
    expect(f2.losses).toEqual(f1.losses);
    expect(e2.losses).toEqual(e1.losses);
    for (const name of Object.keys(f1.w)) {
      expect(f2.w[name], name).toEqual(f1.w[name]);
      expect(e2.w[name], name).toEqual(e1.w[name]);
    }
    expect(f2.z).toEqual(f1.z);
    expect(f2.y).toEqual(f1.y);
    expect(Object.keys(f1.w).some((n) => f1.w[n].some((v, i) => v !== e1.w[n][i]))).toBe(true);
  });
});
