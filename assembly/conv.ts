// conv.ts — 2-D convolution and transposed convolution on channels-last images, forward and backward, as the
// register-blocked GEMM tiles of gemm.ts over row chunks of an im2col matrix (the contract: docs/ABI.md,
// "Convolution"). All tensors f32; pointers are byte offsets; no allocation: the caller passes `scratch`.
//
// Layouts. Images are rows of H·W·C values, [N, H, W, C] (channels last). Weights:
//   conv2d            W [KH, KW, C, F]  (TF's HWIO; the im2col matrix's columns are (ky, kx, c) in that order,
//                                        so W is the [KH·KW·C, F] right-hand side of the GEMM as it stands)
//   conv2d_transpose  W [C, KH, KW, F]  (C = the input's channels; [C, KH·KW·F] is the GEMM's right-hand side)
//   bias b [F].
// PyTorch keeps Conv2d's weight [F, C, KH, KW] and ConvTranspose2d's [C, F, KH, KW]; the module layer converts.
//
// Geometry: `geom` points to 16 i32 (convGeometry in src/runtime/conv.ts writes them):
//   0 H, 1 W, 2 C   the input image   (conv2d: the big one; conv2d_transpose: the small one)
//   3 OH, 4 OW, 5 F the output image
//   6 KH, 7 KW, 8 SH, 9 SW, 10 PT (padding top), 11 PL (left), 12 PB (bottom), 13 PR (right),
//   14 OPH, 15 OPW (output padding, transposed only).
// The kernels use H, W, C, OH, OW, F, KH, KW, SH, SW, PT, PL: the bottom/right padding and the output padding only
// decide OH and OW, which the host computes (conv2d: OH = ⌊(H + PT + PB − KH)/SH⌋ + 1; conv2d_transpose:
// OH = (H − 1)·SH − PT − PB + KH + OPH). Taps that fall outside the image read zero (conv2d) or are dropped
// (conv2d_transpose), exactly PyTorch's Conv2d / ConvTranspose2d with padding (PT, PL) and the output cropped or
// extended to OH × OW.
//
// The tap relation, shared by both: grid pixel (gy, gx) and tap (ky, kx) meet image pixel
// (gy·SH − PT + ky, gx·SW − PL + kx). For conv2d the grid is the output and the image its input; for
// conv2d_transpose the grid is its input and the image its output (and, in the backward pass, dY).
//
// How (measured choice, see docs/ABI.md "Convolution"): rows of the grid are processed in chunks of
// chunk_rows(K) rows, K = KH·KW·C (conv2d) or KH·KW·F (conv2d_transpose); per chunk the im2col rows are
// gathered into scratch and one GEMM of gemm.ts runs on them:
//   conv2d forward           Y[rows, F]    = act(im2col(X)·W + b)        NN tiles, bias + activation fused
//   conv2d dW                dW[K, F]     += im2col(X)ᵀ·dZ               TN tiles, one chunk at a time
//   conv2d dX                dcol[rows, K] = dZ·Wᵀ, then scattered (col2im) into dX
//   conv2d_transpose forward T[rows, K]    = X·W, scattered into Y, then act(Y + b)
//   conv2d_transpose dW      dW[C, K]     += Xᵀ·im2col(dZ)
//   conv2d_transpose dX      dX[rows, C]   = im2col(dZ)·Wᵀ
// The dX products run on the NN tiles too, with Wᵀ written into scratch after the chunk (measured: gemm.ts's NT
// dot-product tiles reached 65 % of the ceiling on dZ·Wᵀ at the encoder's 64-long dots and 10 % at the last
// decoder layer's 9-long ones; bench/conv.mjs).
// A 1×1 kernel at stride 1 without padding uses the image itself as the im2col matrix (no copy, no scatter).
// Direct paths (no im2col, no scatter; each with its own order, described where it is defined, and its twin), taken
// by both twins whenever the shape fits, so the twins always run the same order:
//   thin_direct   conv2d forward with C < 4, conv2d_transpose dX with F < 4 (the im2col path's bits)
//   thin_dw       conv2d dW with C < 4, conv2d_transpose dW with F < 4 (per image a sum, then dW += s)
//   convt_one     conv2d_transpose forward with F = 1 at stride 1 (lane sums over channels mod 4, then a fixed
//                 horizontal sum)
//   convt_sub     conv2d_transpose forward at stride > 1 with F a multiple of 8 (the sub-pixel decomposition)
// (bench/conv.mjs, the Keras conv VAE's layers, against the im2col kernels in the same run: enc1's dW ×1.7, dec3's
// dW ×3.1, dec3's forward ×2.3, dec2's forward ×1.2, dec1's ×1.07; bench/results/conv.json.)
//
// Summation order (what makes twins bit-identical and threads invisible):
//   - every GEMM element is summed in gemm.ts's orders (see there); taps outside the image contribute +0·w terms
//     in the forward (im2col zeros), which never change a running sum from +0 (it is never −0);
//   - dW: per chunk of chunk_rows(K) grid rows a sum from 0 in row order, added to dW chunk after chunk. The chunks
//     depend only on the geometry and N, never on how a call is split over threads;
//   - col2im scatter: the image is zeroed, then every value is added in grid-row order, then tap order (ky, kx),
//     then channel; a thread owns whole images, so their pixels receive the same adds in the same order;
//   - db (dense.ts's column pass): per output channel a sum from 0 over all N·OH·OW rows in order, then db += s;
//   - the direct paths above: per output element or dW element, an order fixed by the geometry alone.
// Scalar twins (`_scalar`) run the same chunks with gemm.ts's scalar GEMMs and scalar scatter/activation loops:
// bit-identical in the exact build. The fast build (relaxed-SIMD FMA in the tiles) differs in the last bits.

import "./gemm"; // its @global tiles: vk_nn_fused(_scalar), vk_tn(_scalar), vk_act_f32, vk_act_vec
import { dense_backward_dz_cols, dense_backward_dz_cols_scalar } from "./dense";

/** Floats of im2col scratch one chunk aims at (128 KB: a chunk's rows stay in L2 while the GEMM's column strips
 *  pass over them). */
// @ts-ignore: decorator
@inline const CHUNK_FLOATS: i32 = 32768;

/** Rows per chunk for an im2col matrix of K columns: ⌊32768 / K⌋ rounded down to a multiple of 4, at least 4.
 *  A call's scratch is one chunk (chunk_rows(K)·K4 floats, K4 = K rounded up to a multiple of 4) followed by room
 *  for Wᵀ or the padded W ((C or F)·K4 floats: C for conv2d_transpose, F for conv2d); src/runtime/conv.ts
 *  (convScratchFloats) computes the same. */
// @ts-ignore: decorator
@inline
function chunk_rows(K: i32): i32 {
  const r = (CHUNK_FLOATS / K) & ~3;
  return r < 4 ? 4 : r;
}

// @ts-ignore: decorator
@inline function g(geom: usize, i: i32): i32 { return load<i32>(geom + (<usize>i << 2)); }

/** 1 if the kernel is 1×1 at stride 1 without padding and the output has the input's size: the image is its own
 *  im2col matrix. */
// @ts-ignore: decorator
@inline
function pointwise(geom: usize): bool {
  return g(geom, 6) == 1 && g(geom, 7) == 1 && g(geom, 8) == 1 && g(geom, 9) == 1 && g(geom, 10) == 0 &&
    g(geom, 11) == 0 && g(geom, 0) == g(geom, 3) && g(geom, 1) == g(geom, 4);
}

