// Exports a VAE's encoder or decoder as an ONNX model (ModelProto, IR version 7, default opset 13): one Gemm per
// layer (transB = 1, so the weights keep PyTorch's [out, in] layout) and the hidden activation after each hidden
// layer. The encoder maps x [batch, inputSize] to mean and logvar [batch, latentSize]; the decoder maps
// z [batch, latentSize] to x [batch, inputSize], the likelihood's mean (a sigmoid for Bernoulli, the identity
// otherwise), as vaekit's decode() returns it.
import { InvalidInputError, type ResolvedVAEConfig, type VAE } from "../index.js";
import { show } from "../errors-format.js";
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
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const F = {
  model: { irVersion: 1, producerName: 2, producerVersion: 3, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 },
  opset: { domain: 1, version: 2 },
  entry: { key: 1, value: 2 },
  graph: { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5 },
  attribute: { name: 1, f: 2, i: 3, type: 20 },
  tensor: { dims: 1, dataType: 2, name: 8, rawData: 9 },
  valueInfo: { name: 1, type: 2, docString: 3 },
  type: { tensorType: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
};

function tensorProto(name: string, dims: number[], data: Float32Array): ProtoWriter {
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

type Attribute = [name: string, kind: "int" | "float", value: number];

function node(op: string, name: string, inputs: string[], output: string, attributes: Attribute[] = []): ProtoWriter {
  const n = new ProtoWriter();
  for (const i of inputs) n.string(F.node.input, i);
  n.string(F.node.output, output).string(F.node.name, name).string(F.node.opType, op);
  for (const [key, kind, value] of attributes) {
    const a = new ProtoWriter().string(F.attribute.name, key);
    if (kind === "int") a.int(F.attribute.i, value).int(F.attribute.type, ATTR_INT);
    else a.float(F.attribute.f, value).int(F.attribute.type, ATTR_FLOAT);
    n.message(F.node.attribute, a);
  }
  return n;
}

/** The ONNX operator of a vaekit activation (undefined for the identity: no node). */
function activationNode(cfg: ResolvedVAEConfig, name: string, input: string, output: string): ProtoWriter | undefined {
  switch (cfg.activation) {
    case "relu": return node("Relu", name, [input], output);
    case "leaky_relu": return node("LeakyRelu", name, [input], output, [["alpha", "float", cfg.leakySlope]]);
    case "tanh": return node("Tanh", name, [input], output);
    case "sigmoid": return node("Sigmoid", name, [input], output);
    case "identity": return undefined;
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
 * symbolic batch dimension and uses only Gemm, Relu, LeakyRelu, Tanh and Sigmoid (opset 13), so any ONNX runtime
 * runs it; it gives vaekit's `encode` / `decode` results to float32 rounding. Metadata `vaekit.config` holds the
 * model's config as JSON.
 *
 * - encoder: input `x` [batch, inputSize] → outputs `mean`, `logvar` [batch, latentSize];
 * - decoder: input `z` [batch, latentSize] → output `x` [batch, inputSize], pixel probabilities for the Bernoulli
 *   likelihood (a final Sigmoid), means for Gaussian and Laplace.
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
  // layer lists (conv2d, conv2dTranspose, batch norm: issue 13) have no ONNX export yet: say so rather than
  // misreading their tensors as an MLP's
  if ((cfg as { encoder?: unknown }).encoder !== undefined) {
    throw new InvalidInputError("exportOnnx: models built from encoder/decoder layer lists (conv layers) cannot be exported to ONNX yet; only MLP VAEs (hiddenSizes) can");
  }
  const L = cfg.latentSize;
  const D = cfg.inputSize;

  const graph = new ProtoWriter().string(F.graph.name, `vaekit_${part}`);
  const nodes: ProtoWriter[] = [];
  const initializers: ProtoWriter[] = [];
  const take = (layer: string, inSize: number, outSize: number): [string, string] => {
    for (const [suffix, dims] of [["weight", [outSize, inSize]], ["bias", [outSize]]] as const) {
      const name = `${layer}.${suffix}`;
      const w = weights[name];
      const n = dims.reduce((a, b) => a * b, 1);
      if (!(w instanceof Float32Array) || w.length !== n) {
        throw new InvalidInputError(`exportOnnx: weight '${name}' should be a Float32Array of ${n} values [${dims.join(", ")}]; got ${w === undefined ? "nothing" : `${(w as { length?: number }).length} values`}`);
      }
      initializers.push(tensorProto(name, [...dims], w));
    }
    return [`${layer}.weight`, `${layer}.bias`];
  };
  const gemm = (layer: string, input: string, output: string, inSize: number, outSize: number): void => {
    nodes.push(node("Gemm", layer, [input, ...take(layer, inSize, outSize)], output, [["transB", "int", 1]]));
  };
  /** Hidden layers from `input`; returns the name and width of the last activation. */
  const hidden = (prefix: string, input: string, width: number, sizes: readonly number[]): [string, number] => {
    sizes.forEach((h, i) => {
      const layer = `${prefix}.hidden.${i}`;
      const act = activationNode(cfg, `${layer}.activation`, `${layer}.linear`, layer);
      gemm(layer, input, act ? `${layer}.linear` : layer, width, h);
      if (act) nodes.push(act);
      input = layer;
      width = h;
    });
    return [input, width];
  };

  let inputs: ProtoWriter[];
  let outputs: ProtoWriter[];
  if (part === "encoder") {
    const [h, width] = hidden("encoder", "x", D, cfg.hiddenSizes);
    gemm("encoder.mean", h, "mean", width, L);
    gemm("encoder.logvar", h, "logvar", width, L);
    inputs = [valueInfo("x", D, "examples, row-major")];
    outputs = [valueInfo("mean", L, "mean of q(z|x)"), valueInfo("logvar", L, "log-variance of q(z|x)")];
  } else {
    const [h, width] = hidden("decoder", "z", L, cfg.decoderHiddenSizes);
    const bernoulli = cfg.likelihood === "bernoulli";
    gemm("decoder.output", h, bernoulli ? "logits" : "x", width, D);
    if (bernoulli) nodes.push(node("Sigmoid", "decoder.probabilities", ["logits"], "x"));
    inputs = [valueInfo("z", L, "latent vectors")];
    outputs = [valueInfo("x", D, bernoulli ? "Bernoulli probabilities (sigmoid of the decoder's logits)" : `mean of the ${cfg.likelihood} likelihood`)];
  }
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
