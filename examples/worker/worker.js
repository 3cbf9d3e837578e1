// A Cloudflare Worker that serves a trained VAE as JSON:
//   POST /encode   {"x": [[...], ...]}  → {"mean": [[...]], "logvar": [[...]]}   the posterior q(z|x) per row
//   POST /score    {"x": [[...], ...]}  → {"score": [...]}   anomaly score per row = −ELBO in nats (higher = stranger)
//   GET  /sample?n=4&seed=7            → {"seed": 7, "samples": [[...]]}   n decoded draws z ~ N(0, I)
//   GET  /                             → the model's sizes and these endpoints
//   /conv/encode, /conv/score, /conv/sample, GET /conv → the same over a convolutional VAE (conv.safetensors)
//   POST /tabular/score, POST /tabular/impute, GET /tabular → raw JSON records: scores, per-field shares,
//                                        imputations (tabular.js)
// Bad requests get a 4xx status and {"error": "<what was wrong and what was expected>"}.
import { VAE, InvalidInputError } from "vaekit"; // vaekit's workerd build imports its kernels as a wasm module
import modelFile from "./model.safetensors";
import convFile from "./conv.safetensors"; // a conv VAE (layer lists) on the same 12×12 images
// the tabular endpoints (tabular.js): a TabularVAE on raw JSON records, from vaekit/tabular — the same vaekit as above
import { TabularVAE } from "vaekit/tabular";
import tabularFile from "./tabular.safetensors";
import { tabularRoutes } from "./tabular.js";

const MAX_ROWS = 256; // rows per /encode or /score request, and the largest n for /sample
const MAX_BODY_BYTES = 4 << 20;
const SCORE_SAMPLES = 4; // z samples averaged per −ELBO estimate (fixed seeds: the same row always scores the same)

// Loaded once per isolate, on the first request that needs it; a failed load is retried by the next request.
function loader(file, Model = VAE) {
  let loading;
  return () => {
    loading ??= Model.load(file).catch((e) => {
      loading = undefined;
      throw e;
    });
    return loading;
  };
}
const model = loader(modelFile);
const convModel = loader(convFile);

class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

function json(body, status = 200, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** Rows of a Float32Array [n × cols] as arrays of numbers. */
function rows(values, cols) {
  const out = [];
  for (let i = 0; i < values.length; i += cols) out.push(Array.from(values.subarray(i, i + cols)));
  return out;
}

/** Reads {"x": [[...], ...]} and returns the rows as one Float32Array, or throws a 400/413 saying what is wrong. */
async function readRows(request, inputSize) {
  const expected = `expected a JSON body {"x": [[${inputSize} numbers], ...]} with 1 to ${MAX_ROWS} rows`;
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the body has ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw new HttpError(413, `the body has ${text.length} characters; at most ${MAX_BODY_BYTES} are accepted`);
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not valid JSON (${e.message}); ${expected}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body) || !("x" in body)) {
    throw new HttpError(400, `the body has no "x" field; ${expected}`);
  }
  const x = body.x;
  if (!Array.isArray(x) || x.length === 0) throw new HttpError(400, `"x" is ${describe(x)}; ${expected}`);
  if (x.length > MAX_ROWS) throw new HttpError(413, `"x" has ${x.length} rows; at most ${MAX_ROWS} per request`);
  const values = new Float32Array(x.length * inputSize);
  for (let r = 0; r < x.length; r++) {
    const row = x[r];
    if (!Array.isArray(row)) throw new HttpError(400, `x[${r}] is ${describe(row)}; expected an array of ${inputSize} numbers`);
    if (row.length !== inputSize) {
      throw new HttpError(400, `x[${r}] has ${row.length} values; this model's rows have ${inputSize}`);
    }
    for (let c = 0; c < inputSize; c++) {
      const v = row[c];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        const hint = v === null ? " (JSON.stringify writes NaN and Infinity as null)" : "";
        throw new HttpError(400, `x[${r}][${c}] is ${describe(v)}; expected a finite number${hint}`);
      }
      values[r * inputSize + c] = v;
    }
  }
  return values;
}

