// The tiny app every bundler builds: one deterministic workout of vaekit (create with a seed, two epochs of
// training, reconstruct, sample), hashed, with the engine the model actually got. The sizes are large enough that
// with 2 threads the dense layers are split over the worker (DEFAULT_THRESHOLDS in src/runtime/threads/parallel.ts).
import { VAE } from "vaekit";

function data(rows, cols) {
  let s = 12345;
  const x = new Float32Array(rows * cols);
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    // a stripe per row plus sparse noise, each a multiple of 1/256 (exact in f32)
    x[i] = (i % cols) % 8 === (Math.floor(i / cols) % 8) ? (128 + (s & 127)) / 256 : s % 5 === 0 ? (s >>> 24) / 256 : 0;
  }
  return x;
}

/** Runs the workout with { precision, threads }; resolves to { hash, engineInfo, losses }. */
export async function run({ precision, threads }) {
  const x = data(256, 256);
  const vae = await VAE.create({ inputSize: 256, hiddenSizes: [64], latentSize: 4, seed: 7 }, { precision, threads });
  try {
    const logs = await vae.fit(x, { epochs: 2, batchSize: 64, shuffleSeed: 1 });
    const losses = logs.map((l) => l.loss);
    const parts = [new Float64Array(losses), vae.reconstruct(x.subarray(0, 16 * 256)), vae.sample(8, { seed: 3 })];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), o);
      o += p.byteLength;
    }
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hash = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    return { hash, engineInfo: vae.engineInfo, losses };
  } finally {
    vae.dispose();
  }
}
