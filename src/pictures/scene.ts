// What a chart or scatter plot is made of — lines, rectangles, dots and text on a page — and the two ways of drawing
// it: into RGBA pixels (the bitmap font for text) or as SVG (text as <text> elements, so it stays sharp).
import { CAP_HEIGHT, drawText, textWidth } from "./font.js";
import { blank, fillRect, line, plot, type Picture, type Rgb } from "./picture.js";

export type Item =
  /** A polyline through pixel centres, `width` pixels wide; dashed `dash` = [on, off] pixels along the line. */
  | { kind: "path"; points: readonly (readonly [number, number])[]; colour: Rgb; width: number; dash?: readonly [number, number] }
  | { kind: "rect"; x: number; y: number; w: number; h: number; colour: Rgb }
  /** The pixels within `radius` of (x, y). */
  | { kind: "dot"; x: number; y: number; radius: number; colour: Rgb }
  /**
   * Text at `scale` font pixels per pixel. Across: (x, y) is the anchor on the top edge of the line of text (its
   * start, middle or end). Upward: x is the left edge of the turned line, y the anchor along it.
   */
  | { kind: "text"; text: string; x: number; y: number; anchor: "start" | "middle" | "end"; colour: Rgb; scale: number; upward?: boolean };

export interface Scene {
  width: number;
  height: number;
  background: Rgb;
  items: Item[];
}

/** The offset from a text's anchor back to its start, in pixels along the text. */
function anchorShift(text: string, scale: number, anchor: "start" | "middle" | "end"): number {
  const w = textWidth(text, scale);
  return anchor === "start" ? 0 : anchor === "middle" ? Math.floor(w / 2) : w;
}

/** A dashed line: Bresenham's walk from (x0, y0) to (x1, y1), a `width`-wide dot at the steps that fall on a dash. */
function dashedLine(p: Picture, x0: number, y0: number, x1: number, y1: number, c: Rgb, width: number, dash: readonly [number, number], at: number): number {
  [x0, y0, x1, y1] = [Math.round(x0), Math.round(y0), Math.round(x1), Math.round(y1)];
  const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
  const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  const half = Math.floor((width - 1) / 2), period = dash[0] + dash[1];
  let err = dx + dy;
  for (;;) {
    if (at % period < dash[0]) fillRect(p, x0 - half, y0 - half, width, width, c);
    if (x0 === x1 && y0 === y1) return at;
    at++;
    const e2 = 2 * err;
    if (e2 >= dy) { err += dy; x0 += sx; }
    if (e2 <= dx) { err += dx; y0 += sy; }
  }
}

/** The scene in pixels: items painted in order over the background. */
export function rasterize(s: Scene, what: string): Picture {
  const p = blank(s.width, s.height, s.background, what);
  for (const it of s.items) {
    if (it.kind === "path") {
      let prev: readonly [number, number] | undefined, along = 0;
      for (const pt of it.points) {
        if (it.dash) along = dashedLine(p, ...(prev ?? pt), ...pt, it.colour, it.width, it.dash, along);
        else line(p, ...(prev ?? pt), ...pt, it.colour, it.width);
        prev = pt;
      }
    } else if (it.kind === "rect") {
      fillRect(p, it.x, it.y, it.w, it.h, it.colour);
    } else if (it.kind === "dot") {
      const reach = Math.floor(it.radius);
      if (reach === 0) plot(p, it.x, it.y, it.colour);
      else {
        for (let dy = -reach; dy <= reach; dy++) {
          for (let dx = -reach; dx <= reach; dx++) if (dx * dx + dy * dy <= it.radius * it.radius) fillRect(p, it.x + dx, it.y + dy, 1, 1, it.colour);
        }
      }
    } else {
      const shift = anchorShift(it.text, it.scale, it.anchor);
      if (it.upward) drawText(p, it.text, it.x, it.y + shift, it.colour, it.scale, true);
      else drawText(p, it.text, it.x - shift, it.y, it.colour, it.scale);
    }
  }
  return p;
}

const hex = (c: Rgb) => "#" + c.map((v) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, "0")).join("");
const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const num = (v: number) => String(Math.round(v * 100) / 100);

/**
 * The scene as an SVG document in the same pixel coordinates (a pixel's centre at +0.5): polylines, rectangles,
 * circles and <text> in a sans-serif face sized like the bitmap font (a capital 7 × scale pixels high).
 */
export function toSvg(s: Scene): string {
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}" viewBox="0 0 ${s.width} ${s.height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    `<rect width="${s.width}" height="${s.height}" fill="${hex(s.background)}"/>`,
  ];
  for (const it of s.items) {
    if (it.kind === "path") {
      if (it.points.length === 1) {
        const [x, y] = it.points[0];
        out.push(`<rect x="${num(x + 0.5 - it.width / 2)}" y="${num(y + 0.5 - it.width / 2)}" width="${it.width}" height="${it.width}" fill="${hex(it.colour)}"/>`);
        continue;
      }
      const pts = it.points.map(([x, y]) => `${num(x + 0.5)},${num(y + 0.5)}`).join(" ");
      const dash = it.dash ? ` stroke-dasharray="${it.dash[0]} ${it.dash[1]}"` : "";
      out.push(`<polyline points="${pts}" fill="none" stroke="${hex(it.colour)}" stroke-width="${it.width}" stroke-linejoin="round"${dash}/>`);
    } else if (it.kind === "rect") {
      out.push(`<rect x="${it.x}" y="${it.y}" width="${it.w}" height="${it.h}" fill="${hex(it.colour)}"/>`);
    } else if (it.kind === "dot") {
      out.push(`<circle cx="${it.x + 0.5}" cy="${it.y + 0.5}" r="${num(Math.max(it.radius, 0.5))}" fill="${hex(it.colour)}"/>`);
    } else {
      const size = num(it.scale * CAP_HEIGHT / 0.72), base = it.scale * CAP_HEIGHT;
      const anchor = it.anchor === "start" ? "" : ` text-anchor="${it.anchor}"`;
      if (it.upward) {
        const bx = it.x + base, by = it.y;
        out.push(`<text x="${bx}" y="${by}" font-size="${size}" fill="${hex(it.colour)}"${anchor} transform="rotate(-90 ${bx} ${by})">${esc(it.text)}</text>`);
      } else {
        out.push(`<text x="${it.x}" y="${it.y + base}" font-size="${size}" fill="${hex(it.colour)}"${anchor}>${esc(it.text)}</text>`);
      }
    }
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
