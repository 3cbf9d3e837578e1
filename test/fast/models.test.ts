// precision through the public API (vitest's "fast" project: relaxed SIMD is on in this engine).
//
// What is proven:
// - every model class's create and load (and loadModel) take { precision }; engineInfo says what runs.
// - bad precisions throw InvalidConfigError naming the choices, for create and load alike.
// - the exact default is unchanged: the cross-runtime conformance scenario gives conformance/expected-hash.txt
//   with {} and with { precision: "exact" }, even in an engine with relaxed SIMD; with "fast" every check of the
//   scenario still holds but the hash differs (the fast kernels really run).
// - a short training run of the reference VAE (784-400-20, batch 128, MNIST) stays close to the exact one
//   without being bit-identical. Measured (Zen 4, Node 20): epoch losses 1e-9 apart (relative), weights 3e-8 to
//   1e-7 (relative norm per tensor), reconstructions 2e-7 at most; the bounds below leave 100× or more.
// - the rules for an explicit `wasm` (README, "Precision"), and workerd's path (no URL to fetch from).
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import * as vaekit from "../../src/index.js";
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, InvalidConfigError, loadModel, VAE, type EngineOptions,
} from "../../src/index.js";
import { fusesMultiplyAdd, hasRelaxedSimd, kernels } from "../../src/runtime/fast.js";
import { loadMnist } from "../sdk/mnist.js";
// @ts-expect-error: a plain ES module without types
import { run as scenario } from "../../conformance/scenario.js";

const ROOT = new URL("../../", import.meta.url);
const exactBytes = readFileSync(new URL("dist/vaekit.wasm", ROOT));
const fastBytes = readFileSync(new URL("dist/vaekit-fast.wasm", ROOT));
const expectedHash = readFileSync(new URL("conformance/expected-hash.txt", ROOT), "utf8").trim();

interface AnyClass {
  create(config: object, options?: EngineOptions): Promise<vaekit.AnyModel>;
  load(bytes: Uint8Array, options?: EngineOptions): Promise<vaekit.AnyModel>;
}
const classes: [string, AnyClass, object][] = [
  ["VAE", VAE as unknown as AnyClass, { inputSize: 12, hiddenSizes: [10], latentSize: 3, seed: 1 }],
  ["ConditionalVAE", ConditionalVAE as unknown as AnyClass, { inputSize: 12, hiddenSizes: [10], latentSize: 3, classes: 3, seed: 2 }],
  ["HierarchicalVAE", HierarchicalVAE as unknown as AnyClass, { inputSize: 12, hiddenSizes: [[10], [6]], latentSizes: [4, 2], seed: 3 }],
  ["Autoencoder", Autoencoder as unknown as AnyClass, { inputSize: 12, hiddenSizes: [10], latentSize: 3, seed: 4 }],
];

describe("precision on every model class", () => {
  it("create, load and loadModel take { precision }; engineInfo reports it (fresh copies)", async () => {
    for (const [name, Class, config] of classes) {
      const fast = await Class.create(config, { precision: "fast" });
      expect(fast.engineInfo, `${name}.create fast`).toEqual({ precision: "fast", threads: 1, fallbacks: [] });
      const bytes = fast.save();
      expect((await Class.load(bytes, { precision: "fast" })).engineInfo.precision, `${name}.load fast`).toBe("fast");
      expect((await loadModel(bytes, { precision: "fast" })).engineInfo.precision, `loadModel ${name} fast`).toBe("fast");
      for (const options of [undefined, {}, { precision: "exact" as const }]) {
        expect((await Class.create(config, options)).engineInfo, `${name}.create ${JSON.stringify(options)}`)
          .toEqual({ precision: "exact", threads: 1, fallbacks: [] });
        expect((await Class.load(bytes, options)).engineInfo.precision, `${name}.load ${JSON.stringify(options)}`).toBe("exact");
      }
      const info = fast.engineInfo;
      info.fallbacks.push("changed");
      info.precision = "exact";
      expect(fast.engineInfo, `${name}: engineInfo is a copy`).toEqual({ precision: "fast", threads: 1, fallbacks: [] });
    }
  });

  it("a precision other than \"exact\" or \"fast\" throws InvalidConfigError on create and load", async () => {
    const bytes = (await VAE.create(classes[0][2] as vaekit.VAEConfig)).save();
    for (const bad of ["turbo", "FAST", "", null, 1, true, {}, ["fast"]]) {
      for (const [name, Class, config] of classes) {
        const options = { precision: bad } as unknown as EngineOptions;
        await expect(Class.create(config, options), `${name}.create ${JSON.stringify(bad)}`).rejects.toThrow(InvalidConfigError);
        await expect(Class.create(config, options)).rejects.toThrow(/precision must be "exact" or "fast"/);
      }
      await expect(VAE.load(bytes, { precision: bad } as never), `VAE.load ${JSON.stringify(bad)}`).rejects.toThrow(InvalidConfigError);
      await expect(loadModel(bytes, { precision: bad } as never)).rejects.toThrow(InvalidConfigError);
    }
  });
});

