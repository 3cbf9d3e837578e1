// vaekit train: builds a model from the options, fits it with a progress bar, writes .safetensors (and optionally
// the history and a picture of the training curves). Ctrl-C stops at the next batch and writes the model as it was
// at the end of the last finished epoch.
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, InvalidInputError, VAE, type AnyModel, type EpochLog, type FitOptions, type ModelApi,
  type Terms,
} from "../../index.js";
import { lineChart, lineChartSvg, PALETTE, type ChartOptions, type ChartSeries } from "../../pictures.js";
import type { Args, OptionSpec } from "../args.js";
import type { Command, Context } from "../context.js";
import { checkLabelCount, readLabels, readMatrix, type LabelSet, type Matrix } from "../data.js";
import { UsageError } from "../errors.js";
import { extension, writeBytes } from "../files.js";
import { KINDS, MODEL_OPTIONS, checkApplicable, modelConfig, type Kind } from "../model-options.js";
import { describe } from "../model-view.js";
import { writeChart } from "../output.js";
import { Progress } from "../progress.js";
import { LABELS, LIMIT, QUIET, readData, SCALE, scaleOf } from "../shared-options.js";

const T = "Training";
const V = "Validation";
const O = "Output";

const OPTIONS: OptionSpec[] = [
  ...MODEL_OPTIONS,
  { name: "epochs", value: "n", help: "passes over the data", default: "10", group: T },
  { name: "batch-size", value: "n", help: "examples per optimizer step", default: "128", group: T },
  { name: "learning-rate", aliases: ["lr"], value: "rate", help: "step size", default: "0.001", group: T },
  { name: "optimizer", value: "name", help: "adam, adamw or sgd", default: "adam", group: T },
  { name: "beta1", value: "b", help: "Adam's β1", default: "0.9", group: T },
  { name: "beta2", value: "b", help: "Adam's β2", default: "0.999", group: T },
  { name: "eps", value: "e", help: "Adam's ε", default: "1e-8", group: T },
  { name: "weight-decay", value: "w", help: "L2 penalty (decoupled decay for adamw)", default: "0; adamw 0.01", group: T },
  { name: "momentum", value: "m", help: "SGD momentum", default: "0", group: T },
  { name: "dampening", value: "d", help: "SGD dampening", default: "0", group: T },
  { name: "nesterov", help: "SGD with Nesterov momentum", group: T },
  { name: "clip-norm", value: "n", help: "rescale gradients whose global L2 norm exceeds n", default: "off", group: T },
  { name: "loss-reduction", value: "sum|mean", help: "sum or average the loss over a batch", default: "sum", group: T },
  { name: "no-shuffle", help: "keep the data's order instead of shuffling every epoch", group: T },
  { name: "shuffle-seed", value: "s", help: "seed of the shuffling", default: "the model's seed", group: T },
  { name: "dynamic-binarization", help: "train on a fresh Bernoulli draw of the (0–1) inputs every epoch", group: T },
  { name: "binarization-seed", value: "s", help: "seed of those draws", default: "the model's seed", group: T },
  { name: "validation-split", value: "f", help: "hold out the last fraction f of the examples for validation", default: "off", group: V },
  { name: "validation", value: "file", help: "validation examples (IDX, CSV or .npy)", group: V },
  { name: "validation-labels", value: "file", help: "their labels (conditional model)", group: V },
  { name: "validation-seed", value: "s", help: "seed of the validation noise", default: "0", group: V },
  LABELS, LIMIT, SCALE,
  // grouped models (vaekit/grouped)
  { name: "groups", value: "file", help: "multi-level: a group id (a whole number) per example, IDX, CSV or .npy", group: T },
  { name: "subgroup-size", value: "n", help: "multi-level: cut groups larger than n into sub-groups of at most n each epoch", default: "off", group: T },
  { name: "present", value: "file", help: "hybrid: which parts each example has, a row of 0/1 per example (IDX, CSV or .npy)", default: "all present", group: T },
  { name: "output", short: "o", value: "file", help: "where to write the model (.safetensors)", default: "model.safetensors", group: O },
  { name: "history", value: "file", help: "write the per-epoch losses (.csv or .json)", group: O },
  { name: "curves", value: "file", help: "draw the loss and its terms per epoch, training solid and validation dashed (.png or .svg)", group: O },
  QUIET,
];

