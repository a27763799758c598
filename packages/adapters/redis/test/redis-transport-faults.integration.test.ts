import type { DeadLetter, Envelope, Transport } from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import { sleep, waitFor } from '@dissonance/core/testing';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRedisTransport, type RedisTransportOptions } from '../src/index.js';
import { REDIS_URL, adminClient, deletePrefix, killConnections, uniquePrefix } from './redis-env.js';

describe('the Redis transport under faults', () => {
  let prefix: string;
  let admin: Redis;
  const transports: Transport[] = [];
  const ghosts: Redis[] = [];

  const open = async (options: RedisTransportOptions = {}): Promise<Transport> => {
    const transport = await createRedisTransport({
      url: REDIS_URL,
      prefix,
      blockMs: 100,
      claimIdleMs: 600,
      ...options,
    });
    transports.push(transport);
    return transport;
  };

  beforeEach(() => {
    prefix = uniquePrefix();
    admin = adminClient();
  });

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((t) => t.close()));
    for (const ghost of ghosts.splice(0)) ghost.disconnect();
    await deletePrefix(admin, prefix);
    await admin.quit();
  });

  it('resumes after its connections are killed while messages flow, losing nothing', async () => {
    const transport = await open();
    const received = new Set<string>();
    await transport.subscribe(
      'jobs',
      async (d) => {
        received.add(d.envelope.id);
        await d.ack();
      },
      { group: 'workers', prefetch: 4 },
    );
    const sent: string[] = [];
    let kills = 0;
    for (let i = 0; i < 60; i++) {
      const envelope = createEnvelope('job', { i });
      sent.push(envelope.id);
      // A publish that failed while its connection died is retried, as a producer would.
      for (let tries = 0; ; tries++) {
        try {
          await transport.publish('jobs', envelope);
          break;
        } catch (error) {
          if (tries > 20) throw error;
          await sleep(50);
        }
      }
      if (i % 20 === 10) kills += await killConnections(admin, prefix);
      await sleep(5);
    }
    expect(kills).toBeGreaterThanOrEqual(6);
    await waitFor(() => sent.every((id) => received.has(id)), 15_000, 'every message after the kills');
    await expect(transport.ping()).resolves.toBeUndefined();
  }, 30_000);

  it('redelivers the pending entries of a consumer that died to another one of its group (XAUTOCLAIM)', async () => {
    const publisher = await open();
    const stream = `${prefix}:jobs`;
    await admin.call('XGROUP', 'CREATE', stream, 'workers', '$', 'MKSTREAM');
    const sent = Array.from({ length: 5 }, (_, i) => createEnvelope('job', { i }));
    for (const envelope of sent) await publisher.publish('jobs', envelope);
    // The ghost reads everything as consumer `ghost`, then dies without acking.
    const ghost = adminClient();
    ghosts.push(ghost);
    const read = await ghost.call('XREADGROUP', 'GROUP', 'workers', 'ghost', 'COUNT', '10', 'STREAMS', stream, '>');
    expect(JSON.stringify(read)).toContain(sent[4]?.id);
    ghost.disconnect();

    const survivor = await open({ claimIdleMs: 300 });
    const seen: Envelope[] = [];
    await survivor.subscribe(
      'jobs',
      async (d) => {
        seen.push(d.envelope);
        await d.ack();
      },
      { group: 'workers' },
    );
    await waitFor(() => seen.length >= sent.length, 5000, 'the claimed entries');
    await sleep(400);
    expect(seen.map((e) => e.id).sort()).toEqual(sent.map((e) => e.id).sort());
    expect(seen.map((e) => e.attempt)).toEqual([2, 2, 2, 2, 2]);
    const pending = await admin.call('XPENDING', stream, 'workers');
    expect((pending as unknown[])[0]).toBe(0);
  });

  it('dead-letters an entry its consumers never settled once claims exceed maxAttempts', async () => {
    const publisher = await open();
    const stream = `${prefix}:jobs`;
    await admin.call('XGROUP', 'CREATE', stream, 'workers', '$', 'MKSTREAM');
    const poison = createEnvelope('job', { crash: true });
    await publisher.publish('jobs', poison);
    const ghost = adminClient();
    ghosts.push(ghost);
    await ghost.call('XREADGROUP', 'GROUP', 'workers', 'ghost', 'COUNT', '10', 'STREAMS', stream, '>');
    ghost.disconnect();
    const survivor = await open({ claimIdleMs: 300 });
    const dead: Envelope[] = [];
    const handled: string[] = [];
    await survivor.subscribe('jobs.dlq', async (d) => void dead.push(d.envelope), { group: 'ops' });
    await survivor.subscribe('jobs', async (d) => void handled.push(d.envelope.id), {
      group: 'workers',
      maxAttempts: 1,
    });
    await waitFor(() => dead.length >= 1, 5000, 'the dead letter');
    expect(handled).toEqual([]);
    const letter = dead[0]?.payload as DeadLetter;
    expect(letter.envelope.id).toBe(poison.id);
    expect(letter.error).toContain('without being settled');
  });

  it('dead-letters a poison message after maxAttempts with its error while the others flow', async () => {
    const transport = await open();
    const dead: Envelope[] = [];
    await transport.subscribe('jobs.dlq', async (d) => void dead.push(d.envelope), { group: 'ops' });
    const poison = createEnvelope('job', { poison: true });
    const good: string[] = [];
    const attempts: number[] = [];
    await transport.subscribe(
      'jobs',
      async (d) => {
        if (d.envelope.id === poison.id) {
          attempts.push(d.envelope.attempt);
          await d.nack({ delayMs: 50, error: `cannot parse (attempt ${d.envelope.attempt})` });
          return;
        }
        good.push(d.envelope.id);
      },
      { group: 'workers', maxAttempts: 4, prefetch: 2 },
    );
    const others = Array.from({ length: 20 }, (_, i) => createEnvelope('job', { i }));
    await transport.publish('jobs', poison);
    for (const other of others) await transport.publish('jobs', other);
    await waitFor(() => dead.length >= 1 && good.length >= others.length, 5000, 'the dead letter and the others');
    await sleep(300);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(good.sort()).toEqual(others.map((o) => o.id).sort());
    expect(dead).toHaveLength(1);
    const letter = dead[0]?.payload as DeadLetter;
    expect(letter).toMatchObject({ topic: 'jobs', error: 'cannot parse (attempt 4)' });
    expect(letter.envelope).toMatchObject({ id: poison.id, attempt: 4, payload: { poison: true } });
    expect(await admin.zcard(`${prefix}:jobs:workers:delayed`)).toBe(0);
  });

  // Undecodable bodies in general: the transport contract. Here: Redis entries without an envelope field, and
  // what a dead letter keeps of a body that is not JSON.
  it('dead-letters invalid entries on receipt with the E_ENVELOPE error, never crashing the loop', async () => {
    const transport = await open();
    const dead: DeadLetter[] = [];
    const good: string[] = [];
    await transport.subscribe('jobs.dlq', async (d) => void dead.push(d.envelope.payload as DeadLetter), {
      group: 'ops',
    });
    await transport.subscribe('jobs', async (d) => void good.push(d.envelope.id), { group: 'workers' });
    const stream = `${prefix}:jobs`;
    await admin.xadd(stream, '*', 'envelope', '{not json');
    await admin.xadd(stream, '*', 'other', 'field');
    const fine = createEnvelope('job', { ok: true });
    await transport.publish('jobs', fine);
    await waitFor(() => dead.length >= 2 && good.length >= 1, 5000, 'two dead letters and the valid one');
    expect(good).toEqual([fine.id]);
    expect(dead.map((l) => l.error)).toEqual([
      expect.stringContaining('E_ENVELOPE: invalid envelope: not a wire frame and not JSON'),
      expect.stringContaining('E_ENVELOPE: stream entry has no envelope field'),
    ]);
    expect(dead[0]?.envelope).toBe('{not json');
  });

  it('keeps delayed retries in Redis: a retry scheduled before a shutdown is delivered after a restart', async () => {
    const first = await open();
    const seen: Envelope[] = [];
    await first.subscribe(
      'jobs',
      async (d) => {
        seen.push(d.envelope);
        await d.nack({ delayMs: 500, error: 'later' });
      },
      { group: 'workers' },
    );
    const sent = createEnvelope('job', { later: true });
    await first.publish('jobs', sent);
    await waitFor(() => seen.length >= 1, 5000, 'the first delivery');
    await first.close();
    expect(await admin.zcard(`${prefix}:jobs:workers:delayed`)).toBe(1);

    const second = await open();
    const again: Envelope[] = [];
    await second.subscribe('jobs', async (d) => void again.push(d.envelope), { group: 'workers' });
    await waitFor(() => again.length >= 1, 5000, 'the delayed retry');
    expect(again[0]).toMatchObject({ id: sent.id, attempt: 2 });
    expect(seen).toHaveLength(1);
  });

  it('re-creates a group whose stream vanished and keeps delivering', async () => {
    const transport = await open();
    const ids: string[] = [];
    await transport.subscribe('jobs', async (d) => void ids.push(d.envelope.id), { group: 'workers' });
    await transport.publish('jobs', createEnvelope('job', 1));
    await waitFor(() => ids.length >= 1, 5000, 'the first delivery');
    await admin.del(`${prefix}:jobs`, `${prefix}:jobs:workers:retry`);
    await sleep(300);
    const after = createEnvelope('job', 2);
    await transport.publish('jobs', after);
    await waitFor(() => ids.includes(after.id), 5000, 'a delivery after the stream was deleted');
  });
});
