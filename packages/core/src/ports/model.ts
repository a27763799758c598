/** Static facts about a model that every port needs. */
export interface ModelInfo {
  /** Registered model name, e.g. `digits-proposer`. */
  readonly name: string;
  /** Version string as the registry assigned it (`"1"`, `"2"`, …) or a label for unregistered models. */
  readonly version: string;
  /** Number of input features per row. */
  readonly inputWidth: number;
  /** Number of classes per output row. */
  readonly classes: number;
}

/**
 * A model ready to run. Batch-first: `x` holds `rows × inputWidth` features row-major and the result holds
 * `rows × classes` probabilities row-major. One item is a batch of one.
 */
export interface LoadedModel extends ModelInfo {
  /**
   * Runs the model on `rows` rows of `x`; resolves to `rows × classes` probabilities. The model may read `x` until
   * the promise settles (onnxruntime reads it on a later turn), so the caller must not change it before then; the
   * engine passes its own copy.
   */
  run(x: Float32Array, rows: number): Promise<Float32Array>;
  /** Serialized form of this model, when it has one (ONNX bytes, JSON weights…), for the registry. */
  readonly artifact?: ModelArtifact;
  /** Frees native resources. Safe to call twice. */
  dispose?(): Promise<void>;
  /**
   * Optional: one call that runs this model and `other` on the same rows, for runtimes where that is cheaper
   * than two runs (onnxruntime-node: one session holding both graphs). Resolves `undefined` when this model
   * cannot pair with that one (another runtime, provider or input shape); rejects with `E_MODEL` naming the
   * reason when it tried and failed. The engine asks once per champion for its one critic and, once the pair
   * is ready, runs generate and detect through it; the pair's outputs must equal the two models' own.
   */
  pairWith?(other: LoadedModel): Promise<PairedModels | undefined>;
}

/** Two models run as one: what {@link LoadedModel.pairWith} resolves with. */
export interface PairedModels {
  /**
   * Runs both models on `rows` rows of `x`; resolves to the first's and the second's probabilities. As with
   * {@link LoadedModel.run}, `x` must not change until the promise settles.
   */
  run(x: Float32Array, rows: number): Promise<readonly [Float32Array, Float32Array]>;
  /** Waits for runs in flight, then frees the pair's resources (not the two models'). Safe to call twice. */
  dispose(): Promise<void>;
}

/** The bytes of a model and the format they are in. */
export interface ModelArtifact {
  /** `onnx` for ONNX protobuf; other formats are runtime-specific (e.g. `json` for function models). */
  readonly format: string;
  /** The serialized model. */
  readonly bytes: Uint8Array;
}

/** Turns artifacts into runnable models (onnxruntime-node, onnxruntime-web, function models…). */
export interface ModelRuntime {
  /** Short name for logs and health, e.g. `onnxruntime-node/cpu`. */
  readonly name: string;
  /** True when this runtime can load `format`. */
  supports(format: string): boolean;
  /** Loads an artifact; rejects with `E_MODEL` when the bytes are not a usable model. */
  load(artifact: ModelArtifact, info: ModelInfo): Promise<LoadedModel>;
}
