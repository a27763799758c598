import { createEnvelope, decodeWireFrame, encodeBatch } from '@dissonance/core/adapter-kit';
import { transportContract, waitFor } from '@dissonance/core/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createNatsTransport, type NatsTransportOptions } from '../src/index.js';
import { natsFaultSuite } from './nats-fault-suite.js';
import { SERVERS, deleteStreams, uniquePrefix } from './nats-fixture.js';

// One file, so the fault suite's server restart never overlaps the contract tests (files run in parallel).
transportContract(
  'nats',
  async () => {
    const prefix = uniquePrefix();
    const transport = await createNatsTransport({ servers: SERVERS, prefix });
    return {
      transport,
      cleanup: () => deleteStreams(prefix),
      publishRaw: (topic, body) => publishRaw(`${prefix}.${topic}`, body),
    };
  },
  {
    invalidOptions: {
      create: (options) => createNatsTransport(options as NatsTransportOptions),
      cases: [
        { options: { servers: [] }, field: 'servers' },
        { options: { prefix: 'a b' }, field: 'prefix' },
        { options: { streamPrefix: 'a.b' }, field: 'streamPrefix' },
        { options: { publishTimeoutMs: 0 }, field: 'publishTimeoutMs' },
        { options: { ackWaitMs: 10 }, field: 'ackWaitMs' },
        { options: { wireFormat: 3 }, field: 'wireFormat' },
        { options: { connection: 'nats://127.0.0.1:4222' }, field: 'connection' },
      ],
    },
  },
);

/** Publishes raw bytes on `subject` (a JetStream request: resolves once the stream stored them). */
async function publishRaw(subject: string, body: Uint8Array): Promise<void> {
  const raw = await connect({ servers: SERVERS });
  try {
    await raw.request(subject, body, { timeout: 5000 });
  } finally {
    await raw.close();
  }
}

natsFaultSuite();

describe('the NATS transport wire format', () => {
  it('publishes a batch as the batch frame, or as format 1 with wireFormat 1 (readers before format 2)', async () => {
    const prefix = uniquePrefix();
    const nc = await connect({ servers: SERVERS });
    const jsm = await jetstreamManager(nc);
    const magics: number[][] = [];
    try {
      for (const wireFormat of [2, 1] as const) {
        const transport = await createNatsTransport({ servers: SERVERS, prefix, wireFormat });
        const sent = createEnvelope('job', encodeBatch({ x: Float32Array.of(1, 2), rows: 1 }, 2));
        await transport.publish('jobs', sent);
        await transport.close();
        const subject = `${prefix}.jobs`;
        const stored = await jsm.streams.getMessage(await jsm.streams.find(subject), { last_by_subj: subject });
        if (stored === null) throw new Error('nothing stored');
        magics.push([...stored.data.subarray(0, 4)]);
        expect(decodeWireFrame(stored.data)).toEqual(sent);
      }
    } finally {
      await nc.close();
      await deleteStreams(prefix);
    }
    expect(magics).toEqual([
      [0, 0x44, 0x46, 2],
      [0, 0x44, 0x46, 1],
    ]);
  }, 30_000);
});

describe('the NATS transport on a connection of yours', () => {
  it('uses a passed-in connection and leaves it open on close()', async () => {
    const prefix = uniquePrefix();
    const nc = await connect({ servers: SERVERS });
    try {
      const transport = await createNatsTransport({ connection: nc, prefix });
      const seen: string[] = [];
      await transport.subscribe(
        'shared',
        async (d) => {
          seen.push(d.envelope.id);
          await d.ack();
        },
        { group: 'workers' },
      );
      const sent = createEnvelope('job', { n: 1 });
      await transport.publish('shared', sent);
      await waitFor(() => seen.length >= 1, 10_000, 'the delivery');
      await transport.close();
      expect(seen).toEqual([sent.id]);
      expect(nc.isClosed()).toBe(false);
    } finally {
      await nc.close();
      await deleteStreams(prefix);
    }
  }, 30_000);
});
