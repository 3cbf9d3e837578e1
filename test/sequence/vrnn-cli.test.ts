// vaekit train --model vrnn: rows of a CSV as sequences of --steps steps; the other commands work on the file
// through ModelApi; usage errors name the flag. Also the flat-rows input of a VRNN created with config.steps.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/index";
import { VRNN, sequences } from "../../src/sequence";
import { randomArray } from "../helpers/wasm";
import { cli } from "../cli/helpers";

describe("VRNN on the command line", () => {
  it("trains from CSV rows of T steps, then samples, encodes and evaluates the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vaekit-vrnn-"));
    const v = randomArray(40 * 12, 1, 0, 1);
    const rows = Array.from({ length: 40 }, (_, i) => Array.from(v.subarray(i * 12, (i + 1) * 12)).join(","));
    writeFileSync(join(dir, "seq.csv"), rows.join("\n") + "\n");
    const model = join(dir, "m.safetensors");
    const t = await cli(["train", join(dir, "seq.csv"), "--model", "vrnn", "--steps", "4", "--state", "8", "--latent", "2", "--hidden", "8",
      "--cell", "lstm", "--epochs", "2", "--batch-size", "16", "--seed", "1", "-o", model, "--quiet"]);
    expect(t.code, t.stderr).toBe(0);
    const m = await loadModel(readFileSync(model));
    expect(m).toBeInstanceOf(VRNN);
    expect(m.config).toMatchObject({ inputSize: 3, steps: 4, hiddenSize: 8, latentSize: 2, cell: "lstm" });
    expect(m.trainingSteps).toBe(6);
    const s = await cli(["sample", model, "-n", "3", "--seed", "1", "-o", join(dir, "s.csv")]);
    expect(s.code, s.stderr).toBe(0);
    const sampled = readFileSync(join(dir, "s.csv"), "utf8").trim().split("\n").map((l) => l.split(",").map(Number));
    expect(sampled.length).toBe(3);
    expect(sampled[0].length).toBe(12);
    expect(Float32Array.from(sampled.flat())).toEqual((m as VRNN).sample(3, { seed: 1 }));
    const e = await cli(["evaluate", model, join(dir, "seq.csv")]);
    expect(e.code, e.stderr).toBe(0);
    const loss = Number(/loss\s+([\d.]+)/.exec(e.stdout + e.stderr)![1]);
    expect(loss).toBeCloseTo(m.evaluateAny(v, { seed: 0 }).loss, 3);
    m.dispose();
  });

  it("refuses --model vrnn without --steps, steps that don't divide a row, and vrnn flags on other models", async () => {
    const dir = mkdtempSync(join(tmpdir(), "vaekit-vrnn-"));
    writeFileSync(join(dir, "seq.csv"), "0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n");
    const a = await cli(["train", join(dir, "seq.csv"), "--model", "vrnn"]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/--steps/);
    const b = await cli(["train", join(dir, "seq.csv"), "--model", "vrnn", "--steps", "3"]);
    expect(b.stderr).toMatch(/not a whole number of steps/);
    const c = await cli(["train", join(dir, "seq.csv"), "--cell", "lstm"]);
    expect(c.stderr).toMatch(/--cell applies to --model vrnn/);
  });

  it("flat rows with config.steps are full-length sequences; decode replays latent trajectories", async () => {
    const m = await VRNN.create({ inputSize: 3, steps: 4, hiddenSize: 6, latentSize: 2, phiX: [5], phiZ: [4], priorSizes: [4],
      encoderSizes: [4], decoderSizes: [4], seed: 2 });
    const v = randomArray(5 * 12, 3, 0, 1);
    expect(m.evaluate(v, { seed: 1 })).toEqual(m.evaluate(sequences(v, { steps: 4, size: 3 }), { seed: 1 }));
    expect(m.capabilities).toMatchObject({ inputSize: 12, latentSize: 8 });
    const z = m.encode(v).mean;
    const x = m.decode(z);
    expect(x.length).toBe(5 * 12);
    expect(m.decode(z)).toEqual(x);
    // decoding a trajectory: each step's output depends on that step's z (change z at step 2 only: steps 0–1 stay)
    const z2 = z.slice();
    z2[2 * 2] += 1;
    const x2 = m.decode(z2);
    expect(x2.subarray(0, 6)).toEqual(x.subarray(0, 6));
    expect(x2.subarray(6, 9)).not.toEqual(x.subarray(6, 9));
    expect(() => m.decode(z.subarray(1))).toThrow(/latent values/);
    expect(() => m.latentGridAny()).toThrow(/sample\(\)/);
    expect(m.traverse(z.subarray(0, 8), 3, { values: [0.5] })).toEqual(m.decode(Float32Array.from(z.subarray(0, 8)).fill(0.5, 3, 4)));
    m.dispose();
  });
});
