// Threads in Deno and Bun, from the built package (dist/web.js for Deno, dist/index.js for Bun): each trains the
// same VAE on 1, 2 and 3 threads and must get bit-identical weights and reconstructions, with engineInfo saying
// the threads ran (Deno: module Web Workers from a Blob URL; Bun: worker_threads). Needs `npm run build` and the
// runtimes of runtimes/package.json (`npm install --prefix runtimes`). Not part of vitest (it drives other runtimes):
//   node test/threads/other-runtimes.mjs            exits non-zero if a runtime is missing or disagrees
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { threadsScenario } from "./scenario.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = (name) => join(root, "runtimes", "node_modules", ".bin", name);
const dir = mkdtempSync(join(tmpdir(), "vaekit-threads-runtimes-"));

const script = (entry) => threadsScenario(pathToFileURL(join(root, "dist", entry)).href, [1, 2, 3], '((o) => console.log("THREADS " + JSON.stringify(o)))');

let failed = 0;
for (const [name, cmd, args, entry] of [
  ["deno", bin("deno"), ["run", "--allow-read", "--allow-env"], "web.js"],
  ["bun", bin("bun"), [], "index.js"],
]) {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, script(entry));
  if (!existsSync(cmd)) {
    console.log(`FAIL  ${name}: ${cmd} is missing (npm install --prefix runtimes)`);
    failed++;
    continue;
  }
  const r = spawnSync(cmd, [...args, file], { encoding: "utf8", timeout: 120_000, env: { ...process.env, DENO_DIR: join(dir, "deno-cache") } });
  const line = (r.stdout ?? "").split("\n").find((l) => l.startsWith("THREADS "));
  const runs = line ? JSON.parse(line.slice(8)) : [];
  const ok = r.status === 0 && runs.length === 3 && runs.every((x, i) => x.threads === i + 1 && x.hash === runs[0].hash);
  console.log(`${ok ? "ok   " : "FAIL "} ${name}: ${line ? line.slice(8) : `exit ${r.status} ${r.error?.message ?? ""}\n${r.stderr}`}`);
  if (!ok) failed++;
}
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
