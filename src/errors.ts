/**
 * The typed errors vaekit throws. Every error says what was wrong and what was expected, and a call that
 * throws leaves the model exactly as it was.
 *
 * @example
 * ```ts
 * import { VAE, InvalidInputError } from "vaekit";
 * try { vae.encode(new Float32Array(10)); }
 * catch (e) { if (e instanceof InvalidInputError) console.error(e.message); }
 * ```
 */
export class VaekitError extends Error {
  /** A stable machine-readable code, e.g. "INVALID_INPUT". */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "VaekitError";
    this.code = code;
  }
}

/**
 * A configuration field is unknown, missing or out of range.
 *
 * @example
 * ```ts
 * await VAE.create({ inputSize: 0, latentSize: 2 }); // throws InvalidConfigError: inputSize must be …
 * ```
 */
export class InvalidConfigError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "InvalidConfigError";
  constructor(message: string) {
    super("INVALID_CONFIG", message);
  }
}

/**
 * Data passed to a method has the wrong shape, contains NaN/Infinity, or values the likelihood can't take.
 *
 * @example
 * ```ts
 * vae.encode(new Float32Array(783)); // throws InvalidInputError: … not a multiple of 784 …
 * ```
 */
export class InvalidInputError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "InvalidInputError";
  constructor(message: string) {
    super("INVALID_INPUT", message);
  }
}

/**
 * Bytes given to `VAE.load` are truncated, foreign, or describe a model vaekit can't build.
 *
 * @example
 * ```ts
 * await VAE.load(new Uint8Array([1, 2, 3])); // throws ModelFormatError: … too short …
 * ```
 */
export class ModelFormatError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "ModelFormatError";
  constructor(message: string) {
    super("MODEL_FORMAT", message);
  }
}

/**
 * Training produced a non-finite loss or gradient; the weights are left as they were after the last good step.
 *
 * @example
 * ```ts
 * try { await vae.fit(x, { learningRate: 1e6 }); }
 * catch (e) { if (e instanceof TrainingDivergedError) console.log(e.epoch, e.batch); }
 * ```
 */
export class TrainingDivergedError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "TrainingDivergedError";
  /** 1-based epoch and 0-based batch at which training stopped. */
  readonly epoch: number;
  readonly batch: number;
  constructor(message: string, epoch: number, batch: number) {
    super("TRAINING_DIVERGED", message);
    this.epoch = epoch;
    this.batch = batch;
  }
}

/**
 * The model was used after `dispose()`.
 *
 * @example
 * ```ts
 * vae.dispose(); vae.sample(1); // throws DisposedError
 * ```
 */
export class DisposedError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "DisposedError";
  constructor(what: string) {
    super("DISPOSED", `${what} was called on a model that has been disposed; create or load a new model`);
  }
}

/**
 * The JavaScript engine lacks something vaekit needs (WebAssembly, or its SIMD proposal).
 *
 * @example
 * ```ts
 * await VAE.create(config); // throws UnsupportedRuntimeError on an engine without wasm SIMD
 * ```
 */
export class UnsupportedRuntimeError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "UnsupportedRuntimeError";
  constructor(message: string) {
    super("UNSUPPORTED_RUNTIME", message);
  }
}

/**
 * The model is training: a second `fit`, or `dispose` or `setWeights`, was called before the running fit settled. Nothing was changed; wait for the fit's promise (or abort it with its `signal`) and call again.
 *
 * @example
 * ```ts
 * const run = vae.fit(x);
 * vae.dispose(); // throws ModelBusyError
 * await run; vae.dispose();
 * ```
 */
export class ModelBusyError extends VaekitError {
  // Spelled out (not taken from the class) so minified builds keep it.
  override readonly name: string = "ModelBusyError";
  constructor(what: string) {
    super("MODEL_BUSY", `${what} during fit(): await it first`);
  }
}
