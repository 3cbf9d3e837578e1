// fast.ts — a second entry file compiled only into the fast builds (dist/vaekit-fast.wasm and
// build/vaekit-fast-testing.wasm, `--enable relaxed-simd`): its one export tells the host which build a
// module is without running it (WebAssembly.Module.exports), so a module passed by the user is never mistaken
// for the other build. dist/vaekit.wasm has no such export.

/** 1: this module's GEMMs use relaxed-SIMD FMA (assembly/madd.ts), i.e. it is vaekit-fast.wasm. */
export function precision_fast(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
