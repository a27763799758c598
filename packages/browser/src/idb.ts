import { DissonanceError } from '@dissonance/core';

/** Upgrades a database to its current schema: creates the object stores it lacks. */
export type Upgrade = (db: IDBDatabase) => void;

/** The `indexedDB` factory of this environment, or `E_STORE` when there is none. */
export function idbFactory(factory?: IDBFactory): IDBFactory {
  const found = factory ?? (globalThis as { readonly indexedDB?: IDBFactory }).indexedDB;
  if (found === undefined) throw new DissonanceError('E_STORE', 'IndexedDB is not available in this environment');
  return found;
}

/** Opens (creating or upgrading) database `name` at `version`. A blocked or failed open rejects with `E_STORE`. */
export function openDb(name: string, version: number, upgrade: Upgrade, factory?: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = idbFactory(factory).open(name, version);
    } catch (error) {
      reject(storeError(error, `cannot open IndexedDB database "${name}"`));
      return;
    }
    request.onupgradeneeded = () => upgrade(request.result);
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the schema: let it, this connection is stale.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(storeError(request.error, `cannot open IndexedDB database "${name}"`));
    request.onblocked = () =>
      reject(new DissonanceError('E_STORE', `opening IndexedDB database "${name}" is blocked by another connection`));
  });
}

/** Deletes database `name` (for tests and "forget everything" buttons). */
export function deleteDb(name: string, factory?: IDBFactory): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = idbFactory(factory).deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(storeError(request.error, `cannot delete IndexedDB database "${name}"`));
    request.onblocked = () => resolve();
  });
}

/** The result of one request. */
export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Runs `work` in one transaction over `stores` and resolves with its result once the transaction has
 * committed (so a resolved write is durable); any failure aborts the whole transaction and rejects with `E_STORE`
 * (a `DissonanceError` thrown by `work` is passed through).
 */
export function transact<T>(
  db: IDBDatabase,
  stores: string | string[],
  mode: IDBTransactionMode,
  work: (tx: IDBTransaction) => Promise<T> | T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let tx: IDBTransaction;
    try {
      tx = db.transaction(stores, mode, { durability: 'strict' });
    } catch (error) {
      reject(storeError(error, 'IndexedDB transaction could not start'));
      return;
    }
    let result: T;
    let failure: unknown;
    tx.oncomplete = () => (failure === undefined ? resolve(result) : reject(failure));
    tx.onerror = (event) => event.preventDefault();
    tx.onabort = () => reject(failure ?? storeError(tx.error, 'IndexedDB transaction aborted'));
    Promise.resolve()
      .then(() => work(tx))
      .then(
        (value) => {
          result = value;
        },
        (error: unknown) => {
          failure = error instanceof DissonanceError ? error : storeError(error, 'IndexedDB transaction failed');
          try {
            tx.abort();
          } catch {
            // already finished
          }
        },
      );
  });
}

/** Wraps an IndexedDB failure in `E_STORE`. */
export function storeError(error: unknown, message: string): DissonanceError {
  const reason = error instanceof Error || error instanceof DOMException ? error.message : String(error);
  return new DissonanceError('E_STORE', `${message}: ${reason}`, { cause: error });
}
