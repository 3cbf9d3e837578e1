// IDX files (the MNIST format): a 4-byte magic (0, 0, dtype, rank), big-endian u32 dimensions, big-endian data;
// gzipped files inflated as a stream, no further than their header declares (at most 2^28 values). The reader is a
// chunk of its own (idx-read.ts, dist/*-idx.*), loaded on the first read: the default entry doesn't carry it.

/**
 * A decoded IDX array: its dimensions and its values in a typed array of the file's type.
 *
 * @example
 * ```ts
 * const labels: IdxArray = await readIdx(bytes); // shape [60000], Uint8Array data
 * ```
 */
export interface IdxArray {
  readonly shape: number[];
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/**
 * Reads an IDX file (raw or gzipped), e.g. MNIST's train-images-idx3-ubyte.
 *
 * @example
 * ```ts
 * import { readFile } from "node:fs/promises";
 * const images = await readIdx(await readFile("train-images-idx3-ubyte.gz")); // shape [60000, 28, 28]
 * ```
 */
export async function readIdx(input: Uint8Array | ArrayBuffer): Promise<IdxArray> {
  return (await import("./idx-read.js")).readIdx(input);
}

/**
 * Reads an IDX image file into a Float32Array of [n, rows·cols] values scaled to [0, 1] (u8 pixels / 255).
 *
 * @example
 * ```ts
 * const { images, count, size } = await readIdxImages(bytes); // MNIST: count 60000, size 784
 * ```
 */
export async function readIdxImages(input: Uint8Array | ArrayBuffer): Promise<{ images: Float32Array; count: number; size: number }> {
  return (await import("./idx-read.js")).readIdxImages(input);
}
