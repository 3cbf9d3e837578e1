// Streaming training data from a Response and a ReadableStream (fetch's types, as in browsers and Workers) in Deno,
// whose web streams are not Node's: IDX (raw and gzipped) and CSV streamed through fit give the bits of in-memory
// training on the same rows, and a Blob read as a RowSource (range-shuffled) equals the same shuffle in memory (Node:
// test/stream/readers.test.ts, fit-source.test.ts). Runs the sources, not the package:
//   deno run --unstable-sloppy-imports --allow-read --allow-env test/stream/response.deno.ts
// (.ci/conformance runs it after installing Deno); needs dist/vaekit.wasm (npm run build).
import { VAE } from "../../src/index.js";
import { openIdx, streamBatches } from "../../src/stream.js";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`streamed training (Deno): ${what}`);
}

const N = 120, D = 10;
const pixels = Uint8Array.from({ length: N * D }, (_, i) => (i * 53 + (i >> 2)) % 256);
const idx = new Uint8Array(12 + N * D);
idx[2] = 0x08;
idx[3] = 2;
new DataView(idx.buffer).setUint32(4, N);
new DataView(idx.buffer).setUint32(8, D);
idx.set(pixels, 12);
const images = Float32Array.from(pixels, (v) => v / 255); // readIdxImages' scaling
const gz = new Uint8Array(await new Response(new Blob([idx]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
check(gz[0] === 0x1f && gz[1] === 0x8b, "CompressionStream did not give gzip");

// CSV: a header and values that are f32 already, written exactly (a double's shortest form reads back the same)
const table = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i * 0.7) * 2);
const csv = ["a,b,c,d,e,f,g,h,i,j", ...Array.from({ length: N }, (_, r) => Array.from(table.subarray(r * D, (r + 1) * D)).join(","))].join("\n") + "\n";

const config = { inputSize: D, hiddenSizes: [8], latentSize: 3, seed: 4 };
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** The model file after `epochs` epochs on `data` with `options`. */
async function trained(data: unknown, options: Record<string, unknown>, likelihood?: "gaussian"): Promise<Uint8Array> {
  const m = await VAE.create(likelihood ? { ...config, likelihood } : config);
  await m.fit(data as Float32Array, { epochs: 2, batchSize: 16, learningRate: 3e-3, ...options });
  const f = m.save();
  m.dispose();
  return f;
}

// an async iterable is trained in the order it yields: in memory that is shuffle: false
const memory = await trained(images, { shuffle: false });
const cases: [string, unknown][] = [
  ["IDX from a Response", streamBatches(() => new Response(idx), { batchRows: 16 })],
  ["gzipped IDX from a Response", streamBatches(() => new Response(gz), { batchRows: 16 })],
  ["IDX from a ReadableStream (a fresh one per epoch)", streamBatches(() => new Blob([idx]).stream(), { batchRows: 16 })],
];
for (const [what, data] of cases) check(same(await trained(data, {}), memory), `${what}: the bits differ from in-memory training`);
// batches of another size than batchSize: the iterable's batches are the steps (batchSize bounds them)
const sevens = await trained(streamBatches(() => new Response(gz), { batchRows: 7 }), {});
check(same(sevens, await trained(images, { shuffle: false, batchSize: 7 })), "gzipped IDX from a Response in batches of 7: the bits differ from in-memory batches of 7");
check(!same(sevens, memory), "batches of 7 and of 16 trained to the same bits (the comparison could not fail)");

// CSV from a Response (a Gaussian likelihood: the values are not in [0, 1])
const csvMemory = await trained(table, { shuffle: false }, "gaussian");
check(same(await trained(streamBatches(() => new Response(csv), { batchRows: 16 }), {}, "gaussian"), csvMemory),
  "CSV from a Response: the bits differ from in-memory training");

// a Blob as a RowSource: shuffled by ranges of rows, as the same shuffleRange in memory
const blob = await openIdx(new Blob([idx]));
const shuffled = { shuffleRange: 8, shuffleSeed: 3, dynamicBinarization: true };
check(same(await trained(blob, shuffled), await trained(images, shuffled)), "a Blob as a RowSource: the bits differ from in-memory training");
await blob.close();
console.log("ok   streamed training in Deno: IDX (raw, gzip) and CSV from a Response and a ReadableStream, and a Blob source, equal in-memory training bit for bit");
