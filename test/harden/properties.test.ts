// Property tests (fast-check, seeded): whatever configs, data and options a caller passes, every call either succeeds
// or throws a typed VaekitError and leaves the model — weights, steps, the seedless sample stream — as it was.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Autoencoder, ConditionalVAE, HierarchicalVAE, TrainingDivergedError, VAE, VaekitError } from "../../src/index.js";

const SEED = 17;
const junk = fc.oneof(
  fc.constantFrom(0, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e300, -0, "3", "", "relu", "toString", "__proto__", null, true, [], {}),
  fc.anything({ maxDepth: 3 }),
);
const width = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: junk });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

/** Runs f: success, or a VaekitError (anything else fails the property). */
function typed<T>(f: () => T): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    if (!(e instanceof VaekitError)) throw e;
    return { ok: false };
  }
}

async function typedAsync<T>(p: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p() };
  } catch (e) {
    if (!(e instanceof VaekitError)) throw e;
    return { ok: false, error: e };
  }
}

const snapshot = (m: { getWeights(): Record<string, Float32Array> }) =>
  Object.entries(m.getWeights()).map(([k, v]) => [k, Array.from(v)]);

describe("configs: a model is created, or the config is refused with a typed error", () => {
  it("VAE, ConditionalVAE, HierarchicalVAE and Autoencoder configs of every shape", async () => {
    const config = fc.record({
      inputSize: width, latentSize: width, hiddenSizes: maybe(fc.oneof(fc.array(width, { maxLength: 3 }), junk)),
      decoderHiddenSizes: maybe(fc.array(width, { maxLength: 2 })), activation: maybe(fc.oneof(fc.constantFrom("relu", "tanh", "leaky_relu", "sigmoid", "identity", "rleu", "constructor"), junk)),
      likelihood: maybe(fc.oneof(fc.constantFrom("bernoulli", "gaussian", "laplace", "continuous-bernoulli", "gausian", "valueOf"), junk)),
      likelihoodScale: maybe(fc.oneof(fc.double({ min: -1, max: 4 }), fc.constant("learned"), junk)),
      beta: maybe(fc.oneof(fc.double({ min: -1, max: 10 }), junk)), seed: maybe(fc.oneof(fc.nat(), junk)),
      objective: maybe(fc.oneof(fc.constantFrom("elbo", "iwae"), junk)), samples: maybe(fc.oneof(fc.integer({ min: 0, max: 6 }), junk)),
      classes: maybe(fc.oneof(fc.integer({ min: 0, max: 5 }), junk)), latentSizes: maybe(fc.oneof(fc.tuple(width, width), junk)),
      extra: maybe(junk),
    }, { requiredKeys: [] });
    const kinds = [VAE, ConditionalVAE, HierarchicalVAE, Autoencoder] as const;
    await fc.assert(fc.asyncProperty(config, fc.integer({ min: 0, max: 3 }), async (c, k) => {
      const r = await typedAsync(() => (kinds[k] as typeof VAE).create(c as never));
      if (r.ok) {
        expect(r.value.parameterCount).toBeGreaterThan(0);
        r.value.dispose();
      }
    }), { seed: SEED, numRuns: 300 });
  });
});

describe("per-call options and data: success, or a typed error and an unchanged model", () => {
  it("sample, evaluate, reconstruct, gradients, encode, decode, elbo, logLikelihood on a VAE and its untouched twin", async () => {
    const cfg = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 3 };
    const a = await VAE.create(cfg), b = await VAE.create(cfg);
    const before = snapshot(a);
    const data = fc.oneof(
      fc.float32Array({ minLength: 0, maxLength: 20 }),
      fc.array(fc.oneof(fc.double({ min: 0, max: 1 }), junk), { maxLength: 14 }),
      fc.array(fc.array(fc.double({ min: 0, max: 1 }), { minLength: 5, maxLength: 7 }), { maxLength: 3 }),
      junk,
    );
    const options = fc.oneof(junk, fc.record({
      seed: maybe(fc.oneof(fc.nat(), junk)), sample: maybe(fc.oneof(fc.boolean(), junk)), samples: maybe(fc.oneof(fc.integer({ min: 0, max: 4 }), junk)),
      batchSize: maybe(fc.oneof(fc.integer({ min: 0, max: 8 }), junk)), epsilon: maybe(data), sed: maybe(junk),
    }, { requiredKeys: [] }));
    const n = fc.oneof(fc.integer({ min: -2, max: 5 }), junk);
    const call = fc.tuple(fc.integer({ min: 0, max: 7 }), data, options, n);
    const run = (m: VAE, [which, x, o, count]: [number, unknown, unknown, unknown]) => {
      switch (which) {
        case 0: return m.sample(count as number, o as never);
        case 1: return m.evaluate(x as never, o as never);
        case 2: return m.reconstruct(x as never, o as never);
        case 3: return m.gradients(x as never, o as never);
        case 4: return m.encode(x as never);
        case 5: return m.decode(x as never);
        case 6: return m.elbo(x as never, o as never);
        default: return m.logLikelihood(x as never, o as never);
      }
    };
    await fc.assert(fc.property(call, (c) => {
      const r = typed(() => run(a, c));
      // the twin sees only the calls that succeeded: any hidden state a refused call moved would show below
      if (r.ok) run(b, c);
    }), { seed: SEED, numRuns: 1500 });
    expect(snapshot(a)).toEqual(before);
    expect(Array.from(a.sample(3))).toEqual(Array.from(b.sample(3)));
  });

  it("fit options: a fit refused before its first step leaves weights, steps and streams as they were", async () => {
    const cfg = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 3 };
    const a = await VAE.create(cfg), b = await VAE.create(cfg);
    const x = new Float32Array(24).map((_, i) => (i % 7) / 7);
    const options = fc.oneof(junk, fc.record({
      epochs: maybe(fc.oneof(fc.integer({ min: 0, max: 2 }), junk)), batchSize: maybe(fc.oneof(fc.integer({ min: 0, max: 5 }), junk)),
      learningRate: maybe(fc.oneof(fc.double({ min: -1, max: 1e7 }), junk)), optimizer: maybe(fc.oneof(fc.constantFrom("adam", "adamw", "sgd", "adma"), junk)),
      clipNorm: maybe(fc.oneof(fc.double({ min: -1, max: 10 }), junk)), shuffleSeed: maybe(fc.oneof(fc.nat(), junk)),
      momentum: maybe(fc.oneof(fc.double({ min: -1, max: 2 }), junk)), lossReduction: maybe(fc.oneof(fc.constantFrom("sum", "mean"), junk)),
      dynamicBinarization: maybe(fc.oneof(fc.boolean(), junk)), epochz: maybe(junk),
    }, { requiredKeys: [] }));
    await fc.assert(fc.asyncProperty(options, async (o) => {
      const steps = a.trainingSteps;
      const w = snapshot(a);
      const r = await typedAsync(() => a.fit(x, o as never));
      if (!r.ok && !(r.error instanceof TrainingDivergedError)) {
        expect(a.trainingSteps).toBe(steps);
        expect(snapshot(a)).toEqual(w);
      }
      if (r.ok || a.trainingSteps !== steps) await typedAsync(() => b.fit(x, o as never));
    }), { seed: SEED, numRuns: 150 });
    expect(snapshot(a)).toEqual(snapshot(b));
  });
});