function describe(v) {
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === "number") return String(v); // Infinity from a literal such as 1e999
  if (v === undefined) return "missing";
  return JSON.stringify(v);
}

/** An integer query parameter in [min, max]; `fallback` when absent (undefined fallback = required). */
function integerParam(url, name, min, max, fallback) {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "") {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `the query parameter "${name}" is missing; expected an integer from ${min} to ${max}`);
  }
  const v = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new HttpError(400, `the query parameter "${name}" is ${JSON.stringify(raw)}; expected an integer from ${min} to ${max}`);
  }
  return v;
}

/** The VAE endpoints under `prefix` over the model `model()` resolves to (an MLP or a conv VAE alike). */
function vaeRoutes(prefix, model) {
  return {
    [prefix || "/"]: {
      GET: async () => {
        const { config } = await model();
        return json({
          model: {
            inputSize: config.inputSize, latentSize: config.latentSize, likelihood: config.likelihood,
            ...(config.inputShape ? { inputShape: config.inputShape, encoder: config.encoder.map((l) => l.type) } : {}),
          },
          endpoints: [`POST ${prefix}/encode`, `POST ${prefix}/score`, `GET ${prefix}/sample?n=&seed=`],
          maxRows: MAX_ROWS,
        });
      },
    },
    [`${prefix}/encode`]: {
      POST: async (request) => {
        const vae = await model();
        const { inputSize, latentSize } = vae.config;
        const { mean, logVar } = vae.encode(await readRows(request, inputSize));
        return json({ mean: rows(mean, latentSize), logvar: rows(logVar, latentSize) });
      },
    },
    [`${prefix}/score`]: {
      POST: async (request) => {
        const vae = await model();
        const { inputSize } = vae.config;
        const x = await readRows(request, inputSize);
        // −ELBO per row, averaged over SCORE_SAMPLES draws of z with a fixed seed: a row always gets the same score.
        const score = Array.from(vae.anomalyScore(x, { samples: SCORE_SAMPLES, seed: 0 }));
        return json({ score });
      },
    },
    [`${prefix}/sample`]: {
      GET: async (request) => {
        const url = new URL(request.url);
        const n = integerParam(url, "n", 1, MAX_ROWS);
        const seed = integerParam(url, "seed", 0, 2 ** 32 - 1, crypto.getRandomValues(new Uint32Array(1))[0]);
        const vae = await model();
        return json({ seed, samples: rows(vae.sample(n, { seed }), vae.config.inputSize) });
      },
    },
  };
}

const routes = { ...vaeRoutes("", model), ...vaeRoutes("/conv", convModel) };

Object.assign(routes, tabularRoutes(loader(tabularFile, TabularVAE), { HttpError, json, InvalidInputError, maxBodyBytes: MAX_BODY_BYTES }));

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    const route = routes[pathname];
    try {
      if (!route) {
        throw new HttpError(404, `no endpoint ${pathname}; expected one of POST /encode, POST /score, GET /sample?n=&seed= (and the same under /conv), GET /tabular, POST /tabular/score, POST /tabular/impute`);
      }
      const handler = route[request.method];
      if (!handler) {
        const allowed = Object.keys(route).join(", ");
        throw new HttpError(405, `${request.method} is not allowed on ${pathname}; expected ${allowed}`, { allow: allowed });
      }
      return await handler(request);
    } catch (e) {
      if (e instanceof HttpError) return json({ error: e.message }, e.status, e.headers);
      if (e instanceof InvalidInputError) return json({ error: e.message }, 400); // e.g. values outside [0, 1]
      console.error(e);
      return json({ error: "internal error: " + (e?.message ?? String(e)) }, 500);
    }
  },
};
