import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expectCode } from '@dissonance/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowTracking } from '../src/index.js';
import { MlflowCleanup, testName } from './mlflow-cleanup.js';
import { lockMlflowServer } from './mlflow-server-lock.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const URL_ = 'http://127.0.0.1:5001';

let release: (() => void) | undefined;
/** Every experiment these tests create is deleted after them, failed or not. */
const cleanup = new MlflowCleanup(URL_);

// engine-outage.integration.test.ts stops and restarts the server: never run at the same time as it.
beforeAll(async () => {
  release = await lockMlflowServer(ROOT);
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  try {
    await cleanup.sweep();
  } finally {
    release?.();
  }
}, 120_000);

/** Reads MLflow's REST API directly, independent of the client under test. */
async function rest<T>(path: string, query: Record<string, string>): Promise<T> {
  const response = await fetch(`${URL_}${path}?${new URLSearchParams(query).toString()}`);
  expect(response.ok, `${path}: ${response.status}`).toBe(true);
  return (await response.json()) as T;
}

interface RestRun {
  info: { run_id: string; experiment_id: string; run_name: string; status: string; end_time?: string | number };
  data: {
    params?: { key: string; value: string }[];
    metrics?: { key: string; value: number; step: string | number }[];
    tags?: { key: string; value: string }[];
  };
}

const unique = (prefix: string): string => cleanup.experiment(testName(prefix));

