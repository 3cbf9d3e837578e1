// vaekit train: every model option and training option reaches the SDK as documented — the file the command writes
// is byte for byte the one the SDK writes after the same fit — plus the history, the curves picture, and the
// progress output on a terminal and in a log.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, loadModel, VAE, type EpochLog, type FitOptions,
} from "../../src/index.js";
import { PALETTE } from "../../src/pictures.js";
import { cli, MNIST_DIR, mnistFiles, readPng, type Files } from "./helpers.js";

let f: Files;
beforeAll(async () => {
  f = await mnistFiles();
});

async function cliBytes(argv: string[]): Promise<Uint8Array> {
  const out = f.path(`m${Math.random().toString(36).slice(2)}.safetensors`);
  const r = await cli(["train", f.npy, "-o", out, "--quiet", ...argv]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return new Uint8Array(readFileSync(out));
}

// Options given here are the ones all models share, so one signature fits every class.
type Trainable = { fit(x: Float32Array, o?: FitOptions<never>): Promise<unknown>; save(): Uint8Array; dispose(): void };

async function sdkBytes(model: Trainable, options: FitOptions<never>, x = f.x): Promise<Uint8Array> {
  await model.fit(x, options);
  const bytes = model.save();
  model.dispose();
  return bytes;
}

describe("vaekit train writes what the SDK trains with the same options", () => {
  it("VAE with the defaults", async () => {
    const ours = await cliBytes(["--latent", "2", "--hidden", "32", "--epochs", "2", "--batch-size", "50", "--seed", "5"]);
    const sdk = await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [32], seed: 5 }), { epochs: 2, batchSize: 50 });
    expect(ours).toEqual(sdk);
    const m = await loadModel(ours);
    expect(m.config).toMatchObject({ activation: "relu", likelihood: "bernoulli", beta: 1, objective: "elbo", decoderHiddenSizes: [32] });
    m.dispose();
  });

  it("VAE: activation, likelihood, β, warm-up, decoder widths; SGD with Nesterov, clipping, mean loss, no shuffling, validation split", async () => {
    const out = f.path("b.json");
    const ours = await cliBytes([
      "--latent", "3", "--hidden", "24", "--decoder-hidden", "16,24", "--activation", "tanh", "--likelihood", "continuous-bernoulli",
      "--beta", "2", "--kl-warmup", "10", "--optimizer", "sgd", "--lr", "0.01", "--momentum", "0.9", "--nesterov", "--clip-norm", "5",
      "--loss-reduction", "mean", "--no-shuffle", "--validation-split", "0.25", "--validation-seed", "2", "--epochs", "2",
      "--batch-size", "64", "--seed", "6", "--history", out,
    ]);
    const vae = await VAE.create({ inputSize: 784, latentSize: 3, hiddenSizes: [24], decoderHiddenSizes: [16, 24], activation: "tanh",
      likelihood: "continuous-bernoulli", beta: 2, klWarmup: 10, seed: 6 });
    const history = await vae.fit(f.x.subarray(0, 300 * 784), { epochs: 2, batchSize: 64, learningRate: 0.01, optimizer: "sgd", momentum: 0.9,
      nesterov: true, clipNorm: 5, lossReduction: "mean", shuffle: false, validationData: f.x.subarray(300 * 784), validationSeed: 2 });
    expect(ours).toEqual(vae.save());
    vae.dispose();
    const logged = JSON.parse(readFileSync(out, "utf8")) as EpochLog[];
    expect(logged.map((e) => [e.epoch, e.loss, e.kl, e.validation!.loss])).toEqual(history.map((e) => [e.epoch, e.loss, e.kl, e.validation!.loss]));
  });

  it("VAE: IWAE with k samples, dynamic binarization, AdamW with its options, shuffle seed", async () => {
    const ours = await cliBytes([
      "--latent", "2", "--hidden", "16", "--objective", "iwae", "--samples", "3", "--dynamic-binarization", "--binarization-seed", "9",
      "--shuffle-seed", "4", "--optimizer", "adamw", "--weight-decay", "0.1", "--beta1", "0.8", "--beta2", "0.99", "--eps", "1e-6",
      "--epochs", "1", "--batch-size", "100", "--seed", "7",
    ]);
    const sdk = await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [16], objective: "iwae", samples: 3, seed: 7 }),
      { epochs: 1, batchSize: 100, dynamicBinarization: true, binarizationSeed: 9, shuffleSeed: 4, optimizer: "adamw", weightDecay: 0.1,
        beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    expect(ours).toEqual(sdk);
  });

  it("VAE: learned Gaussian σ, capacity, leaky ReLU; Laplace with its scale; fixed σ", async () => {
    const a = await cliBytes(["--latent", "2", "--hidden", "16", "--likelihood", "gaussian", "--sigma", "learned", "--capacity", "10,5,100",
      "--activation", "leaky_relu", "--leaky-slope", "0.2", "--epochs", "1", "--seed", "8"]);
    expect(a).toEqual(await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [16], likelihood: "gaussian", sigma: "learned",
      capacity: { gamma: 10, max: 5, steps: 100 }, activation: "leaky_relu", leakySlope: 0.2, seed: 8 }), { epochs: 1 }));
    const b = await cliBytes(["--latent", "2", "--hidden", "16", "--likelihood", "laplace", "--likelihood-scale", "0.5", "--epochs", "1", "--seed", "8"]);
    expect(b).toEqual(await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [16], likelihood: "laplace", likelihoodScale: 0.5, seed: 8 }), { epochs: 1 }));
    const c = await cliBytes(["--latent", "2", "--hidden", "16", "--likelihood", "gaussian", "--sigma", "0.3", "--epochs", "1", "--seed", "8"]);
    expect(c).toEqual(await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [16], likelihood: "gaussian", sigma: 0.3, seed: 8 }), { epochs: 1 }));
  });

  it("ConditionalVAE with --labels (classes from the labels, or --classes) and labelled validation data", async () => {
    const ours = await cliBytes(["--model", "conditional", "--labels", f.labelsCsv, "--latent", "3", "--hidden", "32", "--epochs", "1", "--seed", "3",
      "--validation-split", "0.1"]);
    const cvae = await ConditionalVAE.create({ inputSize: 784, latentSize: 3, hiddenSizes: [32], classes: 10, seed: 3 });
    await cvae.fit(f.x.subarray(0, 360 * 784), f.y.subarray(0, 360), { epochs: 1, validationData: { x: f.x.subarray(360 * 784), labels: f.y.subarray(360) } });
    expect(ours).toEqual(cvae.save());
    cvae.dispose();
    const twelve = await loadModel(await cliBytes(["--model", "conditional", "--labels", f.labelsCsv, "--classes", "12", "--latent", "2", "--hidden", "8", "--epochs", "1"]));
    expect(twelve.config).toMatchObject({ classes: 12 });
    twelve.dispose();
  });

  it("HierarchicalVAE with --latent-sizes, two-stage widths and IWAE", async () => {
    const ours = await cliBytes(["--model", "hierarchical", "--latent-sizes", "4,2", "--hidden", "16/8", "--decoder-hidden", "12/6",
      "--objective", "iwae", "--samples", "2", "--epochs", "1", "--seed", "2"]);
    const sdk = await sdkBytes(await HierarchicalVAE.create({ inputSize: 784, latentSizes: [4, 2], hiddenSizes: [[16], [8]], decoderHiddenSizes: [[12], [6]],
      objective: "iwae", samples: 2, seed: 2 }), { epochs: 1 });
    expect(ours).toEqual(sdk);
  });

  it("Autoencoder with KL sparsity (sigmoid code by default) and masking; L1 sparsity with Gaussian noise", async () => {
    const a = await cliBytes(["--model", "autoencoder", "--latent", "8", "--hidden", "32", "--sparsity", "kl:0.05:3", "--denoising", "mask:0.3",
      "--epochs", "1", "--seed", "4"]);
    expect(a).toEqual(await sdkBytes(await Autoencoder.create({ inputSize: 784, latentSize: 8, hiddenSizes: [32], latentActivation: "sigmoid",
      sparsity: { type: "kl", rho: 0.05, weight: 3 }, denoising: { type: "mask", p: 0.3 }, seed: 4 }), { epochs: 1 }));
    const b = await cliBytes(["--model", "autoencoder", "--latent", "8", "--hidden", "32", "--sparsity", "l1:0.01", "--denoising", "gaussian:0.2",
      "--latent-activation", "tanh", "--epochs", "1", "--seed", "4"]);
    expect(b).toEqual(await sdkBytes(await Autoencoder.create({ inputSize: 784, latentSize: 8, hiddenSizes: [32], latentActivation: "tanh",
      sparsity: { type: "l1", weight: 0.01 }, denoising: { type: "gaussian", sigma: 0.2 }, seed: 4 }), { epochs: 1 }));
  });

  it("reads MNIST's IDX files directly (bytes scaled by 1/255), and --scale", async () => {
    const idx = await cli(["train", `${MNIST_DIR}/t10k-images-idx3-ubyte`, "--limit", "400", "--latent", "2", "--hidden", "16", "--epochs", "1",
      "--seed", "1", "-o", f.path("idx.safetensors"), "--quiet"]);
    expect(idx.code).toBe(0);
    const fromNpy = await cliBytes(["--latent", "2", "--hidden", "16", "--epochs", "1", "--seed", "1"]);
    expect(new Uint8Array(readFileSync(f.path("idx.safetensors")))).toEqual(fromNpy);
    // The same 400 digits as a gzipped IDX file.
    const header = Buffer.from([0, 0, 8, 3, 0, 0, 1, 144, 0, 0, 0, 28, 0, 0, 0, 28]);
    writeFileSync(f.path("digits-idx3-ubyte.gz"), gzipSync(Buffer.concat([header, Buffer.from(f.x.map((v) => Math.round(v * 255)))])));
    const gz = await cli(["train", f.path("digits-idx3-ubyte.gz"), "--latent", "2", "--hidden", "16", "--epochs", "1", "--seed", "1", "-o", f.path("gz.safetensors"), "--quiet"]);
    expect(gz.code).toBe(0);
    expect(new Uint8Array(readFileSync(f.path("gz.safetensors")))).toEqual(fromNpy);
    const half = await cliBytes(["--scale", "0.5", "--latent", "2", "--hidden", "16", "--epochs", "1", "--seed", "1"]);
    expect(half).toEqual(await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [16], seed: 1 }), { epochs: 1 },
      f.x.map((v) => Math.fround(v * 0.5))));
  });
});

