// Loading any vaekit model file as the class its metadata names.
import { Autoencoder } from "./autoencoder.js";
import { ConditionalVAE } from "./conditional-vae.js";
import { readModelFile } from "./format.js";
import { HierarchicalVAE } from "./hierarchical-vae.js";
import type { EngineOptions } from "./model.js";
import { VAE } from "./vae.js";
import type { VRNN } from "./vrnn.js"; // sequences: a chunk of its own, imported on first use
// vaekit/gan: types only here; the classes are imported on demand, so the default entry does not grow
import type { VAEGAN } from "./vae-gan.js";
import type { CVAEGAN } from "./cvae-gan.js";
// grouped and multi-part models (vaekit/grouped): types only here, the classes load on demand
import type { MultiLevelVAE } from "./multi-level-vae.js";
import type { HybridVAE } from "./hybrid-vae.js";

/**
 * Any model `loadModel` can return.
 *
 * @example
 * ```ts
 * const m: AnyModel = await loadModel(bytes);
 * ```
 */
export type AnyModel = VAE | ConditionalVAE | HierarchicalVAE | Autoencoder
  | VRNN
  | import("./tabular-vae.js").TabularVAE
  | VAEGAN | CVAEGAN // vaekit/gan
  | MultiLevelVAE | HybridVAE; // vaekit/grouped

/**
 * Loads a file written by any model's `save()` as that model's class (the metadata's "model" field names it);
 * check which with `instanceof` or `model.kind`. Foreign or damaged files throw ModelFormatError.
 *
 * @example
 * ```ts
 * const m = await loadModel(await readFile("model.safetensors"));
 * if (m instanceof ConditionalVAE) m.sample(8, { label: 3 });
 * ```
 */
export async function loadModel(bytes: Uint8Array | ArrayBuffer, options: EngineOptions = {}): Promise<AnyModel> {
  const { kind } = await readModelFile(bytes);
  switch (kind) {
    case "VAE": return VAE.load(bytes, options);
    case "ConditionalVAE": return ConditionalVAE.load(bytes, options);
    case "HierarchicalVAE": return HierarchicalVAE.load(bytes, options);
    case "Autoencoder": return Autoencoder.load(bytes, options);
    case "VRNN": return (await import("./vrnn.js")).VRNN.load(bytes, options);
    // the tabular model is a chunk of its own (vaekit/tabular), loaded only for its files
    case "TabularVAE": return (await import("./tabular-vae.js")).TabularVAE.load(bytes, options);
    // vaekit/gan, loaded as chunks of their own
    case "VAEGAN": return (await import("./vae-gan.js")).VAEGAN.load(bytes, options);
    case "CVAEGAN": return (await import("./cvae-gan.js")).CVAEGAN.load(bytes, options);
    // grouped and multi-part models (vaekit/grouped): a chunk of their own, loaded when a file holds one
    case "MultiLevelVAE": return (await import("./multi-level-vae.js")).MultiLevelVAE.load(bytes, options);
    case "HybridVAE": return (await import("./hybrid-vae.js")).HybridVAE.load(bytes, options);
  }
}
