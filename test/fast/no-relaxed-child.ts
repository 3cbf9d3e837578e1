// Run by fallback.test.ts in a Node child started with --no-experimental-wasm-relaxed-simd: an engine without
// relaxed SIMD. Asks for precision "fast" in the ways a user can and prints what it got as one JSON line.
import { readFileSync } from "node:fs";
import * as vaekit from "../../src/index.js";
import { hasRelaxedSimd } from "../../src/runtime/fast.js";
// @ts-expect-error: a plain ES module without types
import { run as scenario } from "../../conformance/scenario.js";

const { VAE } = vaekit;
const config = { inputSize: 20, hiddenSizes: [12], latentSize: 3, seed: 9 };
const x = Float32Array.from({ length: 8 * 20 }, (_, i) => ((i * 37) % 101) / 101);

const fast = await VAE.create(config, { precision: "fast" });
const exact = await VAE.create(config);
await fast.fit(x, { epochs: 2, batchSize: 4, shuffleSeed: 1 });
await exact.fit(x, { epochs: 2, batchSize: 4, shuffleSeed: 1 });
const same = Buffer.from(fast.save()).equals(Buffer.from(exact.save()));
const given = await VAE.create(config, { precision: "fast", wasm: readFileSync(new URL("../../dist/vaekit-fast.wasm", import.meta.url)) });
const hash = (await scenario(vaekit, { engine: { precision: "fast" } })).hash;
console.log(JSON.stringify({ relaxed: hasRelaxedSimd(), info: fast.engineInfo, givenInfo: given.engineInfo, same, hash }));