type AnyLog = EpochLog<Terms & Record<string, number>>;
const NOT_TERMS = new Set(["epoch", "seconds", "examplesPerSecond", "validation"]);

function termsOf(log: AnyLog): [string, number][] {
  return Object.entries(log).filter(([k, v]) => !NOT_TERMS.has(k) && typeof v === "number") as [string, number][];
}

function summary(log: AnyLog, epochs: number): string {
  const parts = [`epoch ${log.epoch}/${epochs}`, ...termsOf(log).map(([k, v]) => `${k} ${v.toFixed(2)}`)];
  if (log.validation) parts.push(`validation loss ${log.validation.loss.toFixed(2)}`);
  parts.push(`${Math.round(log.examplesPerSecond).toLocaleString("en-US")} examples/s`, `${log.seconds.toFixed(1)} s`);
  return parts.join("  ");
}

function historyCsv(history: AnyLog[]): string {
  if (history.length === 0) return "epoch\n";
  const terms = termsOf(history[0]).map(([k]) => k);
  const val = history[0].validation ? terms.map((k) => `validation_${k}`) : [];
  const rows = history.map((h) => [h.epoch, ...terms.map((k) => h[k]), ...(h.validation ? terms.map((k) => (h.validation as Record<string, number>)[k]) : []),
    h.seconds, h.examplesPerSecond].join(","));
  return [["epoch", ...terms, ...val, "seconds", "examples_per_second"].join(","), ...rows].join("\n") + "\n";
}

/**
 * fit's refusal of an option value the command line gave (e.g. --lr 1e30 past fit's range, or a --batch-size past
 * the model's memory limit) is a usage error naming the flag; anything else (the data, the model) stays as it is.
 */
function usageOf(e: unknown, given: FitOptions): unknown {
  const m = e instanceof InvalidInputError ? /^fit: (\w+) (.*)$/s.exec(e.message) : null;
  if (!m || !Object.prototype.hasOwnProperty.call(given, m[1])) return e;
  return new UsageError(`--${m[1].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${m[2]}`);
}

