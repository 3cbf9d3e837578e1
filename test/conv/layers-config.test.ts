// Layer-list configs: defaults, Keras/PyTorch padding arithmetic, and the shape errors that name the layer.
import { describe, expect, it } from "vitest";
import { InvalidConfigError } from "../../src/errors.js";
import { resolveConditionalConfig, resolveConfig } from "../../src/models/config.js";
import { planLayers, type LayerSpec } from "../../src/models/layers-config.js";

const KERAS = {
  inputShape: [28, 28, 1] as [number, number, number],
  encoder: [
    { type: "conv2d", filters: 32, kernelSize: 3, strides: 2, padding: 1, activation: "relu" },
    { type: "conv2d", filters: 64, kernelSize: 3, strides: 2, padding: 1, activation: "relu" },
    { type: "flatten" },
    { type: "dense", units: 16, activation: "relu" },
  ] as LayerSpec[],
  latentSize: 2,
  decoder: [
    { type: "dense", units: 7 * 7 * 64, activation: "relu" },
    { type: "reshape", shape: [7, 7, 64] },
    { type: "conv2dTranspose", filters: 64, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, activation: "relu" },
    { type: "conv2dTranspose", filters: 32, kernelSize: 3, strides: 2, padding: 1, outputPadding: 1, activation: "relu" },
    { type: "conv2dTranspose", filters: 1, kernelSize: 3, strides: 1, padding: 1 },
  ] as LayerSpec[],
  likelihood: "bernoulli" as const, init: "glorot" as const, seed: 1,
};

const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidConfigError);
    return (e as Error).message;
  }
  throw new Error("expected InvalidConfigError");
};

describe("layer-list configs", () => {
  it("resolve the issue's Keras model, filling layer defaults, and plan its shapes", () => {
    const c = resolveConfig(KERAS);
    expect(c.inputSize).toBe(784);
    expect(c.encoder![2]).toEqual({ type: "flatten" });
    expect(c.decoder![4]).toEqual({ type: "conv2dTranspose", filters: 1, kernelSize: 3, strides: 1, padding: 1, outputPadding: 0, activation: "identity" });
    expect(resolveConfig(c)).toEqual(c); // a resolved config resolves to itself (files)
    const plan = planLayers("encoder", c.encoder!, [28, 28, 1]);
    expect(plan.map((p) => p.output)).toEqual([[14, 14, 32], [7, 7, 64], [3136], [16]]);
    expect(plan[3].inChw).toEqual([7, 7, 64]);
    const dec = planLayers("decoder", c.decoder!, [2]);
    expect(dec.map((p) => p.output)).toEqual([[3136], [7, 7, 64], [14, 14, 64], [28, 28, 32], [28, 28, 1]]);
    expect(dec[0].outChw).toEqual([7, 7, 64]);
  });

  it("MLP configs resolve exactly as before (no layer keys)", () => {
    const c = resolveConfig({ inputSize: 784, latentSize: 20, seed: 1 });
    expect(Object.keys(c)).not.toContain("encoder");
    expect(c.hiddenSizes).toEqual([400]);
  });

  it("'same' puts the odd pad at the end (Keras), numbers are PyTorch's symmetric padding", () => {
    const [same] = planLayers("encoder", [{ type: "conv2d", filters: 2, kernelSize: 4, strides: 3, padding: "same" }], [10, 11, 1]);
    // out = ceil(10/3) = 4: total pad (4−1)·3 + 4 − 10 = 3 → 1 before, 2 after; width ceil(11/3) = 4: total 2 → 1, 1
    expect(same.geometry).toMatchObject({ outH: 4, outW: 4, padTop: 1, padBottom: 2, padLeft: 1, padRight: 1 });
    const [valid] = planLayers("encoder", [{ type: "conv2d", filters: 2, kernelSize: [3, 2], strides: [2, 1], padding: "valid" }], [9, 5, 3]);
    expect(valid.output).toEqual([4, 4, 2]);
    const [t] = planLayers("decoder", [{ type: "conv2dTranspose", filters: 3, kernelSize: 3, strides: 2, padding: "same" }], [5, 4, 2]);
    // Keras: out = in·s; full (n − 1)·2 + 3: H 11 → crop 1 before, 0 after; W 9 → 8: crop 0 before, 1 after
    expect(t.geometry).toMatchObject({ outH: 10, outW: 8, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1 });
    const [v] = planLayers("decoder", [{ type: "conv2dTranspose", filters: 3, kernelSize: 2, strides: 3, padding: "valid" }], [4, 4, 1]);
    expect(v.geometry).toMatchObject({ outH: 12, padTop: 0, padBottom: -1 }); // k < s: the last row gets only the bias
  });

  it("errors name the layer index, its type and the shape that doesn't fit", () => {
    expect(err(() => resolveConfig({ ...KERAS, encoder: [{ type: "dense", units: 4 }] }))).toMatch(/encoder\[0\] \(dense\): its input has shape \[28, 28, 1\]; .*flatten/);
    expect(err(() => resolveConfig({ ...KERAS, decoder: [{ type: "dense", units: 100 }, { type: "reshape", shape: [7, 7, 2] }] })))
      .toMatch(/decoder\[1\] \(reshape\): its input has shape \[100\]; .*needs 98/);
    expect(err(() => resolveConfig({ ...KERAS, encoder: [{ type: "conv2d", filters: 1, kernelSize: 30 }, { type: "flatten" }] })))
      .toMatch(/encoder\[0\] \(conv2d\): its input has shape \[28, 28, 1\]; its 30×30 kernel/);
    expect(err(() => resolveConfig({ ...KERAS, decoder: KERAS.decoder.slice(0, 4) }))).toMatch(/decoder\[3\] \(conv2dTranspose\) outputs \[28, 28, 32\]; .*\[28, 28, 1\]/);
    expect(err(() => resolveConfig({ ...KERAS, encoder: KERAS.encoder.slice(0, 2) }))).toMatch(/encoder\[1\] \(conv2d\) outputs \[7, 7, 64\]; the encoder must end flat/);
    expect(err(() => resolveConfig({ ...KERAS, encoder: [{ type: "flatten" }, { type: "batchNorm" }] }))).toMatch(/encoder\[1\] \(batchNorm\).*follows a flatten/);
    expect(err(() => resolveConfig({ ...KERAS, encoder: [{ type: "conv2d", filter: 3, kernelSize: 3 }] }))).toMatch(/unknown field 'filter'.*did you mean 'filters'/);
    expect(err(() => resolveConfig({ ...KERAS, encoder: [{ type: "conv2D", filters: 3, kernelSize: 3 }] }))).toMatch(/did you mean 'conv2d'/);
    expect(err(() => resolveConfig({ ...KERAS, decoder: [{ type: "dense", units: 9 }, { type: "reshape", shape: [3, 3, 1] },
      { type: "conv2dTranspose", filters: 1, kernelSize: 3, strides: 2, outputPadding: 2 }] }))).toMatch(/decoder\[2\].*outputPadding must be smaller than strides/);
    expect(err(() => resolveConfig({ ...KERAS, hiddenSizes: [400] }))).toMatch(/hiddenSizes goes with MLP configs/);
    expect(err(() => resolveConfig({ ...KERAS, decoder: undefined }))).toMatch(/missing decoder/);
    expect(err(() => resolveConfig({ ...KERAS, inputSize: 100 }))).toMatch(/inputSize 100 disagrees with inputShape \[28, 28, 1\]/);
  });

  it("a conditional model's label joins after the flatten (or at a flat input)", () => {
    const c = resolveConditionalConfig({ ...KERAS, classes: 10 });
    const plan = planLayers("encoder", c.encoder!, [28, 28, 1], 10);
    expect(plan[2].output).toEqual([3136 + 10]);
    const flat = resolveConditionalConfig({ inputShape: [6], encoder: [{ type: "dense", units: 4 }], decoder: [{ type: "dense", units: 6 }], latentSize: 2, classes: 3 });
    expect(flat.inputSize).toBe(6);
  });
});

