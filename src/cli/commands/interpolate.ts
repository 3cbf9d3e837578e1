// vaekit interpolate: decoded paths between the latent codes of pairs of examples; a PNG shows one path per row.
import type { Command } from "../context.js";
import { UsageError } from "../errors.js";
import { classesOf, encodeMeans, inputShapeOf, inputSizeOf, latentSizeOf, openModel } from "../model-view.js";
import { formatOf, writeMatrix, writePicture } from "../output.js";
import { LENGTHS, modelInput } from "../sequence-lengths.js";
import { gridPicture, PICTURE_OPTIONS, readData, readLabelsOption, SCALE } from "../shared-options.js";

const I = "Interpolation";

/** "a:b,c:d" → [[a, b], [c, d]]. */
function pairsOf(v: string): [number, number][] {
  const pairs = v.split(",").map((p) => /^\s*(\d+):(\d+)\s*$/.exec(p));
  if (pairs.some((m) => !m)) throw new UsageError(`--pairs must be comma-separated i:j example indices, e.g. 0:1,2:3; got '${v}'`);
  return pairs.map((m) => [Number(m![1]), Number(m![2])]);
}

/** The class index of example i (labels given as indices or one-hot rows). */
function classOf(labels: Int32Array | Float32Array, n: number, i: number): number {
  if (labels instanceof Int32Array) return labels[i];
  const w = labels.length / n;
  let best = 0;
  for (let j = 1; j < w; j++) if (labels[i * w + j] > labels[i * w + best]) best = j;
  return best;
}

export const interpolate: Command = {
  spec: {
    name: "interpolate",
    brief: "decoded paths between the codes of pairs of examples",
    summary: "Encodes pairs of examples and decodes points on the path between their latent codes (ends included); a .png shows one path per row.",
    positionals: [
      { name: "model", help: "a model file written by vaekit train (.safetensors)" },
      { name: "data", help: "examples: IDX, CSV or .npy" },
    ],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .png, .npy or .csv (steps rows per pair)", group: I },
      { name: "pairs", value: "i:j,…", help: "example indices to go between", default: "0:1", group: I },
      { name: "steps", value: "n", help: "points per path, ends included", default: "10", group: I },
      { name: "method", value: "linear|slerp", help: "a straight line, or a great-circle arc", default: "linear", group: I },
      { name: "labels", value: "file", help: "class labels of the examples (a conditional model needs them)", group: "Data" },
      { name: "label", value: "c", help: "conditional model: the class to decode with", default: "the first example's", group: I },
      LENGTHS, SCALE,
      ...PICTURE_OPTIONS,
    ],
  },

  async run(args) {
    const out = args.string("output");
    const format = formatOf(out, ["png", "npy", "csv"]);
    const pairs = pairsOf(args.string("pairs", "0:1"));
    const steps = args.whole("steps", 10, 2, 10_000);
    const method = args.choice("method", ["linear", "slerp"] as const, "linear");
    const model = await openModel(args.positionals[0]);
    try {
      const classes = classesOf(model), conditional = classes > 0;
      if (!conditional) for (const flag of ["labels", "label"]) if (args.has(flag)) throw new UsageError(`--${flag} applies to a ConditionalVAE; this model is a ${model.kind}`);
      const D = inputSizeOf(model), L = latentSizeOf(model);
      const label = args.whole("label", undefined, 0, conditional ? classes - 1 : 65535);
      const data = await readData(args, args.positionals[1], D);
      for (const [a, b] of pairs) {
        for (const i of [a, b]) if (i >= data.rows) throw new UsageError(`--pairs: example ${i} is out of range ('${args.positionals[1]}' has ${data.rows})`);
      }
      const labels = await readLabelsOption(args, data.rows, conditional && `a ${model.kind} encodes with --labels <file> (one class per example)`);
      const codes = encodeMeans(model, await modelInput(args, model, data), labels?.labels);
      const values = new Float32Array(pairs.length * steps * D);
      pairs.forEach(([a, b], p) => {
        const za = codes.subarray(a * L, (a + 1) * L), zb = codes.subarray(b * L, (b + 1) * L);
        const path = model.interpolateAny(za, zb, { steps, method, label: conditional ? label ?? classOf(labels!.labels, data.rows, a) : undefined });
        values.set(path, p * steps * D);
      });
      if (format === "png") await writePicture(out!, gridPicture(args, values, D, steps, inputShapeOf(model)));
      else await writeMatrix(out!, values, D);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
