// Threads in browsers, from the built package (dist/web.js): headless Chromium (playwright-core) and Firefox
// (puppeteer-core over WebDriver BiDi) load a page that trains the same VAE on 1, 2 and 3 threads and must get
// bit-identical weights and reconstructions, with engineInfo saying the threads ran (module Web Workers from a Blob
// URL over a shared memory). The page is served cross-origin isolated (COOP/COEP headers); the same page served
// without them must run on one thread, get the same bits, and say why in engineInfo.fallbacks. Needs
// `npm run build`, the browsers (/usr/bin/chromium, /usr/bin/firefox-esr; .ci/conformance installs them) and the
// drivers of runtimes/package.json (`npm install --prefix runtimes`). Not part of vitest (it drives browsers):
//   node test/threads/browsers.mjs            exits non-zero if a browser is missing or disagrees
import { createRequire } from "node:module";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM_FLAGS } from "../../conformance/runners.mjs";
import { serve } from "../../conformance/serve.mjs";
import { threadsScenario } from "./scenario.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const req = createRequire(join(root, "runtimes", "package.json"));
const tmp = mkdtempSync(join(tmpdir(), "vaekit-threads-browsers-"));

// The page: the shared scenario as a module script, its result left in globalThis.result for the driver.
const page = (threadsList) => `<!doctype html><meta charset="utf-8"><script type="module">
${threadsScenario("/dist/web.js", threadsList, "((out) => { globalThis.result = { isolated: globalThis.crossOriginIsolated, out }; })")}
</script>
<script>
const fail = (e) => { globalThis.result = { error: String(e?.stack ?? e) }; };
addEventListener("error", (e) => fail(e.error ?? e.message));
addEventListener("unhandledrejection", (e) => fail(e.reason));
</script>`;

async function runChromium(url) {
  const { chromium } = req("playwright-core");
  const context = await chromium.launchPersistentContext(join(tmp, "chromium"), {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: CHROMIUM_FLAGS, timeout: 60_000,
  });
  try {
    const p = await context.newPage();
    await p.goto(url);
    await p.waitForFunction(() => globalThis.result !== undefined, null, { timeout: 120_000 });
    return await p.evaluate(() => globalThis.result);
  } finally {
    await context.close();
  }
}

async function runFirefox(url) {
  const puppeteer = req("puppeteer-core");
  const browser = await puppeteer.launch({
    browser: "firefox", protocol: "webDriverBiDi", executablePath: process.env.FIREFOX ?? "/usr/bin/firefox-esr",
    headless: true, timeout: 60_000, userDataDir: join(tmp, "firefox"),
  });
  try {
    const p = await browser.newPage();
    await p.goto(url);
    await p.waitForFunction(() => globalThis.result !== undefined, { timeout: 120_000 });
    return await p.evaluate(() => globalThis.result);
  } finally {
    await browser.close();
  }
}

// The pages live in a folder served beside the package: /dist from the repository, /t/*.html written here.
const site = join(tmp, "site");
mkdirSync(join(site, "t"), { recursive: true });
symlinkSync(join(root, "dist"), join(site, "dist"));
writeFileSync(join(site, "t", "isolated.html"), page([1, 2, 3]));
writeFileSync(join(site, "t", "plain.html"), page([2]));
const isolated = await serve(site, { isolate: true });
const plain = await serve(site);

let failed = 0;
for (const [name, run] of [["chromium", runChromium], ["firefox", runFirefox]]) {
  try {
    const a = await run(`${isolated.url}/t/isolated.html`);
    const b = await run(`${plain.url}/t/plain.html`);
    if (a.error || b.error) throw new Error(a.error ?? b.error);
    const ok = a.isolated === true && a.out.length === 3 && a.out.every((r, i) => r.threads === i + 1 && !r.fallbacks.length && r.hash === a.out[0].hash)
      && b.isolated === false && b.out[0].threads === 1 && b.out[0].hash === a.out[0].hash
      && /cross-origin isolated|SharedArrayBuffer/.test(b.out[0].fallbacks.join(" "));
    console.log(`${ok ? "ok   " : "FAIL "} ${name}: isolated ${JSON.stringify(a.out)}; not isolated ${JSON.stringify(b.out)}`);
    if (!ok) failed++;
  } catch (e) {
    console.log(`FAIL  ${name}: ${e.message}`);
    failed++;
  }
}
await isolated.close();
await plain.close();
rmSync(tmp, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
