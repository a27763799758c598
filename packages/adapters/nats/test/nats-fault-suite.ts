import type { DeadLetter, Envelope } from '@dissonance/core';
import { createEnvelope, decodeBatch, encodeBatch, envelopeToJson } from '@dissonance/core/adapter-kit';
import { waitFor } from '@dissonance/core/testing';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNatsTransport, type NatsTransport } from '../src/index.js';
import { SERVERS, deleteStreams, uniquePrefix } from './nats-fixture.js';
import { holdServer, startServer, stopServer } from './nats-server-control.js';

/**
 * Fault tests against the local server: a restart while messages flow, and poison messages. The restart stops
 * the shared server, so this suite runs in the same file (sequentially) as the contract suite.
 */
export function natsFaultSuite(): void {
  describe('NATS transport under faults', () => {
    const prefix = uniquePrefix();
    let transport: NatsTransport | undefined;

    beforeAll(async () => {
      await startServer();
    });

    afterEach(async () => {
      await transport?.close();
      transport = undefined;
    });

    afterAll(async () => {
      await startServer();
      await deleteStreams(prefix);
    });

    it('loses nothing when the server restarts while messages flow', async () => {
      await holdServer();
      transport = await createNatsTransport({
        servers: SERVERS,
        prefix,
        publishTimeoutMs: 30_000,
      });
      const handled = new Set<string>();
      await transport.subscribe(
        'restart.work',
        async (d) => {
          handled.add(d.envelope.id);
          await d.ack();
        },
        { group: 'workers', prefetch: 8 }
      );
      const published: string[] = [];
      const total = 150;
      const publishing = (async () => {
        for (let i = 0; i < total; i++) {
          const envelope = createEnvelope('fault.item', { i });
          await transport.publish('restart.work', envelope);
          published.push(envelope.id);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      await waitFor(() => published.length >= 40, 10_000, 'the first messages');
      await stopServer();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await startServer();
      await publishing;
      expect(published).toHaveLength(total);
      await waitFor(
        () => published.every((id) => handled.has(id)),
        60_000,
        'every published message after the restart'
      );
      // Long: stopServer may first wait for a test that holds the server undisturbed (the distributed demo).
    }, 300_000);

    it('dead-letters a poison message and an invalid envelope while the others flow', async () => {
      transport = await createNatsTransport({ servers: SERVERS, prefix });
      const poison = createEnvelope('fault.item', { poison: true });
      const attempts: number[] = [];
      const good = new Set<string>();
      const dead: Envelope<DeadLetter>[] = [];
      const legacy = createEnvelope('fault.item', encodeBatch({ x: Float32Array.of(0.5, -2), rows: 1 }, 2));
      const legacyFeatures: number[] = [];
      await transport.subscribe(
        'poison.work.dlq',
        async (d) => {
          dead.push(d.envelope as Envelope<DeadLetter>);
          await d.ack();
        },
        { group: 'audit' }
      );
      await transport.subscribe(
        'poison.work',
        async (d) => {
          if (d.envelope.id === poison.id) {
            attempts.push(d.envelope.attempt);
            throw new Error(`poisoned on attempt ${d.envelope.attempt}`);
          }
          if (d.envelope.id === legacy.id) legacyFeatures.push(...decodeBatch(d.envelope.payload).x);
          good.add(d.envelope.id);
          await d.ack();
        },
        { group: 'workers', maxAttempts: 4 }
      );
      const others = Array.from({ length: 30 }, (_, i) => createEnvelope('fault.item', { i }));
      await transport.publish('poison.work', poison);
      const raw = await connect({ servers: SERVERS });
      try {
        await raw.request(`${prefix}.poison.work`, JSON.stringify({ not: 'an envelope' }), { timeout: 5000 });
        // What 0.1 published: envelope JSON, features as base64. Still read.
        await raw.request(`${prefix}.poison.work`, envelopeToJson(legacy), { timeout: 5000 });
      } finally {
        await raw.close();
      }
      for (const other of others) await transport.publish('poison.work', other);
      await waitFor(() => dead.length >= 2 && good.size >= others.length + 1, 15_000, 'two dead letters and the others');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(attempts).toEqual([1, 2, 3, 4]);
      expect(good).toEqual(new Set([legacy.id, ...others.map((o) => o.id)]));
      expect(legacyFeatures).toEqual([0.5, -2]);
      expect(dead).toHaveLength(2);
      const byError = dead.map((e) => e.payload);
      const poisoned = byError.find((letter) => letter.envelope.id === poison.id);
      expect(poisoned).toMatchObject({
        topic: 'poison.work',
        error: 'poisoned on attempt 4',
      });
      const invalid = byError.find((letter) => letter !== poisoned);
      expect(invalid?.error).toContain('E_ENVELOPE');
      expect(invalid?.envelope).toEqual({ not: 'an envelope' });
      for (const letter of dead) expect(letter.type).toBe('dead-letter');
    }, 60_000);
  });
}
