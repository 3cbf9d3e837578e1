// A drawing turned into an MNIST-style input, the way MNIST's digits were made: the ink's bounding box scaled
// (area averaging, aspect kept) to fit a 20×20 box, placed in a 28×28 image so that its centre of mass sits at
// the centre. Without this, a digit drawn small or off-centre looks like nothing the model has seen.
const SIDE = 28;
const BOX = 20;

/**
 * @param {Float32Array} ink grey levels in [0, 1], row-major [height × width]
 * @returns {Float32Array | null} 784 values in [0, 1], or null when there is no ink
 */
export function toMnistInput(ink, width, height) {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));

  // Area average: each target pixel is the mean of the source pixels whose centres fall inside it.
  const small = new Float32Array(tw * th);
  const count = new Float32Array(tw * th);
  for (let y = y0; y <= y1; y++) {
    const ty = Math.min(th - 1, Math.floor(((y - y0 + 0.5) / h) * th));
    for (let x = x0; x <= x1; x++) {
      const tx = Math.min(tw - 1, Math.floor(((x - x0 + 0.5) / w) * tw));
      small[ty * tw + tx] += ink[y * width + x];
      count[ty * tw + tx] += 1;
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < small.length; i++) {
    small[i] = count[i] ? Math.min(1, small[i] / count[i]) : 0;
    mass += small[i];
    mx += small[i] * ((i % tw) + 0.5);
    my += small[i] * (Math.floor(i / tw) + 0.5);
  }
  // Offset that puts the centre of mass at (14, 14), kept inside the image.
  const ox = Math.min(SIDE - tw, Math.max(0, Math.round(SIDE / 2 - mx / mass)));
  const oy = Math.min(SIDE - th, Math.max(0, Math.round(SIDE / 2 - my / mass)));
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < th; y++) out.set(small.subarray(y * tw, (y + 1) * tw), (oy + y) * SIDE + ox);
  return out;
}
