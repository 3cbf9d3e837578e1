// The worker's tabular endpoints, over a TabularVAE trained on raw penguin records (make-tabular-model.mjs):
//   POST /tabular/score   {"records": [{...}, ...]} → {"scores": [...], "fields": [{field: score, ...}], "imputed": [{...}]}
//       per record: its anomaly score (nats, higher = odder), each observed field's share (missing fields: null),
//       and the record with its missing fields filled in
//   POST /tabular/impute  {"records": [...], "samples": k} → {"records": [...]}   missing fields filled (k importance samples)
//   GET  /tabular         → the columns with their types and learned preprocessing
// A bad record (unknown category, a string in a numeric field, …) gets a 400 whose message names the record and the
// field. `HttpError` and `json` are the worker's.
const MAX_RECORDS = 256;
const MAX_SAMPLES = 1000;

/** The routes, given a function that resolves to the loaded TabularVAE. */
export function tabularRoutes(model, { HttpError, json, InvalidInputError, maxBodyBytes }) {
  async function readRecords(request) {
    const expected = `expected a JSON body {"records": [{"column": value, ...}, ...]} with 1 to ${MAX_RECORDS} records (null or no field for a missing value)`;
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > maxBodyBytes) throw new HttpError(413, `the body has ${declared} bytes; at most ${maxBodyBytes} are accepted`);
    const text = await request.text();
    if (text.length > maxBodyBytes) throw new HttpError(413, `the body has ${text.length} characters; at most ${maxBodyBytes} are accepted`);
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new HttpError(400, `the body is not valid JSON (${e.message}); ${expected}`);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body) || !Array.isArray(body.records) || body.records.length === 0) {
      throw new HttpError(400, `the body has no non-empty "records" array; ${expected}`);
    }
    if (body.records.length > MAX_RECORDS) throw new HttpError(413, `"records" has ${body.records.length} records; at most ${MAX_RECORDS} per request`);
    return body;
  }

  /** The model's refusal of a record (it names the record and the field) as a 400. */
  const guard = (f) => {
    try {
      return f();
    } catch (e) {
      if (e instanceof InvalidInputError) throw new HttpError(400, e.message);
      throw e;
    }
  };

  return {
    "/tabular": {
      GET: async () => json({ columns: (await model()).schema, endpoints: ["POST /tabular/score", "POST /tabular/impute"], maxRecords: MAX_RECORDS }),
    },
    "/tabular/score": {
      POST: async (request) => {
        const m = await model();
        const { records } = await readRecords(request);
        const { scores, columns } = guard(() => m.anomalyScore(records));
        const names = Object.keys(columns);
        const fields = Array.from(scores, (_, i) => Object.fromEntries(names.map((n) => [n, Number.isNaN(columns[n][i]) ? null : columns[n][i]])));
        const imputed = guard(() => m.impute(records));
        return json({ scores: Array.from(scores), fields, imputed });
      },
    },
    "/tabular/impute": {
      POST: async (request) => {
        const m = await model();
        const body = await readRecords(request);
        const samples = body.samples ?? 0;
        if (!Number.isInteger(samples) || samples < 0 || samples > MAX_SAMPLES) {
          throw new HttpError(400, `"samples" is ${JSON.stringify(samples)}; expected an integer from 0 to ${MAX_SAMPLES}`);
        }
        return json({ records: guard(() => m.impute(body.records, { samples, seed: 0 })) });
      },
    },
  };
}
