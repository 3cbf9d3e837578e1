// The kernel calls of KernelExports, split over a pool's threads so that every output element is computed by
// exactly the operations the single-threaded kernel gives it (bit-identical results for any thread count):
// dense forward by rows; dense backward by output columns (dZ, db, dW), then dX by rows — the sparse first layer:
// dZ and db by columns, then dW by rows, so that each part lists the nonzeros of its own columns of X only;
// likelihood and KL losses by rows (per-row losses, summed by the caller as before); optimizer updates and
// elementwise maps by element ranges aligned to 4 (also zeroing and scaling the gradient, counting non-finite
// values, drawing normals). Everything else runs on the caller's thread (e.g. the gradient's squared norm, a
// reduction whose order must not change). Calls too small to pay for a dispatch run whole on the caller's thread
// (same results either way).
import type { KernelExports, MtKernelExports } from "../kernels.js";
import { KERNEL_SPLITS, WORKER_KERNELS, type KernelSplit } from "../kernels.generated.js";
import type { Pool } from "./pool.js";

// The job table and the shared-memory build's extra exports are generated from the kernel registry
// (assembly/registry.mjs), as is KERNEL_SPLITS: which of the splits below runs each kernel.
export { WORKER_KERNELS, type MtKernelExports };

type Op = (typeof WORKER_KERNELS)[number];
const OP = Object.fromEntries(WORKER_KERNELS.map((n, i) => [n, i])) as Record<Op, number>;
type Kernel = (...a: number[]) => unknown;

/** Smallest work worth a dispatch: multiply-adds of a GEMM, elements of an elementwise pass. */
export interface SplitThresholds {
  gemm: number;
  elements: number;
}
export const DEFAULT_THRESHOLDS: SplitThresholds = { gemm: 1 << 17, elements: 1 << 14 };

/**
 * Boundaries [0, b1, …, n] of at most `parts` non-empty ranges covering [0, n), each starting at a multiple of
 * `align`, as even as that allows.
 */
export function ranges(n: number, parts: number, align: number): number[] {
  const units = Math.ceil(n / align);
  const p = Math.max(1, Math.min(parts, units));
  const b = [0];
  for (let i = 1; i < p; i++) b.push(align * Math.floor((i * units) / p));
  b.push(n);
  return b;
}

/** Column ranges of the backward start on 8-column strips (the GEMM's tile width), or on 4 for narrow layers (the
 *  40 columns of a 20-dimensional latent head split 20 + 20, not 16 + 24). */
const colAlign = (N: number): number => (N >= 64 ? 8 : 4);

