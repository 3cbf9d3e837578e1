// Seeded permutations for epoch shuffling: integer-only arithmetic, so every runtime produces the same order.

/** A 32-bit generator (sfc32) seeded from (seed, stream); returns uniform u32 values. */
function sfc32(seed: number, stream: number): () => number {
  let a = seed >>> 0, b = stream >>> 0, c = 0x9e3779b9, d = 1;
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/** The Fisher–Yates permutation of 0..n-1 for (seed, epoch); unbiased (rejection sampling on u32). */
export function permutation(n: number, seed: number, epoch: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rand = sfc32(seed, epoch);
  for (let i = n - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % bound);
    let r = rand();
    while (r >= limit) r = rand();
    const j = r % bound;
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
