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
  | "VRNN" // sequences (src/sequence.ts)
  | "TabularVAE" // tables (src/tabular.ts)
  | "VAEGAN" | "CVAEGAN" // vaekit/gan
  | "MultiLevelVAE" | "HybridVAE"; // grouped and multi-part models (vaekit/grouped)

export const MODEL_KINDS: readonly ModelKind[] = ["VAE", "ConditionalVAE", "HierarchicalVAE", "Autoencoder",
  "VRNN", "TabularVAE", "VAEGAN", "CVAEGAN", "MultiLevelVAE", "HybridVAE"];

/** A checked model file. */
export interface ModelFile {
  readonly kind: ModelKind;
  readonly config: unknown;
  readonly tensors: Map<string, Tensor>;
  /** Training steps taken before saving (schedules such as KL warm-up resume from here). */
  readonly steps: number;
  /** The optimizer state's metadata (format_version "2" files only), checked by src/train/state.ts. */
  readonly optimizer?: string;
  /** Puts the file's checked optimizer state into the model being loaded (files saved with { optimizer: true }). */
  readonly resume?: (model: object) => void;
}

/** Set by src/train/state.ts when it loads: writes a model's optimizer state into a file's tensors (save). */
export const stateHooks: { write?: (model: object, tensors: Map<string, Tensor>) => string | undefined } = {};

/**
 * Encodes a model file; `steps` is written only when training has happened; `optimizer` (the optimizer state's
 * metadata, its tensors already in `tensors`) makes it a format_version "2" file.
 */
export function writeModelFile(kind: ModelKind, config: unknown, tensors: Map<string, Tensor>, steps: number, optimizer?: string): Uint8Array {
  const meta: Record<string, string> = { format: "vaekit", format_version: optimizer ? "2" : FORMAT_VERSION, model: kind, config: JSON.stringify(config) };
  if (steps > 0) meta.steps = String(steps);
  if (optimizer) meta.optimizer = optimizer;
  return encodeSafetensors(tensors, meta);
}

/**
 * Decodes and checks a model file; `expected` (when given) must match the file's model class. The checks live in
 * read-model-file.ts, a chunk of its own that the first load() imports: inference-only users who create models
 * never download them.
 */
export async function readModelFile(bytes: Uint8Array | ArrayBuffer, expected?: ModelKind): Promise<ModelFile> {
  const file = (await import("./read-model-file.js")).readModelFile(bytes, expected);
  return file.optimizer === undefined ? file : (await import("../train/state.js")).withState(file, file.optimizer);
}

/** Resolves a config read from a file; a bad one is a ModelFormatError. */
export function configFromFile<T>(resolve: () => T): T {
  try {
    return resolve();
  } catch (e) {
    throw new ModelFormatError(`the model file's config is invalid: ${(e as Error).message}`);
  }
}
