// vaekit train --save-optimizer / --resume: two runs of the command (N epochs, then M more resumed from the first
// run's file) write the bytes of one N + M epoch run, and --resume refuses model options (they come from the file).
import { readFileSync } from "node:fs";
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
