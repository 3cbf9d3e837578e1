// The ABI of dist/vaekit-ext.wasm (and, with assembly/fast.ts, of dist/vaekit-fast.wasm): every kernel of the
// default vaekit.wasm plus those of the model families beyond the MLP (the registry's EXT list: convolution, batch
// norm, recurrent cells, …). A model that calls them creates its engine with `ext` and runs this module instead of
// vaekit.wasm; the same kernels compiled into either module give the same bits.
// The list itself is generated from the kernel registry (assembly/registry.mjs): edit the registry, not this file.

export * from "./exports-ext.generated";
