import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Locks of the shared brokers: held by a test while it disrupts one (drops every RabbitMQ connection, restarts
 * nats-server) and by a test that needs one undisturbed for its whole run (the distributed demo).
 */
export const DISRUPTION_LOCKS = { rabbitmq: 'rabbitmq-disruption', nats: 'nats-disruption' } as const;

/**
 * A lock across vitest workers (and any process of this checkout) named `name`: tests that disrupt a shared
 * server (stop it, drop every connection to it) hold it while they do, and tests that need the server
 * undisturbed hold it while they run, so the two never overlap. `mkdir` is atomic; a lock whose holder process
 * is gone is broken. Resolves to the release function.
 */
export async function exclusiveLock(name: string, timeoutMs = 280_000): Promise<() => void> {
  const base = join(ROOT, '.tmp/services');
  const dir = join(base, `${name}.lock`);
  mkdirSync(base, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (holderGone(dir)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the test lock ${dir}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function holderGone(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'pid'), 'utf8'));
  } catch {
    return false; // being created right now
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
