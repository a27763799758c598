import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A lock across vitest workers on the shared MLflow server (127.0.0.1:5001): the outage test stops and
 * restarts it, so the test files that use it hold this lock for their whole run instead of running at once.
 * `mkdir` is atomic; a lock whose holder process is gone is broken.
 */
export async function lockMlflowServer(root: string, timeoutMs = 280_000): Promise<() => void> {
  const dir = join(root, '.tmp/services/mlflow-test.lock');
  mkdirSync(join(root, '.tmp/services'), { recursive: true });
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
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the MLflow test lock ${dir}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
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
