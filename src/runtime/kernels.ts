// The typed view of the kernel modules' exports (see docs/ABI.md): generated from the kernel registry
// (assembly/registry.mjs) into kernels.generated.ts. Pointers are byte offsets; sizes are element counts.
export type { KernelExports, MtKernelExports } from "./kernels.generated.js";

/** Activation codes shared with assembly/dense.ts. */
export const ACTIVATION_CODES = { identity: 0, relu: 1, leaky_relu: 2, tanh: 3, sigmoid: 4 } as const;
