// The live loss chart: one point per optimizer step, drawn on a canvas (no chart library) as the raw batch loss
// and a centred moving average (no lag behind a steep fall), redrawn at most once per animation frame. The canvas
// carries the series' summary in data-points, data-first and data-last (the mean of the last 10 steps) and in its
// accessible label.
const LAST = 10;

export class LossChart {
  #canvas;
  #steps = [];
  #losses = [];
  #queued = false;

  constructor(canvas) {
    this.#canvas = canvas;
    new ResizeObserver(() => this.#redraw()).observe(canvas);
    this.reset();
  }

  reset() {
    this.#steps = [];
    this.#losses = [];
    this.#changed();
  }

  add(step, loss) {
    this.#steps.push(step);
    this.#losses.push(loss);
    this.#changed();
  }

  #changed() {
    const c = this.#canvas;
    const n = this.#losses.length;
    c.dataset.points = String(n);
    const tail = this.#losses.slice(-LAST);
    const last = tail.reduce((a, v) => a + v, 0) / tail.length;
    c.dataset.first = n ? String(this.#losses[0]) : "";
    c.dataset.last = n ? String(last) : "";
    c.setAttribute("aria-label", n ? `loss chart: ${n} steps, loss ${this.#losses[0].toFixed(1)} at first, ${last.toFixed(1)} over the last ${tail.length}` : "loss chart: no training yet");
    this.#schedule();
  }

  #schedule() {
    if (this.#queued) return;
    this.#queued = true;
    requestAnimationFrame(() => {
      this.#queued = false;
      this.#redraw();
    });
  }

  #redraw() {
    const c = this.#canvas;
    const n = this.#losses.length;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, w, h);
    ctx.font = "12px system-ui, sans-serif";
    const box = { left: 48, right: w - 12, top: 12, bottom: h - 26 };
    ctx.strokeStyle = "#c9ced6";
    ctx.lineWidth = 1;
    ctx.strokeRect(box.left + 0.5, box.top + 0.5, box.right - box.left, box.bottom - box.top);
    if (n === 0) {
      ctx.fillStyle = "#7a828e";
      ctx.textAlign = "center";
      ctx.fillText("press Train: the loss of every batch appears here", (box.left + box.right) / 2, (box.top + box.bottom) / 2);
      return;
    }

    let lo = Infinity;
    let hi = -Infinity;
    for (const v of this.#losses) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (hi - lo < 1e-9) hi = lo + 1;
    const s0 = this.#steps[0];
    const s1 = Math.max(this.#steps[n - 1], s0 + 1);
    const x = (s) => box.left + ((s - s0) / (s1 - s0)) * (box.right - box.left);
    const y = (v) => box.bottom - ((v - lo) / (hi - lo)) * (box.bottom - box.top);

    ctx.fillStyle = "#5b636e";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let t = 0; t <= 4; t++) {
      const v = lo + ((hi - lo) * t) / 4;
      ctx.fillText(v.toFixed(0), box.left - 6, y(v));
      ctx.strokeStyle = "#eef0f3";
      ctx.beginPath();
      ctx.moveTo(box.left + 1, Math.round(y(v)) + 0.5);
      ctx.lineTo(box.right, Math.round(y(v)) + 0.5);
      ctx.stroke();
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(`step ${s0}`, box.left + 24, box.bottom + 7);
    ctx.fillText(`step ${this.#steps[n - 1]}`, box.right - 30, box.bottom + 7);

    const line = (values, color, width) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      values.forEach((v, i) => (i ? ctx.lineTo(x(this.#steps[i]), y(v)) : ctx.moveTo(x(this.#steps[i]), y(v))));
      ctx.stroke();
    };
    line(this.#losses, "#b8cff5", 1);
    line(centredMean(this.#losses, Math.max(2, Math.round(n / 80))), "#1f5fd1", 2);
  }
}

/** The mean of values[i − h … i + h] at each i (the window shrinks at the ends), by prefix sums. */
function centredMean(values, h) {
  const sums = [0];
  for (const v of values) sums.push(sums.at(-1) + v);
  return values.map((_, i) => {
    const lo = Math.max(0, i - h);
    const hi = Math.min(values.length, i + h + 1);
    return (sums[hi] - sums[lo]) / (hi - lo);
  });
}
