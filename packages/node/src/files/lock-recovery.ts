import { DissonanceError } from '@dissonance/core';
import { breakLock, describeHolder, isStale, leaseExpired, readLockFile } from './lock-file.js';
import { HOST, processAlive } from './process-alive.js';

/** What {@link unlockLockFile} did. */
export interface UnlockOutcome {
  /** `absent`: there was no lock; `removed`: it was stale and is gone; `forced`: it was not provably stale, removed on `force`. */
  readonly result: 'absent' | 'removed' | 'forced';
  /** The holder it named, in words (empty when absent). */
  readonly holder: string;
}

/**
 * The operator's recovery of a lock file (`dissonance store unlock`). A stale lock (its pid is gone from this
 * host, its lease expired, or it is unreadable and old) is removed. A lock that is not provably stale (a pid
 * alive on this host, which may be a reused pid, or a holder on another host without a lease) is removed only
 * with `force`. A lease refreshed within its length means a live holder: refused even with `force`
 * (`E_STORE`, naming the holder). Removal is atomic like a takeover: only the lock that was judged is removed.
 */
export async function unlockLockFile(path: string, options: { force?: boolean } = {}): Promise<UnlockOutcome> {
  const holder = await readLockFile(path);
  if (holder === undefined) return { result: 'absent', holder: '' };
  const who = describeHolder(holder);
  if (isStale(holder)) {
    await breakLock(path, holder, Number.POSITIVE_INFINITY);
    return { result: 'removed', holder: who };
  }
  const details = { path, ...('pid' in holder ? { pid: holder.pid, host: holder.host } : {}) };
  if ('pid' in holder && holder.lease !== undefined && !leaseExpired(holder)) {
    throw new DissonanceError(
      'E_STORE',
      `lock ${path} is held by ${who}: its lease is being refreshed, so its holder runs; stop it first`,
      {
        details,
      },
    );
  }
  if (options.force !== true) {
    const why =
      'pid' in holder && holder.host === HOST && processAlive(holder.pid)
        ? `pid ${holder.pid} is alive on this host`
        : 'pid' in holder
          ? `its holder ran on host ${holder.host}, whose processes cannot be checked from here`
          : 'it cannot be read';
    throw new DissonanceError(
      'E_STORE',
      `lock ${path} is held by ${who}, and ${why}. If you are sure that process no longer uses the store, run again with --force`,
      { details },
    );
  }
  await breakLock(path, holder, Number.POSITIVE_INFINITY, true);
  return { result: 'forced', holder: who };
}
