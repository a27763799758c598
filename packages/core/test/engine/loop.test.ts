import { describe, expect, it } from 'vitest';
import { createEngine, goldenAccuracy, MemoryRegistry, oracleLabels, type EngineEvents } from '../../src/index.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, linearTrainer, sabotageTrainer, WEAK_WEIGHTS } from './fixtures.js';

function recordEvents(engine: { on: (name: keyof EngineEvents, fn: (e: unknown) => void) => unknown }) {
  const log: { name: keyof EngineEvents; event: Record<string, unknown> }[] = [];
  const names: (keyof EngineEvents)[] = [
    'proposed',
    'dissonance',
    'blocked',
    'deferred',
    'example',
    'retrained',
    'canary',
    'promoted',
    'rolledBack',
    'error',
  ];
  for (const name of names) engine.on(name, (event) => log.push({ name, event: event as Record<string, unknown> }));
  return log;
}

describe('engine end to end, in memory', () => {
  const stream = blobs(1, 640);
  const golden = blobs(2, 300);
  const oracle = (truth: Int32Array, ids: Map<string, number>) =>
    oracleLabels(async (requests) => requests.map((r) => truth[ids.get(r.itemId) ?? -1]), {
      budget: 400,
      pace: 'greedy',
    });

  it('detects, makes examples, retrains, canaries and promotes a better model, events in order', async () => {
    const registry = new MemoryRegistry();
    const ids = new Map<string, number>();
    for (let i = 0; i < 640; i++) ids.set(`item-${i}`, i);
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('critic', GOOD_WEIGHTS)],
      labels: oracle(stream.labels, ids),
      trainer: linearTrainer(),
      registry,
      golden: { x: golden.x, rows: 300, labels: golden.labels },
      policy: { klEps: 5, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
      retrain: { everyExamples: 60, mode: 'inline' },
      rollout: { canaryFraction: 0.5, canarySamples: 40, canaryMinLabelled: 10 },
    });
    const log = recordEvents(engine);
    await engine.ready();
    const before = await goldenAccuracy(linearModel('blobs', WEAK_WEIGHTS), {
      x: golden.x,
      rows: 300,
      labels: golden.labels,
    });
    for (const batch of batches(stream.x, 640, 32)) await engine.process(batch);
    const summary = await engine.stop();

    const names = log.map((e) => e.name);
    expect(names).toContain('dissonance');
    expect(names).toContain('example');
    expect(names).toContain('retrained');
    expect(names).toContain('canary');
    expect(names).toContain('promoted');
    expect(names).not.toContain('error');
    // Lifecycle order: retrained → canary → promoted for the first candidate.
    expect(names.indexOf('retrained')).toBeLessThan(names.indexOf('canary'));
    expect(names.indexOf('canary')).toBeLessThan(names.indexOf('promoted'));
    // Per batch: proposed, then dissonance, then example — and batches in acceptance order.
    const batchOrder = log.filter((e) => e.name === 'dissonance').map((e) => e.event.batchId);
    expect(batchOrder).toEqual(Array.from({ length: 20 }, (_, i) => `b${i + 1}`));
    for (const id of batchOrder) {
      const at = (name: keyof EngineEvents) => log.findIndex((e) => e.name === name && e.event.batchId === id);
      expect(at('proposed')).toBeLessThan(at('dissonance'));
      if (at('example') >= 0) expect(at('dissonance')).toBeLessThan(at('example'));
    }

    const champion = await registry.resolve('blobs', 'champion');
    expect(Number(champion.version)).toBeGreaterThan(1);
    expect(engine.championVersion).toBe(champion.version);
    expect(champion.lineage.parent).toBeDefined();
    expect(champion.metrics.golden_accuracy).toBeGreaterThan(before + 0.1);
    expect(summary.promotions).toBeGreaterThanOrEqual(1);
    expect(summary.accepted).toBe(640);
    expect(summary.accepted).toBe(summary.processed + summary.deferred + summary.blocked + summary.failed);
    const audit = await engine.store.audit();
    expect(audit.some((a) => a.action === 'model.promote')).toBe(true);
  });

  it('rolls back a deliberately worse candidate and keeps the champion', async () => {
    const registry = new MemoryRegistry();
    const ids = new Map<string, number>();
    for (let i = 0; i < 640; i++) ids.set(`item-${i}`, i);
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', GOOD_WEIGHTS),
      critics: [linearModel('critic', WEAK_WEIGHTS)],
      labels: oracle(stream.labels, ids),
      trainer: sabotageTrainer(),
      registry,
      golden: { x: golden.x, rows: 300, labels: golden.labels },
      policy: { klEps: 50, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
      retrain: { everyExamples: 100, mode: 'inline' },
    });
    const log = recordEvents(engine);
    for (const batch of batches(stream.x, 320, 32)) await engine.process(batch);
    await engine.stop();
    const rolledBack = log.filter((e) => e.name === 'rolledBack');
    expect(rolledBack.length).toBeGreaterThanOrEqual(1);
    expect(rolledBack[0]?.event.stage).toBe('validate');
    expect(String(rolledBack[0]?.event.reason)).toMatch(/drop/);
    expect(log.some((e) => e.name === 'promoted')).toBe(false);
    expect((await registry.resolve('blobs', 'champion')).version).toBe('1');
    expect(engine.championVersion).toBe('1');
    const rejected = await registry.get('blobs', '2');
    expect(rejected.tags.decision).toBe('rejected');
  });

  it('rolls back a challenger that does worse in its canary', async () => {
    const registry = new MemoryRegistry();
    const ids = new Map<string, number>();
    for (let i = 0; i < 640; i++) ids.set(`item-${i}`, i);
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', GOOD_WEIGHTS),
      critics: [linearModel('critic', GOOD_WEIGHTS)],
      labels: oracle(stream.labels, ids),
      trainer: sabotageTrainer(),
      registry,
      // No golden set: only the canary can catch it.
      policy: { klEps: 50, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
      retrain: { everyExamples: 64, mode: 'inline' },
      rollout: { canaryFraction: 0.5, canarySamples: 50, canaryMinLabelled: 10 },
    });
    const log = recordEvents(engine);
    for (const batch of batches(stream.x, 640, 32)) await engine.process(batch);
    await engine.stop();
    const canaryRollback = log.find((e) => e.name === 'rolledBack' && e.event.stage === 'canary');
    expect(canaryRollback).toBeDefined();
    expect(String(canaryRollback?.event.reason)).toMatch(/accuracy/);
    expect(engine.championVersion).toBe('1');
    expect((await registry.aliases('blobs')).challenger).toBeUndefined();
  });

  it('rolls back manually to the previous champion, audited', async () => {
    const ids = new Map<string, number>();
    for (let i = 0; i < 640; i++) ids.set(`item-${i}`, i);
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('critic', GOOD_WEIGHTS)],
      labels: oracle(stream.labels, ids),
      trainer: linearTrainer(),
      policy: { klEps: 5, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
      retrain: { everyExamples: 100, mode: 'inline' },
      rollout: { canaryFraction: 0 },
    });
    for (const batch of batches(stream.x, 128, 32)) await engine.process(batch);
    expect(engine.championVersion).toBe('2');
    await expect(engine.rollback({ who: 'alice', reason: 'looks off' })).resolves.toBe('1');
    expect(engine.championVersion).toBe('1');
    expect((await engine.registry.resolve('blobs', 'champion')).version).toBe('1');
    const entry = (await engine.store.audit()).find((a) => a.action === 'model.rollback');
    expect(entry).toMatchObject({ who: 'alice', before: '2', after: '1', reason: 'looks off' });
    await engine.stop();
  });
});
