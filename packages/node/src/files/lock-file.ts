import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
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
}

/** A held lock file. `release` never throws (a lock it cannot remove goes stale); a second call does nothing. */
export interface LockFile {
  readonly path: string;
  release(): Promise<void>;
}

/** What a lock file holds: who took it, when, and a token that tells this taking from any other. */
interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly at: number;
}

/** A lock file that exists but does not hold a readable owner (a writer without `link` crashed mid-write). */
interface UnreadableLock {
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
 * Takes a cross-process lock by creating `path` exclusively, holding `{ pid, host, token, at }`. The content is
 * written to a temporary file first and hard-linked into place, so a lock file never appears half written.
 * A lock is broken when it is stale: its host is this one and its pid is gone (or is this process's pid but
 * not a lock this process holds: a restarted container), or it is older than `staleMs`. While it is held and
 * fresh, this waits (polling with backoff) up to `waitMs`, then throws `options.code` naming the holder.
 *
 * Meant for a local file system: hard links and `O_EXCL` are not reliable on every network file system.
 */
export async function acquireLockFile(path: string, options: LockFileOptions): Promise<LockFile> {
  const staleMs = options.staleMs ?? Number.POSITIVE_INFINITY;
  const deadline = Date.now() + (options.waitMs ?? 0);
  const owner: LockOwner = { pid: process.pid, host: HOST, token: randomUUID(), at: Date.now() };
  let delay = 2;
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path, owner)) {
      held.add(owner.token);
      return lockHandle(path, owner.token);
    }
    const holder = await readOwner(path);
    if (holder === undefined) {
      if (attempt < 100) continue; // released in between: try again at once
    } else if (isStale(holder, staleMs)) {
      await breakLock(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who =
        holder !== undefined && 'pid' in holder
          ? `pid ${holder.pid} on ${holder.host} since ${new Date(holder.at).toISOString()}`
          : 'an unknown process';
      throw new DissonanceError(options.code, `lock ${path} is held by ${who}`, { details: { path } });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}

function lockHandle(path: string, token: string): LockFile {
  let released = false;
  return {
    path,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      held.delete(token);
      try {
        const holder = await readOwner(path);
        // Only remove the file while it is still ours: a stale-breaker may have replaced it.
        if (holder !== undefined && 'token' in holder && holder.token === token) await unlink(path);
      } catch {
        // Left in place, the lock goes stale once this process exits (or after `staleMs`).
      }
    },
  };
}

/** Creates the lock file holding `owner`; false when it already exists. */
async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
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

/** The owner recorded in a lock file; `undefined` when there is no such file. */
async function readOwner(path: string): Promise<LockOwner | UnreadableLock | undefined> {
  let text: string;
  let mtimeMs: number;
  try {
    [text, mtimeMs] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtimeMs)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | null;
    if (
      typeof value?.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.token === 'string' &&
      typeof value.at === 'number'
    ) {
      return { pid: value.pid, host: value.host, token: value.token, at: value.at };
    }
  } catch {
    // Unreadable: judged by its age below.
  }
  return { mtimeMs };
}

function isStale(holder: LockOwner | UnreadableLock, staleMs: number): boolean {
  if (!('pid' in holder)) return Date.now() - holder.mtimeMs > Math.min(staleMs, UNREADABLE_STALE_MS);
  if (holder.host === HOST) {
    if (holder.pid === process.pid) return !held.has(holder.token);
    if (!processAlive(holder.pid)) return true;
  }
  return Date.now() - holder.at > staleMs;
}

/**
 * Removes a stale lock by renaming it aside (only one breaker can move a given file) and checking that what
 * was moved is the stale lock that was judged; if a fresh lock was moved instead, it is linked back.
 */
async function breakLock(path: string, stale: LockOwner | UnreadableLock): Promise<void> {
  const aside = join(dirname(path), tempName('stale-lock'));
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readOwner(aside);
  const same = moved !== undefined && ('token' in stale ? 'token' in moved && moved.token === stale.token : !('token' in moved));
  if (!same) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(ignoreMissing);
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
