import { randomUUID } from 'node:crypto';
import { link, open, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DissonanceError, type ErrorCode } from '@dissonance/core';
import { HOST, processAlive } from './process-alive.js';
import { tempName } from './temp-files.js';

/** Options of {@link acquireLockFile}. */
export interface LockFileOptions {
  /** Error code thrown when the lock cannot be had (`E_REGISTRY_UNAVAILABLE`, `E_STORE`…). */
  readonly code: ErrorCode;
  /** A lock taken longer ago than this is presumed abandoned and broken. Default: never by age. */
  readonly staleMs?: number;
  /** How long to wait for a held lock before giving up. Default 0: fail at once. */
  readonly waitMs?: number;
  /**
   * Holds the lock as a lease of this many milliseconds: the holder refreshes the lock file's mtime every
   * third of it (a heartbeat), and a lock whose lease is not refreshed in time is expired and taken over by
   * the next taker, whatever its host or pid. Default: no lease (only the pid and `staleMs` rules apply).
   */
  readonly leaseMs?: number;
  /** What to tell a person who finds the lock held (appended to the error message), and `details.command`. */
  readonly recovery?: string;
}

/**
 * A held lock file. `release` never throws (a lock it cannot remove goes stale); a second call does nothing.
 * `assertHeld()` resolves while the lock is still this holder's and rejects (the lock's error code) once it
 * was taken over: a holder frozen longer than its lease finds out before its next write, because a lease not
 * confirmed by a heartbeat within half its length is checked on the file first.
 */
export interface LockFile {
  readonly path: string;
  release(): Promise<void>;
  assertHeld(): Promise<void>;
}

/**
 * What a lock file holds: who took it, when (`at`), a token that tells this taking from any other, and the
 * lease in ms when it is held as one (absent in locks of releases without leases).
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly at: number;
  readonly lease?: number;
  /** Last modification of the lock file: the last heartbeat of a lease. */
  readonly mtimeMs: number;
}

/** What is written into a lock file. */
type LockContent = Omit<LockOwner, 'mtimeMs'>;

/** A lock file that exists but does not hold a readable owner (a writer without `link` crashed mid-write). */
export interface UnreadableLock {
  readonly mtimeMs: number;
}

/** How long an unreadable lock file is given before it is presumed abandoned. */
const UNREADABLE_STALE_MS = 10_000;
/** `link` is unsupported on some file systems (FAT, some FUSE): fall back to `open(path, 'wx')`. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'ENOSYS', 'EXDEV', 'EOPNOTSUPP']);

/**
 * Tokens of the locks this process holds, shared through the global symbol registry so that two copies of
 * this module (ESM and CJS builds) agree on which locks with this pid are live.
 */
const held: Set<string> = ((): Set<string> => {
  const key = Symbol.for('dissonance.node.heldLockTokens');
  const slot = globalThis as { [key]?: Set<string> };
  slot[key] ??= new Set<string>();
  return slot[key];
})();

/**
 * Takes a cross-process lock by creating `path` exclusively, holding `{ pid, host, token, at, lease? }`. The
 * content is written to a temporary file first and hard-linked into place, so a lock file never appears half
 * written. A lock is broken when it is stale: its host is this one and its pid is gone (or is this process's
 * pid but not a lock this process holds: a restarted container), its lease expired (not refreshed for
 * `lease` ms: a holder on another host, or a reused pid, that no longer runs), or it is older than `staleMs`.
 * Breaking is atomic (the stale file is renamed aside, and only one taker can move it), so of several takers
 * racing for an expired lock exactly one wins. While it is held and fresh, this waits (polling with backoff)
 * up to `waitMs`, then throws `options.code` naming the lock file, its holder and `options.recovery`.
 *
 * Meant for a local file system: hard links and `O_EXCL` are not reliable on every network file system.
 */
