// Writing results: matrices as .npy or CSV, pictures as PNG or (charts) SVG through vaekit/pictures, chosen by the
// extension.
import { VaekitError } from "../index.js";
import { encodePng, type Picture } from "../pictures.js";
import { writeCsv } from "./csv.js";
import { CliError, UsageError } from "./errors.js";
import { extension, writeBytes } from "./files.js";
import { writeNpy } from "./npy.js";

export type Format = "npy" | "csv" | "png" | "svg";

/** The format of an output path by its extension, among those a command can write. */
export function formatOf(path: string | undefined, allowed: readonly Format[]): Format {
  const list = allowed.map((f) => `.${f}`).join(", ");
  if (path === undefined) throw new UsageError(`give an output file with -o (${list})`);
  const f = extension(path).slice(1) as Format;
  if (!allowed.includes(f)) throw new UsageError(`-o '${path}': the extension must be ${list}`);
  return f;
}

/** Writes rows of `cols` values as .npy (float32, shape [rows, cols]) or CSV (with a header if given). */
export async function writeMatrix(path: string, values: Float32Array, cols: number, header?: readonly string[]): Promise<void> {
  if (extension(path) === ".npy") await writeBytes(path, writeNpy(values, [values.length / cols, cols]));
  else await writeBytes(path, writeCsv(values, cols, header));
}

export async function writePicture(path: string, picture: Picture): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await encodePng(picture);
  } catch (e) {
    if (e instanceof VaekitError && e.code === "MISSING_DEPENDENCY") {
      throw new CliError("writing a .png needs the optional package fast-png (npm install fast-png); or write .npy or .csv");
    }
    throw e;
  }
  await writeBytes(path, bytes);
}

/** Writes a chart as PNG pixels or, for a path ending in .svg, as the same chart in SVG (text stays sharp). */
export async function writeChart(path: string, draw: { png: () => Picture; svg: () => string }): Promise<void> {
  if (extension(path) === ".svg") await writeBytes(path, draw.svg());
  else await writePicture(path, draw.png());
}
