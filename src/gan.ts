// vaekit/gan: VAE-GAN (Larsen et al. 2015) and CVAE-GAN (Bao et al. 2017). A sub-path of its own, so that the
// default entry does not grow; the models share the core's engine, files and ModelApi.
export { VAEGAN, type GanGradients, type VAEGANStep, type VAEGANTerms } from "./models/vae-gan.js";
export type {
  CVAEGANConfig, CVAEGANWeights, GanBalance, GanLayer, ResolvedCVAEGANConfig, ResolvedVAEGANConfig, VAEGANConfig,
} from "./models/gan-config.js";
export { CVAEGAN, type CVAEGANStep, type CVAEGANTerms } from "./models/cvae-gan.js";
