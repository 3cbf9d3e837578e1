// Exports a VAE's encoder or decoder as an ONNX model (ModelProto, IR version 7, default opset 13). The graph is
// composed from the module kinds' own export hooks (src/nn: dense and MLP layers as Gemm with transB = 1 so the
// weights keep PyTorch's [out, in] layout, conv2d / conv2dTranspose as Conv / ConvTranspose, batch norm as
// BatchNormalization, flatten / reshape, activations), walked from the model's config as the model itself builds
// its modules; this file adds the graph's boundary, the initializers and the protobuf. The encoder maps
// x [batch, inputSize] to mean and logvar [batch, latentSize]; the decoder maps z [batch, latentSize] to
// x [batch, inputSize], the likelihood's mean (a sigmoid for Bernoulli, the identity otherwise), as vaekit's
// decode() returns it. Images stay rows of H·W·C channels-last values at the boundary, as vaekit takes them; inside,
// the graph works in NCHW (ONNX's convolution layout), with a Reshape + Transpose after the input and a
// Transpose + Flatten before the output.
import { InvalidInputError, type ResolvedVAEConfig, type VAE } from "../index.js";
import { show } from "../errors-format.js";
import { planModel } from "../models/layers-config.js";
import { denseOnnx } from "../nn/dense.js";
import { mlpOnnx } from "../nn/mlp.js";
import type { OnnxAttribute, OnnxGraph } from "../nn/module.js";
import { layersOnnx } from "../nn/stack.js";
import { ProtoWriter } from "./protobuf.js";

/**
 * Options of `exportOnnx`.
 *
 * @example
 * ```ts
 * const options: OnnxExportOptions = { part: "decoder" };
 * ```
 */
export interface OnnxExportOptions {
  /** "encoder" (x → mean, logvar) or "decoder" (z → x, the likelihood's mean). */
  part: "encoder" | "decoder";
}

/**
 * A model as `exportOnnx` reads it: a VAE, or its config and weights (names and layout of `getWeights()`).
 *
 * @example
 * ```ts
 * const source: OnnxSource = { config: vae.config, weights: vae.getWeights() };
 * ```
 */
export type OnnxSource = VAE | { readonly config: ResolvedVAEConfig; readonly weights: Readonly<Record<string, Float32Array>> };

// ONNX enum values and message field numbers (onnx.proto).
const IR_VERSION = 7;
const OPSET = 13;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;
const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 },
  opset: { domain: 1, version: 2 },
  entry: { key: 1, value: 2 },
  graph: { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5 },
  attribute: { name: 1, f: 2, i: 3, ints: 8, type: 20 },
  tensor: { dims: 1, dataType: 2, name: 8, rawData: 9 },
  valueInfo: { name: 1, type: 2, docString: 3 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
};

function tensorProto(name: string, dims: readonly number[], data: Float32Array): ProtoWriter {
  const t = new ProtoWriter();
  for (const d of dims) t.int(F.tensor.dims, d);
  t.int(F.tensor.dataType, FLOAT);
  t.string(F.tensor.name, name);
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true); // raw_data is little-endian
  return t.bytes(F.tensor.rawData, raw);
}

/** A float tensor value description with a symbolic batch dimension. */
function valueInfo(name: string, width: number, doc: string): ProtoWriter {
  const shape = new ProtoWriter()
    .message(F.shape.dim, new ProtoWriter().string(F.dim.param, "batch"))
    .message(F.shape.dim, new ProtoWriter().int(F.dim.value, width));
  const tensorType = new ProtoWriter().int(F.tensorType.elemType, FLOAT).message(F.tensorType.shape, shape);
  return new ProtoWriter()
    .string(F.valueInfo.name, name)
    .message(F.valueInfo.type, new ProtoWriter().message(F.type.tensorType, tensorType))
    .string(F.valueInfo.docString, doc);
}

/** The graph the modules' hooks write into: nodes in order, initializers from the model's tensors. */
class Graph implements OnnxGraph {
  readonly nodes: ProtoWriter[] = [];
  readonly initializers: ProtoWriter[] = [];

  constructor(readonly weights: Readonly<Record<string, Float32Array>>) {}

  weight(name: string, dims: readonly number[]): string {
    const w = Object.hasOwn(this.weights, name) ? this.weights[name] : undefined;
    const n = dims.reduce((a, b) => a * b, 1);
    if (!(w instanceof Float32Array) || w.length !== n) {
      throw new InvalidInputError(`exportOnnx: weight '${name}' should be a Float32Array of ${n} values [${dims.join(", ")}]; got ${w === undefined ? "nothing" : `${(w as { length?: number }).length} values`}`);
    }
    this.initializers.push(tensorProto(name, dims, w));
    return name;
  }

