// The Worker example's tabular endpoints (examples/worker/tabular.js) run in Node against the committed
// tabular.safetensors: raw JSON records in; scores, per-field shares and imputations out, equal to what the model
// computes directly; bad records get a 4xx naming the field. (examples/worker/test.mjs runs the same under workerd.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain JavaScript module of the example
import { tabularRoutes } from "../../examples/worker/tabular.js";
import { InvalidInputError } from "../../src/errors";
import { TabularVAE } from "../../src/tabular";

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const file = readFileSync(new URL("../../examples/worker/tabular.safetensors", import.meta.url));
let loaded: Promise<TabularVAE> | undefined;
const model = () => (loaded ??= TabularVAE.load(file));
const routes = tabularRoutes(model, { HttpError, json, InvalidInputError, maxBodyBytes: 1 << 20 });

async function call(path: string, method: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const res: Response = await routes[path][method](new Request(`http://x${path}`, { method, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) }));
    return { status: res.status, body: await res.json() };
  } catch (e) {
    if (e instanceof HttpError) return { status: e.status, body: { error: e.message } };
    throw e;
  }
}

const records = [
  { Species: "Adelie", Island: "Torgersen", "Beak Length (mm)": 39.1, "Beak Depth (mm)": 18.7, "Flipper Length (mm)": 181, "Body Mass (g)": 3750, Sex: "MALE" },
  { Species: "Gentoo", Island: "Biscoe", "Beak Length (mm)": null, "Beak Depth (mm)": 15, "Flipper Length (mm)": 220, "Body Mass (g)": null, Sex: null },
  { Species: "Adelie", Island: "Torgersen", "Beak Length (mm)": 39.1, "Beak Depth (mm)": 18.7, "Flipper Length (mm)": 181, "Body Mass (g)": 9000, Sex: "MALE" },
];

describe("examples/worker tabular endpoints", () => {
  it("GET /tabular lists the columns with their learned preprocessing", async () => {
    const r = await call("/tabular", "GET");
    expect(r.status).toBe(200);
    expect((r.body.columns as { name: string }[]).map((c) => c.name)).toEqual(Object.keys(records[0]));
  });

  it("POST /tabular/score: scores, per-field shares (null when missing) and imputations, equal to the model's", async () => {
    const r = await call("/tabular/score", "POST", { records });
    expect(r.status).toBe(200);
    const m = await model();
    const want = m.anomalyScore(records);
    expect(r.body.scores).toEqual(Array.from(want.scores));
    const fields = r.body.fields as Record<string, number | null>[];
    expect(fields[1]["Body Mass (g)"]).toBeNull();
    expect(fields[2]["Body Mass (g)"]).toBe(want.columns["Body Mass (g)"][2]);
    // the 9 kg Adelie's odd field is its body mass
    expect(Object.entries(fields[2]).sort((a, b) => (b[1] as number) - (a[1] as number))[0][0]).toBe("Body Mass (g)");
    expect((r.body.scores as number[])[2]).toBeGreaterThan((r.body.scores as number[])[0]);
    const imputed = r.body.imputed as Record<string, unknown>[];
    expect(imputed).toEqual(m.impute(records));
    expect(typeof imputed[1]["Body Mass (g)"]).toBe("number");
    expect(["MALE", "FEMALE"]).toContain(imputed[1].Sex);
  });

  it("POST /tabular/impute fills with importance samples", async () => {
    const r = await call("/tabular/impute", "POST", { records: records.slice(1, 2), samples: 20 });
    expect(r.status).toBe(200);
    expect(r.body.records).toEqual((await model()).impute(records.slice(1, 2), { samples: 20, seed: 0 }));
  });

  it("bad requests get a 4xx that says what was wrong, naming the field of a bad record", async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ records: [{ ...records[0], Species: "Emperor" }] }, 400, /record 0, field "Species": string "Emperor" — expected one of the categories/],
      [{ records: [records[0], { ...records[0], "Body Mass (g)": "heavy" }] }, 400, /record 1, field "Body Mass \(g\)": string "heavy" — expected a finite number/],
      [{ records: [] }, 400, /no non-empty "records"/],
      ["{bad json", 400, /not valid JSON/],
      [{ records: Array(300).fill(records[0]) }, 413, /at most 256/],
    ];
    for (const [body, status, re] of cases) {
      const r = await call("/tabular/score", "POST", body);
      expect(r.status).toBe(status);
      expect(r.body.error).toMatch(re);
    }
    const s = await call("/tabular/impute", "POST", { records, samples: -1 });
    expect(s.status).toBe(400);
    expect(s.body.error).toMatch(/"samples" is -1/);
  });
});
