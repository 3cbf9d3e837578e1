// The commands' one view of any model: load it from a file, and describe, encode and decode it through the shared
// model interface (ModelApi), reading what it can do from its capabilities rather than its class (a hierarchical
// model's latent space is its last layer z2; an autoencoder's is its code).
import { loadModel, VaekitError, type ModelApi, type Terms } from "../index.js";
import { CliError, UsageError } from "./errors.js";
import { readBytes } from "./files.js";

/** Any model, as the commands see it. */
export type CliModel = ModelApi<Terms>;

export async function openModel(path: string): Promise<CliModel> {
  const bytes = await readBytes(path);
  try {
    return await loadModel(bytes);
  } catch (e) {
    if (e instanceof VaekitError) throw new CliError(`'${path}' is not a vaekit model: ${e.message}`);
    throw e;
  }
}

export function describe(m: ModelApi<Terms>): string {
  const { inputSize, latentLayers, latentSize } = m.capabilities;
  const sizes = Object.values(latentLayers);
  if (sizes.length > 1) return `${m.kind} ${inputSize}→${sizes.join("→")}`;
  // sequences: steps × values per step, the recurrent state and the latent per step
  if (m.kind === "VRNN") {
    const c = m.config as { steps: number; inputSize: number; hiddenSize: number; latentSize: number; cell: string };
    return `VRNN ${c.steps}×${c.inputSize} ${c.cell.toUpperCase()} ${c.hiddenSize} z ${c.latentSize}`;
  }
  const c = m.config as { hiddenSizes?: number[]; encoder?: { units?: number }[] };
  // layer-list configs (vaekit/gan) name their encoder's widths as layers
  const hidden = c.hiddenSizes ?? c.encoder?.map((l) => l.units ?? "?") ?? [];
  return `${m.kind} ${inputSize}-${hidden.join("-")}-${latentSize}`;
}

export function inputSizeOf(m: ModelApi<Terms>): number {
  return m.capabilities.inputSize;
}

/** A layer-list model's image shape [height, width, channels] (its config's inputShape), for pictures. */
export function inputShapeOf(m: ModelApi<Terms>): readonly number[] | undefined {
  const shape = (m.config as { inputShape?: readonly number[] }).inputShape;
  return Array.isArray(shape) && shape.length === 3 ? shape : undefined;
}

/** Width of the latent space the commands work in. */
export function latentSizeOf(m: ModelApi<Terms>): number {
  return m.capabilities.latentSize;
}

export function classesOf(m: ModelApi<Terms>): number {
  return m.capabilities.classes;
}

/** The class given by --label for a conditional model (required there, refused elsewhere). */
export function labelOf(m: ModelApi<Terms>, label: number | undefined, command: string): number | undefined {
  const classes = classesOf(m);
  if (classes > 0) {
    if (label === undefined) throw new UsageError(`a ${m.kind} ${command}s one class at a time: give --label <c> (0 to ${classes - 1})`);
    if (label >= classes) throw new UsageError(`--label must be a class from 0 to ${classes - 1}; got ${label}`);
    return label;
  }
  if (label !== undefined) throw new UsageError(`--label applies to a ConditionalVAE; this model is a ${m.kind}`);
  return undefined;
}

/** Posterior means (or codes) of examples, [n, latentSizeOf(m)]; `labels` only for a conditional model. */
export function encodeMeans(m: ModelApi<Terms>, x: Float32Array, labels?: Int32Array | Float32Array): Float32Array {
  return m.encodeAny(x, { labels }).mean;
}

export function decodeCodes(m: ModelApi<Terms>, z: Float32Array, label?: number): Float32Array {
  return m.decodeAny(z, { label });
}
