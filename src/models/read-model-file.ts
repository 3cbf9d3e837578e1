// Reading a vaekit model file: the safetensors structure, then the metadata (format, version, model class, config,
// steps), every field checked. Imported on the first load() (format.ts's readModelFile), so it is a chunk of its own.
import { ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import { parseBoundedJson } from "../io/json-depth.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { FORMAT_VERSION, MODEL_KINDS, type ModelFile, type ModelKind } from "./format.js";

/** Decodes and checks a model file; `expected` (when given) must match the file's model class. */
export function readModelFile(bytes: Uint8Array | ArrayBuffer, expected?: ModelKind): ModelFile {
  const file = decodeSafetensors(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
  const meta = file.metadata;
  if (meta.format !== "vaekit") {
    throw new ModelFormatError(
      "this safetensors file was not written by vaekit (its metadata has no format = \"vaekit\"); to use foreign " +
        "weights, create a model with the matching config and pass the tensors to setWeights()",
    );
  }
  // version 2: a version 1 file plus the optimizer state (save({ optimizer: true })), checked by src/train/state.ts
  const resumable = meta.format_version === "2";
  if (meta.format_version !== FORMAT_VERSION && !resumable) {
    throw new ModelFormatError(
      `this model file has format_version ${show(meta.format_version)}; this vaekit reads versions ${FORMAT_VERSION} and 2`,
    );
  }
  if (resumable !== (meta.optimizer !== undefined)) {
    throw new ModelFormatError(`this model file's optimizer state ${resumable ? "is missing (format_version 2 files carry one)" : "needs format_version 2"}`);
  }
  const kind = meta.model as ModelKind;
  if (!MODEL_KINDS.includes(kind)) {
    throw new ModelFormatError(`this file holds a ${show(meta.model)} model, which this vaekit does not know (it reads ${MODEL_KINDS.join(", ")})`);
  }
  if (expected && kind !== expected) {
    const a = (k: string) => (/^[AEIOU]/.test(k) ? `an ${k}` : `a ${k}`);
    throw new ModelFormatError(`this file holds ${a(kind)} model, not ${a(expected)}; load it with ${kind}.load() or loadModel()`);
  }
  const config = parseBoundedJson(meta.config ?? "null", (m) => {
    throw new ModelFormatError(`the model file's config is ${m}`);
  });
  let steps = 0;
  if (meta.steps !== undefined) {
    steps = Number(meta.steps);
    if (!Number.isInteger(steps) || steps < 0 || String(steps) !== meta.steps) {
      throw new ModelFormatError(`the model file's steps ${show(meta.steps)} is not a whole number`);
    }
  }
  return { kind, config, tensors: file.tensors, steps, ...(resumable ? { optimizer: meta.optimizer } : {}) };
}

