// The tabular VAE on real tables from vega-datasets (an npm package):
//
//   impute   penguins and cars (rows complete in the chosen columns), 20 % and 50 % of the cells removed at random
//            (MCAR, several seeds). vaekit's TabularVAE is trained on the holed table itself (as MIWAE is) and fills
//            the holes — posterior-mean decoding (K = 0) and the importance-weighted mean over K = 100 draws
//            (MIWAE's single imputation) — against mean/mode imputation and k-nearest-neighbour imputation (k = 5,
//            Gower-style distance over the cells both rows observe). Continuous columns: RMSE in units of each
//            column's standard deviation, averaged over columns; categorical columns: error rate.
//   anomaly  the same tables: the model is trained on 80 % of the rows; the other 20 % are scored together with
//            corrupted copies of them — two numeric fields swapped, or one numeric field moved 5 standard deviations
//            past the column's range, or a categorical field swapped with another row's — and the scores' area under
//            the ROC curve is reported (with the same AUC for a per-column baseline: the largest |z|-score of a row).
//   flights  training throughput on the 3M-row flights Parquet file streamed through fit: scanSchema's one pass
//            infers the schema, openTable (vaekit/tabular-arrow) serves the file by row groups read from disk (never
//            the whole file), fit shuffles it by seeded ranges (--shuffle-range, default 65 536 rows) for one epoch;
//            rows per second (reading, encoding and training together), row-group decodes, peak resident memory of
//            the process (sampled every 50 ms) and the engine's wasm memory.
//
// The model for impute and anomaly: latent 4, hidden 128,128 (ReLU), β = 0.5, Adam lr 1e-3, batch 32, 600 epochs —
// picked among five settings on cars with 20 % removed (seeds 1–2), so cars' figures are not fully held out; the
// flags below change each of them.
//
//   node --import tsx bench/tabular-repro.mjs [--part impute|anomaly|flights|all] [--rows 3000000] [--seeds 3]
//     [--epochs 600] [--latent 4] [--hidden 128,128] [--beta 0.5] [--lr 0.001] [--batch 32] [--tables penguins,cars]
//     [--missing 0.2,0.5] [--shuffle-range 65536] [--out dir/]
//   → bench/results/tabular.json and bench/results/tabular.md
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { mulberry32 } from "./common.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DATA = `${ROOT}node_modules/vega-datasets/data/`;
const { values: args } = parseArgs({
  options: {
    part: { type: "string", default: "all" }, rows: { type: "string", default: "3000000" }, seeds: { type: "string", default: "3" },
    epochs: { type: "string", default: "600" }, out: { type: "string", default: `${ROOT}bench/results/` },
    latent: { type: "string", default: "4" }, hidden: { type: "string", default: "128,128" }, beta: { type: "string", default: "0.5" },
    tables: { type: "string", default: "penguins,cars" }, missing: { type: "string", default: "0.2,0.5" }, lr: { type: "string", default: "0.001" },
    batch: { type: "string", default: "32" }, "shuffle-range": { type: "string", default: "65536" },
  },
});
const { TabularVAE, inferSchema } = await import("../src/tabular.ts");
const { scanSchema } = await import("../src/tabular.ts");
const { openTable, tableBatches } = await import("../src/tabular-arrow.ts");

// ---- tables ----

function penguins() {
  const raw = JSON.parse(readFileSync(`${DATA}penguins.json`, "utf8"));
  const cols = ["Species", "Island", "Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)", "Sex"];
  const rows = raw.filter((r) => cols.every((c) => r[c] !== null && r[c] !== undefined && r[c] !== "." && r[c] !== ""))
    .map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])));
  return { name: "penguins", rows, numeric: cols.slice(2, 6), categorical: ["Species", "Island", "Sex"] };
}

function cars() {
  const raw = JSON.parse(readFileSync(`${DATA}cars.json`, "utf8"));
  const num = ["Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Year"];
  const rows = raw.map((r) => ({ ...r, Year: Number(String(r.Year).slice(0, 4)) }))
    .filter((r) => [...num, "Origin"].every((c) => typeof r[c] === "number" || (c === "Origin" && typeof r[c] === "string")))
    .map((r) => Object.fromEntries([...num, "Origin"].map((c) => [c, r[c]])));
  return { name: "cars", rows, numeric: num, categorical: ["Origin"] };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2))) || 1;
};

function holes(t, frac, seed) {
  const u = mulberry32(seed);
  const cols = [...t.numeric, ...t.categorical];
  return t.rows.map((r) => {
    const o = { ...r };
    for (const c of cols) if (u() < frac) o[c] = null;
    // keep at least one observed cell per row (an empty row has nothing to impute from)
    if (cols.every((c) => o[c] === null)) {
      const c = cols[Math.floor(u() * cols.length)];
      o[c] = r[c];
    }
    return o;
  });
}

