import { describe, expect, it } from 'vitest';
import {
  createEngine,
  FunctionModel,
  MemoryDedupStore,
  MemoryTransport,
  oracleLabels,
  type Envelope,
} from '@dissonance/core';
import { createEnvelope } from '@dissonance/core/adapter-kit';
import { waitFor } from '@dissonance/core/testing';
import {
  STAGE_MESSAGE_TYPES,
  STAGE_TOPICS,
  decodeProgress,
  encodeItems,
  runWorker,
  type ProgressMessage,
} from '../../src/worker/index.js';

/** Class 0 when x0 > 0, else class 1: softmax of (x0, -x0). */
const linear = (name: string, sign = 1): FunctionModel =>
  new FunctionModel({
    name,
    inputWidth: 1,
    classes: 2,
    run: async (x, rows) => {
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const p = 1 / (1 + Math.exp(-2 * sign * x[r]!));
        out[r * 2] = p;
        out[r * 2 + 1] = 1 - p;
      }
      return out;
    },
  });

function items(id: string, xs: number[], seq: number): Envelope {
  const batch = { x: Float32Array.from(xs), rows: xs.length, ids: xs.map((_, i) => `${id}-${i}`) };
  return createEnvelope(STAGE_MESSAGE_TYPES.items, encodeItems({ batch, meta: { seq } }, 1), { id });
}

describe('runWorker: the three stages over one transport', () => {
  it('carries items through generate → detect → retrain, suppresses a redelivered input by id, dead-letters a poison message', async () => {
    const transport = new MemoryTransport();
    const detectEngine = createEngine({
      proposer: linear('unused'),
      critics: [linear('critic', -1)],
      labels: oracleLabels(async (requests) => requests.map(() => 0)),
      retrain: { everyExamples: 0 },
    });
    const retrainEngine = createEngine({
      proposer: linear('proposer'),
      critics: [linear('critic', -1)],
      retrain: { everyExamples: 0 },
    });
    const dedup = new MemoryDedupStore();
    const made = new Set<string>();
    detectEngine.on('example', (e) => e.examples.forEach((x) => made.add(x.id)));
    const workers = [
      await runWorker({ stage: 'generate', transport, proposer: { model: linear('proposer') }, maxAttempts: 2 }),
      await runWorker({ stage: 'detect', transport, engine: detectEngine }),
      await runWorker({ stage: 'retrain', transport, engine: retrainEngine, dedup, retrainWhen: () => false }),
    ];
    const progress: ProgressMessage[] = [];
    const dead: Envelope[] = [];
    await transport.subscribe(
      STAGE_TOPICS.progress,
      async (d) => void progress.push(decodeProgress(d.envelope.payload)),
      { group: 't' },
    );
    await transport.subscribe(`${STAGE_TOPICS.items}.dlq`, async (d) => void dead.push(d.envelope), { group: 't' });

    await transport.publish(STAGE_TOPICS.items, items('b1', [1, -1, 2], 1));
    await transport.publish(
      STAGE_TOPICS.items,
      createEnvelope(STAGE_MESSAGE_TYPES.items, { batch: { rows: 1 } }, { id: 'poison' }),
    );
    await transport.publish(STAGE_TOPICS.items, items('b2', [0.5], 2));
    // The same input again (a redelivery after a crash): its outputs carry the same ids, the retrain stage skips them.
    await transport.publish(STAGE_TOPICS.items, items('b1', [1, -1, 2], 1));
    await waitFor(() => progress.length >= 2 && dead.length === 1, 10_000, 'two progress reports and one dead letter');
    await new Promise((r) => setTimeout(r, 200));

    expect(progress.map((p) => p.meta['seq'])).toEqual([1, 2]);
    expect(progress[0]!.source).toBe('b1.p.e');
    expect(made.size).toBeGreaterThan(0);
    expect(await retrainEngine.store.countExamples()).toBe(made.size);
    expect((dead[0]!.payload as { error: string }).error).toMatch(/E_ENVELOPE|invalid batch payload/);
    expect(workers.map((w) => w.handled)).toEqual([3, 3, 2]);
    for (const w of workers) await w.close();
    await detectEngine.stop();
    await retrainEngine.stop();
    await transport.close();
  });
});
