// The training state a model file can carry (`save({ optimizer: true })`), so that N epochs, save, load and M more
// give the bits of N + M epochs in one run: the optimizer's moments and step count, the schedule position
// (reduce-on-plateau's state; the other schedules are functions of the step and epoch counters), the training noise
// streams' positions, the epoch counter (which keys shuffling and dynamic binarization) and the order of the
// examples (shuffle seed and shuffleRange, which a resumed fit that leaves them out takes from here). The model's own
// step counter (KL warm-up, capacity, a GAN's noise) is in every file already.
//
// Layout: format_version "2" (older readers refuse it by its version, with that message), metadata "optimizer" =
// JSON { kind, step, epoch, streams, plateau?, order? } and f32 tensors of the parameters' length:
// "optimizer.exp_avg" and "optimizer.exp_avg_sq" (Adam, AdamW) or "optimizer.momentum_buffer" (SGD), PyTorch's names.
// A model trained in parameter groups (GANs, the multi-level VAE) has one optimizer state per group instead:
// JSON { groups: { name: { kind, step, plateau? } }, epoch, streams, order? } and tensors "optimizer.<group>.exp_avg"
// (…) of the group's length. A file without optimizer state is written exactly as before (version "1").
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
import { epochsOf, type Order, orderOf, setEpochs, setOrder, type TrainedModel } from "./control.js";
import type { ParameterGroups } from "./groups.js";
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

/** A model trained in parameter groups exposes them (made on first use) to this file: GanModel, MultiLevelVAE. */
interface GroupedModel {
  trainingGroups(): ParameterGroups;
}

/** One optimizer state, checked: its kind, step count, plateau state and moments. */
interface OneState {
  kind: OptimizerOptions["optimizer"];
  step: number;
  plateau: PlateauState | undefined;
  m: Float32Array;
  v: Float32Array | undefined;
}

/** A checked training state, ready to apply: the one optimizer's, or each parameter group's by name. */
interface State {
  one: OneState | undefined;
  groups: Map<string, OneState> | undefined;
  epoch: number;
  streams: Record<number, number>;
  order: Order | undefined;
}

const MOMENTS = { adam: ["exp_avg", "exp_avg_sq"], adamw: ["exp_avg", "exp_avg_sq"], sgd: ["momentum_buffer"] } as const;
const PREFIX = "optimizer.";
/** The training streams a model may have moved (STREAM values, each also + STREAM.second). */
const STREAMS = new Set(Object.values(STREAM).flatMap((s) => [s, s + STREAM.second]));
const MAX_INT = Number.MAX_SAFE_INTEGER;
/** A parameter group's name as it may appear in a tensor name. */
const GROUP_NAME = /^[A-Za-z_][\w-]{0,63}$/;

const groupsOf = (model: object): ParameterGroups | undefined =>
  typeof (model as Partial<GroupedModel>).trainingGroups === "function" ? (model as GroupedModel).trainingGroups() : undefined;

/** Writes one optimizer state's moments under `prefix` and returns its metadata. */
function writeOne(opt: Optimizer, prefix: string, tensors: Map<string, Tensor>): Record<string, unknown> {
  const o = opt as unknown as OptimizerFields;
  const names = MOMENTS[o.kind!];
  tensors.set(prefix + names[0], { shape: [o.n], data: o.e.read(o.m, o.n) });
  if (names.length > 1) tensors.set(prefix + names[1], { shape: [o.n], data: o.e.read(o.v, o.n) });
  const plateau = plateauIf(opt);
  return {
    kind: o.kind, step: o.t,
    ...(plateau ? { plateau: { ...plateau, best: Number.isFinite(plateau.best) ? plateau.best : null } } : {}),
  };
}

/** Writes `model`'s optimizer state into `tensors` and returns the metadata text; undefined when it has none. */
function writeState(model: object, tensors: Map<string, Tensor>): string | undefined {
  const m = model as TrainedModel;
  const order = orderOf(model);
  const rest = { epoch: epochsOf(model), streams: m.trainBlocks, ...(order ? { order } : {}) };
  const G = groupsOf(model);
  if (G) {
    const made = G.made().filter(([, o]) => (o as unknown as OptimizerFields).kind);
    if (!made.length) return undefined;
    const groups: Record<string, unknown> = {};
    for (const [g, o] of made) groups[g.name] = writeOne(o, `${PREFIX}${g.name}.`, tensors);
    return JSON.stringify({ groups, ...rest });
  }
  const o = m.opt as unknown as OptimizerFields | undefined;
  if (!o?.kind) return undefined;
  return JSON.stringify({ ...writeOne(m.opt!, PREFIX, tensors), ...rest });
}

