// The synthetic data the worker's model is trained on: 12×12 images of one soft blob at a random position.
// make-model.mjs trains on blobs(2000, 1); test.mjs uses the same generator for rows the model should find likely.
export const SIDE = 12;
export const PIXELS = SIDE * SIDE;

/** A tiny seeded generator (mulberry32), so the same seed gives the same data everywhere. */
export function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n images, row-major [n × 144], values in [0, 1]: a Gaussian bump centred at a random (cx, cy) in [2, 9]². */
export function blobs(n, seed) {
  const rand = random(seed);
  const x = new Float32Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const cx = 2 + rand() * (SIDE - 5);
    const cy = 2 + rand() * (SIDE - 5);
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) x[i * PIXELS + r * SIDE + c] = Math.exp(-((c - cx) ** 2 + (r - cy) ** 2) / 4.5);
    }
  }
  return x;
}
