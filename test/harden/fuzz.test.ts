// The seeded loader fuzz corpus: thousands of mutants of every file kind vaekit reads (model files of every class,
// PyTorch state_dicts in every dtype, IDX raw and gzipped, .npy, CSV) must each load or be refused with a typed
// error, and a model that loads holds no more wasm memory than a small model does. The long run: bench/fuzz.mjs.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/cli/csv.js";
import { CliError } from "../../src/cli/errors.js";
import { readNpy } from "../../src/cli/npy.js";
import * as core from "../../src/index.js";
import { loadTorch, readTorch } from "../../src/torch.js";
import { attempt, mutate, rng, seeds } from "./fuzz-kit.mjs";

const lib = { ...core, loadTorch, readTorch, readNpy, readCsv, CliError, gzip: (b: Uint8Array) => gzipSync(b) };
const MUTANTS = 3000;

describe("loader fuzz corpus (seeded)", () => {
  it(`${MUTANTS} mutants: each loads or is refused with a typed error; nothing over-allocates`, async () => {
    const files = await seeds(lib);
    const kinds = new Set(files.map(([k]) => k));
    expect([...kinds].sort()).toEqual(["csv", "idx", "model", "npy", "torch"]);
    for (const [kind, name, bytes] of files) expect((await attempt(lib, kind, bytes, rng(0))).outcome, name).toBe("loaded");
    const r = rng(2024);
    const counts: Record<string, number> = { loaded: 0, typed: 0, other: 0 };
    const others: string[] = [];
    let maxMemory = 0;
    for (let i = 0; i < MUTANTS; i++) {
      const [kind, name, bytes] = files[i % files.length];
      const res = await attempt(lib, kind, mutate(bytes, r), r);
      counts[res.outcome]++;
      maxMemory = Math.max(maxMemory, res.memory ?? 0);
      if (res.outcome === "other" && others.length < 5) others.push(`${name} #${i}: ${String((res.error as Error)?.stack ?? res.error).slice(0, 300)}`);
    }
    console.log(`fuzz corpus: ${JSON.stringify(counts)}, largest wasm memory of a loaded model ${maxMemory} bytes`);
    expect(others).toEqual([]);
    expect(counts.typed).toBeGreaterThan(MUTANTS / 4);
    expect(counts.loaded).toBeGreaterThan(0);
    expect(maxMemory).toBeLessThan(64 * 2 ** 20);
  });
});