// ---- baselines ----

function meanMode(t, holed) {
  const fill = {};
  for (const c of t.numeric) fill[c] = mean(holed.map((r) => r[c]).filter((v) => v !== null));
  for (const c of t.categorical) {
    const n = new Map();
    for (const r of holed) if (r[c] !== null) n.set(r[c], (n.get(r[c]) ?? 0) + 1);
    fill[c] = [...n.entries()].sort((a, b) => b[1] - a[1])[0][0];
  }
  return holed.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? fill[k] : v])));
}

function knn(t, holed, k = 5) {
  const stats = Object.fromEntries(t.numeric.map((c) => {
    const v = holed.map((r) => r[c]).filter((x) => x !== null);
    return [c, { m: mean(v), s: sd(v) }];
  }));
  const cols = [...t.numeric, ...t.categorical];
  const dist = (a, b) => {
    let d = 0, n = 0;
    for (const c of cols) {
      if (a[c] === null || b[c] === null) continue;
      d += t.numeric.includes(c) ? Math.abs(a[c] - b[c]) / stats[c].s : a[c] === b[c] ? 0 : 1;
      n++;
    }
    return n ? d / n : Infinity;
  };
  return holed.map((r, i) => {
    const missing = cols.filter((c) => r[c] === null);
    if (!missing.length) return r;
    const ds = holed.map((o, j) => (j === i ? Infinity : dist(r, o)));
    const out = { ...r };
    for (const c of missing) {
      const donors = holed.map((o, j) => [ds[j], j]).filter(([d, j]) => holed[j][c] !== null && Number.isFinite(d))
        .sort((a, b) => a[0] - b[0]).slice(0, k).map(([, j]) => holed[j][c]);
      if (!donors.length) {
        out[c] = meanMode(t, holed)[i][c];
        continue;
      }
      if (t.numeric.includes(c)) out[c] = mean(donors);
      else {
        const n = new Map();
        for (const v of donors) n.set(v, (n.get(v) ?? 0) + 1);
        out[c] = [...n.entries()].sort((a, b) => b[1] - a[1])[0][0];
      }
    }
    return out;
  });
}

function score(t, holed, filled) {
  const nrmse = t.numeric.map((c) => {
    const s = sd(t.rows.map((r) => r[c]));
    const e = [];
    holed.forEach((r, i) => r[c] === null && e.push(((filled[i][c] - t.rows[i][c]) / s) ** 2));
    return e.length ? Math.sqrt(mean(e)) : NaN;
  });
  let wrong = 0, n = 0;
  for (const c of t.categorical) holed.forEach((r, i) => {
    if (r[c] !== null) return;
    n++;
    if (filled[i][c] !== t.rows[i][c]) wrong++;
  });
  return { rmse: mean(nrmse.filter(Number.isFinite)), error: n ? wrong / n : NaN };
}

const CONFIG = { latentSize: Number(args.latent), hiddenSizes: args.hidden.split(",").map(Number), beta: Number(args.beta), seed: 1 };
const FIT = (epochs) => ({ epochs, batchSize: Number(args.batch), learningRate: Number(args.lr), shuffleSeed: 1 });
const TABLES = () => [penguins(), cars()].filter((t) => args.tables.split(",").includes(t.name));

async function imputation(t, frac, seed, epochs) {
  const holed = holes(t, frac, seed);
  const columns = [...t.numeric.map((name) => ({ name, type: "continuous" })), ...t.categorical.map((name) => ({ name, type: "categorical",
    categories: [...new Set(t.rows.map((r) => r[name]))].sort() }))];
  const model = await TabularVAE.fromRecords(holed, { ...CONFIG, columns });
  const t0 = performance.now();
  await model.fit(holed, FIT(epochs));
  const fitSeconds = (performance.now() - t0) / 1000;
  const res = {
    "mean/mode": score(t, holed, meanMode(t, holed)),
    "kNN (k=5)": score(t, holed, knn(t, holed)),
    "vaekit K=0": score(t, holed, model.impute(holed, { samples: 0 })),
    "vaekit K=100": score(t, holed, model.impute(holed, { samples: 100, seed })),
  };
  model.dispose();
  return { table: t.name, missing: frac, seed, fitSeconds, ...res };
}

// ---- anomalies ----

function auc(scores, labels) {
  const idx = scores.map((s, i) => [s, labels[i]]).sort((a, b) => a[0] - b[0]);
  let rank = 0, sumPos = 0, pos = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j < idx.length && idx[j][0] === idx[i][0]) j++;
    const r = (i + 1 + j) / 2;
    for (let q = i; q < j; q++) if (idx[q][1]) {
      sumPos += r;
      pos++;
    }
    rank = j;
    i = j;
  }
  const neg = idx.length - pos;
  void rank;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

