// heap.ts — where the host's memory starts. Every build exports it (assembly/registry.mjs).

/** The first byte above the module's static data: the host owns all memory from here on. */
export function heap_base(): usize {
  return __heap_base;
}
