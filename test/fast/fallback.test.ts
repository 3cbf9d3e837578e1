// precision "fast" on an engine without relaxed SIMD (a Node child started with --no-experimental-wasm-relaxed-simd,
// as Node 20 is by default): vaekit runs the exact build, says so in engineInfo.fallbacks, and its results are the
// exact build's bits (a trained model saves to the same bytes; the conformance scenario gives the expected hash).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("fallback when the engine has no relaxed SIMD", () => {
  it("engineInfo says exact with the reason; the results are the exact build's", () => {
    const child = spawnSync(
      process.execPath,
      ["--no-experimental-wasm-relaxed-simd", "--import", "tsx", fileURLToPath(new URL("./no-relaxed-child.ts", import.meta.url))],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(child.status, child.stderr).toBe(0);
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!);
    expect(r.relaxed, "the child's engine really lacks relaxed SIMD").toBe(false);
    const reason =
      'precision "fast" was requested but this engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; ' +
      'Node 22+, Deno, Bun, Cloudflare Workers, Chrome 114+ and Firefox 120+ have it); using "exact"';
    expect(r.info).toEqual({ precision: "exact", threads: 1, fallbacks: [reason] });
    // vaekit-fast.wasm passed explicitly can't be compiled here either: the default vaekit.wasm runs instead.
    expect(r.givenInfo).toEqual({ precision: "exact", threads: 1, fallbacks: [reason] });
    expect(r.same, "a model trained with the fallback saves the same bytes as one trained exact").toBe(true);
    expect(r.hash).toBe(readFileSync(new URL("../../conformance/expected-hash.txt", import.meta.url), "utf8").trim());
  });
});
