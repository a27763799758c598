import { DissonanceError } from '../errors.js';
import type { LoadedModel, ModelArtifact } from '../ports/model.js';

/** Any function from `rows × inputWidth` features to `rows × classes` probabilities. */
export type ModelFunction = (x: Float32Array, rows: number) => Promise<Float32Array> | Float32Array;

/** Options of {@link FunctionModel}. */
export interface FunctionModelOptions {
  readonly name: string;
  /** Version label; the registry assigns the real version when the engine registers it. Default `"0"`. */
  readonly version?: string;
  readonly inputWidth: number;
  readonly classes: number;
  /** The model itself. */
  readonly run: ModelFunction;
  /** Serialized form for the registry; by default a small JSON document naming the function model. */
  readonly artifact?: ModelArtifact;
}

/**
 * Wraps any function as a {@link LoadedModel}: the in-memory model of the embedded default, and the way to
 * plug in a model served elsewhere (an HTTP endpoint, a WebWorker…). The output length is checked.
 */
export class FunctionModel implements LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly inputWidth: number;
  readonly classes: number;
  readonly artifact: ModelArtifact;
  readonly #run: ModelFunction;

  constructor(options: FunctionModelOptions) {
    if (!Number.isInteger(options.inputWidth) || options.inputWidth < 1) {
      throw new DissonanceError('E_CONFIG', `FunctionModel ${options.name}: inputWidth must be a positive integer`);
    }
    if (!Number.isInteger(options.classes) || options.classes < 2) {
      throw new DissonanceError('E_CONFIG', `FunctionModel ${options.name}: classes must be an integer ≥ 2`);
    }
    this.name = options.name;
    this.version = options.version ?? '0';
    this.inputWidth = options.inputWidth;
    this.classes = options.classes;
    this.#run = options.run;
    this.artifact = options.artifact ?? {
      format: 'json',
      bytes: new TextEncoder().encode(
        JSON.stringify({ kind: 'function-model', name: this.name, inputWidth: this.inputWidth, classes: this.classes }),
      ),
    };
  }

  async run(x: Float32Array, rows: number): Promise<Float32Array> {
    const out = await this.#run(x, rows);
    if (!(out instanceof Float32Array) || out.length !== rows * this.classes) {
      const got = out instanceof Float32Array ? `${out.length} values` : typeof out;
      throw new DissonanceError(
        'E_MODEL',
        `model ${this.name}@${this.version} returned ${got}, expected a Float32Array of ${rows} × ${this.classes}`,
      );
    }
    return out;
  }
}

/** A view of `model` under another version label (used once the registry has assigned one). */
export function withVersion(model: LoadedModel, version: string): LoadedModel {
  if (model.version === version) return model;
  return {
    name: model.name,
    version,
    inputWidth: model.inputWidth,
    classes: model.classes,
    ...(model.artifact === undefined ? {} : { artifact: model.artifact }),
    run: (x, rows) => model.run(x, rows),
    ...(model.dispose === undefined ? {} : { dispose: () => model.dispose?.() ?? Promise.resolve() }),
    ...(model.pairWith === undefined
      ? {}
      : { pairWith: (other: LoadedModel) => model.pairWith?.(other) ?? Promise.resolve(undefined) }),
  };
}
