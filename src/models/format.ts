// The vaekit model file: safetensors with metadata naming the format, its version, the model class and its config.
import { ModelFormatError } from "../errors.js";
import { show } from "../errors-format.js";
import { encodeSafetensors, type Tensor } from "../io/safetensors.js";

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
export type ModelKind = "VAE" | "ConditionalVAE" | "HierarchicalVAE" | "Autoencoder"
  // grouped and multi-part models (vaekit/grouped)
  | "MultiLevelVAE" | "HybridVAE";

export const MODEL_KINDS: readonly ModelKind[] = ["VAE", "ConditionalVAE", "HierarchicalVAE", "Autoencoder",
  // grouped and multi-part models (vaekit/grouped)
  "MultiLevelVAE", "HybridVAE"];

/** A checked model file. */
export interface ModelFile {
  readonly kind: ModelKind;
  readonly config: unknown;
  readonly tensors: Map<string, Tensor>;
  /** Training steps taken before saving (schedules such as KL warm-up resume from here). */
  readonly steps: number;
}

/** Encodes a model file; `steps` is written only when training has happened. */
export function writeModelFile(kind: ModelKind, config: unknown, tensors: Map<string, Tensor>, steps: number): Uint8Array {
  const meta: Record<string, string> = { format: "vaekit", format_version: FORMAT_VERSION, model: kind, config: JSON.stringify(config) };
  if (steps > 0) meta.steps = String(steps);
  return encodeSafetensors(tensors, meta);
}

/**
 * Decodes and checks a model file; `expected` (when given) must match the file's model class. The checks live in
 * read-model-file.ts, a chunk of its own that the first load() imports: inference-only users who create models
 * never download them.
 */
export async function readModelFile(bytes: Uint8Array | ArrayBuffer, expected?: ModelKind): Promise<ModelFile> {
  return (await import("./read-model-file.js")).readModelFile(bytes, expected);
}

/** Resolves a config read from a file; a bad one is a ModelFormatError. */
export function configFromFile<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (e) {
    throw new ModelFormatError(`the model file's config is invalid: ${(e as Error).message}`);
  }
}
