// The grouped models' pictures from the command line (vaekit/grouped, loaded on demand):
//   vaekit swap <model> <content-data> <style-data>   a MultiLevelVAE's swap grid: each row one content (accumulated
//                                                      over its group with --content-groups), each column one style
//   vaekit complete <model> <data> --present <file>    a HybridVAE's imputation of the missing parts
import type { HybridVAE, MultiLevelVAE } from "../../grouped.js";
import type { Args } from "../args.js";
import type { Command } from "../context.js";
import { imageGrid } from "../../pictures.js";
import { checkLabelCount, imageShape, readLabels, readMatrix } from "../data.js";
import { UsageError } from "../errors.js";
import { openModel, type CliModel } from "../model-view.js";
import { formatOf, writeMatrix, writePicture } from "../output.js";
import { gridPicture, LIMIT, PICTURE_OPTIONS, readData, SCALE } from "../shared-options.js";

const G = "Grouped models";

/** The model of `path`, refused unless it is a `kind`. */
async function openKind<T>(path: string, kind: string, command: string): Promise<T> {
  const m: CliModel = await openModel(path);
  if (m.kind !== kind) {
    m.dispose();
    throw new UsageError(`vaekit ${command} takes a ${kind}; '${path}' holds a ${m.kind}`);
  }
  return m as unknown as T;
}

function pictureOptions(args: Args, format: string): void {
  if (format === "png") return;
  for (const o of PICTURE_OPTIONS) if (args.has(o.name)) throw new UsageError(`--${o.name} applies to a .png output`);
}

export const swap: Command = {
  spec: {
    name: "swap",
    brief: "a multi-level VAE's swap grid: contents × styles (PNG, .npy, CSV)",
    summary: "Decodes the content of each <content-data> example (its group's, accumulated, with --content-groups) with the style of each <style-data> example. A .png shows the style examples as its first row, then one row per content; .npy and .csv hold the decoded rows content-major.",
    positionals: [
      { name: "model", help: "a MultiLevelVAE file written by vaekit train --model multi-level" },
      { name: "content-data", help: "the examples whose content each row takes: IDX, CSV or .npy" },
      { name: "style-data", help: "the examples whose style each column takes: IDX, CSV or .npy" },
    ],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .png, .npy or .csv", group: G },
      { name: "content-groups", value: "file", help: "a group id per content example (IDX, CSV or .npy): each row then shows its group's accumulated content; with --distinct, one row per group", group: G },
      { name: "distinct", help: "with --content-groups: one row per group instead of one per content example", group: G },
      { ...LIMIT, help: "use the first n examples of each data file", default: "all; 10 for a .png" }, SCALE,
      ...PICTURE_OPTIONS.map((o) => (o.name === "columns" ? { ...o, help: "images per row", default: "the number of styles" } : o)),
    ],
  },

  async run(args) {
    const out = args.string("output");
    const format = formatOf(out, ["png", "npy", "csv"]);
    pictureOptions(args, format);
    if (args.flag("distinct") && !args.has("content-groups")) throw new UsageError("--distinct needs --content-groups <file>");
    const m = await openKind<MultiLevelVAE>(args.positionals[0], "MultiLevelVAE", "swap");
    try {
      const D = m.config.inputSize;
      const limit = format === "png" ? 10 : undefined;
      const contents = await readData(args, args.positionals[1], D, limit);
      const styles = await readData(args, args.positionals[2], D, limit);
      let groups: Int32Array | undefined;
      if (args.has("content-groups")) {
        const path = args.string("content-groups")!;
        const set = await readLabels(path, args.whole("limit", limit, 1));
        checkLabelCount("--content-groups", path, set, contents.rows);
        if (!(set.labels instanceof Int32Array)) throw new UsageError(`--content-groups '${path}': expected one group id per example, not rows of several values`);
        groups = set.labels;
      }
      const grid = m.swap(contents.values, styles.values, groups ? { contentGroups: groups } : {});
      // --distinct: the first row of each group (its members' rows are identical)
      let keep: number[] | undefined;
      if (groups && args.flag("distinct")) {
        const seen = new Set<number>();
        keep = [];
        groups.forEach((g, i) => {
          if (!seen.has(g)) keep!.push(i);
          seen.add(g);
        });
      }
      const ns = styles.rows, rowLen = ns * D;
      const rows = keep ? keep.map((i) => grid.subarray(i * rowLen, (i + 1) * rowLen)) : Array.from({ length: contents.rows }, (_, i) => grid.subarray(i * rowLen, (i + 1) * rowLen));
      if (format === "png") {
        const all = new Float32Array((rows.length + 1) * rowLen);
        all.set(styles.values, 0);
        rows.forEach((r, i) => all.set(r, (i + 1) * rowLen));
        await writePicture(out!, gridPicture(args, all, D, ns));
      } else {
        const all = new Float32Array(rows.length * rowLen);
        rows.forEach((r, i) => all.set(r, i * rowLen));
        await writeMatrix(out!, all, D);
      }
      return 0;
    } finally {
      m.dispose();
    }
  },
};