export async function acquireLockFile(path: string, options: LockFileOptions): Promise<LockFile> {
  const staleMs = options.staleMs ?? Number.POSITIVE_INFINITY;
  const leaseMs = options.leaseMs;
  if (leaseMs !== undefined && !(Number.isFinite(leaseMs) && leaseMs >= 30 && leaseMs <= MAX_LEASE_MS)) {
    throw new DissonanceError('E_CONFIG', `lock lease must be 30 ms to ${MAX_LEASE_MS} ms, got ${leaseMs}`, {
      details: { field: 'leaseMs' },
    });
  }
  const deadline = Date.now() + (options.waitMs ?? 0);
  const owner: LockContent = {
    pid: process.pid,
    host: HOST,
    token: randomUUID(),
    at: Date.now(),
    ...(leaseMs === undefined ? {} : { lease: leaseMs }),
  };
  let delay = 2;
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path, owner)) {
      held.add(owner.token);
      return lockHandle(path, owner.token, leaseMs, options.code);
    }
    const holder = await readLockFile(path);
    if (holder === undefined) {
      if (attempt < 100) continue; // released in between: try again at once
    } else if (isStale(holder, staleMs)) {
      if (await breakLock(path, holder, staleMs)) continue;
      // Another taker is breaking it: look again after the wait below.
      if (attempt < 100) {
        await sleep(delay + Math.random() * delay);
        delay = Math.min(delay * 2, 50);
        continue;
      }
    }
    if (Date.now() >= deadline) {
      const recovery = options.recovery === undefined ? '' : `. ${options.recovery}`;
      throw new DissonanceError(options.code, `lock ${path} is held by ${describeHolder(holder)}${recovery}`, {
        details: {
          path,
          ...(holder !== undefined && 'pid' in holder
            ? {
                pid: holder.pid,
                host: holder.host,
                since: new Date(holder.at).toISOString(),
                lease: holder.lease ?? null,
              }
            : {}),
          ...(options.recovery === undefined ? {} : { command: options.recovery }),
        },
      });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}

/** Who holds a lock, in words: pid, host, since when, and the state of its lease. */
export function describeHolder(holder: LockOwner | UnreadableLock | undefined, now = Date.now()): string {
  if (holder === undefined || !('pid' in holder)) return 'an unknown process (the lock file is unreadable)';
  const since = new Date(holder.at).toISOString();
  const refreshed = `${Math.round((now - holder.mtimeMs) / 1000)} s ago`;
  const lease =
    holder.lease === undefined
      ? 'no lease (written by a release without leases)'
      : `lease of ${holder.lease} ms, refreshed ${refreshed}`;
  return `pid ${holder.pid} on host ${holder.host} since ${since} (${lease})`;
}

function lockHandle(path: string, token: string, leaseMs: number | undefined, code: ErrorCode): LockFile {
  let released = false;
  let lost: DissonanceError | undefined;
  let confirmedAt = Date.now();
  let beat: Promise<void> | undefined;
  /** Refreshes the lease, once at a time; marks the lock lost when the file is no longer this holder's. */
  const renew = (): Promise<void> =>
    (beat ??= refresh(path, token)
      .then((mine) => {
        if (mine) confirmedAt = Date.now();
        else if (!released) {
          lost ??= new DissonanceError(
            code,
            `lock ${path} was taken over by another process (this holder missed its lease)`,
            {
              details: { path },
            },
          );
        }
      })
      .catch(() => undefined) // an unreadable lock is judged again at the next beat
      .finally(() => {
        beat = undefined;
      }));
  const heartbeat =
    leaseMs === undefined
      ? undefined
      : setInterval(
          () => {
            if (!released && lost === undefined) void renew();
          },
          Math.max(10, Math.floor(leaseMs / 3)),
        );
  heartbeat?.unref();
  return {
    path,
    async assertHeld(): Promise<void> {
      if (lost === undefined && leaseMs !== undefined && Date.now() - confirmedAt > leaseMs / 2) await renew();
      if (lost !== undefined) throw lost;
    },
    async release(): Promise<void> {
      if (released) return;
      released = true;
      if (heartbeat !== undefined) clearInterval(heartbeat);
      held.delete(token);
      try {
        const holder = await readLockFile(path);
        // Only remove the file while it is still ours: a stale-breaker may have replaced it.
        if (holder !== undefined && 'token' in holder && holder.token === token) await unlink(path);
      } catch {
        // Left in place, the lock goes stale once this process exits (or after `staleMs`, or its lease).
      }
    },
  };
}

