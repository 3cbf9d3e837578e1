// vaekit/stream on damaged files: valid IDX, .npy and CSV files with bytes overwritten, or cut short, at seeded random
// places must either read (every row) or fail with InvalidInputError — never a RangeError, a TypeError or a hang —
// both opened at random ranges and streamed (raw and gzipped).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { writeNpy } from "../../src/cli/npy";
import { InvalidInputError } from "../../src/index";
import { openFile, streamBatches } from "../../src/stream";

const dir = mkdtempSync(join(tmpdir(), "vaekit-untrusted-"));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const idx = (() => {
  const b = new Uint8Array(16 + 6 * 9);
  b.set([0, 0, 8, 3, 0, 0, 0, 6, 0, 0, 0, 3, 0, 0, 0, 3]);
  for (let i = 16; i < b.length; i++) b[i] = i * 7;
  return b;
})();
const npy = writeNpy(Float32Array.from({ length: 24 }, (_, i) => i / 3), [8, 3]);
const csv = new TextEncoder().encode("a,b\n1,2\n3,4.5\n\n-1e3,7\n");

async function outcome(path: string): Promise<string> {
  const tries: (() => Promise<void>)[] = [
    async () => {
      const s = await openFile(path);
      try {
        for (let r = 0; r < s.rows; r += 2) await s.read(r, Math.min(2, s.rows - r));
      } finally {
        await s.close();
      }
    },
    async () => {
      for await (const _ of streamBatches(path, { batchRows: 2 })) void _;
    },
  ];
  const seen: string[] = [];
  for (const t of tries) {
    try {
      await t();
      seen.push("ok");
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      seen.push("refused");
    }
  }
  return seen.join(",");
}

describe("damaged files", () => {
  it("read whole or refused with InvalidInputError, never another error", async () => {
    const r = rng(12345);
    const counts: Record<string, number> = {};
    let k = 0;
    for (const [name, good] of [["idx", idx], ["npy", npy], ["csv", csv]] as const) {
      for (let t = 0; t < 60; t++) {
        const b = good.slice(0, t % 5 === 0 ? Math.floor(r() * good.length) : good.length);
        const flips = 1 + Math.floor(r() * 3);
        for (let f = 0; f < flips && b.length; f++) b[Math.floor(r() * Math.min(b.length, t % 2 ? 20 : b.length))] = Math.floor(r() * 256);
        const path = join(dir, `${name}-${k++}`);
        writeFileSync(path, t % 3 === 0 ? gzipSync(b) : b);
        const o = await outcome(path);
        counts[o] = (counts[o] ?? 0) + 1;
      }
    }
    // both outcomes happen: the damage is real and the readers still read what is readable
    expect(Object.keys(counts).some((o) => o.includes("refused"))).toBe(true);
    expect(Object.keys(counts).some((o) => o.includes("ok"))).toBe(true);
  });
});
