// The parts module (src/nn/parts.ts) on the tape: per-part losses of mixed likelihoods placed inside wider rows,
// out's gradient and the learned log scales' gradients vs float64 central differences, missing parts (mask 0)
// contribute nothing and get no gradient, forwardPart agrees with forward, inference writes no gradient, memory
// does not grow, and bad specs get typed errors naming the part.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigError } from "../../src/errors";
import { ParameterLayout } from "../../src/nn/dense";
import { Parts, type PartSpec } from "../../src/nn/parts";
import { Tape } from "../../src/nn/tape";
import { Workspace } from "../../src/nn/tensor";
import { Engine } from "../../src/runtime/engine";
import { randomArray } from "../helpers/wasm";

let e: Engine;
beforeAll(async () => {
  e = await Engine.create(undefined, undefined, 1, true);
});
afterAll(() => e.pool?.stop());

const SPECS: PartSpec[] = [
  { name: "g1", likelihood: "gaussian", width: 1, scale: "learned" },
  { name: "g2", likelihood: "gaussian", width: 1, scale: "learned" },
  { name: "gf", likelihood: "gaussian", width: 2, scale: 0.5 },
  { name: "cat", likelihood: "categorical", width: 3 },
  { name: "bin", likelihood: "bernoulli", width: 2 },
  { name: "lap", likelihood: "laplace", width: 1, scale: "learned" },
  { name: "lapf", likelihood: "laplace", width: 1 },
  { name: "unit", likelihood: "continuous-bernoulli", width: 1 },
  { name: "count", likelihood: "poisson", width: 1 },
  { name: "cat2", likelihood: "categorical", width: 4 },
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const softplus = (l: number): number => Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l)));
const logFact = (x: number): number => { let s = 0; for (let i = 2; i <= x; i++) s += Math.log(i); return s; };

/** float64 −log p of part s: logits/means l, data x, log scales ls. */
function ref(s: PartSpec, l: number[], x: number[], ls: number[]): number {
  if (s.likelihood === "categorical") {
    const m = Math.max(...l), lse = m + Math.log(l.reduce((a, v) => a + Math.exp(v - m), 0));
    return x.reduce((a, xc, c) => a + xc * (lse - l[c]), 0);
  }
  let t = 0;
  for (let d = 0; d < l.length; d++) {
    const li = l[d], xi = x[d];
    if (s.likelihood === "bernoulli") t += softplus(li) - xi * li;
    else if (s.likelihood === "gaussian") t += 0.5 * ((li - xi) * Math.exp(-ls[d])) ** 2 + ls[d] + HALF_LOG_2PI;
    else if (s.likelihood === "laplace") t += Math.abs(li - xi) * Math.exp(-ls[d]) + ls[d] + Math.LN2;
    else if (s.likelihood === "continuous-bernoulli") t += softplus(li) - xi * li - Math.log(li / Math.tanh(li / 2));
    else t += Math.exp(li) - xi * li + logFact(xi);
  }
  return t;
}

const B = 5, O0 = 3; // parts start at element 3 of 20-wide output rows
function setup(layout = new ParameterLayout()) {
  layout.add("dummy", 2, 3, "identity"); // the parts' vectors come after other blocks
  const parts = new Parts(SPECS, layout, "decoder.parts");
  const W = parts.width, P = parts.count, OS = W + O0 + 4;
  const ws = new Workspace(e);
  const out = ws.tensor((d) => d.B * OS, true), x = ws.tensor((d) => d.B * W), mask = ws.tensor((d) => d.B * P);
  const losses = ws.tensor((d) => d.B * P);
  ws.layout({ B, K: 1, multi: false, total: 0 });
  const params = e.alloc(layout.size), grads = e.alloc(layout.size);
  const p = randomArray(layout.size, 3, -0.8, 0.6);
  e.write(params, p);
  // data: per part, valid values; one-hot categories; counts
  const xs = new Float32Array(B * W), u = randomArray(B * W, 11, 0, 1);
  for (let b = 0; b < B; b++) SPECS.forEach((s, j) => {
    const o = b * W + parts.offsets[j];
    if (s.likelihood === "categorical") xs[o + Math.floor(u[o] * s.width)] = 1;
    else for (let c = 0; c < s.width; c++) {
      const v = u[o + c];
      xs[o + c] = s.likelihood === "bernoulli" ? (v > 0.5 ? 1 : 0) : s.likelihood === "poisson" ? Math.floor(v * 6)
        : s.likelihood === "continuous-bernoulli" ? v : 4 * v - 2;
    }
  });
  const m = new Float32Array(B * P).fill(1);
  const mu = randomArray(B * P, 12, 0, 1);
  for (let i = 0; i < m.length; i++) if (mu[i] < 0.3) m[i] = 0;
  const outv = randomArray(B * OS, 13, -2, 2);
  for (let i = 0; i < outv.length; i++) if (Math.abs(outv[i]) < 1e-3) outv[i] = 0.3;
  return { layout, parts, W, P, OS, ws, out, x, mask, losses, params, grads, p, xs, m, outv };
}

