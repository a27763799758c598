import type { Transport } from '@dissonance/core';
import { createEnvelope, decodeBatch, encodeBatch, envelopeToJson } from '@dissonance/core/adapter-kit';
import { waitFor } from '@dissonance/core/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisTransport } from '../src/index.js';
import { PrivateRedis } from './private-redis.js';

/** Polls `check` every 20 ms until it holds; throws naming `what` after `ms`. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Entries of the group's topic stream read but not acked. */
async function pending(admin: Redis): Promise<number> {
  return Number(((await admin.xpending('wire:jobs', 'workers')) as unknown[])[0]);
}

/** Calls of `command` the server has answered since its start (`INFO commandstats`). */
async function calls(admin: Redis, command: string): Promise<number> {
  const info = await admin.info('commandstats');
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return match === null ? 0 : Number(match[1]);
}

describe('the Redis transport on the wire', () => {
  let server: PrivateRedis | undefined;
  let transport: Transport | undefined;
  let admin: Redis | undefined;

  afterEach(async () => {
    await transport?.close();
    admin?.disconnect();
    await server?.dispose();
  });

  // A server of its own: the command counts are server-wide.
  async function start(): Promise<{ transport: Transport; admin: Redis }> {
    server = new PrivateRedis();
    await server.start();
    transport = await createRedisTransport({ url: server.url, prefix: 'wire' });
    admin = new Redis(server.url);
    return { transport, admin };
  }

  it('acks the deliveries of one read with one multi-id XACK, leaving nothing pending', async () => {
    const { transport, admin } = await start();
    const handled: string[] = [];
    await transport.subscribe('jobs', async (d) => void handled.push(d.envelope.id), {
      group: 'workers',
      prefetch: 64,
    });
    // Published at once: the subscriber's reads return them in batches, and each batch settles together.
    await Promise.all(Array.from({ length: 200 }, (_, i) => transport.publish('jobs', createEnvelope('job', { i }))));
    await waitFor(() => handled.length === 200, 5000, 'all 200 handled');
    await until(async () => (await pending(admin)) === 0, 5000, 'nothing pending');
    const [reads, xacks] = [await calls(admin, 'xreadgroup'), await calls(admin, 'xack')];
    // One XACK per stream per read at most (one per entry before): far fewer than the 200 entries.
    expect(xacks).toBeGreaterThanOrEqual(1);
    expect(xacks).toBeLessThanOrEqual(reads);
    expect(xacks).toBeLessThan(100);
  });

  it('stores wire frames, and still reads envelope JSON written by an earlier release', async () => {
    const { transport, admin } = await start();
    const x = Float32Array.of(0.5, -2, -0); // finite: decodeBatch refuses NaN (issue 20)
    const features: Float32Array[] = [];
    await transport.subscribe('jobs', async (d) => void features.push(decodeBatch(d.envelope.payload).x), {
      group: 'workers',
    });
    const current = createEnvelope('job', encodeBatch({ x, rows: 1 }, 3));
    await transport.publish('jobs', current);
    await admin.xadd(
      'wire:jobs',
      '*',
      'envelope',
      envelopeToJson(createEnvelope('job', encodeBatch({ x, rows: 1 }, 3))),
    );
    await waitFor(() => features.length === 2, 5000, 'both deliveries');
    for (const got of features)
      expect([...new Uint8Array(got.buffer, got.byteOffset, got.byteLength)]).toEqual([...new Uint8Array(x.buffer)]);
    const [[, fields]] = (await admin.xrangeBuffer('wire:jobs', '-', '+', 'COUNT', 1)) as [[Buffer, Buffer[]]];
    // A batch travels as the batch frame (format 2).
    expect([...fields[1]!.subarray(0, 4)]).toEqual([0, 0x44, 0x46, 2]);
  });

  it('writes format 1 only with wireFormat 1, retries included, for readers before format 2', async () => {
    server = new PrivateRedis();
    await server.start();
    transport = await createRedisTransport({ url: server.url, prefix: 'wire', wireFormat: 1 });
    const reader = (admin = new Redis(server.url));
    const magics: number[][] = [];
    const magicOf = async (key: string): Promise<number[]> => {
      const [[, fields]] = (await reader.xrangeBuffer(key, '-', '+', 'COUNT', 1)) as [[Buffer, Buffer[]]];
      return [...fields[1]!.subarray(0, 4)];
    };
    await transport.subscribe(
      'jobs',
      async (d) => {
        if (d.envelope.attempt === 1) return d.nack({ error: 'once more' });
        magics.push(await magicOf('wire:jobs:workers:retry'));
        expect(decodeBatch(d.envelope.payload).x).toEqual(Float32Array.of(1, 2));
      },
      { group: 'workers' },
    );
    await transport.publish('jobs', createEnvelope('job', encodeBatch({ x: Float32Array.of(1, 2), rows: 1 }, 2)));
    await waitFor(() => magics.length === 1, 5000, 'the retry');
    magics.push(await magicOf('wire:jobs'));
    expect(magics).toEqual([
      [0, 0x44, 0x46, 1],
      [0, 0x44, 0x46, 1],
    ]);
  });
});
