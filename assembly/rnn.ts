// rnn.ts — the elementwise halves of PyTorch's GRU and LSTM cells, forward and backward through one step, and the
// small row kernels a recurrent model needs (column concatenation, row masks, the KL between two diagonal Gaussians).
//
// A cell step is two dense_forward GEMMs on the register-blocked tiles (gi = x·W_ih + b_ih, gh = h·W_hh + b_hh, with
// W stored [in, G·H], the transpose of PyTorch's weight_ih / weight_hh) and one of the kernels here, which fuses the
// gate nonlinearities and the state update. Gate order is PyTorch's: GRU (r, z, n), LSTM (i, f, g, o).
//
//   GRU   r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r·gh_n), h = n + z·(h₋ − n)   (ATen's CPU form)
//   LSTM  i, f, o = σ(gi + gh), g = tanh(gi_g + gh_g), c = f·c₋ + i·g, h = o·tanh(c)
//
// `mask` (0 = none) holds one f32 per row: a row whose mask is 0 is a padded step of a shorter sequence, and the
// cell copies its state (h = h₋, c = c₋) and passes its gradient straight through. Each kernel works row by row and
// writes only its own rows, so a split of the batch by rows gives the same bits for any thread count.
//
// Twins: every SIMD kernel has a `_scalar` twin doing the same f32 operations in the same order per element
// (sigmoid and tanh are gemm.ts's vk_act_vec / vk_act_f32, themselves bit-identical lane by lane).

// @ts-ignore: decorator
@inline const ACT_TANH = 3;
// @ts-ignore: decorator
@inline const ACT_SIGMOID = 4;

// @ts-ignore: decorator
@inline
function masked(mask: usize, b: i32): bool {
  return mask != 0 && load<f32>(mask + (<usize>b << 2)) == 0;
}

// ------------------------------------------------------------------------------------------------ GRU

export function gru_cell_forward(h: usize, gates: usize, gi: usize, gh: usize, hprev: usize, mask: usize,
                                 B: i32, H: i32): void {
  // h [B,H] (written), gates [B,3H] (written: r | z | n), gi, gh [B,3H] (pre-activations of x and h₋ with their
  // biases), hprev [B,H]. Padded rows: h = h₋ (gates left as they were).
  const al = f32x4.splat(0);
  const H4 = H & ~3;
  const row = <usize>H << 2, row3 = row * 3;
  for (let b = 0; b < B; b++) {
    const pi = gi + <usize>b * row3, ph = gh + <usize>b * row3, pg = gates + <usize>b * row3;
    const pp = hprev + <usize>b * row, po = h + <usize>b * row;
    if (masked(mask, b)) {
      memory.copy(po, pp, row);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>j << 2;
      const r = vk_act_vec(f32x4.add(v128.load(pi + o), v128.load(ph + o)), ACT_SIGMOID, al);
      const z = vk_act_vec(f32x4.add(v128.load(pi + row + o), v128.load(ph + row + o)), ACT_SIGMOID, al);
      const n = vk_act_vec(f32x4.add(v128.load(pi + 2 * row + o), f32x4.mul(r, v128.load(ph + 2 * row + o))), ACT_TANH, al);
      const hp = v128.load(pp + o);
      v128.store(po + o, f32x4.add(n, f32x4.mul(z, f32x4.sub(hp, n))));
      v128.store(pg + o, r);
      v128.store(pg + row + o, z);
      v128.store(pg + 2 * row + o, n);
    }
    for (; j < H; j++) gru_forward_one(pi, ph, pg, pp, po, row, <usize>j << 2);
  }
}

// @ts-ignore: decorator
@inline
function gru_forward_one(pi: usize, ph: usize, pg: usize, pp: usize, po: usize, row: usize, o: usize): void {
  const r = vk_act_f32(load<f32>(pi + o) + load<f32>(ph + o), ACT_SIGMOID, 0);
  const z = vk_act_f32(load<f32>(pi + row + o) + load<f32>(ph + row + o), ACT_SIGMOID, 0);
  const n = vk_act_f32(load<f32>(pi + 2 * row + o) + r * load<f32>(ph + 2 * row + o), ACT_TANH, 0);
  const hp = load<f32>(pp + o);
  store<f32>(po + o, n + z * (hp - n));
  store<f32>(pg + o, r);
  store<f32>(pg + row + o, z);
  store<f32>(pg + 2 * row + o, n);
}

