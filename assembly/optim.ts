// optim: optimizer steps and gradient-clipping helpers over one flat f32 parameter buffer.
//
// Hyperparameters arrive as f64; every derived constant (1 − β, lr/bias_correction1, 1 − lr·wd, −lr)
// is computed in f64 and rounded once to f32, as PyTorch does with Python floats. The per-element
// arithmetic is f32 in the order PyTorch's single-tensor implementations write it, and each SIMD
// kernel's `_scalar` twin performs the same operations in the same order (bit-identical results).
//
// Adam / AdamW (torch/optim/adam.py, _single_tensor_adam; amsgrad = maximize = False):
//   if wd ≠ 0:  decoupled: p = p·(1 − lr·wd)      else: g = g + wd·p
//   m = β1·m + (1 − β1)·g
//   v = β2·v + ((1 − β2)·g)·g
//   denom = sqrt(v) / bias_correction2_sqrt + eps
//   p = p + ((−lr/bias_correction1)·m) / denom           (addcdiv: self + value·t1 / t2)
//   with bias_correction1 = 1 − β1ᵗ and bias_correction2_sqrt = sqrt(1 − β2ᵗ) from the host (f64).
//   Note: current PyTorch writes the first moment as m.lerp_(g, 1 − β1); the value is the same up
//   to f32 rounding.
// SGD (torch/optim/sgd.py, _single_tensor_sgd; maximize = False):
//   d = g;  if wd ≠ 0: d = d + wd·p
//   if momentum ≠ 0:  buf = first_step ? d : momentum·buf + (1 − dampening)·d
//                     d = nesterov ? d + momentum·buf : buf
//   p = p + (−lr)·d
//   (buf is neither read nor written when momentum = 0; it may then be 0.)
// sum_squares (f64): x[i] is widened to f64 and squared exactly; squares go to accumulator
//   a[i mod 4] (i ascending), result (a0 + a2) + (a1 + a3). Same order in both twins.
// scale_inplace: x = x·s (s rounded to f32).  zero_f32: x = +0.  count_nonfinite: #{i: x[i] is ±Inf or NaN}.

export function adam_update(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64, decoupled: i32,
  bias_correction1: f64, bias_correction2_sqrt: f64,
): void {
  const useWd = weight_decay != 0;
  const dec = useWd && decoupled != 0;
  const l2 = useWd && decoupled == 0;
  const wdv = f32x4.splat(<f32>weight_decay);
  const decayv = f32x4.splat(<f32>(1.0 - lr * weight_decay));
  const b1v = f32x4.splat(<f32>beta1);
  const omb1v = f32x4.splat(<f32>(1.0 - beta1));
  const b2v = f32x4.splat(<f32>beta2);
  const omb2v = f32x4.splat(<f32>(1.0 - beta2));
  const bc2v = f32x4.splat(<f32>bias_correction2_sqrt);
  const epsv = f32x4.splat(<f32>eps);
  const nstepv = f32x4.splat(<f32>(-(lr / bias_correction1)));
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) {
    let p = v128.load(params + o);
    let g = v128.load(grads + o);
    if (dec) p = f32x4.mul(p, decayv);
    if (l2) g = f32x4.add(g, f32x4.mul(wdv, p));
    const mm = f32x4.add(f32x4.mul(b1v, v128.load(m + o)), f32x4.mul(omb1v, g));
    const vv = f32x4.add(f32x4.mul(b2v, v128.load(v + o)), f32x4.mul(f32x4.mul(omb2v, g), g));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vv), bc2v), epsv);
    v128.store(params + o, f32x4.add(p, f32x4.div(f32x4.mul(nstepv, mm), denom)));
  }
  if (o < (<usize>n << 2)) {
    adam_update_scalar(params + o, grads + o, m + o, v + o, n & 3, lr, beta1, beta2, eps, weight_decay, decoupled,
      bias_correction1, bias_correction2_sqrt);
  }
}

export function adam_update_scalar(
  params: usize, grads: usize, m: usize, v: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, weight_decay: f64, decoupled: i32,
  bias_correction1: f64, bias_correction2_sqrt: f64,
): void {
  const useWd = weight_decay != 0;
  const dec = useWd && decoupled != 0;
  const l2 = useWd && decoupled == 0;
  const wd = <f32>weight_decay;
  const decay = <f32>(1.0 - lr * weight_decay);
  const b1 = <f32>beta1;
  const omb1 = <f32>(1.0 - beta1);
  const b2 = <f32>beta2;
  const omb2 = <f32>(1.0 - beta2);
  const bc2 = <f32>bias_correction2_sqrt;
  const e = <f32>eps;
  const nstep = <f32>(-(lr / bias_correction1));
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    let p = load<f32>(params + o);
    let g = load<f32>(grads + o);
    if (dec) p = p * decay;
    if (l2) g = g + wd * p;
    const mm = b1 * load<f32>(m + o) + omb1 * g;
    const vv = b2 * load<f32>(v + o) + (omb2 * g) * g;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    const denom = sqrt<f32>(vv) / bc2 + e;
    store<f32>(params + o, p + (nstep * mm) / denom);
  }
}

