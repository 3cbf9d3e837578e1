// Issue 17 cases 4 and 6: names from users and files are looked up as own properties only (Object.prototype's names
// are neither activations nor silently dropped tensors), and deeply nested JSON or values give a typed error with a
// short message from every loader and config check, never a stack overflow.
import { describe, expect, it } from "vitest";
import {
  Autoencoder, decodeSafetensors, encodeSafetensors, HierarchicalVAE, InvalidConfigError, InvalidInputError, loadModel,
  ModelFormatError, VAE, VaekitError,
} from "../../src/index.js";
import { loadTorch, readTorch } from "../../src/torch.js";
import { deepJson, deepValue, join, split, withTensor } from "./files.js";

const small = { inputSize: 6, hiddenSizes: [5], latentSize: 2, seed: 1 } as const;
const PROTO_NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "__defineGetter__"];

/** A PyTorch-style state_dict of the pytorch/examples VAE (fc1, fc21, fc22, fc3, fc4) as safetensors. */
function torchFile(): Uint8Array {
  const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.1) });
  return encodeSafetensors(new Map([
    ["fc1.weight", t([5, 6])], ["fc1.bias", t([5])], ["fc21.weight", t([2, 5])], ["fc21.bias", t([2])],
    ["fc22.weight", t([2, 5])], ["fc22.bias", t([2])], ["fc3.weight", t([5, 2])], ["fc3.bias", t([5])],
    ["fc4.weight", t([6, 5])], ["fc4.bias", t([6])],
  ]), { format: "pt" });
}

describe("case 6: Object.prototype names are not names", () => {
  it("as activations: create, model files and loadTorch refuse them with a typed error", async () => {
    const good = (await VAE.create(small)).save();
    const { header, data } = split(good);
    for (const name of PROTO_NAMES) {
      await expect(VAE.create({ ...small, activation: name } as never), name).rejects.toThrow(InvalidConfigError);
      await expect(Autoencoder.create({ ...small, activation: name } as never), name).rejects.toThrow(InvalidConfigError);
      await expect(HierarchicalVAE.create({ inputSize: 6, latentSizes: [3, 2], activation: name } as never), name).rejects.toThrow(InvalidConfigError);
      const edited = join(header.replace(/\\"activation\\":\\"relu\\"/, `\\"activation\\":\\"${name}\\"`), data);
      expect(split(edited).header).toContain(name);
      await expect(VAE.load(edited), name).rejects.toThrow(ModelFormatError);
      await expect(loadTorch(torchFile(), { activation: name } as never), name).rejects.toThrow(VaekitError);
      expect(() => readTorch(torchFile(), { likelihood: name } as never), name).toThrow(VaekitError);
    }
  });

  it("a tensor named \"__proto__\" in a file is read as a tensor (and so refused as unexpected), never dropped", async () => {
    const good = (await VAE.create(small)).save();
    const bad = withTensor(good, "__proto__", new Float32Array([1, 2, 3]));
    const file = decodeSafetensors(bad);
    expect(file.tensors.get("__proto__")?.shape).toEqual([3]);
    await expect(VAE.load(bad)).rejects.toThrow(/__proto__|weights/);
    await expect(loadModel(bad)).rejects.toThrow(ModelFormatError);
    expect(() => readTorch(withTensor(torchFile(), "__proto__", new Float32Array(2)))).toThrow(/__proto__/);
  });

  it("metadata named \"__proto__\" is an own entry, not a prototype", () => {
    const file = join('{"__metadata__":{"__proto__":"x","format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4));
    const { metadata } = decodeSafetensors(file);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(Object.keys(metadata)).toEqual(["__proto__", "format"]);
  });
});

describe("case 4: deep nesting is refused briefly, never with a stack overflow", () => {
  const depth = 10_000;

  it("in a model file's header and config, from every loader", async () => {
    const good = (await VAE.create(small)).save();
    const { header, data } = split(good);
    const deepShape = join(header.replace('"shape":[5,6]', `"shape":${deepJson(depth)}`), data);
    const deepConfig = join(header.replace(/\\"seed\\":1/, `\\"seed\\":${deepJson(depth).replace(/"/g, '\\"')}`), data);
    const deepEntry = join(`{"x":${deepJson(depth)},${header.slice(1)}`, data);
    for (const [name, bytes] of [["shape", deepShape], ["config", deepConfig], ["entry", deepEntry]] as const) {
      for (const load of [VAE.load, loadModel, loadTorch]) {
        const e = await (load as (b: Uint8Array) => Promise<unknown>)(bytes).then(() => undefined, (err: unknown) => err);
        // loadTorch reads no config: a deep one there loads; everything else is a short typed error
        if (load === loadTorch && name === "config") continue;
        expect(e, `${name}, ${load.name}`).toBeInstanceOf(VaekitError);
        expect((e as Error).message.length, name).toBeLessThan(400);
      }
    }
  });

  it("in configs and options given as values", async () => {
    const deep = deepValue(depth);
    for (const cfg of [{ ...small, activation: deep }, { ...small, likelihood: deep }, { ...small, hiddenSizes: deep },
      { ...small, capacity: deep }, { ...small, beta: deep }, { ...small, seed: deep }]) {
      const e = await VAE.create(cfg as never).then(() => undefined, (err: unknown) => err);
      expect(e).toBeInstanceOf(InvalidConfigError);
      expect((e as Error).message.length).toBeLessThan(400);
    }
    const m = await VAE.create(small);
    const x = new Float32Array(12).fill(0.5);
    const calls = [() => m.sample(1, { seed: deep } as never), () => m.evaluate(x, { seed: deep } as never),
      () => m.logLikelihood(x, { samples: deep } as never), () => m.latentGrid({ size: deep } as never),
      () => m.traverse([0, 0], deep as never), () => m.interpolate([0, 0], [1, 1], { method: deep } as never)];
    for (const f of calls) {
      let err: unknown;
      try { f(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message.length).toBeLessThan(400);
    }
    await expect(m.fit(x, { epochs: deep } as never)).rejects.toThrow(InvalidInputError);
  });
});
