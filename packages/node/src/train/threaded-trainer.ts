import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { DissonanceError, type LoadedModel, type ModelRuntime, type Trainer } from '@dissonance/core';
import {
  mlpTrainerOptionsOf,
  pooledTrainer,
  type FitThread,
  type FitThreadEvents,
  type MlpTrainerOptions,
  type PooledTrainer,
} from '@dissonance/core/mlp';

/** Options of {@link threadedTrainer}. */
export interface ThreadedTrainerOptions {
  /** Most trainer threads fitting at once (default 1); see `threadBudget` for the sizing rule. */
  readonly maxThreads?: number;
  /**
   * Loads each candidate from its ONNX bytes on the serving side (e.g. the engine's `OnnxNodeRuntime`).
   * Default: an `MlpModel` read from the bytes (pure TypeScript).
   */
  readonly runtime?: ModelRuntime;
  /** V8 heap limits of each trainer thread (`worker_threads` `resourceLimits`); a thread over them dies with `E_TRAINER` and is replaced. */
  readonly resourceLimits?: ResourceLimits;
  /** Rows per model call while the serving thread prepares a fit (default 256); it yields between calls. */
  readonly chunkRows?: number;
  /** Called with each trainer thread started (to watch its `threadId` or `resourceUsage`, or to end it). */
  readonly onThread?: (worker: Worker) => void;
}

/** Resolves on the next turn of the event loop (`setImmediate`): serving batches run in between. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The worker script: `train-worker.js` next to the built bundle; from the TypeScript source (tests, benches
 * run through tsx or vitest), a bootstrap that registers tsx in the thread and imports `train-worker.ts`.
 */
function workerScript(): { script: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { script: new URL('./train-worker.js', here), eval: false };
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href.replace(/index\.cjs$/, 'index.mjs');
  const entry = new URL('./train-worker.ts', here).href;
  return {
    script: `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`,
    eval: true,
  };
}

function spawnWorker(
  resourceLimits: ResourceLimits | undefined,
  onThread: ((worker: Worker) => void) | undefined,
): (events: FitThreadEvents) => FitThread {
  const { script, eval: evaluate } = workerScript();
  return (events) => {
    const worker = new Worker(script, { eval: evaluate, ...(resourceLimits === undefined ? {} : { resourceLimits }) });
    let ended = false;
    const fail = (cause: Error): void => {
      if (ended) return;
      ended = true;
      events.failure(cause);
    };
    worker.on('message', (message) => events.message(message));
    worker.on('error', (error) => fail(error));
    worker.on('messageerror', (error) => fail(error));
    worker.on('exit', (code) => fail(new Error(`the worker thread exited with code ${code}`)));
    // Idle trainer threads never keep the process alive.
    worker.unref();
    onThread?.(worker);
    return {
      post: (request, transfer) => worker.postMessage(request, transfer),
      terminate: () => {
        ended = true;
        void worker.terminate();
      },
      busy: (busy) => (busy ? worker.ref() : worker.unref()),
    };
  };
}

/**
 * The built-in trainer on `worker_threads`: the engine's thread only packs the examples, runs the critics and
 * the champion (in chunks, yielding between them) and loads the candidate; the epochs, the KL guard and the
 * ONNX writing run on a trainer thread, so serving keeps its latency during a retrain. Examples and reference
 * rows go over as transferred `ArrayBuffer`s, the candidate comes back as ONNX bytes and its report. Gives
 * the same candidate as the in-thread trainer for the same job.
 *
 * `trainer`: `'builtin'` (default), the options of `createMlpTrainer`, or a trainer `createMlpTrainer` made
 * (its options are reused). A crashed or terminated thread fails its fit with `E_TRAINER` and is replaced on
 * the next fit; a fit whose signal aborts terminates its thread. `close()` ends the threads (idle ones never
 * keep the process alive).
 *
 * @throws DissonanceError `E_CONFIG` for a trainer that is not the built-in one (its `fit` is a closure that
 *   cannot move to a thread) or bad options.
 */
export function threadedTrainer(
  trainer: 'builtin' | MlpTrainerOptions | Trainer = 'builtin',
  options: ThreadedTrainerOptions = {},
): PooledTrainer {
  let trainerOptions: MlpTrainerOptions;
  if (trainer === 'builtin') trainerOptions = {};
  else if (typeof (trainer as Trainer).fit === 'function') {
    const found = mlpTrainerOptionsOf(trainer as Trainer);
    if (found === undefined) {
      throw new DissonanceError(
        'E_CONFIG',
        `threadedTrainer runs the built-in trainer (createMlpTrainer); "${(trainer as Trainer).name}" is another trainer, whose fit cannot move to a thread`,
      );
    }
    trainerOptions = found;
  } else trainerOptions = trainer as MlpTrainerOptions;
  const runtime = options.runtime;
  const load =
    runtime === undefined
      ? undefined
      : async (bytes: Uint8Array, info: Parameters<ModelRuntime['load']>[1]): Promise<LoadedModel> =>
          runtime.load({ format: 'onnx', bytes }, info);
  return pooledTrainer(spawnWorker(options.resourceLimits, options.onThread), {
    trainer: trainerOptions,
    ...(options.maxThreads === undefined ? {} : { maxThreads: options.maxThreads }),
    ...(options.chunkRows === undefined ? {} : { chunkRows: options.chunkRows }),
    ...(load === undefined ? {} : { load }),
    between: nextTurn,
  });
}
