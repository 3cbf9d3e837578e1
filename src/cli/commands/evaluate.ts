// vaekit evaluate: the mean loss terms of a model on data, and with --samples k its importance-sampled estimate of
// log p(x) (in blocks of examples, with a progress bar).
import type { Command } from "../context.js";
import { checkpoint } from "../context.js";
import { UsageError } from "../errors.js";
import { classesOf, describe, inputSizeOf, openModel, type CliModel } from "../model-view.js";
import { Progress } from "../progress.js";
import { LABELS, LIMIT, QUIET, readData, readLabelsOption, SCALE } from "../shared-options.js";
import { inputRows, LENGTHS, modelInput } from "../sequence-lengths.js";
import type { Sequences } from "../../sequence.js";

/** Examples per logLikelihood call; block b uses seed + b. */
export const LL_BLOCK = 100;

export const evaluate: Command = {
  spec: {
    name: "evaluate",
    brief: "loss terms, and log-likelihood with --samples k",
    summary: "Prints a model's mean loss terms per example on <data> (nats), and with --samples k its estimate of the mean log-likelihood log p(x).",
    details:
      `The log-likelihood is log (1/k) Σ p(x, z_i)/q(z_i|x) over k samples of q(z|x), computed in blocks of ${LL_BLOCK} examples ` +
      `(block b with seed + b). An autoencoder has no likelihood of x: only its loss terms are printed.`,
    positionals: [
      { name: "model", help: "a model file written by vaekit train (.safetensors)" },
      { name: "data", help: "examples: IDX, CSV or .npy" },
    ],
    options: [
      { name: "samples", value: "k", help: "estimate log p(x) with k importance samples per example", default: "off", group: "Evaluation" },
      { name: "seed", value: "s", help: "seed of the sampled z", default: "0", group: "Evaluation" },
      { name: "batch-size", value: "n", help: "decoder rows per block of the log-likelihood (memory bound)", default: "1024", group: "Evaluation" },
      { name: "json", help: "print one JSON object instead of lines", group: "Evaluation" },
      LABELS, LENGTHS, LIMIT, SCALE, QUIET,
    ],
  },

  async run(args, ctx) {
    const model = await openModel(args.positionals[0]);
    try {
      const k = args.whole("samples", undefined, 1, 100_000);
      const seed = args.whole("seed", 0, 0, 2 ** 32 - 1);
      const block = args.whole("batch-size", 1024, 1, 1 << 24);
      if (!model.capabilities.logLikelihood) {
        for (const flag of ["samples", "seed", "batch-size"]) {
          if (args.has(flag)) throw new UsageError(`--${flag} applies to the VAE family; an ${model.kind} has no likelihood of x`);
        }
      }
      if (model.kind === "VRNN" && args.has("batch-size")) throw new UsageError("--batch-size applies to the VAE family's log-likelihood; a VRNN's runs in its own blocks");
      const conditional = classesOf(model) > 0;
      if (!conditional && args.has("labels")) throw new UsageError(`--labels applies to a ConditionalVAE; this model is a ${model.kind}`);
      const data = await readData(args, args.positionals[1], inputSizeOf(model));
      const labels = await readLabelsOption(args, data.rows, conditional && `a ${model.kind} is evaluated with --labels <file> (one class per example)`);
      const x = await modelInput(args, model, data);
      const terms: Record<string, number> = { ...model.evaluateAny(x, { labels: labels?.labels, seed }) };
      const result: Record<string, number> = { examples: data.rows, ...terms };
      if (k !== undefined) {
        result.logLikelihood = await logLikelihood(model, x, data.cols, labels?.labels, { k, seed, block }, args.flag("quiet"), ctx);
        result.samples = k;
      }
      if (args.flag("json")) ctx.stdout.write(JSON.stringify({ model: describe(model), ...result }) + "\n");
      else {
        const lines: [string, string][] = [["model", describe(model)]];
        for (const [key, v] of Object.entries(result)) {
          if (key === "samples") continue;
          const text = Number.isInteger(v) ? String(v) : v.toFixed(4);
          lines.push(key === "logLikelihood" ? ["log-likelihood", `${text}  (k = ${k})`] : [key, text]);
        }
        const width = Math.max(...lines.map(([key]) => key.length)) + 2;
        for (const [key, text] of lines) ctx.stdout.write(`${key.padEnd(width)}${text}\n`);
      }
      return 0;
    } finally {
      model.dispose();
    }
  },
};

async function logLikelihood(model: CliModel, x: Float32Array, D: number, labels: Int32Array | Float32Array | undefined,
  o: { k: number; seed: number; block: number }, quiet: boolean, ctx: Parameters<Command["run"]>[1]): Promise<number> {
  const n = x instanceof Float32Array ? x.length / D : (x as unknown as Sequences).n;
  const progress = new Progress(ctx.stderr, { unit: "examples", quiet, now: ctx.now });
  progress.start(n);
  let sum = 0;
  try {
    for (let b = 0, start = 0; start < n; b++, start += LL_BLOCK) {
      const end = Math.min(n, start + LL_BLOCK);
      // the block's rows (sequences with --lengths: with their lengths)
      const xs = inputRows(x, D, start, end);
      // a VRNN's logLikelihood runs its own blocks (it takes no batchSize)
      const opts = { samples: o.k, seed: (o.seed + b) % 2 ** 32, ...(model.kind === "VRNN" ? {} : { batchSize: o.block }) };
      const w = labels ? labels.length / n : 0;
      const ll = model.logLikelihoodAny(xs, { ...opts, labels: labels?.subarray(start * w, end * w) });
      for (const v of ll) sum += v;
      progress.update(end, `log-likelihood, k = ${o.k}`, `mean ${(sum / end).toFixed(2)}`);
      await checkpoint(ctx);
    }
  } finally {
    progress.clear();
  }
  return sum / n;
}
