// Options several commands share: reading data (--limit, --scale, --labels), and laying out PNG grids.
import { imageGrid, type Picture } from "../pictures.js";
import type { Args, OptionSpec } from "./args.js";
import { checkLabelCount, imageShape, readLabels, readMatrix, type LabelSet, type Matrix } from "./data.js";
import { UsageError } from "./errors.js";

const D = "Data";
const P = "Pictures (output ending in .png)";

export const LIMIT: OptionSpec = { name: "limit", value: "n", help: "use the first n examples", default: "all", group: D };
export const SCALE: OptionSpec = {
  name: "scale", value: "s|auto", help: "multiply input values by s; auto divides byte data (IDX, .npy uint8) by 255", default: "auto", group: D,
};
export const LABELS: OptionSpec = { name: "labels", value: "file", help: "class labels, one per example (IDX, CSV or .npy): needed by a conditional model", group: D };
export const QUIET: OptionSpec = { name: "quiet", short: "q", help: "no progress output", group: "Other" };

export const PICTURE_OPTIONS: OptionSpec[] = [
  { name: "shape", value: "HxW[xC]", help: "image height, width (and 1 or 3 channels) of one example", default: "the model's inputShape, else square, e.g. 28x28 for 784", group: P },
  { name: "columns", value: "n", help: "images per row", group: P },
  { name: "zoom", value: "k", help: "draw each value as k × k pixels", default: "1", group: P },
  { name: "pixel-range", value: "lo,hi", help: "values drawn black and white", default: "0,1", group: P },
];

export function scaleOf(args: Args): number | "auto" {
  const s = args.string("scale", "auto");
  return s === "auto" ? "auto" : args.number("scale", 1, { min: 0, open: true });
}

/** Reads the positional data file with --limit and --scale, checking its width against the model's input. */
export async function readData(args: Args, path: string, inputSize?: number, limitFallback?: number): Promise<Matrix> {
  const m = await readMatrix(path, scaleOf(args), args.whole("limit", limitFallback, 1));
  if (inputSize !== undefined && m.cols !== inputSize) {
    throw new UsageError(`'${path}' has ${m.cols} values per example; the model takes ${inputSize}`);
  }
  return m;
}

/** Reads --labels (when `required`, or when given) for `rows` examples. */
export async function readLabelsOption(args: Args, rows: number, required: string | false, flag = "labels"): Promise<LabelSet | undefined> {
  const path = args.string(flag);
  if (path === undefined) {
    if (required) throw new UsageError(required);
    return undefined;
  }
  const set = await readLabels(path, args.whole("limit", undefined, 1));
  checkLabelCount(`--${flag}`, path, set, rows);
  return set;
}

/** A grid picture of rows of `size` values, laid out by the picture options. */
export function gridPicture(args: Args, values: Float32Array, size: number, columns: number, modelShape?: readonly number[]): Picture {
  const [lo, hi] = args.numbers("pixel-range", [0, 1], 2)!;
  if (!(lo < hi)) throw new UsageError(`--pixel-range must be lo,hi with lo < hi; got '${args.string("pixel-range")}'`);
  return imageGrid(values, {
    shape: imageShape(args.string("shape"), size, modelShape),
    columns: args.whole("columns", columns, 1, 4096),
    zoom: args.whole("zoom", 1, 1, 64),
    range: [lo, hi],
  });
}