export function sgd_update(
  params: usize, grads: usize, buf: usize, n: i32,
  lr: f64, momentum: f64, dampening: f64, weight_decay: f64, nesterov: i32, first_step: i32,
): void {
  const useWd = weight_decay != 0;
  const useMom = momentum != 0;
  const nest = nesterov != 0;
  const first = first_step != 0;
  const wdv = f32x4.splat(<f32>weight_decay);
  const momv = f32x4.splat(<f32>momentum);
  const omdv = f32x4.splat(<f32>(1.0 - dampening));
  const nlrv = f32x4.splat(<f32>(-lr));
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) {
    const p = v128.load(params + o);
    let d = v128.load(grads + o);
    if (useWd) d = f32x4.add(d, f32x4.mul(wdv, p));
    if (useMom) {
      let bf = d;
      if (!first) bf = f32x4.add(f32x4.mul(momv, v128.load(buf + o)), f32x4.mul(omdv, d));
      v128.store(buf + o, bf);
      d = nest ? f32x4.add(d, f32x4.mul(momv, bf)) : bf;
    }
    v128.store(params + o, f32x4.add(p, f32x4.mul(nlrv, d)));
  }
  if (o < (<usize>n << 2)) {
    sgd_update_scalar(params + o, grads + o, buf + o, n & 3, lr, momentum, dampening, weight_decay, nesterov, first_step);
  }
}

export function sgd_update_scalar(
  params: usize, grads: usize, buf: usize, n: i32,
  lr: f64, momentum: f64, dampening: f64, weight_decay: f64, nesterov: i32, first_step: i32,
): void {
  const useWd = weight_decay != 0;
  const useMom = momentum != 0;
  const nest = nesterov != 0;
  const first = first_step != 0;
  const wd = <f32>weight_decay;
  const mom = <f32>momentum;
  const omd = <f32>(1.0 - dampening);
  const nlr = <f32>(-lr);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(params + o);
    let d = load<f32>(grads + o);
    if (useWd) d = d + wd * p;
    if (useMom) {
      let bf = d;
      if (!first) bf = mom * load<f32>(buf + o) + omd * d;
      store<f32>(buf + o, bf);
      d = nest ? d + mom * bf : bf;
    }
    store<f32>(params + o, p + nlr * d);
  }
}

/** Σ x[i]² in f64, in the documented order (4 interleaved f64 accumulators). */
export function sum_squares(x: usize, n: i32): f64 {
  let acc01 = f64x2.splat(0.0);
  let acc23 = f64x2.splat(0.0);
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) {
    const v = v128.load(x + o);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    acc01 = f64x2.add(acc01, f64x2.mul(lo, lo));
    acc23 = f64x2.add(acc23, f64x2.mul(hi, hi));
  }
  let a0 = f64x2.extract_lane(acc01, 0);
  let a1 = f64x2.extract_lane(acc01, 1);
  let a2 = f64x2.extract_lane(acc23, 0);
  const a3 = f64x2.extract_lane(acc23, 1);
  const tail = <usize>n << 2;
  for (let lane = 0; o < tail; o += 4, lane++) {
    const d = <f64>load<f32>(x + o);
    if (lane == 0) a0 += d * d;
    else if (lane == 1) a1 += d * d;
    else a2 += d * d;
  }
  return (a0 + a2) + (a1 + a3);
}

export function sum_squares_scalar(x: usize, n: i32): f64 {
  let a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = <f64>load<f32>(x + (<usize>i << 2));
    const lane = i & 3;
    if (lane == 0) a0 += d * d;
    else if (lane == 1) a1 += d * d;
    else if (lane == 2) a2 += d * d;
    else a3 += d * d;
  }
  return (a0 + a2) + (a1 + a3);
}

export function scale_inplace(x: usize, n: i32, s: f64): void {
  const sf = <f32>s;
  const sv = f32x4.splat(sf);
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  const tail = <usize>n << 2;
  for (; o < tail; o += 4) store<f32>(x + o, load<f32>(x + o) * sf);
}

export function scale_inplace_scalar(x: usize, n: i32, s: f64): void {
  const sf = <f32>s;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * sf);
  }
}

export function zero_f32(x: usize, n: i32): void {
  const z = f32x4.splat(0.0);
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) v128.store(x + o, z);
  const tail = <usize>n << 2;
  for (; o < tail; o += 4) store<f32>(x + o, 0.0);
}

export function zero_f32_scalar(x: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(x + (<usize>i << 2), 0.0);
}

export function count_nonfinite(x: usize, n: i32): i32 {
  const expMask = i32x4.splat(0x7F800000);
  let acc = i32x4.splat(0);
  const end = <usize>(n & ~3) << 2;
  let o: usize = 0;
  for (; o < end; o += 16) {
    // a lane is non-finite iff its exponent bits are all ones; the mask lane is −1 then
    acc = i32x4.sub(acc, i32x4.eq(v128.and(v128.load(x + o), expMask), expMask));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  const tail = <usize>n << 2;
  for (; o < tail; o += 4) c += i32((load<u32>(x + o) & 0x7F800000) == 0x7F800000);
  return c;
}

export function count_nonfinite_scalar(x: usize, n: i32): i32 {
  let c = 0;
  for (let i = 0; i < n; i++) c += i32((load<u32>(x + (<usize>i << 2)) & 0x7F800000) == 0x7F800000);
  return c;
}
