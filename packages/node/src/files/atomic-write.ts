import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tempName } from './temp-files.js';

/** Errors of `fsync` on a directory from platforms and file systems that cannot do it (Windows, some FUSE). */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'ENOTSUP', 'EPERM', 'EBADF']);

/**
 * Writes `data` to `path` atomically and durably: the bytes go to a uniquely named temporary file in the same
 * directory, which is fsync'd, renamed over `path`, and then the directory is fsync'd so the rename itself
 * survives a power loss. A reader (or a process after a crash) sees the old content or the new, never a mix;
 * a crash can leave only a `.tmp-*` file behind, which {@link sweepTempFiles} removes.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, tempName(basename(path)));
  try {
    await writeNewFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Creates `path`, which must not exist yet (`wx`), writes `data` and fsyncs the file before closing it. The
 * caller fsyncs the directory (or renames the file into place) to make its name durable too. `mode` is the new
 * file's permission bits (default 0o644, less the umask; 0o600 for secrets).
 */
export async function writeNewFile(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Fsyncs a directory, making the creation, removal and renaming of its entries durable. A no-op where the
 * platform cannot fsync a directory (Windows, where renames are durable once they return).
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (process.platform === 'win32' && isUnsupported(error)) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isUnsupported(error)) throw error;
  } finally {
    await handle.close();
  }
}

function isUnsupported(error: unknown): boolean {
  return DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '');
}
