import { availableParallelism } from 'node:os';
import { DissonanceError } from '@dissonance/core';

/** How a process's cores are split between serving (onnxruntime) and training threads. */
export interface ThreadBudget {
  /** Cores this process may use. */
  readonly cores: number;
  /** Trainer threads (`threadedTrainer({ maxThreads })`). */
  readonly trainerThreads: number;
  /** onnxruntime intra-op threads per serving session (`new OnnxNodeRuntime({ intraOpNumThreads })`). */
  readonly intraOpNumThreads: number;
  /** onnxruntime inter-op threads (1: the MLPs this loop serves are one chain of operators). */
  readonly interOpNumThreads: number;
}

/**
 * The sizing rule: training takes `trainerThreads` cores (default 1), serving gets the rest —
 * `intraOpNumThreads = max(1, cores − trainerThreads)` — so that, while a retrain runs, onnxruntime's
 * spinning intra-op pool and the trainer thread never ask for more cores than there are. `cores` defaults to
 * `os.availableParallelism()` (what the process may use, cgroup limits included); set it to the container's
 * CPU limit where that is lower. With one core, both get one and the operating system shares it.
 *
 * @throws DissonanceError `E_CONFIG` when a count is not a positive integer.
 */
export function threadBudget(options: { cores?: number; trainerThreads?: number } = {}): ThreadBudget {
  const cores = options.cores ?? availableParallelism();
  const trainerThreads = options.trainerThreads ?? 1;
  for (const [name, value] of [
    ['cores', cores],
    ['trainerThreads', trainerThreads],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new DissonanceError('E_CONFIG', `threadBudget: ${name} must be an integer ≥ 1, got ${value}`);
  }
  return { cores, trainerThreads, intraOpNumThreads: Math.max(1, cores - trainerThreads), interOpNumThreads: 1 };
}
