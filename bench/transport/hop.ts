/**
 * One measured path from a publisher to an acking consumer: the SDK through a `Transport`, or a raw client
 * loop. Set up once (topology, subscriber), then `run` many times, then `close` (which also deletes what it
 * declared on the broker).
 */
export interface Hop {
  /** Publishes `messages` batches (at most `window` unconfirmed at once) and resolves once all were consumed and acked. */
  run(messages: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Counts the messages a consumer has settled during one run and resolves when the expected number arrived;
 * rejects after `timeoutMs`, or with the first consumer error.
 */
export class Arrivals {
  readonly #timeoutMs: number;
  #expected = 0;
  #count = 0;
  #settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Starts a run of `messages`; the promise resolves when they all arrived. */
  expect(messages: number): Promise<void> {
    this.#count = 0;
    this.#expected = messages;
    return new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#timer = setTimeout(
        () =>
          this.fail(
            new Error(`bench: ${this.#count} of ${this.#expected} messages arrived within ${this.#timeoutMs} ms`),
          ),
        this.#timeoutMs,
      );
    });
  }

  /** One message settled. */
  arrive(): void {
    this.#count++;
    if (this.#count === this.#expected) this.#finish()?.resolve();
  }

  /** The consumer failed: the run rejects. */
  fail(error: Error): void {
    this.#finish()?.reject(error);
  }

  #finish(): { resolve: () => void; reject: (error: Error) => void } | undefined {
    clearTimeout(this.#timer);
    const settle = this.#settle;
    this.#settle = undefined;
    return settle;
  }
}

/** Calls `publish(i)` for i in [0, messages), with at most `window` calls unresolved at once. */
export async function publishWindowed(
  messages: number,
  window: number,
  publish: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < messages) await publish(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, messages) }, lane));
}

/** A fresh lower-case name segment, unique to one run of the bench: `bench-<12 hex digits>`. */
export function uniqueName(): string {
  return `bench-${globalThis.crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
}