describe("vaekit train's history, curves and progress", () => {
  it("writes the history as CSV and the curves as a PNG with both lines", async () => {
    const r = await cli(["train", f.npy, "--latent", "2", "--hidden", "16", "--epochs", "3", "--seed", "1", "--validation-split", "0.2",
      "-o", f.path("h.safetensors"), "--history", f.path("h.csv"), "--curves", f.path("c.png"), "--quiet"]);
    expect(r.code).toBe(0);
    const lines = readFileSync(f.path("h.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("epoch,loss,reconstruction,kl,validation_loss,validation_reconstruction,validation_kl,seconds,examples_per_second");
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(["1", "2", "3"]);
    const png = readPng(f.path("c.png"));
    expect([png.width, png.height]).toEqual([480, 300]);
    const count = (c: readonly number[]) => {
      let k = 0;
      for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === c[0] && png.data[i + 1] === c[1] && png.data[i + 2] === c[2]) k++;
      return k;
    };
    // Each term in its colour, 2 pixels wide, training solid and validation dashed over it: the reconstruction and KL
    // lines across the plot; the loss mostly under the reconstruction here (KL is < 1 nat after 3 epochs), so only its
    // legend swatch (24 × 2) is sure to show.
    expect(count(PALETTE[0])).toBeGreaterThanOrEqual(48); // the loss
    expect(count(PALETTE[1])).toBeGreaterThan(2 * 380); // the reconstruction term
    expect(count(PALETTE[2])).toBeGreaterThan(2 * 380); // the KL term
    expect(count(PALETTE[3])).toBe(0); // nothing else
    // The same chart as SVG: a solid and a dashed polyline per term, the axis titles and the legend as text.
    await cli(["train", f.npy, "--latent", "2", "--hidden", "16", "--epochs", "3", "--seed", "1", "--validation-split", "0.2",
      "-o", f.path("h2.safetensors"), "--curves", f.path("c.svg"), "--quiet"]);
    const svg = readFileSync(f.path("c.svg"), "utf8");
    const polylines = svg.match(/<polyline [^>]*stroke-width="2"[^>]*\/>/g) ?? [];
    expect(polylines.filter((l) => !l.includes("dasharray"))).toHaveLength(3 + 4); // the terms, and the legend's 4 solid swatches
    expect(polylines.filter((l) => l.includes('stroke-dasharray="6 4"'))).toHaveLength(3); // validation, per term
    const texts = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    for (const t of ["epoch", "nats per example", "loss", "reconstruction", "KL", "training", "validation", "1", "2", "3"]) expect(texts).toContain(t);
  });

  it("draws a bar with rate and ETA on a terminal, and plain lines in a log", async () => {
    let t = 0;
    const now = () => (t += 150);
    const tty = await cli(["train", f.npy, "--latent", "2", "--hidden", "8", "--epochs", "2", "--batch-size", "100", "--seed", "1", "-o", f.path("p.safetensors")],
      { tty: true, now });
    expect(tty.code).toBe(0);
    const frames = tty.stderr.split("\r\x1b[K").filter((s) => s.startsWith("epoch") && !s.includes("\n"));
    expect(frames.length).toBeGreaterThanOrEqual(6);
    for (const frame of frames) expect(frame).toMatch(/^epoch [12]\/2 \[#*-*\] \d+% [\d,.]+ examples\/s ETA \d+:\d\d loss \d+\.\d\d$/);
    expect(tty.stderr).toMatch(/\r\x1b\[Kepoch 2\/2 {2}loss [\d.]+ {2}reconstruction [\d.]+ {2}kl [\d.]+ {2}[\d,]+ examples\/s {2}[\d.]+ s\n/);
    expect(tty.stderr.endsWith(`vaekit train: saved ${f.path("p.safetensors")} (VAE 784-8-2, 2 epochs, loss ${tty.stderr.match(/epoch 2\/2 {2}loss ([\d.]+)/)![1]})\n`)).toBe(true);

    const log = await cli(["train", f.npy, "--latent", "2", "--hidden", "8", "--epochs", "2", "--batch-size", "100", "--seed", "1", "-o", f.path("p.safetensors")]);
    expect(log.stderr).not.toContain("\r");
    const lines = log.stderr.trim().split("\n");
    expect(lines.filter((l) => /^epoch \d\/2 {2}\d+% {2}[\d,.]+ examples\/s {2}ETA \d+:\d\d {2}loss/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => /^epoch \d\/2 {2}loss/.test(l))).toHaveLength(2);
    const quiet = await cli(["train", f.npy, "--latent", "2", "--hidden", "8", "--epochs", "1", "--quiet", "-o", f.path("p.safetensors")], { tty: true });
    expect(quiet.stderr).toBe("");
  });

  it("stops at the next batch when interrupted, keeping the last finished epoch", async () => {
    const controller = new AbortController();
    let t = 0;
    const now = () => (t += 1000); // every batch redraws the bar
    // Ctrl-C as the bar first shows epoch 3: training stops after that batch.
    const onStderr = (text: string) => { if (text.includes("epoch 3/50 [")) controller.abort(); };
    const out = f.path("i.safetensors");
    const r = await cli(["train", f.npy, "--latent", "2", "--hidden", "8", "--epochs", "50", "--batch-size", "100", "--seed", "1", "-o", out],
      { signal: controller.signal, now, tty: true, onStderr });
    expect(r.code).toBe(130);
    expect(r.stderr.split(/\n|\r\x1b\[K/).filter((l) => l.startsWith("vaekit"))).toEqual([
      `vaekit train: interrupted in epoch 3; saved the model as of epoch 2 to ${out}`,
    ]);
    const [, during, kept] = /interrupted in epoch (\d+); saved the model as of epoch (\d+)/.exec(r.stderr)!;
    expect(Number(kept)).toBe(Number(during) - 1);
    const sdk = await sdkBytes(await VAE.create({ inputSize: 784, latentSize: 2, hiddenSizes: [8], seed: 1 }), { epochs: Number(kept), batchSize: 100 });
    expect(new Uint8Array(readFileSync(out))).toEqual(sdk);
  });
});
