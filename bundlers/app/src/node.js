// Node entry: `node <bundle> <precision> <threads>` prints one line "RESULT {json}".
import { run } from "./scenario.js";

const [precision = "exact", threads = "1"] = process.argv.slice(2);
run({ precision, threads: Number(threads) }).then(
  (r) => console.log(`RESULT ${JSON.stringify(r)}`),
  (e) => {
    console.log(`RESULT ${JSON.stringify({ error: `${e?.name}: ${e?.message}` })}`);
    process.exitCode = 1;
  },
);
