// vaekit/tabular: the tabular VAE — mixed-type columns with their own likelihoods, stored preprocessing, missing
// values, imputation and per-column anomaly scores on raw records; CSV in and out. Arrow tables and Parquet files
// are read by vaekit/tabular-arrow (optional peer dependencies).
export { TabularVAE, resolveTabularConfig } from "./models/tabular-vae.js";
export type { AnomalyScores, ImputeOptions, MultipleImputeOptions, ResolvedTabularVAEConfig, TabularVAEConfig } from "./models/tabular-vae.js";
export { Codec, countLikelihood, inferSchema, MAX_CATEGORIES } from "./tabular/schema.js";
export type { Cell, Column, ColumnSpec, ColumnType, Encoded, TableRecord } from "./tabular/schema.js";
export { parseCsv, toCsv } from "./tabular/csv.js";
export { scanSchema } from "./tabular/scan.js";
export type { EncodedRows, TableChunk } from "./models/tabular-vae.js";
