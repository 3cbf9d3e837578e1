// Node.js: imports vaekit as an app of this runtime does and prints the scenario's result as one JSON line.
import * as vaekit from "vaekit";
import { run } from "./scenario.js";

const result = await run(vaekit);
console.log("CONFORMANCE " + JSON.stringify({ ...result, entry: import.meta.resolve("vaekit") }));
