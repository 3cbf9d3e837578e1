// Checks what npm would ship, from the packed tarball: publint (package.json and exports against the files),
// "are the types wrong" (types resolve for every entry and module system), the size budget of the default
// entry (dist/index.js + dist/vaekit.wasm, gzipped ≤ 40 KB), and that every entry loads from the installed
// tarball, with import and with require, and the bin runs. `npm run check:package`; CI runs it.
// Prints one line per check and exits non-zero if any fails.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const BUDGET = 40 * 1024;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
let failed = 0;

function check(name, fn) {
  try {
    const detail = fn();
    console.log(`ok    ${name}${detail ? `: ${detail}` : ""}`);
  } catch (e) {
    failed++;
    console.log(`FAIL  ${name}: ${e.message}`);
    if (e.stdout) console.log(String(e.stdout));
    if (e.stderr) console.log(String(e.stderr));
  }
}

execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const packDir = join(root, ".pack");
mkdirSync(packDir, { recursive: true });
for (const f of readdirSync(packDir)) if (f.endsWith(".tgz")) rmSync(join(packDir, f));
const packed = JSON.parse(
  execFileSync("npm", ["pack", "--json", "--pack-destination", packDir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
)[0];
const tarball = join(packDir, packed.filename);
console.log(`packed ${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(1)} KB`);

// The one suggestion taken as intended: the string "browser" field beside "exports". Parcel (2.16) reads "browser",
// "module" and "main" but not "exports" unless an app opts in, so without it Parcel's browser builds would get the
// Node entry; every tool that reads "exports" ignores the field (README, "Bundlers").
const INTENDED = /^\d+\. pkg\.browser with a string value can be refactored to use pkg\.exports and the "browser" condition.*$/m;

check("publint", () => {
  // colours off (CI=true turns them on, and their escape codes would split the text matched below)
  const env = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };
  const out = execFileSync(bin("publint"), ["run", tarball, "--strict", "--level", "suggestion"], { encoding: "utf8", stdio: "pipe", env })
    .replace(/\x1b\[[0-9;]*m/g, "");
  // numbered lines are messages: any besides the intended one fails, as do the Warnings: and Errors: headings
  const rest = out.replace(/^.*All good!.*$/m, "").replace(INTENDED, "").replace(/^Suggestions:$/m, "");
  if (/suggestion|warning|error|^\d+\. /im.test(rest)) throw Object.assign(new Error("publint reported issues"), { stdout: out });
  return INTENDED.test(out) ? "only the intended suggestion (a string \"browser\" field, for Parcel)" : out.trim().split("\n").pop();
});

check("are the types wrong", () => {
  const out = execFileSync(bin("attw"), [tarball, "--format", "table-flipped", "--no-emoji", "--no-color"], { encoding: "utf8", stdio: "pipe" });
  if (!/No problems found/.test(out)) throw Object.assign(new Error("attw reported problems"), { stdout: out });
  return "no problems (node10, node16 from CJS and from ESM, bundler)";
});

check(`size budget (default entry, gzipped, ≤ ${BUDGET / 1024} KB)`, () => {
  const js = gzipSync(readFileSync(join(root, "dist", "index.js")), { level: 9 }).length;
  const wasm = gzipSync(readFileSync(join(root, "dist", "vaekit.wasm")), { level: 9 }).length;
  const total = js + wasm;
  const line = `dist/index.js ${(js / 1024).toFixed(1)} KB + dist/vaekit.wasm ${(wasm / 1024).toFixed(1)} KB = ${(total / 1024).toFixed(1)} KB`;
  if (total > BUDGET) throw new Error(`${line} is over the budget`);
  return line;
});

check("every entry loads from the installed tarball (ESM and require) and the bin runs", () => {
  const app = mkdtempSync(join(tmpdir(), "vaekit-entries-"));
  try {
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "entries-check", private: true, type: "module" }));
    const peers = ["@tensorflow/tfjs-core", "fast-png"].map((p) => `${p}@${JSON.parse(readFileSync(join(root, "node_modules", p, "package.json"), "utf8")).version}`);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefer-offline", tarball, ...peers], { cwd: app, stdio: "pipe" });
    writeFileSync(join(app, "esm.mjs"), `
      import { VAE } from "vaekit";
      import { exportOnnx } from "vaekit/onnx";
      import { readTorch } from "vaekit/torch";
      import { encodeTensor } from "vaekit/tfjs";
      import { imageGrid, encodePng } from "vaekit/pictures";
      import { streamBatches } from "vaekit/stream";
      const vae = await VAE.create({ inputSize: 4, hiddenSizes: [3], latentSize: 2, seed: 1 });
      const onnx = exportOnnx(vae, { part: "decoder" });
      const png = await encodePng(imageGrid(vae.sample(4, { seed: 1 }), { shape: [2, 2], columns: 2 }));
      if (!(onnx.length > 100 && png[1] === 0x50 && typeof readTorch === "function" && typeof encodeTensor === "function")) process.exit(1);
      const mt = await VAE.create({ inputSize: 4, latentSize: 2 }, { threads: 2 }); // the threads chunk and vaekit-mt.wasm
      if (mt.engineInfo.threads !== 2) { console.log(mt.engineInfo.fallbacks.join("; ")); process.exit(1); }
      mt.dispose();
      const rows = []; // vaekit/stream: three CSV rows from a Blob
      for await (const b of streamBatches(new Blob(["1,2\\n3,4\\n5,6\\n"]), { batchRows: 2 })) rows.push(...b);
      if (rows.join() !== "1,2,3,4,5,6") process.exit(1);
      console.log("esm ok");`);
    writeFileSync(join(app, "cjs.cjs"), `
      const { VAE, VaekitError } = require("vaekit");
      for (const p of ["vaekit/onnx", "vaekit/torch", "vaekit/tfjs", "vaekit/pictures", "vaekit/stream"]) if (Object.keys(require(p)).length === 0) process.exit(1);
      VAE.create({ inputSize: 4, latentSize: 2 }, { threads: 2 }).then((v) => {
        if (v.engineInfo.threads !== 2) { console.log(v.engineInfo.fallbacks.join("; ")); process.exit(1); }
        v.dispose(); console.log("cjs ok");
      });`);
    const esm = execFileSync(process.execPath, ["esm.mjs"], { cwd: app, encoding: "utf8", stdio: "pipe" });
    const cjs = execFileSync(process.execPath, ["cjs.cjs"], { cwd: app, encoding: "utf8", stdio: "pipe" });
    const help = execFileSync(join(app, "node_modules", ".bin", "vaekit"), ["--help"], { cwd: app, encoding: "utf8", stdio: "pipe" });
    if (!/esm ok/.test(esm) || !/cjs ok/.test(cjs) || !/train/.test(help)) throw new Error(`unexpected output: ${esm} ${cjs} ${help.slice(0, 200)}`);
    return "vaekit (also with threads: 2), vaekit/onnx, vaekit/torch, vaekit/tfjs, vaekit/pictures, vaekit/stream; `vaekit --help`";
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

check('precision "fast" from the installed tarball (ESM and require; lazy dist/vaekit-fast.js + vaekit-fast.wasm)', () => {
  const app = mkdtempSync(join(tmpdir(), "vaekit-fast-"));
  try {
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "fast-check", private: true, type: "module" }));
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--prefer-offline", tarball], { cwd: app, stdio: "pipe" });
    const body = (imp) => `${imp}
      const want = process.argv[2];
      VAE.create({ inputSize: 4, latentSize: 2 }, { precision: "fast" }).then((v) => {
        const i = v.engineInfo;
        if (i.precision !== want || (want === "exact") !== (i.fallbacks.length === 1)) { console.error(JSON.stringify(i)); process.exit(1); }
        console.log("fast " + i.precision);
      });`;
    writeFileSync(join(app, "fast.mjs"), body('import { VAE } from "vaekit";'));
    writeFileSync(join(app, "fast.cjs"), body('const { VAE } = require("vaekit");'));
    const relaxed = process.execArgv.includes("--experimental-wasm-relaxed-simd") ? [] : ["--experimental-wasm-relaxed-simd"];
    const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 20, 1, 18, 0,
      65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 26, 11]);
    const runs = [[...relaxed, "fast.mjs", "fast"], [...relaxed, "fast.cjs", "fast"]];
    // Without relaxed SIMD (Node 20 without the flag) the same call falls back to exact with a reason.
    if (!WebAssembly.validate(probe)) runs.push(["fast.mjs", "exact"], ["fast.cjs", "exact"]);
    for (const args of runs) {
      const out = execFileSync(process.execPath, args, { cwd: app, encoding: "utf8", stdio: "pipe" });
      if (!out.includes(`fast ${args.at(-1)}`)) throw new Error(`node ${args.join(" ")}: ${out}`);
    }
    return runs.map((a) => `${a.at(-2)} → ${a.at(-1)}`).join(", ");
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});

process.exit(failed ? 1 : 0);
