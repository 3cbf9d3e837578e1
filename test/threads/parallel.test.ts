// The split kernel calls of src/runtime/threads/parallel.ts on a real worker pool, with the split thresholds at 0
// so that even the smallest call is spread over the threads: every call must give, bit for bit, what the plain
// single-threaded engine (dist/vaekit.wasm) gives — outputs, gradients, per-row losses, optimizer state — over odd
// sizes (rows and widths not multiples of 4 or 8, fewer rows than threads).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sparseInputScratch } from "../../src/nn/dense";
import type { Engine } from "../../src/runtime/engine";
import { ranges } from "../../src/runtime/threads/parallel";
import { expectBitIdentical } from "../helpers/assert";
import { oneAndMany } from "../helpers/engines";
import { randomArray } from "../helpers/wasm";

let one: Engine, many: Engine;
beforeAll(async () => void ({ one, many } = await oneAndMany()));
afterAll(() => many?.pool?.stop());

/** Runs `call` on both engines with the same named buffers and compares them afterwards (not those named _…,
 *  scratch whose contents depend on the split), and what `call` returned. */
function both(inputs: Record<string, Float32Array>, call: (e: Engine, p: Record<string, number>) => unknown) {
  const out = [one, many].map((e) => {
    const p: Record<string, number> = {};
    for (const [name, a] of Object.entries(inputs)) {
      p[name] = e.alloc(a.length);
      e.write(p[name], a);
    }
    const returned = call(e, p);
    const read = Object.fromEntries(Object.entries(inputs).map(([name, a]) => [name, e.read(p[name], a.length)]));
    for (const ptr of Object.values(p)) e.release(ptr);
    return { read, returned };
  });
  for (const name of Object.keys(inputs)) if (!name.startsWith("_")) expectBitIdentical(out[1].read[name], out[0].read[name], name);
  expect(out[1].returned).toEqual(out[0].returned);
}

const SHAPES: [number, number, number][] = [
  [1, 3, 5], [2, 9, 1], [3, 31, 17], [5, 1, 9], [8, 9, 40], [13, 17, 33], [127, 31, 9], [37, 784, 21],
];

