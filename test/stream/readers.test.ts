// vaekit/stream's readers: IDX (raw; gzip streamed), .npy and CSV from files (fs handles), Blobs, ReadableStreams and
// Responses read a batch at a time, equal to the whole-file readers; untrusted headers are refused before any
// allocation; training from a file equals training on the same rows in memory bit for bit; the reader's memory
// and the model's wasm memory stay bounded while a file many times the read-ahead streams through.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { readCsv } from "../../src/cli/csv";
import { readNpy, writeNpy } from "../../src/cli/npy";
import { ConditionalVAE, InvalidInputError, readIdx, readIdxImages, VAE } from "../../src/index";
import { type FileSource, openCsv, openFile, openIdx, openNpy, streamBatches, zipSources } from "../../src/stream";

const dir = mkdtempSync(join(tmpdir(), "vaekit-stream-"));
const opened: FileSource<unknown>[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});
const keep = <T extends FileSource<unknown>>(s: T): T => (opened.push(s), s);

/** An IDX file of u8 (type 0x08) or i32 (0x0c) values. */
function idxBytes(type: 0x08 | 0x0c, shape: number[], values: ArrayLike<number>): Uint8Array {
  const size = type === 0x08 ? 1 : 4;
  const out = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const dv = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  for (let i = 0; i < values.length; i++) {
    if (type === 0x08) out[4 + 4 * shape.length + i] = values[i];
    else dv.setInt32(4 + 4 * shape.length + 4 * i, values[i]);
  }
  return out;
}

const N = 150, H = 4, W = 5, D = H * W;
const pixels = Uint8Array.from({ length: N * D }, (_, i) => (i * 37 + (i >> 3)) % 256);
const labels = Uint8Array.from({ length: N }, (_, i) => (i * 7) % 3);
const imagesPath = join(dir, "images-idx3-ubyte");
const labelsPath = join(dir, "labels-idx1-ubyte");
writeFileSync(imagesPath, idxBytes(0x08, [N, H, W], pixels));
writeFileSync(imagesPath + ".gz", gzipSync(idxBytes(0x08, [N, H, W], pixels)));
writeFileSync(labelsPath, idxBytes(0x08, [N], labels));
const floats = Float32Array.from({ length: 37 * 6 }, (_, i) => Math.sin(i) * 3);
const npyPath = join(dir, "x.npy");
writeFileSync(npyPath, writeNpy(floats, [37, 2, 3]));
const csvText = "a,b,c\n" + Array.from({ length: 301 }, (_, r) => (r % 50 === 7 ? "\n" : "") + [r, r / 4, -r * 1.5].join(",")).join("\r\n") + "\n";
const csvPath = join(dir, "t.csv");
writeFileSync(csvPath, csvText);
writeFileSync(csvPath + ".gz", gzipSync(csvText));

async function collect(it: AsyncIterable<ArrayLike<number>>): Promise<{ values: number[]; sizes: number[] }> {
  const values: number[] = [], sizes: number[] = [];
  for await (const b of it) {
    sizes.push(b.length);
    for (let i = 0; i < b.length; i++) values.push(b[i]);
  }
  return { values, sizes };
}

