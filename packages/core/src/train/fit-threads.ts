import { DissonanceError } from '../errors.js';
import type { TrainingExample } from '../ports/batch.js';
import type { LoadedModel, ModelInfo } from '../ports/model.js';
import type { Candidate, TrainConstraints, Trainer } from '../ports/trainer.js';
import {
  fitCancelled,
  finishFitJob,
  fitJobResultTransfer,
  fitJobTransfer,
  prepareFitJob,
  runFitJob,
  summarizeFitJob,
  type FitJob,
  type FitJobResult,
} from './fit-job.js';
import { mlpModelFromOnnx } from './mlp-model.js';
import { checkTrainerOptions, type MlpTrainerOptions } from './mlp-trainer-options.js';

/** A job sent to a fit thread. */
export interface FitRequest {
  readonly id: number;
  readonly job: FitJob;
}

/** A fit thread's answer: the result, or the error the fit threw (message and code). */
export type FitResponse =
  | { readonly id: number; readonly ok: true; readonly result: FitJobResult }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

/** What a fit thread reports to the pool. */
export interface FitThreadEvents {
  /** A message the thread posted. */
  message(response: FitResponse): void;
  /** The thread died (uncaught error, out of memory, exit, terminated): `cause` says how. */
  failure(cause: Error): void;
}

/**
 * One thread (a Node `worker_threads` Worker, a browser Web Worker) that runs {@link handleFitRequest}.
 * Implemented by `@dissonance/node` and `@dissonance/browser`; core only speaks the protocol.
 */
export interface FitThread {
  /** Posts a request, handing `transfer`'s buffers over (no copy). */
  post(request: FitRequest, transfer: ArrayBuffer[]): void;
  /** Ends the thread at once (a fit in progress is lost). */
  terminate(): void;
  /** Told when the thread starts and ends a fit (Node keeps the process alive only while one runs). */
  busy?(busy: boolean): void;
}

/** Starts a fit thread that reports to `events`. */
export type SpawnFitThread = (events: FitThreadEvents) => FitThread;

/** Options of {@link pooledTrainer}. */
export interface PooledTrainerOptions {
  /** Options of the built-in trainer the threads run (as `createMlpTrainer` takes them). */
  readonly trainer?: MlpTrainerOptions;
  /** Most threads fitting at once (default 1); further fits wait for one. */
  readonly maxThreads?: number;
  /** Makes the serving model from the candidate's ONNX bytes (default: an `MlpModel` read from them). */
  readonly load?: (bytes: Uint8Array, info: ModelInfo) => Promise<LoadedModel>;
  /** Rows per model call while preparing a job on the serving thread (default 256). */
  readonly chunkRows?: number;
  /** Awaited between those calls (default: nothing; give a macrotask so serving interleaves). */
  readonly between?: () => Promise<void>;
}

/** Counters of a {@link PooledTrainer}. */
export interface FitThreadStats {
  /** Threads alive. */
  readonly threads: number;
  /** Threads fitting now. */
  readonly busy: number;
  /** Fits that returned a candidate. */
  readonly fits: number;
  /** Threads that died (crashed, terminated) and were replaced on the next fit. */
  readonly failures: number;
  /** Fits cancelled through their signal. */
  readonly cancelled: number;
}

/** The built-in trainer, fitting on a pool of threads. */
export interface PooledTrainer extends Trainer {
  /** Counters (threads alive and busy, fits, failures, cancellations). */
  stats(): FitThreadStats;
  /** Terminates every thread; a later fit starts a new one. */
  close(): Promise<void>;
}

interface Slot {
  readonly thread: FitThread;
  dead: boolean;
  busy: boolean;
  /** Settles the fit in flight on this thread. */
  pending?: { readonly id: number; resolve(result: FitJobResult): void; reject(error: Error): void };
}

/**
 * The built-in trainer (`name: 'mlp'`) with its epochs, KL guard and ONNX writing on other threads, spawned
 * by `spawn`. The serving thread only prepares the job (packs the examples, runs the critics on them and the
 * champion on the reference rows, in chunks of `chunkRows` with `between` awaited after each), hands the
 * buffers over without copying them, and loads the returned ONNX bytes with `load`. Same job → the same
 * candidate as `createMlpTrainer` gives in-thread.
 *
 * A thread that dies during a fit (crash, out of memory, terminated) fails that fit with `E_TRAINER` (the
 * cause attached) and is replaced on the next one. When `constraints.signal` aborts, the thread is terminated
 * and the fit rejects with `E_TRAINER` (`details.cancelled`).
 *
 * @throws DissonanceError `E_CONFIG` on bad options.
 */
