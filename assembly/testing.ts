// The test and bench build (build/vaekit-testing.wasm): every kernel of the shipped module plus each one's
// scalar twin, the raw GEMMs, the vector math and the raw Philox block, so tests can compare them.
// Never shipped: dist/vaekit.wasm is built from assembly/index.ts alone.

export function heap_base(): usize {
  return __heap_base;
}

export * from "./gemm";
export * from "./dense"; // includes the sparse-input first-layer kernels (sparse.ts is internal)
export * from "./vmath";
export * from "./random";
export * from "./reparam";
export * from "./loss";
export * from "./optim";
export * from "./cbernoulli";
export * from "./gaussian-learned";
export * from "./logpdf";
export * from "./logmeanexp";
export * from "./sparsity";
export * from "./noise";
export * from "./gemv";
export * from "./init";
export * from "./check";
