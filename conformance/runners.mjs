// How each of the six runtimes is started on the packed-and-installed app folder, and how its result is read.
// Every runner resolves to the scenario's result ({ hash, sections, checks, entry }) or throws an Error whose
// message includes what the runtime printed, so a runtime that cannot start is reported as a failure.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, posix } from "node:path";
import { serve } from "./serve.mjs";

const MARK = "CONFORMANCE ";

/** Runs a command to completion (or until the timeout kills it); resolves with its exit code and output. */
function capture(cmd, args, { cwd, env, timeoutMs }) {
  return new Promise((done) => {
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let child;
    try {
      child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      done({ code: null, stdout, stderr: String(e), timedOut });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => (stderr += `\n${e.message}`));
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, timedOut });
    });
  });
}

function tail(text, lines = 40) {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? ["…", ...all.slice(-lines)] : all).join("\n");
}

/** A command-line runtime: the entry prints one line "CONFORMANCE {json}" and exits 0. */
async function cli(name, cmd, args, ctx, env = {}) {
  if (!existsSync(cmd)) throw new Error(`${name}: ${cmd} does not exist (run npm install --prefix runtimes)`);
  const r = await capture(cmd, args, { cwd: ctx.app, env, timeoutMs: ctx.timeoutMs });
  const line = r.stdout.split("\n").find((l) => l.startsWith(MARK));
  if (r.code === 0 && line) return JSON.parse(line.slice(MARK.length));
  const why = r.timedOut ? `timed out after ${ctx.timeoutMs} ms` : r.code === 0 ? "printed no result" : `exited with ${r.code}`;
  throw new Error(`${name} ${why}\n--- stderr ---\n${tail(r.stderr)}\n--- stdout ---\n${tail(r.stdout, 10)}`);
}

/**
 * The file a package's "exports" map gives for the first matching condition, walking the map in its own key
 * order as Node and bundlers do (e.g. ["workerd", "worker", "browser", "import", "default"] for wrangler).
 */
export function exportFor(pkg, conditions, subpath = ".") {
  const pick = (target) => {
    if (typeof target === "string") return target;
    if (Array.isArray(target)) {
      for (const t of target) {
        const hit = pick(t);
        if (hit) return hit;
      }
      return undefined;
    }
    if (target && typeof target === "object") {
      for (const [key, value] of Object.entries(target)) {
        if (key === "default" || conditions.includes(key)) {
          const hit = pick(value);
          if (hit) return hit;
        }
      }
    }
    return undefined;
  };
  let exp = pkg.exports;
  if (exp === undefined) return pkg.main ?? "index.js";
  if (typeof exp === "string" || Array.isArray(exp) || !Object.keys(exp).some((k) => k.startsWith("."))) {
    exp = { ".": exp };
  }
  const file = pick(exp[subpath]);
  if (!file) throw new Error(`vaekit's package.json exports nothing for ${subpath} under the conditions ${conditions.join(", ")}`);
  return posix.normalize(file);
}

