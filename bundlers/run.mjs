// The bundler job (.ci/bundlers): builds the tiny app in app/ with each of five bundlers, each with its defaults,
// against vaekit as npm ships it, for the browser and for Node, then runs every bundle with precision exact and
// fast on 1 and 2 threads — the browser builds in headless Chromium on a cross-origin isolated page, the Node
// builds in Node — and checks that each gives the same bits, and the same engine, as Node running the unbundled
// package; and Vite's dev server, exact and fast on one thread. Prints a table (bundler × target × precision ×
// threads → ok / why not); exits 1 if any run failed.
//
//   node bundlers/run.mjs <packed app folder>      (the folder scripts/pack.mjs installed vaekit into)
//
// The only additions to a bundler's defaults are the ones README.md ("Bundlers") documents: esbuild and Rollup
// don't copy files referenced by `new URL(…, import.meta.url)`, so their builds get vaekit's .wasm files copied
// beside the bundle (one cp), and esbuild is asked for ES modules (--format=esm; its IIFE/CommonJS output has no
// import.meta.url). The entry a bundler picks is its own business: that is what this job tests. Two more esbuild
// builds leave those additions out (no cp; CommonJS, esbuild's default for Node): each must import, and its first
// model must reject with the VaekitError that says what to add.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_FLAGS } from "../conformance/runners.mjs";
import { serve } from "../conformance/serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const packed = resolve(process.argv[2] ?? join(root, ".pack", "app"));
const only = process.env.BUNDLERS?.split(",");
const TIMEOUT = 180_000;
const bin = (name) => join(here, "node_modules", ".bin", name);

// Node 20 compiles relaxed SIMD (precision "fast") only with this flag; newer Node has it on (vitest.config.ts).
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 20, 1, 18, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 26, 11,
]);
const NODE_FLAGS = WebAssembly.validate(RELAXED_PROBE) ? [] : ["--experimental-wasm-relaxed-simd"];

const COPY_WASM = (sub) => (dir) => {
  // README's one line for esbuild and Rollup: cp node_modules/vaekit/dist/*.wasm <output folder>
  const from = join(here, "node_modules", "vaekit", "dist");
  for (const f of readdirSync(from)) if (f.endsWith(".wasm")) cpSync(join(from, f), join(dir, sub, f));
};
const MODULE_PAGE = (script) => `<!doctype html><meta charset="utf-8"><script type="module" src="./${script}"></script>\n`;
const CLASSIC_PAGE = (script) => `<!doctype html><meta charset="utf-8"><script src="./${script}"></script>\n`;

