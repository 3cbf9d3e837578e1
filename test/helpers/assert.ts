// Shared assertions for kernel tests.
import { expect } from "vitest";

/** Asserts two f32 arrays hold the same bits (any NaN matches any NaN: wasm leaves NaN payloads unspecified). */
export function expectBitIdentical(a: Float32Array, b: Float32Array, label: string): void {
  expect(a.length, `${label}: lengths`).toBe(b.length);
  const ba = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bb = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let bad = -1;
  for (let i = 0; i < a.length && bad < 0; i++) if (ba[i] !== bb[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad = i;
  expect(bad, `${label}: first mismatch at ${bad} (${a[bad]} vs ${b[bad]})`).toBe(-1);
}