/** The relative module specifiers a (bundled) ES module imports statically. */
function relativeImports(source) {
  const found = new Set();
  for (const m of source.matchAll(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g)) found.add(m[1]);
  return [...found];
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function requireFromRuntimes(ctx, name) {
  const req = createRequire(join(ctx.runtimesDir, "package.json"));
  try {
    return req(name);
  } catch (e) {
    throw new Error(`${name} is not installed under runtimes/ (npm install --prefix runtimes): ${e.message}`);
  }
}

/** Loads the page in a browser tab and waits for globalThis.conformance, with the page's console as evidence. */
async function inPage(name, page, ctx) {
  const server = await serve(ctx.app);
  const log = [];
  page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`page error: ${e?.message ?? e}`));
  try {
    await page.goto(`${server.url}/browser.html`);
    const result = await page.evaluate(async (ms) => {
      const until = Date.now() + ms;
      while (globalThis.conformance === undefined) {
        if (Date.now() > until) return { error: "the page never set globalThis.conformance (did a module fail to load?)" };
        await new Promise((r) => setTimeout(r, 25));
      }
      return await globalThis.conformance;
    }, ctx.timeoutMs);
    if (result.error) throw new Error(result.error);
    return { ...result, entry: result.entry.slice(server.url.length + 1) };
  } catch (e) {
    const missing = server.missing.length ? `\n404s: ${server.missing.join(", ")}` : "";
    throw new Error(`${name}: ${e.message}${missing}\n--- page console ---\n${tail(log.join("\n"))}`);
  } finally {
    await server.close();
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * The export conditions each runtime resolves "vaekit" with (browsers and workerd get theirs from the import map
 * and the module list built here, as a bundler would); the file a runtime loaded must be the one these select.
 */
export const CONDITIONS = {
  node: ["node", "import"],
  "node (require)": ["node", "require"],
  deno: ["deno", "node", "import"],
  bun: ["bun", "node", "import"],
  chromium: ["browser", "import"],
  firefox: ["browser", "import"],
  workerd: ["workerd", "worker", "browser", "import"],
};

export const RUNNERS = {
  node: (ctx) => cli("node", process.execPath, ["node.mjs"], ctx),
  "node (require)": (ctx) => cli("node (require)", process.execPath, ["node-require.cjs"], ctx),

  deno: (ctx) => {
    writeFileSync(join(ctx.app, "deno.json"), JSON.stringify({ nodeModulesDir: "manual" }, null, 2));
    const denoDir = join(ctx.tmp, "deno-dir");
    mkdirSync(denoDir, { recursive: true });
    const args = ["run", "--no-prompt", "--no-remote", `--allow-read=${ctx.app}`, "--config", "deno.json", "deno.mjs"];
    return cli("deno", join(ctx.runtimesDir, "node_modules", ".bin", "deno"), args, ctx, {
      DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1",
    });
  },

  bun: (ctx) => cli("bun", join(ctx.runtimesDir, "node_modules", ".bin", "bun"), ["run", "--no-install", "bun.mjs"], ctx, { NO_COLOR: "1" }),

  chromium: async (ctx) => {
    const { chromium } = requireFromRuntimes(ctx, "playwright-core");
    const profile = join(ctx.tmp, "chromium-profile");
    // The launchers' own timeouts (not a race around them), so a browser that starts late is still shut down.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: ctx.chromium, headless: true, args: CHROMIUM_FLAGS, timeout: ctx.timeoutMs,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      return await withTimeout(inPage("chromium", page, ctx), ctx.timeoutMs, "chromium");
    } finally {
      await context.close();
    }
  },

  firefox: async (ctx) => {
    const puppeteer = requireFromRuntimes(ctx, "puppeteer-core");
    const browser = await puppeteer.launch({
      browser: "firefox", protocol: "webDriverBiDi", executablePath: ctx.firefox, headless: true,
      userDataDir: join(ctx.tmp, "firefox-profile"), timeout: ctx.timeoutMs,
    });
    try {
      const page = await browser.newPage();
      return await withTimeout(inPage("firefox", page, ctx), ctx.timeoutMs, "firefox");
    } finally {
      await browser.close();
    }
  },

  workerd: async (ctx) => {
    const bin = join(ctx.runtimesDir, "node_modules", ".bin", "workerd");
    if (!existsSync(bin)) throw new Error(`workerd: ${bin} does not exist (run npm install --prefix runtimes)`);
    // The modules a bundler such as wrangler would upload: the worker, the scenario, the package's "workerd"
    // entry under the name "vaekit", and whatever that entry imports relatively (the .wasm as a wasm module,
    // since workerd refuses to compile wasm from bytes).
    const entry = exportFor(ctx.pkg, CONDITIONS.workerd);
    const pkgDir = posix.join("node_modules", "vaekit");
    const modules = new Map([
      ["worker.mjs", { kind: "esModule", file: "workerd.mjs" }],
      ["scenario.js", { kind: "esModule", file: "scenario.js" }],
      ["vaekit", { kind: "esModule", file: posix.join(pkgDir, entry) }],
    ]);
    const addImports = (name, file) => {
      for (const spec of relativeImports(readFileSync(join(ctx.app, file), "utf8"))) {
        const target = posix.join(posix.dirname(name), spec);
        if (modules.has(target)) continue;
        const onDisk = name === "vaekit" ? posix.join(pkgDir, posix.dirname(entry), spec) : posix.join(posix.dirname(file), spec);
        modules.set(target, { kind: spec.endsWith(".wasm") ? "wasm" : "esModule", file: onDisk });
        if (!spec.endsWith(".wasm")) addImports(target, onDisk);
      }
    };
    addImports("vaekit", posix.join(pkgDir, entry));
    // The kernels as a wasm module beside the entry, for a worker that hands them over itself ({ wasm }).
    if (!modules.has("vaekit.wasm")) {
      modules.set("vaekit.wasm", { kind: "wasm", file: posix.join(pkgDir, posix.dirname(entry), "vaekit.wasm") });
    }
    addImports("worker.mjs", "workerd.mjs");
    const port = await freePort();
    const list = [...modules].map(([name, m]) => `    (name = ${JSON.stringify(name)}, ${m.kind} = embed ${JSON.stringify(m.file)}),`);
    writeFileSync(join(ctx.app, "config.capnp"), [
      'using Workerd = import "/workerd/workerd.capnp";',
      "const config :Workerd.Config = (",
      '  services = [ (name = "main", worker = .conformance) ],',
      `  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],`,
      ");",
      "const conformance :Workerd.Worker = (",
      "  modules = [",
      ...list,
      "  ],",
      '  compatibilityDate = "2025-09-01",',
      ");",
      "",
    ].join("\n"));

    let stderr = "";
    let exited = null;
    const child = spawn(bin, ["serve", "config.capnp"], { cwd: ctx.app, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d) => (stderr += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => (stderr += `\n${e.message}`));
    child.on("exit", (code, signal) => (exited = code ?? signal));
    const closed = new Promise((r) => child.once("close", r));
    const fail = (why) => new Error(`workerd ${why}\n--- workerd output ---\n${tail(stderr)}\n--- config.capnp modules ---\n${list.join("\n")}`);
    try {
      const until = Date.now() + ctx.timeoutMs;
      for (;;) {
        if (exited !== null) throw fail(`exited with ${exited} before answering`);
        if (Date.now() > until) throw fail(`did not answer within ${ctx.timeoutMs} ms`);
        let res;
        try {
          res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(Math.max(1, until - Date.now())) });
        } catch {
          await sleep(50); // not listening yet
          continue;
        }
        const body = await res.text();
        if (!res.ok) throw fail(`answered HTTP ${res.status}:\n${body}`);
        return { ...JSON.parse(body), entry: posix.join(pkgDir, entry) };
      }
    } finally {
      if (exited === null) {
        child.kill("SIGKILL");
        await closed;
      }
    }
  },
};