function fitOptions(args: Args): FitOptions {
  const f: Record<string, unknown> = {
    epochs: args.whole("epochs", 10, 1, 1e9),
    batchSize: args.whole("batch-size", 128, 1, 1 << 20),
    learningRate: args.number("learning-rate", 1e-3, { min: 0, open: true }),
    optimizer: args.choice("optimizer", ["adam", "adamw", "sgd"] as const, "adam"),
    lossReduction: args.choice("loss-reduction", ["sum", "mean"] as const, "sum"),
    shuffle: !args.flag("no-shuffle"),
  };
  const optional: [string, string, () => unknown][] = [
    ["beta1", "beta1", () => args.number("beta1", 0, { min: 0, max: 0.999999 })],
    ["beta2", "beta2", () => args.number("beta2", 0, { min: 0, max: 0.999999 })],
    ["eps", "eps", () => args.number("eps", 0, { min: 0, max: 1, open: true })],
    ["weight-decay", "weightDecay", () => args.number("weight-decay", 0, { min: 0 })],
    ["momentum", "momentum", () => args.number("momentum", 0, { min: 0, max: 1 })],
    ["dampening", "dampening", () => args.number("dampening", 0, { min: 0, max: 1 })],
    ["clip-norm", "clipNorm", () => args.number("clip-norm", 0, { min: 0, open: true })],
    ["shuffle-seed", "shuffleSeed", () => args.whole("shuffle-seed", 0, 0, 2 ** 32 - 1)],
    ["validation-seed", "validationSeed", () => args.whole("validation-seed", 0, 0, 2 ** 32 - 1)],
    ["binarization-seed", "binarizationSeed", () => args.whole("binarization-seed", 0, 0, 2 ** 32 - 1)],
  ];
  for (const [flag, key, read] of optional) if (args.has(flag)) f[key] = read();
  if (args.flag("nesterov")) {
    if (f.optimizer !== "sgd") throw new UsageError("--nesterov applies to --optimizer sgd");
    if (!((f.momentum as number) > 0) || (f.dampening ?? 0) !== 0) throw new UsageError("--nesterov needs --momentum > 0 and no --dampening");
    f.nesterov = true;
  }
  for (const flag of ["momentum", "dampening"]) {
    if (args.has(flag) && f.optimizer !== "sgd") throw new UsageError(`--${flag} applies to --optimizer sgd`);
  }
  for (const flag of ["beta1", "beta2", "eps"]) {
    if (args.has(flag) && f.optimizer === "sgd") throw new UsageError(`--${flag} applies to --optimizer adam or adamw`);
  }
  if (args.flag("no-shuffle") && args.has("shuffle-seed")) throw new UsageError("--shuffle-seed has no effect with --no-shuffle");
  if (args.flag("dynamic-binarization")) f.dynamicBinarization = true;
  else if (args.has("binarization-seed")) throw new UsageError("--binarization-seed needs --dynamic-binarization");
  return f as FitOptions;
}

function checkOutputs(args: Args): { output: string; history?: string; curves?: string } {
  const output = args.string("output", "model.safetensors");
  if (extension(output) !== ".safetensors") throw new UsageError(`-o '${output}': a model file ends in .safetensors`);
  const history = args.string("history");
  if (history !== undefined && ![".csv", ".json"].includes(extension(history))) throw new UsageError(`--history '${history}': the extension must be .csv or .json`);
  const curves = args.string("curves");
  if (curves !== undefined && ![".png", ".svg"].includes(extension(curves))) throw new UsageError(`--curves '${curves}': the extension must be .png or .svg`);
  return { output, history, curves };
}

/** The rows [from, to) of a matrix and its labels. */
function slice(m: Matrix, labels: LabelSet | undefined, from: number, to: number): { x: Float32Array; y?: Int32Array | Float32Array } {
  const x = m.values.subarray(from * m.cols, to * m.cols);
  if (!labels) return { x };
  const w = labels.labels.length / labels.count;
  return { x, y: labels.labels.subarray(from * w, to * w) };
}

async function create(kind: Kind, config: object): Promise<ModelApi<Terms>> {
  switch (kind) {
    case "conditional": return ConditionalVAE.create(config as never);
    case "hierarchical": return HierarchicalVAE.create(config as never);
    case "autoencoder": return Autoencoder.create(config as never);
    // grouped models (vaekit/grouped): loaded on demand
    case "multi-level": return (await import("../../grouped.js")).MultiLevelVAE.create(config as never) as unknown as ModelApi<Terms>;
    case "hybrid": return (await import("../../grouped.js")).HybridVAE.create(config as never) as unknown as ModelApi<Terms>;
    default: return VAE.create(config as never);
  }
}

