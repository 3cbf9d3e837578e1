// vaekit train --model multi-level: the options reach MultiLevelVAE (the file is byte for byte the SDK's after the
// same fit, groups and sub-groups included), and the grouped flags are refused elsewhere.
import { readFileSync, writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import { HybridVAE, MultiLevelVAE } from "../../src/grouped.js";
import { writeNpy } from "../../src/cli/npy.js";
import { cli, mnistFiles, oneLine, readNpyFile, readPng, type Files } from "../cli/helpers.js";

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

describe("vaekit swap and vaekit complete (the grouped models' pictures)", () => {
  it("swap: the SDK's swap grid as .npy, a PNG with the styles on top, one row per group with --distinct", async () => {
    const model = f.path("sw.safetensors");
    const t = await cli(["train", f.npy, "-o", model, "--quiet", "--model", "multi-level", "--style", "2", "--content", "3", "--hidden", "16",
      "--groups", f.path("groups.csv"), "--subgroup-size", "8", "--epochs", "1", "--batch-size", "64", "--seed", "2"]);
    expect(t.code).toBe(0);
    const contents = f.x.subarray(0, 6 * 784), styles = f.x.subarray(100 * 784, 104 * 784), g = [4, 4, 4, 9, 9, 1];
    writeFileSync(f.path("c.npy"), writeNpy(Float32Array.from(contents), [6, 784]));
    writeFileSync(f.path("s.npy"), writeNpy(Float32Array.from(styles), [4, 784]));
    writeFileSync(f.path("g.csv"), `group\n${g.join("\n")}\n`);
    const r = await cli(["swap", model, f.path("c.npy"), f.path("s.npy"), "--content-groups", f.path("g.csv"), "-o", f.path("sw.npy")]);
    expect(r.stderr).toBe("");
    const m = await MultiLevelVAE.load(readFileSync(model));
    const want = m.swap(contents, styles, { contentGroups: g });
    m.dispose();
    expect(readNpyFile(f.path("sw.npy"))).toEqual(want);
    const p = await cli(["swap", model, f.path("c.npy"), f.path("s.npy"), "--content-groups", f.path("g.csv"), "--distinct", "-o", f.path("sw.png")]);
    expect(p.stderr).toBe("");
    const png = readPng(f.path("sw.png"));
    // 4 columns of 28 + padding 1; the styles row and 3 groups' rows
    expect([png.width, png.height]).toEqual([1 + 4 * 29, 1 + 4 * 29]);
    const wrong = await cli(["swap", f.path("h.safetensors"), f.path("c.npy"), f.path("s.npy"), "-o", f.path("x.png")]);
    expect(oneLine(wrong)).toMatch(/vaekit swap takes a MultiLevelVAE; .* holds a HybridVAE/);
    const distinct = await cli(["swap", model, f.path("c.npy"), f.path("s.npy"), "--distinct", "-o", f.path("x.png")]);
    expect(oneLine(distinct)).toMatch(/--distinct needs --content-groups/);
  });

  it("complete: the SDK's impute as .npy, and pairs input | completion as a PNG", async () => {
    const model = f.path("h.safetensors"); // trained by "vaekit train --model hybrid" above
    const n = 12;
    writeFileSync(f.path("twelve.npy"), writeNpy(Float32Array.from(f.x.subarray(0, n * 784)), [n, 784]));
    const present = Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 || (i >> 1) % 2 === 0 ? 1 : 0)); // odd examples lack a bottom
    writeFileSync(f.path("p12.csv"), `top,bottom\n${Array.from({ length: n }, (_, r) => `${present[2 * r]},${present[2 * r + 1]}`).join("\n")}\n`);
    const r = await cli(["complete", model, f.path("twelve.npy"), "--present", f.path("p12.csv"), "-o", f.path("done.npy")]);
    expect(r.stderr).toBe("");
    const m = await HybridVAE.load(readFileSync(model));
    const want = m.impute(f.x.subarray(0, n * 784), { present });
    m.dispose();
    const got = readNpyFile(f.path("done.npy"));
    expect(got).toEqual(want);
    expect(got.subarray(784 + 392, 2 * 784)).not.toEqual(f.x.subarray(784 + 392, 2 * 784)); // a missing bottom filled in
    expect(got.subarray(0, 784)).toEqual(f.x.subarray(0, 784)); // a complete example as given
    const p = await cli(["complete", model, f.path("twelve.npy"), "--present", f.path("p12.csv"), "--columns", "3", "-o", f.path("done.png")]);
    expect(p.stderr).toBe("");
    const png = readPng(f.path("done.png"));
    expect([png.width, png.height]).toEqual([1 + 6 * 29, 1 + 4 * 29]); // 3 pairs per row, 4 rows
    const none = await cli(["complete", model, f.path("twelve.npy"), "-o", f.path("x.npy")]);
    expect(oneLine(none)).toMatch(/needs --present/);
  });
});
