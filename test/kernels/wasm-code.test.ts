// scripts/wasm-code.mjs — the machine code V8 makes of one export — finds the right function (imports count first in
// V8's numbering) and prints its TurboFan listing.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error a plain .mjs script without types
import { countCode, exportIndex, nameIndex, wasmCode } from "../../scripts/wasm-code.mjs";

const testing = fileURLToPath(new URL("../../build/vaekit-testing.wasm", import.meta.url));

/** A module with one imported function ("env" "f") and two defined ones, exported as "first" and "second". */
function twoFunctions(): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 1, 0x7f]), // type 0: () -> i32
    ...section(2, [1, ...name("env"), ...name("f"), 0x00, 0]), // import env.f: type 0
    ...section(3, [2, 0, 0]), // functions 1 and 2: type 0
    ...section(7, [2, ...name("second"), 0x00, 2, ...name("first"), 0x00, 1]),
    ...section(10, [2, 4, 0, 0x41, 7, 0x0b, 4, 0, 0x41, 9, 0x0b]), // i32.const 7 / 9
  ]);
}

/** twoFunctions() with a name section naming function 2 "assembly/k/inner" (as asc --debug names functions). */
function named(): Uint8Array<ArrayBuffer> {
  const name = (s: string) => [s.length, ...Buffer.from(s)];
  const names = [2, 1, ...name("assembly/k/outer"), 2, ...name("assembly/k/inner")]; // 2 entries: functions 1, 2
  const body = [...name("name"), 1, names.length, ...names];
  return new Uint8Array([...twoFunctions(), 0, body.length, ...body]);
}

describe("scripts/wasm-code.mjs", () => {
  it("reads export indices in V8's numbering: imported functions first", () => {
    const bytes = twoFunctions();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(exportIndex(bytes, "first")).toBe(1);
    expect(exportIndex(bytes, "second")).toBe(2);
    expect(exportIndex(bytes, "f")).toBe(-1);
  });

  it("prints the TurboFan listing of exactly the named export", () => {
    const listing: string = wasmCode(testing, "gemm_nn_4x8_f32x4");
    const names = [...listing.matchAll(/^name: wasm-function\[(\d+)\]/gm)].map((m) => Number(m[1]));
    expect(names).toHaveLength(1);
    expect(listing).toMatch(/compiler: TurboFan/);
    const counts = countCode(listing);
    expect(counts.instructions).toBeGreaterThan(100);
    if (process.arch === "x64") {
      // the 4×8 tile: f32x4 multiplies and adds (the exact build has no FMA) and splatted loads of A
      expect(counts.vectorMultiplies).toBeGreaterThanOrEqual(8);
      expect(counts.vectorAdds).toBeGreaterThanOrEqual(8);
      expect(counts.broadcasts).toBeGreaterThanOrEqual(4);
    }
    // another export is another function
    const other: string = wasmCode(testing, "conv2d_forward");
    expect(other.match(/^name: wasm-function\[(\d+)\]/m)?.[1]).not.toBe(String(names[0]));
  });

  it("finds a function by its name-section name (whole path or last part) when nothing exports it", () => {
    const bytes = named();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(nameIndex(bytes, "inner")).toBe(2);
    expect(nameIndex(bytes, "assembly/k/outer")).toBe(1);
    expect(nameIndex(bytes, "k/inner")).toBe(2);
    expect(nameIndex(bytes, "nner")).toBe(-1);
    expect(nameIndex(twoFunctions(), "inner")).toBe(-1);
  });

  it("refuses an export the module doesn't have", () => {
    expect(() => wasmCode(testing, "no_such_kernel")).toThrow(/exports no function named no_such_kernel \(and names none so\)/);
  });
});
