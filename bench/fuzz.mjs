// The long loader fuzz (issue 17): ≥ 100,000 seeded mutants of every file kind vaekit reads — model files of every
// class, PyTorch state_dicts in F32/F64/F16/BF16, IDX raw and gzipped, .npy, CSV (test/harden/fuzz-kit.mjs) — run
// on the sources in a child process (node --import tsx) that this parent watches: a mutant that makes no progress
// for HANG_MS is a hang (the child is killed and the run resumes after it). Each mutant is classified as loaded,
// typed error, other exception (a bug), hang, or over-allocation: a loaded model holding more wasm memory than
// MAX_MODEL_MEMORY, or the process's RSS above MAX_RSS. Writes bench/results/fuzz.json.
//   node bench/fuzz.mjs [mutants=100000] [seed=1]
import { fork } from "node:child_process";
import { cpus } from "node:os";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const MUTANTS = Number(process.argv[2] ?? 100_000);
const SEED = Number(process.argv[3] ?? 1);
const HANG_MS = 30_000;
const MAX_MODEL_MEMORY = 64 * 2 ** 20; // the seed models are tiny: a mutant that loads must stay as small
const MAX_RSS = 1.5 * 2 ** 30;
const child = fileURLToPath(new URL("./fuzz-child.ts", import.meta.url));

const counts = { loaded: 0, typed: 0, other: 0, hang: 0, overAllocation: 0 };
const byKind = {};
const examples = { other: [], hang: [], overAllocation: [] };
let maxModelMemory = 0, maxRss = 0;
const t0 = Date.now();

function runFrom(from) {
  return new Promise((resolve) => {
    const p = fork(child, [String(from), String(MUTANTS), String(SEED)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    let current = from, timer, finished = false, hung = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        hung = true;
        counts.hang++;
        if (examples.hang.length < 10) examples.hang.push({ mutant: current });
        p.kill("SIGKILL");
      }, HANG_MS);
    };
    arm();
    p.on("message", (m) => {
      arm();
      if (m.finished) finished = true;
      if (m.start !== undefined) current = m.start;
      if (m.done === undefined) return;
      const k = (byKind[m.kind] ??= { loaded: 0, typed: 0, other: 0, overAllocation: 0 });
      const over = m.memory > MAX_MODEL_MEMORY || m.rss > MAX_RSS;
      maxModelMemory = Math.max(maxModelMemory, m.memory);
      maxRss = Math.max(maxRss, m.rss);
      if (over) {
        counts.overAllocation++;
        k.overAllocation++;
        if (examples.overAllocation.length < 10) examples.overAllocation.push({ mutant: m.done, memory: m.memory, rss: m.rss });
      }
      counts[m.outcome]++;
      k[m.outcome]++;
      if (m.outcome === "other" && examples.other.length < 10) examples.other.push({ mutant: m.done, kind: m.kind, error: m.error });
      if (m.done % 10000 === 0) process.stderr.write(`fuzz: ${m.done}/${MUTANTS} ${JSON.stringify(counts)}\n`);
      current = m.done + 1;
    });
    p.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (finished) return resolve(MUTANTS);
      if (!hung) { // the child died on this mutant (a crash is a bug like any untyped exception)
        counts.other++;
        if (examples.other.length < 10) examples.other.push({ mutant: current, error: `the process died (${signal ?? `exit code ${code}`})` });
      }
      resolve(current + 1); // resume after the mutant it was on
    });
  });
}

let next = 0;
while (next < MUTANTS) next = await runFrom(next);

const result = {
  date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, seed: SEED, mutants: MUTANTS,
  seconds: Math.round((Date.now() - t0) / 1000), counts, byKind, bounds: { hangMs: HANG_MS, maxModelMemory: MAX_MODEL_MEMORY, maxRss: MAX_RSS },
  largest: { modelMemory: maxModelMemory, rss: maxRss }, examples,
};
writeFileSync(fileURLToPath(new URL("./results/fuzz.json", import.meta.url)), JSON.stringify(result, null, 1) + "\n");
console.log(JSON.stringify({ counts, seconds: result.seconds }));
