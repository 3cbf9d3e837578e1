// Model files read with Node's fs arrive as Buffers, whose slice() is a view, not a copy: loading must not
// depend on which Uint8Array subclass holds the bytes or where in its ArrayBuffer they sit.
import { describe, expect, it } from "vitest";
import { VAE, decodeSafetensors, encodeSafetensors } from "../../src/index.js";

describe("loading from a Node Buffer", () => {
  it("decodeSafetensors reads each tensor's own bytes from a Buffer", () => {
    const a = Float32Array.from([1, 2, 3]);
    const b = Float32Array.from([-4, 5.5]);
    const bytes = encodeSafetensors(new Map([["a", { shape: [3], data: a }], ["b", { shape: [2], data: b }]]));
    for (const holder of [Buffer.from(bytes), Buffer.concat([Buffer.alloc(12), Buffer.from(bytes)]).subarray(12)]) {
      const file = decodeSafetensors(holder);
      expect(Array.from(file.tensors.get("a")!.data)).toEqual([1, 2, 3]);
      expect(Array.from(file.tensors.get("b")!.data)).toEqual([-4, 5.5]);
    }
  });

  it("VAE.load(Buffer) gives the model that was saved", async () => {
    const vae = await VAE.create({ inputSize: 6, hiddenSizes: [5], latentSize: 2, likelihood: "gaussian", seed: 3 });
    const bytes = vae.save();
    const again = await VAE.load(Buffer.from(bytes));
    expect(again.save()).toEqual(bytes);
    const x = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(again.encode(x).mean).toEqual(vae.encode(x).mean);
    vae.dispose();
    again.dispose();
  });
});
