// Resumed streamed training: the order of the examples (shuffle seed and shuffleRange, a RowSource's default 16
// included) is stored in resumable files, so that N streamed epochs, save, load and M more, streamed or in memory,
// give the bits of N + M streamed epochs in one run; an in-memory run resumed on a stream shuffles rows as before.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeSafetensors } from "../../src/io/safetensors";
import { VAE } from "../../src/index";
import { type FileSource, openIdx } from "../../src/stream";
import type { FitOptions } from "../../src/train/fit";

const N = 150, D = 12;
const pixels = Uint8Array.from({ length: N * D }, (_, i) => (i * 37 + (i >> 3)) % 256);
const x = Float32Array.from(pixels, (v) => v / 255);
const dir = mkdtempSync(join(tmpdir(), "vaekit-resume-stream-"));
const path = join(dir, "x-idx2-ubyte");
{
  const b = new Uint8Array(12 + N * D);
  const dv = new DataView(b.buffer);
  b[2] = 0x08;
  b[3] = 2;
  dv.setUint32(4, N);
  dv.setUint32(8, D);
  b.set(pixels, 12);
  writeFileSync(path, b);
}
const opened: FileSource<Float32Array>[] = [];
const open = async (): Promise<FileSource<Float32Array>> => {
  const s = await openIdx(path);
  opened.push(s);
  return s;
};
afterAll(async () => {
  for (const s of opened) await s.close();
});

const config = { inputSize: D, hiddenSizes: [8], latentSize: 3, seed: 5 };
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const base: FitOptions = { batchSize: 16, dynamicBinarization: true, learningRate: 3e-3 };

/** N + M epochs in one run on `data` (an array or a fresh file source), then the resumable file. */
async function whole(data: () => Promise<unknown>, o: FitOptions, epochs: number): Promise<Uint8Array> {
  const m = await VAE.create(config);
  await m.fit(await data() as never, { ...o, epochs });
  const f = m.save({ optimizer: true });
  m.dispose();
  return f;
}

/** `first` epochs on one kind of data, save, load, `then` more with resume on the other (options `o2`). */
async function resumed(d1: () => Promise<unknown>, d2: () => Promise<unknown>, o1: FitOptions, o2: FitOptions, first: number, then: number) {
  const m = await VAE.create(config);
  await m.fit(await d1() as never, { ...o1, epochs: first });
  const file = m.save({ optimizer: true });
  m.dispose();
  const r = await VAE.load(file);
  const logs = await r.fit(await d2() as never, { ...o2, epochs: then, resume: true });
  const out = r.save({ optimizer: true });
  r.dispose();
  return { file, out, logs };
}

const memory = async () => x;

describe("resumed streamed training", () => {
  it("the resumable file stores the order: the source's default shuffleRange 16 and the seed", async () => {
    const { file } = await resumed(open, open, base, base, 1, 1);
    expect(JSON.parse(decodeSafetensors(file).metadata.optimizer).order).toEqual({ seed: 5, range: 16 });
    const given = await resumed(open, open, { ...base, shuffleRange: 5, shuffleSeed: 77 }, base, 1, 1);
    expect(JSON.parse(decodeSafetensors(given.file).metadata.optimizer).order).toEqual({ seed: 77, range: 5 });
    const off = await resumed(open, open, { ...base, shuffle: false }, base, 1, 1);
    expect(JSON.parse(decodeSafetensors(off.file).metadata.optimizer).order).toEqual({ seed: 5, shuffle: false });
  });

  it("N streamed epochs, save, load, M more streamed == N + M streamed in one run, bit for bit", async () => {
    for (const o of [base, { ...base, shuffleRange: 7, shuffleSeed: 3 }, { ...base, shuffle: false }]) {
      const one = await whole(open, o, 3);
      // the resumed fit leaves the order options out: they come from the file
      const { out, logs } = await resumed(open, open, o, { batchSize: 16, dynamicBinarization: true, learningRate: 3e-3 }, 2, 1);
      expect(logs.map((l) => l.epoch)).toEqual([3]);
      expect(same(out, one), JSON.stringify(o)).toBe(true);
    }
  });

  it("streamed then resumed in memory (no shuffleRange given) == streamed throughout; and the other way round", async () => {
    const streamed = await whole(open, base, 3);
    expect(same((await resumed(open, memory, base, base, 2, 1)).out, streamed)).toBe(true);
    // an in-memory run shuffles rows: resumed on the file source it goes on shuffling rows, not ranges of 16
    const inMemory = await whole(memory, base, 3);
    expect(same((await resumed(memory, open, base, base, 1, 2)).out, inMemory)).toBe(true);
    // the stored order really matters: without it (shuffleRange given as the source default would be) the bits differ
    expect(same((await resumed(memory, open, base, { ...base, shuffleRange: 16 }, 1, 2)).out, inMemory)).toBe(false);
  });

  it("options given to the resumed fit win over the stored ones", async () => {
    const a = await resumed(open, open, base, { ...base, shuffleSeed: 5, shuffleRange: 16 }, 2, 1);
    const b = await resumed(open, open, base, { ...base, shuffleSeed: 6 }, 2, 1);
    expect(same(a.out, await whole(open, base, 3))).toBe(true);
    expect(same(b.out, a.out)).toBe(false);
    expect(JSON.parse(decodeSafetensors(b.out).metadata.optimizer).order).toEqual({ seed: 6, range: 16 });
  });
});
