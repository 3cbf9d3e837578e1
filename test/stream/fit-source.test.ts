// fit on streamed data (src/train/source.ts, stream-run.ts): a RowSource trains to the same bits as the same rows in
// memory with the same shuffleRange and seed; shuffleRange 1 is today's row shuffle; an async iterable of batches
// equals unshuffled in-memory training; named fields (labels, groups) pass through; streamed validation; errors.
import { describe, expect, it } from "vitest";
import { ConditionalVAE, InvalidInputError, VAE } from "../../src/index";
import { rangeOrder, runsOf, type RowSource } from "../../src/train/source";
import { fit } from "../../src/train/fit";
import { permutation } from "../../src/train/shuffle";
import { ganData, TinyGan } from "../train/tiny-gan";
import { Engine } from "../../src/runtime/engine";

const D = 12;
const N = 203;
const data = Float32Array.from({ length: N * D }, (_, i) => (Math.sin(i * 0.37) + 1) / 2);

/** An in-memory RowSource over `values` that records its reads and hands out copies. */
function arraySource(values: Float32Array, width: number) {
  const reads: [number, number][] = [];
  const source: RowSource<Float32Array> = {
    rows: values.length / width,
    read: async (start, count) => {
      reads.push([start, count]);
      await new Promise((r) => setTimeout(r, 0));
      return values.slice(start * width, (start + count) * width);
    },
  };
  return { source, reads };
}

const small = { inputSize: D, latentSize: 3, hiddenSizes: [8], seed: 5 };

describe("range shuffling", () => {
  it("range 1 is exactly the row shuffle; longer ranges keep their rows together and cover every row once", () => {
    for (const [n, seed, epoch] of [[1, 0, 0], [10, 3, 1], [257, 7, 4]]) {
      expect(rangeOrder(n, 1, seed, epoch)).toEqual(permutation(n, seed, epoch));
    }
    const o = rangeOrder(103, 10, 9, 2);
    expect([...o].sort((a, b) => a - b)).toEqual([...Array(103).keys()]);
    // the 11 ranges (10 rows, the last 3) in the order of the permutation of 11 items, each in row order
    const expected: number[] = [];
    for (const r of permutation(11, 9, 2)) for (let i = r * 10; i < Math.min(103, r * 10 + 10); i++) expected.push(i);
    expect([...o]).toEqual(expected);
    // reads: runs of consecutive rows, at most one per range
    const runs = runsOf(o);
    expect(runs.length).toBeLessThanOrEqual(11);
    expect(runs.reduce((s, [, c]) => s + c, 0)).toBe(103);
    expect(rangeOrder(103, 10, 9, 3)).not.toEqual(o);
  });
});

describe("fit on a RowSource", () => {
  it("equals in-memory training with the same shuffleRange and seed, bit for bit (weights and every logged loss)", async () => {
    for (const extra of [{}, { dynamicBinarization: true, binarizationSeed: 4 }, { shuffle: false }]) {
      const opts = { epochs: 3, batchSize: 32, shuffleRange: 8, shuffleSeed: 11, ...extra };
      const a = await VAE.create(small);
      const b = await VAE.create(small);
      const batchesA: number[] = [], batchesB: number[] = [];
      const ha = await a.fit(data, { ...opts, onBatchEnd: (l) => void batchesA.push(l.loss) });
      const { source, reads } = arraySource(data, D);
      const hb = await b.fit(source, { ...opts, readAhead: 3, onBatchEnd: (l) => void batchesB.push(l.loss) });
      expect(batchesB).toEqual(batchesA);
      expect(hb.map((h) => h.loss)).toEqual(ha.map((h) => h.loss));
      expect(b.getWeights()).toEqual(a.getWeights());
      // every read was a range (or, unshuffled, a batch) of consecutive rows: no row-by-row access
      expect(reads.every(([s, c]) => c >= 1 && s + c <= N)).toBe(true);
      expect(reads.length).toBeLessThanOrEqual(3 * (Math.ceil(N / 8) + Math.ceil(N / 32)));
      a.dispose();
      b.dispose();
    }
  });

  it("shuffleRange 1 in memory is today's row shuffle (the default's bits unchanged)", async () => {
    const a = await VAE.create(small);
    const b = await VAE.create(small);
    await a.fit(data, { epochs: 2, batchSize: 16 });
    await b.fit(data, { epochs: 2, batchSize: 16, shuffleRange: 1 });
    expect(b.getWeights()).toEqual(a.getWeights());
    a.dispose();
    b.dispose();
  });

  it("a ConditionalVAE's { x, labels } chunks equal in-memory training", async () => {
    const labels = Int32Array.from({ length: N }, (_, i) => i % 3);
    const cfg = { ...small, classes: 3 };
    const a = await ConditionalVAE.create(cfg);
    const b = await ConditionalVAE.create(cfg);
    const opts = { epochs: 2, batchSize: 25, shuffleRange: 5 };
    await a.fit(data, labels, opts);
    const source: RowSource<{ x: Float32Array; labels: Int32Array }> = {
      rows: N,
      read: (s, c) => ({ x: data.slice(s * D, (s + c) * D), labels: labels.slice(s, s + c) }),
    };
    await b.fit(source, opts);
    expect(b.getWeights()).toEqual(a.getWeights());
    a.dispose();
    b.dispose();
  });

  it("named fields with a groups field: whole groups, the same bits as in memory", async () => {
    const n = 60;
    const d = ganData(n, (i) => Math.floor(i / 3));
    const run = async (x: unknown) => {
      const e = await Engine.create();
      const gan = new TinyGan(e);
      const groupsSeen: number[][] = [];
      await fit(gan.target(), x, { epochs: 2, batchSize: 8, learningRate: 0.01 });
      return { weights: gan.weights(), groupsSeen };
    };
    const source: RowSource = {
      rows: n,
      read: (s, c) => Object.fromEntries(Object.entries(d).map(([k, v]) => {
        const w = v.length / n;
        return [k, v.slice(s * w, (s + c) * w)];
      })),
    };
    const mem = await run(d);
    const str = await run(source);
    expect(str.weights).toEqual(mem.weights);
  });
});

