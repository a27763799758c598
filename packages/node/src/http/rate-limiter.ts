import { DissonanceError } from '@dissonance/core';

/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Requests a principal may burst (bucket size; default 60). */
  readonly burst?: number;
  /** Requests per second refilled (default 20). */
  readonly perSecond?: number;
  /** Principals tracked; the least recently seen are forgotten beyond (default 10 000). */
  readonly maxPrincipals?: number;
}

/** Per-principal token buckets for requests. */
export class RateLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #max: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  /** @throws DissonanceError `E_CONFIG` for a non-positive burst or rate. */
  constructor(options: RateLimitOptions = {}, now: () => number = Date.now) {
    const burst = options.burst ?? 60;
    const perSecond = options.perSecond ?? 20;
    if (!(burst >= 1) || !(perSecond > 0)) throw new DissonanceError('E_CONFIG', `rate limit: burst ≥ 1 and perSecond > 0 required`);
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#max = options.maxPrincipals ?? 10_000;
    this.#now = now;
  }

  /** Takes a token for `principal`: 0 when allowed, else the whole seconds to wait (for `Retry-After`). */
  take(principal: string): number {
    const now = this.#now();
    const bucket = this.#buckets.get(principal) ?? { tokens: this.#burst, at: now };
    this.#buckets.delete(principal);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + Math.max(0, now - bucket.at) * this.#perMs);
    bucket.at = Math.max(bucket.at, now);
    this.#buckets.set(principal, bucket);
    if (this.#buckets.size > this.#max) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1000));
  }
}