describe("the exact default is unchanged; fast really differs", () => {
  it("the conformance scenario: expected hash with {} and { precision: \"exact\" }, another hash with \"fast\"", async () => {
    const plain = await scenario(vaekit, { engine: {} });
    const exact = await scenario(vaekit, { engine: { precision: "exact" } });
    const fast = await scenario(vaekit, { engine: { precision: "fast" } });
    expect(plain.hash).toBe(expectedHash);
    expect(exact.hash).toBe(expectedHash);
    expect(fast.checks).toBe(exact.checks); // every round-trip and sanity check of the scenario held under fast too
    expect(fast.hash).not.toBe(expectedHash);
    const differing = Object.keys(exact.sections).filter((s) => exact.sections[s] !== fast.sections[s]);
    expect(differing).toContain("relu-bernoulli-adam/fit.weights");
    // No GEMM runs before training: the initial weights and the data are the same bits.
    expect(differing).not.toContain("relu-bernoulli-adam/init.safetensors");
    expect(differing).not.toContain("data");
  });
});

describe("training the reference VAE: fast stays close to exact", () => {
  it("784-400-20, batch 128, 2 epochs on 2,048 MNIST images: epoch losses within 1e-6 relative, weights within 1e-5", async () => {
    const { trainX } = await loadMnist();
    const x = trainX.subarray(0, 2048 * 784);
    const config = { inputSize: 784, hiddenSizes: [400], latentSize: 20, seed: 1 } as const;
    const train = async (precision: "exact" | "fast") => {
      const vae = await VAE.create(config, { precision });
      expect(vae.engineInfo.precision).toBe(precision);
      const history = await vae.fit(x, { epochs: 2, batchSize: 128, learningRate: 1e-3, shuffleSeed: 3 });
      return { losses: history.map((h) => h.loss), weights: vae.getWeights(), recon: vae.reconstruct(x.subarray(0, 64 * 784)) };
    };
    const exact = await train("exact");
    const fast = await train("fast");
    exact.losses.forEach((l, i) => {
      expect(Math.abs(fast.losses[i] - l) / Math.abs(l), `epoch ${i + 1} loss: fast ${fast.losses[i]} vs exact ${l}`).toBeLessThan(1e-6);
    });
    let bitsDiffer = 0;
    for (const [name, w] of Object.entries(exact.weights)) {
      const f = fast.weights[name];
      let num = 0, den = 0;
      for (let i = 0; i < w.length; i++) {
        num += (f[i] - w[i]) ** 2;
        den += w[i] ** 2;
        if (f[i] !== w[i]) bitsDiffer++;
      }
      expect(Math.sqrt(num / den), `${name}: ‖fast − exact‖ / ‖exact‖ after 32 steps`).toBeLessThan(1e-5);
    }
    expect(bitsDiffer, "weights whose bits differ").toBeGreaterThan(1000);
    let maxDiff = 0;
    for (let i = 0; i < exact.recon.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fast.recon[i] - exact.recon[i]));
    expect(maxDiff, "largest difference of a reconstructed pixel probability").toBeLessThan(1e-5);
  });
});

