import type { Redis } from 'ioredis';
import { transportCall } from './redis-commands.js';

/**
 * Coalesces the acks of one consumer group: every `XACK` asked for before the next turn of the event loop goes
 * out as one `XACK <stream> <group> <id> <id> …` per stream, and each caller's promise settles with that reply.
 * A batch of deliveries settled together costs one command and one round trip instead of one per entry.
 */
export class AckBatcher {
  readonly #commands: Redis;
  readonly #group: string;
  /** Per stream, the ids to ack and the promise their callers share (settled by that stream's XACK). */
  #pending = new Map<string, { ids: string[]; done: Promise<void>; settle: (outcome: Promise<unknown>) => void }>();
  #scheduled = false;

  constructor(commands: Redis, group: string) {
    this.#commands = commands;
    this.#group = group;
  }

  /** Acks entry `id` of `stream`; resolves once Redis answered the batch holding it, `E_TRANSPORT` if it failed. */
  ack(stream: string, id: string): Promise<void> {
    let batch = this.#pending.get(stream);
    if (batch === undefined) {
      let settle: (outcome: Promise<unknown>) => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        settle = (outcome) => outcome.then(() => resolve(), reject);
      });
      batch = { ids: [], done, settle };
      this.#pending.set(stream, batch);
    }
    batch.ids.push(id);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return batch.done;
  }

  #flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [stream, { ids, settle }] of pending) {
      settle(transportCall('XACK', () => this.#commands.call('XACK', stream, this.#group, ...ids)));
    }
  }
}
