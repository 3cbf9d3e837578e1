// The page: wires the controls to the model worker and draws what it answers. Nothing here computes with the
// model; the main thread only draws, so it stays responsive while the worker trains.
//
// State for anyone watching (the test, a curious reader): <body data-state="loading|ready|training|error">,
// <body data-model="n"> counts the model's settled versions (created, trained, loaded), and every view sets
// data-model to the version it was drawn from.
import { LossChart } from "./chart.js";
import { ModelClient } from "./client.js";
import { COLORS, LatentPlane } from "./latent.js";
import { DrawingPad } from "./pad.js";
import { drawTiles } from "./tiles.js";

const $ = (id) => document.getElementById(id);
const body = document.body;
let version = 0;
let sampleSeed = 1;
let drawing = null; // the pad's current 28×28 input

function status(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

function fail(e) {
  console.error(e);
  status(e.message, "error");
}

function setState(state) {
  body.dataset.state = state;
  const training = state === "training";
  $("train").disabled = state !== "ready";
  $("stop").disabled = !training;
  $("save").disabled = state !== "ready";
  $("load-input").disabled = state === "loading";
}

function describe(info) {
  const c = info.config;
  return `${c.inputSize}-${c.hiddenSizes.join("-")}-${c.latentSize} VAE, ${info.parameters.toLocaleString("en")} parameters, ${info.steps} training steps`;
}

const chart = new LossChart($("loss-chart"));
const model = new ModelClient((b) => {
  chart.add(b.step, b.loss);
  $("progress").textContent = `epoch ${b.epoch}/${b.epochs}, batch ${b.batch + 1}/${b.batches}: loss ${b.loss.toFixed(1)} (reconstruction ${b.reconstruction.toFixed(1)} + KL ${b.kl.toFixed(1)})`;
});

// ---- views; each redraws from the current weights, tagged with the version it was asked for
async function showSamples(v = version) {
  drawTiles($("samples-canvas"), await model.request("sample", { n: 64, seed: sampleSeed }), 8);
  $("samples-canvas").dataset.model = v;
  $("samples-canvas").dataset.seed = sampleSeed;
}

async function showReconstructions(v = version) {
  const { originals, reconstructions } = await model.request("reconstruct", { n: 40 });
  drawTiles($("originals-canvas"), originals, 10);
  drawTiles($("reconstructions-canvas"), reconstructions, 10);
  $("reconstructions-canvas").dataset.model = v;
}

async function showLatentMap(v = version) {
  const { means, labels } = await model.request("latentMap", { n: 1000 });
  plane.setPoints(means, labels);
  $("latent-plane").dataset.model = v;
}

// The explorer decodes one z at a time; moves made meanwhile collapse into the latest.
let decoding = false;
let wanted = null;
async function decodeLatest() {
  if (decoding) return;
  decoding = true;
  try {
    while (wanted) {
      const { z, v } = wanted;
      wanted = null;
      drawTiles($("decoded"), await model.request("decode", { z }), 1, 0);
      Object.assign($("decoded").dataset, { z: z.join(","), model: v });
      $("z-readout").textContent = `z = (${z[0].toFixed(2)}, ${z[1].toFixed(2)})`;
    }
  } catch (e) {
    fail(e);
  } finally {
    decoding = false;
  }
}
const plane = new LatentPlane($("latent-plane"), {
  range: 4,
  onMove: (z) => {
    wanted = { z, v: version };
    decodeLatest();
  },
});

let scoring = false;
let scoreAgain = false;
async function showScore() {
  if (scoring) return void (scoreAgain = true);
  scoring = true;
  $("score").dataset.pending = "1";
  try {
    do {
      scoreAgain = false;
      const x = drawing;
      const v = version;
      const out = $("score");
      if (!x) {
        for (const id of ["pad-input", "pad-reconstruction"]) drawTiles($(id), new Float32Array(784), 1, 0);
        out.textContent = "Draw a digit on the black square.";
        delete out.dataset.score;
        continue;
      }
      drawTiles($("pad-input"), x, 1, 0);
      const { score, typical, reconstruction } = await model.request("score", { pixels: x.slice() });
      drawTiles($("pad-reconstruction"), reconstruction, 1, 0);
      out.innerHTML = `Anomaly score (−ELBO): <strong>${score.toFixed(1)}</strong> nats<br><span class="note">a typical test digit: ${typical.toFixed(1)}; higher means less like the training digits</span>`;
      Object.assign(out.dataset, { score, model: v });
    } while (scoreAgain);
  } catch (e) {
    fail(e);
  } finally {
    scoring = false;
    delete $("score").dataset.pending;
  }
}
const pad = new DrawingPad($("pad"), {
  onChange: (x) => {
    drawing = x;
    if (body.dataset.state !== "loading") showScore();
  },
});

/** A new settled model: every view redrawn from it. */
async function settled() {
  const v = ++version;
  await Promise.all([showSamples(v), showReconstructions(v), showLatentMap(v), showScore()]);
  wanted = { z: plane.z, v };
  await decodeLatest();
  body.dataset.model = v;
}

// ---- controls
$("train").addEventListener("click", async () => {
  const epochs = Number($("epochs").value);
  const batchSize = Number($("batch-size").value);
  const learningRate = Number($("learning-rate").value);
  setState("training");
  status("training…");
  // Live views while training: the worker answers between batches.
  let refreshing = false;
  const live = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    wanted = { z: plane.z, v: version };
    Promise.all([showSamples(), showReconstructions(), showLatentMap(), decodeLatest()])
      .catch(fail)
      .finally(() => (refreshing = false));
  }, 1500);
  try {
    const info = await model.request("train", { epochs, batchSize, learningRate });
    const rate = Math.round(info.images / info.seconds).toLocaleString("en");
    status(`${info.stopped ? "stopped" : "done"} after ${info.seconds.toFixed(1)} s (about ${rate} images/s): ${describe(info)}`);
  } catch (e) {
    fail(e);
  } finally {
    clearInterval(live);
    setState("ready");
  }
  await settled().catch(fail);
});

$("stop").addEventListener("click", () => model.request("stop").catch(fail));

$("resample").addEventListener("click", () => {
  sampleSeed++;
  showSamples().catch(fail);
});

$("clear").addEventListener("click", () => pad.clear());

$("save").addEventListener("click", async () => {
  try {
    const bytes = await model.request("save");
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const a = Object.assign(document.createElement("a"), { href: url, download: "vaekit-playground.safetensors" });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status(`saved ${bytes.length.toLocaleString("en")} bytes (safetensors)`);
  } catch (e) {
    fail(e);
  }
});

$("load-input").addEventListener("change", async (e) => {
  const file = e.target.files?.[0];
  e.target.value = "";
  if (!file) return;
  const before = body.dataset.state;
  setState("loading");
  status(`loading ${file.name}…`);
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const info = await model.request("load", { bytes }, [bytes.buffer]);
    chart.reset();
    $("progress").textContent = "";
    status(`loaded ${file.name}: ${describe(info)}`);
    setState("ready");
    await settled();
  } catch (err) {
    // A file that is not a playground model: say why; the model stays as it was.
    setState(before === "training" ? "ready" : before);
    status(err.message, "error");
  }
});

$("legend").append(...COLORS.map((color, digit) => {
  const item = document.createElement("span");
  item.innerHTML = `<i style="background:${color}"></i>${digit}`;
  return item;
}));

// ---- start
setState("loading");
try {
  const info = await model.request("init");
  status(`ready: ${describe(info)}, ${info.train.toLocaleString("en")} MNIST training images`);
  setState("ready");
  await settled();
} catch (e) {
  setState("error");
  fail(e);
}
