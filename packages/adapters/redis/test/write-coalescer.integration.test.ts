import { afterAll, describe, expect, it } from 'vitest';
import { coalesceWrites } from '../src/write-coalescer.js';
import { adminClient, deletePrefix, uniquePrefix } from './redis-env.js';
import { countWrites, type CountedSocket } from '../../../../test/support/count-writes.js';

describe('coalesceWrites', () => {
  const prefix = uniquePrefix();
  const redis = adminClient();

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('sends every command of one tick in one writev, and each on its own without it', async () => {
    await redis.ping();
    const counts = countWrites(redis.stream as CountedSocket);
    coalesceWrites(redis);
    coalesceWrites(redis); // a second call in the same tick changes nothing
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.set(`${prefix}:k${i}`, String(i))));
    expect(replies.every((reply) => reply === 'OK')).toBe(true);
    expect(counts).toEqual({ write: 0, writev: 1 });
    // The next tick is not held back: without a call, one write per command.
    await Promise.all(Array.from({ length: 5 }, (_, i) => redis.get(`${prefix}:k${i}`)));
    expect(counts).toEqual({ write: 5, writev: 1 });
    expect(await redis.mget(...Array.from({ length: 20 }, (_, i) => `${prefix}:k${i}`))).toEqual(
      Array.from({ length: 20 }, (_, i) => String(i)),
    );
  });

  it('does nothing before the connection is ready (commands wait in the offline queue)', async () => {
    const fresh = adminClient();
    expect(fresh.status).not.toBe('ready');
    coalesceWrites(fresh);
    expect(await fresh.set(`${prefix}:early`, 'yes')).toBe('OK');
    expect(await fresh.get(`${prefix}:early`)).toBe('yes');
    await fresh.quit();
  });
});
