// The inference commands give exactly the SDK's numbers (and pictures of exactly those numbers); --help lists
// every option with its default; every bad argument or file gets one line on stderr and exit code 2 or 1.
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/run.js";
import { Autoencoder, ConditionalVAE, HierarchicalVAE, VAE } from "../../src/index.js";
import { imageGrid, latentScatter, latentScatterSvg, reconstructionGrid, type Picture } from "../../src/pictures.js";
import { writeNpy } from "../../src/cli/npy.js";
import { deepJson, join, split, withTensor } from "../harden/files.js";
import { cli, MNIST_DIR, mnistFiles, oneLine, readNpyFile, readPng, type Files } from "./helpers.js";

let f: Files;
let vae: VAE, cvae: ConditionalVAE, hvae: HierarchicalVAE, ae: Autoencoder, vae3: VAE;
const M = { vae: "", cvae: "", hvae: "", ae: "", vae3: "" };

beforeAll(async () => {
  f = await mnistFiles();
  vae = await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [32], seed: 1 });
  await vae.fit(f.x, { epochs: 1 });
  cvae = await ConditionalVAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [32], classes: 10, seed: 1 });
  await cvae.fit(f.x, f.y, { epochs: 1 });
  hvae = await HierarchicalVAE.create({ inputSize: 784, latentSizes: [4, 2], hiddenSizes: [[16], [8]], seed: 1 });
  ae = await Autoencoder.create({ inputSize: 784, latentSize: 4, hiddenSizes: [16], seed: 1 });
  vae3 = await VAE.create({ inputSize: 784, latentSize: 3, hiddenSizes: [8], seed: 1 });
  for (const [k, m] of Object.entries({ vae, cvae, hvae, ae, vae3 })) {
    M[k as keyof typeof M] = f.path(`${k}.safetensors`);
    writeFileSync(M[k as keyof typeof M], m.save());
  }
});

afterAll(() => {
  for (const m of [vae, cvae, hvae, ae, vae3]) m.dispose();
});

const rows = (n: number) => f.x.subarray(0, n * 784);

