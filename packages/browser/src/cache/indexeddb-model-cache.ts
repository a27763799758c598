import { deleteDb, openDb, requestResult, transact } from '../idb.js';
import type { ModelCache } from './model-cache.js';

const STORE = 'models';

/** A {@link ModelCache} in IndexedDB database `dbName` (one object store of byte arrays). */
export class IndexedDbModelCache implements ModelCache {
  readonly name = 'indexeddb';
  /** The IndexedDB database holding the models. */
  readonly dbName: string;
  #db: Promise<IDBDatabase> | undefined;

  constructor(dbName = 'dissonance-models') {
    this.dbName = dbName;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const db = await this.#open();
    const value = await transact(db, STORE, 'readonly', (tx) => requestResult(tx.objectStore(STORE).get(key)));
    return value instanceof Uint8Array ? value : undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const db = await this.#open();
    const copy = new Uint8Array(bytes);
    await transact(db, STORE, 'readwrite', (tx) => requestResult(tx.objectStore(STORE).put(copy, key)));
  }

  async delete(key: string): Promise<void> {
    const db = await this.#open();
    await transact(db, STORE, 'readwrite', (tx) => requestResult(tx.objectStore(STORE).delete(key)));
  }

  /** Closes the connection and deletes the database. */
  async clear(): Promise<void> {
    if (this.#db !== undefined) (await this.#db).close();
    this.#db = undefined;
    await deleteDb(this.dbName);
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= openDb(this.dbName, 1, (db) => {
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
    });
    return this.#db;
  }
}
