import { createEnvelope } from '@dissonance/core/adapter-kit';
import { waitFor } from '@dissonance/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisTransport } from '../src/index.js';
import { PrivateRedis } from './private-redis.js';

describe('RedisTransport across a server restart', () => {
  let server: PrivateRedis | undefined;
  let transport: RedisTransport | undefined;

  afterEach(async () => {
    await transport?.close();
    await server?.dispose();
  });

  it('resumes reading after the server crashed and came back empty', async () => {
    server = new PrivateRedis();
    await server.start();
    transport = new RedisTransport({ url: server.url, prefix: 'restart', blockMs: 100, claimIdleMs: 600 });
    const ids: string[] = [];
    await transport.subscribe('jobs', async (d) => void ids.push(d.envelope.id), { group: 'workers' });
    const before = createEnvelope('job', 1);
    await transport.publish('jobs', before);
    await waitFor(() => ids.length >= 1, 5000, 'the delivery before the restart');

    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.start();

    // The restarted server is empty (no persistence): the subscriber re-creates its group and reads on.
    const after = createEnvelope('job', 2);
    await transport.publish('jobs', after);
    await waitFor(() => ids.includes(after.id), 10_000, 'the delivery after the restart');
    expect(ids).toEqual([before.id, after.id]);
    await expect(transport.ping()).resolves.toBeUndefined();
  }, 30_000);
});
