// Module: the product of diagonal Gaussians over the members of each group — the accumulated-evidence posterior of
// Bouchacourt et al.'s multi-level VAE, q(C_G | X_G) ∝ Π_{i∈G} N(μ_i, σ_i²): precisions add, and the mean is the
// precision-weighted mean of the members' means,
//   1/σ_G² = Σ_i 1/σ_i²,   μ_G = σ_G² · Σ_i μ_i/σ_i²,   i.e. log σ_G² = −log Σ_i exp(−log σ_i²), μ_G = Σ_i w_i μ_i
// with w_i = (1/σ_i²) / Σ_j (1/σ_j²). Its gradient: ∂μ_G/∂μ_i = w_i, ∂log σ_G²/∂log σ_i² = w_i and
// ∂μ_G/∂log σ_i² = w_i (μ_G − μ_i). Group sizes are a batch's few hundred rows of a few dozen columns, so this runs in
// JavaScript, in float64 (a log-sum-exp over the precisions), rounded to f32 once per output.

/**
 * Where each group's rows start in a batch whose members of a group are adjacent (runs of equal ids), plus the end.
 *
 * @example
 * ```ts
 * runStarts([7, 7, 3, 3, 3, 7], 6); // [0, 2, 5, 6]
 * ```
 */
export function runStarts(ids: ArrayLike<number>, rows: number): number[] {
  const s = [0];
  for (let r = 1; r < rows; r++) if (ids[r] !== ids[r - 1]) s.push(r);
  s.push(rows);
  return s;
}

/**
 * The product of Gaussians of each group g (rows starts[g] … starts[g+1] − 1 of `src`, whose rows hold [μ | log σ²]
 * of C values each at column `col` of rows `stride` wide) into row g of `dst` ([μ_G | log σ²_G], rows `dstStride`
 * wide, at column `dstCol`).
 *
 * @example
 * ```ts
 * productOfGaussians(stats, 4, 0, [0, 2], 2, out, 4, 0); // two rows [μ1 μ2 | lv1 lv2] → their product
 * ```
 */
export function productOfGaussians(src: Float32Array, stride: number, col: number, starts: readonly number[], C: number,
  dst: Float32Array, dstStride: number, dstCol: number): void {
  for (let g = 0; g + 1 < starts.length; g++) {
    const a = starts[g], b = starts[g + 1];
    for (let j = 0; j < C; j++) {
      let m = -Infinity;
      for (let r = a; r < b; r++) m = Math.max(m, -src[r * stride + col + C + j]);
      let s = 0, sm = 0;
      for (let r = a; r < b; r++) {
        const p = Math.exp(-src[r * stride + col + C + j] - m);
        s += p;
        sm += p * src[r * stride + col + j];
      }
      dst[g * dstStride + dstCol + j] = sm / s;
      dst[g * dstStride + dstCol + C + j] = -(m + Math.log(s));
    }
  }
}

/**
 * The backward pass of `productOfGaussians`: given the gradient `gOut` of each group's [μ_G | log σ²_G] (rows of 2C
 * at `gStride`/`gCol`), ADDS the members' gradients into `gSrc` (laid out as `src`). `src` is the forward's input.
 *
 * @example
 * ```ts
 * productOfGaussiansBackward(stats, 4, 0, [0, 2], 2, gGroup, 4, 0, gStats); // gStats += ∂/∂stats
 * ```
 */
export function productOfGaussiansBackward(src: Float32Array, stride: number, col: number, starts: readonly number[], C: number,
  gOut: Float32Array | Float64Array, gStride: number, gCol: number, gSrc: Float32Array): void {
  for (let g = 0; g + 1 < starts.length; g++) {
    const a = starts[g], b = starts[g + 1];
    for (let j = 0; j < C; j++) {
      let m = -Infinity;
      for (let r = a; r < b; r++) m = Math.max(m, -src[r * stride + col + C + j]);
      let s = 0, sm = 0;
      for (let r = a; r < b; r++) {
        const p = Math.exp(-src[r * stride + col + C + j] - m);
        s += p;
        sm += p * src[r * stride + col + j];
      }
      const mu = sm / s;
      const gm = gOut[g * gStride + gCol + j], gl = gOut[g * gStride + gCol + C + j];
      for (let r = a; r < b; r++) {
        const w = Math.exp(-src[r * stride + col + C + j] - m) / s;
        gSrc[r * stride + col + j] += gm * w;
        gSrc[r * stride + col + C + j] += gl * w + gm * w * (mu - src[r * stride + col + j]);
      }
    }
  }
}

/**
 * The product-of-experts posterior of a multi-part model (Wu & Goodman's MVAE): per row, the standard normal prior
 * expert times the Gaussian expert of every part present there (mask[r·P + p] ≠ 0), q(z|x_O) ∝ N(0, I) Π_{p∈O} q_p(z|x_p).
 * `experts[p]` holds rows [μ | log σ²] of L values; `out` receives rows [μ | log σ²]. A missing part's expert is
 * ignored (it could be anything), so a row with no part present gets the prior.
 *
 * @example
 * ```ts
 * productOfExperts([top, bottom], mask, 2, 8, 16, out); // 8 rows, 16 latent dimensions
 * ```
 */
export function productOfExperts(experts: readonly Float32Array[], mask: Float32Array, P: number, rows: number, L: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < L; j++) {
      let m = 0; // the prior's log precision
      for (let p = 0; p < P; p++) if (mask[r * P + p] !== 0) m = Math.max(m, -experts[p][r * 2 * L + L + j]);
      let s = Math.exp(-m), sm = 0;
      for (let p = 0; p < P; p++) {
        if (mask[r * P + p] === 0) continue;
        const w = Math.exp(-experts[p][r * 2 * L + L + j] - m);
        s += w;
        sm += w * experts[p][r * 2 * L + j];
      }
      out[r * 2 * L + j] = sm / s;
      out[r * 2 * L + L + j] = 0 - (m + Math.log(s)); // +0 (not −0) for the prior alone
    }
  }
}

/**
 * The backward pass of `productOfExperts`: from the gradient `g` of its output rows [μ | log σ²], WRITES each
 * expert's gradient into `gExperts[p]` (zero where the part is missing: it gets no gradient).
 *
 * @example
 * ```ts
 * productOfExpertsBackward([top, bottom], mask, 2, 8, 16, gOut, [gTop, gBottom]);
 * ```
 */
export function productOfExpertsBackward(experts: readonly Float32Array[], mask: Float32Array, P: number, rows: number, L: number,
  g: Float32Array, gExperts: readonly Float32Array[]): void {
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < L; j++) {
      let m = 0;
      for (let p = 0; p < P; p++) if (mask[r * P + p] !== 0) m = Math.max(m, -experts[p][r * 2 * L + L + j]);
      let s = Math.exp(-m), sm = 0;
      for (let p = 0; p < P; p++) {
        if (mask[r * P + p] === 0) continue;
        const w = Math.exp(-experts[p][r * 2 * L + L + j] - m);
        s += w;
        sm += w * experts[p][r * 2 * L + j];
      }
      const mu = sm / s, gm = g[r * 2 * L + j], gl = g[r * 2 * L + L + j];
      for (let p = 0; p < P; p++) {
        const i = r * 2 * L + j;
        if (mask[r * P + p] === 0) {
          gExperts[p][i] = 0;
          gExperts[p][i + L] = 0;
          continue;
        }
        const w = Math.exp(-experts[p][i + L] - m) / s;
        gExperts[p][i] = gm * w;
        gExperts[p][i + L] = gl * w + gm * w * (mu - experts[p][i]);
      }
    }
  }
}
