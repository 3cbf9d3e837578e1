// vaekit's 5 × 9 bitmap font (scripts/font-art.mjs, packed in glyphs.ts) for the words and numbers on charts: printable
// ASCII plus × · β σ μ ², drawn at a whole-number scale, across or reading upwards (a y-axis title).
import { CHARS, ROWS } from "./glyphs.js";
import { fillRect, type Picture, type Rgb } from "./picture.js";

/** Pixels per character across (5 of glyph, 1 of space) and the height of a capital, at scale 1. */
export const ADVANCE = 6;
export const CAP_HEIGHT = 7;
/** The height of a line of text (capitals and descenders) at scale 1. */
export const LINE_HEIGHT = 9;

const ALIASES: Record<string, string> = { "−": "-", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"' };

/** The nine rows of a character's glyph (bit 16 = leftmost pixel); "?" for characters the font lacks. */
function glyph(ch: string): number[] {
  let k = CHARS.indexOf(ALIASES[ch] ?? ch);
  if (k < 0) k = CHARS.indexOf("?");
  const rows: number[] = [];
  for (let r = 0; r < 9; r++) rows.push(parseInt(ROWS[9 * k + r], 32));
  return rows;
}

/** Width in pixels of `text` drawn at `scale` (characters 6 apart, no space after the last). */
export function textWidth(text: string, scale: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

/**
 * Draws `text` with the top-left corner of its first cell at (x, y), `scale` pixels per font pixel. `upward` turns
 * it a quarter to the left (reading bottom to top): then (x, y) is the cell's bottom-left corner on the page.
 */
export function drawText(p: Picture, text: string, x: number, y: number, c: Rgb, scale: number, upward = false): void {
  let k = 0;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let r = 0; r < 9; r++) {
      for (let col = 0; col < 5; col++) {
        if (!(rows[r] & (16 >> col))) continue;
        const u = (k * ADVANCE + col) * scale, v = r * scale;
        if (upward) fillRect(p, x + v, y - u - scale, scale, scale, c);
        else fillRect(p, x + u, y + v, scale, scale, c);
      }
    }
    k++;
  }
}