type Bad = (m: string) => never;

const count = (bad: Bad, v: unknown, what: string, max = MAX_INT): number =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max ? v : bad(`${what} must be a whole number from 0 to ${max}; got ${show(v)}`);

/** Checks one optimizer state's metadata `s` (fields besides kind/step/plateau are the caller's) and its tensors under `prefix`. */
function readOne(s: Record<string, unknown>, prefix: string, tensors: Map<string, Tensor>, bad: Bad, who: string): OneState {
  const kind = s.kind as OneState["kind"];
  if (!Object.hasOwn(MOMENTS, String(kind))) bad(`${who}names the optimizer ${show(s.kind)}; expected "adam", "adamw" or "sgd"`);
  const step = count(bad, s.step, `${who}step`);
  let plateau: PlateauState | undefined;
  if (s.plateau !== undefined) {
    const p = s.plateau as Record<string, unknown>;
    if (typeof p !== "object" || p === null || Object.keys(p).sort().join() !== "best,cooldown,factor,wait") {
      bad(`${who}plateau must be { factor, best, wait, cooldown }`);
    }
    const f = p.factor;
    if (typeof f !== "number" || !(f >= 0 && f <= 1)) bad(`${who}plateau.factor must be a number in [0, 1]; got ${show(f)}`);
    if (p.best !== null && (typeof p.best !== "number" || !Number.isFinite(p.best))) bad(`${who}plateau.best must be a finite number or null; got ${show(p.best)}`);
    plateau = { factor: f as number, best: (p.best as number | null) ?? Infinity, wait: count(bad, p.wait, `${who}plateau.wait`, 1e9), cooldown: count(bad, p.cooldown, `${who}plateau.cooldown`, 1e9) };
  }
  const names = MOMENTS[kind];
  const moments: Float32Array[] = [];
  let length = -1;
  for (const name of names) {
    const t = tensors.get(prefix + name) ?? bad(`lacks the tensor '${prefix + name}'`);
    // one value per slot of the model's flat parameter buffer, or of the group's slice (checked in applyState)
    if (t.shape.length !== 1 || (length >= 0 && t.shape[0] !== length)) bad(`tensors must all have one shape [n]; got [${t.shape.join(", ")}]`);
    length = t.shape[0];
    const second = name === "exp_avg_sq";
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i];
      if (!Number.isFinite(x) || (second && x < 0)) bad(`tensor '${prefix + name}'[${i}] is ${x}; expected a finite number${second ? " ≥ 0" : ""}`);
    }
    moments.push(t.data);
  }
  return { kind, step, plateau, m: moments[0], v: moments[1] };
}

