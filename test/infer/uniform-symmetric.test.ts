// uniform_symmetric (assembly/init.ts): the in-place U[0, 1) → U(−bound, bound) map of weight initialisation gives the
// bits JavaScript's f64 arithmetic gives (which is what model weights were before it moved into wasm), for every
// 24-bit uniform at the ends of the range and a random sweep, at the bounds of real layers.
import { describe, expect, it } from "vitest";
import { expectBitIdentical } from "../helpers/assert.js";
import { loadKernels, randomArray } from "../helpers/wasm.js";

describe("uniform_symmetric", () => {
  it("≡ Math.fround(bound · (2u − 1)) bit for bit", () => {
    const k = loadKernels();
    const ends = Array.from({ length: 4096 }, (_, i) => (i < 2048 ? i : 2 ** 24 - 4096 + i) * 2 ** -24);
    const u = Float32Array.from([...ends, ...randomArray(20000, 9, 0, 1)]);
    let checked = 0;
    for (const fanIn of [1, 3, 20, 400, 784, 1000]) {
      const bound = 1 / Math.sqrt(fanIn);
      k.reset();
      const p = k.put(u);
      k.x.uniform_symmetric(p, u.length, bound);
      const want = u.map((v) => bound * (2 * v - 1));
      expectBitIdentical(k.get(p, u.length), want, `fan_in ${fanIn}`);
      checked += u.length;
    }
    expect(checked).toBe(6 * 24096);
    // bound 0 (Glorot's zero biases): +0 everywhere, never −0
    k.reset();
    const p = k.put(u);
    k.x.uniform_symmetric(p, u.length, 0);
    expectBitIdentical(k.get(p, u.length), new Float32Array(u.length), "bound 0");
  });
});