export function gru_cell_forward_scalar(h: usize, gates: usize, gi: usize, gh: usize, hprev: usize, mask: usize,
                                        B: i32, H: i32): void {
  // Bit-identical to gru_cell_forward.
  const row = <usize>H << 2, row3 = row * 3;
  for (let b = 0; b < B; b++) {
    const pi = gi + <usize>b * row3, ph = gh + <usize>b * row3, pg = gates + <usize>b * row3;
    const pp = hprev + <usize>b * row, po = h + <usize>b * row;
    if (masked(mask, b)) {
      for (let j = 0; j < H; j++) store<f32>(po + (<usize>j << 2), load<f32>(pp + (<usize>j << 2)));
      continue;
    }
    for (let j = 0; j < H; j++) gru_forward_one(pi, ph, pg, pp, po, row, <usize>j << 2);
  }
}

export function gru_cell_backward(dgi: usize, dgh: usize, dhprev: usize, dh: usize, gates: usize, gh: usize,
                                  hprev: usize, mask: usize, B: i32, H: i32): void {
  // dgi, dgh [B,3H] (written: the gradients of the two pre-activations), dhprev [B,H] (+= the direct path z·dh;
  // the W_hh path is dense_backward's on dgh), dh [B,H] (dL/dh), gates [B,3H] (r | z | n), gh [B,3H], hprev [B,H].
  //   dn = dh·(1 − z)·(1 − n²); dz = dh·(h₋ − n)·z·(1 − z); dr = dn·gh_n·r·(1 − r)
  //   dgi = [dr | dz | dn], dgh = [dr | dz | dn·r]. Padded rows: dgi = dgh = 0, dhprev += dh.
  const one = f32x4.splat(1);
  const H4 = H & ~3;
  const row = <usize>H << 2, row3 = row * 3;
  for (let b = 0; b < B; b++) {
    const pg = gates + <usize>b * row3, ph = gh + <usize>b * row3;
    const di = dgi + <usize>b * row3, dg = dgh + <usize>b * row3;
    const pp = hprev + <usize>b * row, pd = dh + <usize>b * row, pdp = dhprev + <usize>b * row;
    if (masked(mask, b)) {
      memory.fill(di, 0, row3);
      memory.fill(dg, 0, row3);
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 2;
        store<f32>(pdp + o, load<f32>(pdp + o) + load<f32>(pd + o));
      }
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>j << 2;
      const r = v128.load(pg + o), z = v128.load(pg + row + o), n = v128.load(pg + 2 * row + o);
      const d = v128.load(pd + o), hp = v128.load(pp + o);
      const dn = f32x4.mul(f32x4.mul(d, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dz = f32x4.mul(f32x4.mul(d, f32x4.sub(hp, n)), f32x4.mul(z, f32x4.sub(one, z)));
      const dr = f32x4.mul(f32x4.mul(dn, v128.load(ph + 2 * row + o)), f32x4.mul(r, f32x4.sub(one, r)));
      v128.store(di + o, dr);
      v128.store(di + row + o, dz);
      v128.store(di + 2 * row + o, dn);
      v128.store(dg + o, dr);
      v128.store(dg + row + o, dz);
      v128.store(dg + 2 * row + o, f32x4.mul(dn, r));
      v128.store(pdp + o, f32x4.add(v128.load(pdp + o), f32x4.mul(d, z)));
    }
    for (; j < H; j++) gru_backward_one(pg, ph, di, dg, pp, pd, pdp, row, <usize>j << 2);
  }
}

// @ts-ignore: decorator
@inline
function gru_backward_one(pg: usize, ph: usize, di: usize, dg: usize, pp: usize, pd: usize, pdp: usize, row: usize,
                          o: usize): void {
  const r = load<f32>(pg + o), z = load<f32>(pg + row + o), n = load<f32>(pg + 2 * row + o);
  const d = load<f32>(pd + o), hp = load<f32>(pp + o);
  const dn = (d * (<f32>1 - z)) * (<f32>1 - n * n);
  const dz = (d * (hp - n)) * (z * (<f32>1 - z));
  const dr = (dn * load<f32>(ph + 2 * row + o)) * (r * (<f32>1 - r));
  store<f32>(di + o, dr);
  store<f32>(di + row + o, dz);
  store<f32>(di + 2 * row + o, dn);
  store<f32>(dg + o, dr);
  store<f32>(dg + row + o, dz);
  store<f32>(dg + 2 * row + o, dn * r);
  store<f32>(pdp + o, load<f32>(pdp + o) + d * z);
}

export function gru_cell_backward_scalar(dgi: usize, dgh: usize, dhprev: usize, dh: usize, gates: usize, gh: usize,
                                         hprev: usize, mask: usize, B: i32, H: i32): void {
  // Bit-identical to gru_cell_backward.
  const row = <usize>H << 2, row3 = row * 3;
  for (let b = 0; b < B; b++) {
    const pg = gates + <usize>b * row3, ph = gh + <usize>b * row3;
    const di = dgi + <usize>b * row3, dg = dgh + <usize>b * row3;
    const pp = hprev + <usize>b * row, pd = dh + <usize>b * row, pdp = dhprev + <usize>b * row;
    if (masked(mask, b)) {
      for (let j = 0; j < 3 * H; j++) {
        store<f32>(di + (<usize>j << 2), 0);
        store<f32>(dg + (<usize>j << 2), 0);
      }
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 2;
        store<f32>(pdp + o, load<f32>(pdp + o) + load<f32>(pd + o));
      }
      continue;
    }
    for (let j = 0; j < H; j++) gru_backward_one(pg, ph, di, dg, pp, pd, pdp, row, <usize>j << 2);
  }
}

