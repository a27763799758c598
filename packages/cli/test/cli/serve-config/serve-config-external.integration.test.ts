import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { DissonanceError, RetrainedEvent } from '@dissonance/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMoto, MOTO, motoClient } from '../../../../adapters/s3/test/moto.js';
import {
  hasPython,
  startBrokerWorker,
  startWorker,
  type Worker,
} from '../../../../adapters/remote-trainer/test/worker.js';
import { MlflowCleanup, testName } from '../../../../adapters/mlflow/test/mlflow-cleanup.js';
import { lockMlflowServer } from '../../../../adapters/mlflow/test/mlflow-server-lock.js';
import { parseServeConfig } from '../../../src/cli/serve-config/load-serve-config.js';
import { startServeConfig } from '../../../src/cli/serve-config/start-serve-config.js';

const ROOT = resolve(import.meta.dirname, '../../../../..');
const AWS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };

/**
 * `trainer.kind: "external"` end to end: the config resolves into `remoteTrainer` (loaded on demand from
 * `@dissonance/adapter-remote-trainer`, its built `dist`), a retrain goes to a real `dissonance-trainer`
 * worker (the scikit-learn refit handler), its job through moto's S3 (`snapshots.overBytes: 0`), and the
 * candidate comes back uploaded (`--upload-always`), is validated on the golden set and registered.
 */
