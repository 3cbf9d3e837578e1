// Issue 17 case 5: gzipped IDX is inflated as a stream and no further than its header declares, so a
// decompression bomb costs no more than the header allows (and a header declaring too much is refused first).
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError, readIdx, readIdxImages } from "../../src/index.js";

/** An IDX header (u8, big-endian dimensions) followed by `tail` bytes. */
function idx(shape: number[], tail: number): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + tail);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < tail; i++) out[4 + 4 * shape.length + i] = i < 1000 ? i % 251 : 0;
  return out;
}

/** Counts the bytes the gzip inflater hands on, by wrapping DecompressionStream. */
function countInflated(): { bytes: number } {
  const seen = { bytes: 0 };
  const Real = globalThis.DecompressionStream;
  vi.stubGlobal("DecompressionStream", class {
    readonly writable: WritableStream;
    readonly readable: ReadableStream;
    constructor(format: CompressionFormat) {
      const d = new Real(format);
      this.writable = d.writable;
      this.readable = d.readable.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          seen.bytes += chunk.length;
          c.enqueue(chunk);
        },
      }));
    }
  });
  return seen;
}

afterEach(() => vi.unstubAllGlobals());

describe("case 5: gzip bombs", () => {
  it("inflates no further than the header declares (64 MiB of zeros behind a 10 × 10 header)", async () => {
    const bomb = gzipSync(idx([10, 10], 64 * 2 ** 20), { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    const seen = countInflated();
    const { shape, data } = await readIdx(bomb);
    expect(shape).toEqual([10, 10]);
    expect(Array.from(data.subarray(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(seen.bytes).toBeLessThan(8 * 2 ** 20);
    const images = await readIdxImages(bomb);
    expect(images.count).toBe(10);
    expect(images.images.length).toBe(100);
  });

  it("refuses a header declaring more than 2^28 values before inflating the rest", async () => {
    const bomb = gzipSync(idx([60000, 100, 100], 16 * 2 ** 20), { level: 9 });
    const seen = countInflated();
    await expect(readIdx(bomb)).rejects.toThrow(/declares 600000000 values; at most 2\^28 are read/);
    expect(seen.bytes).toBeLessThan(8 * 2 ** 20);
    await expect(readIdx(idx([60000, 100, 100], 10))).rejects.toThrow(InvalidInputError);
  });

  it("truncated and corrupt gzip are still typed errors", async () => {
    const good = gzipSync(idx([4, 4], 16));
    expect((await readIdx(good)).shape).toEqual([4, 4]);
    await expect(readIdx(good.subarray(0, 12))).rejects.toThrow(InvalidInputError);
    const flipped = good.slice();
    flipped[14] ^= 0xff;
    await expect(readIdx(flipped)).rejects.toThrow(InvalidInputError);
    await expect(readIdx(gzipSync(idx([4, 4], 3)))).rejects.toThrow(/truncated file/);
  });
});
