import type { Clock, TimerHandle } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import type { LoadedModel, ModelArtifact } from '../ports/model.js';
import { batchTimers } from './batch-timers.js';

/** Options of {@link MicroBatcher}. */
export interface MicroBatcherOptions {
  /** Most rows in one coalesced model call (default 256). A single call with at least this many rows runs alone. */
  readonly maxBatch?: number;
  /**
   * Longest a call waits for company, in ms (default 2). `0` flushes on the next macrotask (`setImmediate` in
   * Node, a `MessageChannel` message in browsers), so every call made in the current task and its microtasks
   * joins the same batch and no timer delay is added. With `adaptive` (the default) a batch usually goes well
   * before this: it is the cap.
   */
  readonly maxDelayMs?: number;
  /**
   * Flush as soon as the queue stops growing (default true): after the first call of a batch, the batcher looks
   * again on each following macrotask and sends the batch when no call joined since it last looked (or when it
   * is full, or `maxDelayMs` has passed). A lone call waits one macrotask, not `maxDelayMs`; a burst, or callers
   * that call again as soon as their last call resolved, still fill whole batches. `false`: wait the fixed
   * `maxDelayMs` for company (unless full).
   */
  readonly adaptive?: boolean;
  /**
   * Timer source (default {@link batchTimers}: referenced timers, so a pending batch keeps Node alive).
   * Inject a {@link ManualClock} in tests. Only `setTimeout` and `clearTimeout` are used.
   */
  readonly clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
}

/** Running totals of a {@link MicroBatcher}. */
export interface MicroBatcherStats {
  /** `run` calls accepted (with at least one row). */
  readonly calls: number;
  /** Model calls made for batches (coalesced or alone), not counting per-caller re-runs after a failure. */
  readonly batches: number;
  /** Rows sent to the model in those batches. */
  readonly rows: number;
  /** `rows / batches` (0 before the first batch). */
  readonly meanBatchRows: number;
  /** Most rows in one batch so far. */
  readonly largestBatchRows: number;
  /** Coalesced batches that failed and were re-run caller by caller to isolate the error. */
  readonly isolations: number;
  /** Calls that were rejected (their own model run failed or their input was invalid). */
  readonly failedCalls: number;
}

interface Waiter {
  readonly x: Float32Array;
  readonly rows: number;
  readonly resolve: (out: Float32Array) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent small `run` calls into one call of the wrapped model, like Triton's dynamic batcher:
 * a batch is sent when it holds `maxBatch` rows, when the queue stopped growing from one macrotask to the next
 * (`adaptive`, the default), or when its first call has waited `maxDelayMs`, whichever comes first. Each caller gets exactly its own rows of the result (a `subarray` of the batch output). It is
 * itself a {@link LoadedModel}, so it drops in wherever one is expected (engine proposer, critic…).
 *
 * - A call's `x` must hold exactly `rows × inputWidth` values, else that call alone rejects with `E_INPUT`.
 *   Like any `LoadedModel.run`, `x` must not change until the call settles (it is read when the batch flushes).
 * - When a coalesced run throws (or returns the wrong length), each caller's rows are re-run alone, so one
 *   caller's bad rows fail only that caller.
 * - {@link MicroBatcher.close} flushes pending calls and waits for them; later calls reject with `E_STOPPED`.
 *   {@link MicroBatcher.dispose} also disposes the wrapped model.
 *
 * Uses only timers and promises: runs in Node and in browsers.
 */
export class MicroBatcher implements LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly inputWidth: number;
  readonly classes: number;
  readonly artifact: ModelArtifact | undefined;
  /** The wrapped model. */
  readonly model: LoadedModel;
  /** Effective `maxBatch`. */
  readonly maxBatch: number;
  /** Effective `maxDelayMs`. */
  readonly maxDelayMs: number;
  /** Effective `adaptive`. */
  readonly adaptive: boolean;
  readonly #clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  #pending: Waiter[] = [];
  #pendingRows = 0;
  #timer: TimerHandle | undefined;
  /** The adaptive look on the next macrotask, and the rows pending when it was scheduled. */
  #look: TimerHandle | undefined;
  #rowsAtLook = 0;
  readonly #inFlight = new Set<Promise<void>>();
  #closed = false;
  #disposing: Promise<void> | undefined;
  #calls = 0;
  #batches = 0;
  #rows = 0;
  #largest = 0;
  #isolations = 0;
  #failedCalls = 0;

