// check: count_outside_unit against JavaScript's own predicate !(v >= 0 && v <= 1), SIMD vs scalar twin, over sizes
// below, at and above the 4-lane vector and with the special values at every lane position.
import { beforeAll, describe, expect, it } from "vitest";
import { loadKernels, randomArray, type Kernels } from "../helpers/wasm";

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 784, 1001];
const SPECIALS = [NaN, Infinity, -Infinity, -0, 0, 1, 1.0000001, -1e-45, 1e-45, 0.99999994, -1, 2];

let k: Kernels;
beforeAll(() => {
  k = loadKernels();
});

describe("count_outside_unit", () => {
  it("counts exactly the values with !(v >= 0 && v <= 1) (NaN, ±Inf, below 0, above 1; not −0); SIMD = scalar", () => {
    for (const n of SIZES) {
      for (let shift = 0; shift < 4; shift++) {
        const x = randomArray(n, n + shift, 0, 1);
        for (let i = shift; i < n; i += 3) x[i] = SPECIALS[(i + shift) % SPECIALS.length];
        const want = Array.from(x).filter((v) => !(v >= 0 && v <= 1)).length;
        k.reset();
        const p = k.put(x);
        expect(k.x.count_outside_unit(p, n), `n=${n} shift=${shift}`).toBe(want);
        expect(k.x.count_outside_unit_scalar(p, n), `n=${n} shift=${shift}`).toBe(want);
      }
    }
  });

  it("is 0 on values in [0, 1] (both ends included) and on n = 0", () => {
    const x = randomArray(1003, 4, 0, 1);
    x[0] = 0;
    x[1] = 1;
    x[1002] = -0;
    k.reset();
    const p = k.put(x);
    expect(k.x.count_outside_unit(p, 1003)).toBe(0);
    expect(k.x.count_outside_unit(p, 0)).toBe(0);
    expect(k.x.count_outside_unit_scalar(p, 1003)).toBe(0);
  });
});
