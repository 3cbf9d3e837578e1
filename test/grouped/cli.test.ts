// vaekit train --model multi-level: the options reach MultiLevelVAE (the file is byte for byte the SDK's after the
// same fit, groups and sub-groups included), and the grouped flags are refused elsewhere.
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import { HybridVAE, MultiLevelVAE } from "../../src/grouped.js";
import { cli, mnistFiles, type Files } from "../cli/helpers.js";

let f: Files;
beforeAll(async () => {
  f = await mnistFiles();
  writeFileSync(f.path("groups.csv"), `group\n${Array.from(f.y).join("\n")}\n`);
});

describe("vaekit train --model multi-level", () => {
  it("trains with --groups and --subgroup-size as the SDK does", async () => {
    const out = f.path("ml.safetensors");
    const r = await cli(["train", f.npy, "-o", out, "--quiet", "--model", "multi-level", "--style", "3", "--content", "4", "--hidden", "32",
      "--groups", f.path("groups.csv"), "--subgroup-size", "10", "--epochs", "2", "--batch-size", "64", "--seed", "5"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const m = await MultiLevelVAE.create({ inputSize: 784, styleSize: 3, contentSize: 4, hiddenSizes: [32], seed: 5 });
    await m.fit(f.x, { groups: f.y, subgroupSize: 10, epochs: 2, batchSize: 64 });
    expect(new Uint8Array(readFileSync(out))).toEqual(m.save());
    m.dispose();
    const loaded = await loadModel(readFileSync(out));
    expect(loaded.kind).toBe("MultiLevelVAE");
    expect((loaded.config as { accumulate: boolean }).accumulate).toBe(true);
    loaded.dispose();
  });

  it("refuses a group too large for the batch without --subgroup-size, and --groups for other models", async () => {
    const a = await cli(["train", f.npy, "-o", f.path("x.safetensors"), "--quiet", "--model", "multi-level", "--hidden", "16", "--groups", f.path("groups.csv"), "--epochs", "1", "--batch-size", "32"]);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toMatch(/more than batchSize 32/);
    const b = await cli(["train", f.npy, "-o", f.path("y.safetensors"), "--quiet", "--groups", f.path("groups.csv")]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/--groups applies to --model multi-level/);
    const c = await cli(["train", f.npy, "-o", f.path("z.safetensors"), "--quiet", "--model", "multi-level", "--latent", "3"]);
    expect(c.stderr).toMatch(/--latent applies to --model/);
  });
});

describe("vaekit train --model hybrid", () => {
  it("trains with --parts and --present as the SDK does", async () => {
    const n = f.y.length;
    const present = Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 || (i >> 1) % 3 !== 0 ? 1 : 0)); // bottom missing for every third
    writeFileSync(f.path("present.csv"), `top,bottom\n${Array.from({ length: n }, (_, r) => `${present[2 * r]},${present[2 * r + 1]}`).join("\n")}\n`);
    const out = f.path("h.safetensors");
    const r = await cli(["train", f.npy, "-o", out, "--quiet", "--model", "hybrid", "--parts", "top:392:bernoulli,bottom:392:bernoulli",
      "--latent", "4", "--hidden", "32", "--present", f.path("present.csv"), "--epochs", "2", "--batch-size", "64", "--seed", "5"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const m = await HybridVAE.create({ parts: { top: { size: 392, likelihood: "bernoulli" }, bottom: { size: 392, likelihood: "bernoulli" } }, latentSize: 4, hiddenSizes: [32], seed: 5 });
    await m.fit(f.x, { present, epochs: 2, batchSize: 64 });
    expect(new Uint8Array(readFileSync(out))).toEqual(m.save());
    m.dispose();
    const bad = await cli(["train", f.npy, "-o", f.path("b.safetensors"), "--quiet", "--model", "hybrid", "--parts", "top:392", "--epochs", "1"]);
    expect(bad.stderr).toMatch(/--parts: 'top:392' must be name:size:likelihood/);
    const other = await cli(["train", f.npy, "-o", f.path("c.safetensors"), "--quiet", "--present", f.path("present.csv")]);
    expect(other.stderr).toMatch(/--present applies to --model hybrid/);
  });
});