export const train: Command = {
  spec: {
    name: "train",
    brief: "train a model on IDX, CSV or .npy data; write .safetensors",
    summary: "Trains a model on <data> and writes it as a .safetensors file. Ctrl-C stops after the current batch and writes the model as of the last finished epoch.",
    positionals: [{ name: "data", help: "training examples, one per row: an IDX file (raw or .gz), CSV or .npy" }],
    options: OPTIONS,
  },

  async run(args, ctx) {
    const kind = args.choice("model", KINDS, "vae");
    checkApplicable(args, kind);
    const conditional = kind === "conditional";
    for (const flag of ["labels", "validation-labels"]) {
      if (!conditional && args.has(flag)) throw new UsageError(`--${flag} applies to --model conditional`);
    }
    if (conditional && !args.has("labels")) throw new UsageError("--model conditional needs --labels <file> (one class per example)");
    if (args.has("validation-split") && args.has("validation")) throw new UsageError("give --validation-split or --validation, not both");
    if (args.has("validation-labels") && !args.has("validation")) throw new UsageError("--validation-labels needs --validation <file>");
    if (conditional && args.has("validation") && !args.has("validation-labels")) throw new UsageError("a conditional model's --validation needs --validation-labels <file>");
    for (const flag of ["groups", "subgroup-size"]) {
      if (kind !== "multi-level" && args.has(flag)) throw new UsageError(`--${flag} applies to --model multi-level`);
    }
    if (kind !== "hybrid" && args.has("present")) throw new UsageError("--present applies to --model hybrid");
    const outputs = checkOutputs(args);
    const fit = fitOptions(args);
    const split = args.number("validation-split", undefined, { min: 0, max: 1, open: true });
    if (split === 1) throw new UsageError("--validation-split must be below 1 (some examples must be left to train on)");

    const data = await readData(args, args.positionals[0]);
    const labels = conditional ? (await readLabelsForTraining(args, data.rows)) : undefined;
    // grouped models: a group id per example (the training rows' part of them with --validation-split)
    let groups: Int32Array | undefined;
    if (args.has("groups")) {
      const path = args.string("groups")!;
      const set = await readLabels(path, args.whole("limit", undefined, 1));
      checkLabelCount("--groups", path, set, data.rows);
      if (!(set.labels instanceof Int32Array)) throw new UsageError(`--groups '${path}': expected one group id per example, not rows of several values`);
      groups = set.labels;
    }
    // multi-part models: which parts each example has
    let present: Float32Array | undefined;
    if (args.has("present")) {
      const path = args.string("present")!;
      const m = await readMatrix(path, 1, args.whole("limit", undefined, 1));
      if (m.rows !== data.rows) throw new UsageError(`--present '${path}' holds ${m.rows} rows for ${data.rows} examples; give one row of 0/1 per example`);
      present = m.values;
    }
    let trainSet = slice(data, labels, 0, data.rows);
    let validation: { x: Float32Array; y?: Int32Array | Float32Array } | undefined;
    if (split !== undefined) {
      const held = Math.round(split * data.rows);
      if (held < 1 || held >= data.rows) throw new UsageError(`--validation-split ${split} of ${data.rows} examples leaves ${held} for validation; need at least 1 and fewer than all`);
      trainSet = slice(data, labels, 0, data.rows - held);
      validation = slice(data, labels, data.rows - held, data.rows);
    } else if (args.has("validation")) {
      const path = args.string("validation")!;
      const v = await readMatrix(path, scaleOf(args));
      if (v.cols !== data.cols) throw new UsageError(`--validation '${path}' has ${v.cols} values per example; the training data has ${data.cols}`);
      let y: LabelSet | undefined;
      if (conditional) {
        const lp = args.string("validation-labels")!;
        y = await readLabels(lp);
        checkLabelCount("--validation-labels", lp, y, v.rows);
      }
      validation = slice(v, y, 0, v.rows);
    }

    const config = modelConfig(args, kind, data.cols, args.whole("classes", labels?.classes ?? 2, 2, 65536));
    const model = await create(kind, config);
    const n = trainSet.x.length / data.cols;
    const epochs = fit.epochs!;
    const batch = Math.min(fit.batchSize!, n);
    const progress = new Progress(ctx.stderr, { unit: "examples", quiet: args.flag("quiet"), now: ctx.now });
    const history: AnyLog[] = [];
    let snapshot: Uint8Array | undefined;
    let current = 1;
    const options: FitOptions<Terms> = {
      ...fit,
      signal: ctx.signal,
      onBatchEnd: (b) => {
        current = b.epoch;
        progress.update((b.epoch - 1) * n + Math.min(n, (b.batch + 1) * batch), `epoch ${b.epoch}/${epochs}`, `loss ${b.loss.toFixed(2)}`);
      },
      onEpochEnd: (log) => {
        snapshot = model.save();
        history.push(log as unknown as AnyLog);
        progress.line(summary(log as unknown as AnyLog, epochs));
      },
    };
    if (validation) options.validationData = conditional ? { x: validation.x, labels: validation.y } : validation.x;
    const name = describe(model);
    progress.start(epochs * n);
    try {
      const grouped = groups ? { groups: groups.subarray(0, n), ...(args.has("subgroup-size") ? { subgroupSize: args.whole("subgroup-size", 1, 1, 1 << 20) } : {}) }
        : present ? { present: present.subarray(0, present.length / data.rows * n) } : {};
      await model.fitAny(trainSet.x, { ...options, labels: trainSet.y, ...grouped });
    } catch (e) {
      progress.clear();
      if (!ctx.signal?.aborted) throw usageOf(e, fit);
      await writeExtras(outputs, history);
      if (snapshot) {
        await writeBytes(outputs.output, snapshot);
        ctx.stderr.write(`vaekit train: interrupted in epoch ${current}; saved the model as of epoch ${history.length} to ${outputs.output}\n`);
      } else {
        ctx.stderr.write(`vaekit train: interrupted in epoch ${current}, before any epoch finished; nothing saved\n`);
      }
      return 130;
    } finally {
      model.dispose();
    }
    progress.clear();
    await writeBytes(outputs.output, snapshot!);
    await writeExtras(outputs, history);
    if (!args.flag("quiet")) {
      const last = history[history.length - 1];
      const val = last.validation ? `, validation loss ${last.validation.loss.toFixed(2)}` : "";
      ctx.stderr.write(`vaekit train: saved ${outputs.output} (${name}, ${epochs} epochs, loss ${last.loss.toFixed(2)}${val})\n`);
    }
    return 0;
  },
};

