// vaekit/grouped: models of grouped and multi-part observations — Bouchacourt et al.'s multi-level VAE (a content
// latent per group, its posterior the product of the members' Gaussians, and a style latent per example).
// A sub-path entry of its own: nothing here is reachable from the default entry (vaekit), which stays small.
export { MultiLevelVAE } from "./models/multi-level-vae.js";
export type { MultiLevelEncoding, MultiLevelFitOptions, MultiLevelTerms } from "./models/multi-level-vae.js";
export type { MultiLevelVAEConfig, ResolvedMultiLevelVAEConfig } from "./models/multi-level-config.js";
export { productOfGaussians, productOfGaussiansBackward, runStarts } from "./nn/product-of-gaussians.js";
export { groupBatches, groupMembers, splitGroups } from "./train/fields.js";
