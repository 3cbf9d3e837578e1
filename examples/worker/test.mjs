// End-to-end test of the worker under workerd: starts `workerd serve config.capnp` on a free port of 127.0.0.1,
// sends every endpoint valid and invalid requests, checks status codes, JSON shapes and values (the worker's
// answers must equal what vaekit computes here in Node for the same model, bit for bit), then stops workerd,
// also when a check fails. Exits non-zero on any failure.
//
//   node test.mjs            (workerd from node_modules/.bin, or the path in $WORKERD)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { VAE } from "vaekit";
import { TabularVAE } from "vaekit/tabular";
import { PIXELS, blobs, random } from "./data.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const workerdBin = process.env.WORKERD ?? fileURLToPath(new URL("./node_modules/.bin/workerd", import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts workerd and resolves once GET / answers; rejects with workerd's output if it exits or takes too long. */
async function startWorkerd(port) {
  const child = spawn(workerdBin, ["serve", "config.capnp", "--socket-addr", `http=127.0.0.1:${port}`], {
    cwd: here, stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.once("error", (e) => (exited = { error: e.message }));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`workerd exited before serving (${JSON.stringify(exited)}):\n${output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if (res.ok) return { child, output: () => output };
      throw new Error(`GET / answered ${res.status}: ${await res.text()}\n${output}`);
    } catch (e) {
      if (e.message.startsWith("GET /")) {
        child.kill("SIGTERM");
        throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill("SIGTERM");
  throw new Error(`workerd did not answer on 127.0.0.1:${port} within 20 s:\n${output}`);
}

function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const rowsOf = (values, cols) => Array.from({ length: values.length / cols }, (_, i) => Array.from(values.subarray(i * cols, (i + 1) * cols)));

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`  ok    ${name}`);
  } catch (e) {
    failed++;
    console.log(`  FAIL  ${name}\n        ${String(e.message).split("\n").join("\n        ")}`);
  }
}

async function call(method, path, body) {
  const init = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(base + path, init);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, `${method} ${path}: content-type`);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** A request that must fail with `status` and an error message matching `pattern`. */
async function rejects(method, path, body, status, pattern) {
  const res = await call(method, path, body);
  assert.equal(res.status, status, `${method} ${path}: status ${res.status}, body ${JSON.stringify(res.body).slice(0, 300)}`);
  assert.deepEqual(Object.keys(res.body), ["error"]);
  assert.equal(typeof res.body.error, "string");
  assert.match(res.body.error, pattern);
  return res;
}

// The reference: the same model files, run by vaekit in this Node process.
const local = await VAE.load(await readFile(new URL("./model.safetensors", import.meta.url)));
const localConv = await VAE.load(await readFile(new URL("./conv.safetensors", import.meta.url)));
const train = blobs(2000, 1);
const trainRows = rowsOf(train.subarray(0, 5 * PIXELS), PIXELS);
const noiseRows = rowsOf(new Float32Array(5 * PIXELS).map(random(99)), PIXELS);
const valid = rowsOf(train.subarray(0, PIXELS), PIXELS)[0];

const localTabular = await TabularVAE.load(await readFile(new URL("./tabular.safetensors", import.meta.url)));
const penguins = [
  { Species: "Adelie", Island: "Torgersen", "Beak Length (mm)": 39.1, "Beak Depth (mm)": 18.7, "Flipper Length (mm)": 181, "Body Mass (g)": 3750, Sex: "MALE" },
  { Species: "Gentoo", Island: "Biscoe", "Beak Length (mm)": null, "Beak Depth (mm)": 15, "Flipper Length (mm)": 220, "Body Mass (g)": null, Sex: null },
  { Species: "Adelie", Island: "Torgersen", "Beak Length (mm)": 39.1, "Beak Depth (mm)": 18.7, "Flipper Length (mm)": 181, "Body Mass (g)": 9000, Sex: "MALE" },
];

const { child, output } = await startWorkerd(port);
console.log(`workerd serving on ${base}`);
try {
  await check("GET / describes the model", async () => {
    const res = await call("GET", "/");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.model, { inputSize: PIXELS, latentSize: 2, likelihood: "bernoulli" });
  });

  await check("POST /encode: mean and logvar per row, equal to vaekit in Node bit for bit", async () => {
    const res = await call("POST", "/encode", { x: trainRows });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ["logvar", "mean"]);
    const want = local.encode(trainRows);
    assert.deepEqual(res.body.mean, rowsOf(want.mean, 2));
    assert.deepEqual(res.body.logvar, rowsOf(want.logVar, 2));
    assert.ok(res.body.logvar.flat().every((v) => v < 0), "a trained posterior is narrower than the prior");
  });

  await check("POST /score: −ELBO per row, training rows far below noise, equal to Node's estimate", async () => {
    const res = await call("POST", "/score", { x: [...trainRows, ...noiseRows] });
    assert.equal(res.status, 200);
    const { score } = res.body;
    assert.equal(score.length, 10);
    const blob = score.slice(0, 5);
    const noise = score.slice(5);
    assert.ok(Math.max(...blob) * 5 < Math.min(...noise), `blob scores ${blob} vs noise ${noise}`);
    assert.ok(blob.every((s) => s > 0 && s < 60), `blob scores ${blob} (training −ELBO is about 27 nats)`);
    const want = Array.from(local.anomalyScore([...trainRows, ...noiseRows], { samples: 4, seed: 0 }));
    assert.deepEqual(score, want);
    const again = await call("POST", "/score", { x: [...trainRows, ...noiseRows] });
    assert.deepEqual(again.body.score, score, "the same rows score the same");
  });

  await check("GET /sample: same seed same samples, other seed other samples, equal to Node's", async () => {
    const a = await call("GET", "/sample?n=4&seed=7");
    const b = await call("GET", "/sample?n=4&seed=7");
    const c = await call("GET", "/sample?n=4&seed=8");
    for (const r of [a, b, c]) assert.equal(r.status, 200);
    assert.equal(a.body.seed, 7);
    assert.equal(a.body.samples.length, 4);
    assert.ok(a.body.samples.every((row) => row.length === PIXELS && row.every((v) => v >= 0 && v <= 1)));
    assert.deepEqual(b.body.samples, a.body.samples);
    assert.notDeepEqual(c.body.samples, a.body.samples);
    assert.deepEqual(a.body.samples, rowsOf(local.sample(4, { seed: 7 }), PIXELS));
  });

  await check("GET /sample without seed: a random seed, returned so the draw can be repeated", async () => {
    const a = await call("GET", "/sample?n=2");
    assert.equal(a.status, 200);
    assert.ok(Number.isInteger(a.body.seed) && a.body.seed >= 0 && a.body.seed < 2 ** 32);
    const b = await call("GET", `/sample?n=2&seed=${a.body.seed}`);
    assert.deepEqual(b.body.samples, a.body.samples);
  });

  await check("GET /sample?n=256 (the largest n) works", async () => {
    const res = await call("GET", "/sample?n=256&seed=1");
    assert.equal(res.status, 200);
    assert.equal(res.body.samples.length, 256);
  });

  await check("GET /conv describes the conv model: its image shape and layers", async () => {
    const res = await call("GET", "/conv");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.model, {
      inputSize: PIXELS, latentSize: 2, likelihood: "bernoulli", inputShape: [12, 12, 1], encoder: ["conv2d", "conv2d", "flatten"],
    });
    assert.deepEqual(res.body.endpoints, ["POST /conv/encode", "POST /conv/score", "GET /conv/sample?n=&seed="]);
  });

  await check("POST /conv/encode and /conv/score: the conv VAE's answers equal vaekit in Node bit for bit", async () => {
    const enc = await call("POST", "/conv/encode", { x: trainRows });
    assert.equal(enc.status, 200);
    const want = localConv.encode(trainRows);
    assert.deepEqual(enc.body.mean, rowsOf(want.mean, 2));
    assert.deepEqual(enc.body.logvar, rowsOf(want.logVar, 2));
    const res = await call("POST", "/conv/score", { x: [...trainRows, ...noiseRows] });
    assert.equal(res.status, 200);
    const { score } = res.body;
    assert.deepEqual(score, Array.from(localConv.anomalyScore([...trainRows, ...noiseRows], { samples: 4, seed: 0 })));
    assert.ok(Math.max(...score.slice(0, 5)) * 3 < Math.min(...score.slice(5)), `blob scores ${score.slice(0, 5)} vs noise ${score.slice(5)}`);
  });

  await check("GET /conv/sample: seeded samples equal Node's; a bad row to /conv/encode is a 400", async () => {
    const a = await call("GET", "/conv/sample?n=3&seed=7");
    assert.equal(a.status, 200);
    assert.deepEqual(a.body.samples, rowsOf(localConv.sample(3, { seed: 7 }), PIXELS));
    await rejects("POST", "/conv/encode", { x: [valid.slice(1)] }, 400, /x\[0\] has 143 values; this model's rows have 144/);
    await rejects("GET", "/conv/encode", undefined, 405, /GET is not allowed on \/conv\/encode; expected POST/);
  });

  const badRow = (at, value) => {
    const row = [...valid];
    row[at] = value;
    return row;
  };
  const errors = [
    ["bad JSON", "POST", "/encode", '{"x": [[0.1, 0.2', 400, /not valid JSON.*expected a JSON body \{"x": \[\[144 numbers\]/],
    ["NaN is not JSON", "POST", "/score", `{"x": [[${valid.slice(1).join(",")},NaN]]}`, 400, /not valid JSON/],
    ["no x field", "POST", "/encode", { rows: [valid] }, 400, /no "x" field/],
    ["a bare array", "POST", "/score", [valid], 400, /no "x" field/],
    ["empty x", "POST", "/encode", { x: [] }, 400, /"x" is an array of length 0.*1 to 256 rows/],
    ["x not an array", "POST", "/encode", { x: "0.1,0.2" }, 400, /"x" is "0.1,0.2"/],
    ["a flat row instead of rows", "POST", "/encode", { x: valid }, 400, /x\[0\] is 0.*expected an array of 144 numbers/],
    ["short row", "POST", "/encode", { x: [valid, valid.slice(1)] }, 400, /x\[1\] has 143 values; this model's rows have 144/],
    ["long row", "POST", "/score", { x: [[...valid, 0]] }, 400, /x\[0\] has 145 values/],
    ["a string value", "POST", "/encode", { x: [badRow(5, "0.5")] }, 400, /x\[0\]\[5\] is "0.5"; expected a finite number/],
    ["null (JSON.stringify of NaN)", "POST", "/score", { x: [valid, badRow(3, NaN)] }, 400, /x\[1\]\[3\] is null.*NaN and Infinity/],
    ["1e999 (Infinity)", "POST", "/encode", `{"x": [[1e999${",0".repeat(PIXELS - 1)}]]}`, 400, /x\[0\]\[0\] is Infinity; expected a finite number/],
    ["too many rows", "POST", "/encode", { x: Array(257).fill(valid) }, 413, /257 rows; at most 256/],
    ["value outside [0, 1] for the Bernoulli model", "POST", "/score", { x: [badRow(7, 2)] }, 400, /\[0, 1\]/],
    ["n missing", "GET", "/sample", undefined, 400, /"n" is missing; expected an integer from 1 to 256/],
    ["n = 0", "GET", "/sample?n=0", undefined, 400, /"n" is "0"; expected an integer from 1 to 256/],
    ["n = 257", "GET", "/sample?n=257", undefined, 400, /"n" is "257"/],
    ["n not a number", "GET", "/sample?n=four", undefined, 400, /"n" is "four"/],
    ["seed not an integer", "GET", "/sample?n=2&seed=1.5", undefined, 400, /"seed" is "1.5"; expected an integer from 0 to 4294967295/],
    ["negative seed", "GET", "/sample?n=2&seed=-1", undefined, 400, /"seed" is "-1"/],
    ["seed = 2^32", "GET", "/sample?n=2&seed=4294967296", undefined, 400, /"seed" is "4294967296"/],
    ["GET /encode", "GET", "/encode", undefined, 405, /GET is not allowed on \/encode; expected POST/],
    ["POST /sample", "POST", "/sample?n=2", "{}", 405, /POST is not allowed on \/sample; expected GET/],
    ["unknown path", "GET", "/decode", undefined, 404, /no endpoint \/decode; expected one of POST \/encode, POST \/score, GET \/sample.*under \/conv/],
  ];
  for (const [name, method, path, body, status, pattern] of errors) {
    await check(`${status} for ${name}`, () => rejects(method, path, body, status, pattern));
  }

  // ---- the tabular routes (tabular.js over vaekit/tabular): raw JSON records ----
  await check("GET /tabular lists the columns with their learned preprocessing", async () => {
    const res = await call("GET", "/tabular");
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.columns, localTabular.schema);
  });

  await check("POST /tabular/score: scores, per-field shares and imputations equal to Node's, the odd record highest", async () => {
    const res = await call("POST", "/tabular/score", { records: penguins });
    assert.equal(res.status, 200);
    const want = localTabular.anomalyScore(penguins);
    assert.deepEqual(res.body.scores, Array.from(want.scores));
    res.body.fields.forEach((f, i) => {
      for (const [name, v] of Object.entries(want.columns)) assert.equal(f[name], Number.isNaN(v[i]) ? null : v[i], `record ${i} field ${name}`);
    });
    assert.equal(res.body.fields[1]["Body Mass (g)"], null, "a missing field has no share");
    assert.ok(res.body.scores[2] > res.body.scores[0] + 5, `a 9 kg Adelie scores ${res.body.scores[2]} vs ${res.body.scores[0]}`);
    const odd = Object.entries(res.body.fields[2]).sort((a, b) => b[1] - a[1])[0][0];
    assert.equal(odd, "Body Mass (g)");
    assert.deepEqual(res.body.imputed, localTabular.impute(penguins));
  });

  await check("POST /tabular/impute: missing fields filled as Node fills them, observed ones kept", async () => {
    const res = await call("POST", "/tabular/impute", { records: penguins.slice(1, 2), samples: 20 });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.records, localTabular.impute(penguins.slice(1, 2), { samples: 20, seed: 0 }));
    assert.equal(res.body.records[0]["Beak Depth (mm)"], 15);
    assert.equal(typeof res.body.records[0]["Body Mass (g)"], "number");
  });

  const tabularErrors = [
    ["an unknown category", { records: [{ ...penguins[0], Species: "Emperor" }] }, 400, /record 0, field "Species": string "Emperor" — expected one of the categories/],
    ["a string in a numeric field", { records: [penguins[0], { ...penguins[0], "Body Mass (g)": "heavy" }] }, 400, /record 1, field "Body Mass \(g\)": string "heavy" — expected a finite number/],
    ["no records", { records: [] }, 400, /no non-empty "records"/],
    ["too many records", { records: Array(300).fill(penguins[0]) }, 413, /at most 256/],
  ];
  for (const [name, body, status, pattern] of tabularErrors) {
    await check(`${status} for /tabular/score with ${name}`, () => rejects("POST", "/tabular/score", body, status, pattern));
  }
  await check("400 for /tabular/impute with samples out of range", () => rejects("POST", "/tabular/impute", { records: penguins, samples: -1 }, 400, /"samples" is -1/));

  await check("405 answers say which method is allowed", async () => {
    const res = await rejects("DELETE", "/score", undefined, 405, /expected POST/);
    assert.equal(res.headers.get("allow"), "POST");
  });

  await check("after the bad requests the worker answers as before", async () => {
    const res = await call("POST", "/encode", { x: trainRows });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.mean, rowsOf(local.encode(trainRows).mean, 2));
  });
} finally {
  await stop(child);
  local.dispose();
  localConv.dispose();
  localTabular.dispose();
}
if (failed > 0 && process.env.VERBOSE !== "0") console.log(`workerd output:\n${output()}`);
console.log(`worker under workerd: ${passed} passed, ${failed} failed`);
if (failed > 0 || passed === 0) process.exitCode = 1;
