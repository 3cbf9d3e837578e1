// `vaekit train --encoder/--decoder/--shape`: layer lists for convolutional models, written compactly on the
// command line or as JSON (inline, or a .json file), turned into the config's `encoder`/`decoder` arrays (the
// model's create checks them and their shapes). Compact form: layers separated by commas, fields by colons —
//   conv2d:32:k3:s2:psame:relu   conv2dTranspose:1:k3:s2:p1:op1   dense:16:relu   batchnorm[:m0.1][:e1e-5][:relu]
//   flatten   reshape:7x7x64
// (k kernel size, s strides, p padding — a number, same or valid —, op output padding, m momentum, e epsilon; an
// activation name anywhere).
import { readFileSync } from "node:fs";
import type { LayerSpec } from "../index.js";
import { UsageError } from "./errors.js";

const ACTS = ["relu", "leaky_relu", "tanh", "sigmoid", "identity"];
const TYPES: Record<string, string> = {
  conv2d: "conv2d", conv: "conv2d", conv2dtranspose: "conv2dTranspose", deconv: "conv2dTranspose", dense: "dense",
  batchnorm: "batchNorm", bn: "batchNorm", flatten: "flatten", reshape: "reshape",
};

function num(flag: string, layer: string, v: string): number {
  const n = Number(v);
  if (v === "" || !Number.isFinite(n)) throw new UsageError(`${flag}: '${layer}' has '${v}' where a number belongs`);
  return n;
}

/** One compact layer, e.g. "conv2d:32:k3:s2:psame:relu". */
function compact(flag: string, text: string): LayerSpec {
  const [head, ...fields] = text.trim().split(":");
  const type = TYPES[head.toLowerCase()];
  if (!type) throw new UsageError(`${flag}: unknown layer '${head}' in '${text}'; layers are ${Object.keys(TYPES).join(", ")}`);
  const l: Record<string, unknown> = { type };
  for (const f of fields) {
    if (ACTS.includes(f)) l.activation = f;
    else if (type === "reshape") l.shape = f.split("x").map((v) => num(flag, text, v));
    else if (/^\d+$/.test(f) && (type === "dense" ? l.units === undefined : l.filters === undefined)) l[type === "dense" ? "units" : "filters"] = Number(f);
    else if (f.startsWith("op")) l.outputPadding = num(flag, text, f.slice(2));
    else if (f.startsWith("k")) l.kernelSize = num(flag, text, f.slice(1));
    else if (f.startsWith("s")) l.strides = num(flag, text, f.slice(1));
    else if (f.startsWith("p")) l.padding = f === "psame" ? "same" : f === "pvalid" ? "valid" : num(flag, text, f.slice(1));
    else if (f.startsWith("m")) l.momentum = num(flag, text, f.slice(1));
    else if (f.startsWith("e")) l.epsilon = num(flag, text, f.slice(1));
    else throw new UsageError(`${flag}: '${f}' in '${text}' is not a field (k, s, p, op, m, e, a count or an activation)`);
  }
  return l as unknown as LayerSpec;
}

/** A layer list from --encoder / --decoder: compact specs, inline JSON, or a .json file holding the array. */
export function layerList(flag: string, v: string): LayerSpec[] {
  const t = v.trim();
  if (t.startsWith("[") || t.endsWith(".json")) {
    let json: unknown;
    try {
      json = JSON.parse(t.startsWith("[") ? t : readFileSync(t, "utf8"));
    } catch (e) {
      throw new UsageError(`${flag}: ${t.startsWith("[") ? "the JSON" : `'${t}'`} could not be read as JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(json)) throw new UsageError(`${flag}: the JSON must be an array of layers, e.g. [{"type": "dense", "units": 64}]`);
    return json as LayerSpec[];
  }
  return t.split(",").map((s) => compact(flag, s));
}

/** --shape HxWxC: the image shape of each row (its product must be the data's values per row). */
export function shapeOf(v: string, cols: number): [number, number, number] {
  const s = v.split("x").map(Number);
  if (s.length !== 3 || s.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--shape must be HxWxC, e.g. 28x28x1; got '${v}'`);
  if (s[0] * s[1] * s[2] !== cols) throw new UsageError(`--shape ${v} has ${s[0] * s[1] * s[2]} values; the data has ${cols} per row`);
  return s as [number, number, number];
}
