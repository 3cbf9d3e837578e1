// Float64 references of the convolution kernels (assembly/conv.ts) for test/kernels/conv.test.ts and
// test/fast/conv.test.ts: the forward pre-activation z = conv(X, W) + b and the gradients dW, dX, db from a given
// dZ, each with the sum of its terms' magnitudes (for rigorous f32 error bounds).
import type { ConvGeometry } from "../../src/runtime/conv";

// The tap relation both kernels share: grid pixel (gy, gx), tap (ky, kx) ↔ image pixel (gy·SH − PT + ky, gx·SW − PL + kx).
// conv2d: grid = output, image = input. conv2d_transpose: grid = input, image = output.
type Visit = (n: number, gp: number, ip: number, ky: number, kx: number) => void;
function taps(g: ConvGeometry, N: number, visit: Visit): void {
  const [H, W, , OH, OW, , KH, KW, SH, SW, PT, PL] = g.geom;
  const [GH, GW, IH, IW] = g.transpose ? [H, W, OH, OW] : [OH, OW, H, W];
  for (let n = 0; n < N; n++) for (let gy = 0; gy < GH; gy++) for (let gx = 0; gx < GW; gx++) {
    for (let ky = 0; ky < KH; ky++) {
      const iy = gy * SH - PT + ky;
      if (iy < 0 || iy >= IH) continue;
      for (let kx = 0; kx < KW; kx++) {
        const ix = gx * SW - PL + kx;
        if (ix < 0 || ix >= IW) continue;
        visit(n, (n * GH + gy) * GW + gx, (n * IH + iy) * IW + ix, ky, kx);
      }
    }
  }
}
/** Index of weight (ky, kx, c, f): conv2d W[KH,KW,C,F]; transposed W[C,KH,KW,F]. */
function wIndex(g: ConvGeometry, ky: number, kx: number, c: number, fo: number): number {
  const [, , C, , , F, KH, KW] = g.geom;
  return g.transpose ? ((c * KH + ky) * KW + kx) * F + fo : ((ky * KW + kx) * C + c) * F + fo;
}
/** Pixels (input, output) indexed by the visit's (gp, ip). */
const roles = (g: ConvGeometry): { inOf: "gp" | "ip"; outOf: "gp" | "ip" } =>
  g.transpose ? { inOf: "gp", outOf: "ip" } : { inOf: "ip", outOf: "gp" };

/** z = conv(X, W) + b in float64, and Σ|terms| per output. */
export function forward64(g: ConvGeometry, N: number, X: ArrayLike<number>, W: ArrayLike<number>, b: ArrayLike<number>) {
  const [H, Wd, C, OH, OW, F] = g.geom;
  const z = new Float64Array(N * OH * OW * F), t = new Float64Array(z.length);
  for (let p = 0; p < N * OH * OW; p++) for (let o = 0; o < F; o++) { z[p * F + o] = b[o]; t[p * F + o] = Math.abs(b[o]); }
  const r = roles(g);
  taps(g, N, (_n, gp, ip, ky, kx) => {
    const pin = r.inOf === "gp" ? gp : ip, pout = r.outOf === "gp" ? gp : ip;
    for (let c = 0; c < C; c++) {
      const x = X[pin * C + c];
      for (let o = 0; o < F; o++) {
        const v = x * W[wIndex(g, ky, kx, c, o)];
        z[pout * F + o] += v;
        t[pout * F + o] += Math.abs(v);
      }
    }
  });
  void H; void Wd;
  return { z, t };
}
/** dW, dX, db in float64 from a given dZ (db, dW from 0), and Σ|terms| of each. */
export function backward64(g: ConvGeometry, N: number, X: ArrayLike<number>, W: ArrayLike<number>, dZ: ArrayLike<number>) {
  const [H, Wd, C, OH, OW, F, KH, KW] = g.geom;
  const dW = new Float64Array(KH * KW * C * F), tW = new Float64Array(dW.length);
  const dX = new Float64Array(N * H * Wd * C), tX = new Float64Array(dX.length);
  const db = new Float64Array(F), tb = new Float64Array(F);
  for (let p = 0; p < N * OH * OW; p++) for (let o = 0; o < F; o++) { db[o] += dZ[p * F + o]; tb[o] += Math.abs(dZ[p * F + o]); }
  const r = roles(g);
  taps(g, N, (_n, gp, ip, ky, kx) => {
    const pin = r.inOf === "gp" ? gp : ip, pout = r.outOf === "gp" ? gp : ip;
    for (let c = 0; c < C; c++) for (let o = 0; o < F; o++) {
      const wi = wIndex(g, ky, kx, c, o), dz = dZ[pout * F + o];
      const a = X[pin * C + c] * dz, bb = dz * W[wi];
      dW[wi] += a; tW[wi] += Math.abs(a);
      dX[pin * C + c] += bb; tX[pin * C + c] += Math.abs(bb);
    }
  });
  return { dW, tW, dX, tX, db, tb };
}