/** Copies n floats (a data move: the same bits whatever the width). */
// @ts-ignore: decorator
@inline
function copy_f32(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline
function zero_f32s(dst: usize, n: i32): void {
  let i = 0;
  const z = f32x4.splat(0);
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

/** im2col: rows r0 … r0 + cnt − 1 of the grid (GH × GW per image, images one after another) gathered from `img`
 *  (IH × IW × IC per image) into dst [cnt, KH·KW·IC], columns (ky, kx, c); taps outside the image are +0. */
function im2col(dst: usize, img: usize, r0: i32, cnt: i32, GH: i32, GW: i32, IH: i32, IW: i32, IC: i32,
                KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32): void {
  const per = GH * GW;
  const imgStride = <usize>IH * <usize>IW * <usize>IC << 2;
  const rowBytes = <usize>IW * <usize>IC << 2;
  const pixBytes = <usize>IC << 2;
  let n = r0 / per, rem = r0 - n * per;
  let gy = rem / GW, gx = rem - gy * GW;
  let d = dst;
  for (let r = 0; r < cnt; r++) {
    const base = img + <usize>n * imgStride;
    const y0 = gy * SH - PT, x0 = gx * SW - PL;
    for (let ky = 0; ky < KH; ky++) {
      const iy = y0 + ky;
      if (iy < 0 || iy >= IH) {
        zero_f32s(d, KW * IC);
        d += <usize>(KW * IC) << 2;
        continue;
      }
      const prow = base + <usize>iy * rowBytes;
      if (x0 >= 0 && x0 + KW <= IW) {
        // every tap of this kernel row inside: KW·IC contiguous floats of the image row
        copy_f32(d, prow + <usize>x0 * pixBytes, KW * IC);
        d += <usize>(KW * IC) << 2;
        continue;
      }
      for (let kx = 0; kx < KW; kx++) {
        const ix = x0 + kx;
        if (ix < 0 || ix >= IW) zero_f32s(d, IC);
        else copy_f32(d, prow + <usize>ix * pixBytes, IC);
        d += pixBytes;
      }
    }
    if (++gx == GW) { gx = 0; if (++gy == GH) { gy = 0; n++; } }
  }
}

/** p[0..n) += s[0..n); `simd`: four at a time (lane i ≡ the scalar add of element i). */
// @ts-ignore: decorator
@inline
function add_f32s(p: usize, s: usize, n: i32, simd: bool): void {
  let i = 0;
  if (simd) for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(p + o, f32x4.add(v128.load(p + o), v128.load(s + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, load<f32>(p + o) + load<f32>(s + o));
  }
}

/** WT[cols, rows] = W[rows, cols]ᵀ (a data move). */
function transpose_f32(WT: usize, W: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const src = W + (<usize>r * <usize>cols << 2);
    for (let c = 0; c < cols; c++) store<f32>(WT + ((<usize>c * <usize>rows + <usize>r) << 2), load<f32>(src + (<usize>c << 2)));
  }
}

/** col2im: adds src [cnt, KH·KW·IC] (rows r0 … of the grid, columns (ky, kx, c)) into `img` at the pixels the taps
 *  meet, dropping taps outside the image; adds in row, then tap, then channel order. Rows of src are
 *  KH·KW·IC + pad floats apart. `simd`: four channels per
 *  f32x4 add (lane i ≡ the scalar add of channel i). */
// @ts-ignore: decorator
@inline
function col2im_add(img: usize, src: usize, r0: i32, cnt: i32, GH: i32, GW: i32, IH: i32, IW: i32, IC: i32,
                    KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, pad: i32, simd: bool): void {
  const per = GH * GW;
  const imgStride = <usize>IH * <usize>IW * <usize>IC << 2;
  const rowBytes = <usize>IW * <usize>IC << 2;
  const pixBytes = <usize>IC << 2;
  let n = r0 / per, rem = r0 - n * per;
  let gy = rem / GW, gx = rem - gy * GW;
  let s = src;
  for (let r = 0; r < cnt; r++) {
    const base = img + <usize>n * imgStride;
    const y0 = gy * SH - PT, x0 = gx * SW - PL;
    for (let ky = 0; ky < KH; ky++) {
      const iy = y0 + ky;
      if (iy < 0 || iy >= IH) { s += <usize>(KW * IC) << 2; continue; }
      const prow = base + <usize>iy * rowBytes;
      if (x0 >= 0 && x0 + KW <= IW) {
        // every tap of this kernel row inside: one run of KW·IC contiguous floats (distinct pixels: same adds)
        add_f32s(prow + <usize>x0 * pixBytes, s, KW * IC, simd);
        s += <usize>(KW * IC) << 2;
        continue;
      }
      for (let kx = 0; kx < KW; kx++) {
        const ix = x0 + kx;
        if (ix >= 0 && ix < IW) add_f32s(prow + <usize>ix * pixBytes, s, IC, simd);
        s += pixBytes;
      }
    }
    s += <usize>pad << 2;
    if (++gx == GW) { gx = 0; if (++gy == GH) { gy = 0; n++; } }
  }
}

/** Y[rows, F] = act(Y + b) in place (after a scatter). */
// @ts-ignore: decorator
@inline
function bias_act_rows(Y: usize, b: usize, rows: i32, F: i32, act: i32, alpha: f32, simd: bool): void {
  const F4 = simd ? F & ~3 : 0;
  const al = f32x4.splat(alpha);
  let p = Y;
  for (let r = 0; r < rows; r++) {
    let c = 0;
    for (; c < F4; c += 4) {
      const o = <usize>c << 2;
      v128.store(p + o, vk_act_vec(f32x4.add(v128.load(p + o), v128.load(b + o)), act, al));
    }
    for (; c < F; c++) {
      const o = <usize>c << 2;
      store<f32>(p + o, vk_act_f32(load<f32>(p + o) + load<f32>(b + o), act, alpha));
    }
    p += <usize>F << 2;
  }
}

/** The activation code made a constant in each copy (as dense.ts's dz_pass), for the scatter paths' epilogue. */
function bias_act_pass(Y: usize, b: usize, rows: i32, F: i32, act: i32, alpha: f32): void {
  if (act == 1) bias_act_rows(Y, b, rows, F, 1, alpha, true);
  else if (act == 2) bias_act_rows(Y, b, rows, F, 2, alpha, true);
  else if (act == 3) bias_act_rows(Y, b, rows, F, 3, alpha, true);
  else if (act == 4) bias_act_rows(Y, b, rows, F, 4, alpha, true);
  else bias_act_rows(Y, b, rows, F, 0, alpha, true);
}

// ---- conv2d --------------------------------------------------------------------------------------------------

// Thin images (C < 4 channels, F a multiple of 8: conv2d's forward on the encoder's 28×28×1 → 32, and
// conv2d_transpose's dX = im2col(dZ)·Wᵀ on the last decoder layer's 28×28×1 dZ): the im2col rows are only KH·KW·C
// long, so gathering them cost as much as the GEMM on them (bench/conv.mjs: 37 % and 53 % of those calls' time was
// outside the GEMM). thin_direct reads the taps from the image itself instead: each image is copied
// once, zero-padded, into scratch ((H + PT + PB)·(W + PL + PR)·C floats), and 4×8 tiles (4 grid pixels × 8 output
// channels) walk each pixel's window row by row — a window row is KW·C contiguous floats of the padded image, in
// the im2col column order (ky, kx, c). Every element is summed as vk_nn_fused sums its im2col row (0 + a·w in k
// order, the padding's +0·w terms included, then + bias, then act), so the result is bit-identical to the im2col
// path and to conv2d_forward_scalar; pixels left over after the 4-pixel groups of an image go one at a time.

/** Taps of 4 pixels (window origins p0…p3 in the padded image) × 8 output channels: act(Σ a·w + b) into c. */
// @ts-ignore: decorator
@inline
function thin_4x8(c: usize, p0: usize, p1: usize, p2: usize, p3: usize, rowBytes: usize, KH: i32, run: i32,
                  w: usize, ldb: usize, ldc: usize, bias: usize, act: i32, al: v128): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let pb = w;
  for (let ky = 0; ky < KH; ky++) {
    const o = <usize>ky * rowBytes;
    let a0 = p0 + o, a1 = p1 + o, a2 = p2 + o, a3 = p3 + o;
    const end = a0 + (<usize>run << 2); // run ≥ 1
    do {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      const x0 = v128.load32_splat(a0);
      c00 = vk_madd(x0, b0, c00); c01 = vk_madd(x0, b1, c01);
      const x1 = v128.load32_splat(a1);
      c10 = vk_madd(x1, b0, c10); c11 = vk_madd(x1, b1, c11);
      const x2 = v128.load32_splat(a2);
      c20 = vk_madd(x2, b0, c20); c21 = vk_madd(x2, b1, c21);
      const x3 = v128.load32_splat(a3);
      c30 = vk_madd(x3, b0, c30); c31 = vk_madd(x3, b1, c31);
      a0 += 4; a1 += 4; a2 += 4; a3 += 4; pb += ldb;
    } while (a0 < end);
  }
  const r1 = c + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
  if (act < 0) { // no epilogue (a dX product)
    v128.store(c, c00); v128.store(c, c01, 16); v128.store(r1, c10); v128.store(r1, c11, 16);
    v128.store(r2, c20); v128.store(r2, c21, 16); v128.store(r3, c30); v128.store(r3, c31, 16);
    return;
  }
  const bv0 = v128.load(bias), bv1 = v128.load(bias, 16);
  v128.store(c, vk_act_vec(f32x4.add(c00, bv0), act, al)); v128.store(c, vk_act_vec(f32x4.add(c01, bv1), act, al), 16);
  v128.store(r1, vk_act_vec(f32x4.add(c10, bv0), act, al)); v128.store(r1, vk_act_vec(f32x4.add(c11, bv1), act, al), 16);
  v128.store(r2, vk_act_vec(f32x4.add(c20, bv0), act, al)); v128.store(r2, vk_act_vec(f32x4.add(c21, bv1), act, al), 16);
  v128.store(r3, vk_act_vec(f32x4.add(c30, bv0), act, al)); v128.store(r3, vk_act_vec(f32x4.add(c31, bv1), act, al), 16);
}

/** One pixel × 8 output channels (the pixels after an image's 4-pixel groups). */
// @ts-ignore: decorator
@inline
function thin_1x8(c: usize, p0: usize, rowBytes: usize, KH: i32, run: i32, w: usize, ldb: usize, bias: usize,
                  act: i32, al: v128): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let pb = w;
  for (let ky = 0; ky < KH; ky++) {
    let a0 = p0 + <usize>ky * rowBytes;
    const end = a0 + (<usize>run << 2);
    do {
      const x0 = v128.load32_splat(a0);
      c00 = vk_madd(x0, v128.load(pb), c00); c01 = vk_madd(x0, v128.load(pb, 16), c01);
      a0 += 4; pb += ldb;
    } while (a0 < end);
  }
  if (act < 0) { v128.store(c, c00); v128.store(c, c01, 16); return; }
  v128.store(c, vk_act_vec(f32x4.add(c00, v128.load(bias)), act, al));
  v128.store(c, vk_act_vec(f32x4.add(c01, v128.load(bias, 16)), act, al), 16);
}

/** Zero rows/columns a thin pass pads the image with after its last row/column: as far as the grid's last window
 *  reaches past the image (conv2d: at most PB/PR; conv2d_transpose's dX: its windows over dZ). */
// @ts-ignore: decorator
@inline
function pad_after(grid: i32, S: i32, P: i32, K: i32, img: i32): i32 {
  const p = (grid - 1) * S - P + K - img;
  return p > 0 ? p : 0;
}

/** Whether the direct path takes a product: image channels IC < 4, output channels F a multiple of 8, and the
 *  zero-padded image fits in `room` floats of scratch. */
// @ts-ignore: decorator
@inline
function thin_fits(IH: i32, IW: i32, IC: i32, GH: i32, GW: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32,
                   PL: i32, room: i32): bool {
  if (IC >= 4 || (F & 7) != 0) return false;
  const Hp = PT + IH + pad_after(GH, SH, PT, KH, IH), Wp = PL + IW + pad_after(GW, SW, PL, KW, IW);
  return Hp * Wp * IC <= room;
}

/** Y[N·GH·GW, F] = act(im2col(X)·W + b) (act < 0: no bias, no activation) for images X [N, IH, IW, IC] on a grid of
 *  GH × GW windows — the im2col path's product, bit for bit, without the gather (see above). */
