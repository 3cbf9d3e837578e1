// random: Philox-4x32-10, a counter-based generator (Salmon, Moraes, Dror, Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC'11), and the uniform / standard-normal streams built on it.
//
// Algorithm. A block maps a 128-bit counter (c0, c1, c2, c3) and a 64-bit key (k0, k1) to four u32
// words through 10 rounds. One round, with 32×32→64-bit products split into hi/lo halves:
//     (hi0, lo0) = M0 · c0,   (hi1, lo1) = M1 · c2,        M0 = 0xD2511F53, M1 = 0xCD9E8D57
//     (c0, c1, c2, c3) ← (hi1 ⊕ c1 ⊕ k0, lo1, hi0 ⊕ c3 ⊕ k1, lo0)
// and between consecutive rounds the key is bumped by the Weyl constants (wrapping):
//     k0 += W0 = 0x9E3779B9,  k1 += W1 = 0xBB67AE85          (10 rounds, 9 bumps).
// This is Random123's philox4x32_10 word for word; its known-answer vectors are checked in
// test/kernels/random.test.ts.
//
// Stream layout. (key0, key1) name a stream (a seed); (ctr0, ctr1) is a 64-bit block position inside
// it. A call that writes n values consumes ceil(n/4) consecutive blocks: block j uses the counter
// (ctr0 + j, ctr1 + carry, 0, 0), i.e. the 64-bit number ctr1·2³² + ctr0 + j (mod 2⁶⁴); its four
// words produce out[4j .. 4j+3], and the unused tail of the last block is dropped. Because nothing
// else is consumed, the host advances its counter by ceil(n/4) after each call, and a call started
// at counter c + j reproduces exactly the values 4j.. of a call started at c. Counter words 2 and 3
// are always 0 (free for a future stream id).
//
// Transforms (from one u32 word w):
//   uniform in [0, 1):  (w >> 8) · 2⁻²⁴           — 24 bits, exact in f32, never 1.
//   uniform in (0, 1]:  ((w >> 8) + 1) · 2⁻²⁴     — never 0, so log() is always finite.
// Standard normals by Box–Muller, in f64 with AssemblyScript's own Math (musl-derived, compiled into
// the module, so identical bits on every engine), rounded once to f32. Words (w0, w1) give
//   r = sqrt(−2·log(u₀)), θ = 2π·u₁,  u₀ = (0,1]-uniform(w0), u₁ = [0,1)-uniform(w1),
//   out[4j] = r·cos θ,  out[4j+1] = r·sin θ,
// and (w2, w3) give out[4j+2], out[4j+3] the same way. The 24-bit radius uniform bounds |z| by
// sqrt(−2·log 2⁻²⁴) ≈ 5.77 (probability of exceeding that under N(0,1): about 8e-9).


import { TWO_M24_F32, ph0, ph1, ph2, ph3, philox_block, stream_block, normal_a, normal_b, box_muller } from "./philox";

// @ts-ignore: decorator
@inline
function uniform01_closed_open(w: u32): f32 {
  return <f32>(w >> 8) * TWO_M24_F32;
}

/** Writes the 4 raw u32 words of philox4x32_10(counter = (c0, c1, c2, c3), key = (k0, k1)). */
export function philox4x32_10(out: usize, c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  philox_block(c0, c1, c2, c3, k0, k1);
  store<u32>(out, ph0);
  store<u32>(out, ph1, 4);
  store<u32>(out, ph2, 8);
  store<u32>(out, ph3, 12);
}

/** out[n]: uniforms in [0, 1) — see the stream layout above. */
export function rng_uniform(out: usize, n: i32, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  if (n <= 0) return;
  const full = <u32>n >> 2;
  let p = out;
  for (let j: u32 = 0; j < full; j++) {
    stream_block(j, key0, key1, ctr0, ctr1);
    store<f32>(p, uniform01_closed_open(ph0));
    store<f32>(p, uniform01_closed_open(ph1), 4);
    store<f32>(p, uniform01_closed_open(ph2), 8);
    store<f32>(p, uniform01_closed_open(ph3), 12);
    p += 16;
  }
  const rem = n & 3;
  if (rem) {
    stream_block(full, key0, key1, ctr0, ctr1);
    store<f32>(p, uniform01_closed_open(ph0));
    if (rem > 1) store<f32>(p, uniform01_closed_open(ph1), 4);
    if (rem > 2) store<f32>(p, uniform01_closed_open(ph2), 8);
  }
}

/** out[n]: standard normals — see the stream layout above. */
export function rng_normal(out: usize, n: i32, key0: u32, key1: u32, ctr0: u32, ctr1: u32): void {
  if (n <= 0) return;
  const full = <u32>n >> 2;
  let p = out;
  for (let j: u32 = 0; j < full; j++) {
    stream_block(j, key0, key1, ctr0, ctr1);
    const w2 = ph2;
    const w3 = ph3;
    box_muller(ph0, ph1);
    store<f32>(p, normal_a);
    store<f32>(p, normal_b, 4);
    box_muller(w2, w3);
    store<f32>(p, normal_a, 8);
    store<f32>(p, normal_b, 12);
    p += 16;
  }
  const rem = n & 3;
  if (rem) {
    stream_block(full, key0, key1, ctr0, ctr1);
    const w2 = ph2;
    const w3 = ph3;
    box_muller(ph0, ph1);
    store<f32>(p, normal_a);
    if (rem > 1) store<f32>(p, normal_b, 4);
    if (rem > 2) {
      box_muller(w2, w3);
      store<f32>(p, normal_a, 8);
    }
  }
}