describe("random-access readers", () => {
  it("IDX: any row range equals the whole-file reader's rows (float32 /255, or native)", async () => {
    const whole = await readIdxImages(readFileSync(imagesPath));
    const x = keep(await openIdx(imagesPath));
    expect([x.rows, x.rowValues, x.format, [...x.shape]]).toEqual([N, D, "idx", [N, H, W]]);
    for (const [s, c] of [[0, 1], [0, N], [17, 33], [N - 1, 1]]) {
      expect(await x.read(s, c)).toEqual(whole.images.subarray(s * D, (s + c) * D));
    }
    const y = keep(await openIdx(labelsPath, { output: "native" }));
    const yr = await y.read(10, 20);
    expect(yr).toBeInstanceOf(Uint8Array);
    expect(yr).toEqual(labels.subarray(10, 30));
    // from a Blob (a browser's File) the same
    const blob = keep(await openIdx(new Blob([readFileSync(imagesPath)])));
    expect(await blob.read(40, 9)).toEqual(whole.images.subarray(40 * D, 49 * D));
    await expect(x.read(N - 1, 2)).rejects.toThrow(/outside \[0, 150\)/);
    expect(x.stats.heldBytes).toBe(0);
    const closed = await openIdx(imagesPath);
    await closed.close();
    await expect(closed.read(0, 1)).rejects.toThrow(/reading 20 bytes at byte 16 failed .*closed/);
    expect(closed.stats.heldBytes).toBe(0);
  });

  it(".npy and CSV: row ranges equal the whole-file readers; openFile tells the format by content", async () => {
    const npy = readNpy(new Uint8Array(readFileSync(npyPath)), "x");
    const x = keep(await openNpy(npyPath));
    expect([x.rows, x.rowValues]).toEqual([37, 6]);
    expect(await x.read(5, 11)).toEqual((npy.data as Float32Array).subarray(30, 96));
    const table = readCsv(csvText, "t");
    const c = keep(await openCsv(csvPath));
    expect([c.rows, c.rowValues, c.columns]).toEqual([301, 3, ["a", "b", "c"]]);
    for (const [s, n] of [[0, 301], [63, 2], [64, 1], [130, 100], [300, 1]]) {
      expect(await c.read(s, n)).toEqual(Float32Array.from(table.values.subarray(s * 3, (s + n) * 3)));
    }
    expect((await keep(await openFile(npyPath)).read(0, 1)).length).toBe(6);
    expect((keep(await openFile(csvPath))).format).toBe("csv");
    expect((keep(await openFile(labelsPath))).format).toBe("idx");
    await expect(openFile(imagesPath + ".gz")).rejects.toThrow(/gzipped.*streamBatches/);
  });
});

describe("streamed readers", () => {
  it("gzipped and raw IDX, CSV, from a path, a Blob, a ReadableStream and a Response: the same rows in batches", async () => {
    const whole = Array.from((await readIdxImages(readFileSync(imagesPath))).images);
    for (const input of [imagesPath, imagesPath + ".gz", new Blob([readFileSync(imagesPath + ".gz")])]) {
      const s = streamBatches(input, { batchRows: 64 });
      const a = await collect(s);
      expect(a.values).toEqual(whole);
      expect(a.sizes).toEqual([64 * D, 64 * D, 22 * D]);
      expect((await collect(s)).values).toEqual(whole); // a second epoch opens it anew
    }
    const gz = readFileSync(imagesPath + ".gz");
    const response = streamBatches(() => new Response(gz), { batchRows: 50 });
    expect((await collect(response)).values).toEqual(whole);
    const once = streamBatches(new Blob([gz]).stream(), { batchRows: 50 });
    expect((await collect(once)).values).toEqual(whole);
    await expect(collect(once)).rejects.toThrow(/can be read once.*fresh one/);
    const labelsStream = streamBatches(labelsPath, { batchRows: 1, output: "native" });
    expect((await collect(labelsStream)).values).toEqual(Array.from(labels));
    const table = readCsv(csvText, "t");
    const csv = await collect(streamBatches(csvPath + ".gz", { batchRows: 100 }));
    expect(csv.values).toEqual(Array.from(Float32Array.from(table.values)));
    expect(csv.sizes).toEqual([300, 300, 300, 3]);
  });
});