  ints(name: string, values: readonly number[]): string {
    const t = new ProtoWriter().int(F.tensor.dims, values.length).int(F.tensor.dataType, INT64).string(F.tensor.name, name);
    const raw = new Uint8Array(values.length * 8);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(8 * i, BigInt(v), true));
    this.initializers.push(t.bytes(F.tensor.rawData, raw));
    return name;
  }

  node(op: string, name: string, inputs: readonly string[], output: string, attributes: readonly OnnxAttribute[] = []): void {
    const n = new ProtoWriter();
    for (const i of inputs) n.string(F.node.input, i);
    n.string(F.node.output, output).string(F.node.name, name).string(F.node.opType, op);
    for (const [key, kind, value] of attributes) {
      const a = new ProtoWriter().string(F.attribute.name, key);
      if (kind === "int") a.int(F.attribute.i, value as number).int(F.attribute.type, ATTR_INT);
      else if (kind === "float") a.float(F.attribute.f, value as number).int(F.attribute.type, ATTR_FLOAT);
      else {
        for (const v of value as readonly number[]) a.int(F.attribute.ints, v);
        a.int(F.attribute.type, ATTR_INTS);
      }
      n.message(F.node.attribute, a);
    }
    this.nodes.push(n);
  }
}

function source(model: unknown): { cfg: ResolvedVAEConfig; weights: Record<string, Float32Array> } {
  const m = model as { getWeights?: unknown; config?: unknown; weights?: unknown } | null;
  if (m && typeof m.getWeights === "function") {
    return { cfg: m.config as ResolvedVAEConfig, weights: (m.getWeights as () => Record<string, Float32Array>).call(m) };
  }
  if (m && typeof m.config === "object" && m.config !== null && typeof m.weights === "object" && m.weights !== null) {
    return { cfg: m.config as ResolvedVAEConfig, weights: m.weights as Record<string, Float32Array> };
  }
  throw new InvalidInputError("exportOnnx: expected a VAE, or { config, weights } as vae.config and vae.getWeights() give them");
}

/**
 * Serialises the encoder or the decoder of a VAE as an ONNX model (bytes of a .onnx file). The graph has a
 * symbolic batch dimension and uses only standard operators of opset 13 — Gemm, Relu, LeakyRelu, Tanh and Sigmoid
 * for an MLP VAE; also Conv, ConvTranspose, BatchNormalization (inference: the running statistics), Flatten,
 * Reshape and Transpose for a layer-list (conv) VAE — so any ONNX runtime runs it; it gives vaekit's `encode` /
 * `decode` results to float32 rounding. Metadata `vaekit.config` holds the model's config as JSON.
 *
 * - encoder: input `x` [batch, inputSize] → outputs `mean`, `logvar` [batch, latentSize];
 * - decoder: input `z` [batch, latentSize] → output `x` [batch, inputSize], pixel probabilities for the Bernoulli
 *   likelihood (a final Sigmoid), means for Gaussian and Laplace.
 *
 * Images keep vaekit's layout at the graph's boundary: rows of height × width × channels values, channels last.
 * Inside, a conv model's graph runs in NCHW (ONNX's and PyTorch's layout, with the weights exactly as in vaekit's
 * files): the encoder reshapes and transposes `x` to NCHW first, the decoder transposes its image back to NHWC and
 * flattens it last. Not exported yet: conditional models, and the decoder of a continuous-Bernoulli model
 * (InvalidInputError says so).
 *
 * @example
 * ```ts
 * import { exportOnnx } from "vaekit/onnx";
 * await writeFile("encoder.onnx", exportOnnx(vae, { part: "encoder" }));
 * await writeFile("decoder.onnx", exportOnnx(vae, { part: "decoder" }));
 * // onnxruntime: (await session.run({ z: new ort.Tensor("float32", z, [n, 20]) })).x
 * ```
 */
