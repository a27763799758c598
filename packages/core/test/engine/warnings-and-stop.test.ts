import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  oracleLabels,
  type LogFields,
  type ModelRuntime,
  type WarningEvent,
} from '../../src/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';
import {
  batches,
  blobs,
  GOOD_WEIGHTS,
  linearModel,
  linearTrainer,
  WEAK_WEIGHTS,
  type LinearWeights,
} from './fixtures.js';

/** Two-class constant models disagreeing by |p0 − q0| = `gap` (total variation). */
function pair(gap: number) {
  const constant = (p0: number, name: string) =>
    new FunctionModel({
      name,
      inputWidth: 1,
      classes: 2,
      run: (_x, rows) => {
        const out = new Float32Array(rows * 2);
        for (let r = 0; r < rows; r++) {
          out[2 * r] = p0;
          out[2 * r + 1] = 1 - p0;
        }
        return out;
      },
    });
  return { proposer: constant(0.5 + gap / 2, 'p'), critic: constant(0.5 - gap / 2, 'q') };
}

const rows = (n: number, start = 0) => ({
  x: Float32Array.from({ length: n }, (_, i) => start + i),
  rows: n,
  ids: Array.from({ length: n }, (_, i) => `i${start + i}`),
});

function logger() {
  const lines: { fields: LogFields; message: string | undefined }[] = [];
  const ignore = (): void => undefined;
  return {
    lines,
    logger: {
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (fields: LogFields, message?: string) => lines.push({ fields, message }),
    },
  };
}

describe('warning event', () => {
  it('warns (event and log line) when more than 20 % of a window is deferred by the hourly bucket', async () => {
    const { proposer, critic } = pair(0.4);
    const log = logger();
    const engine = createEngine({
      proposer,
      critics: [critic],
      clock: new ManualClock(0),
      labels: oracleLabels((r) => Promise.resolve(r.map(() => 0))),
      policy: { dBudgetPerHour: 100 },
      logger: log.logger,
    });
    const warnings: WarningEvent[] = [];
    engine.on('warning', (e) => warnings.push(e));
    for (let b = 0; b < 8; b++) await engine.process(rows(32, b * 32));
    expect(engine.counters.deferred).toBe(156);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ kind: 'deferred' });
    expect(warnings[0]!.share).toBeCloseTo(156 / 256);
    expect(warnings[0]!.message).toMatch(/156 of the last 256 items .* deferred: .*dBudgetPerHour/);
    expect(log.lines.map((l) => l.message)).toContain(warnings[0]!.message);
    await engine.stop({ canary: 'leave' });
  });

  it('warns when more than 20 % of a window is quarantined, and not below that', async () => {
    const { proposer, critic } = pair(0.8);
    const engine = createEngine({ proposer, critics: [critic], policy: { maxDissonance: 0.5 } });
    const warnings: WarningEvent[] = [];
    engine.on('warning', (e) => warnings.push(e));
    for (let b = 0; b < 8; b++) await engine.process(rows(32, b * 32));
    expect(warnings.map((w) => w.kind)).toEqual(['quarantined']);

    const calm = pair(0.4);
    const quiet = createEngine({ proposer: calm.proposer, critics: [calm.critic] });
    const none: WarningEvent[] = [];
    quiet.on('warning', (e) => none.push(e));
    for (let b = 0; b < 8; b++) await quiet.process(rows(32, b * 32));
    expect(none).toEqual([]);
    await Promise.all([engine.stop(), quiet.stop()]);
  });

  it('warns once when the label budget is spent', async () => {
    const { proposer, critic } = pair(0.4);
    const engine = createEngine({
      proposer,
      critics: [critic],
      labels: oracleLabels((r) => Promise.resolve(r.map(() => 0)), { budget: 20, pace: 'greedy' }),
    });
    const warnings: WarningEvent[] = [];
    engine.on('warning', (e) => warnings.push(e));
    for (let b = 0; b < 3; b++) await engine.process(rows(32, b * 32));
    expect(warnings).toEqual([
      { kind: 'label-budget', share: 1, message: 'label source "oracle" spent its budget of 20 labels after 32 items' },
    ]);
    await engine.stop();
  });

  it('emits savings from the control arm as labels arrive, and records them as a gauge', async () => {
    class TestReader extends MetricReader {
      protected onForceFlush(): Promise<void> {
        return Promise.resolve();
      }
      protected onShutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const reader = new TestReader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('test');
    const { proposer, critic } = pair(0.4);
    const engine = createEngine({
      proposer,
      critics: [critic],
      meter,
      labels: oracleLabels((r) => Promise.resolve(r.map(() => 1)), {
        budget: 1000,
        pace: { rate: 0.5 },
        controlFraction: 0.2,
      }),
    });
    const seen: (number | undefined)[] = [];
    engine.on('savings', (e) => seen.push(e.savings));
    for (let b = 0; b < 4; b++) await engine.process(rows(32, b * 32));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBe(0); // every label corrects the proposer in both arms: no savings
    const { resourceMetrics } = await reader.collect();
    const gauge = resourceMetrics.scopeMetrics
      .flatMap((s) => s.metrics)
      .find((m) => m.descriptor.name === 'dissonance.labels.savings');
    expect(gauge?.dataPoints.map((p) => [p.value, p.attributes['dissonance.label_source']])).toEqual([[0, 'oracle']]);
    await engine.stop();
  });
});

