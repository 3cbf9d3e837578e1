// The training state a model file can carry (`save({ optimizer: true })`), so that N epochs, save, load and M more
// give the bits of N + M epochs in one run: the optimizer's moments and step count, the schedule position
// (reduce-on-plateau's state; the other schedules are functions of the step and epoch counters), the training noise
// streams' positions and the epoch counter (which keys shuffling and dynamic binarization). The model's own step
// counter (KL warm-up, capacity) is in every file already.
//
// Layout: format_version "2" (older readers refuse it by its version, with that message), metadata "optimizer" =
// JSON { kind, step, epoch, streams, plateau? }, and f32 tensors of the parameters' length:
// "optimizer.exp_avg" and "optimizer.exp_avg_sq" (Adam, AdamW) or "optimizer.momentum_buffer" (SGD), PyTorch's names.
// A file without optimizer state is written exactly as before (version "1").
//
// Loaded by fit.ts (training) and by format.ts's readModelFile when a file holds optimizer state: either way it is
// there before a model can have state to save, and it registers its writer with format.ts on load.
import { ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import { parseBoundedJson } from "../io/json-depth.js";
import type { Tensor } from "../io/safetensors.js";
import { type ModelFile, stateHooks } from "../models/format.js";
import { STREAM } from "../models/model.js";
import type { Engine } from "../runtime/engine.js";
import { epochsOf, setEpochs, type TrainedModel } from "./control.js";
import type { Optimizer, OptimizerOptions } from "./optimizer.js";
import { type PlateauState, plateauIf, setPlateau } from "./schedules.js";

/** The Optimizer's private fields, read and set here only (a class of the default entry, kept small). */
interface OptimizerFields {
  e: Engine;
  n: number;
  m: number;
  v: number;
  t: number;
  kind: OptimizerOptions["optimizer"] | undefined;
}

/** A checked training state, ready to apply. */
interface State {
  kind: OptimizerOptions["optimizer"];
  step: number;
  epoch: number;
  streams: Record<number, number>;
  plateau: PlateauState | undefined;
  m: Float32Array;
  v: Float32Array | undefined;
}

const MOMENTS = { adam: ["exp_avg", "exp_avg_sq"], adamw: ["exp_avg", "exp_avg_sq"], sgd: ["momentum_buffer"] } as const;
const PREFIX = "optimizer.";
/** The training streams a model may have moved (STREAM values, each also + STREAM.second). */
const STREAMS = new Set(Object.values(STREAM).flatMap((s) => [s, s + STREAM.second]));
const MAX_INT = Number.MAX_SAFE_INTEGER;

/** Writes `model`'s optimizer state into `tensors` and returns the metadata text; undefined when it has none. */
function writeState(model: object, tensors: Map<string, Tensor>): string | undefined {
  const m = model as TrainedModel;
  const o = m.opt as unknown as OptimizerFields | undefined;
  if (!o?.kind) return undefined;
  const names = MOMENTS[o.kind];
  tensors.set(PREFIX + names[0], { shape: [o.n], data: o.e.read(o.m, o.n) });
  if (names.length > 1) tensors.set(PREFIX + names[1], { shape: [o.n], data: o.e.read(o.v, o.n) });
  const plateau = plateauIf(m.opt!);
  return JSON.stringify({
    kind: o.kind, step: o.t, epoch: epochsOf(model), streams: m.trainBlocks,
    ...(plateau ? { plateau: { ...plateau, best: Number.isFinite(plateau.best) ? plateau.best : null } } : {}),
  });
}

/** Checks a file's optimizer state (metadata and tensors) completely; takes its tensors out of the file's. */
function readState(text: string, tensors: Map<string, Tensor>): State {
  const bad = (m: string): never => {
    throw new ModelFormatError(`the model file's optimizer state ${m}`);
  };
  const j = parseBoundedJson(text, (m) => bad(`is ${m}`));
  if (typeof j !== "object" || j === null || Array.isArray(j)) bad("must be a JSON object");
  const s = j as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!["kind", "step", "epoch", "streams", "plateau"].includes(k)) bad(`has an unknown field '${k}'`);
  const kind = s.kind as State["kind"];
  if (!Object.hasOwn(MOMENTS, String(kind))) bad(`names the optimizer ${show(s.kind)}; expected "adam", "adamw" or "sgd"`);
  const count = (v: unknown, what: string, max = MAX_INT): number =>
    typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? v : bad(`${what} must be a whole number from 0 to ${max}; got ${show(v)}`);
  const step = count(s.step, "step");
  const epoch = count(s.epoch, "epoch", 1e9);
  if (typeof s.streams !== "object" || s.streams === null || Array.isArray(s.streams)) bad("streams must be an object of stream positions");
  const streams: Record<number, number> = {};
  for (const [k, v] of Object.entries(s.streams as object)) {
    if (!STREAMS.has(Number(k)) || String(Number(k)) !== k) bad(`has an unknown noise stream ${show(k)}`);
    streams[Number(k)] = count(v, `stream ${k}'s position`);
  }
  let plateau: PlateauState | undefined;
  if (s.plateau !== undefined) {
    const p = s.plateau as Record<string, unknown>;
    if (typeof p !== "object" || p === null || Object.keys(p).sort().join() !== "best,cooldown,factor,wait") {
      bad("plateau must be { factor, best, wait, cooldown }");
    }
    const f = p.factor;
    if (typeof f !== "number" || !(f >= 0 && f <= 1)) bad(`plateau.factor must be a number in [0, 1]; got ${show(f)}`);
    if (p.best !== null && (typeof p.best !== "number" || !Number.isFinite(p.best))) bad(`plateau.best must be a finite number or null; got ${show(p.best)}`);
    plateau = { factor: f as number, best: (p.best as number | null) ?? Infinity, wait: count(p.wait, "plateau.wait", 1e9), cooldown: count(p.cooldown, "plateau.cooldown", 1e9) };
  }
  const names = MOMENTS[kind];
  const moments: Float32Array[] = [];
  for (const name of [...tensors.keys()].filter((k) => k.startsWith(PREFIX))) {
    if (!(names as readonly string[]).includes(name.slice(PREFIX.length))) bad(`has a tensor '${name}' that ${kind} does not keep; it keeps ${names.map((n) => PREFIX + n).join(", ")}`);
  }
  let length = -1;
  for (const name of names) {
    const t = tensors.get(PREFIX + name) ?? bad(`lacks the tensor '${PREFIX + name}'`);
    // one value per slot of the model's flat parameter buffer (checked against the model in applyState)
    if (t.shape.length !== 1 || (length >= 0 && t.shape[0] !== length)) bad(`tensors must all have one shape [n]; got [${t.shape.join(", ")}]`);
    length = t.shape[0];
    const second = name === "exp_avg_sq";
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i];
      if (!Number.isFinite(x) || (second && x < 0)) bad(`tensor '${PREFIX + name}'[${i}] is ${x}; expected a finite number${second ? " ≥ 0" : ""}`);
    }
    moments.push(t.data);
  }
  for (const name of names) tensors.delete(PREFIX + name);
  return { kind, step, epoch, streams, plateau, m: moments[0], v: moments[1] };
}

/** Puts a checked state into a model whose weights were just restored (only a length that doesn't fit is refused, first). */
function applyState(model: object, st: State): void {
  const m = model as TrainedModel;
  if (st.m.length !== m.nParams) {
    throw new ModelFormatError(`the model file's optimizer state has ${st.m.length} values per moment; this model's parameter buffer has ${m.nParams}`);
  }
  const opt: Optimizer = m.optimizer;
  opt.prepare(st.kind);
  const o = opt as unknown as OptimizerFields;
  o.e.write(o.m, st.m);
  if (st.v) o.e.write(o.v, st.v);
  o.t = st.step;
  m.trainBlocks = { ...st.streams };
  setEpochs(model, st.epoch);
  setPlateau(opt, st.plateau);
}

/**
 * A model file with its optimizer state checked and taken out of its tensors, and `resume` to apply it to the model
 * being loaded.
 */
export function withState(file: ModelFile, text: string): ModelFile {
  const tensors = new Map(file.tensors);
  const st = readState(text, tensors);
  return { ...file, tensors, resume: (model) => applyState(model, st) };
}

stateHooks.write = writeState;
