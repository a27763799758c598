import { DissonanceError } from '@dissonance/core';

/** The `onnxruntime-node` module namespace. */
export type OrtModule = typeof import('onnxruntime-node');

let ortPromise: Promise<OrtModule> | undefined;

/**
 * Loads `onnxruntime-node` on first use (its native binding is large): importing `@dissonance/node` stays
 * cheap for code that never runs an ONNX model. Rejects with `E_MODEL` when the package or its binding is
 * missing.
 */
export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-node').catch((error: unknown) => {
    ortPromise = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DissonanceError(
      'E_MODEL',
      `cannot load onnxruntime-node (install it next to @dissonance/node): ${reason}`,
      {
        cause: error,
      },
    );
  });
  return ortPromise;
}
