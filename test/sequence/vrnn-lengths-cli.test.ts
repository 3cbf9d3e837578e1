// --lengths on the command line (issue 16): a length per row of a VRNN's data file. A CLI run writes the bytes the
// SDK writes when it fits sequences(x, { steps, size, lengths }) with the same options; values in padded steps
// change nothing; evaluate (and its log-likelihood) equals the SDK's; bad length files are usage errors naming the
// flag, the file and the row; --lengths on any other model is refused.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/cli/npy";
import { loadModel } from "../../src/index";
import { VRNN, sequences } from "../../src/sequence";
import { randomArray } from "../helpers/wasm";
import { cli } from "../cli/helpers";

const N = 30, T = 5, D = 2;
const dir = mkdtempSync(join(tmpdir(), "vaekit-vrnn-lengths-"));
const path = (name: string) => join(dir, name);
const x = randomArray(N * T * D, 11, 0, 1);
// lengths 1…T, every one of them present
const lengths = Int32Array.from({ length: N }, (_, i) => 1 + ((i * 7) % T));
const csv = (values: ArrayLike<number>, cols: number) =>
  Array.from({ length: values.length / cols }, (_, r) => Array.from({ length: cols }, (_, c) => values[r * cols + c]).join(",")).join("\n") + "\n";
writeFileSync(path("seq.csv"), csv(x, T * D));
writeFileSync(path("lengths.csv"), csv(lengths, 1));
// the same sequences with other values in every padded step
const repadded = x.slice();
for (let i = 0; i < N; i++) for (let j = lengths[i] * D; j < T * D; j++) repadded[i * T * D + j] = 0.5 + 0.4 * Math.sin(i + j);
writeFileSync(path("repadded.csv"), csv(repadded, T * D));

const MODEL = ["--model", "vrnn", "--steps", String(T), "--state", "6", "--latent", "2", "--hidden", "5", "--seed", "3"];
const FIT = ["--epochs", "2", "--batch-size", "8", "--lr", "0.01"];
const sdkModel = () => VRNN.create({ inputSize: D, steps: T, hiddenSize: 6, latentSize: 2, phiX: [5], priorSizes: [5], encoderSizes: [5],
  decoderSizes: [5], seed: 3 });

