// The fast build's convolution kernels (relaxed-SIMD FMA in gemm.ts's tiles, which assembly/conv.ts runs) against
// float64 references and the exact build: each result within the rigorous bound (terms + 2)·u·Σ|terms| of float64
// (u = 2^-24), and different from the exact build somewhere on the Keras conv VAE's layers (the FMA is really used).
import { describe, expect, it } from "vitest";
import { randomArray, type Kernels } from "../helpers/wasm.js";
import { forward64, backward64 } from "../helpers/conv.js";
import { convGeometry, type ConvSpec } from "../../src/runtime/conv.js";
import { loadBoth } from "./modules.js";

const U = 2 ** -24;

const SPECS: [string, ConvSpec, boolean][] = [
  ["enc conv 14x14x32→7x7x64 s2 p1", { inH: 14, inW: 14, inC: 32, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }, true],
  ["dec convT 7x7x64→14x14x64 s2 p1 op1", { inH: 7, inW: 7, inC: 64, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }, true],
  ["dec convT 14x14x64→28x28x32 s2 p1 op1", { inH: 14, inW: 14, inC: 64, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }, true],
  ["enc conv 28x28x1→14x14x32 s2 p1", { inH: 28, inW: 28, inC: 1, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }, false],
  ["conv k5 s3 9x8x5→13", { inH: 9, inW: 8, inC: 5, outC: 13, kH: 5, kW: 5, strideH: 3, strideW: 3, padLeft: 2, padBottom: 1 }, false],
  ["convT k3 s2 5x4x9→6 op 1", { inH: 5, inW: 4, inC: 9, outC: 6, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, outPadH: 1, transpose: true }, false],
];

function run(k: Kernels, spec: ConvSpec, N: number) {
  const g = convGeometry(spec);
  const [H, W, C, OH, OW, F, KH, KW] = g.geom;
  const t = g.transpose ? "conv2d_transpose" : "conv2d";
  k.reset();
  const pg = k.alloc(16);
  new Int32Array(k.memory.buffer, pg, 16).set(g.geom);
  const X = randomArray(N * H * W * C, 5), Wt = randomArray(KH * KW * C * F, 6, -0.3, 0.3), b = randomArray(F, 7);
  const pX = k.put(X), pW = k.put(Wt), pb = k.put(b), ps = k.alloc(g.scratchFloats);
  const nY = N * OH * OW * F;
  const pY = k.alloc(nY);
  k.x[`${t}_forward`](pY, pX, pW, pb, ps, pg, N, 0, 0);
  const pdY = k.put(randomArray(nY, 8)), pdW = k.alloc(Wt.length), pdb = k.alloc(F), pdX = k.alloc(X.length);
  k.x[`${t}_backward`](pdX, pdW, pdb, pdY, pX, pW, pY, ps, pg, N, 0, 0);
  return { g, X, W: Wt, b, Y: k.get(pY, nY), dZ: k.get(pdY, nY), dW: k.get(pdW, Wt.length), db: k.get(pdb, F), dX: k.get(pdX, X.length) };
}

describe("fast build: convolution kernels", () => {
  it.each(SPECS)("%s: within float64's error bound; differs from the exact build where the tiles run (%s)", (_l, spec, mustDiffer) => {
    const { exact, fast } = loadBoth();
    const N = 2;
    const f = run(fast, spec, N), e = run(exact, spec, N);
    const [, , C, , , F, KH, KW] = f.g.geom;
    const { z, t } = forward64(f.g, N, f.X, f.W, f.b);
    const nt = KH * KW * C + 2;
    let differ = 0;
    for (let i = 0; i < z.length; i++) {
      expect(Math.abs(f.Y[i] - z[i]), `Y[${i}]`).toBeLessThanOrEqual((nt + 2) * U * t[i] + 1e-30);
      if (f.Y[i] !== e.Y[i]) differ++;
    }
    const r = backward64(f.g, N, f.X, f.W, f.dZ);
    const rows = N * (f.g.geom[3] * f.g.geom[4] + f.g.geom[0] * f.g.geom[1]);
    const check = (got: Float32Array, ref: Float64Array, terms: Float64Array, n: number, what: string) => {
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i]), `${what}[${i}]`).toBeLessThanOrEqual((n + 2) * U * terms[i] + 1e-30);
    };
    check(f.dW, r.dW, r.tW, rows, "dW");
    check(f.db, r.db, r.tb, rows, "db");
    check(f.dX, r.dX, r.tX, F * KH * KW + 4, "dX");
    for (let i = 0; i < f.dW.length; i++) if (f.dW[i] !== e.dW[i]) differ++;
    if (mustDiffer) expect(differ).toBeGreaterThan(0);
  });
});
