import type { Clock, TimerHandle } from '../clock/clock.js';

/**
 * The engine's timers, all in one place and all on the engine's clock: at most one pending timer per name
 * (retrain interval, cooldown, deferred retry, champion refresh, registration retry, …). {@link Scheduler.close}
 * clears every one of them and refuses new ones, so nothing fires after `stop()`. Not part of the public API.
 */
export class Scheduler<Name extends string = string> {
  readonly #clock: Clock;
  readonly #timers = new Map<Name, { handle?: TimerHandle }>();
  #closed = false;

  /** @param clock the time source whose timers run the callbacks. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Runs `fn` once after `ms` (negative: 0) under `name`, replacing a timer of that name still pending.
   * Ignored once closed. The name is free again when `fn` runs, so `fn` may schedule itself again.
   */
  set(name: Name, ms: number, fn: () => void): void {
    if (this.#closed) return;
    this.clear(name);
    const timer: { handle?: TimerHandle } = {};
    this.#timers.set(name, timer);
    timer.handle = this.#clock.setTimeout(
      () => {
        if (this.#timers.get(name) !== timer) return;
        this.#timers.delete(name);
        fn();
      },
      Math.max(0, ms),
    );
  }

  /** True while a timer named `name` is pending. */
  has(name: Name): boolean {
    return this.#timers.has(name);
  }

  /** True while any timer is pending. */
  get pending(): boolean {
    return this.#timers.size > 0;
  }

  /** True once {@link Scheduler.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Cancels the timer named `name`, if pending. */
  clear(name: Name): void {
    const timer = this.#timers.get(name);
    if (timer === undefined) return;
    this.#timers.delete(name);
    if (timer.handle !== undefined) this.#clock.clearTimeout(timer.handle);
  }

  /** Cancels every pending timer and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const name of [...this.#timers.keys()]) this.clear(name);
  }
}
