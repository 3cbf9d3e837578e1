// Builds the package, packs it with `npm pack` and installs the tarball into a fresh app folder, the way a user
// would get it: `node scripts/pack.mjs <dir>` leaves <dir>/package.json and <dir>/node_modules/vaekit, and prints
// the tarball's path. Used by the conformance run and the examples' CI checks, so both test what npm would ship.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const app = resolve(process.argv[2] ?? join(root, ".pack", "app"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const quiet = { cwd: root, stdio: ["ignore", "ignore", "inherit"] };

execFileSync(npm, ["run", "build", "--silent"], quiet);
const packDir = join(root, ".pack");
mkdirSync(packDir, { recursive: true });
for (const f of readdirSync(packDir)) if (f.endsWith(".tgz")) rmSync(join(packDir, f));
const out = execFileSync(npm, ["pack", "--json", "--pack-destination", packDir], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const tarball = join(packDir, JSON.parse(out)[0].filename);

rmSync(app, { recursive: true, force: true });
mkdirSync(app, { recursive: true });
writeFileSync(join(app, "package.json"), JSON.stringify({ name: "vaekit-app", private: true, type: "module" }, null, 2));
execFileSync(npm, ["install", "--no-audit", "--no-fund", "--no-package-lock", tarball], { cwd: app, stdio: ["ignore", "ignore", "inherit"] });
console.log(tarball);
