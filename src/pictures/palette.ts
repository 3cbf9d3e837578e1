// The fixed colours of scatter points and chart lines: class or series k gets PALETTE[k mod 10].

/**
 * Ten distinguishable colours (the "category10" set) as [r, g, b]: label or series k is drawn in
 * PALETTE[k mod 10], so the same class has the same colour in every picture.
 *
 * @example
 * ```ts
 * const [r, g, b] = PALETTE[3]; // the colour of label 3
 * ```
 */
export const PALETTE: readonly (readonly [number, number, number])[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export const FRAME: readonly [number, number, number] = [200, 200, 200];
export const AXIS: readonly [number, number, number] = [232, 232, 232];
export const INK: readonly [number, number, number] = [64, 64, 64];
export const GRID: readonly [number, number, number] = [238, 238, 238];
