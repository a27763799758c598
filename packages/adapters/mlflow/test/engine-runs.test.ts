import { createEngine, FunctionModel, type Engine, type ErrorEvent, type Trainer } from '@dissonance/core';
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
      if (pathname.endsWith('/experiments/get-by-name'))
        return Promise.resolve(json({ experiment: { experiment_id: '7' } }));
      if (pathname.endsWith('/runs/create'))
        return Promise.resolve(
          json({ run: { info: { run_id: 'parent', artifact_uri: 'mlflow-artifacts:/7/parent/artifacts' } } }),
        );
      if (pathname.endsWith('/model-versions/get'))
        return Promise.resolve(
          json({
            model_version: { version: searchParams.get('version'), run_id: `run-${searchParams.get('version')}` },
          }),
        );
      if (pathname.endsWith('/runs/get'))
        return Promise.resolve(
          json({ run: { info: { run_id: searchParams.get('run_id'), experiment_id: '7' }, data: { tags: [] } } }),
        );
      if (pathname.endsWith('/runs/log-batch') && body.run_id === failLogBatch)
        return Promise.resolve(json({ error_code: 'INVALID_PARAMETER_VALUE', message: 'no' }, 400));
      return Promise.resolve(json({}));
    },
  };
}

const WIDTH = 2;
const CLASSES = 3;

/** A linear softmax model over 2 features and 3 classes; `w` is width × classes, row-major. */
function linear(name: string, w: readonly number[]): FunctionModel {
  return new FunctionModel({
    name,
    version: '0',
    inputWidth: WIDTH,
    classes: CLASSES,
    artifact: { format: 'linear-json', bytes: new TextEncoder().encode(JSON.stringify(w)) },
    run: (x, rows) => {
      const out = new Float32Array(rows * CLASSES);
      for (let r = 0; r < rows; r++) {
        const z = [0, 1, 2].map(
          (c) => (x[r * WIDTH] ?? 0) * (w[c] ?? 0) + (x[r * WIDTH + 1] ?? 0) * (w[CLASSES + c] ?? 0),
        );
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const sum = e.reduce((a, v) => a + v, 0);
        for (let c = 0; c < CLASSES; c++) out[r * CLASSES + c] = (e[c] ?? 0) / sum;
      }
      return out;
    },
  });
}
/** Right on every golden row. */
const GOOD = [0, 2, -2, 2, -1, -1];
/** Wrong on every golden row (the first champion). */
const WEAK = [0.2, -0.3, 0.1, 0.1, 0.2, -0.3];
/** Wrong on every golden row too: a candidate the golden guard rejects after GOOD. */
const BAD = GOOD.map((v) => -v);

/**
 * A real engine (the events below are the engine's own, not emitted by the test) whose trainer returns GOOD
 * (promoted), then BAD (rejected: golden accuracy drops), then GOOD, each with the loss curve 0.9, 0.4, NaN, 0.2.
 */
async function realEngine(): Promise<Engine> {
  const fits = [GOOD, BAD, GOOD];
  const trainer: Trainer = {
    name: 'scripted',
    fit: async (base) => {
      const model = linear(base.name, fits.shift() ?? GOOD);
      return { model, artifact: model.artifact!, report: { loss: [0.9, 0.4, Number.NaN, 0.2] } };
    },
  };
  const engine = createEngine({
    modelName: 'm',
    proposer: linear('m', WEAK),
    critics: [linear('critic-a', GOOD)],
    trainer,
    golden: { x: Float32Array.of(0, 2, 2, -1, -2, -1), labels: Int32Array.of(0, 1, 2), rows: 3 },
    policy: { klEps: 50 },
    retrain: { everyExamples: 0, minExamples: 1 },
    rollout: { canaryFraction: 0 },
  });
  await engine.ready();
  await engine.feedback([{ id: 'a', features: [0, 2], label: 0 }], { who: 'test', retrainEvery: 0 });
  return engine;
}

function setup(failLogBatch?: string) {
  const mlflow = fakeMlflow(failLogBatch);
  const options = { url: 'http://mlflow.test', fetch: mlflow.fetch, retryBaseMs: 1, maxRetries: 0 };
  return { mlflow, tracking: new MlflowTracking(options), registry: new MlflowRegistry(options) };
}

describe('recordEngineRuns', () => {
  it('logs per-retrain steps on the parent run and the loss curve, lineage and critic tags on each version’s run', async () => {
    const { mlflow, tracking, registry } = setup();
    const engine = await realEngine();
    let labels = 10;
    const runs = await recordEngineRuns(engine, {
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
    await engine.retrainNow(); // version 2, promoted
    expect(engine.championVersion).toBe('2');
    labels = 20;
    await engine.retrainNow(); // version 3, rejected
    expect(engine.championVersion).toBe('2');
    await runs.finish();
    await engine.retrainNow(); // version 4, after finish: not recorded
    expect(engine.championVersion).toBe('4');
    await engine.stop();

    const batches = mlflow.calls.filter((c) => c.path.endsWith('/runs/log-batch'));
    const of = (runId: string) => batches.filter((c) => c.body.run_id === runId);
    const metrics = of('parent').flatMap((c) => c.body.metrics as { key: string; value: number; step: number }[]);
    expect(metrics.filter((m) => m.key === 'labels_used').map((m) => [m.step, m.value])).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect(metrics.filter((m) => m.key === 'candidate_golden_accuracy').map((m) => [m.step, m.value])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    // Rejected at step 2: the champion's accuracy stays the parent's.
    expect(metrics.filter((m) => m.key === 'champion_golden_accuracy').map((m) => [m.step, m.value])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    const parentTags = of('parent').flatMap((c) => c.body.tags as { key: string; value: string }[]);
    // The first champion, the promotion, and the champion after the rejection (its `rolledBack` event).
    expect(parentTags.filter((t) => t.key === 'dissonance.champion').map((t) => t.value)).toEqual(['1', '2', '2']);
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
    const { mlflow, tracking, registry } = setup('run-2');
    const engine = await realEngine();
    const errors: ErrorEvent[] = [];
    engine.on('error', (event) => errors.push(event));
    const runs = await recordEngineRuns(engine, { tracking, registry, modelName: 'm', experimentName: 'exp' });
    await engine.retrainNow();
    expect(engine.championVersion).toBe('2');
    expect(errors).toEqual([]);
    await engine.stop();
    await expectCode(runs.flush(), 'E_INPUT');
    await expectCode(runs.finish('FINISHED'), 'E_INPUT');
    const ends = mlflow.calls.filter((c) => c.path.endsWith('/runs/update'));
    expect(ends.map((c) => [c.body.run_id, c.body.status])).toEqual([['parent', 'FAILED']]);
  });
});
