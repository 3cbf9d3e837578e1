// The drawing canvas: white ink on black, drawn with a mouse, pen or finger (pointer events). While a stroke is
// drawn and when it ends, onChange gets the drawing as an MNIST-style 28×28 input (or null once cleared).
import { toMnistInput } from "./preprocess.js";

const LIVE_MS = 150;

export class DrawingPad {
  #canvas;
  #ctx;
  #onChange;
  #last = 0;

  constructor(canvas, { onChange }) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.#onChange = onChange;
    const at = (e) => {
      const rect = canvas.getBoundingClientRect();
      return [((e.clientX - rect.left) / rect.width) * canvas.width, ((e.clientY - rect.top) / rect.height) * canvas.height];
    };
    canvas.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      const [x, y] = at(e);
      this.#ctx.beginPath();
      this.#ctx.moveTo(x, y);
      this.#ctx.lineTo(x + 0.01, y); // a click leaves a dot
      this.#ctx.stroke();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!canvas.hasPointerCapture(e.pointerId)) return;
      const [x, y] = at(e);
      this.#ctx.lineTo(x, y);
      this.#ctx.stroke();
      if (performance.now() - this.#last > LIVE_MS) this.#report();
    });
    const end = (e) => {
      if (!canvas.hasPointerCapture(e.pointerId)) return;
      canvas.releasePointerCapture(e.pointerId);
      this.#report();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    this.clear();
  }

  clear() {
    const ctx = this.#ctx;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.#canvas.width, this.#canvas.height);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = this.#canvas.width / 14;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    this.#onChange(null);
  }

  /** The drawing as a 28×28 input, or null when the canvas is empty. */
  input() {
    const { width, height } = this.#canvas;
    const rgba = this.#ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4] / 255;
    return toMnistInput(ink, width, height);
  }

  #report() {
    this.#last = performance.now();
    this.#onChange(this.input());
  }
}
