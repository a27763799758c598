import { DissonanceError } from '@dissonance/core';

/** The `onnxruntime-web` module namespace. */
export type OrtWebModule = typeof import('onnxruntime-web');

let ortPromise: Promise<OrtWebModule> | undefined;

/**
 * Loads `onnxruntime-web` on first use, so importing `@dissonance/browser` costs nothing for pages that never
 * run an ONNX model and bundlers can split it into its own chunk. Rejects with `E_MODEL` when the package is
 * missing.
 */
export function loadOrtWeb(): Promise<OrtWebModule> {
  ortPromise ??= import('onnxruntime-web').catch((error: unknown) => {
    ortPromise = undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw new DissonanceError(
      'E_MODEL',
      `cannot load onnxruntime-web (install it next to @dissonance/browser): ${reason}`,
      {
        cause: error,
      },
    );
  });
  return ortPromise;
}