  constructor(model: LoadedModel, options: MicroBatcherOptions = {}) {
    const maxBatch = options.maxBatch ?? 256;
    const maxDelayMs = options.maxDelayMs ?? 2;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new DissonanceError('E_CONFIG', `MicroBatcher: maxBatch must be a positive integer, got ${maxBatch}`);
    }
    if (!Number.isFinite(maxDelayMs) || maxDelayMs < 0) {
      throw new DissonanceError('E_CONFIG', `MicroBatcher: maxDelayMs must be a finite number ≥ 0, got ${maxDelayMs}`);
    }
    this.model = model;
    this.name = model.name;
    this.version = model.version;
    this.inputWidth = model.inputWidth;
    this.classes = model.classes;
    this.artifact = model.artifact;
    this.maxBatch = maxBatch;
    this.maxDelayMs = maxDelayMs;
    this.adaptive = options.adaptive ?? true;
    this.#clock = options.clock ?? batchTimers;
  }

  /** Running totals (a snapshot). */
  get stats(): MicroBatcherStats {
    return {
      calls: this.#calls,
      batches: this.#batches,
      rows: this.#rows,
      meanBatchRows: this.#batches === 0 ? 0 : this.#rows / this.#batches,
      largestBatchRows: this.#largest,
      isolations: this.#isolations,
      failedCalls: this.#failedCalls,
    };
  }

  /** Rows waiting for the next flush. */
  get pendingRows(): number {
    return this.#pendingRows;
  }

  /**
   * Queues `rows` rows for the next batch; resolves to exactly those rows' `rows × classes` outputs. `x` is read
   * when the batch is assembled (up to `maxDelayMs` later), so it must not change until the promise settles.
   */
  run(x: Float32Array, rows: number): Promise<Float32Array> {
    if (this.#closed) {
      return Promise.reject(
        new DissonanceError('E_STOPPED', `MicroBatcher for ${this.name}@${this.version} is closed`),
      );
    }
    const invalid = this.#checkInput(x, rows);
    if (invalid !== undefined) {
      this.#failedCalls++;
      return Promise.reject(invalid);
    }
    if (rows === 0) return Promise.resolve(new Float32Array(0));
    this.#calls++;
    return new Promise<Float32Array>((resolve, reject) => {
      const waiter: Waiter = { x, rows, resolve, reject };
      if (rows >= this.maxBatch) {
        this.#track(this.#runBatch([waiter], rows));
        return;
      }
      if (this.#pendingRows + rows > this.maxBatch) this.#flush();
      this.#pending.push(waiter);
      this.#pendingRows += rows;
      if (this.#pendingRows >= this.maxBatch) {
        this.#flush();
        return;
      }
      this.#timer ??= this.#clock.setTimeout(this.#flushNow, this.maxDelayMs);
      // With a 0 cap the timer above already fires on the next macrotask.
      if (this.adaptive && this.maxDelayMs > 0 && this.#look === undefined) this.#lookLater();
    });
  }

  readonly #flushNow = (): void => this.#flush();

  /** Looks at the queue on the next macrotask: sends the batch if nothing joined since now, else looks again. */
  #lookLater(): void {
    this.#rowsAtLook = this.#pendingRows;
    this.#look = this.#clock.setTimeout(this.#onLook, 0);
  }

  readonly #onLook = (): void => {
    this.#look = undefined;
    if (this.#pending.length === 0) return;
    if (this.#pendingRows > this.#rowsAtLook) this.#lookLater();
    else this.#flush();
  };

  /** Sends pending calls now instead of waiting for `maxDelayMs`. */
  flush(): void {
    this.#flush();
  }

  /** Flushes pending calls, waits for every batch in flight, and refuses later calls (`E_STOPPED`). Safe twice. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#flush();
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** {@link MicroBatcher.close}, then disposes the wrapped model. Safe twice. */
  dispose(): Promise<void> {
    this.#disposing ??= this.close().then(() => this.model.dispose?.());
    return this.#disposing;
  }

  #checkInput(x: Float32Array, rows: number): DissonanceError | undefined {
    if (!Number.isInteger(rows) || rows < 0) {
      return new DissonanceError('E_INPUT', `${this.name}: rows must be a non-negative integer, got ${rows}`);
    }
    if (!(x instanceof Float32Array)) {
      return new DissonanceError('E_INPUT', `${this.name}: x must be a Float32Array`);
    }
    const want = rows * this.inputWidth;
    if (x.length !== want) {
      return new DissonanceError(
        'E_INPUT',
        `${this.name}: x has ${x.length} values, expected ${rows} rows × ${this.inputWidth} = ${want}`,
        { details: { rows, inputWidth: this.inputWidth, values: x.length } },
      );
    }
    return undefined;
  }

  #flush(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#look !== undefined) {
      this.#clock.clearTimeout(this.#look);
      this.#look = undefined;
    }
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    const rows = this.#pendingRows;
    this.#pending = [];
    this.#pendingRows = 0;
    this.#track(this.#runBatch(batch, rows));
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  /** Runs one batch and settles every waiter in it. Never rejects. */
  async #runBatch(batch: readonly Waiter[], rows: number): Promise<void> {
    this.#batches++;
    this.#rows += rows;
    if (rows > this.#largest) this.#largest = rows;
    const only = batch.length === 1 ? batch[0] : undefined;
    let out: Float32Array;
    try {
      out = await this.#runChecked(only?.x ?? this.#concat(batch, rows), rows);
    } catch (error) {
      if (only !== undefined) {
        this.#failedCalls++;
        only.reject(error);
        return;
      }
      this.#isolations++;
      await Promise.all(batch.map((waiter) => this.#runAlone(waiter)));
      return;
    }
    if (only !== undefined) {
      only.resolve(out);
      return;
    }
    const k = this.classes;
    let offset = 0;
    for (const waiter of batch) {
      const end = offset + waiter.rows * k;
      waiter.resolve(out.subarray(offset, end));
      offset = end;
    }
  }

  async #runAlone(waiter: Waiter): Promise<void> {
    try {
      waiter.resolve(await this.#runChecked(waiter.x, waiter.rows));
    } catch (error) {
      this.#failedCalls++;
      waiter.reject(error);
    }
  }

  async #runChecked(x: Float32Array, rows: number): Promise<Float32Array> {
    const out = await this.model.run(x, rows);
    if (!(out instanceof Float32Array) || out.length !== rows * this.classes) {
      const got = out instanceof Float32Array ? `${out.length} values` : typeof out;
      throw new DissonanceError(
        'E_MODEL',
        `model ${this.name}@${this.version} returned ${got} for ${rows} rows, expected ${rows} × ${this.classes}`,
      );
    }
    return out;
  }

  #concat(batch: readonly Waiter[], rows: number): Float32Array {
    const x = new Float32Array(rows * this.inputWidth);
    let offset = 0;
    for (const waiter of batch) {
      x.set(waiter.x, offset);
      offset += waiter.x.length;
    }
    return x;
  }
}
