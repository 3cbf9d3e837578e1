// The convolution and batch-norm kernels split over 3 threads (src/runtime/threads/parallel.ts, split thresholds 0 so
// every call is cut) give the one-thread results bit for bit: conv forward by images, backward dZ/db and dW by
// column ranges then dX by images; batch norm by channel ranges (training forward, backward) and rows (eval). The
// one-thread kernels themselves are checked against float64 and TF.js in test/kernels/conv.test.ts and
// batchnorm.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/runtime/engine";
import { startThreads } from "../../src/runtime/threads/start";
import { convGeometry, convScratchFloats, batchNormStatsFloats, type ConvSpec } from "../../src/runtime/conv";
import { expectBitIdentical } from "../helpers/assert";
import { randomArray } from "../helpers/wasm";

let one: Engine, many: Engine;
beforeAll(async () => {
  one = await Engine.create(undefined, undefined, 1, true);
  const m = await startThreads(undefined, 3, { gemm: 0, elements: 0 });
  if (typeof m === "string") throw new Error(m);
  many = m;
});
afterAll(() => many?.pool?.stop());

const ALPHA = 0.1;

function convOn(e: Engine, spec: ConvSpec, N: number, act: number, seed: number, withDX: boolean) {
  const g = convGeometry(spec);
  const [H, W, C, OH, OW, F, KH, KW] = g.geom;
  const t = g.transpose ? "conv2d_transpose" : "conv2d";
  const nX = N * H * W * C, nY = N * OH * OW * F, nW = KH * KW * C * F;
  const pg = e.alloc(16);
  new Int32Array(e.k.memory.buffer, pg, 16).set(g.geom);
  const put = (a: Float32Array) => { const p = e.alloc(a.length); e.write(p, a); return p; };
  const pX = put(randomArray(nX, seed)), pW = put(randomArray(nW, seed + 1, -0.5, 0.5)), pb = put(randomArray(F, seed + 2));
  const ps = e.alloc(convScratchFloats(g, 3)), pY = e.alloc(nY);
  const k = e.k as unknown as Record<string, (...a: number[]) => unknown>;
  k[`${t}_forward`](pY, pX, pW, pb, ps, pg, N, act, ALPHA);
  const pdY = put(randomArray(nY, seed + 3)), pdW = put(randomArray(nW, seed + 4)), pdb = put(randomArray(F, seed + 5));
  const pdX = withDX ? put(new Float32Array(nX).fill(NaN)) : 0;
  k[`${t}_backward`](pdX, pdW, pdb, pdY, pX, pW, pY, ps, pg, N, act, ALPHA);
  const out = { Y: e.read(pY, nY), dZ: e.read(pdY, nY), dW: e.read(pdW, nW), db: e.read(pdb, F), dX: withDX ? e.read(pdX, nX) : undefined };
  for (const p of [pg, pX, pW, pb, ps, pY, pdY, pdW, pdb, ...(withDX ? [pdX] : [])]) e.release(p);
  return out;
}

const SPECS: [string, ConvSpec, number][] = [
  ["enc conv 28x28x1→14x14x32 s2 p1", { inH: 28, inW: 28, inC: 1, outC: 32, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }, 5],
  ["enc conv 14x14x32→7x7x64 s2 p1", { inH: 14, inW: 14, inC: 32, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }, 5],
  ["dec convT 7x7x64→14x14x64 s2 p1 op1", { inH: 7, inW: 7, inC: 64, outC: 64, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, outPadW: 1, transpose: true }, 4],
  ["dec convT 28x28x32→28x28x1", { inH: 28, inW: 28, inC: 32, outC: 1, kH: 3, kW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, transpose: true }, 3],
  ["conv k5 s3 pad 0,2,1,0 11x9x5→13", { inH: 11, inW: 9, inC: 5, outC: 13, kH: 5, kW: 5, strideH: 3, strideW: 3, padLeft: 2, padBottom: 1 }, 7],
  ["convT k5 s3 op 2,1 4x5x6→9", { inH: 4, inW: 5, inC: 6, outC: 9, kH: 5, kW: 5, strideH: 3, strideW: 3, padTop: 1, padRight: 2, outPadH: 2, outPadW: 1, transpose: true }, 7],
  ["pointwise conv 1x1 6x6x12→20", { inH: 6, inW: 6, inC: 12, outC: 20, kH: 1, kW: 1 }, 4],
  ["convT k3 s2 sub-pixel 9x11x5→16 op 1,0", { inH: 9, inW: 11, inC: 5, outC: 16, kH: 3, kW: 3, strideH: 2, strideW: 2, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1, outPadH: 1, transpose: true }, 3],
  ["convT k5 s1 one channel 13x19x12→1", { inH: 13, inW: 19, inC: 12, outC: 1, kH: 5, kW: 5, padTop: 2, padLeft: 1, padBottom: 2, padRight: 3, transpose: true }, 5],
  ["conv thin k5 s2 13x11x2→20 (direct dW)", { inH: 13, inW: 11, inC: 2, outC: 20, kH: 5, kW: 5, strideH: 2, strideW: 2, padTop: 2, padLeft: 2, padBottom: 2, padRight: 2 }, 4],
  ["one image, conv k3 s1 9x7x3→8", { inH: 9, inW: 7, inC: 3, outC: 8, kH: 3, kW: 3, padTop: 1, padLeft: 1, padBottom: 1, padRight: 1 }, 1],
];