// ------------------------------------------------------------------------------------------------ LSTM

export function lstm_cell_forward(h: usize, c: usize, gates: usize, gi: usize, gh: usize, hprev: usize, cprev: usize,
                                  mask: usize, B: i32, H: i32): void {
  // h, c [B,H] (written), gates [B,4H] (written: i | f | g | o, activated), gi, gh [B,4H], hprev, cprev [B,H].
  // c = f·c₋ + i·g; h = o·tanh(c). Padded rows: h = h₋, c = c₋.
  const al = f32x4.splat(0);
  const H4 = H & ~3;
  const row = <usize>H << 2, row4 = row << 2;
  for (let b = 0; b < B; b++) {
    const pi = gi + <usize>b * row4, ph = gh + <usize>b * row4, pg = gates + <usize>b * row4;
    const pc = cprev + <usize>b * row, po = h + <usize>b * row, pco = c + <usize>b * row;
    if (masked(mask, b)) {
      memory.copy(po, hprev + <usize>b * row, row);
      memory.copy(pco, pc, row);
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>j << 2;
      const ig = vk_act_vec(f32x4.add(v128.load(pi + o), v128.load(ph + o)), ACT_SIGMOID, al);
      const fg = vk_act_vec(f32x4.add(v128.load(pi + row + o), v128.load(ph + row + o)), ACT_SIGMOID, al);
      const gg = vk_act_vec(f32x4.add(v128.load(pi + 2 * row + o), v128.load(ph + 2 * row + o)), ACT_TANH, al);
      const og = vk_act_vec(f32x4.add(v128.load(pi + 3 * row + o), v128.load(ph + 3 * row + o)), ACT_SIGMOID, al);
      const cn = f32x4.add(f32x4.mul(fg, v128.load(pc + o)), f32x4.mul(ig, gg));
      v128.store(pco + o, cn);
      v128.store(po + o, f32x4.mul(og, vk_act_vec(cn, ACT_TANH, al)));
      v128.store(pg + o, ig);
      v128.store(pg + row + o, fg);
      v128.store(pg + 2 * row + o, gg);
      v128.store(pg + 3 * row + o, og);
    }
    for (; j < H; j++) lstm_forward_one(pi, ph, pg, pc, po, pco, row, <usize>j << 2);
  }
}