function thin_direct(Y: usize, X: usize, W: usize, b: usize, scratch: usize, N: i32, IH: i32, IW: i32, IC: i32,
                     GH: i32, GW: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, act: i32,
                     alpha: f32): void {
  const Hp = PT + IH + pad_after(GH, SH, PT, KH, IH), Wp = PL + IW + pad_after(GW, SW, PL, KW, IW);
  const run = KW * IC, per = GH * GW, P4 = per & ~3;
  const rowBytes = <usize>Wp * <usize>IC << 2, pix = <usize>IC << 2;
  const dy = <usize>SH * rowBytes, dx = <usize>SW * pix; // window origin steps
  const imgBytes = <usize>IH * <usize>IW * <usize>IC << 2, inRow = <usize>IW * <usize>IC << 2;
  const ldb = <usize>F << 2;
  const al = f32x4.splat(alpha);
  zero_f32s(scratch, Hp * Wp * IC); // the border stays zero: only the interior is rewritten per image
  for (let n = 0; n < N; n++) {
    const src = X + <usize>n * imgBytes;
    for (let iy = 0; iy < IH; iy++) {
      copy_f32(scratch + <usize>(iy + PT) * rowBytes + <usize>PL * pix, src + <usize>iy * inRow, IW * IC);
    }
    const y = Y + (<usize>n * <usize>per * <usize>F << 2);
    let gx = 0;
    let rowStart = scratch; // window origin of grid pixel (gy, 0)
    for (let p = 0; p < per; ) {
      if (p < P4) {
        // the 4 pixels' window origins
        const o0 = rowStart + <usize>gx * dx;
        if (++gx == GW) { gx = 0; rowStart += dy; }
        const o1 = rowStart + <usize>gx * dx;
        if (++gx == GW) { gx = 0; rowStart += dy; }
        const o2 = rowStart + <usize>gx * dx;
        if (++gx == GW) { gx = 0; rowStart += dy; }
        const o3 = rowStart + <usize>gx * dx;
        if (++gx == GW) { gx = 0; rowStart += dy; }
        const c = y + (<usize>p * ldb);
        if (KH == 3 && run == 3 && F == 32) {
          // the Keras model's thin layers (3×3 taps of one channel, 32 outputs) with constant trip counts and strides
          for (let j = 0; j < 32; j += 8) {
            const jo = <usize>j << 2;
            thin_4x8(c + jo, o0, o1, o2, o3, rowBytes, 3, 3, W + jo, 128, 128, b + jo, act, al);
          }
        } else {
          for (let j = 0; j < F; j += 8) {
            const jo = <usize>j << 2;
            thin_4x8(c + jo, o0, o1, o2, o3, rowBytes, KH, run, W + jo, ldb, ldb, b + jo, act, al);
          }
        }
        p += 4;
      } else {
        const o0 = rowStart + <usize>gx * dx;
        if (++gx == GW) { gx = 0; rowStart += dy; }
        const c = y + (<usize>p * ldb);
        for (let j = 0; j < F; j += 8) {
          const jo = <usize>j << 2;
          thin_1x8(c + jo, o0, rowBytes, KH, run, W + jo, ldb, b + jo, act, al);
        }
        p++;
      }
    }
  }
}

// Filter gradients with a thin side (conv2d's dW on the encoder's 28×28×1 input, conv2d_transpose's dW on the last
// decoder layer's 28×28×1 dZ): dW is only KH·KW·Ct columns (Ct < 4 thin channels) by the wide side's channels, and
// the im2col rows are KH·KW·Ct floats long, so the gather cost more than the GEMM on them (bench/conv.mjs: 53 % of
// enc1's dW outside the GEMM) and the GEMM's K or N was 9. thin_dw keeps a 3-column × 16-channel block of dW in 12
// f32x4 registers while it walks every grid pixel of one image: per pixel 3 taps of the thin image (splats from a
// zero-padded copy in scratch, as thin_direct) times 4 vectors of the wide side's channels. Each image adds its
// block sums to dW: per element of dW, per image, a sum from +0 over the image's grid pixels in row order (the
// padding's +0 terms included), then dW += s, images in order. The blocks never meet, so a call split by columns
// over threads gives the same bits; thin_dw_scalar is the twin (one element at a time, the same order).

/** Byte offset of thin column j (ky, kx, c) from a window origin in the padded image (Wp pixels a row, Ct channels). */
// @ts-ignore: decorator
@inline
function thin_col_off(j: i32, KW: i32, Ct: i32, Wp: i32): usize {
  const c = j % Ct, t = j / Ct, ky = t / KW, kx = t - ky * KW;
  return <usize>((ky * Wp + kx) * Ct + c) << 2;
}

/** dW element (column j, wide channel ch) += s: dW + (j·sj + ch·sc) floats. */
// @ts-ignore: decorator
@inline
function dw_add(dW: usize, j: i32, ch: i32, sj: i32, sc: i32, s: f32): void {
  const p = dW + (<usize>(j * sj + ch * sc) << 2);
  store<f32>(p, load<f32>(p) + s);
}

/** Adds the 4 lanes of v to dW at column j, wide channels ch … ch + 3 (lane i ≡ the scalar add of channel ch + i). */
// @ts-ignore: decorator
@inline
function dw_add4(dW: usize, j: i32, ch: i32, sj: i32, sc: i32, v: v128): void {
  const p = dW + (<usize>(j * sj + ch * sc) << 2);
  if (sc == 1) { v128.store(p, f32x4.add(v128.load(p), v)); return; }
  const q = <usize>sc << 2;
  store<f32>(p, load<f32>(p) + f32x4.extract_lane(v, 0));
  store<f32>(p + q, load<f32>(p + q) + f32x4.extract_lane(v, 1));
  store<f32>(p + 2 * q, load<f32>(p + 2 * q) + f32x4.extract_lane(v, 2));
  store<f32>(p + 3 * q, load<f32>(p + 3 * q) + f32x4.extract_lane(v, 3));
}

/** Whether thin_dw takes a filter gradient: thin channels Ct < 4, a whole number of f32x4 wide channels in the
 *  range, and the padded thin image fits in `room` floats of scratch. */
// @ts-ignore: decorator
@inline
function thin_dw_fits(IH: i32, IW: i32, Ct: i32, GH: i32, GW: i32, width: i32, KH: i32, KW: i32, SH: i32, SW: i32,
                      PT: i32, PL: i32, room: i32): bool {
  if (Ct >= 4 || width <= 0 || (width & 3) != 0) return false;
  const Hp = PT + IH + pad_after(GH, SH, PT, KH, IH), Wp = PL + IW + pad_after(GW, SW, PL, KW, IW);
  return Hp * Wp * Ct <= room;
}

/** dW[j, ch] += Σ over grid pixels of img_pad(window, column j)·G(pixel, ch), for columns j0 … j1 − 1 of the thin
 *  side (KH·KW·Ct of them, (ky, kx, c) order) and wide channels ch0 … ch1 − 1 (of CG per grid pixel), per image.
 *  G [N, GH, GW, CG] is the wide grid tensor, img [N, IH, IW, Ct] the thin image; dW element (j, ch) lives at
 *  dW + (j·sj + ch·sc) floats. `simd` false: the scalar twin. */