describe("conv kernels on 3 threads ≡ 1 thread, bit for bit", () => {
  it.each(SPECS)("%s", (_label, spec, N) => {
    expect(many.threads).toBe(3);
    for (const act of [1, 3]) for (const withDX of [true, false]) {
      const a = convOn(one, spec, N, act, 10 + N, withDX), b = convOn(many, spec, N, act, 10 + N, withDX);
      expectBitIdentical(b.Y, a.Y, "Y");
      expectBitIdentical(b.dZ, a.dZ, "dZ");
      expectBitIdentical(b.db, a.db, "db");
      expectBitIdentical(b.dW, a.dW, "dW");
      if (withDX) expectBitIdentical(b.dX!, a.dX!, "dX");
    }
  });
});

function bnOn(e: Engine, R: number, C: number, ld: number, seed: number) {
  const put = (a: Float32Array) => { const p = e.alloc(a.length); e.write(p, a); return p; };
  const k = e.k as unknown as Record<string, (...a: number[]) => unknown>;
  const pX = put(randomArray(R * ld, seed, -1, 4)), pY = put(new Float32Array(R * ld).fill(3));
  const st = e.alloc(batchNormStatsFloats(C));
  const pg = put(randomArray(C, seed + 1, 0.5, 2)), pb = put(randomArray(C, seed + 2));
  const prm = put(randomArray(C, seed + 3)), prv = put(randomArray(C, seed + 4, 0.5, 2));
  k.batchnorm_forward_train(pY, st, st + 8 * C, pX, pg, pb, prm, prv, R, C, ld, 1e-5, 0.1);
  const pE = put(new Float32Array(R * ld).fill(3));
  k.batchnorm_forward_eval(pE, pX, pg, pb, prm, prv, R, C, ld, 1e-3);
  const pdY = put(randomArray(R * ld, seed + 5)), pdX = put(new Float32Array(R * ld).fill(3));
  const pdg = put(randomArray(C, seed + 6)), pdb = put(randomArray(C, seed + 7));
  k.batchnorm_backward(pdX, pdg, pdb, pdY, pX, st, st + 8 * C, pg, R, C, ld);
  const out = {
    Y: e.read(pY, R * ld), stats: e.read(st, 4 * C), rm: e.read(prm, C), rv: e.read(prv, C), E: e.read(pE, R * ld),
    dX: e.read(pdX, R * ld), dg: e.read(pdg, C), db: e.read(pdb, C),
  };
  for (const p of [pX, pY, st, pg, pb, prm, prv, pE, pdY, pdX, pdg, pdb]) e.release(p);
  return out;
}

describe("batch-norm kernels on 3 threads ≡ 1 thread, bit for bit", () => {
  it.each([[7, 3, 3], [200, 8, 8], [64, 33, 35], [1000, 5, 6], [9, 64, 64]])("R=%i C=%i ld=%i", (R, C, ld) => {
    const a = bnOn(one, R, C, ld, R + C), b = bnOn(many, R, C, ld, R + C);
    for (const key of ["Y", "stats", "rm", "rv", "E", "dX", "dg", "db"] as const) expectBitIdentical(b[key], a[key], key);
  });
});
