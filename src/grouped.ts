// vaekit/grouped: models of grouped and multi-part observations — Bouchacourt et al.'s multi-level VAE (a content
// latent per group, its posterior the product of the members' Gaussians, and a style latent per example) and the
// hybrid VAE (named observation parts with their own likelihoods, some missing per example, one latent).
// A sub-path entry of its own: nothing here is reachable from the default entry (vaekit), which stays small.
export { MultiLevelVAE } from "./models/multi-level-vae.js";
export type { MultiLevelEncoding, MultiLevelFitOptions, MultiLevelTerms } from "./models/multi-level-vae.js";
export type { MultiLevelVAEConfig, ResolvedMultiLevelVAEConfig } from "./models/multi-level-config.js";
export { HybridVAE } from "./models/hybrid-vae.js";
export type { HybridConditionalOptions, HybridFitOptions, HybridLikelihoodOptions, Presence } from "./models/hybrid-vae.js";
export type { HybridPart, HybridVAEConfig, ResolvedHybridVAEConfig } from "./models/hybrid-config.js";
export type { PartLikelihood } from "./nn/parts.js";
export { productOfExperts, productOfExpertsBackward, productOfGaussians, productOfGaussiansBackward, runStarts } from "./nn/product-of-gaussians.js";
export { groupBatches, groupMembers, splitGroups } from "./train/fields.js";
