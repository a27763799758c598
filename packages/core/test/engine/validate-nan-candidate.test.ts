import { describe, expect, it } from 'vitest';
import { createEngine, FunctionModel, oracleLabels, type RetrainedEvent, type Trainer } from '../../src/index.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, WEAK_WEIGHTS } from './fixtures.js';

describe('validation of a candidate that answers NaN', () => {
  it('rejects it on the reference rows (a NaN KL passed `kl > klEps`), with no golden set', async () => {
    const data = blobs(3, 96);
    const nan: Trainer = {
      name: 'nan',
      fit: async (base) => {
        const model = new FunctionModel({
          name: base.name,
          version: 'candidate',
          inputWidth: base.inputWidth,
          classes: base.classes,
          run: (_x, rows) => new Float32Array(rows * base.classes).fill(Number.NaN),
          artifact: { format: 'nan', bytes: new Uint8Array([1]) },
        });
        return { model, artifact: model.artifact!, report: { loss: [1] } };
      },
    };
    const engine = createEngine({
      proposer: linearModel('p', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map((r) => data.labels[Number(r.itemId.split('-')[1])] ?? 0)),
      trainer: nan,
      reference: { x: data.x.slice(0, 3 * 32), rows: 32 },
      policy: { dissonanceThreshold: 0, maxDissonance: 1 },
      retrain: { everyExamples: 0, minExamples: 1 },
    });
    const retrained: RetrainedEvent[] = [];
    engine.on('retrained', (e) => retrained.push(e));
    for (const batch of batches(data.x, 96, 32)) await engine.process(batch);
    await engine.retrainNow();
    expect(retrained.map((e) => e.decision)).toEqual(['reject']);
    expect(retrained[0]!.reason).toContain('NaN or ±Infinity on the reference rows');
    expect(engine.challengerVersion).toBeUndefined();
    expect(engine.championVersion).toBe('1');
    await engine.stop();
  });
});
