// After TypeDoc (npm run docs): every public export of every entry point (src/index.ts, onnx, tfjs, torch, pictures)
// must carry a description and an @example. Reads TypeDoc's JSON model (docs/api/api.json); exits 1 listing each
// export that lacks one, so CI fails on it like on a TypeDoc warning.
import { readFileSync } from "node:fs";

const api = JSON.parse(readFileSync(new URL("../docs/api/api.json", import.meta.url), "utf8"));
const missing = [];
let checked = 0;
for (const mod of api.children ?? []) {
  for (const d of mod.children ?? []) {
    checked++;
    // functions keep their comment on the (first) signature; classes, interfaces, types and variables on themselves
    const comments = [d.comment, ...(d.signatures ?? []).map((s) => s.comment)].filter(Boolean);
    const described = comments.some((c) => (c.summary ?? []).some((part) => part.text.trim() !== ""));
    const example = comments.some((c) => (c.blockTags ?? []).some((t) => t.tag === "@example"));
    if (!described || !example) missing.push(`${mod.name}.${d.name}: ${[!described && "no description", !example && "no @example"].filter(Boolean).join(", ")}`);
  }
}
if (checked === 0) {
  console.error("check-api-docs: TypeDoc's JSON lists no exports; did it run?");
  process.exit(1);
}
if (missing.length) {
  console.error(`check-api-docs: ${missing.length} of ${checked} public exports lack documentation:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-api-docs: all ${checked} public exports have a description and an @example`);
