// End-to-end test of the playground in headless Chromium (playwright-core): serves the page (serve.mjs), then
// trains for two epochs and checks the loss chart, samples, reconstructions, the latent explorer, the drawing
// canvas and its anomaly score, saves the model, reloads the page, loads the file and checks that the loaded
// model decodes, samples and scores exactly as the saved one did; finally trains again and stops midway.
// Screenshots of every part go to $PLAYGROUND_ARTIFACTS (default .artifacts/ here). Exits non-zero on any
// failure; the browser and the server are always closed.
//
//   node test.mjs          (Chromium from $CHROMIUM, default /usr/bin/chromium)
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "./serve.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const OUT = resolve(process.env.PLAYGROUND_ARTIFACTS ?? join(here, ".artifacts"));
const LIMIT_MS = 120_000;
const EPOCHS = 2;
const TRAIN = 10000;
const BATCH = 100;
const STEPS = EPOCHS * (TRAIN / BATCH);

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
class CheckError extends Error {}
function check(ok, message) {
  if (!ok) throw new CheckError(message);
}

// ---- pixel statistics (canvases are read as grey levels 0–255 from their red channel)
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
const sd = (a) => {
  const m = mean(a);
  return Math.sqrt(mean(a.map((v) => (v - m) ** 2)));
};
function correlation(a, b) {
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb || 1);
}
const meanAbsDiff = (a, b) => mean(a.map((v, i) => Math.abs(v - b[i])));
/** The 28×28 tiles of a canvas drawn by tiles.js (1-pixel gaps), as arrays of 784 grey levels. */
function tilesOf({ width, grey }, cols, n) {
  return Array.from({ length: n }, (_, k) => {
    const x0 = (k % cols) * 29;
    const y0 = Math.floor(k / cols) * 29;
    return Array.from({ length: 784 }, (_, p) => grey[(y0 + Math.floor(p / 28)) * width + x0 + (p % 28)]);
  });
}
/** Digit-like: mostly dark background, with some bright ink (an untrained model decodes uniform grey). */
const digitLike = (t) => t.filter((v) => v < 40).length > 392 && t.filter((v) => v > 128).length > 20;

const pageLog = [];
const errors = [];
const server = await startServer({ port: 0, train: TRAIN, log: (line) => pageLog.push(`server: ${line}`) });
const profile = await mkdtemp(join(tmpdir(), "playground-chromium-"));
let context;
let page;
const guard = setTimeout(() => {
  console.error(`playground test: still running after ${LIMIT_MS / 1000} s; giving up`);
  process.exitCode = 1;
  Promise.allSettled([context?.close(), server.close()]).then(() => process.exit(1));
}, LIMIT_MS);

