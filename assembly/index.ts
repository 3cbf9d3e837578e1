// The ABI of vaekit.wasm: every exported function, nothing else.
// Conventions (all families):
// - pointers are byte offsets into linear memory, every tensor is f32, row-major;
// - arguments come outputs first, then inputs, then sizes, then scalars; gradients are prefixed `d`;
// - kernels never allocate and never call out; the host owns all memory above heap_base().

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