describe("untrusted input", () => {
  const bad = (name: string, bytes: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  it("headers declaring more than the file holds, or rows wider than the bound, are typed errors before allocation", async () => {
    // 2^32 - 1 rows of 2^16 values: a 16-byte file
    const huge = new Uint8Array(16);
    huge.set([0, 0, 8, 3]);
    new DataView(huge.buffer).setUint32(4, 2 ** 32 - 1);
    new DataView(huge.buffer).setUint32(8, 256);
    new DataView(huge.buffer).setUint32(12, 256);
    await expect(openIdx(bad("huge", huge))).rejects.toThrow(/truncated file.*needs \d+ bytes, the file has 16/);
    await expect(openIdx(bad("wide", huge), { maxRowValues: 1000 })).rejects.toThrow(/65536 values per row; at most 1000/);
    await expect(collect(streamBatches(bad("huge2", huge)))).rejects.toThrow(/truncated: the header declares 4294967295 rows/);
    // a gzip bomb can't make a batch buffer more than 2^30 bytes: rows of 2^24 f64 values, 128 per batch
    const bomb = Uint8Array.from([0, 0, 0x0e, 2, 0, 0, 1, 0, 1, 0, 0, 0]);
    await expect(collect(streamBatches(bad("bomb.gz", gzipSync(bomb)), { batchRows: 128 }))).rejects.toThrow(/would take 17179869184 bytes; at most 2\^30/);
    await expect(openIdx(bad("type", Uint8Array.from([0, 0, 7, 1, 0, 0, 0, 1, 0])))).rejects.toThrow(/unknown IDX element type 0x7/);
    await expect(openIdx(bad("notidx", Uint8Array.from([1, 2, 3, 4, 5])))).rejects.toThrow(InvalidInputError);
    const npy = writeNpy(new Float32Array(6), [2, 3]);
    await expect(openNpy(bad("trail.npy", Uint8Array.from([...npy, 0])))).rejects.toThrow(/1 bytes after the data/);
    await expect(openNpy(bad("short.npy", npy.subarray(0, npy.length - 1)))).rejects.toThrow(/truncated file/);
    const big = npy.slice();
    new DataView(big.buffer).setUint16(8, 65535, true);
    big[6] = 2;
    new DataView(big.buffer).setUint32(8, 2 ** 31, true);
    await expect(openNpy(bad("header.npy", big))).rejects.toThrow(/header declares 2147483648 bytes; at most 65536/);
    await expect(openCsv(bad("long.csv", new TextEncoder().encode("1,".repeat(5000) + "1\n")), { maxLineBytes: 1000 }))
      .rejects.toThrow(/longer than maxLineBytes 1000/);
    await expect(openCsv(bad("cell.csv", new TextEncoder().encode("1,2\n3,x\n"))).then((s) => s.read(0, 2))).rejects.toThrow(/data row 1, column 2 is 'x'/);
    await expect(collect(streamBatches(bad("gzbad", Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4]))))).rejects.toThrow(/gzip data is corrupt or truncated/);
    await expect(openIdx(imagesPath, { scale: NaN })).rejects.toThrow(/scale must be a finite number/);
  });
});