function thin_dw(dW: usize, sj: i32, sc: i32, G: usize, GH: i32, GW: i32, CG: i32, ch0: i32, ch1: i32, img: usize,
                 IH: i32, IW: i32, Ct: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, j0: i32, j1: i32,
                 scratch: usize, N: i32, simd: bool): void {
  const Hp = PT + IH + pad_after(GH, SH, PT, KH, IH), Wp = PL + IW + pad_after(GW, SW, PL, KW, IW);
  const pix = <usize>Ct << 2, rowBytes = <usize>Wp * pix;
  const dy = <usize>SH * rowBytes, dx = <usize>SW * pix;
  const imgBytes = <usize>IH * <usize>IW * pix, inRow = <usize>IW * pix;
  const gPix = <usize>CG << 2, gImg = <usize>GH * <usize>GW * gPix;
  if (simd) zero_f32s(scratch, Hp * Wp * Ct);
  else for (let i = 0, n = Hp * Wp * Ct; i < n; i++) store<f32>(scratch + (<usize>i << 2), 0);
  for (let n = 0; n < N; n++) {
    const src = img + <usize>n * imgBytes;
    for (let iy = 0; iy < IH; iy++) {
      const d = scratch + <usize>(iy + PT) * rowBytes + <usize>PL * pix, s = src + <usize>iy * inRow;
      if (simd) copy_f32(d, s, IW * Ct);
      else for (let i = 0; i < IW * Ct; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)));
    }
    const gn = G + <usize>n * gImg;
    if (!simd) {
      for (let j = j0; j < j1; j++) {
        const oj = thin_col_off(j, KW, Ct, Wp);
        for (let ch = ch0; ch < ch1; ch++) {
          let s: f32 = 0;
          let gp = gn + (<usize>ch << 2);
          for (let gy = 0; gy < GH; gy++) {
            let a = scratch + <usize>gy * dy + oj;
            for (let gx = 0; gx < GW; gx++) {
              s += load<f32>(a) * load<f32>(gp);
              a += dx; gp += gPix;
            }
          }
          dw_add(dW, j, ch, sj, sc, s);
        }
      }
      continue;
    }
    for (let j = j0; j < j1; j += 3) {
      // 3 columns (a missing second or third one repeats the first; its sums are dropped)
      const o0 = thin_col_off(j, KW, Ct, Wp);
      const o1 = j + 1 < j1 ? thin_col_off(j + 1, KW, Ct, Wp) : o0;
      const o2 = j + 2 < j1 ? thin_col_off(j + 2, KW, Ct, Wp) : o0;
      for (let ch = ch0; ch < ch1; ch += 16) {
        // 4 vectors of channels (missing ones repeat the first, dropped likewise)
        const nv = min(4, (ch1 - ch) >> 2);
        let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
        let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
        let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c23 = f32x4.splat(0);
        const g0p = gn + (<usize>ch << 2);
        if (nv == 4) {
          // the whole block: constant vector offsets, and a pointer per tap
          let gp = g0p;
          for (let gy = 0; gy < GH; gy++) {
            const row = scratch + <usize>gy * dy;
            let a0 = row + o0, a1 = row + o1, a2 = row + o2;
            const end = a0 + <usize>GW * dx;
            do {
              const g0 = v128.load(gp), g1 = v128.load(gp, 16), g2 = v128.load(gp, 32), g3 = v128.load(gp, 48);
              const t0 = v128.load32_splat(a0);
              c00 = vk_madd(t0, g0, c00); c01 = vk_madd(t0, g1, c01); c02 = vk_madd(t0, g2, c02); c03 = vk_madd(t0, g3, c03);
              const t1 = v128.load32_splat(a1);
              c10 = vk_madd(t1, g0, c10); c11 = vk_madd(t1, g1, c11); c12 = vk_madd(t1, g2, c12); c13 = vk_madd(t1, g3, c13);
              const t2 = v128.load32_splat(a2);
              c20 = vk_madd(t2, g0, c20); c21 = vk_madd(t2, g1, c21); c22 = vk_madd(t2, g2, c22); c23 = vk_madd(t2, g3, c23);
              a0 += dx; a1 += dx; a2 += dx; gp += gPix;
            } while (a0 < end);
          }
        } else {
          const v1: usize = nv > 1 ? 16 : 0, v2: usize = nv > 2 ? 32 : 0;
          let gp = g0p;
          for (let gy = 0; gy < GH; gy++) {
            let a = scratch + <usize>gy * dy;
            const end = a + <usize>GW * dx;
            do {
              const g0 = v128.load(gp), g1 = v128.load(gp + v1), g2 = v128.load(gp + v2);
              const t0 = v128.load32_splat(a + o0);
              c00 = vk_madd(t0, g0, c00); c01 = vk_madd(t0, g1, c01); c02 = vk_madd(t0, g2, c02);
              const t1 = v128.load32_splat(a + o1);
              c10 = vk_madd(t1, g0, c10); c11 = vk_madd(t1, g1, c11); c12 = vk_madd(t1, g2, c12);
              const t2 = v128.load32_splat(a + o2);
              c20 = vk_madd(t2, g0, c20); c21 = vk_madd(t2, g1, c21); c22 = vk_madd(t2, g2, c22);
              a += dx; gp += gPix;
            } while (a < end);
          }
        }
        dw_add4(dW, j, ch, sj, sc, c00);
        if (nv > 1) dw_add4(dW, j, ch + 4, sj, sc, c01);
        if (nv > 2) dw_add4(dW, j, ch + 8, sj, sc, c02);
        if (nv > 3) dw_add4(dW, j, ch + 12, sj, sc, c03);
        if (j + 1 < j1) {
          dw_add4(dW, j + 1, ch, sj, sc, c10);
          if (nv > 1) dw_add4(dW, j + 1, ch + 4, sj, sc, c11);
          if (nv > 2) dw_add4(dW, j + 1, ch + 8, sj, sc, c12);
          if (nv > 3) dw_add4(dW, j + 1, ch + 12, sj, sc, c13);
        }
        if (j + 2 < j1) {
          dw_add4(dW, j + 2, ch, sj, sc, c20);
          if (nv > 1) dw_add4(dW, j + 2, ch + 4, sj, sc, c21);
          if (nv > 2) dw_add4(dW, j + 2, ch + 8, sj, sc, c22);
          if (nv > 3) dw_add4(dW, j + 2, ch + 12, sj, sc, c23);
        }
      }
    }
  }
}

// The transposed convolution to one output channel at stride 1 (the last decoder layer, 28×28×32 → 28×28×1): the
// scatter path ran a GEMM with 9 (padded to 12) columns and scattered every row's 9 values into Y (bench/conv.mjs:
// 47 % of the call outside the GEMM). convt_one computes each output pixel directly as a gather — the taps of a
// stride-1 transposed convolution meeting output (oy, ox) are the input pixels (oy + PT − ky, ox + PL − kx) — with
// channels four to an f32x4: several output pixels at once along a row (4 for a 3-wide kernel, 6 otherwise), each
// weight vector (the channels of one tap, W repacked tap-major into scratch) loaded once and used by all of them.
// Per output pixel, lane i sums the products of channels ≡ i (mod 4) from +0 in the order ky, channel vector, kx
// descending, over the kernel rows ky that meet an input row (the others are skipped) and every kx (a tap left or
// right of the row reads a zero vector: a +0 term, which leaves a sum begun at +0 unchanged); then
// y = act(((l0 + l2) + (l1 + l3)) + b). `simd` false is the twin (the same loops on four scalar lanes). Pixels are
// independent, so the thread split by images gives the same bits.

/** Whether convt_one takes a transposed forward: one output channel, stride 1, C a multiple of 4, room for the
 *  repacked W. */
// @ts-ignore: decorator
@inline
function convt_one_fits(C: i32, F: i32, SH: i32, SW: i32, KH: i32, KW: i32, room: i32): bool {
  return F == 1 && SH == 1 && SW == 1 && C >= 4 && (C & 3) == 0 && (KH * KW + 1) * C <= room;
}

/** The horizontal sum of convt_one: (l0 + l2) + (l1 + l3). */
// @ts-ignore: decorator
@inline
function hsum_02_13(v: v128): f32 {
  const t = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

/** act(hsum(c) + b) into y. */
// @ts-ignore: decorator
@inline
function one_out(y: usize, c: v128, b: f32, act: i32, alpha: f32): void {
  store<f32>(y, vk_act_f32(hsum_02_13(c) + b, act, alpha));
}

/** 6 output pixels in a row, ky in [ky0, ky1), every kx (generic KW: every tap inside the row): act(Σ + b) into
 *  y[0…6). `xr`: the input pixel (oy + PT − ky0, ox + PL) of the first output pixel's tap (ky0, 0); `wt` the
 *  tap-major weights. Order per pixel and lane: ky, then channel vector, then kx from KW − 1 down to 0. 6 sums, a
 *  weight and 6 inputs a trip: 13 vectors (8 pixels, 17, kept sums on the stack; see convt_one_3). */
// @ts-ignore: decorator
@inline
function convt_one_6(y: usize, xr: usize, wt: usize, ky0: i32, ky1: i32, KW: i32, C: i32, rowB: usize, b: f32,
                     act: i32, alpha: f32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0);
  const pb = <usize>C << 2;
  let r = xr;
  for (let ky = ky0; ky < ky1; ky++) {
    const wrow = wt + <usize>(ky * KW) * pb;
    for (let cv: usize = 0; cv < pb; cv += 16) {
      for (let kx = KW - 1; kx >= 0; kx--) {
        const wv = v128.load(wrow + <usize>kx * pb + cv);
        const a = r + cv - <usize>kx * pb;
        c0 = vk_madd(v128.load(a), wv, c0);
        c1 = vk_madd(v128.load(a + pb), wv, c1);
        c2 = vk_madd(v128.load(a + 2 * pb), wv, c2);
        c3 = vk_madd(v128.load(a + 3 * pb), wv, c3);
        c4 = vk_madd(v128.load(a + 4 * pb), wv, c4);
        c5 = vk_madd(v128.load(a + 5 * pb), wv, c5);
      }
    }
    r -= rowB;
  }
  one_out(y, c0, b, act, alpha); one_out(y + 4, c1, b, act, alpha);
  one_out(y + 8, c2, b, act, alpha); one_out(y + 12, c3, b, act, alpha);
  one_out(y + 16, c4, b, act, alpha); one_out(y + 20, c5, b, act, alpha);
}

/** KW = 3: 4 output pixels in a row, ky in [ky0, ky1), the same order as convt_one_6. The 6 input pixels of a
 *  kernel row are loaded once each and meet the row's 3 weight vectors (an input pixel is tap kx = 2 of one output,
 *  kx = 1 of the next, kx = 0 of the one after). `xr`: input pixel ox + PL − 2 (tap kx = 2 of the first output) of
 *  row oy + PT − ky0; the first and last input pixels may lie outside the row: `zf` / `zl` true read them from
 *  `zero` (C zero floats) instead.
 *  Why 4 and not 8: TurboFan loads all of a loop body's vectors before its arithmetic, so a block holds its sums,
 *  weights and inputs in registers at once — here 4 + 3 + 6 = 13 of the 15 it allocates. 8 pixels (8 + 3 + 10)
 *  kept 4 of their sums on the stack, a store and a reload every iteration (scripts/wasm-code.mjs shows it), and
 *  ran ×0.87–0.96 as fast (dec3's forward, bench/results/conv-convt-one-4.json). */
// @ts-ignore: decorator
@inline
function convt_one_3(y: usize, xr: usize, wt: usize, ky0: i32, ky1: i32, C: i32, rowB: usize, b: f32, act: i32,
                     alpha: f32, zero: usize, zf: bool, zl: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const pb = <usize>C << 2;
  let r = xr;
  for (let ky = ky0; ky < ky1; ky++) {
    let w = wt + <usize>(ky * 3) * pb;
    const wend = w + pb;
    let a = r, f = zero, l = zero; // f, l: only where the first / last input pixel lies outside the row
    do {
      const w0 = v128.load(w), w1 = v128.load(w + pb), w2 = v128.load(w + 2 * pb);
      let x = zf ? v128.load(f) : v128.load(a);
      c0 = vk_madd(x, w2, c0);
      x = v128.load(a + pb);
      c1 = vk_madd(x, w2, c1); c0 = vk_madd(x, w1, c0);
      x = v128.load(a + 2 * pb);
      c2 = vk_madd(x, w2, c2); c1 = vk_madd(x, w1, c1); c0 = vk_madd(x, w0, c0);
      x = v128.load(a + 3 * pb);
      c3 = vk_madd(x, w2, c3); c2 = vk_madd(x, w1, c2); c1 = vk_madd(x, w0, c1);
      x = v128.load(a + 4 * pb);
      c3 = vk_madd(x, w1, c3); c2 = vk_madd(x, w0, c2);
      x = zl ? v128.load(l) : v128.load(a + 5 * pb);
      c3 = vk_madd(x, w0, c3);
      a += 16; w += 16;
      if (zf) f += 16;
      if (zl) l += 16;
    } while (w < wend);
    r -= rowB;
  }
  one_out(y, c0, b, act, alpha); one_out(y + 4, c1, b, act, alpha);
  one_out(y + 8, c2, b, act, alpha); one_out(y + 12, c3, b, act, alpha);
}

