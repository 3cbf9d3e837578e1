// vaekit traverse: one latent dimension at a time swept over a range around a code (the origin, or an example's),
// decoded; a PNG shows one dimension per row.
import type { Command } from "../context.js";
import { UsageError } from "../errors.js";
import { classesOf, encodeMeans, inputShapeOf, inputSizeOf, latentSizeOf, openModel } from "../model-view.js";
import { formatOf, writeMatrix, writePicture } from "../output.js";
import { inputRows, LENGTHS, modelInput } from "../sequence-lengths.js";
import { gridPicture, PICTURE_OPTIONS, readLabelsOption, SCALE, readData } from "../shared-options.js";
import { rangeOption } from "./sample.js";

const T = "Traversal";

export const traverse: Command = {
  spec: {
    name: "traverse",
    brief: "sweep latent dimensions one at a time",
    summary: "Sweeps latent dimensions one at a time over a range, the others fixed at a code (the origin, or an example's posterior mean), and writes the decoded rows; a .png shows one dimension per row.",
    positionals: [{ name: "model", help: "a model file written by vaekit train (.safetensors)" }],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .png, .npy or .csv (steps rows per dimension)", group: T },
      { name: "dims", value: "i,j,…", help: "latent dimensions to sweep", default: "the first 10", group: T },
      { name: "range", value: "r|lo,hi", help: "values each dimension takes", default: "3, i.e. −3…3", group: T },
      { name: "steps", value: "n", help: "values per dimension", default: "7", group: T },
      { name: "data", value: "file", help: "start from an example's code instead of the origin (IDX, CSV or .npy)", group: T },
      { name: "index", value: "i", help: "which example of --data", default: "0", group: T },
      { name: "labels", value: "file", help: "class labels of --data (conditional model)", group: T },
      { name: "label", value: "c", help: "conditional model: the class to decode with", default: "the example's", group: T },
      { ...LENGTHS, help: "vrnn: the --data sequences' lengths (1 to T per row); steps after a length are padding" },
      SCALE,
      ...PICTURE_OPTIONS,
    ],
  },

  async run(args) {
    const out = args.string("output");
    const format = formatOf(out, ["png", "npy", "csv"]);
    const steps = args.whole("steps", 7, 1, 10_000);
    const [lo, hi] = rangeOption(args, 3);
    for (const flag of ["index", "labels", "scale", "lengths"]) if (args.has(flag) && !args.has("data")) throw new UsageError(`--${flag} applies to --data`);
    const model = await openModel(args.positionals[0]);
    try {
      const classes = classesOf(model), conditional = classes > 0;
      if (!conditional) for (const flag of ["labels", "label"]) if (args.has(flag)) throw new UsageError(`--${flag} applies to a ConditionalVAE; this model is a ${model.kind}`);
      const D = inputSizeOf(model), L = latentSizeOf(model);
      const dims = args.wholes("dims", Array.from({ length: Math.min(L, 10) }, (_, j) => j), 0)!;
      for (const d of dims) if (d >= L) throw new UsageError(`--dims: the latent space has dimensions 0 to ${L - 1}; got ${d}`);
      let label = args.whole("label", undefined, 0, conditional ? classes - 1 : 65535);
      let z: Float32Array = new Float32Array(L);
      if (args.has("data")) {
        const path = args.string("data")!;
        const index = args.whole("index", 0, 0);
        const data = await readData(args, path, D);
        if (index >= data.rows) throw new UsageError(`--index ${index} is out of range ('${path}' has ${data.rows} examples)`);
        const labels = await readLabelsOption(args, data.rows, conditional && `a ${model.kind} encodes --data with --labels <file>`);
        const x = inputRows(await modelInput(args, model, data), D, index, index + 1);
        let y: Int32Array | Float32Array | undefined;
        if (labels) {
          const w = labels.labels.length / data.rows;
          y = labels.labels.slice(index * w, (index + 1) * w);
          if (label === undefined) label = w === 1 ? y[0] : y.indexOf(Math.max(...y));
        }
        z = encodeMeans(model, x, y);
      } else if (conditional && label === undefined) throw new UsageError(`a ${model.kind} decodes one class at a time: give --label <c>`);
      const values = Array.from({ length: steps }, (_, i) => (steps === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (steps - 1)));
      const rows = new Float32Array(dims.length * steps * D);
      dims.forEach((d, k) => {
        const sweep = model.traverseAny(z, d, { values, label });
        rows.set(sweep, k * steps * D);
      });
      if (format === "png") await writePicture(out!, gridPicture(args, rows, D, steps, inputShapeOf(model)));
      else await writeMatrix(out!, rows, D);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