describe("training from a file", () => {
  const cfg = { inputSize: D, latentSize: 2, hiddenSizes: [6], seed: 3 };
  it("equals in-memory training on the same rows and seed, bit for bit (VAE with binarization; CVAE with labels; gzip streamed)", async () => {
    const images = (await readIdxImages(readFileSync(imagesPath))).images;
    const opts = { epochs: 2, batchSize: 32, shuffleRange: 4, shuffleSeed: 9, dynamicBinarization: true, validationSeed: 2 };
    const a = await VAE.create(cfg), b = await VAE.create(cfg);
    const ha = await a.fit(images, { ...opts, validationData: images });
    const x = keep(await openIdx(imagesPath));
    const hb = await b.fit(x, { ...opts, validationData: x });
    expect(b.getWeights()).toEqual(a.getWeights());
    expect(hb.map((h) => [h.loss, h.validation!.loss])).toEqual(ha.map((h) => [h.loss, h.validation!.loss]));

    const ca = await ConditionalVAE.create({ ...cfg, classes: 3 }), cb = await ConditionalVAE.create({ ...cfg, classes: 3 });
    await ca.fit(images, (await readIdx(readFileSync(labelsPath))).data as Uint8Array, { epochs: 2, batchSize: 20, shuffleRange: 8 });
    await cb.fit(zipSources({ x, labels: keep(await openIdx(labelsPath, { output: "native" })) }), { epochs: 2, batchSize: 20, shuffleRange: 8 });
    expect(cb.getWeights()).toEqual(ca.getWeights());

    const c = await VAE.create(cfg), d = await VAE.create(cfg);
    await c.fit(images, { epochs: 2, batchSize: 40, shuffle: false });
    await d.fit(streamBatches(imagesPath + ".gz", { batchRows: 40 }), { epochs: 2, batchSize: 40 });
    expect(d.getWeights()).toEqual(c.getWeights());
    for (const m of [a, b, ca, cb, c, d]) m.dispose();
  });

  it("memory stays bounded: a file 40× the read-ahead streams with the reader holding at most the batches read ahead, and no wasm growth", async () => {
    const rows = 12000, width = 784, batch = 50, readAhead = 2;
    const path = join(dir, "big-idx3-ubyte");
    const big = new Uint8Array(16 + rows * width);
    big.set([0, 0, 8, 3]);
    new DataView(big.buffer).setUint32(4, rows);
    new DataView(big.buffer).setUint32(8, 28);
    new DataView(big.buffer).setUint32(12, 28);
    for (let i = 16; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    writeFileSync(path, big);
    const m = await VAE.create({ inputSize: width, latentSize: 2, hiddenSizes: [8], seed: 1 });
    const source = keep(await openIdx(path));
    const window = (readAhead + 1) * batch * width; // bytes of the batches read at once
    expect(big.length).toBeGreaterThan(40 * window);
    let afterFirst = 0, peakWasm = 0;
    await m.fit(source, { epochs: 1, batchSize: batch, readAhead, shuffleRange: 10, onBatchEnd: (l) => {
      if (l.batch === 0) afterFirst = m.memoryBytes;
      peakWasm = Math.max(peakWasm, m.memoryBytes);
    } });
    expect(source.stats.bytesRead).toBeGreaterThanOrEqual(rows * width); // the whole file went through
    expect(source.stats.peakHeldBytes).toBeGreaterThan(0);
    expect(source.stats.peakHeldBytes).toBeLessThanOrEqual(window);
    expect(source.stats.heldBytes).toBe(0);
    expect(peakWasm).toBe(afterFirst); // the wasm memory didn't grow with the file
    // sequential: about one batch of bytes plus one 64 KiB block
    const s = streamBatches(path, { batchRows: batch });
    for await (const _ of s) void _;
    expect(s.stats.bytesRead).toBe(big.length);
    expect(s.stats.peakHeldBytes).toBeLessThanOrEqual(batch * width + 2 * 65536);
    m.dispose();
  });
});

describe("one IDX header parser (src/io/idx-header.ts)", () => {
  it("readIdx and the streaming readers refuse the same headers with the same typed message, and read the same shapes", async () => {
    const headers: Record<string, number[]> = {
      "not IDX": [1, 0, 8, 1, 0, 0, 0, 1, 7],
      "unknown element type": [0, 0, 7, 1, 0, 0, 0, 1, 7],
      "rank 0": [0, 0, 8, 0, 7, 7],
    };
    const tail = (e: unknown): string => (e instanceof InvalidInputError ? e.message.replace(/^[^:]*\): |^readIdx: /, "") : `not typed: ${String(e)}`);
    for (const [what, bytes] of Object.entries(headers)) {
      const b = Uint8Array.from(bytes);
      const whole = await readIdx(b).then(() => "read", tail);
      const streamed = await openIdx(new Blob([b])).then(() => "read", tail);
      const batches = await collect(streamBatches(new Blob([b]), { format: "idx" })).then(() => "read", tail);
      expect(whole, what).not.toBe("read");
      expect(whole.startsWith("not typed"), what).toBe(false);
      expect(streamed, what).toBe(whole);
      expect(batches, what).toBe(whole);
    }
    const i32 = idxBytes(0x0c, [3, 2], [1, -2, 3, -4, 5, 2 ** 30]);
    const whole = await readIdx(i32);
    const s = keep(await openIdx(new Blob([i32 as BlobPart]), { output: "native" }));
    expect(s.shape).toEqual(whole.shape);
    expect(Array.from(await s.read(0, 3))).toEqual(Array.from(whole.data));
  });
});
