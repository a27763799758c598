import { EventEmitter } from 'node:events';
import type { Engine, RetrainedEvent } from '@dissonance/core';
import { expectCode } from '@dissonance/core/testing';
import { describe, expect, it } from 'vitest';
import { MlflowRegistry, MlflowTracking, recordEngineRuns, type FetchFunction } from '../src/index.js';

interface Call {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** A fake MLflow answering the calls recordEngineRuns makes; `failLogBatch` makes run `runId`'s log-batch fail. */
function fakeMlflow(failLogBatch?: string): { fetch: FetchFunction; calls: Call[] } {
  const calls: Call[] = [];
  const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status });
  return {
    calls,
    fetch: (url, init) => {
      const { pathname, searchParams } = new URL(url);
      const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
      calls.push({ path: pathname, body });
      if (pathname.endsWith('/experiments/get-by-name')) return Promise.resolve(json({ experiment: { experiment_id: '7' } }));
      if (pathname.endsWith('/runs/create')) return Promise.resolve(json({ run: { info: { run_id: 'parent', artifact_uri: 'mlflow-artifacts:/7/parent/artifacts' } } }));
      if (pathname.endsWith('/model-versions/get')) return Promise.resolve(json({ model_version: { version: searchParams.get('version'), run_id: `run-${searchParams.get('version')}` } }));
      if (pathname.endsWith('/runs/get')) return Promise.resolve(json({ run: { info: { run_id: searchParams.get('run_id'), experiment_id: '7' }, data: { tags: [] } } }));
      if (pathname.endsWith('/runs/log-batch') && body.run_id === failLogBatch) return Promise.resolve(json({ error_code: 'INVALID_PARAMETER_VALUE', message: 'no' }, 400));
      return Promise.resolve(json({}));
    },
  };
}

function retrained(version: string, parent: string, decision: RetrainedEvent['decision']): RetrainedEvent {
  return {
    candidate: {
      name: 'm',
      version,
      format: 'onnx',
      sha256: '0'.repeat(64),
      size: 1,
      inputWidth: 2,
      classes: 2,
      createdAt: new Date(0).toISOString(),
      metrics: {},
      params: {},
      tags: {},
      lineage: { parent, examples: 40, dissonanceMean: 0.25 },
    },
    parent,
    report: { loss: [0.9, 0.4, Number.NaN, 0.2] },
    goldenAccuracy: 0.9,
    parentGoldenAccuracy: 0.8,
    kl: 0.01,
    decision,
    reason: 'golden 90% vs 80%',
  };
}

function setup(failLogBatch?: string) {
  const mlflow = fakeMlflow(failLogBatch);
  const options = { url: 'http://mlflow.test', fetch: mlflow.fetch, retryBaseMs: 1, maxRetries: 0 };
  const engine = new EventEmitter();
  return { mlflow, engine, tracking: new MlflowTracking(options), registry: new MlflowRegistry(options) };
}

const asEngine = (emitter: EventEmitter): Pick<Engine, 'on' | 'off'> => emitter as unknown as Pick<Engine, 'on' | 'off'>;

describe('recordEngineRuns', () => {
  it('logs per-retrain steps on the parent run and the loss curve, lineage and critic tags on each version’s run', async () => {
    const { mlflow, engine, tracking, registry } = setup();
    let labels = 10;
    const runs = await recordEngineRuns(asEngine(engine), {
      tracking,
      registry,
      modelName: 'm',
      experimentName: 'exp',
      params: { seed: 1 },
      champion: '1',
      critics: () => [{ name: 'critic-a', version: `fit-${labels}` }],
      stepMetrics: () => ({ labels_used: labels }),
    });
    expect(runs.run.runId).toBe('parent');
    engine.emit('retrained', retrained('2', '1', 'promote'));
    engine.emit('promoted', { version: '2', previous: '1', reason: 'r' });
    labels = 20;
    engine.emit('retrained', retrained('3', '2', 'reject'));
    await runs.finish();
    engine.emit('retrained', retrained('4', '3', 'promote')); // after finish: ignored

    const batches = mlflow.calls.filter((c) => c.path.endsWith('/runs/log-batch'));
    const of = (runId: string) => batches.filter((c) => c.body.run_id === runId);
    const metrics = of('parent').flatMap((c) => c.body.metrics as { key: string; value: number; step: number }[]);
    expect(metrics.filter((m) => m.key === 'labels_used').map((m) => [m.step, m.value])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    // Rejected at step 2: the champion's accuracy stays the parent's.
    expect(metrics.filter((m) => m.key === 'champion_golden_accuracy').map((m) => [m.step, m.value])).toEqual([
      [1, 0.9],
      [2, 0.8],
    ]);
    const parentTags = of('parent').flatMap((c) => c.body.tags as { key: string; value: string }[]);
    expect(parentTags.filter((t) => t.key === 'dissonance.champion').map((t) => t.value)).toEqual(['1', '2']);
    // The initial champion's run is nested too.
    expect(of('run-1').flatMap((c) => c.body.tags)).toContainEqual({ key: 'mlflow.parentRunId', value: 'parent' });
    const child = of('run-3')[0]!;
    expect(child.body.tags).toEqual(
      expect.arrayContaining([
        { key: 'mlflow.parentRunId', value: 'parent' },
        { key: 'dissonance.retrain', value: '2' },
        { key: 'dissonance.decision', value: 'reject' },
        { key: 'dissonance.proposer.version', value: '2' },
        { key: 'dissonance.critic.critic-a.version', value: 'fit-20' },
      ]),
    );
    // The non-finite epoch is left out; steps are epochs.
    expect((child.body.metrics as { key: string; step: number }[]).map((m) => [m.key, m.step])).toEqual([
      ['train_loss', 1],
      ['train_loss', 2],
      ['train_loss', 4],
    ]);
    expect(of('run-4')).toEqual([]);
    const ends = mlflow.calls.filter((c) => c.path.endsWith('/runs/update'));
    expect(ends.map((c) => [c.body.run_id, c.body.status])).toEqual([['parent', 'FINISHED']]);
  });

  it('ends the parent run FAILED and rejects when a write failed, without throwing into the engine', async () => {
    const { mlflow, engine, tracking, registry } = setup('run-2');
    const runs = await recordEngineRuns(asEngine(engine), { tracking, registry, modelName: 'm', experimentName: 'exp' });
    expect(() => engine.emit('retrained', retrained('2', '1', 'promote'))).not.toThrow();
    await expectCode(runs.flush(), 'E_INPUT');
    await expectCode(runs.finish('FINISHED'), 'E_INPUT');
    const ends = mlflow.calls.filter((c) => c.path.endsWith('/runs/update'));
    expect(ends.map((c) => [c.body.run_id, c.body.status])).toEqual([['parent', 'FAILED']]);
  });
});
