import { hostname } from 'node:os';

/** This machine's host name, recorded in lock files so that only this host judges their pids. */
export const HOST = hostname();

/**
 * True when a process with this pid exists on this host (signal 0 probes without signalling).
 * `EPERM` means it exists but belongs to someone else; anything that is not a positive integer is not a pid.
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid < 1) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