describe("fit on an async iterable of batches", () => {
  it("equals unshuffled in-memory training with the same batches; an exhausted generator object is a typed error", async () => {
    const a = await VAE.create(small);
    const b = await VAE.create(small);
    await a.fit(data, { epochs: 2, batchSize: 40, shuffle: false });
    const batches = { async *[Symbol.asyncIterator]() {
      for (let s = 0; s < N; s += 40) yield data.slice(s * D, Math.min(N, s + 40) * D);
    } };
    const logs: number[] = [];
    const h = await b.fit(batches, { epochs: 2, batchSize: 40, onBatchEnd: (l) => void logs.push(l.batches) });
    expect(b.getWeights()).toEqual(a.getWeights());
    expect(h.length).toBe(2);
    // batches per epoch: unknown in the first epoch, then the first epoch's count
    expect(logs.slice(0, 6).every(Number.isNaN)).toBe(true);
    expect(logs.slice(6)).toEqual([6, 6, 6, 6, 6, 6]);
    const w = b.getWeights();
    await expect(b.fit(batches, { batchSize: 10 })).rejects.toThrow(/has 40 rows, more than batchSize 10/);
    await expect(b.fit(batches, { dynamicBinarization: true })).rejects.toThrow(InvalidInputError);
    await expect(b.fit(batches, { shuffleRange: 4 })).rejects.toThrow(/shuffleRange/);
    expect(b.getWeights()).toEqual(w);
    const once = (async function* () { yield data.slice(0, 10 * D); })();
    await expect(b.fit(once, { epochs: 2, batchSize: 10 })).rejects.toThrow(/yielded no batches in epoch 2.*starts over/);
    a.dispose();
    b.dispose();
  });
});

describe("streamed validation and bad sources", () => {
  it("a source of one chunk validates exactly as in memory; several chunks give the row-weighted mean", async () => {
    const a = await VAE.create(small);
    const b = await VAE.create(small);
    const ha = await a.fit(data, { epochs: 1, validationData: data, validationSeed: 3 });
    const hb = await b.fit(data, { epochs: 1, validationData: arraySource(data, D).source, validationSeed: 3 });
    expect(hb[0].validation).toEqual(ha[0].validation);
    // an async iterable of validation batches: one batch is exactly in-memory evaluate too
    const once = { async *[Symbol.asyncIterator]() { yield data; } };
    const c = await VAE.create(small);
    const hi = await c.fit(data, { epochs: 1, validationData: once, validationSeed: 3 });
    expect(hi[0].validation).toEqual(ha[0].validation);
    c.dispose();
    const big = new Float32Array(2500 * D).map((_, i) => data[i % data.length]);
    const hc = await a.fit(data, { epochs: 1, validationData: arraySource(big, D).source, validationSeed: 3 });
    // what the validation must be: the weights after the step, evaluated on the chunks [0, 1024), [1024, 2048), [2048, 2500)
    const parts = [[0, 1024], [1024, 2048], [2048, 2500]].map(([s, e]) => [a.evaluate(big.subarray(s * D, e * D), { seed: 3 }), e - s] as const);
    const expected = parts.reduce((s, [t, r]) => s + t.loss * r, 0) / 2500;
    expect(hc[0].validation!.loss).toBeCloseTo(expected, 10);
    a.dispose();
    b.dispose();
  });

  it("a bad source is a typed error naming what was wrong; a refused fit leaves the model as it was", async () => {
    const m = await VAE.create(small);
    const w = m.getWeights();
    await expect(m.fit({ rows: 0, read: () => data }, {})).rejects.toThrow(/rows must be an integer from 1/);
    await expect(m.fit({ rows: N, read: () => undefined } as unknown as RowSource<Float32Array>, {})).rejects.toThrow(/returned undefined/);
    await expect(m.fit({ rows: N, read: (s: number, c: number) => data.slice(0, (c + 1) * D) }, { shuffle: false })).rejects.toThrow(/returned \d+ rows for batch 0/);
    await expect(m.fit({ rows: N, read: (s: number, c: number) => new Float32Array(c * D).fill(NaN) }, {})).rejects.toThrow(/finite/);
    await expect(m.fit(arraySource(data, D).source, { shuffleRange: 0 })).rejects.toThrow(/shuffleRange must be an integer/);
    await expect(m.fit(arraySource(data, D).source, { readAhead: 100 })).rejects.toThrow(/readAhead must be an integer from 0 to 64/);
    expect(m.getWeights()).toEqual(w);
    m.dispose();
  });
});