describe("split kernels on 3 threads ≡ one thread, bit for bit", () => {
  it("ranges: non-empty, aligned, covering", () => {
    expect([one.threads, many.threads]).toEqual([1, 3]);
    for (const n of [1, 3, 4, 5, 8, 9, 127, 400]) for (const parts of [1, 2, 3, 64]) for (const align of [1, 2, 4, 8]) {
      const b = ranges(n, parts, align);
      expect(b[0]).toBe(0);
      expect(b.at(-1)).toBe(n);
      expect(b.length - 1).toBeLessThanOrEqual(parts);
      for (let i = 1; i < b.length; i++) {
        expect(b[i]).toBeGreaterThan(b[i - 1]);
        if (i < b.length - 1) expect(b[i] % align).toBe(0);
      }
    }
    expect(ranges(128, 2, 4)).toEqual([0, 64, 128]);
  });

  it("dense_forward and dense_backward (with and without dX), every activation", () => {
    for (const [M, K, N] of SHAPES) for (const act of [0, 1, 2, 3, 4]) {
      const s = M * 100 + K + N + act;
      both({ Y: new Float32Array(M * N), X: randomArray(M * K, s), W: randomArray(K * N, s + 1), b: randomArray(N, s + 2) },
        (e, p) => e.k.dense_forward(p.Y, p.X, p.W, p.b, M, K, N, act, 0.1));
      const Y = randomArray(M * N, s + 3, act === 4 ? 0 : -1, 1);
      for (const withDx of [true, false]) {
        both({
          dX: new Float32Array(M * K), dW: randomArray(K * N, s + 4), db: randomArray(N, s + 5), dY: randomArray(M * N, s + 6),
          X: randomArray(M * K, s), W: randomArray(K * N, s + 1), Y,
        }, (e, p) => e.k.dense_backward(withDx ? p.dX : 0, p.dW, p.db, p.dY, p.X, p.W, p.Y, M, K, N, act, 0.1));
      }
    }
  });

  it("the sparse first layer (both paths), with the caller's sparseInputScratch", () => {
    for (const [M, K, N] of SHAPES) for (const zeros of [0, 0.6, 0.9]) {
      const s = M + 7 * K + N;
      const X = randomArray(M * K, s, 0, 1);
      const r = randomArray(M * K, s + 1, 0, 1);
      for (let i = 0; i < X.length; i++) if (r[i] < zeros) X[i] = 0;
      const W = randomArray(K * N, s + 2), b = randomArray(N, s + 3);
      const scratch = new Float32Array(sparseInputScratch(M, K));
      both({ Y: new Float32Array(M * N), X, W, b, _S: scratch },
        (e, p) => e.k.dense_forward_sparse_x(p.Y, p.X, p.W, p.b, p._S, M, K, N, 1, 0));
      both({ dW: randomArray(K * N, s + 4), db: randomArray(N, s + 5), dY: randomArray(M * N, s + 6), X, Y: randomArray(M * N, s + 7, 0, 1), _S: scratch },
        (e, p) => e.k.dense_backward_sparse_x(p.dW, p.db, p.dY, p.X, p.Y, p._S, M, K, N, 1, 0));
    }
  });

  it("likelihood and KL losses by rows (gradients and per-row losses; gradient pointer 0 writes none)", () => {
    for (const [B, D] of [[1, 5], [3, 9], [5, 784], [127, 13], [8, 1]] as const) for (const grad of [true, false]) {
      const s = B * 31 + D;
      const logits = randomArray(B * D, s, -4, 4), x = randomArray(B * D, s + 1, 0, 1), y = randomArray(B * D, s + 2);
      const g = () => new Float32Array(B * D).fill(7);
      const losses = () => new Float32Array(B);
      both({ g: g(), l: losses(), a: logits, x }, (e, p) => e.k.bernoulli_logits_loss(grad ? p.g : 0, p.l, p.a, p.x, B, D, 0.5));
      both({ g: g(), l: losses(), a: logits, x }, (e, p) => e.k.continuous_bernoulli_loss(grad ? p.g : 0, p.l, p.a, p.x, B, D, 2));
      both({ g: g(), l: losses(), a: y, x }, (e, p) => e.k.gaussian_loss(grad ? p.g : 0, p.l, p.a, p.x, B, D, 0.3, 1));
      both({ g: g(), l: losses(), a: y, x }, (e, p) => e.k.laplace_loss(grad ? p.g : 0, p.l, p.a, p.x, B, D, 0.7, 1));
      const stats = randomArray(B * 2 * D, s + 3, -3, 3);
      both({ g: new Float32Array(B * 2 * D), l: losses(), stats }, (e, p) => e.k.kl_normal_loss(grad ? p.g : 0, p.l, p.stats, B, D, 0.25));
    }
  });

  it("Adam, AdamW and SGD (with and without momentum) by element ranges; elementwise means, zeroing, scaling", () => {
    for (const n of [1, 3, 4, 5, 17, 1001]) {
      const s = n + 5;
      const st = () => ({ p: randomArray(n, s), g: randomArray(n, s + 1), m: randomArray(n, s + 2, 0, 0.1), v: randomArray(n, s + 3, 0, 0.01) });
      for (const decoupled of [0, 1]) {
        both(st(), (e, p) => e.k.adam_update(p.p, p.g, p.m, p.v, n, 1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled, 0.1, 0.05));
      }
      both(st(), (e, p) => e.k.sgd_update(p.p, p.g, p.m, n, 0.1, 0.9, 0, 0.001, 1, 0));
      both(st(), (e, p) => e.k.sgd_update(p.p, p.g, 0, n, 0.1, 0, 0, 0, 0, 1));
      both({ y: new Float32Array(n), x: randomArray(n, s + 4, -6, 6) }, (e, p) => e.k.activation_forward(p.y, p.x, n, 4, 0));
      both({ x: randomArray(n, s + 4, -6, 6) }, (e, p) => e.k.activation_forward(p.x, p.x, n, 3, 0));
      both({ y: new Float32Array(n), x: randomArray(n, s + 5, -6, 6) }, (e, p) => e.k.cbernoulli_mean(p.y, p.x, n));
      both({ x: randomArray(n, s + 6) }, (e, p) => e.k.zero_f32(p.x, n));
      both({ x: randomArray(n, s + 7) }, (e, p) => e.k.scale_inplace(p.x, n, 0.3));
    }
  });

  it("normals by blocks of 4 from the right counters (also across a 2^32 carry of the block counter)", () => {
    for (const n of [1, 3, 4, 5, 17, 1001]) {
      for (const [ctr0, ctr1] of [[0, 0], [7, 3], [2 ** 32 - 2, 5], [2 ** 32 - 1, 2 ** 32 - 1]]) {
        both({ z: new Float32Array(n) }, (e, p) => e.k.rng_normal(p.z, n, 12345, 0x9e3779b9, ctr0, ctr1));
      }
    }
  });

  it("counts of non-finite values and of values outside [0, 1] add up over the parts", () => {
    const specials = [NaN, Infinity, -Infinity, -0.5, 1.5, 0, 1];
    for (const n of [1, 3, 4, 5, 17, 1001]) {
      const x = randomArray(n, n + 11, 0, 1);
      for (let i = 0; i < n; i += 5) x[i] = specials[i % specials.length];
      const want = [Array.from(x).filter((v) => !Number.isFinite(v)).length, Array.from(x).filter((v) => !(v >= 0 && v <= 1)).length];
      both({ x }, (e, p) => [e.k.count_nonfinite(p.x, n), e.k.count_outside_unit(p.x, n)]);
      const p = many.alloc(n);
      many.write(p, x);
      expect([many.k.count_nonfinite(p, n), many.k.count_outside_unit(p, n)], `n=${n}`).toEqual(want);
      many.release(p);
    }
  });
});