/** One output pixel, ky in [ky0, ky1), every kx (taps outside the row read `zero`: +0 terms, as convt_one_3's);
 *  `xr`: the address of input pixel (row of tap ky0, ox + PL) (an address only: it may lie outside the row);
 *  ix0 = ox + PL. `simd` false: four scalar lanes (the twin). */
// @ts-ignore: decorator
@inline
function convt_one_1(y: usize, xr: usize, wt: usize, ky0: i32, ky1: i32, ix0: i32, Wd: i32, KW: i32, C: i32,
                     rowB: usize, b: f32, act: i32, alpha: f32, zero: usize, simd: bool): void {
  const cb = <usize>C << 2;
  if (simd) {
    let c0 = f32x4.splat(0);
    let r = xr;
    for (let ky = ky0; ky < ky1; ky++) {
      const wrow = wt + <usize>(ky * KW) * cb;
      for (let c: usize = 0; c < cb; c += 16) {
        for (let kx = KW - 1; kx >= 0; kx--) {
          const ix = ix0 - kx;
          const a = ix >= 0 && ix < Wd ? r - <usize>kx * cb : zero;
          c0 = vk_madd(v128.load(a + c), v128.load(wrow + <usize>kx * cb + c), c0);
        }
      }
      r -= rowB;
    }
    one_out(y, c0, b, act, alpha);
    return;
  }
  let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
  let r = xr;
  for (let ky = ky0; ky < ky1; ky++) {
    const wrow = wt + <usize>(ky * KW) * cb;
    for (let c: usize = 0; c < cb; c += 16) {
      for (let kx = KW - 1; kx >= 0; kx--) {
        const ix = ix0 - kx;
        const a = (ix >= 0 && ix < Wd ? r - <usize>kx * cb : zero) + c, w = wrow + <usize>kx * cb + c;
        l0 += load<f32>(a) * load<f32>(w);
        l1 += load<f32>(a, 4) * load<f32>(w, 4);
        l2 += load<f32>(a, 8) * load<f32>(w, 8);
        l3 += load<f32>(a, 12) * load<f32>(w, 12);
      }
    }
    r -= rowB;
  }
  store<f32>(y, vk_act_f32(((l0 + l2) + (l1 + l3)) + b, act, alpha));
}

/** Y [N, OH, OW, 1] = act(conv_transpose(X, W) + b) at stride 1 (see above); scratch (`room` floats): the tap-major
 *  W (KH·KW·C), then C zeros, then (kernels not 3 wide, SIMD, if it fits) each image with zero columns beside its
 *  rows, so that every output pixel of a row goes in a group of 6: a border pixel read its out-of-row taps one
 *  at a time (convt_one_1), and with a 5×5 kernel the 4 border pixels of a row took about half of the call. The
 *  zeros are the same +0 terms convt_one_1 reads from `zero`, so the bits don't change. */
function convt_one(Y: usize, X: usize, W: usize, b: usize, scratch: usize, N: i32, H: i32, Wd: i32, C: i32, OH: i32,
                   OW: i32, KH: i32, KW: i32, PT: i32, PL: i32, act: i32, alpha: f32, simd: bool, room: i32): void {
  const T = KH * KW;
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < T; t++) {
      store<f32>(scratch + (<usize>(t * C + c) << 2), load<f32>(W + (<usize>(c * T + t) << 2)));
    }
  }
  const zero = scratch + (<usize>(T * C) << 2);
  for (let c = 0; c < C; c++) store<f32>(zero + (<usize>c << 2), 0);
  const bias = load<f32>(b);
  const cb = <usize>C << 2, rowB = <usize>Wd * cb, imgB = <usize>H * rowB;
  // output columns whose every kx tap is inside: 0 ≤ ox + PL − kx < Wd for all kx
  const xa = max(0, KW - 1 - PL), xb = min(OW, Wd - PL); // [xa, xb)
  // the padded copy: xa zero columns before each row, as many after as the last output's taps reach past it; with
  // it every output column's taps are inside its rows
  const Wp = xa + Wd + max(0, OW + PL - Wd);
  const padded = simd && KW != 3 && (T + 1) * C + H * Wp * C <= room;
  const img = zero + cb;
  if (padded) zero_f32s(img, H * Wp * C); // the borders stay zero: only the rows' insides are rewritten per image
  // the rows the taps read: the image's, or the padded copy's (cOff zero columns before each, Ws pixels wide); the
  // 6-pixel groups take the output columns [ga, gb) whose taps are inside them
  const cOff = padded ? xa : 0, Ws = padded ? Wp : Wd, srcRowB = <usize>Ws * cb;
  const ga = padded ? 0 : xa, gb = padded ? OW : xb;
  for (let n = 0; n < N; n++) {
    const xn = X + <usize>n * imgB;
    const yn = Y + (<usize>n * <usize>OH * <usize>OW << 2);
    if (padded) for (let iy = 0; iy < H; iy++) copy_f32(img + <usize>iy * srcRowB + <usize>xa * cb, xn + <usize>iy * rowB, Wd * C);
    const src = padded ? img : xn;
    for (let oy = 0; oy < OH; oy++) {
      const ky0 = max(0, oy + PT - H + 1), ky1 = min(KH, oy + PT + 1);
      const yr = yn + (<usize>oy * <usize>OW << 2);
      if (ky0 >= ky1) { // no tap meets this row
        for (let ox = 0; ox < OW; ox++) store<f32>(yr + (<usize>ox << 2), vk_act_f32(<f32>0 + bias, act, alpha));
        continue;
      }
      const xrow = src + <usize>(oy + PT - ky0) * srcRowB + <usize>cOff * cb; // input row of tap ky0, its column 0
      for (let ox = 0; ox < OW; ) {
        const ix = ox + PL; // input pixel of tap kx = 0
        if (simd && KW == 3) {
          // 4 pixels whose inner input pixels ix − 1 … ix + 2 are inside the row (the outer two may not be)
          if (ox + 4 <= OW && ix - 1 >= 0 && ix + 2 < Wd) {
            const p = xrow + <usize>(ix - 2) * cb, zf = ix - 2 < 0, zl = ix + 3 >= Wd;
            const y4 = yr + (<usize>ox << 2);
            // C = 32 (the Keras decoder's last layer) as a constant: the pixels' loads take constant offsets
            if (zf || zl) convt_one_3(y4, p, scratch, ky0, ky1, C, rowB, bias, act, alpha, zero, zf, zl);
            else if (C == 32) convt_one_3(y4, p, scratch, ky0, ky1, 32, rowB, bias, act, alpha, zero, false, false);
            else convt_one_3(y4, p, scratch, ky0, ky1, C, rowB, bias, act, alpha, zero, false, false);
            ox += 4;
            continue;
          }
        } else if (simd && ox >= ga && ox < gb && gb - ga >= 6) {
          // groups of 6; the last one of [ga, gb) ends at gb − 1, overlapping the one before (pixels are
          // independent: the few written twice get the same value twice)
          const o = min(ox, gb - 6), y6 = yr + (<usize>o << 2), x6 = xrow + <usize>(o + PL) * cb;
          if (C == 32) convt_one_6(y6, x6, scratch, ky0, ky1, KW, 32, srcRowB, bias, act, alpha); // constant offsets
          else convt_one_6(y6, x6, scratch, ky0, ky1, KW, C, srcRowB, bias, act, alpha);
          ox = o + 6;
          continue;
        }
        convt_one_1(yr + (<usize>ox << 2), xrow + <usize>ix * cb, scratch, ky0, ky1, ix + cOff, Ws, KW, C, srcRowB,
          bias, act, alpha, zero, simd);
        ox++;
      }
    }
  }
}

// Transposed convolution at stride > 1 with F a multiple of 8 output channels (the decoder's 7×7×64 → 14×14×64 and
// 14×14×64 → 28×28×32 layers): the sub-pixel decomposition. An output pixel (oy, ox) is met only by the taps with
// ky ≡ oy + PT (mod SH) and kx ≡ ox + PL (mod SW), at input pixel ((oy + PT − ky)/SH, (ox + PL − kx)/SW); so each of
// the SH·SW output phases is an ordinary convolution with a sub-kernel (2×2, 2×1, 1×2, 1×1 for 3×3 at stride 2),
// and consecutive outputs of one phase along a row read consecutive input pixels. convt_sub computes every output
// pixel as a gather — 4 outputs of a phase × 8 channels per 4×8 tile (the input channels splat, the weight rows
// [C, F] of a tap as the GEMM's B), bias and activation fused — and writes it once: no GEMM on inserted zeros, no
// zeroing of Y, no scatter-add. Per output element: a sum from +0 over the taps that meet an input pixel, in ky
// then kx order, each over the input channels in order; then act(s + b). `simd` false is the twin (the same loops,
// one element at a time). Output pixels are independent, so a thread split by images gives the same bits.

/** Whether convt_sub takes a transposed forward: stride > 1, F a multiple of 8, room for the tap table. */
// @ts-ignore: decorator
@inline
function convt_sub_fits(F: i32, SH: i32, SW: i32, KH: i32, KW: i32, room: i32): bool {
  return (SH > 1 || SW > 1) && F >= 8 && (F & 7) == 0 && 3 * KH * KW <= room;
}

