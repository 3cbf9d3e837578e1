// Issue 17's kinds of defect, one regression test each (cases 1–3, 7–11, 13): sizes bounded before anything is
// allocated, a model-level busy state, rejected calls that leave every stream and optimizer state as they were,
// per-call options checked, typed errors at the edges, and messages that name the right thing.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ConditionalVAE, DisposedError, encodeSafetensors, HierarchicalVAE, InvalidConfigError, InvalidInputError,
  ModelBusyError, ModelFormatError, TrainingDivergedError, VAE, VaekitError, Autoencoder,
} from "../../src/index.js";
import { randomArray } from "../helpers/wasm.js";

const small = { inputSize: 12, hiddenSizes: [10], latentSize: 3, seed: 5 } as const;
const data = (n: number, seed = 1) => randomArray(n * 12, seed, 0, 1);
const weights = (m: { getWeights(): Record<string, Float32Array> }) =>
  Object.fromEntries(Object.entries(m.getWeights()).map(([k, v]) => [k, Array.from(v)]));

/** Pages WebAssembly memories grow by while `f` runs. */
async function pagesGrown(f: () => Promise<unknown>): Promise<number> {
  let pages = 0;
  const grow = WebAssembly.Memory.prototype.grow;
  const spy = vi.spyOn(WebAssembly.Memory.prototype, "grow").mockImplementation(function (this: WebAssembly.Memory, n: number) {
    pages += n;
    return grow.call(this, n);
  });
  try {
    await f().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return pages;
}

afterEach(() => vi.restoreAllMocks());

describe("case 1: one size model, checked before anything is allocated", () => {
  it("refuses a model whose parameters can't fit wasm32 (65536 × 65536 used to 'succeed' over memory it didn't own)", async () => {
    const grown = await pagesGrown(async () => {
      await expect(VAE.create({ inputSize: 65536, hiddenSizes: [65536], latentSize: 2 })).rejects.toThrow(InvalidConfigError);
    });
    expect(grown).toBeLessThan(256); // < 16 MiB: nothing the size of the model was attempted
    await expect(HierarchicalVAE.create({ inputSize: 65536, latentSizes: [2, 2], hiddenSizes: [[65536], [4]] }))
      .rejects.toThrow(/limit per model is 2048 MiB/);
    await expect(Autoencoder.create({ inputSize: 65536, hiddenSizes: [40000], latentSize: 2 })).rejects.toThrow(InvalidConfigError);
  });

  it("bounds every call whose size the caller chooses (logLikelihood's and fit's batch) before it allocates", async () => {
    const m = await VAE.create({ inputSize: 784, hiddenSizes: [512], latentSize: 2, seed: 1 });
    const before = weights(m);
    const grown = await pagesGrown(async () => {
      expect(() => m.logLikelihood(new Float32Array(784).fill(0.5), { samples: 100_000, batchSize: 1 << 20 }))
        .toThrow(/logLikelihood: batchSize .* at most \d+ rows per batch/);
      const xs = new Float32Array(784 * 60_000).fill(0.5);
      await expect(m.fit(xs, { epochs: 1, batchSize: 60_000 })).rejects.toThrow(InvalidInputError);
    });
    expect(grown).toBeLessThan(256);
    expect(weights(m)).toEqual(before);
    expect(m.trainingSteps).toBe(0);
    m.dispose();
  });
});

describe("case 2: a model file is checked against its config before any allocation", () => {
  it("a 1 KB file whose config claims large layers fails fast without growing memory", async () => {
    const config = { inputSize: 4096, hiddenSizes: [4096, 4096], latentSize: 2, seed: 1 };
    const bytes = encodeSafetensors(new Map([["encoder.hidden.0.weight", { shape: [2, 2], data: new Float32Array(4) }]]), {
      format: "vaekit", format_version: "1", model: "VAE", config: JSON.stringify(config),
    });
    expect(bytes.length).toBeLessThan(1500);
    const grown = await pagesGrown(async () => {
      await expect(VAE.load(bytes)).rejects.toThrow(ModelFormatError);
    });
    expect(grown).toBeLessThan(256);
  });

  it("a file whose config is past the size limit is a ModelFormatError (not an allocation)", async () => {
    const bytes = encodeSafetensors(new Map(), {
      format: "vaekit", format_version: "1", model: "VAE", config: JSON.stringify({ inputSize: 65536, hiddenSizes: [65536], latentSize: 2 }),
    });
    await expect(VAE.load(bytes)).rejects.toThrow(/limit per model/);
  });
});

describe("cases 3 and 7: one fit at a time; dispose and setWeights are refused while it runs", () => {
  for (const threads of [1, 2]) {
    it(`dispose() during fit is refused and training finishes unharmed (${threads} thread${threads > 1 ? "s" : ""})`, async () => {
      const x = data(64);
      const a = await VAE.create(small, { threads });
      const b = await VAE.create(small, { threads });
      const run = a.fit(x, { epochs: 3, batchSize: 8, shuffleSeed: 1 });
      expect(() => a.dispose()).toThrow(ModelBusyError);
      expect(() => a.setWeights(a.getWeights())).toThrow(ModelBusyError);
      await run;
      await b.fit(x, { epochs: 3, batchSize: 8, shuffleSeed: 1 });
      expect(weights(a)).toEqual(weights(b));
      a.dispose();
      expect(() => a.sample(1)).toThrow(DisposedError);
      b.dispose();
    });
  }

  it("a second fit on the same model rejects instead of interleaving on one optimizer", async () => {
    const x = data(64);
    const a = await VAE.create(small);
    const b = await VAE.create(small);
    const first = a.fit(x, { epochs: 2, batchSize: 8, shuffleSeed: 1 });
    const second = a.fit(x, { epochs: 2, batchSize: 8, shuffleSeed: 1 });
    await expect(second).rejects.toThrow(ModelBusyError);
    await first;
    await b.fit(x, { epochs: 2, batchSize: 8, shuffleSeed: 1 });
    expect(weights(a)).toEqual(weights(b));
    expect(a.trainingSteps).toBe(b.trainingSteps);
    // and once the first has settled, fit runs again
    await a.fit(x, { epochs: 1, batchSize: 8 });
  });
});

describe("case 8: rejected calls move no hidden state", () => {
  it("a sample() that throws doesn't advance the seedless stream", async () => {
    const a = await VAE.create({ inputSize: 784, hiddenSizes: [8], latentSize: 2, seed: 3 });
    const b = await VAE.create({ inputSize: 784, hiddenSizes: [8], latentSize: 2, seed: 3 });
    expect(() => a.sample(2 ** 27)).toThrow(VaekitError);
    expect(Array.from(a.sample(2))).toEqual(Array.from(b.sample(2)));
    const c = await ConditionalVAE.create({ inputSize: 784, hiddenSizes: [8], latentSize: 2, classes: 3, seed: 3 });
    const d = await ConditionalVAE.create({ inputSize: 784, hiddenSizes: [8], latentSize: 2, classes: 3, seed: 3 });
    expect(() => c.sample(2 ** 27, { label: 1 })).toThrow(VaekitError);
    expect(Array.from(c.sample(2, { label: 1 }))).toEqual(Array.from(d.sample(2, { label: 1 })));
    const h = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [4, 2], seed: 3 });
    const g = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [4, 2], seed: 3 });
    expect(() => h.sample(2 ** 27)).toThrow(VaekitError);
    expect(Array.from(h.sample(2))).toEqual(Array.from(g.sample(2)));
  });

  it("a fit that ends in TrainingDivergedError leaves optimizer state and noise streams as after the last good step", async () => {
    const cfg = { inputSize: 12, hiddenSizes: [10], latentSize: 3, likelihood: "gaussian", seed: 5 } as const;
    const x = randomArray(32 * 12, 2, -1, 1);
    const bad = new Float32Array(32 * 12).fill(3e38);
    const a = await VAE.create(cfg);
    const b = await VAE.create(cfg);
    await a.fit(x, { epochs: 1, batchSize: 8, shuffleSeed: 1 });
    await b.fit(x, { epochs: 1, batchSize: 8, shuffleSeed: 1 });
    // refused at its first batch: another optimizer kind, and noise drawn for that batch, must leave no trace
    await expect(a.fit(bad, { epochs: 1, batchSize: 8, optimizer: "sgd" })).rejects.toThrow(TrainingDivergedError);
    expect(a.trainingSteps).toBe(b.trainingSteps);
    await a.fit(x, { epochs: 1, batchSize: 8, shuffleSeed: 2 });
    await b.fit(x, { epochs: 1, batchSize: 8, shuffleSeed: 2 });
    expect(weights(a)).toEqual(weights(b));
  });
});

