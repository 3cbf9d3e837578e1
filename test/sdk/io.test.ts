// File formats: IDX (raw and gzipped) and safetensors, read strictly.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, readIdx, readIdxImages } from "../../src/index.js";

function idx(type: number, shape: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * shape.length);
  const dv = new DataView(head.buffer);
  head[2] = type;
  head[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe("readIdx", () => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 2 }, (_, i) => i * 20);
  const file = idx(0x08, [2, 3, 2], pixels);

  it("reads unsigned-byte images, raw or gzipped, and scales them to [0, 1]", async () => {
    for (const bytes of [file, new Uint8Array(gzipSync(file))]) {
      const a = await readIdx(bytes);
      expect(a.shape).toEqual([2, 3, 2]);
      expect(Array.from(a.data)).toEqual(Array.from(pixels));
      const { images, count, size } = await readIdxImages(bytes);
      expect(count).toBe(2);
      expect(size).toBe(6);
      expect(images[5]).toBeCloseTo(100 / 255, 7);
    }
  });

  it("reads big-endian wider types", async () => {
    const body = new Uint8Array(8);
    new DataView(body.buffer).setFloat32(0, 1.5, false);
    new DataView(body.buffer).setFloat32(4, -2, false);
    expect(Array.from((await readIdx(idx(0x0d, [2], body))).data)).toEqual([1.5, -2]);
    const ints = new Uint8Array(4);
    new DataView(ints.buffer).setInt16(0, -300, false);
    new DataView(ints.buffer).setInt16(2, 7, false);
    expect(Array.from((await readIdx(idx(0x0b, [2], ints))).data)).toEqual([-300, 7]);
  });

  it("refuses truncated, foreign and corrupt input", async () => {
    await expect(readIdx(file.subarray(0, file.length - 1))).rejects.toThrow(/truncated file: shape \[2, 3, 2\] needs 28 bytes, got 27/);
    await expect(readIdx(new TextEncoder().encode("P5 28 28"))).rejects.toThrow(/not an IDX file/);
    await expect(readIdx(idx(0x07, [1], new Uint8Array(1)))).rejects.toThrow(/unknown IDX element type 0x7/);
    const gz = new Uint8Array(gzipSync(file));
    await expect(readIdx(gz.subarray(0, gz.length - 10))).rejects.toThrow(/gzip|truncated/);
  });
});

describe("safetensors", () => {
  it("writes a file the format's rules accept and reads it back exactly", () => {
    const tensors = new Map([
      ["a", { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ["b", { shape: [1], data: Float32Array.from([-0.5]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { k: "v" });
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect((8 + n) % 8).toBe(0); // data section aligned
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.a).toEqual({ dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
    expect(header.b.data_offsets).toEqual([24, 28]);
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ k: "v" });
    expect(Array.from(back.tensors.get("a")!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(encodeSafetensors(back.tensors, back.metadata)).toEqual(bytes);
  });

  it("rejects overlapping, out-of-range and mis-sized tensors", () => {
    const make = (header: object, dataBytes: number) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setUint32(0, json.length, true);
      out.set(json, 8);
      return out;
    };
    expect(() => decodeSafetensors(make({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 4))).toThrow(/truncated/);
    expect(() => decodeSafetensors(make({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8))).toThrow(/needs 12/);
    expect(() =>
      decodeSafetensors(make({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
      }, 8)),
    ).toThrow(/overlaps/);
    expect(() => decodeSafetensors(make({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, 8))).toThrow(/dtype "I64"/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(() => decodeSafetensors(huge)).toThrow(/implausible/);
  });
});
