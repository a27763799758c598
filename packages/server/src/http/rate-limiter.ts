import { DissonanceError } from '@dissonance/core';

/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /** Requests a principal may burst (bucket size; default 60). */
  readonly burst?: number;
  /** Requests per second refilled (default 20). */
  readonly perSecond?: number;
  /**
   * Request-body bytes a principal may burst (default 4 MiB; raised to the largest body a route accepts when
   * that is more). Charged before the body is read: its declared `content-length`, or each chunk as it comes.
   */
  readonly byteBurst?: number;
  /** Request-body bytes per second refilled (default 1 MiB). */
  readonly bytesPerSecond?: number;
  /** Principals tracked; the least recently seen are forgotten beyond (default 10 000). */
  readonly maxPrincipals?: number;
}

/** Default request-body byte burst of a principal: four of the largest default body (1 MiB). */
export const DEFAULT_BYTE_BURST = 4 * 1024 * 1024;

/** Default request-body bytes per second of a principal: a 4096-row predict of 64 features every second. */
export const DEFAULT_BYTES_PER_SECOND = 1024 * 1024;

interface Bucket {
  requests: number;
  bytes: number;
  at: number;
}

/**
 * Per-principal token buckets: one for requests, one for request-body bytes. Both are charged before a body
 * is parsed, so a principal that sends heavy bodies spends its own budget, not everyone's CPU.
 */
export class RateLimiter {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #byteBurst: number;
  readonly #bytesPerMs: number;
  readonly #max: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  /** @throws DissonanceError `E_CONFIG` for a non-positive burst or rate. */
  constructor(options: RateLimitOptions = {}, now: () => number = Date.now) {
    const burst = options.burst ?? 60;
    const perSecond = options.perSecond ?? 20;
    const byteBurst = options.byteBurst ?? DEFAULT_BYTE_BURST;
    const bytesPerSecond = options.bytesPerSecond ?? DEFAULT_BYTES_PER_SECOND;
    if (!(burst >= 1) || !(perSecond > 0))
      throw new DissonanceError('E_CONFIG', `rate limit: burst ≥ 1 and perSecond > 0 required`);
    if (!(byteBurst >= 1) || !(bytesPerSecond > 0))
      throw new DissonanceError('E_CONFIG', `rate limit: byteBurst ≥ 1 and bytesPerSecond > 0 required`);
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#byteBurst = byteBurst;
    this.#bytesPerMs = bytesPerSecond / 1000;
    this.#max = options.maxPrincipals ?? 10_000;
    this.#now = now;
  }

  /** The byte bucket's size. */
  get byteBurst(): number {
    return this.#byteBurst;
  }

  /** Takes a request token for `principal`: 0 when allowed, else the whole seconds to wait (for `Retry-After`). */
  take(principal: string): number {
    const bucket = this.#bucket(principal);
    if (bucket.requests >= 1) {
      bucket.requests -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.requests) / this.#perMs / 1000));
  }

  /**
   * Takes `bytes` body bytes for `principal`: 0 when allowed, else the whole seconds to wait. A charge larger
   * than the bucket can ever hold waits as if it were the whole bucket.
   */
  takeBytes(principal: string, bytes: number): number {
    const bucket = this.#bucket(principal);
    const need = Math.min(bytes, this.#byteBurst);
    if (bucket.bytes >= need) {
      bucket.bytes -= need;
      return 0;
    }
    return Math.max(1, Math.ceil((need - bucket.bytes) / this.#bytesPerMs / 1000));
  }

  /**
   * Takes `bytes` more from `principal`'s byte budget without refusing anything: the budget may go into debt
   * (down to minus one bucket), which later requests wait out. What a body the server read but had to refuse
   * costs its sender on top of its size.
   */
  penalize(principal: string, bytes: number): void {
    const bucket = this.#bucket(principal);
    bucket.bytes = Math.max(-this.#byteBurst, bucket.bytes - bytes);
  }

  #bucket(principal: string): Bucket {
    const now = this.#now();
    const bucket = this.#buckets.get(principal) ?? { requests: this.#burst, bytes: this.#byteBurst, at: now };
    this.#buckets.delete(principal);
    const elapsed = Math.max(0, now - bucket.at);
    bucket.requests = Math.min(this.#burst, bucket.requests + elapsed * this.#perMs);
    bucket.bytes = Math.min(this.#byteBurst, bucket.bytes + elapsed * this.#bytesPerMs);
    bucket.at = Math.max(bucket.at, now);
    this.#buckets.set(principal, bucket);
    if (this.#buckets.size > this.#max) this.#buckets.delete(this.#buckets.keys().next().value!);
    return bucket;
  }
}
