import { DissonanceError, type AuditEntry, type JsonValue, type Store, type TrainingExample } from '@dissonance/core';
import { auditCopy, checkedAuditCopy, checkedExampleCopy, cloneJson, exampleCopy } from '@dissonance/core/adapter-kit';
import { deleteDb, openDb, requestResult, transact } from '../idb.js';

/** Options of {@link IndexedDbStore.open}. */
export interface IndexedDbStoreOptions {
  /** IndexedDB database name (default `dissonance`); one database per store. */
  readonly dbName?: string;
  /** Most examples the replay buffer holds; the oldest are evicted beyond it. Default 10 000. */
  readonly capacity?: number;
  /** The IndexedDB factory (default: the global `indexedDB`). */
  readonly indexedDB?: IDBFactory;
}

const EXAMPLES = 'examples';
const VALUES = 'values';
const AUDIT = 'audit';
const BY_ID = 'by-id';

/** One replay-buffer row: `seq` orders by age (auto-increment), `id` is unique. */
interface ExampleRow {
  readonly seq?: number;
  readonly id: string;
  readonly example: TrainingExample;
}

/**
 * A durable {@link Store} in IndexedDB: the replay buffer, values (policy, deferred items) and the audit log
 * survive a page reload. Each call is one transaction that has committed (durability `strict`) when its
 * promise resolves, so a rejected call changed nothing. Inputs are checked (`E_INPUT`) and copied like
 * `MemoryStore`'s; `Float32Array`s are kept bit for bit (IndexedDB's structured clone). After `close()`
 * every call rejects with `E_STORE`. Open it with {@link IndexedDbStore.open}.
 */
export class IndexedDbStore implements Store {
  /** `indexeddb`. */
  readonly name = 'indexeddb';
  /** Always true: contents survive reloads (until the user clears site data). */
  readonly durable = true;
  /** Replay-buffer bound. */
  readonly capacity: number;
  /** The IndexedDB database name. */
  readonly dbName: string;
  readonly #db: IDBDatabase;
  #closed = false;

  private constructor(db: IDBDatabase, dbName: string, capacity: number) {
    this.#db = db;
    this.dbName = dbName;
    this.capacity = capacity;
  }

  /** Opens (creating when absent) the store's database. `E_CONFIG` for a bad capacity, `E_STORE` when IndexedDB fails. */
  static async open(options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    const capacity = options.capacity ?? 10_000;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new DissonanceError('E_CONFIG', `store capacity must be a positive integer, got ${capacity}`, {
        details: { field: 'capacity' },
      });
    }
    const dbName = options.dbName ?? 'dissonance';
    const db = await openDb(
      dbName,
      1,
      (db) => {
        if (!db.objectStoreNames.contains(EXAMPLES)) {
          db.createObjectStore(EXAMPLES, { keyPath: 'seq', autoIncrement: true }).createIndex(BY_ID, 'id', {
            unique: true,
          });
        }
        if (!db.objectStoreNames.contains(VALUES)) db.createObjectStore(VALUES);
        if (!db.objectStoreNames.contains(AUDIT)) db.createObjectStore(AUDIT, { autoIncrement: true });
      },
      options.indexedDB,
    );
    return new IndexedDbStore(db, dbName, capacity);
  }

  /** Deletes the database `dbName` (close stores on it first). */
  static destroy(dbName: string): Promise<void> {
    return deleteDb(dbName);
  }

  async appendExamples(examples: readonly TrainingExample[]): Promise<void> {
    this.#open();
    if (!Array.isArray(examples)) throw new DissonanceError('E_INPUT', 'examples must be an array');
    const copies = examples.map((example, i) => checkedExampleCopy(example, `examples[${i}]`));
    if (copies.length === 0) return;
    await transact(this.#db, EXAMPLES, 'readwrite', async (tx) => {
      const store = tx.objectStore(EXAMPLES);
      const byId = store.index(BY_ID);
      for (const copy of copies) {
        const old = await requestResult(byId.getKey(copy.id));
        if (old !== undefined) store.delete(old);
        store.add({ id: copy.id, example: copy } satisfies ExampleRow);
      }
      let excess = (await requestResult(store.count())) - this.capacity;
      if (excess <= 0) return;
      const keys = await requestResult(store.getAllKeys(null, excess));
      for (const key of keys) {
        store.delete(key);
        excess--;
      }
    });
  }

  async examples(limit?: number): Promise<TrainingExample[]> {
    this.#open();
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new DissonanceError('E_INPUT', `limit must be an integer ≥ 0, got ${limit}`, {
        details: { field: 'limit' },
      });
    }
    if (limit === 0) return [];
    const rows = await transact(this.#db, EXAMPLES, 'readonly', (tx) => {
      const store = tx.objectStore(EXAMPLES);
      if (limit === undefined) return requestResult(store.getAll() as IDBRequest<ExampleRow[]>);
      return newest(store, limit);
    });
    return rows.map((row) => exampleCopy(row.example));
  }

  async countExamples(): Promise<number> {
    this.#open();
    return transact(this.#db, EXAMPLES, 'readonly', (tx) => requestResult(tx.objectStore(EXAMPLES).count()));
  }

  async getValue(key: string): Promise<JsonValue | undefined> {
    this.#open();
    checkKey(key);
    const value = await transact(this.#db, VALUES, 'readonly', (tx) =>
      requestResult(tx.objectStore(VALUES).get(key) as IDBRequest<JsonValue | undefined>),
    );
    return value === undefined ? undefined : cloneJson(value, key);
  }

  async setValue(key: string, value: JsonValue): Promise<void> {
    this.#open();
    checkKey(key);
    const copy = cloneJson(value, key);
    await transact(this.#db, VALUES, 'readwrite', (tx) => requestResult(tx.objectStore(VALUES).put(copy, key)));
  }

  async deleteValue(key: string): Promise<void> {
    this.#open();
    checkKey(key);
    await transact(this.#db, VALUES, 'readwrite', (tx) => requestResult(tx.objectStore(VALUES).delete(key)));
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.#open();
    const copy = checkedAuditCopy(entry);
    await transact(this.#db, AUDIT, 'readwrite', (tx) => requestResult(tx.objectStore(AUDIT).add(copy)));
  }

  async audit(): Promise<AuditEntry[]> {
    this.#open();
    const entries = await transact(this.#db, AUDIT, 'readonly', (tx) =>
      requestResult(tx.objectStore(AUDIT).getAll() as IDBRequest<AuditEntry[]>),
    );
    return entries.map(auditCopy);
  }

  /** Closes the database connection; the data stays. Later calls reject with `E_STORE`. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  #open(): void {
    if (this.#closed) throw new DissonanceError('E_STORE', `IndexedDB store "${this.dbName}" is closed`);
  }
}

/** The newest `limit` rows, oldest first (a reverse cursor). */
function newest(store: IDBObjectStore, limit: number): Promise<ExampleRow[]> {
  return new Promise((resolve, reject) => {
    const rows: ExampleRow[] = [];
    const request = store.openCursor(null, 'prev');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const cursor = request.result;
      if (cursor === null || rows.length >= limit) {
        resolve(rows.reverse());
        return;
      }
      rows.push(cursor.value as ExampleRow);
      cursor.continue();
    };
  });
}

function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new DissonanceError('E_INPUT', 'value key must be a non-empty string', { details: { field: 'key' } });
  }
}
