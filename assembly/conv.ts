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
//
// Summation order (what makes twins bit-identical and threads invisible):
//   - every GEMM element is summed in gemm.ts's orders (see there); taps outside the image contribute +0·w terms
//     in the forward (im2col zeros), which never change a running sum from +0 (it is never −0);
//   - dW: per chunk of chunk_rows(K) grid rows a sum from 0 in row order, added to dW chunk after chunk. The chunks
//     depend only on the geometry and N, never on how a call is split over threads;
//   - col2im scatter: the image is zeroed, then every value is added in grid-row order, then tap order (ky, kx),
//     then channel; a thread owns whole images, so their pixels receive the same adds in the same order;
//   - db (dense.ts's column pass): per output channel a sum from 0 over all N·OH·OW rows in order, then db += s.
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
        for (let j = 0; j < F; j += 8) {
          const jo = <usize>j << 2;
          thin_4x8(c + jo, o0, o1, o2, o3, rowBytes, KH, run, W + jo, ldb, ldb, b + jo, act, al);
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
  const out = N * OH * OW;
  if (simd) zero_f32s(Y, out * F);
  else for (let i = 0, n = out * F; i < n; i++) store<f32>(Y + (<usize>i << 2), 0);
  const R = chunk_rows(K);
  // K not a multiple of 4 (the last decoder layer: 3·3·1 = 9): W's rows padded with zeros to K4 columns after the
  // chunk, so the GEMM runs 4-wide tiles only (a leftover column would be a scalar chain); the padding is skipped by
  // the scatter. Each of the first K columns is summed exactly as without it.
  const K4 = (K + 3) & ~3;
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