/** 4 outputs of a phase (input pixels at a, a + pp, a + 2pp, a + 3pp for each tap) × 8 channels: act(Σ + b) into
 *  y, y + ldy, …; the taps: nt pairs (input offset, weight offset) of i32 at `taps`. */
// @ts-ignore: decorator
@inline
function sub_4x8(y: usize, ldy: usize, xb: usize, pp: usize, wb: usize, taps: usize, nt: i32, cb: usize, ldb: usize,
                 bias: usize, act: i32, al: v128): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let t = 0; t < nt; t++) {
    let a = xb + <usize>load<i32>(taps + (<usize>t << 3));
    let w = wb + <usize>load<i32>(taps + (<usize>t << 3), 4);
    const end = a + cb;
    do {
      const b0 = v128.load(w), b1 = v128.load(w, 16);
      const x0 = v128.load32_splat(a);
      c00 = vk_madd(x0, b0, c00); c01 = vk_madd(x0, b1, c01);
      const x1 = v128.load32_splat(a + pp);
      c10 = vk_madd(x1, b0, c10); c11 = vk_madd(x1, b1, c11);
      const x2 = v128.load32_splat(a + 2 * pp);
      c20 = vk_madd(x2, b0, c20); c21 = vk_madd(x2, b1, c21);
      const x3 = v128.load32_splat(a + 3 * pp);
      c30 = vk_madd(x3, b0, c30); c31 = vk_madd(x3, b1, c31);
      a += 4; w += ldb;
    } while (a < end);
  }
  const bv0 = v128.load(bias), bv1 = v128.load(bias, 16);
  const r1 = y + ldy, r2 = r1 + ldy, r3 = r2 + ldy;
  v128.store(y, vk_act_vec(f32x4.add(c00, bv0), act, al)); v128.store(y, vk_act_vec(f32x4.add(c01, bv1), act, al), 16);
  v128.store(r1, vk_act_vec(f32x4.add(c10, bv0), act, al)); v128.store(r1, vk_act_vec(f32x4.add(c11, bv1), act, al), 16);
  v128.store(r2, vk_act_vec(f32x4.add(c20, bv0), act, al)); v128.store(r2, vk_act_vec(f32x4.add(c21, bv1), act, al), 16);
  v128.store(r3, vk_act_vec(f32x4.add(c30, bv0), act, al)); v128.store(r3, vk_act_vec(f32x4.add(c31, bv1), act, al), 16);
}

/** One output pixel (input column m + d of each tap; taps whose column falls outside [0, W) skipped) × 8 channels
 *  (`simd`) or F channels one at a time (the twin). The tap table also holds each tap's d at `dk`. */
// @ts-ignore: decorator
@inline
function sub_1(y: usize, xb: usize, m: i32, Wd: i32, wb: usize, taps: usize, dk: usize, nt: i32, cb: usize,
               ldb: usize, bias: usize, F: i32, act: i32, alpha: f32, simd: bool): void {
  const al = f32x4.splat(alpha);
  if (simd) {
    let j = 0;
    // 32 channels at a time (8 independent accumulators; 8 would leave 2 dependent chains), then 8
    for (; j + 32 <= F; j += 32) {
      const jo = <usize>j << 2;
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
      for (let t = 0; t < nt; t++) {
        const ix = m + load<i32>(dk + (<usize>t << 2));
        if (ix < 0 || ix >= Wd) continue;
        let a = xb + <usize>load<i32>(taps + (<usize>t << 3));
        let w = wb + <usize>load<i32>(taps + (<usize>t << 3), 4) + jo;
        const end = a + cb;
        do {
          const x0 = v128.load32_splat(a);
          c0 = vk_madd(x0, v128.load(w), c0); c1 = vk_madd(x0, v128.load(w, 16), c1);
          c2 = vk_madd(x0, v128.load(w, 32), c2); c3 = vk_madd(x0, v128.load(w, 48), c3);
          c4 = vk_madd(x0, v128.load(w, 64), c4); c5 = vk_madd(x0, v128.load(w, 80), c5);
          c6 = vk_madd(x0, v128.load(w, 96), c6); c7 = vk_madd(x0, v128.load(w, 112), c7);
          a += 4; w += ldb;
        } while (a < end);
      }
      const yb = y + jo, bb = bias + jo;
      v128.store(yb, vk_act_vec(f32x4.add(c0, v128.load(bb)), act, al));
      v128.store(yb, vk_act_vec(f32x4.add(c1, v128.load(bb, 16)), act, al), 16);
      v128.store(yb, vk_act_vec(f32x4.add(c2, v128.load(bb, 32)), act, al), 32);
      v128.store(yb, vk_act_vec(f32x4.add(c3, v128.load(bb, 48)), act, al), 48);
      v128.store(yb, vk_act_vec(f32x4.add(c4, v128.load(bb, 64)), act, al), 64);
      v128.store(yb, vk_act_vec(f32x4.add(c5, v128.load(bb, 80)), act, al), 80);
      v128.store(yb, vk_act_vec(f32x4.add(c6, v128.load(bb, 96)), act, al), 96);
      v128.store(yb, vk_act_vec(f32x4.add(c7, v128.load(bb, 112)), act, al), 112);
    }
    for (; j < F; j += 8) {
      const jo = <usize>j << 2;
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
      for (let t = 0; t < nt; t++) {
        const ix = m + load<i32>(dk + (<usize>t << 2));
        if (ix < 0 || ix >= Wd) continue;
        let a = xb + <usize>load<i32>(taps + (<usize>t << 3));
        let w = wb + <usize>load<i32>(taps + (<usize>t << 3), 4) + jo;
        const end = a + cb;
        do {
          const x0 = v128.load32_splat(a);
          c0 = vk_madd(x0, v128.load(w), c0); c1 = vk_madd(x0, v128.load(w, 16), c1);
          a += 4; w += ldb;
        } while (a < end);
      }
      v128.store(y + jo, vk_act_vec(f32x4.add(c0, v128.load(bias + jo)), act, al));
      v128.store(y + jo, vk_act_vec(f32x4.add(c1, v128.load(bias + jo, 16)), act, al), 16);
    }
    return;
  }
  for (let j = 0; j < F; j++) {
    const jo = <usize>j << 2;
    let s: f32 = 0;
    for (let t = 0; t < nt; t++) {
      const ix = m + load<i32>(dk + (<usize>t << 2));
      if (ix < 0 || ix >= Wd) continue;
      let a = xb + <usize>load<i32>(taps + (<usize>t << 3));
      let w = wb + <usize>load<i32>(taps + (<usize>t << 3), 4) + jo;
      const end = a + cb;
      do {
        s += load<f32>(a) * load<f32>(w);
        a += 4; w += ldb;
      } while (a < end);
    }
    store<f32>(y + jo, vk_act_f32(s + load<f32>(bias + jo), act, alpha));
  }
}

/** Y [N, OH, OW, F] = act(conv_transpose(X, W) + b), stride > 1, F a multiple of 8 (see above). scratch: the tap
 *  table of one (output row, column phase): KH·KW pairs (input offset, weight offset), then KH·KW column shifts d. */
