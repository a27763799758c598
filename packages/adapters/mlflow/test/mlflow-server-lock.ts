import { exclusiveLock } from '../../../../test/support/exclusive-lock.js';

/**
 * A lock across vitest workers on the shared MLflow server (127.0.0.1:5001): the outage test stops and
 * restarts it, so the test files that use it hold this lock for their whole run instead of running at once.
 */
export function lockMlflowServer(_root: string, timeoutMs = 280_000): Promise<() => void> {
  return exclusiveLock('mlflow-test', timeoutMs);
}