async function train(data: string, out: string, extra: string[] = []): Promise<Uint8Array> {
  const r = await cli(["train", data, ...MODEL, ...FIT, "--lengths", path("lengths.csv"), "-o", out, "--quiet", ...extra]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return new Uint8Array(readFileSync(out));
}

describe("vaekit … --lengths (VRNN sequences of different lengths)", () => {
  it("train --lengths writes the SDK's model bytes for sequences(x, { steps, size, lengths }); padded values change nothing", async () => {
    const ours = await train(path("seq.csv"), path("a.safetensors"));
    const m = await sdkModel();
    await m.fit(sequences(x, { steps: T, size: D, lengths }), { epochs: 2, batchSize: 8, learningRate: 0.01 });
    const sdk = m.save();
    expect(ours).toEqual(sdk);
    // full-length training differs: the lengths were used
    const full = await cli(["train", path("seq.csv"), ...MODEL, ...FIT, "-o", path("full.safetensors"), "--quiet"]);
    expect(full.code, full.stderr).toBe(0);
    expect(new Uint8Array(readFileSync(path("full.safetensors")))).not.toEqual(ours);
    // other values in the padded steps: the same bytes
    expect(await train(path("repadded.csv"), path("b.safetensors"))).toEqual(ours);
    m.dispose();
  });

  it("train --validation-split splits the lengths with the rows; --validation-lengths goes with --validation (.npy lengths)", async () => {
    const split = await train(path("seq.csv"), path("s.safetensors"), ["--validation-split", "0.2"]);
    const m = await sdkModel();
    const all = sequences(x, { steps: T, size: D, lengths });
    await m.fit(sequences(x.subarray(0, 24 * T * D), { steps: T, size: D, lengths: lengths.subarray(0, 24) }), {
      epochs: 2, batchSize: 8, learningRate: 0.01, validationData: sequences(x.subarray(24 * T * D), { steps: T, size: D, lengths: lengths.subarray(24) }),
    });
    expect(split).toEqual(m.save());
    m.dispose();
    writeFileSync(path("vlengths.npy"), writeNpy(Float32Array.from(lengths.subarray(0, 10)), [10]));
    writeFileSync(path("val.csv"), csv(x.subarray(0, 10 * T * D), T * D));
    const hist = path("h.json");
    const v = await cli(["train", path("seq.csv"), ...MODEL, ...FIT, "--lengths", path("lengths.csv"), "--validation", path("val.csv"),
      "--validation-lengths", path("vlengths.npy"), "--history", hist, "-o", path("v.safetensors"), "--quiet"]);
    expect(v.code, v.stderr).toBe(0);
    const m2 = await sdkModel();
    const logs = await m2.fit(all, { epochs: 2, batchSize: 8, learningRate: 0.01,
      validationData: sequences(x.subarray(0, 10 * T * D), { steps: T, size: D, lengths: lengths.subarray(0, 10) }) });
    expect(new Uint8Array(readFileSync(path("v.safetensors")))).toEqual(m2.save());
    const logged = JSON.parse(readFileSync(hist, "utf8")) as { validation: { loss: number } }[];
    expect(logged.map((l) => l.validation.loss)).toEqual(logs.map((l) => l.validation!.loss));
    m2.dispose();
  });

  it("evaluate, encode and reconstruct --lengths equal the SDK's calls on sequences(x, { steps, size, lengths })", async () => {
    const file = path("e.safetensors");
    await train(path("seq.csv"), file);
    const m = (await loadModel(readFileSync(file))) as VRNN;
    const s = sequences(x, { steps: T, size: D, lengths });
    const e = await cli(["evaluate", file, path("seq.csv"), "--lengths", path("lengths.csv"), "--seed", "4", "--samples", "3", "--json", "--quiet"]);
    expect(e.code, e.stderr).toBe(0);
    const got = JSON.parse(e.stdout) as Record<string, number>;
    const terms = m.evaluate(s, { seed: 4 });
    expect(got.loss).toBe(terms.loss);
    expect(got.kl).toBe(terms.kl);
    expect(got.reconstruction).toBe(terms.reconstruction);
    const ll = m.logLikelihood(s, { samples: 3, seed: 4 });
    expect(got.logLikelihood).toBeCloseTo(ll.reduce((a, b) => a + b, 0) / N, 10);
    // without the lengths the loss differs (the padded steps count)
    const full = await cli(["evaluate", file, path("seq.csv"), "--seed", "4", "--json"]);
    expect((JSON.parse(full.stdout) as { loss: number }).loss).not.toBe(terms.loss);
    // padded values: the same numbers
    const re = await cli(["evaluate", file, path("repadded.csv"), "--lengths", path("lengths.csv"), "--seed", "4", "--json"]);
    expect((JSON.parse(re.stdout) as { loss: number }).loss).toBe(terms.loss);

    const enc = await cli(["encode", file, path("seq.csv"), "--lengths", path("lengths.csv"), "-o", path("z.npy")]);
    expect(enc.code, enc.stderr).toBe(0);
    const rec = await cli(["reconstruct", file, path("seq.csv"), "--lengths", path("lengths.csv"), "-o", path("r.csv")]);
    expect(rec.code, rec.stderr).toBe(0);
    const rows = readFileSync(path("r.csv"), "utf8").trim().split("\n").filter((l) => !/[a-z]/i.test(l)).map((l) => l.split(",").map(Number));
    expect(Float32Array.from(rows.flat())).toEqual(m.reconstruct(s));
    const z = readFileSync(path("z.npy"));
    const mean = m.encode(s).mean;
    expect(new Float32Array(z.buffer.slice(z.byteOffset + z.length - mean.length * 4, z.byteOffset + z.length))).toEqual(mean);
    m.dispose();
  });

  it("interpolate and traverse --lengths start from the codes of the sequences as their lengths cut them", async () => {
    const file = path("i.safetensors");
    await train(path("seq.csv"), file);
    const m = (await loadModel(readFileSync(file))) as VRNN;
    const mean = m.encode(sequences(x, { steps: T, size: D, lengths })).mean;
    const C = T * 2; // latent values per sequence
    const readCsv = (f: string) => Float32Array.from(readFileSync(f, "utf8").trim().split("\n").filter((l) => !/[a-z]/i.test(l)).flatMap((l) => l.split(",").map(Number)));
    const i = await cli(["interpolate", file, path("seq.csv"), "--lengths", path("lengths.csv"), "--pairs", "0:1", "--steps", "3", "-o", path("i.csv")]);
    expect(i.code, i.stderr).toBe(0);
    expect(readCsv(path("i.csv"))).toEqual(m.interpolate(mean.subarray(0, C), mean.subarray(C, 2 * C), { steps: 3 }));
    const t = await cli(["traverse", file, "--data", path("seq.csv"), "--index", "1", "--lengths", path("lengths.csv"), "--dims", "0",
      "--steps", "3", "--range", "1", "-o", path("t.csv")]);
    expect(t.code, t.stderr).toBe(0);
    expect(readCsv(path("t.csv"))).toEqual(m.traverse(mean.subarray(C, 2 * C), 0, { values: [-1, 0, 1] }));
    m.dispose();
  });

  it("refuses wrong counts, non-integers, 0 and lengths past --steps naming flag, file and row; --lengths on other models", async () => {
    const bad = async (name: string, content: string, flag = "lengths", cmd: string[] = []) => {
      writeFileSync(path(name), content);
      const r = cmd.length > 0
        ? await cli([...cmd, `--${flag}`, path(name)])
        : await cli(["train", path("seq.csv"), ...MODEL, ...FIT, `--${flag}`, path(name), "-o", path("never.safetensors"), "--quiet"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--${flag}`);
      expect(r.stderr).toContain(path(name));
      return r.stderr;
    };
    const rows = Array.from(lengths, String);
    expect(await bad("short.csv", rows.slice(0, N - 1).join("\n") + "\n")).toMatch(/29 lengths for 30 sequences: row 29/);
    expect(await bad("long.csv", [...rows, "1"].join("\n") + "\n")).toMatch(/31 lengths for 30 sequences: row 30/);
    expect(await bad("frac.csv", [...rows.slice(0, 4), "2.5", ...rows.slice(5)].join("\n") + "\n")).toMatch(/row 4: length 2\.5/);
    expect(await bad("zero.csv", [...rows.slice(0, 7), "0", ...rows.slice(8)].join("\n") + "\n")).toMatch(/row 7: length 0; expected a whole number of steps from 1 to 5/);
    expect(await bad("big.csv", [...rows.slice(0, 2), "6", ...rows.slice(3)].join("\n") + "\n")).toMatch(/row 2: length 6/);
    expect(await bad("wide.csv", rows.map((r) => `${r},1`).join("\n") + "\n")).toMatch(/2 values per row/);
    // evaluate checks them as train does, against the model's steps
    const file = path("e2.safetensors");
    await train(path("seq.csv"), file);
    expect(await bad("big2.csv", [...rows.slice(0, 9), "6", ...rows.slice(10)].join("\n") + "\n", "lengths", ["evaluate", file, path("seq.csv")])).toMatch(/row 9: length 6/);
    // validation lengths: checked against the validation rows
    writeFileSync(path("val.csv"), csv(x.subarray(0, 10 * T * D), T * D));
    const v = await cli(["train", path("seq.csv"), ...MODEL, ...FIT, "--lengths", path("lengths.csv"), "--validation", path("val.csv"),
      "--validation-lengths", path("lengths.csv"), "-o", path("never.safetensors"), "--quiet"]);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/--validation-lengths '.*lengths\.csv' holds 30 lengths for 10 sequences/);
    const nv = await cli(["train", path("seq.csv"), ...MODEL, "--validation-lengths", path("lengths.csv")]);
    expect(nv.stderr).toMatch(/--validation-lengths needs --validation/);
    // other models
    const vae = await cli(["train", path("seq.csv"), "--lengths", path("lengths.csv"), "--epochs", "1", "-o", path("vae.safetensors"), "--quiet"]);
    expect(vae.code).toBe(2);
    expect(vae.stderr).toMatch(/--lengths applies to a VRNN \(--model vrnn\); this model is --model vae/);
    const ok = await cli(["train", path("seq.csv"), "--epochs", "1", "--latent", "2", "--hidden", "4", "-o", path("vae.safetensors"), "--quiet"]);
    expect(ok.code, ok.stderr).toBe(0);
    for (const cmd of [["evaluate", path("vae.safetensors"), path("seq.csv")], ["encode", path("vae.safetensors"), path("seq.csv"), "-o", path("n.csv")],
      ["reconstruct", path("vae.safetensors"), path("seq.csv"), "-o", path("n.csv")]]) {
      const r = await cli([...cmd, "--lengths", path("lengths.csv")]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--lengths applies to a VRNN .*this model is a VAE/);
    }
    // nothing written by a refused train
    expect(() => readFileSync(path("never.safetensors"))).toThrow();
  });
});
