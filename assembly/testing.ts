// The test and bench build (build/vaekit-testing.wasm): every kernel of the shipped module plus each one's
// scalar twin, the raw GEMMs, the vector math and the raw Philox block, so tests can compare them — the list the
// kernel registry (assembly/registry.mjs) gives for the testing build.
// Never shipped: dist/vaekit.wasm is built from assembly/index.ts alone.

export * from "./exports-testing.generated";
