// vaekit train: builds a model from the options, fits it with a progress bar, writes .safetensors (and optionally
// the history and a picture of the training curves). Ctrl-C stops at the next batch and writes the model as it was
// at the end of the last finished epoch.
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, InvalidInputError, VAE, type AnyModel, type EpochLog, type FitOptions, type ModelApi,
  type Terms,
} from "../../index.js";
import { lineChart, lineChartSvg, PALETTE, type ChartOptions, type ChartSeries } from "../../pictures.js";
import { parseNumber, type Args, type OptionSpec } from "../args.js";
import type { Command, Context } from "../context.js";
import type { RowSource } from "../../index.js";
import { checkLabelCount, readLabels, readMatrix, type LabelSet, type Matrix } from "../data.js";
import { UsageError } from "../errors.js";
import { extension, writeBytes } from "../files.js";
import { KINDS, MODEL_OPTIONS, checkApplicable, modelConfig, type Kind } from "../model-options.js";
import { describe, openModel } from "../model-view.js";
import { writeChart } from "../output.js";
import { Progress } from "../progress.js";
import { LABELS, LIMIT, QUIET, readData, SCALE, scaleOf } from "../shared-options.js";
import { openStreamed, rowRange, STREAM_OPTIONS, streamFitOptions, streams } from "../stream-data.js";
import { TABULAR_OPTIONS, trainTabular } from "./tabular.js";
import { asSequences, LENGTHS, lengthsApply, readLengths } from "../sequence-lengths.js";

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
  { name: "validation-lengths", value: "file", help: "vrnn: the --validation sequences' lengths, as --lengths", group: V },
  { name: "validation-seed", value: "s", help: "seed of the validation noise", default: "0", group: V },
  LABELS, LENGTHS, LIMIT, SCALE,
  ...STREAM_OPTIONS,
  // grouped models (vaekit/grouped)
  { name: "groups", value: "file", help: "multi-level: a group id (a whole number) per example, IDX, CSV or .npy", group: T },
  { name: "subgroup-size", value: "n", help: "multi-level: cut groups larger than n into sub-groups of at most n each epoch", default: "off", group: T },
  { name: "present", value: "file", help: "hybrid: which parts each example has, a row of 0/1 per example (IDX, CSV or .npy)", default: "all present", group: T },
  { name: "output", short: "o", value: "file", help: "where to write the model (.safetensors)", default: "model.safetensors", group: O },
  { name: "history", value: "file", help: "write the per-epoch losses (.csv or .json)", group: O },
  { name: "curves", value: "file", help: "draw the loss and its terms per epoch, training solid and validation dashed (.png or .svg)", group: O },
  QUIET,
  // resumable training (issue 19): a file with the optimizer state in, and out
  { name: "resume", value: "file", help: "continue training the model in file (written with --save-optimizer) exactly where it stopped; the model options come from the file", group: T },
  { name: "save-optimizer", help: "also store the optimizer state, noise streams and epoch counter in the output, so that --resume can continue it", group: O },
  { name: "lr-schedule", value: "spec", help: "step:every[:γ], exponential:γ, cosine:total[:warm-up[:min]] or plateau[:patience[:factor]] (on the validation loss)", default: "constant", group: T },
  { name: "early-stopping", value: "patience[:δ]", help: "stop after more than patience epochs without the validation loss (else the loss) falling by more than δ", default: "off", group: T },
  { name: "restore-best", help: "with --early-stopping: end with the best epoch's weights", group: T },
  { name: "checkpoint", value: "file", help: "write a resumable model file every --checkpoint-every epochs; {epoch} in the name is replaced", default: "off", group: O },
  { name: "checkpoint-every", value: "k", help: "epochs between checkpoints", default: "1", group: O },
  // vaekit train <table> --tabular (src/cli/commands/tabular.ts)
  ...TABULAR_OPTIONS,
];

