import type { InferenceSession } from 'onnxruntime-node';
import { writeOnnxMlp } from '../../packages/core/src/onnx/index.js';
import { initMlp } from '../../packages/core/src/train/mlp-init.js';
import { createPrng } from '../../packages/core/src/train/prng.js';
import type { ExecutionProvider } from '../../packages/node/src/onnx/index.js';
import { spinningEntry } from '../../packages/node/src/onnx/onnx-node-runtime.js';

/** Features per row of the bench models. */
export const INPUT_WIDTH = 64;
/** Classes of the bench models. */
export const CLASSES = 10;
/** Hidden layer widths of the bench models. */
export const HIDDEN: readonly number[] = [128];

/**
 * The bench engines' policy: nothing deferred or quarantined, every row reconciled as unlabelled (the
 * steady-state serving path). 10⁹ tokens an hour are never spent in a run (what `evaluate` reports as a disabled
 * budget), and total variation never exceeds 1.
 */
export const NEVER_GATED = { dBudgetPerHour: 1e9, maxDissonance: 1 } as const;

/** ONNX bytes of a seeded 64-128-10 MLP (random weights and biases) written by `writeOnnxMlp`. */
export function benchModelBytes(seed: number): Uint8Array {
  const weights = initMlp({ inputWidth: INPUT_WIDTH, hidden: HIDDEN, classes: CLASSES, seed });
  const prng = createPrng(seed + 1000);
  for (const layer of weights.layers) for (let i = 0; i < layer.bias.length; i++) layer.bias[i] = 0.1 * prng.normal();
  return writeOnnxMlp(weights, { metadata: { purpose: 'bench', seed: String(seed) } });
}

/** `rows × INPUT_WIDTH` seeded normal features. */
export function benchRows(rows: number, seed: number): Float32Array {
  const prng = createPrng(seed);
  return Float32Array.from({ length: rows * INPUT_WIDTH }, () => prng.normal());
}

/**
 * The session options the SDK uses, for raw sessions on the same provider: the same threads and the same
 * spinning setting (`OnnxNodeRuntimeOptions.allowSpinning`, off unless `allowSpinning`), so SDK/raw ratios
 * measure the SDK's own work, not a difference in onnxruntime's settings.
 */
export function rawSessionOptions(
  provider: ExecutionProvider,
  threads: number | undefined,
  allowSpinning = false,
): InferenceSession.SessionOptions {
  return {
    extra: spinningEntry(allowSpinning),
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    executionProviders:
      provider === 'cuda'
        ? [{ name: 'cuda', deviceId: 0 }, 'cpu']
        : provider === 'webgpu'
          ? ['webgpu', 'cpu']
          : ['cpu'],
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  };
}
