// vaekit/sequence: models of sequences — the variational RNN (Chung et al. 2015) on GRU or LSTM cells (PyTorch's
// equations and weight layout) — and the sequence data type ([n, steps, size] with a length per sequence). A sub-path
// of its own: its kernels live in the ext build and nothing here is reachable from the default entry.
export { VRNN } from "./models/vrnn.js";
export type { VRNNConfig, ResolvedVRNNConfig, SequenceScores, SequenceEncoding } from "./models/vrnn.js";
export { sequences } from "./io/sequences.js";
export type { Sequences, SequenceInput } from "./io/sequences.js";
export type { CellKind } from "./nn/recurrent.js";