describe("an explicit wasm", () => {
  const config = classes[0][2] as vaekit.VAEConfig;

  it("\"fast\" with vaekit-fast.wasm (bytes, Module or file URL) runs fast", async () => {
    const module = new WebAssembly.Module(fastBytes);
    for (const wasm of [fastBytes, module, new URL("dist/vaekit-fast.wasm", ROOT)]) {
      expect((await VAE.create(config, { precision: "fast", wasm })).engineInfo).toEqual({ precision: "fast", threads: 1, fallbacks: [] });
    }
  });

  it("\"fast\" with vaekit.wasm runs exact and says why", async () => {
    const info = (await VAE.create(config, { precision: "fast", wasm: exactBytes })).engineInfo;
    expect(info.precision).toBe("exact");
    expect(info.fallbacks).toHaveLength(1);
    expect(info.fallbacks[0]).toMatch(/^precision "fast" was requested but the wasm given is vaekit\.wasm, the exact build .*; using "exact"$/);
  });

  it("\"exact\" with vaekit-fast.wasm is refused; no precision with vaekit-fast.wasm runs (and reports) fast", async () => {
    await expect(VAE.create(config, { precision: "exact", wasm: fastBytes })).rejects.toThrow(InvalidConfigError);
    await expect(VAE.create(config, { precision: "exact", wasm: fastBytes })).rejects.toThrow(/wasm given is vaekit-fast\.wasm/);
    const given = await VAE.create(config, { wasm: fastBytes });
    expect(given.engineInfo).toEqual({ precision: "fast", threads: 1, fallbacks: [] });
  });

  it("workerd's path (no URL to fetch vaekit-fast.wasm from): the bundled exact module and a reason, or the fast one init gave", async () => {
    const exactModule = new WebAssembly.Module(exactBytes), fastModule = new WebAssembly.Module(fastBytes);
    // The core's loader as workerd's entry has it: a Module given comes back as is, else the bundled default.
    const loader = (bundled: WebAssembly.Module) => async (source?: unknown) => (source as WebAssembly.Module | undefined) ?? bundled;
    const [m, fallbacks] = await kernels(undefined, "fast", loader(exactModule), undefined, InvalidConfigError);
    expect(m).toBe(exactModule);
    expect(fallbacks).toEqual([expect.stringMatching(/workerd.*pass it as \{ wasm, precision: "fast" \}; using "exact"$/)]);
    expect(await kernels(undefined, "fast", loader(fastModule), undefined, InvalidConfigError)).toEqual([fastModule, []]);
    expect(await kernels(fastModule, "fast", loader(exactModule), undefined, InvalidConfigError)).toEqual([fastModule, []]);
  });
});

describe("an engine whose relaxed_madd doesn't fuse (JavaScriptCore on x86-64)", () => {
  it("this engine (V8 on a CPU with FMA) passes both probes", () => {
    expect(hasRelaxedSimd()).toBe(true);
    expect(fusesMultiplyAdd()).toBe(true);
  });

  it("\"fast\" runs the exact build there and says why (the probe's answer simulated: 0 instead of 2^-24)", async () => {
    const exactModule = new WebAssembly.Module(exactBytes), fastModule = new WebAssembly.Module(fastBytes);
    const loader = async (source?: unknown) => (source as WebAssembly.Module | undefined) ?? exactModule;
    const spy = vi.spyOn(WebAssembly, "Instance").mockImplementation(function () {
      return { exports: { f: () => 0 } };
    } as never);
    try {
      expect(fusesMultiplyAdd()).toBe(false);
      for (const wasm of [undefined, fastModule, exactModule]) {
        const [m, fallbacks] = await kernels(wasm, "fast", loader, async () => fastModule, InvalidConfigError);
        expect(m).toBe(exactModule);
        expect(fallbacks).toEqual([expect.stringMatching(/^precision "fast" was requested but this engine's relaxed SIMD multiplies and adds without fusing them .*; using "exact"$/)]);
      }
    } finally {
      spy.mockRestore();
    }
  });
});
