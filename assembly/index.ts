// The ABI of the shipped vaekit.wasm: exactly the kernels the SDK calls (src/runtime/kernels.generated.ts), nothing
// else. assembly/testing.ts builds the test and bench module, which adds every scalar twin and the raw GEMMs.
// The list itself is generated from the kernel registry (assembly/registry.mjs): edit the registry, not this file.
// Conventions (all families):
// - pointers are byte offsets into linear memory, every tensor is f32, row-major;
// - arguments come outputs first, then inputs, then sizes, then scalars; gradients are prefixed `d`;
// - kernels never allocate and never call out; the host owns all memory above heap_base().

export * from "./exports.generated";
