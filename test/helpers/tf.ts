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
    // The CPU backend prints a banner on its first tensor in Node ("install our node backend"), once per test file
    // that loads TF.js. We use the CPU backend on purpose (it is the oracle), so mark that first use as done on this
    // backend alone: TF.js's own IS_TEST / PROD flags would silence every TF.js warning, real ones included.
    const backend = tf.backend() as { firstUse?: boolean };
    if (backend.firstUse === true) backend.firstUse = false;
    return tf;
  })();
  return ready;
}