async function anomalies(t, seed, epochs) {
  const u = mulberry32(seed);
  const order = t.rows.map((_, i) => i).sort(() => u() - 0.5);
  const cut = Math.floor(0.8 * order.length);
  const train = order.slice(0, cut).map((i) => t.rows[i]), test = order.slice(cut).map((i) => t.rows[i]);
  const stats = Object.fromEntries(t.numeric.map((c) => {
    const v = train.map((r) => r[c]);
    return [c, { m: mean(v), s: sd(v), lo: Math.min(...v), hi: Math.max(...v) }];
  }));
  const kinds = { swap: [], range: [], category: [] };
  for (const r of test) {
    const [a, b] = [...t.numeric].sort(() => u() - 0.5);
    kinds.swap.push({ ...r, [a]: r[b], [b]: r[a] });
    const c = t.numeric[Math.floor(u() * t.numeric.length)];
    kinds.range.push({ ...r, [c]: u() < 0.5 ? stats[c].hi + 5 * stats[c].s : stats[c].lo - 5 * stats[c].s });
    const k = t.categorical[Math.floor(u() * t.categorical.length)];
    const other = test.find((o) => o[k] !== r[k]);
    kinds.category.push(other ? { ...r, [k]: other[k] } : { ...r });
  }
  const columns = [...t.numeric.map((name) => ({ name, type: "continuous" })), ...t.categorical.map((name) => ({ name, type: "categorical",
    categories: [...new Set(t.rows.map((r) => r[name]))].sort() }))];
  const model = await TabularVAE.fromRecords(train, { ...CONFIG, columns });
  await model.fit(train, FIT(epochs));
  const maxZ = (r) => Math.max(...t.numeric.map((c) => Math.abs((r[c] - stats[c].m) / stats[c].s)));
  const out = { table: t.name, seed, normal: test.length };
  for (const [kind, odd] of Object.entries(kinds)) {
    const recs = [...test, ...odd], labels = [...test.map(() => 0), ...odd.map(() => 1)];
    const { scores, columns: per } = model.anomalyScore(recs);
    // which field: for swaps and moved values, is a changed field the record's top-scored field?
    let hit = 0;
    odd.forEach((r, i) => {
      const changed = Object.keys(r).filter((c) => r[c] !== test[i][c]);
      const top = Object.keys(per).sort((a, b) => per[b][test.length + i] - per[a][test.length + i])[0];
      if (changed.includes(top)) hit++;
    });
    out[kind] = { vaekit: auc(Array.from(scores), labels), "max |z|": auc(recs.map(maxZ), labels), topFieldIsChanged: hit / odd.length };
  }
  model.dispose();
  return out;
}

// ---- flights throughput ----

