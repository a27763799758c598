/** A stream that can hold its writes back and send them together (a Node socket: `cork` / `uncork`). */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Streams corked here and not yet released. */
const held = new WeakSet<object>();

/**
 * Corks `stream` so that what is written to it until `release` calls back leaves in one `writev` (one system
 * call) instead of one `write` per chunk — the queue adapters hold their socket this way over a burst of
 * publishes and acks. `release(uncork)` decides when: e.g. `(uncork) => process.nextTick(uncork)`. A stream
 * already held here is left as it is (the first release frees it); anything without `cork`/`uncork` (a
 * client that keeps its socket elsewhere) is ignored.
 */
export function corkUntil(stream: unknown, release: (uncork: () => void) => void): void {
  if (typeof stream !== 'object' || stream === null || held.has(stream)) return;
  const { cork, uncork } = stream as Partial<Corkable>;
  if (typeof cork !== 'function' || typeof uncork !== 'function') return;
  held.add(stream);
  cork.call(stream);
  release(() => {
    held.delete(stream);
    uncork.call(stream);
  });
}
