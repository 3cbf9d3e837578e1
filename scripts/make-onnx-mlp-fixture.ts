// Writes test/interop/onnx-fixtures/<case>-<part>.onnx: the ONNX exports of the MLP cases of
// test/interop/onnx-mlp-cases.ts, made once by the exporter as it was before the module kinds got their ONNX
// export hooks (commit 15372ee's src/interop/onnx.ts), so test/interop/onnx-mlp-bytes.test.ts proves that MLP
// exports stay byte for byte the same. Needs no wasm:
//   npx tsx scripts/make-onnx-mlp-fixture.ts
import { writeFileSync } from "node:fs";
import { exportOnnx } from "../src/interop/onnx.js";
import { MLP_CASES, mlpCase } from "../test/interop/onnx-mlp-cases.js";

const DIR = new URL("../test/interop/onnx-fixtures/", import.meta.url);
for (const name of Object.keys(MLP_CASES)) {
  for (const part of ["encoder", "decoder"] as const) {
    const bytes = exportOnnx(mlpCase(name), { part });
    writeFileSync(new URL(`${name}-${part}.onnx`, DIR), bytes);
    console.log(`${name}-${part}.onnx: ${bytes.length} bytes`);
  }
}