// @ts-ignore: decorator
@inline
function lstm_forward_one(pi: usize, ph: usize, pg: usize, pc: usize, po: usize, pco: usize, row: usize, o: usize): void {
  const ig = vk_act_f32(load<f32>(pi + o) + load<f32>(ph + o), ACT_SIGMOID, 0);
  const fg = vk_act_f32(load<f32>(pi + row + o) + load<f32>(ph + row + o), ACT_SIGMOID, 0);
  const gg = vk_act_f32(load<f32>(pi + 2 * row + o) + load<f32>(ph + 2 * row + o), ACT_TANH, 0);
  const og = vk_act_f32(load<f32>(pi + 3 * row + o) + load<f32>(ph + 3 * row + o), ACT_SIGMOID, 0);
  const cn = fg * load<f32>(pc + o) + ig * gg;
  store<f32>(pco + o, cn);
  store<f32>(po + o, og * vk_act_f32(cn, ACT_TANH, 0));
  store<f32>(pg + o, ig);
  store<f32>(pg + row + o, fg);
  store<f32>(pg + 2 * row + o, gg);
  store<f32>(pg + 3 * row + o, og);
}

export function lstm_cell_forward_scalar(h: usize, c: usize, gates: usize, gi: usize, gh: usize, hprev: usize,
                                         cprev: usize, mask: usize, B: i32, H: i32): void {
  // Bit-identical to lstm_cell_forward.
  const row = <usize>H << 2, row4 = row << 2;
  for (let b = 0; b < B; b++) {
    const pi = gi + <usize>b * row4, ph = gh + <usize>b * row4, pg = gates + <usize>b * row4;
    const pc = cprev + <usize>b * row, po = h + <usize>b * row, pco = c + <usize>b * row;
    if (masked(mask, b)) {
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 2;
        store<f32>(po + o, load<f32>(hprev + <usize>b * row + o));
        store<f32>(pco + o, load<f32>(pc + o));
      }
      continue;
    }
    for (let j = 0; j < H; j++) lstm_forward_one(pi, ph, pg, pc, po, pco, row, <usize>j << 2);
  }
}

export function lstm_cell_backward(dpre: usize, dcprev: usize, dhprev: usize, dh: usize, dc: usize, gates: usize,
                                   c: usize, cprev: usize, mask: usize, B: i32, H: i32): void {
  // dpre [B,4H] (written: the gradient of both pre-activations gi and gh), dcprev [B,H] (+= f·dc_t), dhprev [B,H]
  // (+= dh on padded rows only: otherwise h₋ reaches the loss through W_hh, dense_backward's part), dh [B,H], dc [B,H]
  // (dL/dc from the next step, 0 = none), gates [B,4H], c, cprev [B,H].
  //   tc = tanh(c); dct = dc + dh·o·(1 − tc²); di = dct·g·i(1 − i); df = dct·c₋·f(1 − f); dg = dct·i·(1 − g²);
  //   do = dh·tc·o(1 − o). Padded rows: dpre = 0, dcprev += dc, dhprev += dh.
  const one = f32x4.splat(1), al = f32x4.splat(0);
  const H4 = H & ~3;
  const row = <usize>H << 2, row4 = row << 2;
  for (let b = 0; b < B; b++) {
    const pg = gates + <usize>b * row4, dp = dpre + <usize>b * row4;
    const pc = c + <usize>b * row, pcp = cprev + <usize>b * row, pd = dh + <usize>b * row;
    const pdc = dc ? dc + <usize>b * row : 0, pdcp = dcprev + <usize>b * row;
    if (masked(mask, b)) {
      memory.fill(dp, 0, row4);
      const pdh = dhprev + <usize>b * row;
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 2;
        store<f32>(pdh + o, load<f32>(pdh + o) + load<f32>(pd + o));
        if (pdc) store<f32>(pdcp + o, load<f32>(pdcp + o) + load<f32>(pdc + o));
      }
      continue;
    }
    let j = 0;
    for (; j < H4; j += 4) {
      const o = <usize>j << 2;
      const ig = v128.load(pg + o), fg = v128.load(pg + row + o), gg = v128.load(pg + 2 * row + o), og = v128.load(pg + 3 * row + o);
      const tc = vk_act_vec(v128.load(pc + o), ACT_TANH, al);
      const d = v128.load(pd + o);
      let dct = f32x4.mul(f32x4.mul(d, og), f32x4.sub(one, f32x4.mul(tc, tc)));
      if (pdc) dct = f32x4.add(v128.load(pdc + o), dct);
      v128.store(dp + o, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(ig, f32x4.sub(one, ig))));
      v128.store(dp + row + o, f32x4.mul(f32x4.mul(dct, v128.load(pcp + o)), f32x4.mul(fg, f32x4.sub(one, fg))));
      v128.store(dp + 2 * row + o, f32x4.mul(f32x4.mul(dct, ig), f32x4.sub(one, f32x4.mul(gg, gg))));
      v128.store(dp + 3 * row + o, f32x4.mul(f32x4.mul(d, tc), f32x4.mul(og, f32x4.sub(one, og))));
      v128.store(pdcp + o, f32x4.add(v128.load(pdcp + o), f32x4.mul(dct, fg)));
    }
    for (; j < H; j++) lstm_backward_one(pg, dp, pc, pcp, pd, pdc, pdcp, row, <usize>j << 2);
  }
}