// Per bundler and target: the command (run in a copy of app/), the folder to serve or the file to run, an html
// page to write when the bundler doesn't make one, the package.json "type" of the copy, and steps after the build.
const BUILDS = {
  vite: {
    browser: { cmd: [bin("vite"), "build"], serve: "dist" },
    node: { cmd: [bin("vite"), "build", "--ssr", "src/node.js", "--outDir", "out"], run: "out/node.js" },
  },
  webpack: {
    browser: { cmd: [bin("webpack"), "--mode", "production", "--entry", "./src/browser.js"], serve: "dist", page: CLASSIC_PAGE("main.js") },
    // webpack's Node output is CommonJS: named .cjs in this "type": "module" app
    node: { cmd: [bin("webpack"), "--mode", "production", "--target", "node", "--entry", "./src/node.js", "--output-path", "out", "--output-filename", "main.cjs"], run: "out/main.cjs" },
  },
  esbuild: {
    browser: { cmd: [bin("esbuild"), "src/browser.js", "--bundle", "--format=esm", "--outdir=dist"], serve: "dist", page: MODULE_PAGE("browser.js"), after: COPY_WASM("dist") },
    node: { cmd: [bin("esbuild"), "src/node.js", "--bundle", "--platform=node", "--format=esm", "--outdir=out"], run: "out/node.js", after: COPY_WASM("out") },
    // Without the documented additions the bundle must still import, and its first model must say what to do:
    "browser, no cp": {
      cmd: [bin("esbuild"), "src/browser.js", "--bundle", "--format=esm", "--outdir=dist"], serve: "dist", page: MODULE_PAGE("browser.js"),
      expect: /^VaekitError: could not load vaekit\.wasm: HTTP 404 for .*add `cp node_modules\/vaekit\/dist\/\*\.wasm <your output folder>` to the build/,
    },
    "node, CommonJS": {
      cmd: [bin("esbuild"), "src/node.js", "--bundle", "--platform=node", "--outfile=out/node.cjs"], run: "out/node.cjs",
      expect: /^VaekitError: could not locate vaekit\.wasm \(.*\): this bundle has no import\.meta\.url .*--format=esm/,
    },
  },
  rollup: {
    // node-resolve's default conditions pick dist/index.js, whose node: imports are reached only under Node
    browser: { cmd: [bin("rollup"), "-p", "node-resolve", "src/browser.js", "-d", "dist", "-f", "es"], serve: "dist", page: MODULE_PAGE("browser.js"), after: COPY_WASM("dist"), nodeImportsAllowed: true },
    node: { cmd: [bin("rollup"), "-p", "node-resolve", "src/node.js", "-d", "out", "-f", "es"], run: "out/node.js", after: COPY_WASM("out") },
  },
  parcel: {
    browser: { cmd: [bin("parcel"), "build", "index.html", "--no-autoinstall"], serve: "dist" },
    node: {
      cmd: [bin("parcel"), "build", "src/node.js", "--target", "node", "--no-autoinstall"], run: "out/node.js",
      // Parcel's Node output is CommonJS (and leaves node_modules to Node, its default for Node targets)
      type: "commonjs", pkg: { targets: { node: { context: "node", distDir: "out" } } },
    },
  },
};

const RUNS = [["exact", 1], ["exact", 2], ["fast", 1], ["fast", 2]];

function sh(cmd, args, cwd, extraEnv = {}) {
  return new Promise((done) => {
    let out = "";
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT);
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", (e) => (out += `\n${e.message}`));
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, out });
    });
  });
}

const tail = (text, n = 25) => text.trimEnd().split("\n").slice(-n).join("\n");

async function nodeRun(file, cwd, precision, threads) {
  const r = await sh(process.execPath, [...NODE_FLAGS, file, precision, String(threads)], cwd);
  const line = r.out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) {
    const why = r.out.split("\n").find((l) => /^\w*Error\b/.test(l)) ?? `exited with ${r.code}, no result`;
    return { error: `${why}\n${tail(r.out)}` };
  }
  return JSON.parse(line.slice(7));
}

let browser;
async function pageRun(url, precision, threads) {
  const page = await browser.newPage();
  const log = [];
  page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`page error: ${e?.message ?? e}`));
  try {
    await page.goto(`${url}/index.html?precision=${precision}&threads=${threads}`);
    const r = await page.evaluate(async (ms) => {
      const until = Date.now() + ms;
      while (globalThis.result === undefined) {
        if (Date.now() > until) return { error: "the page never set globalThis.result (did the bundle fail to load?)" };
        await new Promise((res) => setTimeout(res, 25));
      }
      return { ...(await globalThis.result), isolated: globalThis.crossOriginIsolated };
    }, TIMEOUT);
    if (r.error && log.length) r.error += `\n${tail(log.join("\n"), 10)}`;
    return r;
  } catch (e) {
    return { error: `${e.message}\n${tail(log.join("\n"), 10)}` };
  } finally {
    await page.close();
  }
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * Vite's dev server (`vite`, no config), where most Vite users meet vaekit first: it pre-bundles dependencies into
 * node_modules/.vite and must still serve the .wasm files the URLs name. vaekit sits in the app's own node_modules,
 * as npm puts it (the dev server serves files under its root only). One thread: without a config the dev server
 * sends no cross-origin isolation headers.
 */