/** Checks a file's optimizer state (metadata and tensors) completely; takes its tensors out of the file's. */
function readState(text: string, tensors: Map<string, Tensor>): State {
  const bad: Bad = (m) => {
    throw new ModelFormatError(`the model file's optimizer state ${m}`);
  };
  const j = parseBoundedJson(text, (m) => bad(`is ${m}`));
  if (typeof j !== "object" || j === null || Array.isArray(j)) bad("must be a JSON object");
  const s = j as Record<string, unknown>;
  const grouped = Object.hasOwn(s, "groups");
  const fields = grouped ? ["groups", "epoch", "streams", "order"] : ["kind", "step", "epoch", "streams", "plateau", "order"];
  for (const k of Object.keys(s)) if (!fields.includes(k)) bad(`has an unknown field '${k}'${grouped ? " (a file of parameter groups keeps kind, step and plateau per group)" : ""}`);
  const epoch = count(bad, s.epoch, "epoch", 1e9);
  if (typeof s.streams !== "object" || s.streams === null || Array.isArray(s.streams)) bad("streams must be an object of stream positions");
  const streams: Record<number, number> = {};
  for (const [k, v] of Object.entries(s.streams as object)) {
    if (!STREAMS.has(Number(k)) || String(Number(k)) !== k) bad(`has an unknown noise stream ${show(k)}`);
    streams[Number(k)] = count(bad, v, `stream ${k}'s position`);
  }
  let order: Order | undefined;
  if (s.order !== undefined) {
    const o = s.order as Record<string, unknown>;
    if (typeof o !== "object" || o === null || Array.isArray(o) || Object.keys(o).some((k) => !["seed", "range", "shuffle"].includes(k))) {
      bad("order must be { seed, range?, shuffle? }");
    }
    order = { seed: count(bad, o.seed, "order.seed", 2 ** 32 - 1) };
    if (o.range !== undefined) order.range = count(bad, o.range, "order.range", 2 ** 31 - 1) || bad("order.range must be at least 1");
    if (o.shuffle !== undefined) order.shuffle = o.shuffle === false ? false : bad(`order.shuffle must be false when present; got ${show(o.shuffle)}`);
    if (order.shuffle === false && order.range !== undefined) bad("order has a range but no shuffling");
  }
  const taken = new Set<string>();
  const take = (prefix: string, kind: OneState["kind"], who: string): void => {
    for (const name of MOMENTS[kind]) taken.add(prefix + name);
    for (const name of [...tensors.keys()].filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes("."))) {
      if (!taken.has(name)) bad(`has a tensor '${name}' that ${who}${kind} does not keep; it keeps ${MOMENTS[kind].map((n) => prefix + n).join(", ")}`);
    }
  };
  let one: OneState | undefined, groups: Map<string, OneState> | undefined;
  if (grouped) {
    const g = s.groups as Record<string, unknown>;
    if (typeof g !== "object" || g === null || Array.isArray(g) || Object.keys(g).length === 0) bad("groups must be an object of optimizer states by parameter group name");
    groups = new Map();
    for (const [name, v] of Object.entries(g)) {
      if (!GROUP_NAME.test(name)) bad(`names a parameter group ${show(name)}; expected a name of letters, digits, '_' and '-'`);
      const who = `of parameter group '${name}' `;
      if (typeof v !== "object" || v === null || Array.isArray(v)) bad(`${who}must be { kind, step, plateau? }`);
      for (const k of Object.keys(v as object)) if (!["kind", "step", "plateau"].includes(k)) bad(`${who}has an unknown field '${k}'`);
      const st = readOne(v as Record<string, unknown>, `${PREFIX}${name}.`, tensors, bad, `${who}`);
      take(`${PREFIX}${name}.`, st.kind, `parameter group '${name}''s `);
      groups.set(name, st);
    }
  } else {
    one = readOne(s, PREFIX, tensors, bad, "");
    take(PREFIX, one.kind, "");
  }
  for (const name of tensors.keys()) if (name.startsWith(PREFIX) && !taken.has(name)) bad(`has a tensor '${name}' that no optimizer state keeps`);
  for (const name of taken) tensors.delete(name);
  return { one, groups, epoch, streams, order };
}

/** Puts one checked optimizer state into `opt` (its length already checked). */
function applyOne(opt: Optimizer, st: OneState): void {
  opt.prepare(st.kind);
  const o = opt as unknown as OptimizerFields;
  o.e.write(o.m, st.m);
  if (st.v) o.e.write(o.v, st.v);
  o.t = st.step;
  setPlateau(opt, st.plateau);
}

/** Puts a checked state into a model whose weights were just restored (what doesn't fit the model is refused, first). */
function applyState(model: object, st: State): void {
  const m = model as TrainedModel;
  const G = groupsOf(model);
  if (st.groups) {
    if (!G) throw new ModelFormatError("the model file's optimizer state is of parameter groups; this model trains all its parameters as one");
    const names = G.list.map((g) => g.name);
    for (const [name, s] of st.groups) {
      const g = G.get(name) ?? (() => {
        throw new ModelFormatError(`the model file's optimizer state has a parameter group '${name}' this model lacks; its groups: ${names.join(", ")}`);
      })();
      if (s.m.length !== g.size) {
        throw new ModelFormatError(`the model file's optimizer state of parameter group '${name}' has ${s.m.length} values per moment; the group has ${g.size}`);
      }
    }
    for (const [name, s] of st.groups) applyOne(G.optimizer(name), s);
  } else {
    if (G) throw new ModelFormatError("the model file's optimizer state is of one optimizer; this model trains in parameter groups (" + G.list.map((g) => g.name).join(", ") + ")");
    if (st.one!.m.length !== m.nParams) {
      throw new ModelFormatError(`the model file's optimizer state has ${st.one!.m.length} values per moment; this model's parameter buffer has ${m.nParams}`);
    }
    applyOne(m.optimizer, st.one!);
  }
  m.trainBlocks = { ...st.streams };
  setEpochs(model, st.epoch);
  setOrder(model, st.order);
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
