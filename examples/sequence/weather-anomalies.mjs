// Anomaly detection on a real time series: Seattle's daily weather 2012–2015 (vega-datasets' seattle-weather.csv,
// the data set of the Vega-Lite gallery — 1,461 days of max/min temperature, precipitation and wind, recorded by
// NOAA). vega-datasets is a well-kept npm data package (BSD-3-Clause) that many users already know from its charts;
// its daily weather is a real multivariate sensor series, short enough to train on in seconds.
//
// A VRNN (GRU, Gaussian likelihood with a learned σ per feature) learns what 14-day stretches of 2012–2014 look like;
// every day of 2015 is then scored by the model's −ELBO term for that day given the 13 days before it
// (reconstruction + KL, nats: high = unexpected). Writes weather-anomalies.png (the temperature curve and the score
// per day) and prints the five most unusual days with their weather.
//
//   node examples/sequence/weather-anomalies.mjs [--epochs 30] [--out .]
// (uses the package's vaekit/sequence entry; inside the repository before it is built, run it with
//  `node --import tsx examples/sequence/weather-anomalies.mjs`, which takes src/sequence.ts instead)
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({ options: { epochs: { type: "string", default: "30" }, out: { type: "string", default: "." } } });
const load = async (entry, src) => import(entry).catch(() => import(new URL(src, import.meta.url).href));
const { VRNN, sequences } = await load("vaekit/sequence", "../../src/sequence.ts");
const { lineChart, encodePng } = await load("vaekit/pictures", "../../src/pictures.ts");

// ---- the data: one row per day
const require = createRequire(import.meta.url);
// the package exports only its JS index (build/index.js); the data files sit in data/ beside build/
const csv = await readFile(join(require.resolve("vega-datasets"), "..", "..", "data", "seattle-weather.csv"), "utf8");
const rows = csv.trim().split("\n").slice(1).map((l) => {
  const [date, precipitation, tmax, tmin, wind, weather] = l.split(",");
  return { date, precipitation: +precipitation, tmax: +tmax, tmin: +tmin, wind: +wind, weather };
});
const features = (r) => [r.tmax, r.tmin, Math.log1p(r.precipitation), r.wind];
const D = 4, W = 14;
const trainDays = rows.filter((r) => r.date < "2015-01-01").length;
// standardise with the training years' mean and deviation
const mean = new Array(D).fill(0), sd = new Array(D).fill(0);
for (const r of rows.slice(0, trainDays)) features(r).forEach((v, d) => (mean[d] += v / trainDays));
for (const r of rows.slice(0, trainDays)) features(r).forEach((v, d) => (sd[d] += (v - mean[d]) ** 2 / trainDays));
const z = rows.map((r) => features(r).map((v, d) => (v - mean[d]) / Math.sqrt(sd[d])));
/** Windows of W days ending at days [from, to). */
const windows = (from, to) => {
  const v = new Float32Array((to - from) * W * D);
  for (let e = from; e < to; e++) for (let t = 0; t < W; t++) v.set(z[e - W + 1 + t], ((e - from) * W + t) * D);
  return sequences(v, { steps: W, size: D });
};
const train = windows(W - 1, trainDays), test = windows(trainDays, rows.length);

// ---- the model
const vrnn = await VRNN.create({ inputSize: D, hiddenSize: 32, latentSize: 4, phiX: [32], phiZ: [16], priorSizes: [32],
  encoderSizes: [32], decoderSizes: [32], likelihood: "gaussian", likelihoodScale: "learned", seed: 1 });
await vrnn.fit(train, { epochs: Number(args.epochs), batchSize: 64, learningRate: 2e-3, clipNorm: 10, shuffleSeed: 1, validationData: test,
  onEpochEnd: (e) => e.epoch % 5 === 0 && console.log(`epoch ${e.epoch}: −ELBO per window ${e.loss.toFixed(1)} (2015: ${e.validation.loss.toFixed(1)})`) });

// ---- score every day of 2015: the last step of the window that ends on it, averaged over 20 draws of z
const { perStep } = vrnn.anomalyScore(test, { samples: 20, seed: 1 });
const score = Array.from({ length: test.n }, (_, i) => perStep[i * W + W - 1]);
const days = rows.slice(trainDays);
const top = score.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0]).slice(0, 5);
console.log("\nthe five most unusual days of 2015 (score in nats; a typical day scores about " +
  `${[...score].sort((a, b) => a - b)[score.length >> 1].toFixed(1)}):`);
for (const [s, i] of top) {
  const r = days[i];
  console.log(`  ${r.date}  ${s.toFixed(1)}  max ${r.tmax} °C, min ${r.tmin} °C, ${r.precipitation} mm, wind ${r.wind} m/s (${r.weather})`);
}

// ---- the picture: temperature and score per day
const chart = lineChart([
  { values: days.map((r) => r.tmax), name: "max temperature (C)" },
  { values: score, name: "anomaly score, nats", dash: true },
], { width: 900, height: 320, xStart: 1, xTitle: "day of 2015", title: "Seattle 2015: VRNN anomaly score per day" });
await writeFile(join(args.out, "weather-anomalies.png"), await encodePng(chart));
console.log(`\nwrote ${join(args.out, "weather-anomalies.png")}`);
vrnn.dispose();
