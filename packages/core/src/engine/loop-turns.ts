/**
 * Keeps a caller that never yields from starving the event loop.
 *
 * A caller that awaits `engine.process()` in a loop ("tight caller") with synchronous models never leaves the
 * microtask queue: each `await` resolves as a microtask, so the event loop never reaches its timers or its
 * I/O phase. Whatever the engine waits for there — a fit's `setTimeout` continuation, a worker thread's
 * result message, the cooldown, deferred-item and registry-retry timers — never happens.
 *
 * `LoopTurns` notices: while the engine waits on the loop, each reconciled batch checks whether a probe timer
 * set earlier has fired; when it has been pending for longer than `maxBusyMs`, the loop has not turned since,
 * and the batch awaits the probe — one loop turn, in which the timers and messages run — before resolving.
 * A caller that yields by itself (a service answering requests) lets the probe fire and never waits.
 */
export class LoopTurns {
  readonly #maxBusyMs: number;
  #probe: Promise<void> | undefined;
  #since = 0;

  /** @param maxBusyMs longest the engine's promise chain may keep the loop from turning while it waits on it. */
  constructor(maxBusyMs: number) {
    this.#maxBusyMs = maxBusyMs;
  }

  /** Resolves at once when the loop turned recently, else at its next turn. */
  async letTurn(): Promise<void> {
    const now = Date.now();
    const probe = this.#probe;
    if (probe === undefined) {
      this.#since = now;
      this.#probe = new Promise<void>((resolve) => {
        // The real timer, not the engine's clock: a manual clock never fires on its own.
        setTimeout(() => {
          this.#probe = undefined;
          resolve();
        }, 0);
      });
      return;
    }
    if (now - this.#since >= this.#maxBusyMs) await probe;
  }
}