describe('stop() and a canary in flight', () => {
  const stream = blobs(1, 640);
  const golden = blobs(2, 300);
  const setup = () => {
    const registry = new MemoryRegistry();
    const ids = new Map<string, number>();
    for (let i = 0; i < 640; i++) ids.set(`item-${i}`, i);
    const engine = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('critic', GOOD_WEIGHTS)],
      labels: oracleLabels(async (requests) => requests.map((r) => stream.labels[ids.get(r.itemId) ?? -1]), {
        budget: 400,
        pace: 'greedy',
      }),
      trainer: linearTrainer(),
      registry,
      golden: { x: golden.x, rows: 300, labels: golden.labels },
      policy: { klEps: 50, dissonanceThreshold: 0, maxDissonance: 1 },
      retrain: { everyExamples: 60, mode: 'inline' },
      // A canary far longer than the stream: it is still running when stop() is called.
      rollout: { canaryFraction: 0.1, canarySamples: 10_000 },
    });
    return { engine, registry };
  };

  it("settles it by default: the run ends on a decision, the registry's challenger alias cleared", async () => {
    const { engine, registry } = setup();
    for (const batch of batches(stream.x, 160, 32)) await engine.process(batch);
    const pending = engine.challengerVersion;
    expect(pending).toBeDefined();
    await engine.stop();
    expect(engine.challengerVersion).toBeUndefined();
    expect(engine.championVersion).toBe(pending);
    expect((await registry.aliases('blobs')).challenger).toBeUndefined();
    expect((await registry.resolve('blobs', 'champion')).version).toBe(pending);
  });

  it("leaves it as the registry's challenger with { canary: 'leave' }", async () => {
    const { engine, registry } = setup();
    for (const batch of batches(stream.x, 160, 32)) await engine.process(batch);
    const pending = engine.challengerVersion;
    expect(pending).toBeDefined();
    await engine.stop({ canary: 'leave' });
    expect(engine.championVersion).toBe('1');
    expect((await registry.aliases('blobs')).challenger).toBe(pending);

    // A new engine on the same registry goes on with that canary, given a runtime for its format.
    const runtime: ModelRuntime = {
      name: 'linear-json',
      supports: (format) => format === 'linear-json',
      load: async (artifact, info) =>
        linearModel(info.name, JSON.parse(new TextDecoder().decode(artifact.bytes)) as LinearWeights, info.version),
    };
    const resumed = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('critic', GOOD_WEIGHTS)],
      registry,
      runtime,
    });
    const canaries: string[] = [];
    resumed.on('canary', (e) => canaries.push(e.version));
    await resumed.ready();
    expect(resumed.championVersion).toBe('1');
    expect(resumed.challengerVersion).toBe(pending);
    expect(canaries).toEqual([pending]);
    await resumed.stop({ canary: 'leave' });

    // Without one it is reported and left in the registry; the champion serves.
    const blind = createEngine({
      modelName: 'blobs',
      proposer: linearModel('blobs', WEAK_WEIGHTS),
      critics: [linearModel('critic', GOOD_WEIGHTS)],
      registry,
    });
    const errors: string[] = [];
    blind.on('error', (e) => errors.push(`${e.stage} ${e.error.code}`));
    await blind.ready();
    expect(blind.challengerVersion).toBeUndefined();
    expect(errors).toEqual(['refresh E_CONFIG']);
    expect((await registry.aliases('blobs')).challenger).toBe(pending);
    await blind.stop();
  });
});