/** --lr-schedule's spec as fit's schedule setting. */
function scheduleOf(spec: string): FitOptions["schedule"] {
  const [type, ...rest] = spec.split(":");
  const n = (i: number, what: string, r: { min?: number; max?: number; open?: boolean } = { min: 0 }) =>
    rest[i] === undefined ? undefined : parseNumber(`--lr-schedule ${type}'s ${what}`, rest[i], r);
  const whole = (i: number, what: string) => {
    const v = n(i, what, { min: 1 });
    if (v !== undefined && !Number.isInteger(v)) throw new UsageError(`--lr-schedule ${type}'s ${what} must be a whole number; got ${rest[i]}`);
    return v;
  };
  const max = { step: 2, exponential: 1, cosine: 3, plateau: 2 }[type];
  if (max === undefined) throw new UsageError(`--lr-schedule '${spec}': the schedule must be step, exponential, cosine or plateau`);
  if (rest.length > max || (type !== "plateau" && rest.length === 0)) {
    throw new UsageError(`--lr-schedule '${spec}': expected step:every[:γ], exponential:γ, cosine:total[:warm-up[:min]] or plateau[:patience[:factor]]`);
  }
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  switch (type) {
    case "step": return defined({ type, every: whole(0, "every"), gamma: n(1, "γ") }) as never;
    case "exponential": return { type, gamma: n(0, "γ")! };
    case "cosine": return defined({ type, total: whole(0, "total"), warmup: rest[1] === "0" ? 0 : whole(1, "warm-up"), minFactor: n(2, "min", { min: 0, max: 1 }) }) as never;
    default: return defined({ type: "plateau", patience: rest[0] === "0" ? 0 : whole(0, "patience"), factor: n(1, "factor", { min: 0, max: 1, open: true }) }) as never;
  }
}

/** --lr-schedule, --early-stopping, --restore-best and --checkpoint as fit options (the checkpoint's writer is added by run). */
function controlOptions(args: Args, validated: boolean): { options: FitOptions; checkpoint?: { path: string; every: number } } {
  const o: FitOptions = {};
  const spec = args.string("lr-schedule");
  if (spec !== undefined) {
    o.schedule = scheduleOf(spec);
    if ((o.schedule as { type: string }).type === "plateau" && !validated) {
      (o.schedule as { monitor?: string }).monitor = "loss";
    }
  }
  const es = args.string("early-stopping");
  if (es !== undefined) {
    const [p, d] = es.split(":");
    const patience = parseNumber("--early-stopping's patience", p, { min: 0 });
    if (!Number.isInteger(patience)) throw new UsageError(`--early-stopping's patience must be a whole number; got ${p}`);
    o.earlyStopping = { monitor: validated ? "validation.loss" : "loss", patience, restoreBestWeights: args.flag("restore-best") };
    if (d !== undefined) o.earlyStopping.minDelta = parseNumber("--early-stopping's δ", d, { min: 0 });
  } else if (args.flag("restore-best")) {
    throw new UsageError("--restore-best goes with --early-stopping");
  }
  const path = args.string("checkpoint");
  if (path === undefined && args.has("checkpoint-every")) throw new UsageError("--checkpoint-every goes with --checkpoint <file>");
  if (path !== undefined && extension(path) !== ".safetensors") throw new UsageError(`--checkpoint '${path}': a model file ends in .safetensors`);
  return { options: o, checkpoint: path === undefined ? undefined : { path, every: args.whole("checkpoint-every", 1, 1) } };
}

type AnyLog = EpochLog<Terms & Record<string, number>>;
const NOT_TERMS = new Set(["epoch", "seconds", "examplesPerSecond", "validation", "learningRate", "learningRates"]);

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
  // with --lr-schedule, the rate each epoch used
  const lr = history[0].learningRate !== undefined;
  const rows = history.map((h) => [h.epoch, ...terms.map((k) => h[k]), ...(h.validation ? terms.map((k) => (h.validation as Record<string, number>)[k]) : []),
    ...(lr ? [h.learningRate] : []), h.seconds, h.examplesPerSecond].join(","));
  return [["epoch", ...terms, ...val, ...(lr ? ["learning_rate"] : []), "seconds", "examples_per_second"].join(","), ...rows].join("\n") + "\n";
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

const KIND_OF: Record<string, Kind> = {
  VAE: "vae", ConditionalVAE: "conditional", HierarchicalVAE: "hierarchical", Autoencoder: "autoencoder", VRNN: "vrnn",
  VAEGAN: "vae-gan", CVAEGAN: "cvae-gan", MultiLevelVAE: "multi-level", HybridVAE: "hybrid",
};

