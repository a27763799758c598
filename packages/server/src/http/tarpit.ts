/**
 * Slows down a principal that keeps asking past its limits: its refusal (429) is answered after a delay,
 * during which the server holds only a paused socket and a timer. A client that loops on refused requests
 * (the flood of issue 20) then sends at most `maxHeld / delay` of them per second instead of as many as
 * the server can refuse, which keeps its CPU, and the kernel's, for everyone else. Beyond `maxHeld`
 * delayed refusals of one principal at a time, refusals are answered at once.
 */
export class Tarpit {
  readonly #delayMs: number;
  readonly #maxHeld: number;
  readonly #held = new Map<string, number>();

  constructor(delayMs: number, maxHeld: number) {
    this.#delayMs = delayMs;
    this.#maxHeld = maxHeld;
  }

  /** Waits up to the delay (and never longer than `waitMs`, the time until the limit lets `key` in again). */
  async hold(key: string, waitMs: number): Promise<void> {
    const ms = Math.min(this.#delayMs, waitMs);
    const held = this.#held.get(key) ?? 0;
    if (ms <= 0 || held >= this.#maxHeld) return;
    this.#held.set(key, held + 1);
    try {
      await new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    } finally {
      const left = (this.#held.get(key) ?? 1) - 1;
      if (left <= 0) this.#held.delete(key);
      else this.#held.set(key, left);
    }
  }
}
