// Browsers (Chromium, Firefox): "vaekit" comes from the page's import map; the driver reads the outcome from
// globalThis.conformance, a promise of the result or of the error's text.
import * as vaekit from "vaekit";
import { run } from "./scenario.js";

globalThis.conformance = run(vaekit).then(
  (result) => ({ ...result, entry: import.meta.resolve("vaekit") }),
  (e) => ({ error: String(e?.stack ?? e) }),
);
