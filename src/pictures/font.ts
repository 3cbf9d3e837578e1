// A 3 × 5 pixel font for the numbers on chart axes: digits, point, minus, plus and e (for exponents).
import { fillRect, type Picture, type Rgb } from "./picture.js";

// Each glyph: 5 rows of 3 pixels, top row first, "1" = ink.
const GLYPHS: Record<string, string> = {
  "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
  "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001010010",
  "8": "111101111101111", "9": "111101111001111", ".": "000000000000010", "-": "000000111000000",
  "+": "000010111010000", e: "000111111100011",
};

/** Width in pixels of `text` drawn at `scale` (glyphs 3 wide, 1 apart). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * 4 - 1) * scale;
}

/** Draws `text` with its top-left corner at (x, y); characters without a glyph are left blank. */
export function drawText(p: Picture, text: string, x: number, y: number, c: Rgb, scale: number): void {
  for (let k = 0; k < text.length; k++) {
    const g = GLYPHS[text[k]];
    if (!g) continue;
    for (let i = 0; i < 15; i++) {
      if (g[i] === "1") fillRect(p, x + (k * 4 + (i % 3)) * scale, y + Math.floor(i / 3) * scale, scale, scale, c);
    }
  }
}

/** A short label for an axis value: at most 4 significant digits, no trailing zeros. */
export function formatNumber(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e");
  const s = v.toPrecision(4);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}
