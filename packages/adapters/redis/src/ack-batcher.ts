import type { Redis } from 'ioredis';
import { transportCall } from './redis-commands.js';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Coalesces the acks of one consumer group: every `XACK` asked for before the next turn of the event loop goes
 * out as one `XACK <stream> <group> <id> <id> …` per stream, and each caller's promise settles with that reply.
 * A batch of deliveries settled together costs one command and one round trip instead of one per entry.
 */
export class AckBatcher {
  readonly #commands: Redis;
  readonly #group: string;
  #pending = new Map<string, { ids: string[]; waiters: Waiter[] }>();
  #scheduled = false;

  constructor(commands: Redis, group: string) {
    this.#commands = commands;
    this.#group = group;
  }

  /** Acks entry `id` of `stream`; resolves once Redis answered the batch holding it, `E_TRANSPORT` if it failed. */
  ack(stream: string, id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let batch = this.#pending.get(stream);
      if (batch === undefined) {
        batch = { ids: [], waiters: [] };
        this.#pending.set(stream, batch);
      }
      batch.ids.push(id);
      batch.waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [stream, { ids, waiters }] of pending) {
      transportCall('XACK', () => this.#commands.call('XACK', stream, this.#group, ...ids)).then(
        () => {
          for (const waiter of waiters) waiter.resolve();
        },
        (error: unknown) => {
          for (const waiter of waiters) waiter.reject(error);
        },
      );
    }
  }
}
