// The shared model contract: every entry of test/contract/entries.ts (each model class, and configurations of it
// that run different code) must
//   1. save and load (its own class's load and loadModel) to identical weights, file and outputs, bit for bit, and
//      refuse other classes' files with ModelFormatError;
//   2. refuse bad calls with a typed error and stay exactly as an identical twin that never saw them (weights,
//      training steps, its seedless stream, and the training that follows);
//   3. give gradients that match float64 central differences (and TF.js autograd) of its objective as written
//      independently in test/sdk/reference.ts;
//   4. train and infer bit-identically on 1 and 2 threads;
//   5. keep its wasm memory flat over repeated rounds of every call, training included;
//   6. throw DisposedError from every method after dispose() (fit: reject);
//   7. implement the shared model interface (ModelApi): capabilities that match what its own methods do, uniform
//      calls that give their bits, and refusals (typed, the model untouched: entries.ts's UNIFORM_BAD_CALLS in 2.)
//      of whatever its capabilities rule out.
// Only the public API is used.
import { beforeAll, describe, expect, it } from "vitest";
import { DisposedError, loadModel, ModelFormatError, VaekitError, type ModelApi, type ModelKind } from "../../src/index.js";
import { expectGradients } from "../sdk/gradcheck.js";
import { ENTRIES, uniformCalls, type Batch, type Common, type Entry, type Output } from "./entries.js";

// ---- comparing outputs bit for bit ----

/** Every number an output holds, in order, with the path of each leaf (typed array, array or number). */
function flatten(out: Output): { leaves: string[]; values: Float64Array } {
  const leaves: string[] = [], values: number[] = [];
  collect(out, "", leaves, values);
  return { leaves, values: Float64Array.from(values) };
}

function collect(out: Output, path: string, leaves: string[], values: number[]): void {
  if (typeof out === "number") {
    leaves.push(path);
    values.push(out);
  } else if (ArrayBuffer.isView(out)) {
    const a = out as unknown as ArrayLike<number>;
    leaves.push(`${path}[${a.length}]`);
    for (let i = 0; i < a.length; i++) values.push(a[i]);
  } else if (Array.isArray(out)) {
    out.forEach((v, i) => collect(v, `${path}[${i}]`, leaves, values));
  } else if (out !== null && typeof out === "object") {
    for (const [k, v] of Object.entries(out)) collect(v, `${path}.${k}`, leaves, values);
  } else {
    leaves.push(`${path}=${String(out)}`);
  }
}

