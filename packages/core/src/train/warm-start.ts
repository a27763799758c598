import type { LoadedModel } from '../ports/model.js';
import { readOnnxMlp } from '../onnx/index.js';
import { MlpModel } from './mlp-model.js';
import type { MlpWeights } from './mlp-weights.js';

/** The weights of a base model, or why there are none. */
export type BaseWeights =
  | {
      readonly ok: true;
      readonly weights: MlpWeights;
      readonly source: 'mlp-model' | 'onnx';
      /** The model's ONNX metadata (`metadata_props`; an `MlpModel`'s own). */
      readonly metadata: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * The MLP weights of `base`: an {@link MlpModel}'s own, else those read from its ONNX artifact with
 * `readOnnxMlp`. They must match `base.inputWidth` and `base.classes`. Never throws: a base without
 * readable MLP weights (a function model, a tree ensemble…) gives `ok: false` and the reason.
 */
export function baseWeights(base: LoadedModel): BaseWeights {
  let weights: MlpWeights;
  let metadata: Readonly<Record<string, string>>;
  let source: 'mlp-model' | 'onnx';
  if (base instanceof MlpModel) {
    weights = base.weights;
    metadata = base.metadata;
    source = 'mlp-model';
  } else if (base.artifact?.format === 'onnx') {
    try {
      ({ weights, metadata } = readOnnxMlp(base.artifact.bytes));
    } catch (error) {
      return {
        ok: false,
        reason: `the ONNX artifact is not a readable MLP (${error instanceof Error ? error.message : String(error)})`,
      };
    }
    source = 'onnx';
  } else {
    return { ok: false, reason: `the base has no MLP weights (artifact format ${base.artifact?.format ?? 'none'})` };
  }
  if (weights.inputWidth !== base.inputWidth || weights.classes !== base.classes) {
    return {
      ok: false,
      reason: `the weights are ${weights.inputWidth} × ${weights.classes}, the base ${base.inputWidth} × ${base.classes}`,
    };
  }
  return { ok: true, weights, source, metadata };
}
