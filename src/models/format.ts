// The vaekit model file: safetensors with metadata naming the format, its version, the model class and its config.
import { ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import { parseBoundedJson } from "../io/json-depth.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "../io/safetensors.js";

/**
 * The file format version written by `save()` (in the safetensors metadata).
 *
 * @example
 * ```ts
 * FORMAT_VERSION; // "1"
 * ```
 */
export const FORMAT_VERSION = "1";

/**
 * The model classes a file can hold (the metadata's `model` field).
 *
 * @example
 * ```ts
 * const kind: ModelKind = "ConditionalVAE";
 * ```
 */
export type ModelKind = "VAE" | "ConditionalVAE" | "HierarchicalVAE" | "Autoencoder";

export const MODEL_KINDS: readonly ModelKind[] = ["VAE", "ConditionalVAE", "HierarchicalVAE", "Autoencoder"];

/** A checked model file. */
export interface ModelFile {
  readonly kind: ModelKind;
  readonly config: unknown;
  readonly tensors: Map<string, Tensor>;
  /** Training steps taken before saving (schedules such as KL warm-up resume from here). */
  readonly steps: number;
}

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
  if (meta.format_version !== FORMAT_VERSION) {
    throw new ModelFormatError(
      `this model file has format_version ${show(meta.format_version)}; this vaekit reads version ${FORMAT_VERSION}`,
    );
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
  return { kind, config, tensors: file.tensors, steps };
}

/** Encodes a model file; `steps` is written only when training has happened. */
export function writeModelFile(kind: ModelKind, config: unknown, tensors: Map<string, Tensor>, steps: number): Uint8Array {
  const meta: Record<string, string> = { format: "vaekit", format_version: FORMAT_VERSION, model: kind, config: JSON.stringify(config) };
  if (steps > 0) meta.steps = String(steps);
  return encodeSafetensors(tensors, meta);
}

/** Resolves a config read from a file; a bad one is a ModelFormatError. */
export function configFromFile<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (e) {
    throw new ModelFormatError(`the model file's config is invalid: ${(e as Error).message}`);
  }
}