describe('MlflowTracking against the real server', () => {
  it('creates a missing experiment once and finds it again (also from a second client)', async () => {
    const name = unique('tracking-exp');
    const tracking = new MlflowTracking({ url: URL_ });
    await expect(rest(`/api/2.0/mlflow/experiments/get-by-name`, { experiment_name: name })).rejects.toThrow();
    const [a, b] = await Promise.all([
      tracking.experimentId(name),
      new MlflowTracking({ url: URL_ }).experimentId(name),
    ]);
    expect(a).toBe(b);
    const { experiment } = await rest<{ experiment: { experiment_id: string; name: string } }>(
      '/api/2.0/mlflow/experiments/get-by-name',
      {
        experiment_name: name,
      },
    );
    expect(experiment).toMatchObject({ experiment_id: a, name });
    expect(await tracking.experimentId(name)).toBe(a);
  });

  it('logs params, metrics with steps and tags, ends FINISHED, and reads back the same through the REST API', async () => {
    const tracking = new MlflowTracking({ url: URL_ });
    const experiment = unique('tracking-runs');
    const run = await tracking.startRun(experiment, { runName: 'retrain-1', tags: { 'dissonance.model': 'm' } });
    expect(run.artifactUri).toMatch(/^mlflow-artifacts:\//);
    const curve = [0.9, 0.5, 0.31, 0.2];
    await tracking.logBatch(run.runId, {
      params: { lr: 0.005, epochs: 4, warm: true, trainer: 'mlp' },
      metrics: [
        ...curve.map((value, i) => ({ key: 'train_loss', value, step: i + 1 })),
        { key: 'golden_accuracy', value: 0.93, step: 1 },
      ],
      tags: { 'dissonance.proposer.version': '3', 'dissonance.lineage.traceId': '0af7651916cd43dd8448eb211c80319c' },
    });
    await tracking.logMetric(run.runId, 'golden_accuracy', 0.95, 2);
    // More than one batch of each kind (100 params, 100 tags, 1000 metrics per request).
    const many = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, i]));
    await tracking.logBatch(run.runId, {
      params: many,
      metrics: Array.from({ length: 1200 }, (_, i) => ({ key: 'dense', value: i, step: i })),
    });
    await tracking.endRun(run.runId, 'FINISHED');

    const { run: got } = await rest<{ run: RestRun }>('/api/2.0/mlflow/runs/get', { run_id: run.runId });
    expect(got.info).toMatchObject({
      run_id: run.runId,
      run_name: 'retrain-1',
      status: 'FINISHED',
      experiment_id: await tracking.experimentId(experiment),
    });
    expect(Number(got.info.end_time)).toBeGreaterThan(0);
    const params = Object.fromEntries((got.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({ lr: '0.005', epochs: '4', warm: 'true', trainer: 'mlp', p0: '0', p149: '149' });
    expect(Object.keys(params)).toHaveLength(154);
    const tags = Object.fromEntries((got.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'dissonance.model': 'm',
      'dissonance.proposer.version': '3',
      'dissonance.lineage.traceId': '0af7651916cd43dd8448eb211c80319c',
    });
    const history = await rest<{ metrics: { value: number; step: string | number }[] }>(
      '/api/2.0/mlflow/metrics/get-history',
      {
        run_id: run.runId,
        metric_key: 'train_loss',
      },
    );
    expect(history.metrics.map((m) => [Number(m.step), m.value]).sort((x, y) => x[0]! - y[0]!)).toEqual(
      curve.map((v, i) => [i + 1, v]),
    );
    const dense = await tracking.metricHistory(run.runId, 'dense');
    expect(dense).toHaveLength(1200);
    expect(dense.at(-1)).toMatchObject({ step: 1199, value: 1199 });

    // The client's own read-back agrees with the REST answer.
    const record = await tracking.getRun(run.runId);
    expect(record).toMatchObject({
      runId: run.runId,
      status: 'FINISHED',
      runName: 'retrain-1',
      params: { lr: '0.005' },
    });
    expect(record.metrics).toMatchObject({ golden_accuracy: 0.95, train_loss: 0.2 });
    expect((await tracking.metricHistory(run.runId, 'golden_accuracy')).map((p) => [p.step, p.value])).toEqual([
      [1, 0.93],
      [2, 0.95],
    ]);
  });

  it('ends a run FAILED, and keeps a FAILED run readable', async () => {
    const tracking = new MlflowTracking({ url: URL_ });
    const run = await tracking.startRun(unique('tracking-failed'));
    await tracking.logMetric(run.runId, 'loss', 1.5, 1);
    await tracking.endRun(run.runId, 'FAILED');
    const { run: got } = await rest<{ run: RestRun }>('/api/2.0/mlflow/runs/get', { run_id: run.runId });
    expect(got.info.status).toBe('FAILED');
    expect((await tracking.getRun(run.runId)).metrics).toEqual({ loss: 1.5 });
  });

  it('uploads an artifact through the proxy', async () => {
    const tracking = new MlflowTracking({ url: URL_ });
    const run = await tracking.startRun(unique('tracking-artifact'));
    const bytes = new TextEncoder().encode('{"ok":true}\n');
    await tracking.uploadArtifact(run, 'report/summary.json', bytes);
    const path = run.artifactUri.replace(/^mlflow-artifacts:\//, '');
    const response = await fetch(`${URL_}/api/2.0/mlflow-artifacts/artifacts/${path}/report/summary.json`);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    await tracking.endRun(run.runId);
  });

  it('answers bad input with typed errors', async () => {
    const tracking = new MlflowTracking({ url: URL_ });
    await expectCode(tracking.getRun('0123456789abcdef0123456789abcdef'), 'E_NOT_FOUND');
    await expectCode(tracking.logMetric('0123456789abcdef0123456789abcdef', 'loss', 1), 'E_NOT_FOUND');
    await expectCode(tracking.endRun('0123456789abcdef0123456789abcdef', 'FINISHED'), 'E_NOT_FOUND');
    const run = await tracking.startRun(unique('tracking-bad'));
    // MLflow refuses to change a logged param: a 4xx answer other than 404 is E_INPUT.
    await tracking.logBatch(run.runId, { params: { lr: 0.1 } });
    await expectCode(tracking.logBatch(run.runId, { params: { lr: 0.2 } }), 'E_INPUT');
    await expectCode(tracking.logBatch(run.runId, { metrics: [{ key: '', value: 1 }] }), 'E_INPUT');
    await tracking.endRun(run.runId, 'FAILED');
  });
});