export const complete: Command = {
  spec: {
    name: "complete",
    brief: "fill in a hybrid VAE's missing parts (PNG: input beside completion)",
    summary: "Fills in the parts --present marks missing (0) in each example with a HybridVAE: decoded at the posterior mean of the parts present (or sampled with --sample). A .png shows each example, missing parts blank, beside its completion.",
    positionals: [
      { name: "model", help: "a HybridVAE file written by vaekit train --model hybrid" },
      { name: "data", help: "examples, the parts side by side (missing parts' values are ignored): IDX, CSV or .npy" },
    ],
    options: [
      { name: "output", short: "o", value: "file", help: "where to write: .png (pairs input | completion), .npy or .csv", group: G },
      { name: "present", value: "file", help: "which parts each example has: a row of 0/1 per example, one per part (IDX, CSV or .npy)", group: G },
      { name: "sample", help: "decode a z drawn from the posterior instead of its mean", group: G },
      { name: "seed", value: "s", help: "seed of --sample", default: "the model's seed", group: G },
      { ...LIMIT, default: "all; 32 for a .png" }, SCALE,
      ...PICTURE_OPTIONS.map((o) => (o.name === "columns" ? { ...o, help: "pairs per row" } : o)),
    ],
  },

  async run(args) {
    const out = args.string("output");
    const format = formatOf(out, ["png", "npy", "csv"]);
    pictureOptions(args, format);
    if (args.has("seed") && !args.flag("sample")) throw new UsageError("--seed applies to --sample");
    if (!args.has("present")) throw new UsageError("vaekit complete needs --present <file> (a row of 0/1 per example: which parts it has)");
    const m = await openKind<HybridVAE>(args.positionals[0], "HybridVAE", "complete");
    try {
      const layout = m.partLayout, W = layout.reduce((s, p) => s + p.size, 0), P = layout.length;
      const data = await readData(args, args.positionals[1], W, format === "png" ? 32 : undefined);
      const path = args.string("present")!;
      const present = await readMatrix(path, 1, args.whole("limit", format === "png" ? 32 : undefined, 1));
      if (present.rows !== data.rows || present.cols !== P) {
        throw new UsageError(`--present '${path}' holds ${present.rows} rows of ${present.cols}; give one row of ${P} flags (${layout.map((p) => p.name).join(", ")}) per example (${data.rows})`);
      }
      const filled = m.impute(data.values, { present: present.values, ...(args.flag("sample") ? { sample: true, ...(args.has("seed") ? { seed: args.whole("seed", 0, 0, 2 ** 32 - 1) } : {}) } : {}) });
      if (format === "png") {
        // pairs: the input with its missing parts blank, then the completion
        const pairs = new Float32Array(2 * data.rows * W);
        for (let r = 0; r < data.rows; r++) {
          const shown = data.values.slice(r * W, (r + 1) * W);
          layout.forEach((p, j) => { if (present.values[r * P + j] === 0) shown.fill(0, p.offset, p.offset + p.size); });
          pairs.set(shown, 2 * r * W);
          pairs.set(filled.subarray(r * W, (r + 1) * W), (2 * r + 1) * W);
        }
        const [lo, hi] = args.numbers("pixel-range", [0, 1], 2)!;
        if (!(lo < hi)) throw new UsageError(`--pixel-range must be lo,hi with lo < hi; got '${args.string("pixel-range")}'`);
        await writePicture(out!, imageGrid(pairs, {
          shape: imageShape(args.string("shape"), W), columns: 2 * args.whole("columns", Math.ceil(Math.sqrt(data.rows)), 1, 2048),
          zoom: args.whole("zoom", 1, 1, 64), range: [lo, hi],
        }));
      } else await writeMatrix(out!, filled, W);
      return 0;
    } finally {
      m.dispose();
    }
  },
};