export function exportOnnx(model: OnnxSource, options: OnnxExportOptions): Uint8Array {
  if (typeof options !== "object" || options === null) {
    throw new InvalidInputError(`exportOnnx: options must be { part: "encoder" } or { part: "decoder" }; got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== "part") throw new InvalidInputError(`exportOnnx: unknown option '${key}'; the only option is part ("encoder" or "decoder")`);
  }
  const part = options.part;
  if (part !== "encoder" && part !== "decoder") {
    throw new InvalidInputError(`exportOnnx: part must be "encoder" or "decoder"; got ${show(part)}`);
  }
  const { cfg, weights } = source(model);
  if ((cfg as { classes?: unknown }).classes !== undefined) {
    throw new InvalidInputError("exportOnnx: conditional models (with classes) cannot be exported to ONNX yet; export a VAE");
  }
  const L = cfg.latentSize;
  const D = cfg.inputSize;
  const alpha = cfg.leakySlope;
  const bernoulli = cfg.likelihood === "bernoulli";
  if (part === "decoder" && cfg.likelihood === "continuous-bernoulli") {
    throw new InvalidInputError("exportOnnx: the decoder of a continuous-Bernoulli model cannot be exported yet (its mean is not an ONNX operator); export the encoder, or a model with a bernoulli, gaussian or laplace likelihood");
  }

  const graph = new ProtoWriter().string(F.graph.name, `vaekit_${part}`);
  const g = new Graph(weights);
  const layers = cfg.encoder !== undefined ? planModel(cfg.inputShape!, cfg.encoder, cfg.decoder!, L, 0) : undefined;
  let inputs: ProtoWriter[];
  let outputs: ProtoWriter[];
  if (part === "encoder") {
    if (layers) {
      let h = "x";
      const shape = cfg.inputShape!;
      if (shape.length === 3) { // rows of channels-last images → NCHW
        const [H, W, C] = shape;
        g.node("Reshape", "x.image", ["x", g.ints("x.image.shape", [0, H, W, C])], "x.image");
        g.node("Transpose", "x.nchw", ["x.image"], "x.nchw", [["perm", "ints", [0, 3, 1, 2]]]);
        h = "x.nchw";
      }
      h = layersOnnx(g, "encoder", layers.encoder, alpha, h);
      const width = layers.encoder[layers.encoder.length - 1].output[0];
      denseOnnx(g, "encoder.mean", width, L, "identity", alpha, h, "mean");
      denseOnnx(g, "encoder.logvar", width, L, "identity", alpha, h, "logvar");
    } else {
      mlpOnnx(g, {
        prefix: "encoder", inSize: D, hiddenSizes: cfg.hiddenSizes, activation: cfg.activation, outSize: 2 * L, outName: "head",
        outParts: [{ name: "mean", col: 0, cols: L }, { name: "logvar", col: L, cols: L }],
      }, alpha, "x", ["mean", "logvar"]);
    }
    inputs = [valueInfo("x", D, layers && cfg.inputShape!.length === 3 ? `examples, row-major: rows of ${cfg.inputShape!.join("×")} (height × width × channels, channels last)` : "examples, row-major")];
    outputs = [valueInfo("mean", L, "mean of q(z|x)"), valueInfo("logvar", L, "log-variance of q(z|x)")];
  } else {
    const out = bernoulli ? "logits" : "x";
    if (layers) {
      const h = layersOnnx(g, "decoder", layers.decoder, alpha, "z");
      if (layers.decoder[layers.decoder.length - 1].output.length === 3) { // NCHW → rows of channels-last images
        g.node("Transpose", "decoder.nhwc", [h], "decoder.nhwc", [["perm", "ints", [0, 2, 3, 1]]]);
        g.node("Flatten", "decoder.rows", ["decoder.nhwc"], out, [["axis", "int", 1]]);
      } else g.node("Identity", "decoder.rows", [h], out);
    } else {
      mlpOnnx(g, { prefix: "decoder", inSize: L, hiddenSizes: cfg.decoderHiddenSizes, activation: cfg.activation, outSize: D, outName: "output" }, alpha, "z", [out]);
    }
    if (bernoulli) g.node("Sigmoid", "decoder.probabilities", ["logits"], "x");
    inputs = [valueInfo("z", L, "latent vectors")];
    outputs = [valueInfo("x", D, bernoulli ? "Bernoulli probabilities (sigmoid of the decoder's logits)" : `mean of the ${cfg.likelihood} likelihood`)];
  }
  const nodes = g.nodes;
  const initializers = g.initializers;
  for (const n of nodes) graph.message(F.graph.node, n);
  for (const t of initializers) graph.message(F.graph.initializer, t);
  graph.string(F.graph.docString, `vaekit VAE ${part}`);
  for (const v of inputs) graph.message(F.graph.input, v);
  for (const v of outputs) graph.message(F.graph.output, v);

  return new ProtoWriter()
    .int(F.model.irVersion, IR_VERSION)
    .string(F.model.producerName, "vaekit")
    .string(F.model.docString, `The ${part} of a variational autoencoder exported by vaekit`)
    .message(F.model.graph, graph)
    .message(F.model.opsetImport, new ProtoWriter().string(F.opset.domain, "").int(F.opset.version, OPSET))
    .message(F.model.metadataProps, new ProtoWriter().string(F.entry.key, "vaekit.config").string(F.entry.value, JSON.stringify(cfg)))
    .finish();
}
