// The 2-D latent plane: z₀ across, z₁ up, over [−range, range]², with the encoded test digits as a scatter
// coloured by label and a point to drag (pointer) or nudge (arrow keys; Shift for bigger steps). Every move
// reports the new z, rounded to 0.01, to onMove.
export const COLORS = ["#e6194b", "#3cb44b", "#d4a20b", "#4363d8", "#f58231", "#911eb4", "#1fa2b4", "#d03fbf", "#7a8b13", "#7f5539"];

export class LatentPlane {
  #canvas;
  #range;
  #onMove;
  #z = [0, 0];
  #points = { means: new Float32Array(0), labels: new Uint8Array(0) };
  #queued = false;

  constructor(canvas, { range = 4, onMove }) {
    this.#canvas = canvas;
    this.#range = range;
    this.#onMove = onMove;
    canvas.addEventListener("pointerdown", (e) => {
      canvas.setPointerCapture(e.pointerId);
      canvas.focus();
      this.#fromPointer(e);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (canvas.hasPointerCapture(e.pointerId)) this.#fromPointer(e);
    });
    canvas.addEventListener("keydown", (e) => {
      const step = e.shiftKey ? 0.5 : 0.1;
      const d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] }[e.key];
      if (!d) return;
      e.preventDefault();
      this.set([this.#z[0] + d[0], this.#z[1] + d[1]]);
    });
    new ResizeObserver(() => this.#redraw()).observe(canvas);
  }

  get z() {
    return [...this.#z];
  }

  /** Moves the point (clamped to the plane, rounded to 0.01) and reports it. */
  set(z) {
    const r = this.#range;
    this.#z = z.map((v) => Math.round(Math.min(r, Math.max(-r, v)) * 100) / 100 + 0); // + 0 turns −0 into 0
    this.#canvas.setAttribute("aria-valuetext", `z = (${this.#z[0].toFixed(2)}, ${this.#z[1].toFixed(2)})`);
    this.#schedule();
    this.#onMove(this.z);
  }

  /** The encoded test digits: means [n × 2] and labels [n]. */
  setPoints(means, labels) {
    this.#points = { means, labels };
    this.#schedule();
  }

  #fromPointer(e) {
    const rect = this.#canvas.getBoundingClientRect();
    const fx = (e.clientX - rect.left) / rect.width;
    const fy = (e.clientY - rect.top) / rect.height;
    this.set([(2 * fx - 1) * this.#range, (1 - 2 * fy) * this.#range]);
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
    const dpr = window.devicePixelRatio || 1;
    const size = c.clientWidth;
    c.width = Math.round(size * dpr);
    c.height = Math.round(size * dpr);
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const r = this.#range;
    const px = (v) => ((v + r) / (2 * r)) * size;
    const py = (v) => ((r - v) / (2 * r)) * size;

    ctx.fillStyle = "#fbfcfd";
    ctx.fillRect(0, 0, size, size);
    ctx.lineWidth = 1;
    for (let v = -r; v <= r; v++) {
      ctx.strokeStyle = v === 0 ? "#aab1bb" : "#e6e9ee";
      ctx.beginPath();
      ctx.moveTo(Math.round(px(v)) + 0.5, 0);
      ctx.lineTo(Math.round(px(v)) + 0.5, size);
      ctx.moveTo(0, Math.round(py(v)) + 0.5);
      ctx.lineTo(size, Math.round(py(v)) + 0.5);
      ctx.stroke();
    }

    const { means, labels } = this.#points;
    ctx.globalAlpha = 0.55;
    for (let i = 0; i < labels.length; i++) {
      ctx.fillStyle = COLORS[labels[i]];
      ctx.beginPath();
      ctx.arc(px(means[2 * i]), py(means[2 * i + 1]), 2.2, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;

    const [x, y] = [px(this.#z[0]), py(this.#z[1])];
    ctx.strokeStyle = "#1d2129";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x - 14, y);
    ctx.lineTo(x + 14, y);
    ctx.moveTo(x, y - 14);
    ctx.lineTo(x, y + 14);
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.arc(x, y, 7, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  }
}
