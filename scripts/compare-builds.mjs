// Bit-identity across two builds of vaekit (issue 12's gate beside the conformance hash): loads dist/index.js of two
// folders in one process and runs the same calls on every model class and option that changes the code path —
// create, fit (a few batches, dynamic binarization), gradients, evaluate, encode/decode/sample/reconstruct,
// logLikelihood and elbo — comparing every output and the saved file byte for byte.
//
// Usage: node scripts/compare-builds.mjs <baseline dist folder> [<dist folder>, default dist] [--threads N]
//        [--precision fast] (Node 20 needs --experimental-wasm-relaxed-simd for "fast"; engineInfo is printed)
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const flag = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const [oldDir, newDir = "dist"] = process.argv.slice(2).filter((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
if (!oldDir) throw new Error("usage: node scripts/compare-builds.mjs <baseline dist folder> [<dist folder>] [--threads N]");
const engine = {};
if (flag("threads")) engine.threads = Number(flag("threads"));
if (flag("precision")) engine.precision = flag("precision");
const load = (d) => import(pathToFileURL(resolve(d, "index.js")).href);
const [A, B] = await Promise.all([load(oldDir), load(newDir)]);

const D = 12, N = 40, C = 3;
let s = 7;
const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const x = Float32Array.from({ length: N * D }, () => (rand() < 0.4 ? 0 : rand()));
const labels = Int32Array.from({ length: N }, (_, i) => i % C);

function bytes(v) {
  if (v === undefined || v === null) return [];
  if (ArrayBuffer.isView(v)) return [new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];
  if (typeof v === "number") return [new Uint8Array(Float64Array.of(v).buffer)];
  if (typeof v === "object") return Object.keys(v).sort().flatMap((k) => bytes(v[k]));
  return [new TextEncoder().encode(String(v))];
}
function same(a, b) {
  const x = bytes(a), y = bytes(b);
  if (x.length !== y.length) return false;
  return x.every((u, i) => u.length === y[i].length && u.every((v, j) => v === y[i][j]));
}

const cases = [
  ["VAE relu bernoulli", "VAE", { inputSize: D, hiddenSizes: [8], latentSize: 3, seed: 1 }],
  ["VAE 2 hidden, leaky, gaussian learned σ, glorot", "VAE", { inputSize: D, hiddenSizes: [8, 6], latentSize: 3, activation: "leaky_relu", likelihood: "gaussian", likelihoodScale: "learned", init: "glorot", seed: 2 }],
  ["VAE β warm-up, laplace", "VAE", { inputSize: D, hiddenSizes: [8], latentSize: 2, likelihood: "laplace", beta: 2, klWarmup: 3, seed: 3 }],
  ["VAE capacity", "VAE", { inputSize: D, hiddenSizes: [8], latentSize: 2, capacity: { max: 5, steps: 4, gamma: 10 }, seed: 4 }],
  ["VAE iwae k=3", "VAE", { inputSize: D, hiddenSizes: [8], latentSize: 3, objective: "iwae", samples: 3, seed: 5 }],
  ["VAE elbo k=2, continuous bernoulli", "VAE", { inputSize: D, hiddenSizes: [8], latentSize: 3, samples: 2, likelihood: "continuous-bernoulli", seed: 6 }],
  ["VAE iwae k=3 gaussian learned σ", "VAE", { inputSize: D, hiddenSizes: [8], latentSize: 3, objective: "iwae", samples: 3, likelihood: "gaussian", likelihoodScale: "learned", seed: 7 }],
  ["ConditionalVAE", "ConditionalVAE", { inputSize: D, hiddenSizes: [8], latentSize: 3, classes: C, seed: 8 }],
  ["ConditionalVAE iwae k=2", "ConditionalVAE", { inputSize: D, hiddenSizes: [8], latentSize: 3, classes: C, objective: "iwae", samples: 2, seed: 9 }],
  ["Autoencoder", "Autoencoder", { inputSize: D, hiddenSizes: [8], latentSize: 4, seed: 10 }],
  ["Autoencoder denoising + KL sparsity", "Autoencoder", { inputSize: D, hiddenSizes: [8], latentSize: 4, latentActivation: "sigmoid", denoising: { type: "mask", p: 0.3 }, sparsity: { type: "kl", rho: 0.1, weight: 0.5 }, seed: 11 }],
  ["Autoencoder gaussian noise + l1", "Autoencoder", { inputSize: D, hiddenSizes: [8], latentSize: 4, denoising: { type: "gaussian", sigma: 0.2 }, sparsity: { type: "l1", weight: 0.1 }, likelihood: "gaussian", seed: 12 }],
  ["HierarchicalVAE", "HierarchicalVAE", { inputSize: D, latentSizes: [4, 2], hiddenSizes: [[8], [6]], decoderHiddenSizes: [[8], [6]], seed: 13 }],
  ["HierarchicalVAE iwae k=3", "HierarchicalVAE", { inputSize: D, latentSizes: [4, 2], hiddenSizes: [[8], [6]], decoderHiddenSizes: [[8], [6]], objective: "iwae", samples: 3, seed: 14 }],
];

async function run(m, cls, cfg) {
  const model = await m[cls].create(cfg, engine);
  const cond = cls === "ConditionalVAE", out = {};
  const call = (name, f) => {
    try { out[name] = f(); } catch (e) { out[name] = `threw ${e.constructor.name}: ${e.message}`; }
  };
  const fitOpts = { epochs: 2, batchSize: 16, learningRate: 1e-2, shuffleSeed: 3, dynamicBinarization: cls !== "Autoencoder" || !cfg.likelihood };
  out.fit = (await (cond ? model.fit(x, labels, fitOpts) : model.fit(x, fitOpts))).map((l) => [l.loss, l.reconstruction, l.kl, l.sparsity]);
  call("gradients", () => (cond ? model.gradients(x, labels, { seed: 2 }) : model.gradients(x, { seed: 2 })));
  call("evaluate", () => (cond ? model.evaluate(x, labels) : model.evaluate(x)));
  call("encode", () => (cond ? model.encode(x, labels) : model.encode(x)));
  if (cls === "Autoencoder") {
    call("decode", () => model.decode(model.encode(x)));
    call("reconstruct", () => model.reconstruct(x));
    call("anomalyScore", () => model.anomalyScore(x));
    call("corrupt", () => model.corrupt(x, { seed: 4, noise: { type: "mask", p: 0.5 } }));
  } else {
    call("sample", () => (cond ? model.sample(5, { label: 1, seed: 3 }) : model.sample(5, { seed: 3 })));
    call("reconstruct", () => (cond ? model.reconstruct(x, labels, { sample: true, seed: 2 }) : model.reconstruct(x, cls === "VAE" ? { sample: true, seed: 2 } : undefined)));
    call("logLikelihood", () => (cond ? model.logLikelihood(x, labels, { samples: 7, seed: 1, batchSize: 10 }) : model.logLikelihood(x, { samples: 7, seed: 1, batchSize: 10 })));
    call("elbo", () => (cond ? model.elbo(x, labels, { samples: 3 }) : model.elbo(x, { samples: 3 })));
  }
  out.file = model.save();
  info = model.engineInfo;
  out.memory = model.memoryBytes;
  model.dispose();
  return out;
}

let failures = 0, info;
for (const [name, cls, cfg] of cases) {
  const [a, b] = [await run(A, cls, cfg), await run(B, cls, cfg)];
  const diff = Object.keys(a).filter((k) => k !== "memory" && !same(a[k], b[k]));
  const threw = Object.entries(b).filter(([, v]) => typeof v === "string" && v.startsWith("threw")).map(([k]) => k);
  if (diff.length) failures++;
  console.log(`${diff.length ? "DIFFERENT" : "identical"}  ${name}${diff.length ? `: ${diff.join(", ")}` : ""}${threw.length ? ` (both threw in ${threw.join(", ")})` : ""}  memory ${a.memory} → ${b.memory}`);
}
console.log(`engine: ${JSON.stringify(info)}`);
console.log(failures ? `${failures} of ${cases.length} cases differ` : `all ${cases.length} cases bit-identical`);
process.exitCode = failures ? 1 : 0;
