// The ABI of dist/vaekit-mt.wasm, the module that `threads > 1` runs on every thread over one imported shared
// memory: every kernel of index.ts plus the range-split ones the registry (assembly/registry.mjs) lists for the mt
// build (see docs/ABI.md, "Threads").
// Sharing one memory between instances is safe because the only static data are read-only constant tables
// (gemm.ts's ACTK, vmath.ts's VMK): every instance writes the same bytes there when it is instantiated, and the
// pool instantiates all its workers before the first job runs. The few mutable globals (noise.ts's Philox
// state, sparsity.ts's column scratch) are wasm globals, which every instance has its own copy of.
export * from "./exports-mt.generated";