describe("case 9: result sizes are bounded with a typed error naming the largest allowed", () => {
  it("sample(n) and decode beyond one result's limit", async () => {
    const m = await VAE.create({ inputSize: 784, hiddenSizes: [8], latentSize: 2, seed: 1 });
    expect(() => m.sample(2 ** 28)).toThrow(/at most 342392 rows per call/);
    expect(() => m.sample(2 ** 20)).toThrow(InvalidInputError);
    expect(() => m.decode(new Float32Array(2 * 400_000))).toThrow(InvalidInputError);
    expect(m.sample(3, { seed: 1 }).length).toBe(3 * 784);
  });
});

describe("case 10: per-call options are checked", () => {
  it("null, non-objects and misspelt names get a typed error with a hint", async () => {
    const m = await VAE.create(small);
    const x = data(4);
    const before = weights(m);
    const calls: [string, () => unknown][] = [
      ["sample null", () => m.sample(2, null as never)],
      ["sample 5", () => m.sample(2, 5 as never)],
      ["evaluate null", () => m.evaluate(x, null as never)],
      ["reconstruct 'x'", () => m.reconstruct(x, "x" as never)],
      ["gradients null", () => m.gradients(x, null as never)],
      ["sample seeed", () => m.sample(2, { seeed: 1 } as never)],
      ["evaluate sed", () => m.evaluate(x, { sed: 1 } as never)],
      ["reconstruct sampel", () => m.reconstruct(x, { sampel: true } as never)],
      ["gradients epsilom", () => m.gradients(x, { epsilom: x } as never)],
    ];
    for (const [name, f] of calls) expect(f, name).toThrow(InvalidInputError);
    expect(() => m.sample(2, { seeed: 1 } as never)).toThrow(/did you mean 'seed'/);
    expect(() => m.reconstruct(x, { sampel: true } as never)).toThrow(/did you mean 'sample'/);
    const h = await HierarchicalVAE.create({ inputSize: 12, latentSizes: [3, 2], seed: 1 });
    expect(() => h.sample(2, { sed: 1 } as never)).toThrow(/did you mean 'seed'/);
    expect(() => h.evaluate(x, null as never)).toThrow(InvalidInputError);
    const c = await ConditionalVAE.create({ ...small, classes: 2 });
    expect(() => c.reconstruct(x, [0, 1, 0, 1], { sampel: true } as never)).toThrow(/did you mean 'sample'/);
    expect(() => c.evaluate(x, [0, 1, 0, 1], null as never)).toThrow(InvalidInputError);
    expect(weights(m)).toEqual(before);
  });
});

