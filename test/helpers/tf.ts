// The independent autograd oracle: TensorFlow.js (full package, CommonJS entry, which registers gradients) on its CPU backend.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TF = any;

let ready: Promise<TF> | undefined;

export function loadTf(): Promise<TF> {
  ready ??= (async () => {
    const tf = require("@tensorflow/tfjs");
    await tf.setBackend("cpu");
    await tf.ready();
    return tf;
  })();
  return ready;
}