describe("Autoencoder with layer lists", () => {
  it("trains, saves and loads a conv autoencoder; errors name the layer", async () => {
    const { Autoencoder } = await import("../../src/index.js");
    const config = {
      inputShape: [6, 5, 2] as [number, number, number], latentSize: 3, latentActivation: "tanh" as const, seed: 2,
      encoder: [{ type: "conv2d", filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }, { type: "batchNorm" }, { type: "flatten" }] as LayerSpec[],
      decoder: [{ type: "dense", units: 18 }, { type: "reshape", shape: [3, 3, 2] },
        { type: "conv2dTranspose", filters: 2, kernelSize: [2, 1], strides: [2, 2], padding: "valid" }] as LayerSpec[],
    };
    // decoder: [3,3,2] → H (3−1)·2 + 2 = 6, W "valid" with k < s: 3·2 = 6 ≠ 5
    const e = await Autoencoder.create(config).catch((x: Error) => x);
    expect(e).toBeInstanceOf(InvalidConfigError);
    expect((e as Error).message).toMatch(/decoder\[2\] \(conv2dTranspose\) outputs \[6, 6, 2\]; the decoder must end with the input's shape \[6, 5, 2\]/);
    const ae = await Autoencoder.create({ ...config, inputShape: [6, 6, 2] });
    try {
      expect(Object.keys(ae.getWeights())).toEqual(expect.arrayContaining(["encoder.layers.0.weight", "encoder.code.weight", "encoder.layers.1.running_var", "decoder.layers.2.weight"]));
      const x = Float32Array.from({ length: 10 * 72 }, (_, i) => ((i * 37) % 100) / 100);
      const before = ae.evaluate(x).loss;
      await ae.fit(x, { epochs: 20, batchSize: 5, learningRate: 1e-2 });
      expect(ae.evaluate(x).loss).toBeLessThan(before);
      const again = await Autoencoder.load(ae.save());
      expect(Array.from(again.reconstruct(x))).toEqual(Array.from(ae.reconstruct(x)));
      expect(again.config).toEqual(ae.config);
      again.dispose();
    } finally {
      ae.dispose();
    }
  });
});
