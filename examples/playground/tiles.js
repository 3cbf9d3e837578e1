// Grey-level images (values in [0, 1], 28×28 each, row-major) drawn into a canvas as a grid of tiles, one canvas
// pixel per image pixel: CSS scales the canvas up (image-rendering: pixelated), so the test reads exact pixels.
export const SIDE = 28;

/** Draws `images` (n × 784) as `cols` columns, white ink on black, with a 1-pixel gap between tiles. */
export function drawTiles(canvas, images, cols, gap = 1) {
  const n = images.length / (SIDE * SIDE);
  const rows = Math.ceil(n / cols);
  canvas.width = cols * SIDE + (cols - 1) * gap;
  canvas.height = rows * SIDE + (rows - 1) * gap;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#1d2129";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const tile = ctx.createImageData(SIDE, SIDE);
  for (let k = 0; k < n; k++) {
    for (let p = 0; p < SIDE * SIDE; p++) {
      const v = Math.round(Math.min(1, Math.max(0, images[k * SIDE * SIDE + p])) * 255);
      tile.data.set([v, v, v, 255], p * 4);
    }
    ctx.putImageData(tile, (k % cols) * (SIDE + gap), Math.floor(k / cols) * (SIDE + gap));
  }
}
