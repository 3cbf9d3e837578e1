// vaekit train --save-optimizer / --resume: two runs of the command (N epochs, then M more resumed from the first
// run's file) write the bytes of one N + M epoch run, and --resume refuses model options (they come from the file).
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, mnistFiles, type Files } from "./helpers.js";

let f: Files;
beforeAll(async () => {
  f = await mnistFiles();
});

describe("vaekit train --resume", () => {
  it("N epochs, then M more from the saved file == N + M epochs in one run, byte for byte", async () => {
    const model = ["--latent", "2", "--hidden", "16", "--seed", "5"];
    const train = ["--dynamic-binarization", "--batch-size", "64", "--optimizer", "adamw", "--lr", "0.003", "--validation-split", "0.2", "--quiet"];
    const [one, first, second] = ["one", "first", "second"].map((n) => f.path(`${n}.safetensors`));
    const run = async (argv: string[]) => {
      const r = await cli(["train", f.npy, ...argv]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    };
    await run([...model, ...train, "--epochs", "3", "--save-optimizer", "-o", one]);
    await run([...model, ...train, "--epochs", "2", "--save-optimizer", "-o", first]);
    await run([...train, "--epochs", "1", "--save-optimizer", "--resume", first, "-o", second]);
    const same = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));
    expect(same(second, one), "the resumed run's file is the one-run file").toBe(true);
    expect(same(first, one)).toBe(false);
    const r = await cli(["train", f.npy, "--resume", first, "--latent", "3", "-o", f.path("x.safetensors")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--latent: --resume takes the model's class and config/);
  });
});

describe("vaekit train --resume for every model kind the command trains", () => {
  // model flags (the first run only), training flags (both runs), and the data file, per kind
  const writeCsv = (name: string, rows: number[][]): string => {
    const path = f.path(name);
    writeFileSync(path, rows.map((r) => r.join(",")).join("\n") + "\n");
    return path;
  };
  const cases: Record<string, () => { model: string[]; train: string[]; data?: string }> = {
    "vae-gan": () => ({ model: ["--model", "vae-gan", "--latent", "2", "--hidden", "8", "--discriminator", "8", "--seed", "2"], train: ["--batch-size", "100"] }),
    "cvae-gan": () => ({
      model: ["--model", "cvae-gan", "--latent", "2", "--hidden", "8", "--discriminator", "8", "--classifier", "8", "--seed", "3"],
      train: ["--labels", f.labelsCsv, "--batch-size", "100"],
    }),
    "multi-level": () => ({
      model: ["--model", "multi-level", "--style", "2", "--content", "2", "--hidden", "16", "--seed", "5"],
      train: ["--groups", writeCsv("groups.csv", [["group"] as never, ...Array.from(f.y, (g) => [g])]), "--subgroup-size", "10", "--batch-size", "64"],
    }),
    hybrid: () => {
      const n = f.y.length;
      const present = writeCsv("present.csv", Array.from({ length: n }, (_, r) => [1, r % 3 === 0 ? 0 : 1]));
      return { model: ["--model", "hybrid", "--parts", "top:392:bernoulli,bottom:392:bernoulli", "--latent", "3", "--hidden", "16", "--seed", "5"], train: ["--present", present, "--batch-size", "64"] };
    },
    vrnn: () => {
      const rows = Array.from({ length: 48 }, (_, i) => Array.from({ length: 12 }, (_, j) => ((i * 7 + j * 3) % 10) / 10));
      return { model: ["--model", "vrnn", "--steps", "4", "--state", "6", "--latent", "2", "--hidden", "6", "--seed", "1"], train: ["--batch-size", "16"], data: writeCsv("seq.csv", rows) };
    },
  };
  for (const [kind, make] of Object.entries(cases)) {
    it(`${kind}: 2 epochs, then 1 more resumed == 3 epochs in one run, byte for byte`, async () => {
      const { model, train, data = f.npy } = make();
      const [one, first, second] = ["one", "first", "second"].map((n) => f.path(`${kind}-${n}.safetensors`));
      const run = async (argv: string[]) => {
        const r = await cli(["train", data, "--quiet", "--save-optimizer", ...train, ...argv]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
      };
      await run([...model, "--epochs", "3", "-o", one]);
      await run([...model, "--epochs", "2", "-o", first]);
      await run(["--epochs", "1", "--resume", first, "-o", second]);
      expect(readFileSync(second).equals(readFileSync(one)), "the resumed run's file is the one-run file").toBe(true);
      expect(readFileSync(first).equals(readFileSync(one))).toBe(false);
    });
  }
});

describe("vaekit train's training control flags", () => {
  it("--lr-schedule, --early-stopping with --restore-best and --checkpoint write what the SDK does with the same options", async () => {
    const { VAE } = await import("../../src/index.js");
    const out = f.path("es.safetensors"), ck = f.path("ck-{epoch}.safetensors");
    const r = await cli(["train", f.npy, "--latent", "2", "--hidden", "16", "--seed", "7", "--batch-size", "64", "--lr", "0.01",
      "--validation-split", "0.25", "--epochs", "6", "--lr-schedule", "step:2:0.5", "--early-stopping", "0:1e9", "--restore-best",
      "--checkpoint", ck, "--checkpoint-every", "1", "--quiet", "-o", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const vae = await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [16], seed: 7 });
    const logs = await vae.fit(f.x.subarray(0, 300 * 784), { epochs: 6, batchSize: 64, learningRate: 0.01, validationData: f.x.subarray(300 * 784),
      schedule: { type: "step", every: 2, gamma: 0.5 }, earlyStopping: { patience: 0, minDelta: 1e9, restoreBestWeights: true } });
    expect(logs.length).toBe(2); // epoch 2 can't beat epoch 1 by 1e9: stopped, epoch 1's weights back
    expect(readFileSync(out).equals(Buffer.from(vae.save()))).toBe(true);
    const first = await VAE.load(new Uint8Array(readFileSync(f.path("ck-1.safetensors"))));
    // epoch 1's checkpoint holds the weights early stopping put back (its step counter is epoch 1's, the model's moved on)
    const [a, b] = [first.getWeights(), vae.getWeights()];
    for (const k of Object.keys(b)) expect(Buffer.from(a[k].buffer).equals(Buffer.from(b[k].buffer)), k).toBe(true);
    expect(first.trainingSteps).toBeLessThan(vae.trainingSteps);
    first.dispose();
    vae.dispose();
    // the history gets the rate of each epoch as a column of its own (not a loss term)
    const csv = f.path("h.csv");
    expect((await cli(["train", f.npy, "--latent", "2", "--hidden", "8", "--epochs", "3", "--lr-schedule", "exponential:0.5", "--quiet",
      "--history", csv, "-o", f.path("h.safetensors")])).code).toBe(0);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines[0]).toBe("epoch,loss,reconstruction,kl,learning_rate,seconds,examples_per_second");
    expect(lines.slice(1).map((l) => Number(l.split(",")[4]))).toEqual([1e-3, 5e-4, 2.5e-4]);
    for (const bad of [["--lr-schedule", "linear:3"], ["--lr-schedule", "step"], ["--restore-best"], ["--checkpoint-every", "2"], ["--early-stopping", "1.5"]]) {
      const e = await cli(["train", f.npy, ...bad, "-o", f.path("x.safetensors")]);
      expect(e.code, bad.join(" ")).toBe(2);
    }
  });
});
