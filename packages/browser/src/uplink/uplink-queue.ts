import { openDb, requestResult, transact } from '../idb.js';
import type { QueuedItem } from './feedback-item.js';

const QUEUE = 'queue';
const REJECTED = 'rejected';

/** A queued item with its size in bytes as JSON (for the byte budget). */
export interface QueueEntry {
  readonly item: QueuedItem;
  readonly bytes: number;
}

/**
 * The uplink's offline queue: items keyed by id in IndexedDB (so a reload loses nothing and re-queuing an id
 * is a no-op), oldest first; plus the items the server rejected as invalid.
 */
export class UplinkQueue {
  readonly #db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  /** Opens (creating when absent) database `dbName`. */
  static async open(dbName: string, factory?: IDBFactory): Promise<UplinkQueue> {
    const db = await openDb(
      dbName,
      1,
      (db) => {
        if (!db.objectStoreNames.contains(QUEUE))
          db.createObjectStore(QUEUE, { keyPath: 'seq', autoIncrement: true }).createIndex('by-id', 'item.id', {
            unique: true,
          });
        if (!db.objectStoreNames.contains(REJECTED)) db.createObjectStore(REJECTED, { keyPath: 'item.id' });
      },
      factory,
    );
    return new UplinkQueue(db);
  }

  /** Adds the items whose id is not queued yet; resolves once durable with how many were added. */
  add(items: readonly QueuedItem[]): Promise<number> {
    return transact(this.#db, QUEUE, 'readwrite', async (tx) => {
      const store = tx.objectStore(QUEUE);
      const byId = store.index('by-id');
      let added = 0;
      for (const item of items) {
        if ((await requestResult(byId.getKey(item.id))) !== undefined) continue;
        store.add({ item, bytes: byteLength(item) });
        added++;
      }
      return added;
    });
  }

  /** The oldest `limit` entries. */
  peek(limit: number): Promise<QueueEntry[]> {
    return transact(this.#db, QUEUE, 'readonly', (tx) =>
      requestResult(tx.objectStore(QUEUE).getAll(null, limit) as IDBRequest<QueueEntry[]>),
    );
  }

  /** Removes the items with these ids (delivered, or moved to the rejected list). */
  remove(ids: readonly string[]): Promise<void> {
    return transact(this.#db, QUEUE, 'readwrite', async (tx) => {
      const byId = tx.objectStore(QUEUE).index('by-id');
      for (const id of ids) {
        const key = await requestResult(byId.getKey(id));
        if (key !== undefined) tx.objectStore(QUEUE).delete(key);
      }
    });
  }

  /** Moves items the server refused as invalid out of the queue, keeping them with the server's reason. */
  reject(entries: readonly QueueEntry[], reason: string): Promise<void> {
    return transact(this.#db, [QUEUE, REJECTED], 'readwrite', async (tx) => {
      const byId = tx.objectStore(QUEUE).index('by-id');
      for (const entry of entries) {
        const key = await requestResult(byId.getKey(entry.item.id));
        if (key !== undefined) tx.objectStore(QUEUE).delete(key);
        tx.objectStore(REJECTED).put({ item: entry.item, reason });
      }
    });
  }

  /** Items waiting to be sent. */
  count(): Promise<number> {
    return transact(this.#db, QUEUE, 'readonly', (tx) => requestResult(tx.objectStore(QUEUE).count()));
  }

  /** Items the server refused as invalid, with its reason. */
  rejected(): Promise<Array<{ item: QueuedItem; reason: string }>> {
    return transact(this.#db, REJECTED, 'readonly', (tx) =>
      requestResult(tx.objectStore(REJECTED).getAll() as IDBRequest<Array<{ item: QueuedItem; reason: string }>>),
    );
  }

  close(): void {
    this.#db.close();
  }
}

/** UTF-8 bytes of `item` as JSON. */
export function byteLength(item: QueuedItem): number {
  return new TextEncoder().encode(JSON.stringify(item)).length;
}
