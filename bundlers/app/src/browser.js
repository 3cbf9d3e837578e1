// Browser entry: the page's query says what to run (?precision=fast&threads=2); the driver reads globalThis.result.
import { run } from "./scenario.js";

const q = new URLSearchParams(location.search);
globalThis.result = run({ precision: q.get("precision") ?? "exact", threads: Number(q.get("threads") ?? 1) }).then(
  (r) => r,
  (e) => ({ error: `${e?.name}: ${e?.message}` }),
);
