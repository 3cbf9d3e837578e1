// The module protocol. A module kind (one file each under src/nn) declares its parameters once — their names in
// files, their PyTorch layout, their initialisation and fan-in — through a ParameterLayout, and runs on a Tape:
// `forward` writes its outputs and records a backward step that ADDS into the parameter gradients and into the
// gradients of its inputs (see tape.ts for how overwriting kernels keep that contract). Buffers are typed Tensor
// handles declared in a Workspace (tensor.ts).

/**
 * One tensor of a model file, as a module exports it: its name, its PyTorch shape, and how it is read from and
 * written into the flat parameter buffer (the module's export/import hook: transposes and column slices live here).
 *
 * @example
 * ```ts
 * const spec: ParamTensor = { name: "decoder.logsigma", shape: [784], read: (all) => all.slice(0, 784), write: (all, t) => all.set(t) };
 * ```
 */
export interface ParamTensor {
  readonly name: string;
  readonly shape: number[];
  /** A non-trainable buffer (batch norm's running statistics): saved and loaded, no gradient, not counted as a parameter. */
  readonly buffer?: boolean;
  read(all: Float32Array): Float32Array;
  write(all: Float32Array, t: ArrayLike<number>): void;
}

/** A module's parameters in the flat buffer: its file tensors, and its initialisation. */
export interface ParameterBlock {
  /** The tensors saved for these parameters (names and PyTorch layout). */
  tensors(): ParamTensor[];
  /**
   * Writes the initial values from the model's seed. `index` is the block's position among the layout's random
   * blocks (its Philox counters), `glorot` the config's init rule.
   */
  init(k: InitKernels, params: number, seed: number, index: number, glorot: boolean, f32: (ptr: number, n: number) => Float32Array): void;
  /** True when `init` draws random numbers (it then takes an index). */
  readonly random: boolean;
}

/** The kernels an initialisation uses. */
export interface InitKernels {
  rng_uniform(out: number, n: number, key0: number, key1: number, ctr0: number, ctr1: number): void;
  uniform_symmetric(x: number, n: number, bound: number): void;
}

// ---- export hooks: each module kind writes its own ONNX nodes (src/interop/onnx.ts provides the graph) ----

/**
 * An ONNX node attribute: its name, kind and value ("ints" is a list, e.g. a Conv's pads).
 *
 * @example
 * ```ts
 * const pads: OnnxAttribute = ["pads", "ints", [1, 1, 1, 1]];
 * ```
 */
export type OnnxAttribute = [name: string, kind: "int" | "float" | "ints", value: number | readonly number[]];

/**
 * The ONNX graph a module's export hook writes into: a module adds its parameters as initializers (by their names
 * and PyTorch shapes in model files, which ONNX's operators share) and its nodes, from a named input value to a
 * named output value. Image values are NCHW inside the graph (ONNX's and PyTorch's layout).
 *
 * @example
 * ```ts
 * const w = g.weight("encoder.layers.0.weight", [32, 1, 3, 3]);
 * g.node("Conv", "encoder.layers.0", ["x.nchw", w, g.weight("encoder.layers.0.bias", [32])], "encoder.layers.0", [["strides", "ints", [2, 2]]]);
 * ```
 */
export interface OnnxGraph {
  /** Adds the model's tensor `name` (its file name and PyTorch shape) as a float initializer; returns its value name. */
  weight(name: string, shape: readonly number[]): string;
  /** Adds an int64 constant (a Reshape's target shape); returns its value name. */
  ints(name: string, values: readonly number[]): string;
  /** Appends a node computing `output` from `inputs`. */
  node(op: string, name: string, inputs: readonly string[], output: string, attributes?: readonly OnnxAttribute[]): void;
}