describe("case 11: typed errors at the edges", () => {
  it("fit() after dispose() returns a rejected promise (no synchronous throw)", async () => {
    const models = [await VAE.create(small), await ConditionalVAE.create({ ...small, classes: 2 }),
      await HierarchicalVAE.create({ inputSize: 12, latentSizes: [3, 2], seed: 1 }), await Autoencoder.create(small)];
    for (const m of models) {
      m.dispose();
      let p: Promise<unknown> | undefined;
      expect(() => { p = (m as VAE).fit(data(4)); }).not.toThrow();
      await expect(p).rejects.toThrow(DisposedError);
    }
  });

  it("bad bytes as the wasm option are a VaekitError naming what was wrong (not a CompileError or TypeError)", async () => {
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]); // a valid module with nothing in it
    for (const wasm of [new Uint8Array([1, 2, 3]), new Uint8Array(64), empty, empty.buffer.slice(0)]) {
      for (const threads of [1, 2]) {
        const e = await VAE.create(small, { wasm, threads }).then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(VaekitError);
        expect((e as VaekitError).code).toBe("WASM_LOAD");
        expect((e as Error).message).toMatch(/^wasm: /);
      }
    }
  });
});

describe("case 13: messages name the right thing", () => {
  it("decode's length error names latentSize; no 'a Object'; no 'undefined undefined'", async () => {
    const m = await VAE.create(small);
    expect(() => m.decode(new Float32Array(4))).toThrow(/not a multiple of 3 \(the model's latent size\)/);
    let msg = "";
    try { m.encode({} as never); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/got an object/);
    expect(msg).not.toMatch(/a Object/);
    try { m.encode([[...new Array(12).fill(0)], [undefined, ...new Array(11).fill(0)]] as never); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/row 1, column 0 is undefined; expected a number/);
    expect(msg).not.toMatch(/undefined undefined/);
  });
});
