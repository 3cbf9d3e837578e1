// The live loss chart: one point per optimizer step, drawn on a canvas (no chart library) as the raw batch loss
// and its exponential moving average, redrawn at most once per animation frame. The canvas carries the series'
// summary in data-points, data-first and data-last (what the test reads) and in its accessible label.
const SMOOTHING = 0.05;

export class LossChart {
  #canvas;
  #steps = [];
  #losses = [];
  #smooth = [];
  #queued = false;

  constructor(canvas) {
    this.#canvas = canvas;
    new ResizeObserver(() => this.#redraw()).observe(canvas);
    this.reset();
  }

  reset() {
    this.#steps = [];
    this.#losses = [];
    this.#smooth = [];
    this.#changed();
  }

  add(step, loss) {
    const prev = this.#smooth.at(-1);
    this.#steps.push(step);
    this.#losses.push(loss);
    this.#smooth.push(prev === undefined ? loss : prev + SMOOTHING * (loss - prev));
    this.#changed();
  }

  #changed() {
    const c = this.#canvas;
    const n = this.#losses.length;
    c.dataset.points = String(n);
    c.dataset.first = n ? String(this.#losses[0]) : "";
    c.dataset.last = n ? String(this.#smooth[n - 1]) : "";
    c.setAttribute("aria-label", n ? `loss chart: ${n} steps, loss ${this.#losses[0].toFixed(1)} at first, ${this.#smooth[n - 1].toFixed(1)} now (smoothed)` : "loss chart: no training yet");
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
    line(this.#smooth, "#1f5fd1", 2);
  }
}