/** A canvas's grey levels (red channel), and how many of its pixels are the loss line's blue or strongly coloured. */
async function pixels(id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const grey = new Array(d.length / 4);
    let blue = 0;
    let coloured = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      grey[i / 4] = r;
      if (b > 150 && r < 90 && g < 130) blue++;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
    }
    return { width: c.width, height: c.height, grey, blue, coloured };
  }, id);
}
const data = (selector, key) => page.locator(selector).evaluate((el, key) => el.dataset[key] ?? null, key);
/** Waits until the page is ready with model version `v` and every view has been drawn from it. */
async function settledAt(v) {
  await page.waitForFunction((v) => {
    const ok = (id) => document.getElementById(id).dataset.model === String(v);
    return document.body.dataset.state === "ready" && document.body.dataset.model === String(v) &&
      ["samples-canvas", "reconstructions-canvas", "latent-plane", "decoded"].every(ok);
  }, v);
}
async function shot(name, selector) {
  const path = join(OUT, name);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
}
/** Drags the latent point from the plane's centre to the fractions (fx, fy) of its box. */
async function dragLatent(fx, fy) {
  await page.locator("#latent-plane").scrollIntoViewIfNeeded();
  const box = await page.locator("#latent-plane").boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 8 });
  await page.mouse.up();
}
async function decodedAt(z, v) {
  await page.waitForFunction(([z, v]) => {
    const d = document.getElementById("decoded").dataset;
    return d.z === z && d.model === String(v);
  }, [z, String(v)]);
  return (await pixels("decoded")).grey;
}
/** Draws a "7" on the pad and resolves to the anomaly score the page shows for it. */
async function drawSeven(v) {
  await page.locator("#pad").scrollIntoViewIfNeeded();
  const box = await page.locator("#pad").boundingBox();
  const at = (fx, fy) => [box.x + box.width * fx, box.y + box.height * fy];
  await page.mouse.move(...at(0.28, 0.22));
  await page.mouse.down();
  await page.mouse.move(...at(0.72, 0.22), { steps: 10 });
  await page.mouse.move(...at(0.42, 0.82), { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction((v) => {
    const d = document.getElementById("score").dataset;
    return d.score !== undefined && d.pending === undefined && d.model === String(v);
  }, String(v));
  return data("#score", "score");
}

const steps = [];
async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  steps.push(name);
  console.log(`ok ${steps.length} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

let failed = false;
try {
  await mkdir(OUT, { recursive: true });
  const outputs = ["1-training", "2-samples", "3-reconstructions", "4-latent", "5-draw", "6-after-load", "failure"];
  await Promise.all([...outputs.map((f) => `${f}.png`), "model.safetensors"].map((f) => rm(join(OUT, f), { force: true })));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, acceptDownloads: true, viewport: { width: 1180, height: 900 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(45_000);
  page.on("console", (m) => {
    pageLog.push(`console.${m.type()}: ${m.text()}`);
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => {
    pageLog.push(`page error: ${e.message}`);
    errors.push(e.message);
  });
  page.on("response", (r) => {
    if (!r.ok()) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });

  let untrainedSamples;
  await step("the page loads MNIST, creates the model in the worker and draws every view", async () => {
    await page.goto(server.url);
    await settledAt(1);
    const text = await page.locator("#status").textContent();
    check(text.includes("784-256-2 VAE") && text.includes("10,000 MNIST training images"), `status says "${text}"`);
    check((await data("#loss-chart", "points")) === "0", "the loss chart has points before any training");
    untrainedSamples = tilesOf(await pixels("samples-canvas"), 8, 64);
    check(untrainedSamples.filter(digitLike).length < 8, "an untrained model's samples already look like digits");
  });

  await step(`training: ${EPOCHS} epochs draw ${STEPS} points on the loss chart and the loss falls`, async () => {
    await page.fill("#epochs", String(EPOCHS));
    await page.fill("#batch-size", String(BATCH));
    await page.click("#train");
    await page.waitForFunction(() => document.body.dataset.state === "training");
    await settledAt(2);
    const points = Number(await data("#loss-chart", "points"));
    const first = Number(await data("#loss-chart", "first"));
    const last = Number(await data("#loss-chart", "last"));
    check(points === STEPS, `the chart has ${points} points; expected one per step, ${STEPS}`);
    check(first > 400 && last < 0.6 * first, `loss ${first.toFixed(1)} at first, ${last.toFixed(1)} over the last 10 steps`);
    const line = (await pixels("loss-chart")).blue;
    check(line > 200, `the chart canvas shows ${line} pixels of the loss line`);
    const status = await page.locator("#status").textContent();
    check(status.startsWith("done") && status.includes(`${STEPS} training steps`), `status says "${status}"`);
    console.log(`   loss ${first.toFixed(1)} → ${last.toFixed(1)} nats over ${points} steps`);
    await shot("1-training.png", "#training");
  });

  await step("samples: 64 digit-like images, different from the untrained model's", async () => {
    const tiles = tilesOf(await pixels("samples-canvas"), 8, 64);
    const digits = tiles.filter(digitLike).length;
    check(digits >= 48, `${digits} of 64 samples look like digits (dark background, some bright ink)`);
    const changed = mean(tiles.map((t, i) => meanAbsDiff(t, untrainedSamples[i])));
    check(changed > 20, `samples changed by ${changed.toFixed(1)} grey levels on average after training`);
    await shot("2-samples.png", "#samples");
  });

  await step("reconstructions: 40 test digits and reconstructions that resemble them", async () => {
    const originals = tilesOf(await pixels("originals-canvas"), 10, 40);
    const recon = tilesOf(await pixels("reconstructions-canvas"), 10, 40);
    check(originals.every(digitLike), "some test digits are blank");
    check(recon.every((t) => sd(t) > 20), "some reconstructions are blank");
    const r = mean(originals.map((o, i) => correlation(o, recon[i])));
    // Pair i with i + 1 as a baseline: a reconstruction should match its own digit better than another one.
    const other = mean(originals.map((o, i) => correlation(o, recon[(i + 1) % 40])));
    check(r > 0.55 && r > other + 0.15, `mean pixel correlation with their originals ${r.toFixed(2)}, with other digits ${other.toFixed(2)}`);
    console.log(`   reconstruction–original correlation ${r.toFixed(2)} (shifted pairs: ${other.toFixed(2)})`);
    await shot("3-reconstructions.png", "#reconstructions");
  });

  let zSaved;
  let decodedSaved;
  await step("latent explorer: the test digits are plotted; dragging the point decodes a different digit", async () => {
    const { coloured } = await pixels("latent-plane");
    check(coloured > 500, `only ${coloured} coloured pixels of the test digits' scatter on the plane`);
    const atOrigin = await decodedAt("0,0", 2);
    check(sd(atOrigin) > 20, "the digit decoded at z = (0, 0) is blank");
    await dragLatent(0.7, 0.35); // z = (1.6, 1.2) on [−4, 4]²
    zSaved = "1.6,1.2";
    decodedSaved = await decodedAt(zSaved, 2);
    const readout = await page.locator("#z-readout").textContent();
    check(readout === "z = (1.60, 1.20)", `the readout says "${readout}"`);
    const diff = meanAbsDiff(atOrigin, decodedSaved);
    check(sd(decodedSaved) > 20 && diff > 10, `the decoded digit changed by ${diff.toFixed(1)} grey levels on average`);
    await shot("4-latent.png", "#latent");
  });

  let scoreSaved;
  await step("drawing: a drawn 7 gets an input, a reconstruction and a finite anomaly score; Clear resets", async () => {
    scoreSaved = await drawSeven(2);
    const score = Number(scoreSaved);
    check(Number.isFinite(score) && score > 0, `the score is ${scoreSaved}`);
    const text = await page.locator("#score").textContent();
    check(text.includes(score.toFixed(1)) && text.includes("typical test digit"), `the score reads "${text}"`);
    check(digitLike((await pixels("pad-input")).grey), "the 28×28 input of the drawing is not digit-like");
    check(sd((await pixels("pad-reconstruction")).grey) > 20, "the drawing's reconstruction is blank");
    console.log(`   anomaly score of the drawn 7: ${score.toFixed(1)} nats`);
    await shot("5-draw.png", "#draw");
    await page.click("#clear");
    check((await data("#score", "score")) === null, "the score stays after Clear");
    check(sd((await pixels("pad-input")).grey) === 0, "the input stays after Clear");
  });

  const file = join(OUT, "model.safetensors");
  let samplesSaved;
  await step("save: the download is a vaekit safetensors file of this model", async () => {
    samplesSaved = (await pixels("samples-canvas")).grey;
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
    await download.saveAs(file);
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
    const meta = header.__metadata__;
    const config = JSON.parse(meta.config);
    check(meta.format === "vaekit" && meta.model === "VAE" && config.latentSize === 2 && config.hiddenSizes[0] === 256,
      `unexpected metadata ${JSON.stringify(meta)}`);
    check(bytes.length > 8 + headerLength + 784 * 256 * 4, `the file has only ${bytes.length} bytes`);
  });

  await step("load: after a reload, a bad file is refused; the saved file decodes, samples and scores exactly as before", async () => {
    await page.reload();
    await settledAt(1);
    await dragLatent(0.7, 0.35);
    const fresh = await decodedAt(zSaved, 1);
    check(meanAbsDiff(fresh, decodedSaved) > 5, "a fresh model decodes the same digit as the trained one");
    await page.setInputFiles("#load-input", { name: "notes.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from("not a model") });
    await page.waitForFunction(() => document.getElementById("status").className === "error");
    const refused = await page.locator("#status").textContent();
    check(refused.includes("ModelFormatError"), `loading a file that is not a model says "${refused}"`);
    check((await page.evaluate(() => document.body.dataset.state)) === "ready", "the page is not ready after a bad file");
    check((await decodedAt(zSaved, 1)).every((v, i) => v === fresh[i]), "a bad file changed the model");
    await page.setInputFiles("#load-input", file);
    await settledAt(2);
    const status = await page.locator("#status").textContent();
    check(status.startsWith("loaded") && status.includes(`${STEPS} training steps`), `status says "${status}"`);
    const decoded = await decodedAt(zSaved, 2);
    check(decoded.every((v, i) => v === decodedSaved[i]), `the digit decoded at z = (${zSaved}) differs from the saved model's`);
    const samples = (await pixels("samples-canvas")).grey;
    check(samples.every((v, i) => v === samplesSaved[i]), "the samples (seed 1) differ from the saved model's");
    const score = await drawSeven(2);
    check(score === scoreSaved, `the drawn 7 scores ${score}; the saved model gave ${scoreSaved}`);
    await shot("6-after-load.png");
  });

  await step("training the loaded model: the explorer answers during training, and Stop stops it midway", async () => {
    await page.fill("#epochs", "10");
    await page.click("#train");
    await page.waitForFunction(() => Number(document.getElementById("loss-chart").dataset.points) >= 20);
    await dragLatent(0.3, 0.6); // z = (−1.6, −0.8)
    await decodedAt("-1.6,-0.8", 2);
    check((await page.evaluate(() => document.body.dataset.state)) === "training", "training ended before Stop was pressed");
    await page.click("#stop");
    await settledAt(3);
    const points = Number(await data("#loss-chart", "points"));
    const status = await page.locator("#status").textContent();
    check(status.startsWith("stopped") && points >= 20 && points < 10 * (TRAIN / BATCH), `after Stop: ${points} steps, status "${status}"`);
    check(status.includes(`${STEPS + points} training steps`), `status says "${status}", expected ${STEPS} + ${points} steps`);
  });

  check(errors.length === 0, `the page reported errors:\n${errors.join("\n")}`);
} catch (e) {
  failed = true;
  console.error(`FAILED after ${steps.length} passing steps: ${e instanceof CheckError ? e.message : e.stack}`);
  if (page) await shot("failure.png").catch(() => {});
  console.error(`--- page log ---\n${pageLog.slice(-40).join("\n")}`);
} finally {
  clearTimeout(guard);
  await context?.close().catch(() => {});
  await server.close();
  await rm(profile, { recursive: true, force: true });
}

console.log(`playground: ${steps.length} steps passed${failed ? ", then a failure" : ""} in ${seconds()} s; screenshots in ${OUT}`);
process.exitCode = failed ? 1 : 0;
