// The built command (dist/cli.js, as npm installs it): runs through its shebang with the core and the pictures
// taken from the package itself, exits with the documented codes, logs plain progress lines when stderr is not a
// terminal, and on Ctrl-C (SIGINT) exits 130 having saved exactly the model the SDK has after the last finished epoch.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { readIdxImages, VAE } from "../../src/index.js";
import { cli, MNIST_DIR, mnistFiles, type Files } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "dist", "cli.js");
let f: Files;

/** Builds the entries the command needs (the core for Node, vaekit/pictures, the command) with the package's rollup config. */
async function build(files: string[]): Promise<void> {
  const { rollup } = await import("rollup");
  type Output = { file?: string; dir?: string; entryFileNames?: unknown };
  type Config = { input?: unknown; output: Output | Output[] };
  const { default: configs } = (await import(join(ROOT, "rollup.config.mjs"))) as { default: Config[] };
  // an output names its file directly, or (the core's code-split builds) by dir + entryFileNames, a name or a
  // function of the chunk (the core's entry is the first input)
  const fileOf = (c: Config, o: Output) => {
    if (o.file) return o.file;
    const first = typeof c.input === "object" && c.input ? Object.keys(c.input)[0] : "";
    const name = typeof o.entryFileNames === "function" ? (o.entryFileNames as (c: { name: string }) => string)({ name: first }) : o.entryFileNames;
    return typeof name === "string" ? `${o.dir}/${name}` : "";
  };
  for (const c of configs) {
    const outputs = [c.output].flat();
    if (!outputs.some((o) => files.includes(fileOf(c, o)))) continue;
    const bundle = await rollup({ ...(c as object), onwarn: () => {} });
    for (const o of outputs) await bundle.write(o as never);
    await bundle.close();
  }
}

beforeAll(async () => {
  await build(["dist/index.js", "dist/pictures.js", "dist/cli.js"]);
  f = await mnistFiles();
});

const node = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT });

describe("dist/cli.js", () => {
  it("is an executable ES module with a shebang, importing the core and pictures from the package", () => {
    const text = readFileSync(BIN, "utf8");
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(text).toMatch(/from ['"]vaekit['"]/);
    expect(text).toMatch(/from ['"]vaekit\/pictures['"]/);
    expect(statSync(BIN).mode & 0o111).not.toBe(0);
    const direct = spawnSync(BIN, ["--version"], { encoding: "utf8" });
    expect(direct.stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`);
  });

  it("writes the same files as the command run from source, and the documented exit codes", async () => {
    const model = f.path("p.safetensors");
    const train = node(["train", f.npy, "--latent", "2", "--hidden", "16", "--epochs", "1", "--seed", "2", "-o", model]);
    expect(train.status).toBe(0);
    expect(train.stderr).not.toContain("\r"); // a pipe: plain lines
    expect(train.stderr).toMatch(/^epoch 1\/1 {2}\d+% {2}[\d,.]+ examples\/s {2}ETA \d+:\d\d {2}loss [\d.]+$/m);
    expect(train.stderr).toMatch(/^epoch 1\/1 {2}loss [\d.]+ {2}reconstruction/m);
    expect(node(["sample", model, "-n", "16", "-o", f.path("built.png")]).status).toBe(0);
    expect((await cli(["sample", model, "-n", "16", "-o", f.path("source.png")])).code).toBe(0);
    expect(readFileSync(f.path("built.png"))).toEqual(readFileSync(f.path("source.png")));

    const missing = node(["train", f.path("missing.npy")]);
    expect([missing.status, missing.stdout]).toEqual([1, ""]);
    expect(missing.stderr).toMatch(/^vaekit train: cannot read '.*missing\.npy': no such file or directory\n$/);
    const usage = node(["train", f.npy, "--epochs", "x"]);
    expect([usage.status, usage.stderr]).toEqual([2, "vaekit train: --epochs must be a whole number ≥ 1; got 'x'\n"]);
  });

  it("stops on SIGINT after the current batch, exits 130 and keeps the model of the last finished epoch", async () => {
    const model = f.path("interrupted.safetensors");
    const child = spawn(process.execPath, [BIN, "train", join(MNIST_DIR, "train-images-idx3-ubyte"), "--limit", "2000", "--latent", "4",
      "--hidden", "64", "--batch-size", "100", "--epochs", "100000", "--seed", "3", "-o", model], { cwd: ROOT });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (!sent && /^epoch 1\/100000 {2}loss/m.test(stderr)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code).toBe(130);
    const m = /vaekit train: interrupted in epoch (\d+); saved the model as of epoch (\d+) to (.*)\n$/.exec(stderr);
    expect(m).not.toBeNull();
    const [during, kept] = [Number(m![1]), Number(m![2])];
    expect(kept).toBeGreaterThanOrEqual(1);
    expect(during).toBeGreaterThanOrEqual(kept);
    expect(m![3]).toBe(model);
    const { images } = await readIdxImages(readFileSync(join(MNIST_DIR, "train-images-idx3-ubyte")));
    const vae = await VAE.create({ inputSize: 784, latentSize: 4, hiddenSizes: [64], seed: 3 });
    await vae.fit(images.subarray(0, 2000 * 784), { epochs: kept, batchSize: 100 });
    expect(new Uint8Array(readFileSync(model))).toEqual(vae.save());
    vae.dispose();
  });
});
