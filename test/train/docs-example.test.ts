// docs/training.md's example, run: two linear heads sharing every batch, each its own parameter group, step and
// optimizer, on data given as named fields. The block between the docs markers must appear in docs/training.md
// exactly as written here, so the guide can't drift from code that runs.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/runtime/engine";
import { type Batch, fit, type SteppedTarget, type Terms } from "../../src/train/fit";
import { ParameterGroups } from "../../src/train/groups";

// docs:begin
/** Two linear heads ya ≈ x·wa + ba and yb ≈ x·wb + bb, trained side by side: one group, one step each. */
function twoHeads(e: Engine) {
  const params = e.alloc(4), grads = e.alloc(4); // [wa, ba, wb, bb]; models keep these in their flat buffers
  const groups = new ParameterGroups(e, params, grads, 4, [
    { name: "a", offset: 0, size: 2 }, // fit's optimizer options
    { name: "b", offset: 2, size: 2, optimizer: "sgd", learningRate: 0.1, momentum: 0.9 }, // its own
  ]);
  let buffers: number[] = []; // x, target, y, dy, losses: one f32 per row each
  const head = (h: 0 | 1) => (batch: Batch, gradScale: number): Terms => {
    const [x, t, y, dy, losses] = buffers, M = batch.rows;
    const w = params + 8 * h, g = grads + 8 * h; // byte addresses of this head's weight and bias
    e.write(x, batch.fields.x.values);
    e.write(t, batch.fields[h === 0 ? "ya" : "yb"].values);
    e.k.dense_forward(y, x, w, w + 4, M, 1, 1, 0, 0); // y = x·w + b
    e.k.gaussian_loss(dy, losses, y, t, M, 1, 1, gradScale); // ½(y − t)² + ½·log 2π per row, and dL/dy
    e.k.dense_backward(0, g, g + 4, dy, x, w, y, M, 1, 1, 0, 0); // += into this head's gradients
    return { loss: e.f32(losses, M).reduce((s, v) => s + v, 0) };
  };
  const target: SteppedTarget = {
    seed: 1,
    groups,
    steps: [
      { name: "a", groups: ["a"], forwardBackward: head(0) },
      { name: "b", groups: ["b"], forwardBackward: head(1) },
    ],
    validate: (data) => {
      const d = data as { x: Float32Array; ya: Float32Array; yb: Float32Array };
      const field = (values: Float32Array) => ({ width: 1, values });
      return { rows: d.x.length, fields: { x: field(d.x), ya: field(d.ya), yb: field(d.yb) } };
    },
    begin: (capacity) => {
      for (const p of buffers) e.release(p);
      buffers = [0, 1, 2, 3, 4].map(() => e.alloc(capacity));
    },
  };
  const dispose = () => {
    groups.free();
    for (const p of [...buffers, params, grads]) e.release(p);
  };
  return { target, weights: () => e.read(params, 4), dispose };
}

// 64 examples of ya = 3x − 1 and yb = −2x + 0.5
const x = Float32Array.from({ length: 64 }, (_, i) => i / 32 - 1);
const data = { x, ya: x.map((v) => 3 * v - 1), yb: x.map((v) => -2 * v + 0.5) };
// docs:end

describe("docs/training.md's example", () => {
  it("is in the guide word for word", () => {
    const code = readFileSync(new URL(import.meta.url), "utf8");
    const block = code.slice(code.indexOf("// docs:begin\n") + 14, code.indexOf("// docs:end"));
    const guide = readFileSync(new URL("../../docs/training.md", import.meta.url), "utf8");
    expect(block.length).toBeGreaterThan(1000);
    expect(guide).toContain(block);
  });

  it("trains both heads, each with its own optimizer, and logs each step's loss", async () => {
    const e = await Engine.create();
    const { target, weights, dispose } = twoHeads(e);
    const history = await fit(target, data, { epochs: 60, batchSize: 16, learningRate: 0.05, lossReduction: "mean" });
    const [wa, ba, wb, bb] = weights();
    expect(wa).toBeCloseTo(3, 1);
    expect(ba).toBeCloseTo(-1, 1);
    expect(wb).toBeCloseTo(-2, 1);
    expect(bb).toBeCloseTo(0.5, 1);
    const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
    const last = history[history.length - 1];
    expect(last.steps!.a.loss - halfLog2Pi).toBeLessThan(1e-3);
    expect(last.steps!.b.loss - halfLog2Pi).toBeLessThan(1e-3);
    expect(history[0].steps!.a.loss - halfLog2Pi).toBeGreaterThan(0.1);
    dispose();
  });
});
