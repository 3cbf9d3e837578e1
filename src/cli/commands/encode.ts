// vaekit encode: the latent code of each example (posterior mean; optionally the log-variance too) as CSV or .npy,
// or a PNG scatter of two latent dimensions coloured by label.
import { latentScatter, latentScatterSvg, type ScatterOptions } from "../../pictures.js";
import type { Command } from "../context.js";
import { UsageError } from "../errors.js";
import { classesOf, inputSizeOf, latentSizeOf, openModel } from "../model-view.js";
import { formatOf, writeChart, writeMatrix } from "../output.js";
import { LIMIT, readData, readLabelsOption, SCALE } from "../shared-options.js";
import { LENGTHS, modelInput } from "../sequence-lengths.js";

const E = "Encoding";
const P = "Scatter plot (output ending in .png or .svg)";

/** Class indices from labels given as indices or one-hot rows (the largest entry of each row). */
function classIndices(labels: Int32Array | Float32Array, n: number): Int32Array {
  if (labels instanceof Int32Array) return labels;
  const w = labels.length / n;
  return Int32Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let j = 1; j < w; j++) if (labels[r * w + j] > labels[r * w + best]) best = j;
    return best;
  });
}

export const encode: Command = {
  spec: {
    name: "encode",
    brief: "latent codes as CSV or .npy, or a PNG or SVG scatter coloured by label",
    summary: "Writes the latent code of each example (the posterior mean; an autoencoder's code; a hierarchical model's z2, or z1 with --layer z1) as CSV or .npy, or a scatter plot of two latent dimensions as .png or .svg (ticks, axis titles, a legend of the --labels classes).",
    positionals: [
      { name: "model", help: "a model file written by vaekit train (.safetensors)" },
      { name: "data", help: "examples: IDX, CSV or .npy" },
    ],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .csv or .npy (one row per example), or .png or .svg (a scatter plot)", group: E },
      { name: "log-var", help: "also write the posterior log-variances, after the means (VAE family)", group: E },
      { name: "layer", value: "z1|z2", help: "hierarchical model: which latent layer", default: "z2", group: E },
      { name: "labels", value: "file", help: "class labels (IDX, CSV or .npy): needed by a conditional model; colour the scatter plot", group: "Data" },
      LENGTHS, LIMIT, SCALE,
      { name: "dims", value: "i,j", help: "the latent dimensions plotted across and up", default: "0,1", group: P },
      { name: "size", value: "WxH", help: "picture size in pixels", default: "480x480", group: P },
      { name: "radius", value: "r", help: "dot radius in pixels", default: "1.5", group: P },
    ],
  },

  async run(args) {
    const out = args.string("output");
    const format = formatOf(out, ["csv", "npy", "png", "svg"]);
    const picture = format === "png" || format === "svg";
    if (!picture) for (const flag of ["dims", "size", "radius"]) if (args.has(flag)) throw new UsageError(`--${flag} applies to a .png output or an .svg one`);
    if (picture && args.flag("log-var")) throw new UsageError("--log-var applies to .csv or .npy output");
    const model = await openModel(args.positionals[0]);
    try {
      const layer = args.choice("layer", ["z1", "z2"] as const, undefined);
      const layers = model.capabilities.latentLayers;
      if (layer && !(layer in layers)) throw new UsageError(`--layer applies to a HierarchicalVAE; this model is a ${model.kind}`);
      if (args.flag("log-var") && !model.capabilities.posterior) throw new UsageError("--log-var applies to the VAE family; an autoencoder's code is deterministic");
      const conditional = classesOf(model) > 0;
      if (!conditional && !picture && args.has("labels")) {
        throw new UsageError(`--labels colours a .png or .svg scatter plot; a ${model.kind} encodes without them`);
      }
      const L = layer ? layers[layer] : latentSizeOf(model);
      let dims: [number, number] = [0, 1];
      if (picture) {
        const d = args.wholes("dims", [0, 1], 0, 2)!;
        if (d[0] >= L || d[1] >= L) throw new UsageError(`--dims must name latent dimensions from 0 to ${L - 1}; got '${args.string("dims") ?? "0,1"}'${L < 2 ? ` (this model's latent space has ${L})` : ""}`);
        dims = [d[0], d[1]];
      }
      const data = await readData(args, args.positionals[1], inputSizeOf(model));
      const labels = await readLabelsOption(args, data.rows, conditional && `a ${model.kind} encodes with --labels <file> (one class per example)`);
      const x = await modelInput(args, model, data);
      const { mean, logVar } = model.encodeAny(x, { labels: conditional ? labels!.labels : undefined, layer });
      if (picture) {
        const size = args.string("size", "480x480");
        const m = /^(\d+)x(\d+)$/i.exec(size);
        if (!m || +m[1] < 16 || +m[2] < 16 || +m[1] > 8192 || +m[2] > 8192) throw new UsageError(`--size must be WxH with each side from 16 to 8192 pixels, e.g. 480x480; got '${size}'`);
        const classes = labels ? classIndices(labels.labels, data.rows) : undefined;
        const options: ScatterOptions = {
          columns: L, axes: dims, width: +m[1], height: +m[2], radius: args.number("radius", 1.5, { min: 0, max: 64 }),
          labels: classes, ticks: true, xTitle: `z${dims[0]}`, yTitle: `z${dims[1]}`, legend: classes !== undefined,
        };
        await writeChart(out!, { png: () => latentScatter(mean, options), svg: () => latentScatterSvg(mean, options) });
        return 0;
      }
      const header = Array.from({ length: L }, (_, j) => `z${j}`);
      if (!args.flag("log-var")) {
        await writeMatrix(out!, mean, L, header);
        return 0;
      }
      const both = new Float32Array(data.rows * 2 * L);
      for (let r = 0; r < data.rows; r++) {
        both.set(mean.subarray(r * L, (r + 1) * L), r * 2 * L);
        both.set(logVar!.subarray(r * L, (r + 1) * L), r * 2 * L + L);
      }
      await writeMatrix(out!, both, 2 * L, [...header, ...header.map((h) => `logvar_${h}`)]);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
