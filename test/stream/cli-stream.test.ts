// vaekit train on data read a batch at a time (--stream, src/cli/stream-data.ts): the model file equals the one the
// in-memory run writes with the same --shuffle-range (the auto threshold picks streaming by size), for a VAE with a
// validation split and a conditional VAE with labels; a gzipped file is refused with a hint.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, type Files, mnistFiles } from "../cli/helpers.js";

let f: Files;
beforeAll(async () => {
  f = await mnistFiles();
});

async function train(argv: string[]): Promise<{ bytes: Uint8Array; stderr: string; code: number }> {
  const out = f.path(`m${Math.random().toString(36).slice(2)}.safetensors`);
  const r = await cli(["train", ...argv, "-o", out, "--quiet"]);
  return { bytes: r.code === 0 ? new Uint8Array(readFileSync(out)) : new Uint8Array(0), stderr: r.stderr, code: r.code };
}

describe("vaekit train --stream", () => {
  const common = ["--latent", "2", "--hidden", "16", "--epochs", "2", "--batch-size", "40", "--seed", "3", "--shuffle-range", "8"];

  it("streamed (forced, or over --stream-above) writes the same model as in memory, with a validation split", async () => {
    const mem = await train([f.npy, ...common, "--validation-split", "0.25", "--stream", "never"]);
    expect(mem.code).toBe(0);
    const forced = await train([f.npy, ...common, "--validation-split", "0.25", "--stream", "always"]);
    expect(forced.stderr).toBe("");
    expect(forced.bytes).toEqual(mem.bytes);
    // the file is ~1.2 MB: over a 1 MB threshold it streams, under 2 MB it doesn't; both give the same bits
    const auto = await train([f.npy, ...common, "--validation-split", "0.25", "--stream-above", "1"]);
    expect(auto.bytes).toEqual(mem.bytes);
    const differ = await train([f.npy, ...common.slice(0, -2), "--validation-split", "0.25", "--stream", "never"]);
    expect(differ.bytes).not.toEqual(mem.bytes); // the range shuffle is not the row shuffle: the comparison can fail
  });

  it("a conditional model streams its examples with labels from a file", async () => {
    const args = [f.npy, "--model", "conditional", "--labels", f.labelsCsv, ...common];
    const mem = await train([...args, "--stream", "never"]);
    const str = await train([...args, "--stream", "always", "--read-ahead", "1"]);
    expect(str.stderr).toBe("");
    expect(str.bytes).toEqual(mem.bytes);
  });

  it("a gzipped file can't be streamed: a usage error says what to do", async () => {
    const gz = f.path("digits.npy.gz");
    writeFileSync(gz, gzipSync(readFileSync(f.npy)));
    const r = await train([gz, ...common, "--stream", "always"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/gzipped.*gunzip it.*--stream never/);
    const bad = await train([f.npy, ...common, "--stream", "sometimes"]);
    expect(bad.stderr).toMatch(/--stream/);
  });
});
