/**
 * Remembers which envelope ids already had their effect, for a while: with at-least-once delivery, a handler
 * wrapped by {@link idempotent} skips a redelivered envelope whose effect is already durable.
 */
export interface DedupStore {
  readonly name: string;
  /** True when `id` was marked done and its mark has not expired. */
  has(id: string): Promise<boolean>;
  /** Marks `id` done for `ttlMs` milliseconds. Call only once the effect is durable. */
  mark(id: string, ttlMs: number): Promise<void>;
}
