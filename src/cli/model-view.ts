// The commands' one view of any model: load it from a file, and encode, decode, sample and sweep its latent space
// whatever its class (a hierarchical model's latent space is its top layer z2; an autoencoder's is its code).
import {
  Autoencoder, ConditionalVAE, HierarchicalVAE, loadModel, VAE, VaekitError, type AnyModel,
} from "../index.js";
import { CliError, UsageError } from "./errors.js";
import { readBytes } from "./files.js";

export async function openModel(path: string): Promise<AnyModel> {
  const bytes = await readBytes(path);
  try {
    return await loadModel(bytes);
  } catch (e) {
    if (e instanceof VaekitError) throw new CliError(`'${path}' is not a vaekit model: ${e.message}`);
    throw e;
  }
}

export function describe(m: AnyModel): string {
  if (m instanceof HierarchicalVAE) return `HierarchicalVAE ${m.config.inputSize}→${m.config.latentSizes.join("→")}`;
  const c = m.config;
  return `${m.kind} ${c.inputSize}-${c.hiddenSizes.join("-")}-${c.latentSize}`;
}

export function inputSizeOf(m: AnyModel): number {
  return m.config.inputSize;
}

/** Width of the latent space the commands work in. */
export function latentSizeOf(m: AnyModel): number {
  return m instanceof HierarchicalVAE ? m.config.latentSizes[1] : m.config.latentSize;
}

export function classesOf(m: AnyModel): number {
  return m instanceof ConditionalVAE ? m.config.classes : 0;
}

/** The class given by --label for a conditional model (required there, refused elsewhere). */
export function labelOf(m: AnyModel, label: number | undefined, command: string): number | undefined {
  if (m instanceof ConditionalVAE) {
    if (label === undefined) throw new UsageError(`a ConditionalVAE ${command}s one class at a time: give --label <c> (0 to ${m.config.classes - 1})`);
    if (label >= m.config.classes) throw new UsageError(`--label must be a class from 0 to ${m.config.classes - 1}; got ${label}`);
    return label;
  }
  if (label !== undefined) throw new UsageError(`--label applies to a ConditionalVAE; this model is a ${m.kind}`);
  return undefined;
}

/** Posterior means (or codes) of examples, [n, latentSizeOf(m)]; `labels` only for a conditional model. */
export function encodeMeans(m: AnyModel, x: Float32Array, labels?: Int32Array | Float32Array): Float32Array {
  if (m instanceof ConditionalVAE) return m.encode(x, labels!).mean;
  if (m instanceof HierarchicalVAE) return m.encode(x).z2.mean;
  if (m instanceof Autoencoder) return m.encode(x);
  return (m as VAE).encode(x).mean;
}

export function decodeCodes(m: AnyModel, z: Float32Array, label?: number): Float32Array {
  if (m instanceof ConditionalVAE) return m.decode(z, label!);
  return (m as VAE | HierarchicalVAE | Autoencoder).decode(z);
}
