// vaekit reconstruct: encodes and decodes examples; a PNG shows each reconstruction beside its original.
import { reconstructionGrid } from "../../pictures.js";
import type { Command } from "../context.js";
import { imageShape } from "../data.js";
import { UsageError } from "../errors.js";
import { classesOf, inputShapeOf, inputSizeOf, openModel } from "../model-view.js";
import { formatOf, writeMatrix, writePicture } from "../output.js";
import { LABELS, LIMIT, PICTURE_OPTIONS, readData, readLabelsOption, SCALE } from "../shared-options.js";
import { LENGTHS, modelInput } from "../sequence-lengths.js";

const R = "Reconstruction";

export const reconstruct: Command = {
  spec: {
    name: "reconstruct",
    brief: "reconstructions (PNG: beside the originals)",
    summary: "Encodes and decodes examples (z at the posterior mean, or sampled with --sample) and writes the reconstructions; a .png shows each beside its original.",
    positionals: [
      { name: "model", help: "a model file written by vaekit train (.safetensors)" },
      { name: "data", help: "examples: IDX, CSV or .npy" },
    ],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .png (pairs original | reconstruction), .npy or .csv", group: R },
      { name: "sample", help: "decode a sampled z instead of the posterior mean (VAE, ConditionalVAE)", group: R },
      { name: "seed", value: "s", help: "seed of the sampled z", default: "0", group: R },
      LABELS, LENGTHS, { ...LIMIT, default: "all; 32 for a .png" }, SCALE,
      ...PICTURE_OPTIONS.map((o) => (o.name === "columns" ? { ...o, help: "pairs per row" } : o)),
    ],
  },

  async run(args) {
    const out = args.string("output");
    const format = formatOf(out, ["png", "npy", "csv"]);
    if (args.has("seed") && !args.flag("sample")) throw new UsageError("--seed applies to --sample");
    const model = await openModel(args.positionals[0]);
    try {
      const sampled = args.flag("sample");
      if (sampled && !model.capabilities.sampledReconstruction) {
        throw new UsageError(`--sample applies to a VAE or ConditionalVAE; this model is a ${model.kind}`);
      }
      const conditional = classesOf(model) > 0;
      if (!conditional && args.has("labels")) throw new UsageError(`--labels applies to a ConditionalVAE; this model is a ${model.kind}`);
      const D = inputSizeOf(model);
      const shape = format === "png" ? imageShape(args.string("shape"), D, inputShapeOf(model)) : undefined;
      const data = await readData(args, args.positionals[1], D, format === "png" ? 32 : undefined);
      const labels = await readLabelsOption(args, data.rows, conditional && `a ${model.kind} reconstructs with --labels <file> (one class per example)`);
      const options = sampled ? { sample: true, seed: args.whole("seed", 0, 0, 2 ** 32 - 1) } : {};
      const recon = model.reconstructAny(await modelInput(args, model, data), { labels: labels?.labels, ...options });
      if (format === "png") {
        const [lo, hi] = args.numbers("pixel-range", [0, 1], 2)!;
        if (!(lo < hi)) throw new UsageError(`--pixel-range must be lo,hi with lo < hi; got '${args.string("pixel-range")}'`);
        await writePicture(out!, reconstructionGrid(data.values, recon, {
          shape: shape!, columns: args.whole("columns", Math.ceil(Math.sqrt(data.rows)), 1, 4096), zoom: args.whole("zoom", 1, 1, 64), range: [lo, hi],
        }));
      } else await writeMatrix(out!, recon, D);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
