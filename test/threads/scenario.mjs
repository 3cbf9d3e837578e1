// The thread-count scenario run in other runtimes and browsers (test/threads/other-runtimes.mjs, browsers.mjs):
// the source of a module that imports vaekit from `entry`, trains the same VAE once per thread count and hashes its
// weights and reconstructions (FNV-1a over the f32 bits). Its last statement hands `{ asked, threads, fallbacks,
// hash }[]` to `report` (an expression in the host's module: console.log or a global assignment).
export const threadsScenario = (entry, threadCounts, report) => `
import { VAE } from ${JSON.stringify(entry)};
const x = new Float32Array(259 * 784);
for (let i = 0; i < x.length; i++) x[i] = (i * 7919) % 1000 < 300 ? ((i * 31) % 1000) / 1000 : 0;
const out = [];
for (const threads of ${JSON.stringify(threadCounts)}) {
  const vae = await VAE.create({ inputSize: 784, hiddenSizes: [403], latentSize: 21, seed: 5 }, { threads });
  await vae.fit(x, { epochs: 1, batchSize: 127 });
  const all = [...Object.values(vae.getWeights()), vae.reconstruct(x.subarray(0, 5 * 784))];
  let h = 0x811c9dc5;
  for (const a of all) for (const v of new Uint32Array(a.buffer, a.byteOffset, a.length)) h = Math.imul(h ^ v, 0x01000193) >>> 0;
  out.push({ asked: threads, threads: vae.engineInfo.threads, fallbacks: vae.engineInfo.fallbacks, hash: h });
  vae.dispose();
}
${report}(out);
`;