// @ts-ignore: decorator
@inline
function lstm_backward_one(pg: usize, dp: usize, pc: usize, pcp: usize, pd: usize, pdc: usize, pdcp: usize, row: usize,
                           o: usize): void {
  const ig = load<f32>(pg + o), fg = load<f32>(pg + row + o), gg = load<f32>(pg + 2 * row + o), og = load<f32>(pg + 3 * row + o);
  const tc = vk_act_f32(load<f32>(pc + o), ACT_TANH, 0);
  const d = load<f32>(pd + o);
  let dct = (d * og) * (<f32>1 - tc * tc);
  if (pdc) dct = load<f32>(pdc + o) + dct;
  store<f32>(dp + o, (dct * gg) * (ig * (<f32>1 - ig)));
  store<f32>(dp + row + o, (dct * load<f32>(pcp + o)) * (fg * (<f32>1 - fg)));
  store<f32>(dp + 2 * row + o, (dct * ig) * (<f32>1 - gg * gg));
  store<f32>(dp + 3 * row + o, (d * tc) * (og * (<f32>1 - og)));
  store<f32>(pdcp + o, load<f32>(pdcp + o) + dct * fg);
}

export function lstm_cell_backward_scalar(dpre: usize, dcprev: usize, dhprev: usize, dh: usize, dc: usize, gates: usize,
                                          c: usize, cprev: usize, mask: usize, B: i32, H: i32): void {
  // Bit-identical to lstm_cell_backward.
  const row = <usize>H << 2, row4 = row << 2;
  for (let b = 0; b < B; b++) {
    const pg = gates + <usize>b * row4, dp = dpre + <usize>b * row4;
    const pc = c + <usize>b * row, pcp = cprev + <usize>b * row, pd = dh + <usize>b * row;
    const pdc = dc ? dc + <usize>b * row : 0, pdcp = dcprev + <usize>b * row;
    if (masked(mask, b)) {
      for (let j = 0; j < 4 * H; j++) store<f32>(dp + (<usize>j << 2), 0);
      const pdh = dhprev + <usize>b * row;
      for (let j = 0; j < H; j++) {
        const o = <usize>j << 2;
        store<f32>(pdh + o, load<f32>(pdh + o) + load<f32>(pd + o));
        if (pdc) store<f32>(pdcp + o, load<f32>(pdcp + o) + load<f32>(pdc + o));
      }
      continue;
    }
    for (let j = 0; j < H; j++) lstm_backward_one(pg, dp, pc, pcp, pd, pdc, pdcp, row, <usize>j << 2);
  }
}

// ------------------------------------------------------------------------------------------------ row helpers

export function rows_concat(out: usize, a: usize, b: usize, rows: i32, ac: i32, bc: i32): void {
  // out [rows, ac + bc] (written) = [a [rows, ac] | b [rows, bc]]; copies, so the bits are the inputs'.
  const ra = <usize>ac << 2, rb = <usize>bc << 2;
  for (let r = 0; r < rows; r++) {
    const o = out + <usize>r * (ra + rb);
    memory.copy(o, a + <usize>r * ra, ra);
    memory.copy(o + ra, b + <usize>r * rb, rb);
  }
}