export function pooledTrainer(spawn: SpawnFitThread, options: PooledTrainerOptions = {}): PooledTrainer {
  const trainerOptions: MlpTrainerOptions = { ...options.trainer };
  checkTrainerOptions(trainerOptions);
  const maxThreads = options.maxThreads ?? 1;
  if (!Number.isSafeInteger(maxThreads) || maxThreads < 1) {
    throw new DissonanceError('E_CONFIG', `threaded trainer: maxThreads must be an integer ≥ 1, got ${maxThreads}`);
  }
  const chunkRows = options.chunkRows ?? 256;
  const slots = new Set<Slot>();
  const waiting: Array<(slot: Slot) => void> = [];
  let nextId = 1;
  let fits = 0;
  let failures = 0;
  let cancelled = 0;

  const start = (): Slot => {
    const slot: Slot = { dead: false, busy: false } as Slot;
    const thread = spawn({
      message(response) {
        const pending = slot.pending;
        if (pending === undefined || response.id !== pending.id) return;
        slot.pending = undefined;
        if (response.ok) pending.resolve(response.result);
        else
          pending.reject(
            new DissonanceError('E_TRAINER', `trainer thread: ${response.message}`, {
              details: { code: response.code ?? null },
            }),
          );
      },
      failure(cause) {
        if (slot.dead) return;
        slot.dead = true;
        slots.delete(slot);
        failures++;
        const pending = slot.pending;
        slot.pending = undefined;
        pending?.reject(
          new DissonanceError('E_TRAINER', `trainer thread died during the fit: ${cause.message}`, {
            cause,
            details: { restart: true },
          }),
        );
        // A waiter gets a fresh thread in its place.
        const next = waiting.shift();
        if (next !== undefined) next(claim(start()));
      },
    });
    (slot as { thread: FitThread }).thread = thread;
    slots.add(slot);
    return slot;
  };
  const claim = (slot: Slot): Slot => {
    slot.busy = true;
    slot.thread.busy?.(true);
    return slot;
  };
  const acquire = (): Promise<Slot> => {
    for (const slot of slots) if (!slot.busy && !slot.dead) return Promise.resolve(claim(slot));
    if (slots.size < maxThreads) return Promise.resolve(claim(start()));
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (slot: Slot): void => {
    if (slot.dead) return;
    const next = waiting.shift();
    if (next !== undefined) {
      next(slot);
      return;
    }
    slot.busy = false;
    slot.thread.busy?.(false);
  };
  const kill = (slot: Slot): void => {
    slot.dead = true;
    slots.delete(slot);
    slot.thread.terminate();
    const next = waiting.shift();
    if (next !== undefined) next(claim(start()));
  };

  const runOn = (slot: Slot, job: FitJob, signal: AbortSignal | undefined): Promise<FitJobResult> =>
    new Promise<FitJobResult>((resolve, reject) => {
      const id = nextId++;
      const onAbort = (): void => {
        if (slot.pending?.id !== id) return;
        slot.pending = undefined;
        cancelled++;
        kill(slot);
        reject(fitCancelled(signal?.reason));
      };
      slot.pending = {
        id,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        slot.thread.post({ id, job }, fitJobTransfer(job));
      } catch (error) {
        slot.pending = undefined;
        signal?.removeEventListener('abort', onAbort);
        reject(
          new DissonanceError(
            'E_TRAINER',
            `posting the job to the trainer thread failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
        );
      }
    });

  return {
    name: 'mlp',
    async fit(
      base: LoadedModel,
      examples: readonly TrainingExample[],
      constraints: TrainConstraints,
    ): Promise<Candidate> {
      const started = Date.now();
      const signal = constraints.signal;
      const job = await prepareFitJob(base, examples, constraints, trainerOptions, {
        chunkRows,
        ...(options.between === undefined ? {} : { between: options.between }),
      });
      // The critics' outputs stay here for the report; the job's own buffers go to the thread.
      const summary = summarizeFitJob(job);
      if (signal?.aborted === true) throw fitCancelled(signal.reason);
      const slot = await acquire();
      let result: FitJobResult;
      try {
        // It may have been aborted while waiting for a thread.
        if ((signal as AbortSignal | undefined)?.aborted === true) throw fitCancelled(signal?.reason);
        result = await runOn(slot, job, signal);
      } finally {
        release(slot);
      }
      fits++;
      const info: ModelInfo = {
        name: base.name,
        version: 'candidate',
        inputWidth: base.inputWidth,
        classes: base.classes,
      };
      const load = options.load ?? (async (bytes: Uint8Array) => mlpModelFromOnnx(bytes, info));
      return finishFitJob(summary, result, constraints.detector, (bytes) => load(bytes, info), started);
    },
    stats: () => {
      let busy = 0;
      for (const slot of slots) if (slot.busy) busy++;
      return { threads: slots.size, busy, fits, failures, cancelled };
    },
    async close() {
      for (const slot of [...slots]) {
        const pending = slot.pending;
        slot.pending = undefined;
        kill(slot);
        pending?.reject(new DissonanceError('E_TRAINER', 'trainer closed during the fit'));
      }
    },
  };
}

/**
 * The thread side of the protocol: runs one request's fit and returns the response with the buffers to
 * hand back. Never throws: a failed fit is an `ok: false` response.
 */
export async function handleFitRequest(
  request: FitRequest,
): Promise<{ response: FitResponse; transfer: ArrayBuffer[] }> {
  try {
    const result = await runFitJob(request.job);
    return { response: { id: request.id, ok: true, result }, transfer: fitJobResultTransfer(result) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof DissonanceError ? error.code : undefined;
    return { response: { id: request.id, ok: false, message, ...(code === undefined ? {} : { code }) }, transfer: [] };
  }
}
