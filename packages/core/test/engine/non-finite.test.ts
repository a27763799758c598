import { describe, expect, it } from 'vitest';
import {
  createEngine,
  NON_FINITE_DISSONANCE,
  oracleLabels,
  type BlockedEvent,
  type EngineConfig,
  type ErrorEvent,
  type RetrainedEvent,
} from '../../src/index.js';
import { createMlpTrainer, initMlp, MlpModel } from '../../src/mlp.js';
import { prng } from './fixtures.js';

const WIDTH = 4;
const CLASSES = 3;

/** A float32 MLP (what the server runs): every feature 3.4e38 overflows its hidden layer to NaN. */
function mlp(name: string, seed: number): MlpModel {
  return new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [8], classes: CLASSES, seed }), { name });
}

function rows(seed: number, n: number): Float32Array {
  const rand = prng(seed);
  return Float32Array.from({ length: n * WIDTH }, () => rand() * 4 - 2);
}

function config(): EngineConfig {
  return {
    modelName: 'm',
    proposer: mlp('m', 1),
    critics: [mlp('critic', 2)],
    labels: oracleLabels(async (requests) => requests.map((r) => (r.x[0]! > 0 ? 1 : 0))),
    trainer: createMlpTrainer({ epochs: 2 }),
    policy: { dissonanceThreshold: 0, dBudgetPerHour: 1e9, maxDissonance: 1 },
    retrain: { everyExamples: 0, minExamples: 10 },
  };
}

describe('non-finite model outputs (issue 20, item 2)', () => {
  it('one feedback item with every feature 3.4e38 no longer stops all future retrains', async () => {
    const engine = createEngine(config());
    const errors: ErrorEvent[] = [];
    const retrained: RetrainedEvent[] = [];
    const blocked: BlockedEvent[] = [];
    engine.on('error', (e) => errors.push(e));
    engine.on('retrained', (e) => retrained.push(e));
    engine.on('blocked', (e) => blocked.push(e));
    await engine.process({ x: rows(1, 32), rows: 32 });
    // What the feedback route stores for an untrusted principal's item: accepted, straight into the replay buffer.
    await engine.store.appendExamples([
      {
        id: 'feedback/untrusted/eve/1',
        x: new Float32Array(WIDTH).fill(3.4e38),
        target: { kind: 'hard', label: 1 },
        weight: 1,
        provenance: { itemId: '1', origin: 'feedback', dissonance: 0, proposerVersion: '1', at: 0 },
      },
    ]);
    await engine.retrainNow();
    expect(errors.map((e) => e.error.message)).toEqual([]);
    expect(retrained).toHaveLength(1);
    expect(retrained[0]!.report.loss.every(Number.isFinite)).toBe(true);
    // The item is quarantined with its reason, counted once however many retrains leave it out.
    const items = blocked.flatMap((e) => e.items);
    expect(items).toEqual([
      expect.objectContaining({ itemId: 'feedback/untrusted/eve/1', gate: 'finite', reason: 'non-finite-output' }),
    ]);
    expect(items[0]!.message).toMatch(/answers a non-finite value/);
    const summary = await engine.stop();
    expect(summary.nonFiniteExamples).toBe(1);
    expect(summary.retrains).toBe(1);
  });

  it('rows whose outputs are not finite are quarantined, counted, and never reported as NaN dissonance', async () => {
    const engine = createEngine(config());
    const blocked: BlockedEvent[] = [];
    const values: Float32Array[] = [];
    engine.on('blocked', (e) => blocked.push(e));
    engine.on('dissonance', (e) => values.push(e.values));
    const x = rows(2, 3);
    x.fill(3.4e38, WIDTH, 2 * WIDTH);
    const result = await engine.process({ x, rows: 3, ids: ['a', 'huge', 'c'] });
    expect(result.nonFiniteRows).toEqual([1]);
    expect(result.dissonance.every(Number.isFinite)).toBe(true);
    expect(result.dissonance[1]).toBe(NON_FINITE_DISSONANCE);
    expect(JSON.parse(JSON.stringify(Array.from(result.dissonance)))).not.toContain(null);
    expect(values[0]).toBe(result.dissonance);
    expect(result.outcome).toMatchObject({ blocked: 1, examples: 2 });
    expect(blocked.flatMap((e) => e.items)).toEqual([
      expect.objectContaining({
        itemId: 'huge',
        gate: 'finite',
        reason: 'non-finite-output',
        message: expect.stringMatching(/probability of class 0 is NaN/),
      }),
    ]);
    expect((await engine.store.examples()).map((e) => e.id)).toEqual(['a', 'c']);
    const summary = await engine.stop();
    expect(summary).toMatchObject({ accepted: 3, processed: 2, blocked: 1, nonFinite: 1 });
    expect(summary.accepted).toBe(summary.processed + summary.blocked + summary.deferred + summary.failed);
  });
});
