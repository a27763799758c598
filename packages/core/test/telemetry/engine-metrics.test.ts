import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { createEngine, MemoryStore, oracleLabels, type DecisionReason } from '../../src/index.js';
import { batches, blobs, GOOD_WEIGHTS, linearModel, linearTrainer, WEAK_WEIGHTS } from '../engine/fixtures.js';

/** Reads on demand: `collect()` is the SDK's in-memory read-back. */
class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function collect(reader: TestReader): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  const byName = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
  return byName;
}

function sumWhere(metric: MetricData | undefined, match: Attributes = {}): number {
  let total = 0;
  for (const point of metric?.dataPoints ?? []) {
    if (Object.entries(match).every(([k, v]) => point.attributes[k] === v)) total += point.value as number;
  }
  return total;
}

describe('engine metrics through the OpenTelemetry metrics API', () => {
  it('match what the loop was fed: items and gate decisions by reason, dissonance histogram count and sum, gauges', async () => {
    const reader = new TestReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const data = blobs(7, 256);
    const store = new MemoryStore();
    const engine = createEngine({
      modelName: 'metrics',
      proposer: linearModel('metrics', WEAK_WEIGHTS),
      critics: [linearModel('q', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map((r) => data.labels[Number(r.itemId.split('-')[1])] ?? 0)),
      trainer: linearTrainer(),
      store,
      meter: meterProvider.getMeter('test'),
      // A budget of 40 dissonant items: some rows are deferred (items above maxDissonance 0.6 go to the oracle).
      policy: { klEps: 10, maxDissonance: 0.6, dBudgetPerHour: 40, dissonanceThreshold: 0 },
      retrain: { everyExamples: 30, mode: 'inline' },
      rollout: { canaryFraction: 0 },
    });
    const fed = {
      rows: 0,
      sum: 0,
      byReason: new Map<DecisionReason, number>(),
      examples: 0,
      retrains: 0,
      promotions: 0,
    };
    engine.on('dissonance', (e) => {
      fed.rows += e.values.length;
      for (const v of e.values) fed.sum += v;
    });
    const countReasons = (items: readonly { reason: DecisionReason }[]): void => {
      for (const item of items) fed.byReason.set(item.reason, (fed.byReason.get(item.reason) ?? 0) + 1);
    };
    engine.on('blocked', (e) => countReasons(e.items));
    engine.on('deferred', (e) => countReasons(e.items));
    engine.on('example', (e) => (fed.examples += e.examples.length));
    engine.on('retrained', () => fed.retrains++);
    engine.on('promoted', () => fed.promotions++);
    for (const batch of batches(data.x, 256, 32)) await engine.process(batch);

    const metrics = await collect(reader);
    const histogram = metrics.get('dissonance.item.dissonance');
    expect(histogram?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(histogram?.descriptor.unit).toBe('1');
    const point = histogram?.dataPoints[0]?.value as { count: number; sum: number };
    expect(fed.rows).toBe(256);
    expect(point.count).toBe(fed.rows);
    expect(point.sum).toBeCloseTo(fed.sum, 3);

    const decisions = metrics.get('dissonance.gate.decisions');
    expect(fed.byReason.get('over-budget') ?? 0).toBeGreaterThan(0);
    for (const [reason, count] of fed.byReason)
      expect(sumWhere(decisions, { 'dissonance.reason': reason })).toBe(count);
    const counters = engine.counters;
    expect(sumWhere(decisions, { 'dissonance.decision': 'pass' })).toBe(counters.examples + counters.unlabelled);
    const items = metrics.get('dissonance.items');
    expect(items?.descriptor.unit).toBe('{item}');
    expect(sumWhere(items, { 'dissonance.outcome': 'example' })).toBe(fed.examples);
    expect(sumWhere(items, { 'dissonance.outcome': 'blocked' })).toBe(counters.blocked);
    expect(sumWhere(items)).toBe(256);
    expect(sumWhere(metrics.get('dissonance.labels.requested'))).toBe(counters.examples + counters.unlabelled);

    expect(fed.retrains).toBeGreaterThan(0);
    expect(sumWhere(metrics.get('dissonance.retrains'))).toBe(fed.retrains);
    expect(sumWhere(metrics.get('dissonance.promotions'))).toBe(fed.promotions);
    const durations = metrics.get('dissonance.stage.duration');
    expect(durations?.descriptor.unit).toBe('s');
    const stages = new Set(durations?.dataPoints.map((p) => p.attributes['dissonance.stage']));
    for (const stage of ['generate', 'detect', 'reconcile', 'retrain', 'validate', 'register', 'promote'])
      expect(stages).toContain(stage);
    const generated = durations?.dataPoints.find((p) => p.attributes['dissonance.stage'] === 'generate')?.value as {
      count: number;
    };
    expect(generated.count).toBe(256 / 32);

    const champion = metrics.get('dissonance.champion.version')?.dataPoints[0];
    expect(champion?.value).toBe(Number(engine.championVersion));
    expect(champion?.attributes['dissonance.model.version']).toBe(engine.championVersion);
    expect(metrics.get('dissonance.replay_buffer.depth')?.dataPoints[0]?.value).toBe(await store.countExamples());
    await engine.stop();
    await meterProvider.shutdown();
  });
});