/**
 * The first index where two float64 arrays differ in their bits (-1: none); float32 → float64 is exact, so this is
 * bit identity of the original numbers. Any NaN matches any NaN: wasm leaves NaN payloads unspecified.
 */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, 2 * a.length), ub = new Uint32Array(b.buffer, b.byteOffset, 2 * b.length);
  for (let i = 0; i < a.length; i++) {
    if ((ua[2 * i] !== ub[2 * i] || ua[2 * i + 1] !== ub[2 * i + 1]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

/** The first index where two byte arrays differ (-1: none, lengths included). */
function firstByteDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

/** Asserts two outputs have the same structure and the same bits in every number (float32 → float64 is exact). */
function expectSameBits(got: Output, want: Output, label: string): void {
  const g = flatten(got), w = flatten(want);
  expect(g.leaves, `${label}: structure`).toEqual(w.leaves);
  const bad = firstDifference(g.values, w.values);
  expect(bad, `${label}: first differing number at ${bad} (${g.values[bad]} vs ${w.values[bad]})`).toBe(-1);
}

/** An epoch log without its timings (the only fields allowed to differ between identical runs). */
const terms = (logs: unknown[]): unknown[] =>
  logs.map((l) => {
    const { seconds: _s, examplesPerSecond: _e, ...rest } = l as Record<string, unknown>;
    return rest;
  });

// ---- calls that may throw or reject ----

type Outcome = { kind: "returned" | "resolved" } | { kind: "threw" | "rejected"; error: unknown };

async function outcome(call: () => unknown): Promise<Outcome> {
  let r: unknown;
  try {
    r = call();
  } catch (error) {
    return { kind: "threw", error };
  }
  if (!(r instanceof Promise)) return { kind: "returned" };
  try {
    await r;
    return { kind: "resolved" };
  } catch (error) {
    return { kind: "rejected", error };
  }
}

const errorOf = (o: Outcome): unknown => ("error" in o ? o.error : undefined);
const describeError = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** A typed error: a proper subclass of VaekitError. */
function expectTypedError(o: Outcome, label: string): void {
  const e = errorOf(o);
  expect(o.kind, `${label}: should throw or reject, ${o.kind}`).toMatch(/threw|rejected/);
  expect(e instanceof VaekitError && e.constructor !== VaekitError, `${label}: not a typed VaekitError — ${describeError(e)}`).toBe(true);
}

// ---- the suite ----

const FILES = new Map<ModelKind, Uint8Array>();

beforeAll(async () => {
  // one small file per model class, for the "loading another class's file" checks
  for (const e of ENTRIES) {
    if (FILES.has(e.kind)) continue;
    const m = await e.create();
    FILES.set(e.kind, m.save());
    m.dispose();
  }
});

/** ModelApi's members, each listed once (a member added to the interface and not here fails to compile). */
const API_MEMBERS = {
  kind: "value", capabilities: "value", config: "value", engineInfo: "value", parameterCount: "value", memoryBytes: "value",
  trainingSteps: "value", getWeights: "function", setWeights: "function", save: "function", dispose: "function",
  fitAny: "function", evaluateAny: "function", encodeAny: "function", decodeAny: "function", reconstructAny: "function",
  sampleAny: "function", latentGridAny: "function", logLikelihoodAny: "function", interpolateAny: "function", traverseAny: "function",
} as const satisfies Record<keyof ModelApi, "value" | "function">;

const trainAFew = (E: Entry, m: Common, b: Batch) => E.fit(m, b, { epochs: 2, batchSize: 8, shuffleSeed: 1 });

describe.each(ENTRIES)("model contract: $name", (E) => {
  it("save → load (own class and loadModel) gives identical weights, file and outputs; other classes' files throw ModelFormatError", async () => {
    const m = await E.create();
    const fresh = await E.create();
    await trainAFew(E, m, E.data(24, 1));
    const bytes = m.save();
    const own = await E.load(bytes);
    const any = (await loadModel(bytes)) as unknown as Common;
    const b = E.data(10, 2);
    expect(any.constructor, "loadModel's class").toBe(m.constructor);
    expect(m.trainingSteps).toBeGreaterThan(0);
    // the trained model is not the freshly initialised one: the comparisons below can tell a lost file apart
    expect(firstDifference(flatten(m.getWeights()).values, flatten(fresh.getWeights()).values)).not.toBe(-1);
    for (const [label, loaded] of [["load", own], ["loadModel", any]] as const) {
      expect(loaded.kind, label).toBe(E.kind);
      expect(loaded.config, `${label}: config`).toEqual(m.config);
      expect(loaded.trainingSteps, `${label}: training steps`).toBe(m.trainingSteps);
      expectSameBits(loaded.getWeights(), m.getWeights(), `${label}: weights`);
      expect(firstByteDifference(loaded.save(), bytes), `${label}: save() of the loaded model, first differing byte`).toBe(-1);
      for (const [name, call] of Object.entries(E.outputs)) expectSameBits(call(loaded, b), call(m, b), `${label}: ${name}`);
    }
    for (const [kind, file] of FILES) {
      if (kind === E.kind) continue;
      await expect(E.load(file), `loading a ${kind} file`).rejects.toThrow(ModelFormatError);
    }
    await expect(E.load(bytes.subarray(0, bytes.length - 5)), "a truncated file").rejects.toThrow(ModelFormatError);
    for (const x of [m, fresh, own, any]) x.dispose();
  });

  describe("rejected calls leave the model exactly as an identical twin that never saw them", () => {
    it.each(Object.keys(E.badCalls))("%s", async (name) => {
      const [m, twin] = [await E.create(), await E.create()];
      const b = E.data(16, 3);
      // both trained once, so optimizer state and the training streams exist before the bad call
      await E.fit(m, b, { epochs: 1, batchSize: 8 });
      await E.fit(twin, b, { epochs: 1, batchSize: 8 });
      const o = await outcome(() => E.badCalls[name](m, b));
      expectTypedError(o, name);
      expectSameBits(m.getWeights(), twin.getWeights(), "weights after the call");
      expect(m.trainingSteps, "training steps").toBe(twin.trainingSteps);
      if (E.seedless) expectSameBits(E.seedless(m), E.seedless(twin), "the seedless stream after the call");
      const later = E.data(16, 4);
      const [la, lb] = [await E.fit(m, later, { epochs: 1, batchSize: 8 }), await E.fit(twin, later, { epochs: 1, batchSize: 8 })];
      expect(terms(la), "training after the call: losses").toEqual(terms(lb));
      expectSameBits(m.getWeights(), twin.getWeights(), "training after the call: weights");
      m.dispose();
      twin.dispose();
    });
  });

  it("gradients match float64 central differences (and TF.js autograd) of the reference objective", async () => {
    const m = await E.create();
    // a few steps first: weights off their initialisation, schedules (warm-up, capacity) midway
    await E.fit(m, E.data(12, 5), { epochs: 1, batchSize: 4 });
    const b = E.data(4, 6);
    await expectGradients({ model: m, ...E.gradients(m, b), label: E.name, probes: 4 });
    m.dispose();
  });

  it("threads: 1 and 2 give bit-identical training (2 epochs) and outputs", async () => {
    const b = E.data(200, 7);
    const models: Common[] = [];
    const logs: unknown[][] = [];
    for (const threads of [1, 2]) {
      const m = await E.create({ threads });
      expect(m.engineInfo, `threads: ${threads}`).toEqual({ precision: "exact", threads, fallbacks: [] });
      logs.push(terms(await E.fit(m, b, { epochs: 2, batchSize: 96, shuffleSeed: 2 })));
      models.push(m);
    }
    const [one, two] = models;
    expect(logs[1], "losses").toEqual(logs[0]);
    expectSameBits(two.getWeights(), one.getWeights(), "weights");
    for (const [name, call] of Object.entries(E.outputs)) expectSameBits(call(two, b), call(one, b), name);
    if (E.seedless) expectSameBits(E.seedless(two), E.seedless(one), "seedless sample");
    one.dispose();
    two.dispose();
  });

  it("memory stays flat over 20 rounds of every output and a training epoch", async () => {
    const m = await E.create();
    const b = E.data(64, 8);
    const round = async () => {
      for (const call of Object.values(E.outputs)) call(m, b);
      if (E.seedless) E.seedless(m);
      await E.fit(m, b, { epochs: 1, batchSize: 16 });
    };
    await round();
    const before = m.memoryBytes;
    for (let i = 0; i < 20; i++) await round();
    expect(m.memoryBytes).toBe(before);
    m.dispose();
  });

  it("implements ModelApi: its capabilities match what it does, and the uniform calls give its own methods' bits", async () => {
    const m = await E.create();
    const b = E.data(6, 10);
    for (const [key, what] of Object.entries(API_MEMBERS)) {
      const v = (m as unknown as Record<string, unknown>)[key];
      if (what === "function") expect(typeof v, key).toBe("function");
      else expect(v, key).not.toBeUndefined();
    }
    const c = m.capabilities;
    expect(m.capabilities, "a fresh object each read").not.toBe(c);
    expect(c.inputSize * b.n, "inputSize").toBe(b.x.length);
    const layers = Object.entries(c.latentLayers);
    expect(layers.length, "latent layers").toBeGreaterThan(0);
    expect(c.latentSize, "latentSize: the last layer's width").toBe(layers[layers.length - 1][1]);
    expect(c.latentSize * b.n, "latentSize: the width decode takes").toBe(b.z.length);
    expect(c.classes > 0, "classes: labels exactly for a conditional model").toBe(b.labels !== undefined);
    // the flags say what the class's own methods offer (the entry lists each as an output)
    expect(c.sampling, "sampling").toBe("sample" in E.outputs);
    expect(c.logLikelihood, "logLikelihood").toBe("logLikelihood" in E.outputs);
    expect(c.sampledReconstruction, "sampledReconstruction").toBe("reconstruct (sampled)" in E.outputs);

    // the uniform calls give the own methods' bits
    const own = (name: string): Output => E.outputs[name](m, b);
    const labels = b.labels, label = c.classes > 0 ? 1 : undefined;
    const codes = layers.map(([layer, width]) => {
      const code = m.encodeAny(b.x, { labels, layer });
      expect(code.mean.length, `encodeAny ${layer}: mean`).toBe(b.n * width);
      expect(code.logVar !== undefined, `encodeAny ${layer}: logVar exactly when capabilities.posterior`).toBe(c.posterior);
      if (code.logVar) expect(code.logVar.length, `encodeAny ${layer}: logVar`).toBe(b.n * width);
      return code;
    });
    const ownCode = flatten(own("encode")).values, uniformCode = flatten(codes).values;
    expect(uniformCode.length, "encodeAny over every layer: as many numbers as encode").toBe(ownCode.length);
    expect(firstDifference(uniformCode, ownCode), "encodeAny over every layer = encode").toBe(-1);
    expectSameBits(m.encodeAny(b.x, { labels }), codes[codes.length - 1], "encodeAny: the last layer by default");
    expectSameBits(m.decodeAny(b.z, { label: labels }), own("decode"), "decodeAny");
    expectSameBits(m.reconstructAny(b.x, { labels }), own("reconstruct"), "reconstructAny");
    expectSameBits(m.evaluateAny(b.x, { labels, seed: 2 }), own("evaluate"), "evaluateAny");
    if (c.sampledReconstruction) expectSameBits(m.reconstructAny(b.x, { labels, sample: true, seed: 3 }), own("reconstruct (sampled)"), "reconstructAny (sampled)");
    if (c.sampling) expectSameBits(m.sampleAny(5, { seed: 7, label }), own("sample"), "sampleAny");
    if (c.logLikelihood) {
      expectSameBits(m.logLikelihoodAny(b.x.subarray(0, 3 * c.inputSize), { labels: labels?.slice(0, 3), samples: 6, seed: 1 }), own("logLikelihood"), "logLikelihoodAny");
    }
    // traverseAny decodes the swept codes; interpolateAny's ends decode the two codes
    const L = c.latentSize, dim = L - 1, values = [-1, 0.5, 2];
    const z = b.z.slice(0, L), swept = new Float32Array(3 * L);
    values.forEach((v, i) => {
      swept.set(z, i * L);
      swept[i * L + dim] = v;
    });
    expectSameBits(m.traverseAny(z, dim, { values, label }), m.decodeAny(swept, { label }), "traverseAny = decodeAny of the swept codes");
    const za = b.z.slice(0, L), zb = b.z.slice(L, 2 * L), D = c.inputSize;
    const path = m.interpolateAny(za, zb, { steps: 4, label });
    expect(path.length, "interpolateAny: steps rows").toBe(4 * D);
    const ends = m.decodeAny(Float32Array.from([...za, ...zb]), { label });
    for (let j = 0; j < D; j++) {
      expect(path[j], `interpolateAny: first row, value ${j}`).toBeCloseTo(ends[j], 5);
      expect(path[3 * D + j], `interpolateAny: last row, value ${j}`).toBeCloseTo(ends[D + j], 5);
    }
    if (c.sampling && L === 2) expect(m.latentGridAny({ size: 3, label }).length, "latentGridAny").toBe(9 * D);
    // fitAny trains as the class's own fit
    const twin = await E.create();
    const o = { epochs: 1, batchSize: 4, shuffleSeed: 1 };
    const [mine, theirs] = [await m.fitAny(b.x, { ...o, labels, ...(b.groups ? { groups: b.groups } : {}), ...(b.present ? { present: b.present } : {}) }), await E.fit(twin, b, o)];
    expect(terms(mine), "fitAny: losses").toEqual(terms(theirs));
    expectSameBits(m.getWeights(), twin.getWeights(), "fitAny: weights");
    m.dispose();
    twin.dispose();
  });

  it("dispose(): every method throws DisposedError, and a second dispose() is harmless", async () => {
    const m = await E.create();
    const b = E.data(8, 9);
    m.dispose();
    for (const [name, call] of Object.entries(E.methods)) {
      const o = await outcome(() => call(m, b));
      expect(errorOf(o), `${name} after dispose(): ${o.kind} ${describeError(errorOf(o))}`).toBeInstanceOf(DisposedError);
      // fit returns a promise: it must reject, not throw synchronously (issue 17, item 11)
      if (name === "fit") expect(o.kind, "fit after dispose()").toBe("rejected");
    }
    for (const [name, call] of Object.entries(uniformCalls(m, b))) {
      const o = await outcome(call);
      expect(errorOf(o), `${name} after dispose(): ${o.kind} ${describeError(errorOf(o))}`).toBeInstanceOf(DisposedError);
    }
    expect(() => m.dispose()).not.toThrow();
  });
});