export function rows_split_add(da: usize, db: usize, dout: usize, rows: i32, ac: i32, bc: i32): void {
  // da [rows, ac] += dout's first ac columns, db [rows, bc] += its last bc (either pointer 0: skipped).
  const ra = <usize>ac << 2, rb = <usize>bc << 2;
  for (let r = 0; r < rows; r++) {
    const o = dout + <usize>r * (ra + rb);
    if (da) add_into(da + <usize>r * ra, o, ac);
    if (db) add_into(db + <usize>r * rb, o + ra, bc);
  }
}

export function rows_split_add_scalar(da: usize, db: usize, dout: usize, rows: i32, ac: i32, bc: i32): void {
  // Bit-identical to rows_split_add.
  const ra = <usize>ac << 2, rb = <usize>bc << 2;
  for (let r = 0; r < rows; r++) {
    const o = dout + <usize>r * (ra + rb);
    if (da) for (let j = 0; j < ac; j++) {
      const p = da + <usize>r * ra + (<usize>j << 2);
      store<f32>(p, load<f32>(p) + load<f32>(o + (<usize>j << 2)));
    }
    if (db) for (let j = 0; j < bc; j++) {
      const p = db + <usize>r * rb + (<usize>j << 2);
      store<f32>(p, load<f32>(p) + load<f32>(o + ra + (<usize>j << 2)));
    }
  }
}

// @ts-ignore: decorator
@inline
function add_into(d: usize, s: usize, n: i32): void {
  const n4 = n & ~3;
  let j = 0;
  for (; j < n4; j += 4) {
    const o = <usize>j << 2;
    v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(s + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(s + o));
  }
}

export function rows_mask(x: usize, mask: usize, rows: i32, cols: i32): void {
  // x [rows, cols]: rows whose mask[r] is 0 set to +0 (a padded step's loss terms and their gradients).
  for (let r = 0; r < rows; r++) {
    if (load<f32>(mask + (<usize>r << 2)) == 0) memory.fill(x + <usize>r * (<usize>cols << 2), 0, <usize>cols << 2);
  }
}

export function kl_gauss_loss(dq: usize, dp: usize, losses: usize, q: usize, p: usize, mask: usize, B: i32, L: i32,
                              scale: f64): void {
  // losses[b] = KL(N(μq, e^lvq) ‖ N(μp, e^lvp)) = ½ Σ (lvp − lvq + (e^lvq + (μq − μp)²)·e^−lvp − 1), summed in f64;
  // q, p [B, 2L] rows [μ | log σ²]. Unless 0, dq and dp (written) = scale·∂/∂q, scale·∂/∂p:
  //   dμq = s·(μq − μp)·e^−lvp = −dμp; dlvq = ½s·(e^lvq·e^−lvp − 1); dlvp = ½s·(1 − (e^lvq + (μq − μp)²)·e^−lvp).
  // Padded rows (mask 0): loss 0 and zero gradients. Scalar code on vmath's exp_f32 (no SIMD: no twin).
  const s = <f32>scale, hs = <f32>(0.5 * scale);
  for (let b = 0; b < B; b++) {
    const pq = q + <usize>b * (<usize>L << 3), pp = p + <usize>b * (<usize>L << 3);
    const gq = dq + <usize>b * (<usize>L << 3), gp = dp + <usize>b * (<usize>L << 3);
    const off = masked(mask, b);
    let acc: f64 = 0;
    for (let d = 0; d < L; d++) {
      const om = <usize>d << 2, ol = (<usize>(d + L)) << 2;
      const mq = load<f32>(pq + om), lq = load<f32>(pq + ol), mp = load<f32>(pp + om), lp = load<f32>(pp + ol);
      const eq = exp_f32(lq), ip = exp_f32(-lp);
      const dm = mq - mp;
      const ratio = (eq + dm * dm) * ip;
      acc += <f64>(lp - lq + ratio - <f32>1);
      if (dq) {
        const gm = off ? <f32>0 : s * dm * ip;
        store<f32>(gq + om, gm);
        store<f32>(gq + ol, off ? <f32>0 : hs * (eq * ip - <f32>1));
        store<f32>(gp + om, -gm);
        store<f32>(gp + ol, off ? <f32>0 : hs * (<f32>1 - ratio));
      }
    }
    store<f32>(losses + (<usize>b << 2), off ? <f32>0 : <f32>(0.5 * acc));
  }
}
