import type { LoadedModel } from '@dissonance/core';

/**
 * The champion's input shape without the batch axis, as a job carries it: `{ inputShape }` when the loaded
 * model declares one that is not plain `[inputWidth]` (an `OnnxNodeModel` or `OnnxWebModel` of a CNN on
 * `[N, 1, 8, 8]` declares `[1, 8, 8]`), else `{}` (the job's default, `[width]`). A declared shape whose
 * product is not `inputWidth` is ignored.
 */
export function inputShapeOf(model: LoadedModel): { readonly inputShape?: readonly number[] } {
  const declared: unknown = (model as { readonly inputShape?: unknown }).inputShape;
  if (!Array.isArray(declared) || declared.length < 2) return {};
  const dims = declared as unknown[];
  if (!dims.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 1)) return {};
  const shape = dims as number[];
  return shape.reduce((a, b) => a * b, 1) === model.inputWidth ? { inputShape: [...shape] } : {};
}
