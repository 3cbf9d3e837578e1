// Weight initialisation: PyTorch's nn.Linear default, or Glorot-uniform with zero biases (config.init), for every model
// class; the choice is checked, saved with the model and reproduces the same weights from the same seed.
import { describe, expect, it } from "vitest";
import { Autoencoder, ConditionalVAE, HierarchicalVAE, InvalidConfigError, loadModel, VAE } from "../../src/index.js";

type AnyModel = { getWeights(): Record<string, Float32Array>; save(): Uint8Array; dispose(): void; config: { init: string } };
const makers: [string, (init?: "pytorch" | "glorot") => Promise<AnyModel>][] = [
  ["VAE", (init) => VAE.create({ inputSize: 30, hiddenSizes: [20, 12], latentSize: 3, activation: "tanh", init, seed: 3 })],
  ["ConditionalVAE", (init) => ConditionalVAE.create({ inputSize: 30, hiddenSizes: [20], latentSize: 3, classes: 4, init, seed: 3 })],
  ["HierarchicalVAE", (init) => HierarchicalVAE.create({ inputSize: 30, latentSizes: [6, 3], hiddenSizes: [[20], [10]], init, seed: 3 })],
  ["Autoencoder", (init) => Autoencoder.create({ inputSize: 30, hiddenSizes: [20], latentSize: 5, init, seed: 3 })],
  ["VAE from layer lists", (init) => VAE.create({ inputShape: [5, 6, 1], latentSize: 3, init, seed: 3,
    encoder: [{ type: "flatten" }, { type: "dense", units: 20, activation: "tanh" }, { type: "dense", units: 12, activation: "tanh" }],
    decoder: [{ type: "dense", units: 20, activation: "tanh" }, { type: "dense", units: 30 }] })],
];

/** (fan_in, fan_out) of a 2-D weight tensor stored [in, out] as vaekit stores dense weights. */
function fans(name: string, m: AnyModel): [number, number] | null {
  const w = m.getWeights()[name];
  const bias = m.getWeights()[name.replace(/weight$/, "bias")];
  if (!name.endsWith("weight") || !bias) return null;
  return [w.length / bias.length, bias.length];
}

describe("config.init", () => {
  for (const [kind, make] of makers) {
    it(`${kind}: "glorot" draws U(±√(6/(in+out))) weights and zero biases; default "pytorch" U(±1/√in) both`, async () => {
      const g = await make("glorot");
      const p = await make();
      expect(g.config.init).toBe("glorot");
      expect(p.config.init).toBe("pytorch");
      let layers = 0;
      for (const name of Object.keys(g.getWeights())) {
        const f = fans(name, g);
        if (!f) continue;
        layers++;
        const [fin, fout] = f;
        const gw = g.getWeights()[name], pw = p.getWeights()[name];
        const gb = g.getWeights()[name.replace(/weight$/, "bias")], pb = p.getWeights()[name.replace(/weight$/, "bias")];
        const gBound = Math.sqrt(6 / (fin + fout)), pBound = 1 / Math.sqrt(fin);
        const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(maxAbs(gw), name).toBeLessThanOrEqual(gBound);
        expect(maxAbs(gw), name).toBeGreaterThan(0.8 * gBound);
        expect(maxAbs(pw), name).toBeLessThanOrEqual(pBound);
        expect(maxAbs(pw), name).toBeGreaterThan(0.8 * pBound);
        expect(gb.every((v) => v === 0), name).toBe(true);
        expect(pb.some((v) => v !== 0), name).toBe(true);
        // the same uniform draws, scaled by the ratio of the two bounds — with the tensor's own fan_out also where a
        // layer is stored as several nn.Linear parts (a VAE's mean and log-variance heads), as Keras's two Dense heads
        // and PyTorch's xavier_uniform_ on two Linear modules draw them
        for (let i = 0; i < gw.length; i += 7) expect(gw[i] / pw[i] / (gBound / pBound), name).toBeCloseTo(1, 5);
      }
      expect(layers).toBeGreaterThanOrEqual(4);
      const again = await loadModel(g.save());
      expect((again.config as { init: string }).init).toBe("glorot");
      for (const [name, w] of Object.entries(g.getWeights())) expect(again.getWeights()[name]).toEqual(w);
      for (const m of [g, p, again]) m.dispose();
    });
  }

  it("rejects an unknown init with an InvalidConfigError that lists the choices", async () => {
    const bad = VAE.create({ inputSize: 4, latentSize: 2, init: "xavier" as never });
    await expect(bad).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(bad).rejects.toThrow(/init must be "pytorch" or "glorot"; got "xavier"/);
  });
});
