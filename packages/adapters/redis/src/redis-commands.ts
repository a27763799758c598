import { toDissonanceError, type DissonanceError } from '@dissonance/core';
import type { Redis } from 'ioredis';
import type { GroupKeys } from './keys.js';

/** `error` of a Redis call as the `E_TRANSPORT` error that names `what`. */
export function transportError(what: string, error: unknown): DissonanceError {
  return toDissonanceError(error, 'E_TRANSPORT', `redis ${what} failed`);
}

/** Runs a Redis call, turning any failure into {@link transportError}. */
export async function transportCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw transportError(what, error);
  }
}

/**
 * Creates `group` on the topic stream (reading from `start`: `$` for a new group, `0` when it is re-created
 * after the stream vanished) and on the group's retry stream (from `0`), creating the streams as needed.
 * A group that already exists is left as it is.
 */
export async function createGroups(redis: Redis, keys: GroupKeys, group: string, start: '$' | '0'): Promise<void> {
  await createGroup(redis, keys.stream, group, start);
  await createGroup(redis, keys.retry, group, '0');
}

async function createGroup(redis: Redis, key: string, group: string, start: string): Promise<void> {
  try {
    await redis.call('XGROUP', 'CREATE', key, group, start, 'MKSTREAM');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('BUSYGROUP')) return;
    throw error;
  }
}

/** True when Redis answered that the group (or its stream) does not exist: the data was lost or deleted. */
export function isNoGroup(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOGROUP');
}

/** Ids of the connections named `name` (`CLIENT LIST`). */
export async function clientIdsNamed(redis: Redis, name: string): Promise<string[]> {
  const list = await redis.call('CLIENT', 'LIST');
  if (typeof list !== 'string') return [];
  const ids: string[] = [];
  for (const line of list.split('\n')) {
    const fields = new Map(
      line
        .trim()
        .split(' ')
        .map((pair) => {
          const at = pair.indexOf('=');
          return [pair.slice(0, at), pair.slice(at + 1)] as const;
        }),
    );
    const id = fields.get('id');
    if (fields.get('name') === name && id !== undefined) ids.push(id);
  }
  return ids;
}