async function flights(maxRows) {
  const path = `${DATA}flights-3m.parquet`;
  const fileMiB = statSync(path).size / 2 ** 20;
  const columns = ["date", "delay", "distance", "origin", "destination"];
  const map = (r) => ({ hour: new Date(r.date).getUTCHours(), delay: r.delay, distance: r.distance, origin: r.origin, destination: r.destination });
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  // one pass for the schema (types, standardisation, the airports), one row group held at a time
  let t0 = performance.now();
  const schema = await scanSchema(tableBatches(path, { columns, map, rowEnd: maxRows }),
    [{ name: "hour" }, { name: "delay" }, { name: "distance" }, { name: "origin", type: "categorical" }, { name: "destination", type: "categorical" }]);
  const scanSeconds = (performance.now() - t0) / 1000;
  const model = await TabularVAE.create({ schema, latentSize: 4, hiddenSizes: [64, 64], seed: 1 });
  const shuffleRange = Number(args["shuffle-range"]), cacheGroups = 2, batchSize = 256;
  const source = await openTable(path, model.schema, { columns, map, rowEnd: maxRows, cacheGroups });
  t0 = performance.now();
  let lastReport = t0;
  await model.fit(source, {
    epochs: 1, batchSize, learningRate: 1e-3, shuffleSeed: 1, shuffleRange, readAhead: 2,
    onBatchEnd: (b) => {
      const now = performance.now();
      if (now - lastReport > 30_000) {
        lastReport = now;
        const done = (b.batch + 1) * batchSize;
        process.stdout.write(`flights: ${done} rows, ${(done / ((now - t0) / 1000)).toFixed(0)} rows/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
      }
    },
  });
  const fitSeconds = (performance.now() - t0) / 1000;
  clearInterval(sample);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const res = {
    rows: source.rows, columns: schema.map((c) => `${c.name}:${c.type}${c.categories ? `(${c.categories.length})` : ""}`),
    encodedWidth: model.inputSize, parameters: model.parameterCount, batchSize, shuffleRange, cacheGroups, readAhead: 2,
    rowGroups: source.groupRows.length, groupsDecoded: source.stats.groupsDecoded, peakHeldRows: source.stats.peakHeldRows,
    scanSeconds, scanRowsPerSecond: source.rows / scanSeconds, fitSeconds, fitRowsPerSecond: source.rows / fitSeconds,
    peakRssMiB: peakRss / 2 ** 20, wasmMemoryMiB: model.memoryBytes / 2 ** 20, parquetMiB: fileMiB,
  };
  await source.close();
  model.dispose();
  return res;
}

// ---- run ----

const env = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg().map((v) => +v.toFixed(2)), date: new Date().toISOString() };
const outFile = `${args.out}tabular.json`;
let results = {};
try {
  results = JSON.parse(readFileSync(outFile, "utf8"));
} catch {
  results = {};
}
results.env = env;
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i + 1);
const epochs = Number(args.epochs);
if (args.part === "impute" || args.part === "all") {
  results.impute = [];
  for (const t of TABLES()) for (const frac of args.missing.split(",").map(Number)) for (const s of seeds) {
    const r = await imputation(t, frac, s, epochs);
    console.log(JSON.stringify(r));
    results.impute.push(r);
  }
  results.imputeConfig = { ...CONFIG, fit: FIT(epochs), rows: { penguins: penguins().rows.length, cars: cars().rows.length } };
}
if (args.part === "anomaly" || args.part === "all") {
  results.anomaly = [];
  for (const t of TABLES()) for (const s of seeds) {
    const r = await anomalies(t, s, epochs);
    console.log(JSON.stringify(r));
    results.anomaly.push(r);
  }
}
if (args.part === "flights" || args.part === "all") results.flights = await flights(Number(args.rows));
writeFileSync(outFile, JSON.stringify(results, null, 2) + "\n");

// ---- the markdown summary ----
const md = ["# Tabular VAE on vega-datasets (bench/tabular-repro.mjs)", "", `Machine: ${env.cpus} cores (${env.cpu}), load ${env.loadavg.join(" / ")}, Node ${env.node}, ${env.date}.`, ""];
if (results.impute) {
  md.push("## Imputation (mean over seeds; RMSE in column standard deviations, averaged over continuous columns)", "",
    "| table | missing | method | RMSE | categorical error |", "|---|---|---|---|---|");
  const groups = new Map();
  for (const r of results.impute) {
    const key = `${r.table}|${r.missing}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  for (const [key, rs] of groups) {
    const [table, missing] = key.split("|");
    for (const m of ["mean/mode", "kNN (k=5)", "vaekit K=0", "vaekit K=100"]) {
      md.push(`| ${table} | ${missing * 100} % | ${m} | ${mean(rs.map((r) => r[m].rmse)).toFixed(3)} | ${mean(rs.map((r) => r[m].error)).toFixed(3)} |`);
    }
  }
  md.push("");
}
if (results.anomaly) {
  md.push("## Anomaly detection (AUC, mean over seeds)", "", "| table | corruption | vaekit AUC | max abs z AUC | top field is a changed one |", "|---|---|---|---|---|");
  for (const t of ["penguins", "cars"]) for (const k of ["swap", "range", "category"]) {
    const rs = results.anomaly.filter((r) => r.table === t);
    if (!rs.length) continue;
    md.push(`| ${t} | ${k} | ${mean(rs.map((r) => r[k].vaekit)).toFixed(3)} | ${mean(rs.map((r) => r[k]["max |z|"])).toFixed(3)} | ${mean(rs.map((r) => r[k].topFieldIsChanged)).toFixed(2)} |`);
  }
  md.push("");
}
if (results.flights) {
  const f = results.flights;
  md.push("## Training throughput, flights-3m.parquet, streamed", "", `${f.rows} rows (${f.columns.join(", ")}; ${f.encodedWidth} encoded values a row, ${f.parameters} parameters), ` +
    `streamed through fit by openTable (vaekit/tabular-arrow: the file read by row groups from disk, never whole) for one epoch, batch ${f.batchSize}, ` +
    `shuffled by seeded ranges of ${f.shuffleRange} rows, ${f.cacheGroups} decoded row groups cached, ${f.readAhead} batches read ahead: ` +
    `**${f.fitRowsPerSecond.toFixed(0)} rows/s** of fit including reading and encoding (${f.groupsDecoded} row-group decodes for ${f.rowGroups} groups); ` +
    `schema scan (one pass) ${f.scanRowsPerSecond.toFixed(0)} rows/s; peak RSS ${f.peakRssMiB.toFixed(0)} MiB for the ${f.parquetMiB.toFixed(1)} MiB file ` +
    `(at most ${f.peakHeldRows} decoded rows held), wasm memory ${f.wasmMemoryMiB.toFixed(1)} MiB.`, "");
}
writeFileSync(`${args.out}tabular.md`, md.join("\n"));
console.log(md.join("\n"));