async function viteDev(tmp, ref, rows, failures) {
  const dir = join(tmp, "vite-dev");
  cpSync(join(here, "app"), dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app-vite-dev", private: true, type: "module" }, null, 2));
  cpSync(join(here, "node_modules", "vaekit"), join(dir, "node_modules", "vaekit"), { recursive: true });
  const port = await freePort();
  const child = spawn(bin("vite"), ["--port", String(port), "--strictPort", "--host", "127.0.0.1"], {
    cwd: dir, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", exited = null;
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  child.on("exit", (code) => (exited = code ?? "killed"));
  const closed = new Promise((r) => child.once("close", r));
  const target = "browser, dev server";
  try {
    const until = Date.now() + 60_000;
    while (!out.includes(`127.0.0.1:${port}`)) {
      if (exited !== null || Date.now() > until) throw new Error(`the dev server did not start:\n${tail(out)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`vite (${target}) serving on 127.0.0.1:${port}`);
    for (const p of ["exact", "fast"]) {
      const r = await pageRun(`http://127.0.0.1:${port}`, p, 1);
      const verdict = judge(r, ref[`${p}/1`], p, 1);
      rows.push(["vite", target, p, 1, verdict.length > 90 ? `${verdict.slice(0, 89)}…` : verdict]);
      if (!verdict.startsWith("ok")) {
        failures.push(`vite ${target} ${p} 1: ${verdict}`);
        if (r.error) console.log(`  ${p}/1: ${r.error}`);
      }
    }
  } catch (e) {
    for (const p of ["exact", "fast"]) rows.push(["vite", target, p, 1, "dev server failed"]);
    failures.push(`vite ${target}: ${e.message}`);
    console.log(`vite (${target}): ${e.message}`);
  } finally {
    if (exited === null) {
      child.kill();
      await closed;
    }
  }
}

/** "ok", or why the result is not the one Node gave. */
function judge(r, ref, precision, threads) {
  if (r.error) return r.error.split("\n")[0];
  const { engineInfo: e } = r;
  if (e.precision !== precision || e.threads !== threads || e.fallbacks.length) {
    return `engine ${JSON.stringify(e)}, asked for ${precision} on ${threads} thread(s)`;
  }
  if (r.hash !== ref.hash) return `hash ${r.hash.slice(0, 12)}… ≠ Node's ${ref.hash.slice(0, 12)}…`;
  return "ok";
}

async function main() {
  const started = Date.now();
  if (!existsSync(join(packed, "node_modules", "vaekit", "package.json"))) {
    throw new Error(`${packed} has no node_modules/vaekit: run node scripts/pack.mjs ${packed} first`);
  }
  // vaekit beside the bundlers, as `npm install vaekit` would put it (the bundlers resolve it from there)
  const installed = join(here, "node_modules", "vaekit");
  rmSync(installed, { recursive: true, force: true });
  cpSync(join(packed, "node_modules", "vaekit"), installed, { recursive: true });

  const tmp = mkdtempSync(join(tmpdir(), "vaekit-bundlers-"));
  symlinkSync(join(here, "node_modules"), join(tmp, "node_modules"), "dir");
  const failures = [];
  const rows = [];
  try {
    // Node, unbundled: the numbers every bundle must give
    const refDir = join(tmp, "node-reference");
    cpSync(join(here, "app"), refDir, { recursive: true });
    writeFileSync(join(refDir, "package.json"), JSON.stringify({ private: true, type: "module" }));
    const ref = {};
    for (const [p, t] of RUNS) {
      ref[`${p}/${t}`] = await nodeRun("src/node.js", refDir, p, t);
      const r = ref[`${p}/${t}`];
      const ok = r.error ? r.error : r.engineInfo.precision === p && r.engineInfo.threads === t && !r.engineInfo.fallbacks.length ? "ok" : JSON.stringify(r.engineInfo);
      console.log(`node (unbundled) ${p} ${t} thread(s): ${ok === "ok" ? r.hash : ok}`);
      if (ok !== "ok") failures.push(`node reference ${p}/${t}: ${ok}`);
    }
    if (ref["exact/1"].hash !== ref["exact/2"].hash || ref["fast/1"].hash !== ref["fast/2"].hash) {
      failures.push("node reference: 1 and 2 threads differ");
    }

    const { chromium } = createRequire(join(root, "runtimes", "package.json"))("playwright-core");
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_FLAGS, timeout: TIMEOUT });

    for (const [name, targets] of Object.entries(BUILDS)) {
      if (only && !only.includes(name)) continue;
      for (const [target, b] of Object.entries(targets)) {
        const dir = join(tmp, `${name}-${target}`);
        cpSync(join(here, "app"), dir, { recursive: true });
        writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `app-${name}-${target}`, private: true, type: b.type ?? "module", ...b.pkg }, null, 2));
        const t0 = Date.now();
        const built = await sh(b.cmd[0], b.cmd.slice(1), dir);
        const secs = ((Date.now() - t0) / 1000).toFixed(1);
        if (built.code !== 0) {
          console.log(`\n${name} (${target}) build FAILED in ${secs} s:\n${tail(built.out)}`);
          for (const [p, t] of RUNS) rows.push([name, target, p, t, "build failed"]);
          failures.push(`${name} ${target}: build failed`);
          continue;
        }
        b.after?.(dir);
        // what the build wrote: .wasm files, and (browser builds) any node: import left in the JavaScript
        const outDir = join(dir, b.serve ?? dirname(b.run));
        const files = readdirSync(outDir, { recursive: true }).map(String);
        const wasm = files.filter((f) => f.endsWith(".wasm"));
        const nodeImports = b.serve ? files.filter((f) => f.endsWith(".js") && /["']node:/.test(readFileSync(join(outDir, f), "utf8"))) : [];
        console.log(`${name} (${target}) built in ${secs} s: ${wasm.length} .wasm file(s) beside the bundle` +
          (b.serve ? `, node: imports in ${nodeImports.length ? nodeImports.join(", ") : "no file"}` : ""));
        if (nodeImports.length && !b.nodeImportsAllowed) failures.push(`${name} ${target}: node: imports in the browser bundle (${nodeImports.join(", ")})`);
        const warn = built.out.split("\n").filter((l) => /warn|externali[sz]ed/i.test(l) && /node:|vaekit|wasm/i.test(l));
        if (warn.length) console.log(`  its warnings about vaekit: ${warn.slice(0, 5).join(" | ")}`);
        let server;
        if (b.serve) {
          if (b.page) writeFileSync(join(dir, b.serve, "index.html"), b.page);
          server = await serve(join(dir, b.serve), { isolate: true });
        }
        try {
          for (const [p, t] of b.expect ? RUNS.slice(0, 1) : RUNS) {
            const r = b.serve ? await pageRun(server.url, p, t) : await nodeRun(b.run, dir, p, t);
            if (b.serve && !r.error && r.isolated !== true) r.error = "the page was not cross-origin isolated";
            const verdict = b.expect ? (b.expect.test(r.error ?? "") ? "ok (the expected VaekitError)" : `not the expected error: ${r.error ?? "it ran"}`)
              : judge(r, ref[`${p}/${t}`], p, t);
            rows.push([name, target, p, t, verdict.length > 90 ? `${verdict.slice(0, 89)}…` : verdict]);
            if (!verdict.startsWith("ok")) {
              failures.push(`${name} ${target} ${p} ${t}: ${verdict}`);
              if (r.error) console.log(`  ${p}/${t}: ${r.error}`);
              if (server?.missing.length) console.log(`  404s: ${server.missing.join(", ")}`);
            }
          }
        } finally {
          await server?.close();
        }
      }
    }
    if (!only || only.includes("vite")) await viteDev(tmp, ref, rows, failures);
  } finally {
    await browser?.close();
    rmSync(tmp, { recursive: true, force: true });
  }

  const head = ["bundler", "target", "precision", "threads", "result"];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(width[i])).join(" | ")} |`;
  console.log(`\n${line(head)}\n|${width.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
  const ok = rows.filter((r) => r[4].startsWith("ok")).length;
  console.log(`\nbundlers: ${ok} of ${rows.length} runs as expected (Node's bits, or the expected error)${failures.length ? `; failing: ${failures.length}` : ""} ` +
    `(${Math.round((Date.now() - started) / 1000)} s)`);
  for (const f of failures) console.log(`FAILED: ${f.split("\n")[0]}`);
  if (failures.length || rows.length === 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
