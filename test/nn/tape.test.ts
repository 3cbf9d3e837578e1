// The module engine's bookkeeping: typed tensors laid out by the workspace (re-laid out only when a pass needs
// more, handles follow), and the tape's gradient convention (first writer writes, later writers add — through the
// fan-out scratch for overwriting kernels; backward steps run in reverse order).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Tape } from "../../src/nn/tape";
import { Workspace } from "../../src/nn/tensor";
import { Engine } from "../../src/runtime/engine";

let e: Engine;
beforeAll(async () => {
  e = await Engine.create(undefined, undefined, 1);
});
afterAll(() => e.pool?.stop());

const dims = (B: number, K = 1) => ({ B, K, multi: false, total: 0 });

describe("Workspace", () => {
  it("lays tensors out apart and aligned, keeps the allocation while it fits, and moves the handles when it grows", () => {
    const ws = new Workspace(e);
    const a = ws.tensor((d) => d.B * 3, true);
    const b = ws.tensor((d) => d.B * d.K * 2);
    ws.layout(dims(4));
    expect(a.ptr % 16).toBe(0);
    expect(b.ptr % 16).toBe(0);
    const ends = [[a.ptr, 12], [a.grad!.ptr, 12], [b.ptr, 8]].map(([p, n]) => [p, p + n * 4]).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < ends.length; i++) expect(ends[i][0]).toBeGreaterThanOrEqual(ends[i - 1][1]);
    const before = a.ptr;
    e.f32(a.ptr, 12).fill(7);
    ws.layout(dims(2)); // smaller: the same allocation
    expect(a.ptr).toBe(before);
    expect(e.f32(a.ptr, 1)[0]).toBe(7);
    ws.layout(dims(64, 4)); // larger: a new layout, every handle updated
    e.f32(b.ptr, 64 * 4 * 2).fill(1);
    e.f32(a.ptr, 64 * 3).fill(2);
    expect(e.f32(b.ptr, 64 * 4 * 2).every((v) => v === 1)).toBe(true);
    const held = e.memoryBytes;
    for (let i = 0; i < 20; i++) ws.layout(dims(1 + (i % 64), 1 + (i % 4)));
    expect(e.memoryBytes).toBe(held);
    ws.free();
  });
});

describe("Tape", () => {
  it("replays backward steps last first, and only in a training pass", () => {
    const t = new Tape(e);
    const order: number[] = [];
    t.start(0, 0, 0);
    t.record(() => order.push(0));
    t.backward();
    expect(order).toEqual([]);
    t.start(1, 0, 0);
    for (let i = 1; i <= 3; i++) t.record(() => order.push(i));
    t.backward();
    expect(order).toEqual([3, 2, 1]);
  });

  it("first writer writes, later writers add: acc zeroes once, over adds through the fan-out scratch", () => {
    const ws = new Workspace(e);
    const x = ws.tensor((d) => d.B * 4, true, true);
    ws.layout(dims(2));
    const g = x.grad!;
    const t = new Tape(e);
    const fill = (v: number) => (p: number) => void e.f32(p, 8).fill(v);
    e.f32(g.ptr, 8).fill(99); // stale values from an earlier pass
    t.start(1, 0, 0);
    t.over(g, 8, fill(2)); // first writer: writes
    expect(Array.from(e.f32(g.ptr, 8))).toEqual(Array(8).fill(2));
    t.over(g, 8, fill(0.5)); // second overwriting writer: added
    expect(Array.from(e.f32(g.ptr, 8))).toEqual(Array(8).fill(2.5));
    expect(t.acc(g, 8)).toBe(g.ptr); // already written: not zeroed
    expect(e.f32(g.ptr, 1)[0]).toBe(2.5);
    t.start(1, 0, 0); // a new pass: nothing written yet
    t.acc(g, 8);
    expect(Array.from(e.f32(g.ptr, 8))).toEqual(Array(8).fill(0));
    ws.free();
  });

  it("refuses a second overwriting writer into a gradient declared without fan-out scratch", () => {
    const ws = new Workspace(e);
    const x = ws.tensor((d) => d.B, true);
    ws.layout(dims(4));
    const t = new Tape(e);
    t.start(1, 0, 0);
    t.over(x.grad!, 4, () => {});
    expect(() => t.over(x.grad!, 4, () => {})).toThrow(/fanOut/);
    ws.free();
  });
});
