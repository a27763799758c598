import { randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from './process-alive.js';

/** Every temporary file or directory this package writes starts with this prefix (and is hidden). */
export const TEMP_PREFIX = '.tmp-';

/** Age after which a temporary entry is removed even when its owner pid looks alive (pids get reused). */
export const TEMP_MAX_AGE_MS = 60 * 60 * 1000;

const OWNER = /^\.tmp-([0-9]{1,10})-/;

/** A unique temporary name for something `label` (`.tmp-<pid>-<random>-<label>`), owned by this process. */
export function tempName(label: string): string {
  return `${TEMP_PREFIX}${process.pid}-${randomBytes(8).toString('hex')}-${label}`;
}

/**
 * Removes the temporary entries (`.tmp-*`, files or directories) that a crashed writer left in `dir`: those
 * whose owner process is gone, and any older than `maxAgeMs`. An entry owned by a live process is kept, since
 * that process may be writing it right now. Best effort: errors are ignored. Returns how many were removed.
 */
export async function sweepTempFiles(dir: string, maxAgeMs = TEMP_MAX_AGE_MS): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, name);
    try {
      const pid = Number(OWNER.exec(name)?.[1] ?? Number.NaN);
      const ownerGone = pid !== process.pid && !processAlive(pid);
      const old = Date.now() - (await stat(path)).mtimeMs > maxAgeMs;
      if (!ownerGone && !old) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Raced with its owner finishing, or not ours to remove: leave it.
    }
  }
  return removed;
}