async function create(kind: Kind, config: object): Promise<ModelApi<Terms>> {
  switch (kind) {
    case "conditional": return ConditionalVAE.create(config as never);
    case "hierarchical": return HierarchicalVAE.create(config as never);
    case "autoencoder": return Autoencoder.create(config as never);
    case "vrnn": return (await import("../../sequence.js")).VRNN.create(config as never); // vaekit/sequence, loaded on use
    // vaekit/gan, loaded only for these kinds
    case "vae-gan": return (await import("../../gan.js")).VAEGAN.create(config as never) as unknown as ModelApi<Terms>;
    case "cvae-gan": return (await import("../../gan.js")).CVAEGAN.create(config as never) as unknown as ModelApi<Terms>;
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
    // the table readers and the model are imported by trainTabular on use (vaekit/tabular, vaekit/tabular-arrow)
    if (args.flag("tabular")) return trainTabular(args, ctx, OPTIONS.map((o) => o.name));
    if (args.has("columns")) throw new UsageError("--columns applies to --tabular");
    const resume = args.string("resume");
    if (resume !== undefined) {
      const given = MODEL_OPTIONS.find((o) => args.has(o.name));
      if (given) throw new UsageError(`--${given.name}: --resume takes the model's class and config from '${resume}'; leave the model options out`);
    }
    const resumed = resume === undefined ? undefined : await openModel(resume);
    const kind = resumed ? KIND_OF[resumed.kind] : args.choice("model", KINDS, "vae");
    if (!kind) throw new UsageError(`--resume '${resume}': vaekit train does not train ${resumed!.kind} models`);
    checkApplicable(args, kind);
    const conditional = kind === "conditional" || kind === "cvae-gan";
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
    for (const flag of ["lengths", "validation-lengths"]) lengthsApply(args, flag, kind === "vrnn", `--model ${kind}`);
    if (args.has("validation-lengths") && !args.has("validation")) throw new UsageError("--validation-lengths needs --validation <file>");
    const outputs = checkOutputs(args);
    const fit = { ...fitOptions(args), ...streamFitOptions(args) };
    const split = args.number("validation-split", undefined, { min: 0, max: 1, open: true });
    if (split === 1) throw new UsageError("--validation-split must be below 1 (some examples must be left to train on)");

    // data bigger than memory (--stream, stream-data.ts): read a batch at a time; labels (small) in memory
    const big = await streams(args, args.positionals[0]);
    const source = big ? await openStreamed(args.positionals[0], scaleOf(args)) : undefined;
    const limited = source && Math.min(source.rows, args.whole("limit", source.rows, 1));
    const data = source ? { values: new Float32Array(0), rows: limited!, cols: source.rowValues, bytes: false }
      : await readData(args, args.positionals[0]);
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
    if (source && (args.has("lengths") || args.has("validation-lengths"))) {
      throw new UsageError("--lengths with --stream isn't supported; give a file small enough to load whole");
    }
    // sequences (--model vrnn): a length per row; the config is built first for its steps
    const config = resumed ? undefined : modelConfig(args, kind, data.cols, args.whole("classes", labels?.classes ?? 2, 2, 65536));
    const steps = ((config ?? resumed?.config) as { steps?: number } | undefined)?.steps ?? 1;
    const lengths = kind === "vrnn" ? await readLengths(args, "lengths", data.rows, steps, args.whole("limit", undefined, 1)) : undefined;
    let trainLengths = lengths;
    let validationLengths: Int32Array | undefined;
    let trainSet = slice(data, labels, 0, data.rows);
    let validation: { x: Float32Array; y?: Int32Array | Float32Array } | undefined;
    const rowsOf = (from: number, to: number): RowSource => {
      const x = rowRange(source!, from, to);
      if (!labels) return x;
      const w = labels.labels.length / labels.count;
      return { rows: to - from, read: async (s, c) => ({ x: await x.read(s, c), labels: labels.labels.subarray((from + s) * w, (from + s + c) * w) }) };
    };
    let streamedTrain = source && rowsOf(0, data.rows);
    let streamedValidation: RowSource | undefined;
    if (source && split !== undefined) {
      const held = Math.round(split * data.rows);
      if (held < 1 || held >= data.rows) throw new UsageError(`--validation-split ${split} of ${data.rows} examples leaves ${held} for validation; need at least 1 and fewer than all`);
      streamedTrain = rowsOf(0, data.rows - held);
      streamedValidation = rowsOf(data.rows - held, data.rows);
    }
    if (source && args.has("validation") && await streams(args, args.string("validation")!)) {
      if (conditional) throw new UsageError("a streamed --validation file with --validation-labels isn't supported; give a smaller validation file (loaded whole) or --validation-split");
      const v = await openStreamed(args.string("validation")!, scaleOf(args));
      if (v.rowValues !== data.cols) throw new UsageError(`--validation '${args.string("validation")}' has ${v.rowValues} values per example; the training data has ${data.cols}`);
      streamedValidation = v;
    } else if (source && split !== undefined) {
      // set above
    } else if (split !== undefined) {
      const held = Math.round(split * data.rows);
      if (held < 1 || held >= data.rows) throw new UsageError(`--validation-split ${split} of ${data.rows} examples leaves ${held} for validation; need at least 1 and fewer than all`);
      trainSet = slice(data, labels, 0, data.rows - held);
      validation = slice(data, labels, data.rows - held, data.rows);
      trainLengths = lengths?.subarray(0, data.rows - held);
      validationLengths = lengths?.subarray(data.rows - held);
    } else if (args.has("validation") && !streamedValidation) {
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
      if (kind === "vrnn") validationLengths = await readLengths(args, "validation-lengths", v.rows, steps);
    }

    if (resumed && resumed.capabilities.inputSize !== data.cols) {
      resumed.dispose();
      throw new UsageError(`--resume '${resume}' is a model of ${resumed.capabilities.inputSize} inputs; '${args.positionals[0]}' has ${data.cols} values per example`);
    }
    const model = resumed ?? await create(kind, config!);
    if (resumed) fit.resume = true;
    const control = controlOptions(args, validation !== undefined);
    Object.assign(fit, control.options);
    if (control.checkpoint) {
      const { path, every } = control.checkpoint;
      fit.checkpoint = { every, write: (bytes, log) => writeBytes(path.replaceAll("{epoch}", String(log.epoch)), bytes) };
    }
    const saveState = args.flag("save-optimizer");
    const n = streamedTrain ? streamedTrain.rows : trainSet.x.length / data.cols;
    const epochs = fit.epochs!;
    const batch = Math.min(fit.batchSize!, n);
    const progress = new Progress(ctx.stderr, { unit: "examples", quiet: args.flag("quiet"), now: ctx.now });
    const history: AnyLog[] = [];
    let snapshot: Uint8Array | undefined;
    let current = 1;
    // epochs are numbered on from the resumed file's (the first batch's log says where): progress counts from there
    let base: number | undefined;
    const options: FitOptions<Terms> = {
      ...fit,
      signal: ctx.signal,
      onBatchEnd: (b) => {
        current = b.epoch;
        base ??= b.epoch - 1;
        progress.update((b.epoch - 1 - base) * n + Math.min(n, (b.batch + 1) * batch), `epoch ${b.epoch}/${base + epochs}`, `loss ${b.loss.toFixed(2)}`);
      },
      onEpochEnd: (log) => {
        snapshot = model.save({ optimizer: saveState });
        history.push(log as unknown as AnyLog);
        progress.line(summary(log as unknown as AnyLog, (base ?? 0) + epochs));
      },
    };
    if (validation) options.validationData = conditional ? { x: validation.x, labels: validation.y } : validation.x;
    // sequences with lengths go to the model as vaekit/sequence's Sequences
    const size = data.cols / steps;
    if (validation && validationLengths) options.validationData = await asSequences(validation.x, steps, size, validationLengths) as never;
    const trainX = trainLengths ? await asSequences(trainSet.x, steps, size, trainLengths) : trainSet.x;
    if (streamedValidation) options.validationData = streamedValidation;
    const name = describe(model);
    progress.start(epochs * n);
    try {
      const grouped = groups ? { groups: groups.subarray(0, n), ...(args.has("subgroup-size") ? { subgroupSize: args.whole("subgroup-size", 1, 1, 1 << 20) } : {}) }
        : present ? { present: present.subarray(0, present.length / data.rows * n) } : {};
      // whole data (examples with their labels) go to the class's own fit, options second, for every model class
      if (streamedTrain) await (model as unknown as { fit(d: RowSource, o: FitOptions<Terms>): Promise<unknown> }).fit(streamedTrain, options);
      else await model.fitAny(trainX as Float32Array, { ...options, labels: trainSet.y, ...grouped });
      // the model as training left it: early stopping may have put the best epoch's weights back
      snapshot = model.save({ optimizer: saveState });
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
      await source?.close();
      if (streamedValidation && "close" in streamedValidation) await (streamedValidation as { close(): Promise<void> }).close();
    }
    progress.clear();
    await writeBytes(outputs.output, snapshot!);
    await writeExtras(outputs, history);
    if (!args.flag("quiet")) {
      const last = history[history.length - 1];
      const val = last.validation ? `, validation loss ${last.validation.loss.toFixed(2)}` : "";
      ctx.stderr.write(`vaekit train: saved ${outputs.output} (${name}, ${history.length} epochs, loss ${last.loss.toFixed(2)}${val})\n`);
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

