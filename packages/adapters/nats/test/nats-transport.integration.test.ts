import { createEnvelope, decodeWireFrame, encodeBatch } from '@dissonance/core/adapter-kit';
import { transportContract } from '@dissonance/core/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { createNatsTransport } from '../src/index.js';
import { natsFaultSuite } from './nats-fault-suite.js';
import { SERVERS, deleteStreams, uniquePrefix } from './nats-fixture.js';

// One file, so the fault suite's server restart never overlaps the contract tests (files run in parallel).
transportContract('nats', async () => {
  const prefix = uniquePrefix();
  const transport = await createNatsTransport({ servers: SERVERS, prefix });
  return { transport, cleanup: () => deleteStreams(prefix) };
});

natsFaultSuite();

describe('NatsTransport wire format', () => {
  it('publishes a batch as the batch frame, or as format 1 with wireFormat 1 (readers before format 2)', async () => {
    await expect(createNatsTransport({ servers: SERVERS, wireFormat: 3 as 2 })).rejects.toMatchObject({
      code: 'E_INPUT',
      details: { field: 'wireFormat' },
    });
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
    expect(magics).toEqual([[0, 0x44, 0x46, 2], [0, 0x44, 0x46, 1]]);
  }, 30_000);
});
