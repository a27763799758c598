/**
 * The engine's batch queue: runs at most `concurrency` tasks at once, the rest in FIFO order. A task added while
 * there is room starts at once, in the caller's turn and async context (no wrapper, no extra tick): the common
 * case of a serving engine, where a queue's bookkeeping would cost a noticeable share of a small batch. Tasks that
 * wait are started from a finishing task's continuation, so the caller binds their context (`wrap`).
 */
export class BatchQueue {
  readonly #concurrency: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;
  #idle: Array<() => void> = [];
  #sizeWaiters: Array<{ readonly limit: number; readonly resolve: () => void }> = [];

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  /** Tasks waiting to start. */
  get size(): number {
    return this.#waiting.length;
  }

  /** Tasks running. */
  get pending(): number {
    return this.#running;
  }

  /**
   * Runs `task` now when there is room, else once the tasks before it have made room; resolves or rejects as
   * it does. `wrap` is applied to a task that has to wait (to bind it to the caller's context).
   */
  add<T>(task: () => Promise<T>, wrap: (task: () => Promise<T>) => () => Promise<T>): Promise<T> {
    if (this.#running < this.#concurrency && this.#waiting.length === 0) return this.#run(task);
    const bound = wrap(task);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => {
        this.#run(bound).then(resolve, reject);
      });
    });
  }

  /** Resolves once fewer than `limit` tasks wait. */
  onSizeLessThan(limit: number): Promise<void> {
    if (this.#waiting.length < limit) return Promise.resolve();
    return new Promise((resolve) => this.#sizeWaiters.push({ limit, resolve }));
  }

  /** Resolves once no task runs or waits. */
  onIdle(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #run<T>(task: () => Promise<T>): Promise<T> {
    this.#running++;
    let promise: Promise<T>;
    try {
      promise = task();
    } catch (error) {
      promise = Promise.reject(error as Error);
    }
    // One reaction for either outcome (`finally` would add a promise and two ticks per batch).
    return promise.then(
      (value) => {
        this.#finished();
        return value;
      },
      (error: unknown) => {
        this.#finished();
        throw error;
      },
    );
  }

  #finished(): void {
    this.#running--;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      next();
      if (this.#sizeWaiters.length > 0) {
        const size = this.#waiting.length;
        const still = this.#sizeWaiters.filter((w) => size >= w.limit);
        for (const w of this.#sizeWaiters) if (size < w.limit) w.resolve();
        this.#sizeWaiters = still;
      }
      return;
    }
    if (this.#running === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
