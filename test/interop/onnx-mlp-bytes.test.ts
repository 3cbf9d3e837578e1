// MLP exports are byte for byte what the exporter wrote before the module kinds got their ONNX export hooks: the
// fixtures (test/interop/onnx-fixtures/) were written by scripts/make-onnx-mlp-fixture.ts with the earlier exporter.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { exportOnnx } from "../../src/onnx.js";
import { MLP_CASES, mlpCase } from "./onnx-mlp-cases.js";

describe("exportOnnx: MLP exports are unchanged, byte for byte", () => {
  for (const name of Object.keys(MLP_CASES)) {
    for (const part of ["encoder", "decoder"] as const) {
      it(`${name} ${part}`, () => {
        const want = new Uint8Array(readFileSync(new URL(`./onnx-fixtures/${name}-${part}.onnx`, import.meta.url)));
        const got = exportOnnx(mlpCase(name), { part });
        expect(got.length).toBe(want.length);
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      });
    }
  }
});
