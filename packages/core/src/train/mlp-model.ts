import { DissonanceError } from '../errors.js';
import type { LoadedModel, ModelArtifact, ModelInfo } from '../ports/model.js';
import { readOnnxMlp, writeOnnxMlp } from '../onnx/index.js';
import { checkMlpWeights } from '../onnx/check-weights.js';
import { mlpForward } from './mlp-forward.js';
import type { MlpWeights } from './mlp-weights.js';

/** Options of {@link MlpModel}. */
export interface MlpModelOptions {
  /** Model name (registered name, e.g. `digits-proposer`). */
  readonly name: string;
  /** Version label (default `"0"`); the registry assigns the real one. */
  readonly version?: string;
  /** Metadata written into the ONNX artifact's `metadata_props`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The serialized form when it already exists (e.g. the file the weights were read from). */
  readonly artifact?: ModelArtifact;
}

/**
 * An MLP as a {@link LoadedModel}: runs in pure TypeScript ({@link mlpForward}, float32 weights, float64
 * accumulation), and serializes to ONNX on first use of {@link artifact} (then cached) unless given its
 * artifact. The weights are
 * taken as they are, not copied: do not change them afterwards.
 */
export class MlpModel implements LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly inputWidth: number;
  readonly classes: number;
  readonly #weights: MlpWeights;
  readonly #metadata: Readonly<Record<string, string>>;
  #artifact: ModelArtifact | undefined;

  /** @throws DissonanceError `E_MODEL` when `weights` are not a consistent MLP. */
  constructor(weights: MlpWeights, options: MlpModelOptions) {
    checkMlpWeights(weights, 'E_MODEL', `MlpModel ${options.name}`);
    this.name = options.name;
    this.version = options.version ?? '0';
    this.inputWidth = weights.inputWidth;
    this.classes = weights.classes;
    this.#weights = weights;
    this.#metadata = options.metadata ?? {};
    this.#artifact = options.artifact;
  }

  /** The weights this model runs. */
  get weights(): MlpWeights {
    return this.#weights;
  }

  /** The metadata given at construction (what `mlpModelFromOnnx` read from the file's `metadata_props`). */
  get metadata(): Readonly<Record<string, string>> {
    return this.#metadata;
  }

  /** ONNX bytes of this model (written once, then cached). */
  get artifact(): ModelArtifact {
    this.#artifact ??= {
      format: 'onnx',
      bytes: writeOnnxMlp(this.#weights, { graphName: this.name, metadata: { ...this.#metadata } }),
    };
    return this.#artifact;
  }

  /**
   * `rows × classes` probabilities for `rows` rows of `x`.
   *
   * @throws DissonanceError `E_INPUT` when `rows` is not a non-negative integer or `x` is not `rows × inputWidth`.
   */
  async run(x: Float32Array, rows: number): Promise<Float32Array> {
    if (!Number.isSafeInteger(rows) || rows < 0) {
      throw new DissonanceError(
        'E_INPUT',
        `model ${this.name}@${this.version}: rows must be a non-negative integer, got ${rows}`,
      );
    }
    if (!(x instanceof Float32Array) || x.length !== rows * this.inputWidth) {
      throw new DissonanceError(
        'E_INPUT',
        `model ${this.name}@${this.version}: x must be a Float32Array of ${rows} × ${this.inputWidth}`,
      );
    }
    return mlpForward(this.#weights, x, rows);
  }
}

/**
 * Loads ONNX bytes written by this SDK (or a standard MLP export that `readOnnxMlp` understands) as an
 * {@link MlpModel}. `info.inputWidth` and `info.classes`, when given, must match the file.
 *
 * @throws DissonanceError `E_MODEL` when the bytes are not a readable MLP or do not match `info`.
 */
export function mlpModelFromOnnx(
  bytes: Uint8Array,
  info: Pick<ModelInfo, 'name'> & Partial<Pick<ModelInfo, 'version' | 'inputWidth' | 'classes'>>,
): MlpModel {
  let weights: MlpWeights;
  let metadata: Readonly<Record<string, string>>;
  try {
    ({ weights, metadata } = readOnnxMlp(bytes));
  } catch (error) {
    if (error instanceof DissonanceError && error.code === 'E_MODEL') throw error;
    throw new DissonanceError(
      'E_MODEL',
      `model ${info.name}: not a readable ONNX MLP: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (info.inputWidth !== undefined && info.inputWidth !== weights.inputWidth) {
    throw new DissonanceError(
      'E_MODEL',
      `model ${info.name}: the file has ${weights.inputWidth} inputs, expected ${info.inputWidth}`,
    );
  }
  if (info.classes !== undefined && info.classes !== weights.classes) {
    throw new DissonanceError(
      'E_MODEL',
      `model ${info.name}: the file has ${weights.classes} classes, expected ${info.classes}`,
    );
  }
  return new MlpModel(weights, {
    name: info.name,
    ...(info.version === undefined ? {} : { version: info.version }),
    metadata,
    artifact: { format: 'onnx', bytes },
  });
}
