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

import { gemm_nt_f32x4, gemm_nt_scalar } from "./gemm";
import { dense_backward_dz_cols, dense_backward_dz_cols_scalar } from "./dense";

/** Floats of im2col scratch one chunk aims at (128 KB: a chunk's rows stay in L2 while the GEMM's column strips
 *  pass over them). */
// @ts-ignore: decorator
@inline const CHUNK_FLOATS: i32 = 32768;

/** Rows per chunk for an im2col matrix of K columns: ⌊32768 / K⌋ rounded down to a multiple of 4, at least 4.
 *  src/runtime/conv.ts (convScratchFloats) computes the same. */
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

/** col2im: adds src [cnt, KH·KW·IC] (rows r0 … of the grid, columns (ky, kx, c)) into `img` at the pixels the taps
 *  meet, dropping taps outside the image; adds in row, then tap, then channel order. `simd`: four channels per
 *  f32x4 add (lane i ≡ the scalar add of channel i). */
// @ts-ignore: decorator
@inline
function col2im_add(img: usize, src: usize, r0: i32, cnt: i32, GH: i32, GW: i32, IH: i32, IW: i32, IC: i32,
                    KH: i32, KW: i32, SH: i32, SW: i32, PT: i32, PL: i32, simd: bool): void {
  const per = GH * GW;
  const imgStride = <usize>IH * <usize>IW * <usize>IC << 2;
  const rowBytes = <usize>IW * <usize>IC << 2;
  const pixBytes = <usize>IC << 2;
  const IC4 = simd ? IC & ~3 : 0;
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
      for (let kx = 0; kx < KW; kx++) {
        const ix = x0 + kx;
        if (ix >= 0 && ix < IW) {
          const p = prow + <usize>ix * pixBytes;
          let c = 0;
          for (; c < IC4; c += 4) {
            const o = <usize>c << 2;
            v128.store(p + o, f32x4.add(v128.load(p + o), v128.load(s + o)));
          }
          for (; c < IC; c++) {
            const o = <usize>c << 2;
            store<f32>(p + o, load<f32>(p + o) + load<f32>(s + o));
          }
        }
        s += pixBytes;
      }
    }
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
  if (pointwise(geom)) {
    if (simd) gemm_nt_f32x4(dX, dZ, W, rows, K, F);
    else gemm_nt_scalar(dX, dZ, W, rows, K, F);
    return;
  }
  if (simd) zero_f32s(dX, N * H * Wd * C);
  else for (let i = 0, n = N * H * Wd * C; i < n; i++) store<f32>(dX + (<usize>i << 2), 0);
  const R = chunk_rows(K);
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    const dz = dZ + (<usize>r * <usize>F << 2);
    if (simd) gemm_nt_f32x4(scratch, dz, W, cnt, K, F);
    else gemm_nt_scalar(scratch, dz, W, cnt, K, F);
    col2im_add(dX, scratch, r, cnt, OH, OW, H, Wd, C, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11),
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
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    const x = X + (<usize>r * <usize>C << 2);
    if (simd) vk_nn_fused(scratch, x, W, cnt, C, K, -1, 0, 0);
    else vk_nn_fused_scalar(scratch, x, W, cnt, C, K, -1, 0, 0);
    col2im_add(Y, scratch, r, cnt, H, Wd, OH, OW, F, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11), simd);
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
  for (let r = 0; r < rows; r += R) {
    const cnt = min(R, rows - r);
    let a = dZ + (<usize>r * <usize>F << 2);
    if (!pw) {
      im2col(scratch, dZ, r, cnt, H, Wd, OH, OW, F, KH, KW, g(geom, 8), g(geom, 9), g(geom, 10), g(geom, 11));
      a = scratch;
    }
    const dx = dX + (<usize>r * <usize>C << 2);
    if (simd) gemm_nt_f32x4(dx, a, W, cnt, C, K);
    else gemm_nt_scalar(dx, a, W, cnt, C, K);
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
