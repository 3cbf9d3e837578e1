// vaekit sample: draws examples from a model's prior (or decodes the grid of a 2-D latent space, --manifold) and
// writes them as .npy, CSV or a PNG grid.
import type { Args } from "../args.js";
import type { Command } from "../context.js";
import { UsageError } from "../errors.js";
import { inputShapeOf, inputSizeOf, labelOf, latentSizeOf, openModel } from "../model-view.js";
import { formatOf, writeMatrix, writePicture } from "../output.js";
import { gridPicture, PICTURE_OPTIONS } from "../shared-options.js";

const S = "Sampling";

/** --range r (for [−r, r]) or lo,hi. */
export function rangeOption(args: Args, fallback: number): [number, number] {
  const v = args.string("range");
  if (v === undefined) return [-fallback, fallback];
  const parts = args.numbers("range", undefined)!;
  if (parts.length === 1 && parts[0] > 0) return [-parts[0], parts[0]];
  if (parts.length === 2 && parts[0] < parts[1]) return [parts[0], parts[1]];
  throw new UsageError(`--range must be r > 0 (for −r…r) or lo,hi with lo < hi; got '${v}'`);
}

export const sample: Command = {
  spec: {
    name: "sample",
    brief: "draw examples (or the 2-D latent manifold) as .npy, CSV or PNG",
    summary: "Draws examples from a model (z from the prior, decoded) and writes them; with --manifold, decodes a grid over a 2-D latent space.",
    positionals: [{ name: "model", help: "a model file written by vaekit train (.safetensors)" }],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .png (a grid), .npy or .csv (one example per row)", group: S },
      { name: "count", short: "n", value: "n", help: "examples to draw", default: "64", group: S },
      { name: "seed", value: "s", help: "seed of z", default: "0", group: S },
      { name: "label", value: "c", help: "the class to draw (a conditional model needs one)", group: S },
      { name: "manifold", help: "decode a grid × grid lattice over a 2-D latent space instead (z0 across, z1 up)", group: S },
      { name: "grid", value: "n", help: "lattice size of --manifold", default: "10", group: S },
      { name: "range", value: "r|lo,hi", help: "latent values the lattice spans", default: "2, i.e. −2…2", group: S },
      ...PICTURE_OPTIONS,
    ],
  },

  async run(args) {
    const format = formatOf(args.string("output"), ["png", "npy", "csv"]);
    const manifold = args.flag("manifold");
    if (!manifold) {
      for (const flag of ["grid", "range"]) if (args.has(flag)) throw new UsageError(`--${flag} applies to --manifold`);
    } else if (args.has("count") || args.has("seed")) throw new UsageError(`--${args.has("count") ? "count" : "seed"} does not apply to --manifold (the lattice is fixed)`);
    const model = await openModel(args.positionals[0]);
    try {
      if (!model.capabilities.sampling) throw new UsageError(`an ${model.kind} has no prior to sample from; use reconstruct, interpolate or traverse`);
      const label = labelOf(model, args.whole("label", undefined, 0, 65535), "sample");
      const D = inputSizeOf(model);
      let values: Float32Array;
      let columns: number;
      if (manifold) {
        if (latentSizeOf(model) !== 2) throw new UsageError(`--manifold needs a 2-D latent space; this model's has ${latentSizeOf(model)} dimensions`);
        const size = args.whole("grid", 10, 1, 1000);
        const range = rangeOption(args, 2);
        values = model.latentGridAny({ label, size, range });
        columns = size;
      } else {
        const n = args.whole("count", 64, 1, 1 << 20);
        const seed = args.whole("seed", 0, 0, 2 ** 32 - 1);
        values = model.sampleAny(n, { label, seed });
        columns = Math.ceil(Math.sqrt(n));
      }
      if (format === "png") await writePicture(args.string("output")!, gridPicture(args, values, D, columns, inputShapeOf(model)));
      else await writeMatrix(args.string("output")!, values, D);
      return 0;
    } finally {
      model.dispose();
    }
  },
};