async function ok(argv: string[]): Promise<string> {
  const r = await cli(argv);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

function samePicture(path: string, p: Picture): void {
  const png = readPng(path);
  expect([png.width, png.height]).toEqual([p.width, p.height]);
  expect(png.data).toEqual(new Uint8Array(p.data));
}

describe("evaluate", () => {
  it("prints the SDK's loss terms and log-likelihood (blocks of 100 examples, seed + block)", async () => {
    const out = JSON.parse(await ok(["evaluate", M.vae, f.npy, "--limit", "150", "--samples", "20", "--seed", "3", "--json", "--quiet"]));
    const x = rows(150);
    const terms = vae.evaluate(x, { seed: 3 });
    const ll = [...vae.logLikelihood(x.subarray(0, 100 * 784), { samples: 20, seed: 3 }), ...vae.logLikelihood(x.subarray(100 * 784), { samples: 20, seed: 4 })];
    expect(out).toEqual({ model: "VAE 784-32-2", examples: 150, ...terms, logLikelihood: ll.reduce((a, b) => a + b) / 150, samples: 20 });
    const text = await ok(["evaluate", M.vae, f.npy, "--limit", "50", "--samples", "10", "--quiet"]);
    const l50 = vae.logLikelihood(rows(50), { samples: 10, seed: 0 }).reduce((a, b) => a + b) / 50;
    const t50 = vae.evaluate(rows(50), { seed: 0 });
    expect(text).toBe([
      "model           VAE 784-32-2", "examples        50", `loss            ${t50.loss.toFixed(4)}`,
      `reconstruction  ${t50.reconstruction.toFixed(4)}`, `kl              ${t50.kl.toFixed(4)}`, `log-likelihood  ${l50.toFixed(4)}  (k = 10)`, "",
    ].join("\n"));
  });

  it("evaluates a ConditionalVAE with its labels and an Autoencoder's terms", async () => {
    const c = JSON.parse(await ok(["evaluate", M.cvae, f.npy, "--labels", f.labelsCsv, "--limit", "60", "--samples", "5", "--json", "--quiet"]));
    expect(c.loss).toBe(cvae.evaluate(rows(60), f.y.subarray(0, 60), { seed: 0 }).loss);
    expect(c.logLikelihood).toBe(cvae.logLikelihood(rows(60), f.y.subarray(0, 60), { samples: 5, seed: 0 }).reduce((a, b) => a + b) / 60);
    // The same from MNIST's own IDX files, and with the labels as a float32 .npy of class numbers.
    const idx = JSON.parse(await ok(["evaluate", M.cvae, `${MNIST_DIR}/t10k-images-idx3-ubyte`, "--labels", `${MNIST_DIR}/t10k-labels-idx1-ubyte`,
      "--limit", "60", "--samples", "5", "--json", "--quiet"]));
    expect(idx).toEqual(c);
    writeFileSync(f.path("labels.npy"), writeNpy(Float32Array.from(f.y), [400]));
    expect(JSON.parse(await ok(["evaluate", M.cvae, f.npy, "--labels", f.path("labels.npy"), "--limit", "60", "--samples", "5", "--json", "--quiet"]))).toEqual(c);
    const a = JSON.parse(await ok(["evaluate", M.ae, f.npy, "--json"]));
    expect(a).toEqual({ model: "Autoencoder 784-16-4", examples: 400, ...ae.evaluate(f.x) });
  });
});

describe("interrupting evaluate", () => {
  it("stops between blocks of the log-likelihood and exits 130", async () => {
    const controller = new AbortController();
    const r = await cli(["evaluate", M.vae, f.npy, "--samples", "50"], { tty: true, now: () => 1e9, onStderr: () => controller.abort(), signal: controller.signal });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe("");
    expect(r.stderr.split(/\n|\r\x1b\[K/).filter((l) => l.startsWith("vaekit"))).toEqual(["vaekit evaluate: interrupted"]);
    expect(r.stderr.match(/log-likelihood, k = 50 \[/g)).toHaveLength(1); // one block of four done
  });
});

describe("sample", () => {
  it("writes the SDK's samples as .npy, CSV and a PNG grid of them", async () => {
    await ok(["sample", M.vae, "-n", "9", "--seed", "7", "-o", f.path("s.npy")]);
    const expected = vae.sample(9, { seed: 7 });
    expect(readNpyFile(f.path("s.npy"))).toEqual(expected);
    await ok(["sample", M.vae, "-n", "9", "--seed", "7", "-o", f.path("s.csv")]);
    expect(Float32Array.from(readFileSync(f.path("s.csv"), "utf8").trim().split(/[\n,]/).map(Number))).toEqual(expected);
    await ok(["sample", M.vae, "-n", "9", "--seed", "7", "-o", f.path("s.png"), "--zoom", "2"]);
    samePicture(f.path("s.png"), imageGrid(expected, { shape: [28, 28], columns: 3, zoom: 2 }));
  });

  it("decodes the 2-D manifold, samples a ConditionalVAE's class and a HierarchicalVAE", async () => {
    await ok(["sample", M.vae, "--manifold", "--grid", "5", "--range", "-1,1.5", "-o", f.path("m.png")]);
    samePicture(f.path("m.png"), imageGrid(vae.latentGrid({ size: 5, range: [-1, 1.5] }), { shape: [28, 28], columns: 5 }));
    await ok(["sample", M.cvae, "--manifold", "--label", "4", "-o", f.path("cm.npy")]);
    expect(readNpyFile(f.path("cm.npy"))).toEqual(cvae.latentGrid({ label: 4, size: 10, range: 2 }));
    await ok(["sample", M.cvae, "--label", "3", "-n", "4", "-o", f.path("c.npy")]);
    expect(readNpyFile(f.path("c.npy"))).toEqual(cvae.sample(4, { label: 3, seed: 0 }));
    await ok(["sample", M.hvae, "-n", "4", "--seed", "2", "-o", f.path("h.npy")]);
    expect(readNpyFile(f.path("h.npy"))).toEqual(hvae.sample(4, { seed: 2 }));
  });
});

describe("reconstruct", () => {
  it("puts the SDK's reconstructions beside the originals, and writes them as .npy", async () => {
    await ok(["reconstruct", M.vae, f.npy, "--limit", "6", "--columns", "3", "-o", f.path("r.png")]);
    samePicture(f.path("r.png"), reconstructionGrid(rows(6), vae.reconstruct(rows(6)), { shape: [28, 28], columns: 3 }));
    await ok(["reconstruct", M.vae, f.npy, "-o", f.path("r.npy"), "--sample", "--seed", "5"]);
    expect(readNpyFile(f.path("r.npy"))).toEqual(vae.reconstruct(f.x, { sample: true, seed: 5 }));
    await ok(["reconstruct", M.cvae, f.npy, "--labels", f.labelsCsv, "--limit", "7", "-o", f.path("rc.npy")]);
    expect(readNpyFile(f.path("rc.npy"))).toEqual(cvae.reconstruct(rows(7), f.y.subarray(0, 7)));
    await ok(["reconstruct", M.ae, f.npy, "--limit", "7", "-o", f.path("ra.npy")]);
    expect(readNpyFile(f.path("ra.npy"))).toEqual(ae.reconstruct(rows(7)));
    await ok(["reconstruct", M.hvae, f.npy, "-o", f.path("rh.png")]); // a PNG takes 32 examples by default
    samePicture(f.path("rh.png"), reconstructionGrid(rows(32), hvae.reconstruct(rows(32)), { shape: [28, 28], columns: 6 }));
  });
});

describe("encode", () => {
  it("writes posterior means (and log-variances) as CSV and .npy, and a scatter coloured by label", async () => {
    const { mean, logVar } = vae.encode(f.x);
    await ok(["encode", M.vae, f.npy, "-o", f.path("z.npy")]);
    expect(readNpyFile(f.path("z.npy"))).toEqual(mean);
    await ok(["encode", M.vae, f.npy, "--limit", "3", "--log-var", "-o", f.path("z.csv")]);
    const lines = readFileSync(f.path("z.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("z0,z1,logvar_z0,logvar_z1");
    expect(lines.slice(1).map((l) => l.split(",").map((v) => Math.fround(Number(v))))).toEqual(
      [0, 1, 2].map((r) => [mean[2 * r], mean[2 * r + 1], logVar[2 * r], logVar[2 * r + 1]]));
    await ok(["encode", M.vae, f.npy, "--labels", f.labelsCsv, "-o", f.path("z.png"), "--size", "200x150", "--radius", "2"]);
    const decorated = { ticks: true, xTitle: "z0", yTitle: "z1" } as const;
    samePicture(f.path("z.png"), latentScatter(mean, { labels: f.y, width: 200, height: 150, radius: 2, ...decorated, legend: true }));
    await ok(["encode", M.vae, f.npy, "--labels", f.labelsCsv, "-o", f.path("z.svg"), "--size", "200x150", "--radius", "2"]);
    expect(readFileSync(f.path("z.svg"), "utf8")).toBe(latentScatterSvg(mean, { labels: f.y, width: 200, height: 150, radius: 2, ...decorated, legend: true }));
  });

  it("encodes a HierarchicalVAE's z1 or z2, a ConditionalVAE with labels, an Autoencoder's code", async () => {
    await ok(["encode", M.hvae, f.npy, "--layer", "z1", "-o", f.path("z1.npy")]);
    expect(readNpyFile(f.path("z1.npy"))).toEqual(hvae.encode(f.x).z1.mean);
    await ok(["encode", M.hvae, f.npy, "-o", f.path("z2.npy")]);
    expect(readNpyFile(f.path("z2.npy"))).toEqual(hvae.encode(f.x).z2.mean);
    await ok(["encode", M.cvae, f.npy, "--labels", f.labelsCsv, "-o", f.path("zc.npy")]);
    expect(readNpyFile(f.path("zc.npy"))).toEqual(cvae.encode(f.x, f.y).mean);
    await ok(["encode", M.ae, f.npy, "-o", f.path("za.png"), "--dims", "3,1"]);
    samePicture(f.path("za.png"), latentScatter(ae.encode(f.x), { columns: 4, axes: [3, 1], ticks: true, xTitle: "z3", yTitle: "z1", legend: false }));
  });
});

describe("interpolate and traverse", () => {
  it("decodes the SDK's paths between the codes of the pairs asked for", async () => {
    await ok(["interpolate", M.vae, f.npy, "--pairs", "0:1,5:2", "--steps", "4", "--method", "slerp", "-o", f.path("i.npy")]);
    const z = vae.encode(rows(6)).mean;
    const code = (i: number) => z.subarray(2 * i, 2 * i + 2);
    const expected = new Float32Array([...vae.interpolate(code(0), code(1), { steps: 4, method: "slerp" }), ...vae.interpolate(code(5), code(2), { steps: 4, method: "slerp" })]);
    expect(readNpyFile(f.path("i.npy"))).toEqual(expected);
    await ok(["interpolate", M.vae, f.npy, "--pairs", "0:1,5:2", "--steps", "4", "--method", "slerp", "-o", f.path("i.png")]);
    samePicture(f.path("i.png"), imageGrid(expected, { shape: [28, 28], columns: 4 }));
    await ok(["interpolate", M.cvae, f.npy, "--labels", f.labelsCsv, "--steps", "3", "-o", f.path("ic.npy")]);
    const zc = cvae.encode(rows(2), f.y.subarray(0, 2)).mean;
    expect(readNpyFile(f.path("ic.npy"))).toEqual(cvae.interpolate(zc.subarray(0, 2), zc.subarray(2, 4), { steps: 3, label: f.y[0] }));
  });

  it("sweeps the dimensions asked for around the origin or an example's code", async () => {
    await ok(["traverse", M.vae, "--steps", "5", "--range", "2", "-o", f.path("t.npy")]);
    const values = [-2, -1, 0, 1, 2];
    const origin = new Float32Array(2);
    expect(readNpyFile(f.path("t.npy"))).toEqual(new Float32Array([...vae.traverse(origin, 0, { values }), ...vae.traverse(origin, 1, { values })]));
    await ok(["traverse", M.hvae, "--data", f.npy, "--index", "3", "--dims", "1", "--range", "-1,3", "--steps", "3", "-o", f.path("th.npy")]);
    const z2 = hvae.encode(f.x.subarray(3 * 784, 4 * 784)).z2.mean;
    expect(readNpyFile(f.path("th.npy"))).toEqual(hvae.traverse(z2, 1, { values: [-1, 1, 3] }));
    await ok(["traverse", M.cvae, "--label", "6", "--dims", "0", "-o", f.path("tc.png")]);
    samePicture(f.path("tc.png"), imageGrid(cvae.traverse(new Float32Array(2), 0, { label: 6, values: [-3, -2, -1, 0, 1, 2, 3] }), { shape: [28, 28], columns: 7 }));
  });
});

describe("help", () => {
  it("lists every option of every command with its default", async () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      const text = await ok([name, "--help"]);
      expect(text.startsWith(`Usage: vaekit ${name}`)).toBe(true);
      for (const o of command.spec.options) {
        expect(text).toContain(`--${o.name}${o.value ? ` <${o.value}>` : ""}`);
        if (o.default !== undefined) expect(text).toContain(`[default: ${o.default}]`);
      }
      expect(await ok(["help", name])).toBe(text);
    }
    const main = await ok(["--help"]);
    for (const name of Object.keys(COMMANDS)) expect(main).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
    expect(await ok(["--version"])).toBe(`${JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version}\n`);
    const none = await cli([]);
    expect([none.code, none.stdout]).toEqual([2, ""]);
    expect(none.stderr).toContain("Usage: vaekit <command>");
  });
});

describe("errors: one line on stderr, exit 2 for usage and 1 for failures", () => {
  const cases: [string, () => string[], number, RegExp][] = [
    ["unknown command", () => ["trian"], 2, /^vaekit: unknown command 'trian' \(did you mean 'train'\?\)/],
    ["misspelt option", () => ["train", f.npy, "--epoch", "2"], 2, /^vaekit train: unknown option '--epoch' \(did you mean '--epochs'\?\)/],
    ["not a number", () => ["train", f.npy, "--epochs", "x"], 2, /^vaekit train: --epochs must be a whole number ≥ 1; got 'x'$/],
    ["bad choice", () => ["train", f.npy, "--activation", "rleu"], 2, /--activation must be one of relu, leaky_relu, tanh, sigmoid, identity; got 'rleu' \(did you mean 'relu'\?\)/],
    ["no such file", () => ["train", f.path("nope.npy")], 1, /^vaekit train: cannot read '.*nope\.npy': no such file or directory$/],
    ["a directory", () => ["train", f.dir], 1, /^vaekit train: cannot read '.*': it is a directory$/],
    ["unknown format", () => ["train", f.path("x.txt")], 1, /cannot tell the format of '.*x\.txt': expected a CSV file \(\.csv\), a NumPy file \(\.npy\) or an IDX file/],
    ["model file extension", () => ["train", f.npy, "-o", "m.bin"], 2, /-o 'm\.bin': a model file ends in \.safetensors/],
    ["option of another model", () => ["train", f.npy, "--model", "autoencoder", "--beta", "2"], 2, /--beta applies to --model vae or conditional or hierarchical, not autoencoder/],
    ["conditional without labels", () => ["train", f.npy, "--model", "conditional"], 2, /--model conditional needs --labels <file>/],
    ["labels for another model", () => ["train", f.npy, "--labels", f.labelsCsv], 2, /--labels applies to --model conditional/],
    ["too few labels", () => ["train", f.npy, "--model", "conditional", "--labels", f.path("few.csv")], 1, /--labels '.*few\.csv' holds 3 labels for 400 examples/],
    ["bad capacity", () => ["train", f.npy, "--capacity", "1,2"], 2, /--capacity must be γ,max,steps/],
    ["bad sparsity", () => ["train", f.npy, "--model", "autoencoder", "--sparsity", "kl:2:1"], 2, /--sparsity kl:<ρ> must be a number > 0 and ≤ 1; got '2'/],
    ["config the SDK refuses", () => ["train", f.npy, "--objective", "iwae", "--beta", "2"], 2, /objective "iwae" .* works with the plain ELBO weights/],
    ["sigma without gaussian", () => ["train", f.npy, "--sigma", "0.5"], 2, /--sigma sets the gaussian likelihood's σ/],
    ["nesterov without momentum", () => ["train", f.npy, "--optimizer", "sgd", "--nesterov"], 2, /--nesterov needs --momentum > 0/],
    ["split of everything", () => ["train", f.npy, "--validation-split", "1"], 2, /--validation-split must be below 1|must be a number/],
    ["data out of range", () => ["train", f.npy, "--scale", "3", "--epochs", "1"], 1, /value at row \d+, column \d+ is [\d.]+; expected values in \[0, 1\]/],
    ["ragged CSV", () => ["train", f.path("ragged.csv")], 1, /'.*ragged\.csv': line 3 has 2 values; line 1 has 3/],
    ["truncated .npy", () => ["evaluate", M.vae, f.path("short.npy")], 1, /'.*short\.npy': truncated: shape \(400, 784\)/],
    ["not a model", () => ["sample", f.npy, "-o", f.path("x.npy")], 1, /^vaekit sample: '.*digits\.npy' is not a vaekit model: /],
    ["no output", () => ["sample", M.vae], 2, /give an output file with -o \(\.png, \.npy, \.csv\)/],
    ["output extension", () => ["sample", M.vae, "-o", "x.txt"], 2, /-o 'x\.txt': the extension must be \.png, \.npy, \.csv/],
    ["conditional sample without label", () => ["sample", M.cvae, "-o", f.path("x.npy")], 2, /give --label <c> \(0 to 9\)/],
    ["label out of range", () => ["sample", M.cvae, "--label", "10", "-o", f.path("x.npy")], 2, /--label must be a class from 0 to 9; got 10/],
    ["autoencoder sample", () => ["sample", M.ae, "-o", f.path("x.npy")], 2, /an Autoencoder has no prior to sample from/],
    ["manifold of 3-D", () => ["sample", M.vae3, "--manifold", "-o", f.path("x.png")], 2, /--manifold needs a 2-D latent space; this model's has 3 dimensions/],
    ["grid without manifold", () => ["sample", M.vae, "--grid", "4", "-o", f.path("x.png")], 2, /--grid applies to --manifold/],
    ["wrong width", () => ["reconstruct", M.vae, f.path("ragged-ok.csv"), "-o", f.path("x.npy")], 2, /has 3 values per example; the model takes 784/],
    ["bad shape", () => ["sample", M.vae, "--shape", "20x20", "-o", f.path("x.png")], 2, /--shape 20x20 holds 400 values, but each example has 784/],
    ["sample flag on an AE", () => ["reconstruct", M.ae, f.npy, "--sample", "-o", f.path("x.npy")], 2, /--sample applies to a VAE or ConditionalVAE; this model is a Autoencoder/],
    ["pair out of range", () => ["interpolate", M.vae, f.npy, "--pairs", "0:400", "-o", f.path("x.npy")], 2, /--pairs: example 400 is out of range \('.*' has 400\)/],
    ["bad pairs", () => ["interpolate", M.vae, f.npy, "--pairs", "0-1", "-o", f.path("x.npy")], 2, /--pairs must be comma-separated i:j example indices/],
    ["dims out of range", () => ["traverse", M.vae, "--dims", "0,5", "-o", f.path("x.npy")], 2, /--dims: the latent space has dimensions 0 to 1; got 5/],
    ["index without data", () => ["traverse", M.vae, "--index", "2", "-o", f.path("x.npy")], 2, /--index applies to --data/],
    ["samples on an AE", () => ["evaluate", M.ae, f.npy, "--samples", "5"], 2, /--samples applies to the VAE family/],
    ["layer of a VAE", () => ["encode", M.vae, f.npy, "--layer", "z1", "-o", f.path("x.npy")], 2, /--layer applies to a HierarchicalVAE; this model is a VAE/],
    ["png options for CSV", () => ["encode", M.vae, f.npy, "--dims", "0,1", "-o", f.path("x.csv")], 2, /--dims applies to a \.png output/],
    ["unwritable output", () => ["sample", M.vae, "-o", f.path("no/such/dir/x.npy")], 1, /cannot write '.*x\.npy': no such file or directory/],
    // issue 17: values fit refuses are usage errors naming the flag; hostile files and names are typed, never "unexpected"
    ["learning rate fit refuses", () => ["train", f.npy, "--lr", "1e30", "--epochs", "1", "-o", f.path("lr.safetensors")], 2, /^vaekit train: --learning-rate must be a number in \(0, 1000000\]; got 1e\+30$/],
    ["model past the memory limit", () => ["train", f.npy, "--hidden", "65536,65536", "-o", f.path("big.safetensors")], 2, /limit per model is 2048 MiB/],
    ["Object.prototype name as a command", () => ["constructor"], 2, /^vaekit: unknown command 'constructor'/],
    ["Object.prototype name as a command (2)", () => ["__proto__"], 2, /^vaekit: unknown command '__proto__'/],
    ["deeply nested model header", () => ["sample", f.path("deep.safetensors"), "-o", f.path("x.npy")], 1, /nested deeper than 64 levels/],
    ["deeply nested model config", () => ["sample", f.path("deep-config.safetensors"), "-o", f.path("x.npy")], 1, /config is JSON nested deeper than 64 levels/],
    ["a '__proto__' tensor in a model", () => ["sample", f.path("proto.safetensors"), "-o", f.path("x.npy")], 1, /has \d+ weights/],
    ["a model file claiming large layers", () => ["sample", f.path("claims.safetensors"), "-o", f.path("x.npy")], 1, /has \d+ weights; its config needs \d+/],
    ["npy dtype named like Object.prototype", () => ["evaluate", M.vae, f.path("proto-dtype.npy")], 1, /unsupported dtype 'toString'/],
  ];

  beforeAll(() => {
    writeFileSync(f.path("few.csv"), "1\n2\n3\n");
    writeFileSync(f.path("ragged.csv"), "0,0,0\n1,1,1\n0,1\n");
    writeFileSync(f.path("ragged-ok.csv"), "0,0,0\n1,1,1\n");
    writeFileSync(f.path("x.txt"), "hello\n");
    const npy = readFileSync(f.npy);
    writeFileSync(f.path("short.npy"), npy.subarray(0, npy.length - 10));
    const model = new Uint8Array(readFileSync(M.vae));
    const { header, data } = split(model);
    writeFileSync(f.path("deep.safetensors"), join(`{"x":${deepJson(10_000)},${header.slice(1)}`, data));
    writeFileSync(f.path("deep-config.safetensors"), join(header.replace(/\\"seed\\":\d+/, `\\"seed\\":${deepJson(10_000)}`), data));
    writeFileSync(f.path("proto.safetensors"), withTensor(model, "__proto__", new Float32Array(4)));
    writeFileSync(f.path("claims.safetensors"), join(header.replace(/\\"hiddenSizes\\":\[\d+\]/, '\\"hiddenSizes\\":[4096,4096]'), data));
    const text = new TextDecoder("latin1").decode(npy);
    writeFileSync(f.path("proto-dtype.npy"), Buffer.from(text.replace(/'descr': '[^']*'/, "'descr': 'toString'"), "latin1"));
  });

  it.each(cases)("%s", async (_, argv, code, message) => {
    const r = await cli(argv());
    expect(r.code).toBe(code);
    expect(oneLine(r)).toMatch(message);
    expect(r.stdout).toBe("");
  });
});
