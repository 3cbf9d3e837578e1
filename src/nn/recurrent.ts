// Module: a recurrent cell (PyTorch's nn.GRUCell or nn.LSTMCell) in the flat parameter buffer, one step forward
// and back as kernel calls: the two gate GEMMs on dense_forward's register-blocked tiles (W stored [in, G·H], the
// transpose of PyTorch's weight_ih / weight_hh), then the fused gate kernel of assembly/rnn.ts.
//
// Files hold PyTorch's names and layout: `${name}.weight_ih` [G·H, in], `.weight_hh` [G·H, H], `.bias_ih`, `.bias_hh`
// [G·H], gates in PyTorch's order (GRU r, z, n; LSTM i, f, g, o), all initialised U(±1/√H) as PyTorch does.
import type { Engine } from "../runtime/engine.js";
import type { DenseLayer, ParameterLayout } from "./dense.js";
import type { ParamTensor } from "./module.js";

/**
 * The recurrent cells vaekit has: "gru" (nn.GRUCell) or "lstm" (nn.LSTMCell).
 *
 * @example
 * ```ts
 * const cell: CellKind = "lstm";
 * ```
 */
export type CellKind = "gru" | "lstm";

/** The init stream's key word (model.ts's STREAM.init). */
const INIT_STREAM = 1;

/** One step's buffers (byte pointers; rows × widths as named). */
export interface CellStep {
  /** [rows, in] */ x: number;
  /** [rows, H] */ hprev: number;
  /** [rows, H] written */ h: number;
  /** [rows, G·H] pre-activations of x and of h₋ (biases included), written in forward */ gi: number;
  gh: number;
  /** [rows, G·H] activated gates, written in forward */ gates: number;
  /** LSTM: [rows, H] c₋ and c (written); 0 for GRU */ cprev: number;
  c: number;
  /** [rows] f32, 0 = padded row (state carried over); 0 = no mask */ mask: number;
}

/** One step's gradient buffers. */
export interface CellGrads {
  /** [rows, H] dL/dh (in) */ dh: number;
  /** [rows, H] += dL/dh₋ (both paths) */ dhprev: number;
  /** [rows, in] written: dL/dx */ dx: number;
  /** LSTM: [rows, H] dL/dc (in, 0 = none), [rows, H] += dL/dc₋ */ dc: number;
  dcprev: number;
  /** scratch: [rows, G·H] twice, [rows, H] */ dgi: number;
  dgh: number;
  dhs: number;
}

export class RecurrentCell {
  readonly gates: number;
  readonly ih: DenseLayer;
  readonly hh: DenseLayer;

  constructor(layout: ParameterLayout, readonly name: string, readonly kind: CellKind, readonly inSize: number,
    readonly hidden: number) {
    const G = (this.gates = kind === "gru" ? 3 : 4), H = hidden, GH = G * H;
    const wi = layout.reserve(inSize * GH), bi = layout.reserve(GH), wh = layout.reserve(H * GH), bh = layout.reserve(GH);
    const layer = (suffix: string, k: number, w: number, b: number): DenseLayer =>
      ({ name: `${name}.${suffix}`, inSize: k, outSize: GH, activation: "identity", w, b, parts: [] });
    this.ih = layer("ih", inSize, wi, bi);
    this.hh = layer("hh", H, wh, bh);
    const matrix = (n: string, k: number, w: number): ParamTensor => ({
      name: `${name}.${n}`,
      shape: [GH, k],
      read: (all) => {
        const t = new Float32Array(GH * k);
        for (let o = 0; o < GH; o++) for (let i = 0; i < k; i++) t[o * k + i] = all[w + i * GH + o];
        return t;
      },
      write: (all, t) => {
        for (let o = 0; o < GH; o++) for (let i = 0; i < k; i++) all[w + i * GH + o] = t[o * k + i];
      },
    });
    const vector = (n: string, b: number): ParamTensor => ({
      name: `${name}.${n}`,
      shape: [GH],
      read: (all) => all.slice(b, b + GH),
      write: (all, t) => {
        for (let o = 0; o < GH; o++) all[b + o] = t[o];
      },
    });
    layout.block({
      random: true,
      tensors: () => [matrix("weight_ih", inSize, wi), matrix("weight_hh", H, wh), vector("bias_ih", bi), vector("bias_hh", bh)],
      init: (k, params, seed, index) => {
        // PyTorch's RNN init: every tensor U(±1/√H). Counters (4·index + j, 1): apart from dense blocks' (·, 0).
        const bound = 1 / Math.sqrt(H);
        [[wi, inSize * GH], [bi, GH], [wh, H * GH], [bh, GH]].forEach(([at, n], j) => {
          k.rng_uniform(params + at * 4, n, seed, INIT_STREAM, 4 * index + j, 1);
          k.uniform_symmetric(params + at * 4, n, bound);
        });
      },
    }, [this.ih, this.hh]);
  }

  /** One step forward on `rows` rows: gi, gh, gates, h (and c) written. `params`: byte pointer of the flat buffer. */
  forward(e: Engine, params: number, s: CellStep, rows: number): void {
    const k = e.k, H = this.hidden, GH = this.gates * H;
    k.dense_forward(s.gi, s.x, params + this.ih.w * 4, params + this.ih.b * 4, rows, this.inSize, GH, 0, 0);
    k.dense_forward(s.gh, s.hprev, params + this.hh.w * 4, params + this.hh.b * 4, rows, H, GH, 0, 0);
    if (this.kind === "gru") k.gru_cell_forward(s.h, s.gates, s.gi, s.gh, s.hprev, s.mask, rows, H);
    else k.lstm_cell_forward(s.h, s.c, s.gates, s.gi, s.gh, s.hprev, s.cprev, s.mask, rows, H);
  }

  /**
   * One step back (after `forward` of the same step): parameter gradients += (W_ih, then W_hh: a fixed order), dx
   * written, dhprev (and dcprev) +=. `grads`: byte pointer of the flat gradient buffer.
   */
  backward(e: Engine, params: number, grads: number, s: CellStep, g: CellGrads, rows: number): void {
    const k = e.k, H = this.hidden, GH = this.gates * H;
    let dgh = g.dgh;
    if (this.kind === "gru") k.gru_cell_backward(g.dgi, g.dgh, g.dhprev, g.dh, s.gates, s.gh, s.hprev, s.mask, rows, H);
    else {
      k.lstm_cell_backward(g.dgi, g.dcprev, g.dhprev, g.dh, g.dc, s.gates, s.c, s.cprev, s.mask, rows, H);
      dgh = g.dgi; // both pre-activations have the same gradient
    }
    k.dense_backward(g.dx, grads + this.ih.w * 4, grads + this.ih.b * 4, g.dgi, s.x, params + this.ih.w * 4, s.gi,
      rows, this.inSize, GH, 0, 0);
    k.dense_backward(g.dhs, grads + this.hh.w * 4, grads + this.hh.b * 4, dgh, s.hprev, params + this.hh.w * 4, s.gh,
      rows, H, GH, 0, 0);
    k.rows_split_add(g.dhprev, 0, g.dhs, rows, H, 0);
  }
}
