import type { DeadLetter, Envelope } from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import { waitFor } from '@dissonance/core/testing';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Transport } from '@dissonance/core';
import { createNatsTransport } from '../src/index.js';
import { SERVERS, deleteStreams, uniquePrefix } from './nats-fixture.js';
import { holdServer, startServer, stopServer } from './nats-server-control.js';

/**
 * Fault tests against the local server: a restart while messages flow, and poison messages. The restart stops
 * the shared server, so this suite runs in the same file (sequentially) as the contract suite.
 */
export function natsFaultSuite(): void {
  describe('NATS transport under faults', () => {
    const prefix = uniquePrefix();
    let transport: Transport | undefined;

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
        { group: 'workers', prefetch: 8 },
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
        'every published message after the restart',
      );
      // Long: stopServer may first wait for a test that holds the server undisturbed (the distributed demo).
    }, 300_000);

    // A throwing handler's retries and dead letter, undecodable bodies and envelope JSON of earlier releases:
    // the transport contract. Here: what NATS keeps of an invalid message in its dead letter.
    it('dead-letters an invalid envelope with the value it decoded to', async () => {
      transport = await createNatsTransport({ servers: SERVERS, prefix });
      const dead: Envelope<DeadLetter>[] = [];
      await transport.subscribe(
        'poison.work.dlq',
        async (d) => {
          dead.push(d.envelope as Envelope<DeadLetter>);
          await d.ack();
        },
        { group: 'audit' },
      );
      await transport.subscribe('poison.work', (d) => d.ack(), { group: 'workers' });
      const raw = await connect({ servers: SERVERS });
      try {
        await raw.request(`${prefix}.poison.work`, JSON.stringify({ not: 'an envelope' }), { timeout: 5000 });
      } finally {
        await raw.close();
      }
      await waitFor(() => dead.length >= 1, 15_000, 'the dead letter');
      expect(dead[0]?.type).toBe('dead-letter');
      expect(dead[0]?.payload.error).toContain('E_ENVELOPE');
      expect(dead[0]?.payload.envelope).toEqual({ not: 'an envelope' });
    }, 60_000);
  });
}