function convt_sub(Y: usize, X: usize, W: usize, b: usize, scratch: usize, N: i32, H: i32, Wd: i32, C: i32, OH: i32,
                   OW: i32, F: i32, KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, act: i32, alpha: f32,
                   simd: bool): void {
  const cb = <usize>C << 2, rowB = <usize>Wd * cb, imgB = <usize>H * rowB;
  const ldb = <usize>(KH * KW * F) << 2; // W [C, KH, KW, F]: one input channel to the next
  const fb = <usize>F << 2, ldy = <usize>SW * fb;
  const taps = scratch, dk = scratch + (<usize>(2 * KH * KW) << 2);
  const al = f32x4.splat(alpha);
  for (let n = 0; n < N; n++) {
    const xn = X + <usize>n * imgB;
    const yn = Y + <usize>n * <usize>OH * <usize>OW * fb;
    for (let oy = 0; oy < OH; oy++) {
      const yr = yn + <usize>oy * <usize>OW * fb;
      for (let ox0 = 0; ox0 < SW && ox0 < OW; ox0++) {
        // the taps of this row and column phase: ky meeting an input row, every kx ≡ ox0 + PL (mod SW)
        let nt = 0, dmin = 0x7fffffff, dmax = -0x7fffffff;
        for (let ky = 0; ky < KH; ky++) {
          const ty = oy + PT - ky;
          if (ty < 0 || ty % SH != 0 || ty / SH >= H) continue;
          const iy = ty / SH;
          for (let kx = 0; kx < KW; kx++) {
            const tx = ox0 + PL - kx;
            // tx ≡ 0 (mod SW), possibly negative: the column shift d = tx / SW is exact
            if (((tx % SW) + SW) % SW != 0) continue;
            const d = tx / SW;
            const tp = taps + (<usize>nt << 3);
            store<i32>(tp, (iy * Wd + d) * C * 4);
            store<i32>(tp, ((ky * KW + kx) * F) * 4, 4);
            store<i32>(dk + (<usize>nt << 2), d);
            if (d < dmin) dmin = d;
            if (d > dmax) dmax = d;
            nt++;
          }
        }
        // outputs ox = ox0 + m·SW, m = 0 … ; groups of 4 with every tap's column m + d … m + 3 + d inside
        const cnt = (OW - ox0 + SW - 1) / SW;
        for (let m = 0; m < cnt; ) {
          const y = yr + <usize>(ox0 + m * SW) * fb;
          const xb = xn + <usize>m * cb;
          if (nt == 0) {
            // no tap meets these outputs: act(0 + b)
            for (let j = 0; j < F; j++) store<f32>(y + (<usize>j << 2), vk_act_f32(<f32>0 + load<f32>(b + (<usize>j << 2)), act, alpha));
            m++;
            continue;
          }
          if (simd && m + 3 < cnt && m + dmin >= 0 && m + 3 + dmax < Wd) {
            for (let j = 0; j < F; j += 8) {
              const jo = <usize>j << 2;
              sub_4x8(y + jo, ldy, xb, cb, W + jo, taps, nt, cb, ldb, b + jo, act, al);
            }
            m += 4;
            continue;
          }
          sub_1(y, xb, m, Wd, W, taps, dk, nt, cb, ldb, b, F, act, alpha, simd);
          m++;
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function conv_fwd(Y: usize, X: usize, W: usize, b: usize, scratch: usize, geom: usize, N: i32, act: i32, alpha: f32,
                  simd: bool): void {
  const H = g(geom, 0), Wd = g(geom, 1), C = g(geom, 2), OH = g(geom, 3), OW = g(geom, 4), F = g(geom, 5);
  const KH = g(geom, 6), KW = g(geom, 7);
  const K = KH * KW * C;
  const rows = N * OH * OW;
  if (pointwise(geom)) {
    if (simd) vk_nn_fused(Y, X, W, rows, K, F, act, b, alpha);
    else vk_nn_fused_scalar(Y, X, W, rows, K, F, act, b, alpha);
    return;
  }
  const SH = g(geom, 8), SW = g(geom, 9), PT = g(geom, 10), PL = g(geom, 11);
  if (simd && thin_fits(H, Wd, C, OH, OW, F, KH, KW, SH, SW, PT, PL, chunk_rows(K) * ((K + 3) & ~3))) {
    thin_direct(Y, X, W, b, scratch, N, H, Wd, C, OH, OW, F, KH, KW, SH, SW, PT, PL, act, alpha);
    return;
  }
  const R = chunk_rows(K);
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    im2col(scratch, X, r, cnt, OH, OW, H, Wd, C, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11));
    const y = Y + (<usize>r * <usize>F << 2);
    if (simd) vk_nn_fused(y, scratch, W, cnt, K, F, act, b, alpha);
    else vk_nn_fused_scalar(y, scratch, W, cnt, K, F, act, b, alpha);
  }
}

export function conv2d_forward(Y: usize, X: usize, W: usize, b: usize, scratch: usize, geom: usize, N: i32,
                               act: i32, alpha: f32): void {
  // Y [N,OH,OW,F] (written), X [N,H,W,C], W [KH,KW,C,F], b [F], scratch [convScratchFloats], geom i32[16]:
  // Y = act(conv(X, W) + b).
  conv_fwd(Y, X, W, b, scratch, geom, N, act, alpha, true);
}

export function conv2d_forward_scalar(Y: usize, X: usize, W: usize, b: usize, scratch: usize, geom: usize, N: i32,
                                      act: i32, alpha: f32): void {
  // Same arguments. Bit-identical to conv2d_forward.
  conv_fwd(Y, X, W, b, scratch, geom, N, act, alpha, false);
}

/** dW[:, j0:j1] += im2col(X)ᵀ·dZ[:, j0:j1], chunk by chunk (dZ already formed). */
// @ts-ignore: decorator
@inline
function conv_dw(dW: usize, dZ: usize, X: usize, scratch: usize, geom: usize, N: i32, j0: i32, j1: i32,
                 simd: bool): void {
  const H = g(geom, 0), Wd = g(geom, 1), C = g(geom, 2), OH = g(geom, 3), OW = g(geom, 4), F = g(geom, 5);
  const KH = g(geom, 6), KW = g(geom, 7);
  const K = KH * KW * C;
  const rows = N * OH * OW;
  const R = chunk_rows(K);
  const pw = pointwise(geom);
  const SH = g(geom, 8), SW = g(geom, 9), PT = g(geom, 10), PL = g(geom, 11);
  if (!pw && thin_dw_fits(H, Wd, C, OH, OW, j1 - j0, KH, KW, SH, SW, PT, PL, R * K)) {
    // thin X: dW [K, F], column j of the thin side = row j of dW, channels j0 … j1 of dZ
    thin_dw(dW, F, 1, dZ, OH, OW, F, j0, j1, X, H, Wd, C, KH, KW, SH, SW, PT, PL, 0, K, scratch, N, simd);
    return;
  }
  const o = <usize>j0 << 2;
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    let a = X + (<usize>r * <usize>C << 2);
    if (!pw) {
      im2col(scratch, X, r, cnt, OH, OW, H, Wd, C, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11));
      a = scratch;
    }
    const dz = dZ + (<usize>r * <usize>F << 2) + o;
    if (simd) vk_tn(dW + o, a, dz, cnt, K, j1 - j0, F);
    else vk_tn_scalar(dW + o, a, dz, cnt, K, j1 - j0, F);
  }
}

/** dX = col2im(dZ·Wᵀ) on N images (dZ already formed). */
// @ts-ignore: decorator
@inline
function conv_dx(dX: usize, dZ: usize, W: usize, scratch: usize, geom: usize, N: i32, simd: bool): void {
  const H = g(geom, 0), Wd = g(geom, 1), C = g(geom, 2), OH = g(geom, 3), OW = g(geom, 4), F = g(geom, 5);
  const KH = g(geom, 6), KW = g(geom, 7);
  const K = KH * KW * C;
  const rows = N * OH * OW;
  // Wᵀ [F, K] after the im2col chunk, so that dZ·Wᵀ runs on the NN tiles (the best-tuned GEMM of gemm.ts)
  const R = chunk_rows(K);
  const WT = scratch + (<usize>R * <usize>K << 2);
  transpose_f32(WT, W, K, F);
  if (pointwise(geom)) {
    if (simd) vk_nn_fused(dX, dZ, WT, rows, F, K, -1, 0, 0);
    else vk_nn_fused_scalar(dX, dZ, WT, rows, F, K, -1, 0, 0);
    return;
  }
  if (simd) zero_f32s(dX, N * H * Wd * C);
  else for (let i = 0, n = N * H * Wd * C; i < n; i++) store<f32>(dX + (<usize>i << 2), 0);
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    const dz = dZ + (<usize>r * <usize>F << 2);
    if (simd) vk_nn_fused(scratch, dz, WT, cnt, F, K, -1, 0, 0);
    else vk_nn_fused_scalar(scratch, dz, WT, cnt, F, K, -1, 0, 0);
    col2im_add(dX, scratch, r, cnt, OH, OW, H, Wd, C, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11), 0,
      simd);
  }
}

export function conv2d_backward(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, Y: usize,
                                scratch: usize, geom: usize, N: i32, act: i32, alpha: f32): void {
  // dX [N,H,W,C] (written unless dX == 0), dW [KH,KW,C,F] (+=), db [F] (+=), dY [N,OH,OW,F] (in: dL/dY, out: dZ),
  // X, W, Y (the forward output), scratch [convScratchFloats], geom i32[16].
  // dZ = dY ⊙ act′(Y); db += Σ dZ; dW += im2col(X)ᵀ·dZ; dX = col2im(dZ·Wᵀ).
  const F = g(geom, 5);
  dense_backward_dz_cols(db, dY, Y, N * g(geom, 3) * g(geom, 4), F, 0, F, act, alpha);
  conv_dw(dW, dY, X, scratch, geom, N, 0, F, true);
  if (dX != 0) conv_dx(dX, dY, W, scratch, geom, N, true);
}

export function conv2d_backward_scalar(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, Y: usize,
                                       scratch: usize, geom: usize, N: i32, act: i32, alpha: f32): void {
  // Same arguments. Bit-identical to conv2d_backward.
  const F = g(geom, 5);
  dense_backward_dz_cols_scalar(db, dY, Y, N * g(geom, 3) * g(geom, 4), F, 0, F, act, alpha);
  conv_dw(dW, dY, X, scratch, geom, N, 0, F, false);
  if (dX != 0) conv_dx(dX, dY, W, scratch, geom, N, false);
}

// The parts of conv2d_backward's thread split (after dense_backward_dz_cols has formed dZ by column ranges):
// dW by output-channel ranges (each part gathers every chunk itself), then dX by images (pointer offsets).

export function conv2d_backward_filter(dW: usize, dZ: usize, X: usize, scratch: usize, geom: usize, N: i32,
                                       j0: i32, j1: i32): void {
  // dW [KH,KW,C,F] (+=, columns j0..j1), dZ [N,OH,OW,F] (formed), X [N,H,W,C]: dW[:, j0:j1] += im2col(X)ᵀ·dZ.
  conv_dw(dW, dZ, X, scratch, geom, N, j0, j1, true);
}

export function conv2d_backward_filter_scalar(dW: usize, dZ: usize, X: usize, scratch: usize, geom: usize, N: i32,
                                              j0: i32, j1: i32): void {
  // Same arguments. Bit-identical to conv2d_backward_filter.
  conv_dw(dW, dZ, X, scratch, geom, N, j0, j1, false);
}

export function conv2d_backward_data(dX: usize, dZ: usize, W: usize, scratch: usize, geom: usize, N: i32): void {
  // dX [N,H,W,C] (written), dZ [N,OH,OW,F] (formed), W [KH,KW,C,F]: dX = col2im(dZ·Wᵀ).
  conv_dx(dX, dZ, W, scratch, geom, N, true);
}

export function conv2d_backward_data_scalar(dX: usize, dZ: usize, W: usize, scratch: usize, geom: usize,
                                            N: i32): void {
  // Same arguments. Bit-identical to conv2d_backward_data.
  conv_dx(dX, dZ, W, scratch, geom, N, false);
}