/** Refreshes the lease (the lock file's mtime) when the lock is still `token`'s; false when it is not. */
async function refresh(path: string, token: string): Promise<boolean> {
  const holder = await readLockFile(path);
  if (holder === undefined || !('token' in holder) || holder.token !== token) return false;
  const now = new Date();
  await utimes(path, now, now);
  return true;
}

/** Creates the lock file holding `owner`; false when it already exists. */
async function tryCreate(path: string, owner: LockContent): Promise<boolean> {
  const text = JSON.stringify(owner);
  const temp = join(dirname(path), tempName('lock'));
  await writeFile(temp, text, { flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw error;
    return createExclusive(path, text);
  } finally {
    await unlink(temp).catch(ignoreMissing);
  }
}

async function createExclusive(path: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return true;
}

/** The owner recorded in a lock file, and its mtime; `undefined` when there is no such file. */
export async function readLockFile(path: string): Promise<LockOwner | UnreadableLock | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockContent> | null;
    if (
      typeof value?.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.token === 'string' &&
      typeof value.at === 'number'
    ) {
      const lease = typeof value.lease === 'number' && value.lease > 0 ? { lease: value.lease } : {};
      return { pid: value.pid, host: value.host, token: value.token, at: value.at, ...lease, mtimeMs };
    }
  } catch {
    // Unreadable: judged by its age below.
  }
  return { mtimeMs };
}

/**
 * Whether a lock may be broken: unreadable and old; on this host with a dead pid, or this pid but not held
 * here; a lease not refreshed for its length; or older than `staleMs`.
 */
export function isStale(holder: LockOwner | UnreadableLock, staleMs = Number.POSITIVE_INFINITY): boolean {
  if (!('pid' in holder)) return Date.now() - holder.mtimeMs > Math.min(staleMs, UNREADABLE_STALE_MS);
  if (holder.lease !== undefined && leaseExpired(holder)) return true;
  if (holder.host === HOST) {
    if (holder.pid === process.pid) return !held.has(holder.token);
    if (!processAlive(holder.pid)) return true;
  }
  return Date.now() - holder.at > staleMs;
}

/** Longest lease honoured: a lock file claiming more (or refreshed further in the future) is judged by this. */
export const MAX_LEASE_MS = 10 * 60 * 1000;

/**
 * True when the lock is held as a lease that was not refreshed for longer than the lease (at most
 * {@link MAX_LEASE_MS}), or whose last refresh lies more than that in the future (a bogus mtime).
 */
export function leaseExpired(holder: LockOwner, now = Date.now()): boolean {
  if (holder.lease === undefined) return false;
  const age = now - holder.mtimeMs;
  return age > Math.min(holder.lease, MAX_LEASE_MS) || age < -MAX_LEASE_MS;
}

/** A breaker file older than this was left by a breaker that died mid-break: it is removed. */
const BREAKER_STALE_MS = 10_000;

/**
 * Removes a stale lock. Breakers take turns through `<lock>.break` (created exclusively), and the breaker whose
 * turn it is re-reads the lock and removes it only when it is still the lock that was judged, still stale (a
 * lease refreshed in between is not). Renaming the lock aside instead would let a breaker move a fresh lock that
 * another taker created after the stale one was gone, and two takers would both believe they hold it. `force`
 * skips the staleness re-check (the operator's `store unlock --force`). Resolves `true` when this call removed
 * the lock, `false` when another breaker was at work or the lock had changed.
 */
export async function breakLock(
  path: string,
  stale: LockOwner | UnreadableLock,
  staleMs: number,
  force = false,
): Promise<boolean> {
  const breaker = `${path}.break`;
  let turn: Awaited<ReturnType<typeof open>>;
  try {
    turn = await open(breaker, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const since = await stat(breaker).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (since !== undefined && Date.now() - since > BREAKER_STALE_MS) await unlink(breaker).catch(ignoreMissing);
    return false;
  }
  try {
    const current = await readLockFile(path);
    const same =
      current !== undefined &&
      ('token' in stale ? 'token' in current && current.token === stale.token : !('token' in current)) &&
      (force || isStale(current, staleMs));
    if (!same) return false;
    await unlink(path).catch(ignoreMissing);
    return true;
  } finally {
    await turn.close();
    await unlink(breaker).catch(ignoreMissing);
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
