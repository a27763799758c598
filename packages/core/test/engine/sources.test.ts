import { describe, expect, it } from 'vitest';
import { createEngine, MemoryTransport, oracleLabels, type Batch } from '../../src/index.js';
import { createEnvelope, encodeBatch } from '../../src/adapter-kit/index.js';
import { BATCH_MESSAGE_TYPE } from '../../src/schema/batch-payload.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel } from './fixtures.js';

const config = () => ({
  proposer: linearModel('p', GOOD_WEIGHTS),
  critics: [linearModel('q', GOOD_WEIGHTS)],
  labels: oracleLabels(async (requests) => requests.map(() => 1)),
});

describe('engine.start(source)', () => {
  it('consumes an async iterable; a bad batch is reported and skipped, the rest flow on', async () => {
    const data = blobs(3, 96);
    async function* source(): AsyncGenerator<Batch> {
      yield* batches(data.x, 64, 32);
      yield { x: Float32Array.of(Number.NaN, 1), rows: 1 };
      yield* batches(data.x.subarray(128), 32, 32, 2, 'tail');
    }
    const engine = createEngine(config());
    const errors: string[] = [];
    engine.on('error', (e) => errors.push(`${e.stage}:${e.error.code}`));
    engine.start(source());
    await engine.drained();
    expect(errors).toEqual(['source:E_INPUT']);
    expect(await engine.stop()).toMatchObject({ accepted: 96, processed: 96, examples: 96 });
  });

  it('consumes batches from a transport topic and acks them once reconciled', async () => {
    const transport = new MemoryTransport();
    const engine = createEngine(config());
    engine.start({ transport, topic: 'items' });
    const data = blobs(4, 64);
    for (const batch of batches(data.x, 64, 16)) {
      await transport.publish('items', createEnvelope(BATCH_MESSAGE_TYPE, encodeBatch(batch, 2)));
    }
    await transport.publish('items', createEnvelope(BATCH_MESSAGE_TYPE, { rows: 1, width: 2, x: 'not base64!' }));
    const dead: unknown[] = [];
    await transport.subscribe('items.dlq', async (d) => (dead.push(d.envelope.payload), d.ack()), { group: 'audit' });
    for (let i = 0; i < 100 && (engine.counters.processed < 64 || dead.length < 1); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(engine.counters).toMatchObject({ accepted: 64, processed: 64 });
    expect(dead).toHaveLength(1);
    expect(JSON.stringify(dead[0])).toMatch(/E_ENVELOPE/);
    await engine.stop();
    await transport.close();
  });
});
