import { systemClock, type Clock } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import type { DedupStore } from '../ports/dedup-store.js';

/** Options of {@link MemoryDedupStore}. */
export interface MemoryDedupStoreOptions {
  /** Time source for expiry (default the system clock). */
  readonly clock?: Clock;
  /** Most ids kept; the oldest marks are dropped beyond it (default 100,000). */
  readonly capacity?: number;
}

/** In-process {@link DedupStore}: a map of id → expiry, bounded, expired entries dropped lazily. */
export class MemoryDedupStore implements DedupStore {
  readonly name = 'memory';
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #expiry = new Map<string, number>();

  constructor(options: MemoryDedupStoreOptions = {}) {
    const capacity = options.capacity ?? 100_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new DissonanceError('E_CONFIG', `MemoryDedupStore: capacity must be a positive integer, got ${capacity}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#capacity = capacity;
  }

  async has(id: string): Promise<boolean> {
    const until = this.#expiry.get(id);
    if (until === undefined) return false;
    if (until > this.#clock.now()) return true;
    this.#expiry.delete(id);
    return false;
  }

  async mark(id: string, ttlMs: number): Promise<void> {
    if (typeof id !== 'string' || id.length === 0)
      throw new DissonanceError('E_INPUT', 'dedup id must be a non-empty string');
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs))
      throw new DissonanceError('E_INPUT', `dedup ttlMs must be finite and > 0, got ${ttlMs}`);
    this.#expiry.delete(id); // re-insert: Map order is mark order, oldest first
    this.#expiry.set(id, this.#clock.now() + ttlMs);
    while (this.#expiry.size > this.#capacity) {
      const oldest = this.#expiry.keys().next();
      if (oldest.done === true) break;
      this.#expiry.delete(oldest.value);
    }
  }
}
