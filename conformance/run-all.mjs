// The cross-runtime conformance run: packs vaekit (npm pack), installs the tarball into a fresh app folder, runs
// conformance/scenario.js in Node, Deno, Bun, Chromium, Firefox and workerd against that installed package,
// prints the hashes side by side and fails when any differs from conformance/expected-hash.txt, is missing, or
// its runtime could not start.
//
//   node conformance/run-all.mjs              all six runtimes, Node twice (import and require); what CI runs
//   node conformance/run-all.mjs --only node,deno
//   node conformance/run-all.mjs --update     rewrite expected-hash.txt (only when all six ran and agree)
//   node conformance/run-all.mjs --keep       keep the temporary app folder for inspection
// Environment: CONFORMANCE_TIMEOUT_MS (per runtime, default 120000), CHROMIUM, FIREFOX (browser binaries).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { CONDITIONS, RUNNERS, exportFor } from "./runners.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const expectedFile = join(here, "expected-hash.txt");
const sectionsFile = join(here, "expected-sections.json"); // per-output hashes, to say what changed
const readExpected = () => (existsSync(expectedFile) ? readFileSync(expectedFile, "utf8").trim().split(/\s+/)[0] : "");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const onlyAt = args.indexOf("--only");
const names = onlyAt >= 0 ? args[onlyAt + 1].split(",") : Object.keys(RUNNERS);
for (const n of names) if (!RUNNERS[n]) throw new Error(`unknown runtime ${n}; known: ${Object.keys(RUNNERS).join(", ")}`);

const started = performance.now();
const tmp = mkdtempSync(join(tmpdir(), "vaekit-conformance-"));
const app = join(tmp, "app");
let exitCode = 1;
try {
  process.stdout.write("packing vaekit (build, npm pack, install the tarball) … ");
  const t0 = performance.now();
  const tarball = execFileSync(process.execPath, [join(root, "scripts", "pack.mjs"), app], {
    cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 600_000,
  }).trim();
  console.log(`${relative(root, tarball)} (${Math.round(performance.now() - t0)} ms)`);
  for (const f of ["scenario.js", ...readdirSync(join(here, "entries"))]) {
    copyFileSync(f === "scenario.js" ? join(here, f) : join(here, "entries", f), join(app, f));
  }
  const pkg = JSON.parse(readFileSync(join(app, "node_modules", "vaekit", "package.json"), "utf8"));
  const browserEntry = `/node_modules/vaekit/${exportFor(pkg, CONDITIONS.chromium)}`;
  const page = readFileSync(join(app, "browser.html"), "utf8").replace("%VAEKIT_ENTRY%", browserEntry);
  writeFileSync(join(app, "browser.html"), page);

  const ctx = {
    app, tmp, pkg,
    runtimesDir: join(root, "runtimes"),
    timeoutMs: Number(process.env.CONFORMANCE_TIMEOUT_MS ?? 120_000),
    chromium: process.env.CHROMIUM ?? "/usr/bin/chromium",
    firefox: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
  };
  const results = [];
  for (const name of names) {
    const t = performance.now();
    try {
      const r = await RUNNERS[name](ctx);
      if (typeof r?.hash !== "string" || !/^[0-9a-f]{64}$/.test(r.hash)) throw new Error(`${name} returned no hash: ${JSON.stringify(r)}`);
      const entry = r.entry?.startsWith("file:") ? relative(app, fileURLToPath(r.entry)) : r.entry;
      const wanted = `node_modules/vaekit/${exportFor(pkg, CONDITIONS[name])}`;
      if (entry !== wanted) {
        throw new Error(`${name} loaded ${entry}, but the package's exports select ${wanted} for its conditions ${CONDITIONS[name].join(", ")}`);
      }
      results.push({ name, ms: performance.now() - t, ...r, entry });
    } catch (e) {
      const message = (e instanceof Error ? e.message : String(e)).replace(/\x1b\[[0-9;]*m/g, "");
      results.push({ name, ms: performance.now() - t, error: message });
    }
    const last = results.at(-1);
    process.stdout.write(`  ${name}: ${last.error ? "FAILED" : "ok"} (${Math.round(last.ms)} ms)\n`);
  }

  const failed = results.filter((r) => r.error).length;
  const ran = results.filter((r) => r.sections);
  const agree = ran.length === results.length && new Set(ran.map((r) => r.hash)).size === 1;
  if (flag("--update")) {
    if (names.length !== Object.keys(RUNNERS).length || failed || !agree) {
      console.log("\n--update refused: it needs every runtime to run and agree");
    } else {
      writeFileSync(expectedFile, `${ran[0].hash}\n`);
      writeFileSync(sectionsFile, `${JSON.stringify(ran[0].sections, null, 2)}\n`);
      console.log(`\nwrote ${ran[0].hash} to conformance/expected-hash.txt`);
    }
  }
  const expected = readExpected();
  console.log(`\nexpected (conformance/expected-hash.txt): ${expected || "(empty)"}\n`);
  const rows = results.map((r) => [
    r.name, r.hash ?? "MISSING", `${Math.round(r.ms)}`, `${r.checks ?? ""}`,
    r.error ? "runtime failed" : r.hash === expected ? "ok" : "MISMATCH", r.entry ?? "",
  ]);
  const head = ["runtime", "hash (SHA-256 of weights and outputs)", "ms", "checks", "status", "vaekit entry loaded"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 2 || i === 3 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`);
  for (const r of rows) console.log(line(r));

  for (const r of results.filter((r) => r.error)) console.log(`\n${r.name} could not run the scenario:\n${r.error}`);

  // Which outputs differ: every section whose hash is not the same in all runtimes that ran.
  const differing = Object.keys(ran[0]?.sections ?? {}).filter((s) => new Set(ran.map((r) => r.sections[s])).size > 1);
  if (differing.length) {
    console.log("\nsections that differ between runtimes:");
    for (const s of differing) console.log(`  ${s}: ${ran.map((r) => `${r.name}=${r.sections[s].slice(0, 12)}`).join(" ")}`);
  }

  const committed = existsSync(sectionsFile) ? JSON.parse(readFileSync(sectionsFile, "utf8")) : {};
  for (const r of ran.filter((r) => r.hash !== expected)) {
    const changed = Object.keys(r.sections).filter((s) => committed[s] !== r.sections[s]);
    console.log(`\n${r.name} differs from the committed hash in: ${changed.join(", ") || "the set of sections"}`);
  }
  if (ran.some((r) => r.hash !== expected)) {
    console.log("(after an intended change of the numbers: node conformance/run-all.mjs --update, and commit both files)");
  }

  const mismatched = results.filter((r) => r.hash && r.hash !== expected).length;
  const ok = failed === 0 && mismatched === 0 && results.length === names.length;
  console.log(
    `\nconformance: ${results.length - failed - mismatched}/${names.length} runtimes match the committed hash` +
      (failed ? `, ${failed} could not run` : "") + (mismatched ? `, ${mismatched} differ` : "") +
      ` (total ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  exitCode = ok ? 0 : 1;
} finally {
  if (flag("--keep")) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
}
process.exit(exitCode);
