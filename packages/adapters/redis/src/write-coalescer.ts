import { corkUntil } from '@dissonance/core/adapter-kit';
import type { Redis } from 'ioredis';

/**
 * Holds back the writes of `redis`'s socket until the end of the current tick, so that every command sent
 * before then leaves in one `writev` (one system call) instead of one `write` each. On a loopback or virtual
 * network a system call per command costs more than building the command; a burst of publishes (confirms of
 * a window arriving together) is the common case. Does nothing unless the connection is ready.
 */
export function coalesceWrites(redis: Redis): void {
  if (redis.status === 'ready') corkUntil(redis.stream, uncorkNextTick);
}

function uncorkNextTick(uncork: () => void): void {
  process.nextTick(uncork);
}