describe.skipIf(!hasPython)('serve --config with trainer.kind "external"', () => {
  let dir: string;
  let worker: Worker;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-external-'));
    await ensureMoto();
    // The engine's S3 client (the SDK's default provider chain) reads the same test credentials as the worker.
    for (const [key, value] of Object.entries(AWS)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    worker = await startWorker('refit', { env: AWS, args: ['--s3-endpoint', MOTO.endpoint, '--upload-always'] });
  }, 120_000);
  afterAll(async () => {
    await worker?.kill();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a retrain goes through the Python worker and S3, and the candidate is validated and registered', async () => {
    const prefix = `serve-external-${globalThis.crypto.randomUUID()}/`;
    const config = parseServeConfig(
      {
        server: { port: 0 },
        state: { dir: './state' },
        model: { name: 'digits', seed: { csv: join(ROOT, 'packages/cli/data/digits.csv'), label: 'label', seed: 1 } },
        critics: [{ kind: 'seed' }],
        policy: { klEps: 5, maxGoldenDrop: 0.5 },
        trainer: {
          kind: 'external',
          http: { url: worker.url, headers: { 'x-trainer-token': '${TRAINER_TOKEN}' } },
          timeoutMs: 60_000,
          retries: 0,
          snapshots: {
            s3: { bucket: MOTO.bucket, endpoint: MOTO.endpoint, forcePathStyle: true, region: 'us-east-1' },
            overBytes: 0,
            prefix,
          },
        },
        auth: { kind: 'dev-token', file: './token' },
      },
      dir,
      { TRAINER_TOKEN: 'secret' },
    );
    expect(config.trainer).toMatchObject({ kind: 'external', http: { headers: { 'x-trainer-token': 'secret' } } });
    const started = await startServeConfig(
      { file: join(dir, 'serve.json'), config },
      { out: () => undefined, err: () => undefined },
      {},
    );
    try {
      const retrained: RetrainedEvent[] = [];
      const errors: DissonanceError[] = [];
      started.engine.on('retrained', (e) => retrained.push(e));
      started.engine.on('error', (e) => errors.push(e.error));
      await started.engine.retrainNow();
      expect(errors).toEqual([]);
      expect(retrained).toHaveLength(1);
      expect(retrained[0]!.goldenAccuracy).toBeGreaterThan(0.85);
      expect(retrained[0]!.report.params).toMatchObject({ trainer: 'sklearn-refit', jobId: expect.any(String) });
      // The job object and the uploaded candidate were deleted once the job completed.
      const client = motoClient();
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: MOTO.bucket, Prefix: prefix }));
        expect(listed.Contents ?? []).toEqual([]);
      } finally {
        client.destroy();
      }
    } finally {
      await started.stop();
    }
  }, 120_000);

  it('with "broker" instead of "http", the retrain goes to a worker over Redis Streams', async () => {
    const topic = `serve-external-${globalThis.crypto.randomUUID()}`;
    const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
    const brokerWorker = await startBrokerWorker('refit', url, {
      prefix: 'dissonance',
      jobsTopic: `${topic}.jobs`,
      resultsTopic: `${topic}.results`,
    });
    const config = parseServeConfig(
      {
        server: { port: 0 },
        state: { dir: './state-broker' },
        model: { name: 'digits', seed: { csv: join(ROOT, 'packages/cli/data/digits.csv'), label: 'label', seed: 1 } },
        critics: [{ kind: 'seed' }],
        policy: { klEps: 5, maxGoldenDrop: 0.5 },
        trainer: {
          kind: 'external',
          broker: { url, jobsTopic: `${topic}.jobs`, resultsTopic: `${topic}.results` },
          timeoutMs: 60_000,
          retries: 0,
        },
        auth: { kind: 'dev-token', file: './token-broker' },
      },
      dir,
      {},
    );
    const started = await startServeConfig(
      { file: join(dir, 'serve.json'), config },
      { out: () => undefined, err: () => undefined },
      {},
    );
    try {
      const retrained: RetrainedEvent[] = [];
      const errors: DissonanceError[] = [];
      started.engine.on('retrained', (e) => retrained.push(e));
      started.engine.on('error', (e) => errors.push(e.error));
      await started.engine.retrainNow();
      expect(errors).toEqual([]);
      expect(retrained).toHaveLength(1);
      expect(retrained[0]!.goldenAccuracy).toBeGreaterThan(0.85);
      expect(retrained[0]!.report.params).toMatchObject({ trainer: 'sklearn-refit', jobId: expect.any(String) });
    } finally {
      await started.stop();
      await brokerWorker.kill();
    }
  }, 120_000);

  it('beside MLflow: the worker trains, the engine validates and registers the candidate on the tracking server as champion', async () => {
    const mlflow = 'http://127.0.0.1:5001';
    const release = await lockMlflowServer('');
    const cleanup = new MlflowCleanup(mlflow);
    try {
      const name = cleanup.model(testName('external-trainer'));
      const experiment = cleanup.experiment(testName('external-trainer-exp'));
      const config = parseServeConfig(
        {
          server: { port: 0 },
          state: { dir: './state-mlflow' },
          model: { name, seed: { csv: join(ROOT, 'packages/cli/data/digits.csv'), label: 'label', seed: 1 } },
          registry: { kind: 'mlflow', uri: mlflow, experiment },
          critics: [{ kind: 'seed' }],
          policy: { klEps: 5, maxGoldenDrop: 0.5 },
          trainer: { kind: 'external', http: { url: worker.url }, timeoutMs: 60_000, retries: 0 },
          auth: { kind: 'dev-token', file: './token-mlflow' },
        },
        dir,
        {},
      );
      const started = await startServeConfig(
        { file: join(dir, 'serve.json'), config },
        { out: () => undefined, err: () => undefined },
        {},
      );
      try {
        const errors: DissonanceError[] = [];
        started.engine.on('error', (e) => errors.push(e.error));
        const before = started.engine.championVersion;
        await started.engine.retrainNow();
        expect(errors).toEqual([]);
        expect(started.engine.championVersion).not.toBe(before);
        // The tracking server holds the candidate as a new version of the model, its `champion` alias on it.
        const response = await fetch(
          `${mlflow}/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(name)}&alias=champion`,
        );
        expect(response.status).toBe(200);
        const body = (await response.json()) as { model_version: { version: string } };
        expect(body.model_version.version).toBe(started.engine.championVersion);
      } finally {
        await started.stop();
      }
    } finally {
      await cleanup.sweep();
      release();
    }
  }, 180_000);
});
