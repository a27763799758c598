import { z } from 'zod';
import { decodeFloat32, encodeFloat32 } from '../util/base64.js';
import type { JsonValue } from '../ports/store.js';
import type { PendingItem } from './pending-item.js';

/** An item the budget deferred, with everything needed to reconcile it later. */
export interface DeferredItem extends Omit<PendingItem, 'challenger'> {
  readonly retryAt: number;
}

const storedItem = z
  .object({
    itemId: z.string(),
    x: z.string(),
    proposer: z.string(),
    critics: z.array(z.string()),
    dissonance: z.number(),
    proposerVersion: z.string(),
    retryAt: z.number(),
  })
  .strict();

/** Deferred items in arrival order; due ones are taken oldest first. */
export class DeferredQueue {
  #items: DeferredItem[] = [];

  get size(): number {
    return this.#items.length;
  }

  add(item: DeferredItem): void {
    this.#items.push(item);
  }

  /** Earliest retry time, or undefined when empty. */
  nextRetryAt(): number | undefined {
    let next: number | undefined;
    for (const item of this.#items) if (next === undefined || item.retryAt < next) next = item.retryAt;
    return next;
  }

  /** Removes and returns every item (they will be re-gated in order; the budget decides again). */
  takeAll(): DeferredItem[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }

  /** JSON form for the store. */
  toJson(): JsonValue {
    return this.#items.map((item) => ({
      itemId: item.itemId,
      x: encodeFloat32(item.x),
      proposer: encodeFloat32(item.proposer),
      critics: item.critics.map(encodeFloat32),
      dissonance: item.dissonance,
      proposerVersion: item.proposerVersion,
      retryAt: item.retryAt,
    }));
  }

  /** Restores items saved by {@link DeferredQueue.toJson}; malformed data throws (zod). */
  static fromJson(value: JsonValue | undefined): DeferredItem[] {
    if (value === undefined || value === null) return [];
    return z
      .array(storedItem)
      .parse(value)
      .map((item) => ({
        itemId: item.itemId,
        x: decodeFloat32(item.x),
        proposer: decodeFloat32(item.proposer),
        critics: item.critics.map(decodeFloat32),
        dissonance: item.dissonance,
        proposerVersion: item.proposerVersion,
        retryAt: item.retryAt,
      }));
  }
}
