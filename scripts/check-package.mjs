// Checks what npm would ship, from the packed tarball: publint (package.json and exports against the files),
// "are the types wrong" (types resolve for every entry and module system), and the size budget of the default
// entry (dist/index.js + dist/vaekit.wasm, gzipped ≤ 40 KB). `npm run check:package`; CI runs it.
// Prints one line per check and exits non-zero if any fails.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, mkdirSync } from "node:fs";
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

check("publint", () => {
  const out = execFileSync(bin("publint"), ["run", tarball, "--strict", "--level", "suggestion"], { encoding: "utf8", stdio: "pipe" });
  if (/suggestion|warning|error/i.test(out.replace(/^.*All good!.*$/m, ""))) throw Object.assign(new Error("publint reported issues"), { stdout: out });
  return out.trim().split("\n").pop();
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

process.exit(failed ? 1 : 0);
