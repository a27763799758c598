import { randomId } from '@dissonance/core';
import { Redis } from 'ioredis';

/** The Redis server the integration tests use. */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix unique to one test. */
export function uniquePrefix(): string {
  return `dissonance-test-${randomId()}`;
}

/** A plain client for assertions and fault injection; close it with `quit()`. */
export function adminClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
}

/** Deletes every key under `prefix`. */
export async function deletePrefix(admin: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await admin.del(...keys);
  } while (cursor !== '0');
}

/** Kills (`CLIENT KILL ID`) the connections whose name starts with `prefix`; returns how many. */
export async function killConnections(admin: Redis, prefix: string): Promise<number> {
  const list = await admin.call('CLIENT', 'LIST');
  let killed = 0;
  for (const line of String(list).split('\n')) {
    const id = /\bid=(\d+)/.exec(line)?.[1];
    const name = /\bname=(\S*)/.exec(line)?.[1];
    if (id === undefined || name === undefined || !name.startsWith(`${prefix}:`)) continue;
    await admin.call('CLIENT', 'KILL', 'ID', id).catch(() => undefined);
    killed++;
  }
  return killed;
}
