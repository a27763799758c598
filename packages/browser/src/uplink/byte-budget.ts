import { DissonanceError } from '@dissonance/core';

/** At most `bytes` bytes of request bodies per `perMs` milliseconds (a token bucket holding `bytes`). */
export interface ByteBudgetOptions {
  readonly bytes: number;
  readonly perMs: number;
}

/** A token bucket over bytes: starts full, refills continuously at `bytes / perMs`. */
export class ByteBudget {
  readonly bytes: number;
  readonly perMs: number;
  #tokens: number;
  #at: number;
  readonly #now: () => number;

  constructor(options: ByteBudgetOptions, now: () => number = Date.now) {
    for (const key of ['bytes', 'perMs'] as const) {
      const value = options[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new DissonanceError('E_CONFIG', `byteBudget.${key} must be a positive number, got ${String(value)}`);
      }
    }
    this.bytes = options.bytes;
    this.perMs = options.perMs;
    this.#now = now;
    this.#tokens = options.bytes;
    this.#at = now();
  }

  /** Bytes that may be sent now. */
  available(): number {
    const now = this.#now();
    this.#tokens = Math.min(this.bytes, this.#tokens + ((now - this.#at) * this.bytes) / this.perMs);
    this.#at = now;
    return Math.floor(this.#tokens);
  }

  /** Spends `bytes` (sent). */
  spend(bytes: number): void {
    this.available();
    this.#tokens -= bytes;
  }

  /** Milliseconds until `bytes` may be sent (0 when they may now). */
  waitFor(bytes: number): number {
    const missing = bytes - this.available();
    return missing <= 0 ? 0 : Math.ceil((missing * this.perMs) / this.bytes);
  }
}