async function readLabelsForTraining(args: Args, rows: number): Promise<LabelSet> {
  const path = args.string("labels")!;
  const set = await readLabels(path, args.whole("limit", undefined, 1));
  checkLabelCount("--labels", path, set, rows);
  return set;
}

async function writeExtras(o: { history?: string; curves?: string }, history: AnyLog[]): Promise<void> {
  if (o.history) {
    if (extension(o.history) === ".json") await writeBytes(o.history, JSON.stringify(history, null, 1) + "\n");
    else await writeBytes(o.history, historyCsv(history));
  }
  if (o.curves && history.length > 0) {
    const { series, options } = curves(history);
    await writeChart(o.curves, { png: () => lineChart(series, options), svg: () => lineChartSvg(series, options) });
  }
}

/** The --curves chart: each loss term (loss, reconstruction, KL, …) in its colour, training solid, validation dashed. */
function curves(history: AnyLog[]): { series: ChartSeries[]; options: ChartOptions } {
  const terms = termsOf(history[0]).map(([k]) => k);
  const validated = history[0].validation !== undefined;
  const series: ChartSeries[] = [];
  const legend: { name: string; colour: readonly [number, number, number]; dash?: boolean }[] = [];
  terms.forEach((k, i) => {
    const colour = PALETTE[i % PALETTE.length];
    series.push({ values: history.map((h) => h[k]), colour });
    if (validated) series.push({ values: history.map((h) => (h.validation as Record<string, number> | undefined)?.[k] ?? NaN), colour, dash: true });
    legend.push({ name: k.replace(/^kl/, "KL"), colour });
  });
  if (validated) legend.push({ name: "training", colour: [64, 64, 64] }, { name: "validation", colour: [64, 64, 64], dash: true });
  return { series, options: { xTitle: "epoch", yTitle: "nats per example", legend } };
}