/** KernelExports whose heavy calls run on every thread of `pool` (the exports' own instance is the caller's). */
export function parallelKernels(k: MtKernelExports, pool: Pool, min: SplitThresholds = DEFAULT_THRESHOLDS): KernelExports {
  const n = pool.threads;
  /** Jobs per split call. */
  const J = pool.maxJobs;
  const call = (op: string): Kernel => k[op as keyof MtKernelExports] as Kernel;

  /**
   * Runs op on each range of `b` (a job each; at most pool.maxJobs): the caller runs its share of the jobs (the
   * first ⌊J/threads⌋), then any a worker has not started, from the back. Returns what each job's call returned, in
   * job order (counts; undefined for kernels without a result).
   */
  function run(op: Op, b: number[], args: (lo: number, hi: number, part: number) => number[]): unknown[] {
    const parts = b.length - 1;
    const fn = call(op);
    if (parts === 1) return [fn(...args(b[0], b[1], 0))];
    // each job: [kernel number, arguments…] as posted; the caller calls with a fixed argument list, no spread
    const jobs: number[][] = [];
    for (let j = 0; j < parts; j++) jobs.push([OP[op], ...args(b[j], b[j + 1], j)]);
    pool.post(jobs);
    const out: unknown[] = [];
    const take = (j: number): void => {
      if (!pool.claim(j)) return;
      const a = jobs[j];
      try {
        out[j] = fn(a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14]);
      } finally {
        pool.done();
      }
    };
    try {
      const own = Math.floor(parts / n);
      for (let j = 0; j < own; j++) take(j);
      for (let j = parts - 1; j >= own; j--) take(j);
    } finally {
      pool.wait();
    }
    for (let j = 0; j < parts; j++) if (!(j in out)) out[j] = pool.result(j);
    return out;
  }

  /** Element ranges aligned to 4 of a kernel whose `lead` pointer arguments come first, then the element count:
   *  each part's pointers move to its first element (a 0 pointer stays 0), the count becomes its length. */
  const elementArgs = (a: number[], lead: number, i0: number, i1: number): number[] =>
    a.map((v, i) => (i < lead ? v && v + i0 * 4 : i === lead ? i1 - i0 : v));

  // ---- convolution and batch norm (assembly/conv.ts, batchnorm.ts; docs/ABI.md "Convolution", "Batch norm") ----
  // Conv calls read their geometry from wasm memory (geom: H, W, C, OH, OW, F, KH, KW, …). Each part gets its own
  // im2col chunk of scratch (the caller allocates convScratchFloats(geometry, threads)), so at most `n` parts run.
  // Forward: whole images per part (pointer offsets; a forward output never depends on the chunking). Backward:
  // dZ and db by column ranges (dense_backward_dz_cols), then dW by column ranges — every part walks all the rows in
  // the same chunks, so each dW element gets the same sums in the same order — then dX by whole images (a scatter
  // only touches its own image's pixels, in grid-row order). Batch norm: channel ranges (statistics are per channel,
  // summed in row order), the eval forward by rows.
  const geomOf = (geom: number): Int32Array => new Int32Array(k.memory.buffer, geom, 16).slice();
  /** Floats of one part's scratch (src/runtime/conv.ts, convGeometry): the chunk, then the weights' room. */
  const convPart = (op: string, K: number, g: Int32Array): number =>
    (Math.max(4, Math.floor(32768 / K) & ~3) + (op.startsWith("conv2d_transpose") ? g[2] : g[5])) * ((K + 3) & ~3);
  /** [K of the im2col matrix, grid rows per image, input floats per image, output floats per image, madds per image]. */
  const convSizes = (op: string, g: Int32Array): number[] => {
    const [H, W, C, OH, OW, F, KH, KW] = g;
    const t = op.startsWith("conv2d_transpose");
    const grid = t ? H * W : OH * OW;
    return [KH * KW * (t ? F : C), grid, H * W * C, OH * OW * F, grid * KH * KW * C * F];
  };
  const convParts = (N: number, madds: number): number => (N * madds < min.gemm ? 1 : Math.min(n, N));
  /**
   * The splits the registry names (KERNEL_SPLITS): each makes the threaded version of kernel `op`, whose first
   * `lead` parameters are pointers. The generic ones (elements, elements_sum, row_loss) serve any kernel with their
   * argument layout (scripts/gen-kernels.mjs checks it); the others are one kernel's own.
   */
  const SPLITS: Record<KernelSplit, (op: string, lead: number) => Kernel> = {
    elements: (op, lead) => (...a) => {
      if (a[lead] < min.elements) return call(op)(...a);
      run(op as Op, ranges(a[lead], J, 4), (i0, i1) => elementArgs(a, lead, i0, i1));
    },

    /** A count over element ranges (any split gives the same total). */
    elements_sum: (op, lead) => (...a) => {
      if (a[lead] < min.elements) return call(op)(...a);
      return (run(op as Op, ranges(a[lead], J, 4), (i0, i1) => elementArgs(a, lead, i0, i1)) as number[])
        .reduce((s, v) => s + v, 0);
    },

    /** A row-split loss kernel: (gradient [B, D] or 0, losses [B], output [B, D], data [B, D], B, D, scalars…). */
    row_loss: (op) => (g, losses, a, x, B, D, ...s) => {
      const row = D * 4;
      if (B * D < min.elements) return void call(op)(g, losses, a, x, B, D, ...s);
      run(op as Op, ranges(B, J, 1), (r0, r1) => [g && g + r0 * row, losses + r0 * 4, a + r0 * row, x + r0 * row, r1 - r0, D, ...s]);
    },

    // stats and dstats rows are [μ | log σ²], 2L wide
    kl_rows: () => (dstats, losses, stats, B, L, scale) => {
      const row = 2 * L * 4;
      if (B * 2 * L < min.elements) return k.kl_normal_loss(dstats, losses, stats, B, L, scale);
      run("kl_normal_loss", ranges(B, J, 1), (r0, r1) => [dstats && dstats + r0 * row, losses + r0 * 4, stats + r0 * row, r1 - r0, L, scale]);
    },

    dense_rows: () => (Y, X, W, b, M, K, N, act, alpha) => {
      if (M * K * N < min.gemm) return k.dense_forward(Y, X, W, b, M, K, N, act, alpha);
      run("dense_forward", ranges(M, J, 4), (r0, r1) => [Y + r0 * N * 4, X + r0 * K * 4, W, b, r1 - r0, K, N, act, alpha]);
    },

    sparse_x_forward: () => (Y, X, W, b, scratch, M, K, N, act, alpha) => {
      if (M * K * N < min.gemm) return k.dense_forward_sparse_x(Y, X, W, b, scratch, M, K, N, act, alpha);
      const path = k.dense_sparse_x_path(X, M, K, 0);
      // part i's scratch (2·rows·K + rows + 1 words) follows the earlier parts': 2·r0·K + r0 + i words in
      run("dense_forward_sparse_x_path", ranges(M, J, 4), (r0, r1, i) =>
        [Y + r0 * N * 4, X + r0 * K * 4, W, b, scratch + (2 * r0 * K + r0 + i) * 4, r1 - r0, K, N, act, alpha, path]);
      return path;
    },

    dense_backward: () => (dX, dW, db, dY, X, W, Y, M, K, N, act, alpha) => {
      if (M * K * N < min.gemm) return k.dense_backward(dX, dW, db, dY, X, W, Y, M, K, N, act, alpha);
      run("dense_backward_cols", ranges(N, J, colAlign(N)), (n0, n1) => [dW, db, dY, X, Y, 0, M, K, N, n0, n1, act, alpha, 0]);
      if (dX !== 0) {
        run("dense_backward_input", ranges(M, J, 2), (r0, r1) => [dX + r0 * K * 4, dY + r0 * N * 4, W, r1 - r0, K, N]);
      }
    },

    sparse_x_backward: () => (dW, db, dY, X, Y, scratch, M, K, N, act, alpha) => {
      if (M * K * N < min.gemm) return k.dense_backward_sparse_x(dW, db, dY, X, Y, scratch, M, K, N, act, alpha);
      const path = k.dense_sparse_x_path(X, M, K, 1);
      // 5·M words of scratch per part, within the sparseInputScratch(M, K) words the caller has
      const parts = Math.min(J, Math.floor((M * (2 * K + 5) + 1) / (5 * M)));
      if (path === 0) {
        run("dense_backward_cols", ranges(N, parts, colAlign(N)), (n0, n1) => [dW, db, dY, X, Y, 0, M, K, N, n0, n1, act, alpha, 0]);
        return path;
      }
      // sparse: dZ and db by columns, then dW by rows (blocks of 4 of X's columns, each listed by one part only)
      run("dense_backward_dz_cols", ranges(N, J, 4), (n0, n1) => [db, dY, Y, M, N, n0, n1, act, alpha]);
      run("dense_backward_rows_sparse_x", ranges(K, parts, 4), (k0, k1, i) => [dW, dY, X, scratch + i * 5 * M * 4, M, K, N, k0, k1]);
      return path;
    },

    // normals by blocks of 4 (Philox is counter-based: part i starts at block ctr + i0/4, carried into ctr1); a
    // normal costs about as much as 16 elementwise operations
    philox_blocks: () => (out, c, key0, key1, ctr0, ctr1) => {
      if (16 * c < min.elements) return k.rng_normal(out, c, key0, key1, ctr0, ctr1);
      run("rng_normal", ranges(c, J, 4), (i0, i1) => {
        const lo = (ctr0 >>> 0) + i0 / 4;
        return [out + i0 * 4, i1 - i0, key0, key1, lo % 2 ** 32, ((ctr1 >>> 0) + Math.floor(lo / 2 ** 32)) % 2 ** 32];
      });
    },

    // ---- convolution and batch norm (helpers above SPLITS) ----
    conv_images: (op: string) => (Y: number, X: number, W: number, b: number, scratch: number, geom: number, N: number, act: number, alpha: number) => {
      const g = geomOf(geom);
      const [K, , inF, outF, madds] = convSizes(op, g);
      const parts = convParts(N, madds);
      if (parts === 1) return call(op)(Y, X, W, b, scratch, geom, N, act, alpha);
      const P = convPart(op, K, g);
      run(op as Op, ranges(N, parts, 1), (n0, n1, i) => [Y + n0 * outF * 4, X + n0 * inF * 4, W, b, scratch + i * P * 4, geom, n1 - n0, act, alpha]);
    },
    conv_backward: (op: string) => (dX: number, dW: number, db: number, dY: number, X: number, W: number, Y: number, scratch: number, geom: number, N: number, act: number, alpha: number) => {
      const g = geomOf(geom);
      const [K, grid, inF, , madds] = convSizes(op, g);
      const F = g[5];
      const parts = convParts(N, madds);
      if (parts === 1) return call(op)(dX, dW, db, dY, X, W, Y, scratch, geom, N, act, alpha);
      const P = convPart(op, K, g);
      const transpose = op === "conv2d_transpose_backward";
      run("dense_backward_dz_cols", ranges(F, parts, 4), (n0, n1) => [db, dY, Y, N * g[3] * g[4], F, n0, n1, act, alpha]);
      // dW's columns: F of [K, F] (conv2d), K of [C, K] (transposed)
      const cols = transpose ? K : F;
      const filter = transpose ? "conv2d_transpose_backward_filter" : "conv2d_backward_filter";
      run(filter as Op, ranges(cols, Math.min(parts, Math.ceil(cols / 4)), cols >= 64 ? 8 : 4), (j0, j1, i) => [dW, dY, X, scratch + i * P * 4, geom, N, j0, j1]);
      if (dX !== 0) {
        const data = transpose ? "conv2d_transpose_backward_data" : "conv2d_backward_data";
        run(data as Op, ranges(N, parts, 1), (n0, n1, i) => [dX + n0 * inF * 4, dY + n0 * g[3] * g[4] * F * 4, W, scratch + i * P * 4, geom, n1 - n0]);
      }
    },
    // the same split: the kernel's name says which dW columns and parts it runs
    conv_transpose_backward: (op: string, lead: number) => SPLITS.conv_backward(op, lead),
    batchnorm_train_channels: (op: string) => (Y: number, mean: number, invstd: number, X: number, gamma: number, beta: number, rmean: number, rvar: number, R: number, C: number, ld: number, eps: number, momentum: number) => {
      if (R * C < min.elements || C < 4) return call(op)(Y, mean, invstd, X, gamma, beta, rmean, rvar, R, C, ld, eps, momentum);
      run(op as Op, ranges(C, Math.min(n, C >> 1), 2), (c0, c1) => [Y + c0 * 4, mean + c0 * 8, invstd + c0 * 8, X + c0 * 4,
        gamma && gamma + c0 * 4, beta && beta + c0 * 4, rmean && rmean + c0 * 4, rvar && rvar + c0 * 4, R, c1 - c0, ld, eps, momentum]);
    },
    batchnorm_rows: (op: string) => (Y: number, X: number, gamma: number, beta: number, rmean: number, rvar: number, R: number, C: number, ld: number, eps: number) => {
      if (R * C < min.elements) return call(op)(Y, X, gamma, beta, rmean, rvar, R, C, ld, eps);
      run(op as Op, ranges(R, J, 1), (r0, r1) => [Y + r0 * ld * 4, X + r0 * ld * 4, gamma, beta, rmean, rvar, r1 - r0, C, ld, eps]);
    },
    batchnorm_backward_channels: (op: string) => (dX: number, dgamma: number, dbeta: number, dY: number, X: number, mean: number, invstd: number, gamma: number, R: number, C: number, ld: number) => {
      if (R * C < min.elements || C < 4) return call(op)(dX, dgamma, dbeta, dY, X, mean, invstd, gamma, R, C, ld);
      run(op as Op, ranges(C, Math.min(n, C >> 1), 2), (c0, c1) => [dX && dX + c0 * 4, dgamma && dgamma + c0 * 4, dbeta && dbeta + c0 * 4,
        dY + c0 * 4, X + c0 * 4, mean + c0 * 8, invstd + c0 * 8, gamma && gamma + c0 * 4, R, c1 - c0, ld]);
    },
  };

  const split: Record<string, unknown> = { ...k };
  for (const [name, kind, lead] of KERNEL_SPLITS) split[name] = SPLITS[kind](name, lead);
  return split as unknown as KernelExports;
}
