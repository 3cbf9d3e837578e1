// Input data for every command: IDX (raw or gzipped), CSV or .npy, read into rows of float32 values; and class
// labels (indices or one-hot rows) from the same formats.
import { readIdx, VaekitError } from "../index.js";
import { readCsv } from "./csv.js";
import { CliError, UsageError } from "./errors.js";
import { extension, readBytes } from "./files.js";
import { readNpy } from "./npy.js";

/** Examples as rows: `rows` × `cols` values. `bytes` is true for unsigned-byte data (IDX u8, .npy uint8). */
export interface Matrix {
  values: Float32Array;
  rows: number;
  cols: number;
  bytes: boolean;
}

/** Class labels: indices (Int32Array) or one row of `classes` values per example (Float32Array). */
export interface LabelSet {
  labels: Int32Array | Float32Array;
  count: number;
  /** Classes the labels imply: the largest index + 1, or the row width. */
  classes: number;
}

interface Raw {
  shape: number[];
  data: ArrayLike<number>;
  bytes: boolean;
}

async function readRaw(path: string): Promise<Raw> {
  const bytes = await readBytes(path);
  const ext = extension(path);
  if (ext === ".csv") {
    const t = readCsv(new TextDecoder().decode(bytes), `'${path}'`);
    return { shape: [t.rows, t.cols], data: t.values, bytes: false };
  }
  if (ext === ".npy") {
    const a = readNpy(bytes, `'${path}'`);
    return { shape: a.shape, data: a.data, bytes: a.dtype === "|u1" };
  }
  const gz = bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (!gz && !(bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0)) {
    throw new CliError(`cannot tell the format of '${path}': expected a CSV file (.csv), a NumPy file (.npy) or an IDX file (raw or .gz)`);
  }
  try {
    const a = await readIdx(bytes);
    return { shape: a.shape, data: a.data, bytes: a.data instanceof Uint8Array };
  } catch (e) {
    if (e instanceof VaekitError) throw new CliError(`'${path}': ${e.message.replace(/^readIdx: /, "")}`);
    throw e;
  }
}

/**
 * Reads examples: the first dimension counts them, the others are flattened (IDX images [n, 28, 28] become
 * rows of 784). Values are multiplied by `scale`, or by 1/255 for byte data when `scale` is "auto".
 */
export async function readMatrix(path: string, scale: number | "auto" = "auto", limit?: number): Promise<Matrix> {
  const raw = await readRaw(path);
  if (raw.shape.length === 0) throw new CliError(`'${path}' holds a single value; expected one example per row`);
  const rows0 = raw.shape[0];
  const cols = raw.shape.length === 1 ? 1 : raw.shape.slice(1).reduce((a, b) => a * b, 1);
  if (rows0 === 0 || cols === 0) throw new CliError(`'${path}' holds no examples (shape ${raw.shape.join(" × ")})`);
  const rows = limit === undefined ? rows0 : Math.min(limit, rows0);
  const values = new Float32Array(rows * cols);
  if (scale === "auto" && raw.bytes) for (let i = 0; i < values.length; i++) values[i] = raw.data[i] / 255; // as readIdxImages
  else {
    const s = scale === "auto" ? 1 : scale;
    for (let i = 0; i < values.length; i++) values[i] = raw.data[i] * s;
  }
  return { values, rows, cols, bytes: raw.bytes };
}

/** Reads class labels: a vector of class indices (IDX, one CSV column, 1-D .npy), or one-hot rows (2-D). */
export async function readLabels(path: string, limit?: number): Promise<LabelSet> {
  const raw = await readRaw(path);
  const rows0 = raw.shape[0] ?? 0;
  const width = raw.shape.length <= 1 ? 1 : raw.shape.slice(1).reduce((a, b) => a * b, 1);
  const count = limit === undefined ? rows0 : Math.min(limit, rows0);
  if (count === 0) throw new CliError(`'${path}' holds no labels`);
  if (width === 1) {
    const labels = new Int32Array(count);
    let max = 0;
    for (let i = 0; i < count; i++) {
      const v = raw.data[i];
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new CliError(`'${path}': label ${i} is ${v}; expected a class index (a whole number ≥ 0)`);
      labels[i] = v;
      max = Math.max(max, v);
    }
    return { labels, count, classes: Math.max(2, max + 1) };
  }
  return { labels: Float32Array.from({ length: count * width }, (_, i) => raw.data[i]), count, classes: width };
}

/** Checks that labels come one per example. */
export function checkLabelCount(flag: string, path: string, set: LabelSet, examples: number): void {
  if (set.count !== examples) {
    throw new CliError(`${flag} '${path}' holds ${set.count} labels for ${examples} examples; give one per example`);
  }
}

/**
 * The layout of one example as an image: --shape HxW (grey) or HxWxC (C = 1 or 3, channels-last), else the model's
 * own image shape (a conv model's inputShape), else a square for a square size.
 */
export function imageShape(given: string | undefined, size: number, modelShape?: readonly number[]): [number, number] | [number, number, number] {
  if (given !== undefined) {
    const m = /^(\d+)x(\d+)(?:x(\d+))?$/i.exec(given.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1 || (m[3] !== undefined && m[3] !== "1" && m[3] !== "3")) {
      throw new UsageError(`--shape must be HxW or HxWxC with C = 1 or 3 channels, e.g. 28x28 or 32x32x3; got '${given}'`);
    }
    const [h, w, c] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 1)];
    if (h * w * c !== size) throw new UsageError(`--shape ${given.trim()} holds ${h * w * c} values, but each example has ${size}`);
    return c === 1 ? [h, w] : [h, w, c];
  }
  if (modelShape?.length === 3 && modelShape[0] * modelShape[1] * modelShape[2] === size) {
    const [h, w, c] = modelShape;
    if (c === 1) return [h, w];
    if (c === 3) return [h, w, 3];
    throw new UsageError(`the model's images have ${c} channels; pictures draw 1 (grey) or 3 (RGB): give --shape HxW to draw one channel's worth`);
  }
  const side = Math.round(Math.sqrt(size));
  if (side * side !== size) throw new UsageError(`examples of ${size} values are not square images; give --shape HxW`);
  return [side, side];
}