// ---- conv2d_transpose ----------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline
function convt_fwd(Y: usize, X: usize, W: usize, b: usize, scratch: usize, geom: usize, N: i32, act: i32, alpha: f32,
                   simd: bool): void {
  const H = g(geom, 0), Wd = g(geom, 1), C = g(geom, 2), OH = g(geom, 3), OW = g(geom, 4), F = g(geom, 5);
  const KH = g(geom, 6), KW = g(geom, 7);
  const K = KH * KW * F;
  const rows = N * H * Wd;
  if (pointwise(geom)) {
    if (simd) vk_nn_fused(Y, X, W, rows, C, F, act, b, alpha);
    else vk_nn_fused_scalar(Y, X, W, rows, C, F, act, b, alpha);
    return;
  }
  const R = chunk_rows(K);
  const K4 = (K + 3) & ~3;
  const SH = g(geom, 8), SW = g(geom, 9);
  if (convt_one_fits(C, F, SH, SW, KH, KW, R * K4)) {
    convt_one(Y, X, W, b, scratch, N, H, Wd, C, OH, OW, KH, KW, g(geom, 10), g(geom, 11), act, alpha, simd, R * K4);
    return;
  }
  if (convt_sub_fits(F, SH, SW, KH, KW, R * K4)) {
    convt_sub(Y, X, W, b, scratch, N, H, Wd, C, OH, OW, F, KH, KW, SH, SW, g(geom, 10), g(geom, 11), act, alpha, simd);
    return;
  }
  const out = N * OH * OW;
  if (simd) zero_f32s(Y, out * F);
  else for (let i = 0, n = out * F; i < n; i++) store<f32>(Y + (<usize>i << 2), 0);
  // K not a multiple of 4 (e.g. 3·3·1 = 9): W's rows padded with zeros to K4 columns after the chunk, so the GEMM
  // runs 4-wide tiles only (a leftover column would be a scalar chain); the padding is skipped by the scatter. Each of
  // the first K columns is summed exactly as without it.
  let Wm = W;
  if (K4 != K) {
    Wm = scratch + (<usize>R * <usize>K4 << 2);
    for (let c = 0; c < C; c++) {
      const dst = Wm + (<usize>c * <usize>K4 << 2);
      for (let j = 0; j < K4; j++) store<f32>(dst + (<usize>j << 2), j < K ? load<f32>(W + ((<usize>c * <usize>K + <usize>j) << 2)) : 0);
    }
  }
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    const x = X + (<usize>r * <usize>C << 2);
    if (simd) vk_nn_fused(scratch, x, Wm, cnt, C, K4, -1, 0, 0);
    else vk_nn_fused_scalar(scratch, x, Wm, cnt, C, K4, -1, 0, 0);
    col2im_add(Y, scratch, r, cnt, H, Wd, OH, OW, F, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11), K4 - K,
      simd);
  }
  if (simd) bias_act_pass(Y, b, out, F, act, alpha);
  else bias_act_rows(Y, b, out, F, act, alpha, false);
}

export function conv2d_transpose_forward(Y: usize, X: usize, W: usize, b: usize, scratch: usize, geom: usize, N: i32,
                                         act: i32, alpha: f32): void {
  // Y [N,OH,OW,F] (written), X [N,H,W,C], W [C,KH,KW,F], b [F], scratch [convScratchFloats], geom i32[16]:
  // Y = act(conv_transpose(X, W) + b).
  convt_fwd(Y, X, W, b, scratch, geom, N, act, alpha, true);
}

export function conv2d_transpose_forward_scalar(Y: usize, X: usize, W: usize, b: usize, scratch: usize, geom: usize,
                                                N: i32, act: i32, alpha: f32): void {
  // Same arguments. Bit-identical to conv2d_transpose_forward.
  convt_fwd(Y, X, W, b, scratch, geom, N, act, alpha, false);
}

/** dW[:, j0:j1] += Xᵀ·im2col(dZ)[:, j0:j1] chunk by chunk (columns of the [C, KH·KW·F] view). */
// @ts-ignore: decorator
@inline
function convt_dw(dW: usize, dZ: usize, X: usize, scratch: usize, geom: usize, N: i32, j0: i32, j1: i32,
                  simd: bool): void {
  const H = g(geom, 0), Wd = g(geom, 1), C = g(geom, 2), OH = g(geom, 3), OW = g(geom, 4), F = g(geom, 5);
  const KH = g(geom, 6), KW = g(geom, 7);
  const K = KH * KW * F;
  const rows = N * H * Wd;
  const R = chunk_rows(K);
  const pw = pointwise(geom);
  const SH = g(geom, 8), SW = g(geom, 9), PT = g(geom, 10), PL = g(geom, 11);
  if (!pw && thin_dw_fits(OH, OW, F, H, Wd, C, KH, KW, SH, SW, PT, PL, R * K)) {
    // thin dZ: dW [C, K], columns j0 … j1 of the thin side, every channel of X
    thin_dw(dW, 1, K, X, H, Wd, C, 0, C, dZ, OH, OW, F, KH, KW, SH, SW, PT, PL, j0, j1, scratch, N, simd);
    return;
  }
  const o = <usize>j0 << 2;
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    let bm = dZ + (<usize>r * <usize>F << 2);
    if (!pw) {
      im2col(scratch, dZ, r, cnt, H, Wd, OH, OW, F, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11));
      bm = scratch;
    }
    const x = X + (<usize>r * <usize>C << 2);
    if (simd) vk_tn(dW + o, x, bm + o, cnt, C, j1 - j0, K);
    else vk_tn_scalar(dW + o, x, bm + o, cnt, C, j1 - j0, K);
  }
}

/** dX = im2col(dZ)·Wᵀ on N images. */
// @ts-ignore: decorator
@inline
function convt_dx(dX: usize, dZ: usize, W: usize, scratch: usize, geom: usize, N: i32, simd: bool): void {
  const H = g(geom, 0), Wd = g(geom, 1), C = g(geom, 2), OH = g(geom, 3), OW = g(geom, 4), F = g(geom, 5);
  const KH = g(geom, 6), KW = g(geom, 7);
  const K = KH * KW * F;
  const rows = N * H * Wd;
  const R = chunk_rows(K);
  const pw = pointwise(geom);
  // Wᵀ [K, C] after the im2col chunk: im2col(dZ)·Wᵀ on the NN tiles
  const WT = scratch + (<usize>R * <usize>K << 2);
  transpose_f32(WT, W, C, K);
  // thin dZ (F < 4 channels: the last decoder layer's 28×28×1) and C a multiple of 8: windows read straight from a
  // zero-padded copy of each dZ image in the first R·K floats of scratch (Wᵀ lies after them), no im2col
  const SH = g(geom, 8), SW = g(geom, 9), PT = g(geom, 10), PL = g(geom, 11);
  if (simd && !pw && thin_fits(OH, OW, F, H, Wd, C, KH, KW, SH, SW, PT, PL, R * K)) {
    thin_direct(dX, dZ, WT, 0, scratch, N, OH, OW, F, H, Wd, C, KH, KW, SH, SW, PT, PL, -1, 0);
    return;
  }
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    let a = dZ + (<usize>r * <usize>F << 2);
    if (!pw) {
      im2col(scratch, dZ, r, cnt, H, Wd, OH, OW, F, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11));
      a = scratch;
    }
    const dx = dX + (<usize>r * <usize>C << 2);
    if (simd) vk_nn_fused(dx, a, WT, cnt, K, C, -1, 0, 0);
    else vk_nn_fused_scalar(dx, a, WT, cnt, K, C, -1, 0, 0);
  }
}

export function conv2d_transpose_backward(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize, Y: usize,
                                          scratch: usize, geom: usize, N: i32, act: i32, alpha: f32): void {
  // dX [N,H,W,C] (written unless dX == 0), dW [C,KH,KW,F] (+=), db [F] (+=), dY [N,OH,OW,F] (in: dL/dY, out: dZ),
  // X, W, Y (the forward output), scratch [convScratchFloats], geom i32[16].
  // dZ = dY ⊙ act′(Y); db += Σ dZ; dW += Xᵀ·im2col(dZ); dX = im2col(dZ)·Wᵀ.
  const F = g(geom, 5);
  dense_backward_dz_cols(db, dY, Y, N * g(geom, 3) * g(geom, 4), F, 0, F, act, alpha);
  convt_dw(dW, dY, X, scratch, geom, N, 0, g(geom, 6) * g(geom, 7) * F, true);
  if (dX != 0) convt_dx(dX, dY, W, scratch, geom, N, true);
}

export function conv2d_transpose_backward_scalar(dX: usize, dW: usize, db: usize, dY: usize, X: usize, W: usize,
                                                 Y: usize, scratch: usize, geom: usize, N: i32, act: i32,
                                                 alpha: f32): void {
  // Same arguments. Bit-identical to conv2d_transpose_backward.
  const F = g(geom, 5);
  dense_backward_dz_cols_scalar(db, dY, Y, N * g(geom, 3) * g(geom, 4), F, 0, F, act, alpha);
  convt_dw(dW, dY, X, scratch, geom, N, 0, g(geom, 6) * g(geom, 7) * F, false);
  if (dX != 0) convt_dx(dX, dY, W, scratch, geom, N, false);
}

export function conv2d_transpose_backward_filter(dW: usize, dZ: usize, X: usize, scratch: usize, geom: usize, N: i32,
                                                 j0: i32, j1: i32): void {
  // dW [C,KH,KW,F] (+=, columns j0..j1 of its [C, KH·KW·F] view), dZ [N,OH,OW,F] (formed), X [N,H,W,C].
  convt_dw(dW, dZ, X, scratch, geom, N, j0, j1, true);
}

export function conv2d_transpose_backward_filter_scalar(dW: usize, dZ: usize, X: usize, scratch: usize, geom: usize,
                                                        N: i32, j0: i32, j1: i32): void {
  // Same arguments. Bit-identical to conv2d_transpose_backward_filter.
  convt_dw(dW, dZ, X, scratch, geom, N, j0, j1, false);
}

export function conv2d_transpose_backward_data(dX: usize, dZ: usize, W: usize, scratch: usize, geom: usize,
                                               N: i32): void {
  // dX [N,H,W,C] (written), dZ [N,OH,OW,F] (formed), W [C,KH,KW,F]: dX = im2col(dZ)·Wᵀ.
  convt_dx(dX, dZ, W, scratch, geom, N, true);
}

export function conv2d_transpose_backward_data_scalar(dX: usize, dZ: usize, W: usize, scratch: usize, geom: usize,
                                                      N: i32): void {
  // Same arguments. Bit-identical to conv2d_transpose_backward_data.
  convt_dx(dX, dZ, W, scratch, geom, N, false);
}