function total(s: ReturnType<typeof setup>, out: Float64Array, par: Float64Array, scale: number): number {
  let t = 0;
  for (let b = 0; b < B; b++) SPECS.forEach((spec, j) => {
    if (s.m[b * s.P + j] === 0) return;
    const at = s.parts.offsets[j];
    const l = Array.from(out.subarray(b * s.OS + O0 + at, b * s.OS + O0 + at + spec.width));
    const x = Array.from(s.xs.subarray(b * s.W + at, b * s.W + at + spec.width));
    const v = s.parts.logScales[j];
    const ls = v ? Array.from(par.subarray(v.offset, v.offset + v.size)) : new Array(spec.width).fill(Math.log(typeof spec.scale === "number" ? spec.scale : 1));
    t += ref(spec, l, x, ls);
  });
  return t * scale;
}

describe("Parts", () => {
  it("scores mixed parts inside wider rows; out and log-scale gradients match float64 central differences; missing parts get none", () => {
    const s = setup();
    const t = new Tape(e);
    e.write(s.x.ptr, s.xs);
    // a missing part's data may be NaN: nothing of it reaches the losses or gradients
    const xnan = s.xs.slice();
    for (let b = 0; b < B; b++) SPECS.forEach((spec, j) => {
      if (s.m[b * s.P + j] === 0) xnan.fill(NaN, b * s.W + s.parts.offsets[j], b * s.W + s.parts.offsets[j] + spec.width);
    });
    e.write(s.x.ptr, xnan);
    e.write(s.mask.ptr, s.m);
    e.write(s.out.ptr, s.outv);
    e.f32(s.grads, s.layout.size).fill(0);
    const scale = 0.7;
    t.start(scale, s.params, s.grads);
    s.parts.forward(t, s.losses, s.out, s.x, s.mask, B, { outOffset: O0, outStride: s.OS });
    const losses = e.read(s.losses.ptr, B * s.P), dout = e.read(s.out.grad!.ptr, B * s.OS), dpar = e.read(s.grads, s.layout.size);
    // per-part values
    for (let b = 0; b < B; b++) SPECS.forEach((spec, j) => {
      const got = losses[b * s.P + j];
      if (s.m[b * s.P + j] === 0) return void expect(Object.is(got, 0), `missing ${spec.name} row ${b}`).toBe(true);
      const at = s.parts.offsets[j];
      const v = s.parts.logScales[j];
      const ls = v ? Array.from(s.p.subarray(v.offset, v.offset + v.size)) : new Array(spec.width).fill(Math.log(typeof spec.scale === "number" ? spec.scale : 1));
      const want = ref(spec, Array.from(s.outv.subarray(b * s.OS + O0 + at, b * s.OS + O0 + at + spec.width)),
        Array.from(s.xs.subarray(b * s.W + at, b * s.W + at + spec.width)), ls);
      expect(Math.abs(got - want), `${spec.name} row ${b}: ${got} vs ${want}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
    });
    // gradients vs float64 central differences of the masked total
    const o = Float64Array.from(s.outv), par = Float64Array.from(s.p), h = 1e-6;
    for (let i = 0; i < o.length; i++) {
      const v = o[i];
      o[i] = v + h; const fp = total(s, o, par, scale);
      o[i] = v - h; const fm = total(s, o, par, scale);
      o[i] = v;
      const fd = (fp - fm) / (2 * h);
      expect(Math.abs(dout[i] - fd), `dout[${i}]: ${dout[i]} vs ${fd}`).toBeLessThan(3e-5 * Math.max(1, Math.abs(fd)));
    }
    for (const v of s.parts.logScales) if (v) for (let i = v.offset; i < v.offset + v.size; i++) {
      const p0 = par[i];
      par[i] = p0 + h; const fp = total(s, o, par, scale);
      par[i] = p0 - h; const fm = total(s, o, par, scale);
      par[i] = p0;
      const fd = (fp - fm) / (2 * h);
      expect(Math.abs(dpar[i] - fd), `log scale ${v.name}: ${dpar[i]} vs ${fd}`).toBeLessThan(5e-5 * Math.max(1, Math.abs(fd)));
    }
    // the gradient of every missing part's outputs is exactly zero, and nothing outside the parts was touched
    for (let b = 0; b < B; b++) {
      SPECS.forEach((spec, j) => {
        if (s.m[b * s.P + j] !== 0) return;
        for (let c = 0; c < spec.width; c++) expect(dout[b * s.OS + O0 + s.parts.offsets[j] + c]).toBe(0);
      });
      for (let c = 0; c < O0; c++) expect(dout[b * s.OS + c]).toBe(0);
    }
    expect(Array.from(dpar.subarray(0, s.layout.layers[0].b + 3)).every((v) => v === 0)).toBe(true);
    s.parts.dispose();
    s.ws.free();
  });

  it("changing a missing part's outputs changes no loss; forwardPart equals forward's column; inference writes no gradient", () => {
    const s = setup();
    const t = new Tape(e);
    e.write(s.x.ptr, s.xs);
    e.write(s.mask.ptr, s.m);
    e.write(s.out.ptr, s.outv);
    t.start(0, s.params, 0);
    e.f32(s.out.grad!.ptr, B * s.OS).fill(9);
    s.parts.forward(t, s.losses, s.out, s.x, s.mask, B, { outOffset: O0, outStride: s.OS });
    const before = e.read(s.losses.ptr, B * s.P);
    expect(e.read(s.out.grad!.ptr, B * s.OS).every((v) => v === 9)).toBe(true);
    const moved = s.outv.slice();
    for (let b = 0; b < B; b++) SPECS.forEach((spec, j) => {
      if (s.m[b * s.P + j] === 0) for (let c = 0; c < spec.width; c++) moved[b * s.OS + O0 + s.parts.offsets[j] + c] += 5;
    });
    e.write(s.out.ptr, moved);
    s.parts.forward(t, s.losses, s.out, s.x, s.mask, B, { outOffset: O0, outStride: s.OS });
    expect(Array.from(e.read(s.losses.ptr, B * s.P))).toEqual(Array.from(before));
    // forwardPart: part j scored from a copy of its own slice in its own tensor (stride = its width)
    e.write(s.out.ptr, s.outv);
    SPECS.forEach((spec, j) => {
      const own = new Float32Array(B * spec.width);
      for (let b = 0; b < B; b++) own.set(s.outv.subarray(b * s.OS + O0 + s.parts.offsets[j], b * s.OS + O0 + s.parts.offsets[j] + spec.width), b * spec.width);
      const ws = new Workspace(e);
      const o = ws.tensor((d) => d.B * spec.width, true), l = ws.tensor((d) => d.B * s.P);
      ws.layout({ B, K: 1, multi: false, total: 0 });
      e.write(o.ptr, own);
      s.parts.forwardPart(t, j, l, o, s.x, s.mask, B);
      const col = e.read(l.ptr, B * s.P);
      for (let b = 0; b < B; b++) expect(col[b * s.P + j], `${spec.name} row ${b}`).toBe(before[b * s.P + j]);
      ws.free();
    });
    s.parts.dispose();
    s.ws.free();
  });

  it("repeated passes and dispose keep memory flat", () => {
    const s = setup();
    const t = new Tape(e);
    e.write(s.x.ptr, s.xs);
    e.write(s.mask.ptr, s.m);
    t.start(1, s.params, s.grads);
    s.parts.forward(t, s.losses, s.out, s.x, s.mask, B, { outOffset: O0, outStride: s.OS });
    const held = e.memoryBytes;
    for (let i = 0; i < 10; i++) {
      t.start(1, s.params, s.grads);
      s.parts.forward(t, s.losses, s.out, s.x, undefined, B, { outOffset: O0, outStride: s.OS });
    }
    expect(e.memoryBytes).toBe(held);
    s.parts.dispose();
    s.parts.dispose();
    s.ws.free();
  });

  it("rejects bad specs with typed errors naming the part", () => {
    const bad: [PartSpec[], RegExp][] = [
      [[], /at least one part/],
      [[{ name: "a", likelihood: "gaussian", width: 1 }, { name: "a", likelihood: "bernoulli", width: 1 }], /"a" is named twice/],
      [[{ name: "z", likelihood: "student" as never, width: 1 }], /"z".*likelihood "student"/],
      [[{ name: "c", likelihood: "categorical", width: 1 }], /"c".*at least 2 categories/],
      [[{ name: "w", likelihood: "gaussian", width: 0 }], /"w".*width/],
      [[{ name: "s", likelihood: "bernoulli", width: 1, scale: 2 }], /"s".*scale applies to gaussian and laplace/],
      [[{ name: "n", likelihood: "laplace", width: 1, scale: -1 }], /"n".*positive finite/],
    ];
    for (const [specs, re] of bad) {
      expect(() => new Parts(specs, new ParameterLayout())).toThrow(InvalidConfigError);
      expect(() => new Parts(specs, new ParameterLayout())).toThrow(re);
    }
  });

  it("means: sigmoid, location, continuous Bernoulli mean, e^η, softmax", () => {
    const parts = new Parts(SPECS, new ParameterLayout());
    const out = randomArray(2 * parts.width, 4, -2, 2);
    const m = parts.means(out, 2);
    SPECS.forEach((s, j) => {
      const o = parts.offsets[j];
      const l = out[o];
      if (s.likelihood === "bernoulli") expect(m[o]).toBeCloseTo(1 / (1 + Math.exp(-l)), 6);
      if (s.likelihood === "gaussian" || s.likelihood === "laplace") expect(m[o]).toBe(l);
      if (s.likelihood === "poisson") expect(m[o]).toBeCloseTo(Math.exp(l), 5);
      if (s.likelihood === "continuous-bernoulli") expect(m[o]).toBeCloseTo(1 / (1 - Math.exp(-l)) - 1 / l, 6);
      if (s.likelihood === "categorical") {
        let sum = 0;
        for (let c = 0; c < s.width; c++) sum += m[o + c];
        expect(sum).toBeCloseTo(1, 6);
        expect(m[o + 1] / m[o]).toBeCloseTo(Math.exp(out[o + 1] - out[o]), 4);
      }
    });
  });
});
