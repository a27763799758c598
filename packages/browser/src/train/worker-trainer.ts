import { DissonanceError, type LoadedModel, type ModelInfo, type ModelRuntime, type Trainer } from '@dissonance/core';
import {
  mlpTrainerOptionsOf,
  pooledTrainer,
  type FitThread,
  type FitThreadEvents,
  type MlpTrainerOptions,
  type PooledTrainer,
} from '@dissonance/core/mlp';

/** Options of {@link workerTrainer}. */
export interface WorkerTrainerOptions {
  /**
   * URL of the worker script (`train-worker.js` of this package's `dist`, or wherever the app serves it).
   * Default: `new URL('./train-worker.js', import.meta.url)`, which bundlers that follow that pattern (Vite,
   * webpack 5) resolve; required from the CommonJS build.
   */
  readonly workerUrl?: string | URL;
  /** Most workers fitting at once (default 1). */
  readonly maxThreads?: number;
  /** Loads each candidate from its ONNX bytes on the page (e.g. an `OnnxWebRuntime`); default an `MlpModel`. */
  readonly runtime?: ModelRuntime;
  /** Rows per model call while the page prepares a fit (default 256); it yields to the page between calls. */
  readonly chunkRows?: number;
}

/** The next macrotask (a `MessageChannel` message: not clamped like nested `setTimeout`s). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function defaultWorkerUrl(): URL {
  try {
    return new URL('./train-worker.js', import.meta.url);
  } catch (error) {
    throw new DissonanceError(
      'E_CONFIG',
      'workerTrainer: pass workerUrl (the URL of train-worker.js); it cannot be found from this build',
      { cause: error },
    );
  }
}

function spawnWorker(url: string | URL): (events: FitThreadEvents) => FitThread {
  return (events) => {
    const worker = new Worker(url, { type: 'module', name: 'dissonance-trainer' });
    let ended = false;
    const fail = (cause: Error): void => {
      if (ended) return;
      ended = true;
      worker.terminate();
      events.failure(cause);
    };
    worker.onmessage = (event) => events.message(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      fail(
        new Error(
          `the trainer worker failed: ${event.message || 'script error (not found, or not a module worker script)'}`,
        ),
      );
    };
    worker.onmessageerror = () => fail(new Error('the trainer worker sent a message that could not be read'));
    return {
      post: (request, transfer) => worker.postMessage(request, transfer),
      terminate: () => {
        ended = true;
        worker.terminate();
      },
    };
  };
}

/**
 * The built-in trainer in a module Web Worker: the page only packs the examples, runs the critics and the
 * champion (in chunks, yielding between them) and loads the candidate; the epochs, the KL guard and the ONNX
 * writing run in the worker, so a retrain causes no long task on the main thread. Examples and reference
 * rows go over as transferred `ArrayBuffer`s; the candidate comes back as ONNX bytes and its report. A worker
 * that fails fails its fit with `E_TRAINER` and is replaced on the next one; a fit whose signal aborts
 * terminates its worker.
 *
 * @throws DissonanceError `E_CONFIG` for a trainer that is not the built-in one, or bad options.
 */
export function workerTrainer(
  trainer: 'builtin' | MlpTrainerOptions | Trainer = 'builtin',
  options: WorkerTrainerOptions = {},
): PooledTrainer {
  let trainerOptions: MlpTrainerOptions;
  if (trainer === 'builtin') trainerOptions = {};
  else if (typeof (trainer as Trainer).fit === 'function') {
    const found = mlpTrainerOptionsOf(trainer as Trainer);
    if (found === undefined) {
      throw new DissonanceError(
        'E_CONFIG',
        `workerTrainer runs the built-in trainer (createMlpTrainer); "${(trainer as Trainer).name}" cannot move to a worker`,
      );
    }
    trainerOptions = found;
  } else trainerOptions = trainer as MlpTrainerOptions;
  const runtime = options.runtime;
  const load =
    runtime === undefined
      ? undefined
      : async (bytes: Uint8Array, info: ModelInfo): Promise<LoadedModel> =>
          runtime.load({ format: 'onnx', bytes }, info);
  let spawn: ((events: FitThreadEvents) => FitThread) | undefined;
  return pooledTrainer((events) => (spawn ??= spawnWorker(options.workerUrl ?? defaultWorkerUrl()))(events), {
    trainer: trainerOptions,
    ...(options.maxThreads === undefined ? {} : { maxThreads: options.maxThreads }),
    ...(options.chunkRows === undefined ? {} : { chunkRows: options.chunkRows }),
    ...(load === undefined ? {} : { load }),
    between: nextTask,
  });
}
