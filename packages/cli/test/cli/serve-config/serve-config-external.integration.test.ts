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

  /** A serve config of the bundled digits retrained by `trainer`; `extra` adds or replaces sections. */
  function digitsConfig(
    tag: string,
    trainer: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    env: Record<string, string> = {},
  ) {
    return parseServeConfig(
      {
        server: { port: 0 },
        state: { dir: `./state-${tag}` },
        model: { name: 'digits', seed: { csv: join(ROOT, 'packages/cli/data/digits.csv'), label: 'label', seed: 1 } },
        critics: [{ kind: 'seed' }],
        policy: { klEps: 5, maxGoldenDrop: 0.5 },
        trainer: { kind: 'external', timeoutMs: 60_000, retries: 0, ...trainer },
        auth: { kind: 'dev-token', file: `./token-${tag}` },
        ...extra,
      },
      dir,
      env,
    );
  }

  /** Starts `config`, runs one retrain with no `error` event, hands its `retrained` events to `check`, stops. */
  async function retrainOnce(
    config: ReturnType<typeof parseServeConfig>,
    check: (retrained: RetrainedEvent[], started: Awaited<ReturnType<typeof startServeConfig>>) => Promise<void> | void,
  ): Promise<void> {
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
      await check(retrained, started);
    } finally {
      await started.stop();
    }
  }

  /** The refit worker's one candidate: validated above 85 % on the golden set, with its job id. */
  function expectRefitCandidate(retrained: readonly RetrainedEvent[]): void {
    expect(retrained).toHaveLength(1);
    expect(retrained[0]!.goldenAccuracy).toBeGreaterThan(0.85);
    expect(retrained[0]!.report.params).toMatchObject({ trainer: 'sklearn-refit', jobId: expect.any(String) });
  }

  it('a retrain goes through the Python worker and S3, and the candidate is validated and registered', async () => {
    const prefix = `serve-external-${globalThis.crypto.randomUUID()}/`;
    const config = digitsConfig(
      's3',
      {
        http: { url: worker.url, headers: { 'x-trainer-token': '${TRAINER_TOKEN}' } },
        snapshots: {
          s3: { bucket: MOTO.bucket, endpoint: MOTO.endpoint, forcePathStyle: true, region: 'us-east-1' },
          overBytes: 0,
          prefix,
        },
      },
      {},
      { TRAINER_TOKEN: 'secret' },
    );
    expect(config.trainer).toMatchObject({ kind: 'external', http: { headers: { 'x-trainer-token': 'secret' } } });
    await retrainOnce(config, async (retrained) => {
      expectRefitCandidate(retrained);
      // The job object and the uploaded candidate were deleted once the job completed.
      const client = motoClient();
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: MOTO.bucket, Prefix: prefix }));
        expect(listed.Contents ?? []).toEqual([]);
      } finally {
        client.destroy();
      }
    });
  }, 120_000);

  it('with "broker" instead of "http", the retrain goes to a worker over Redis Streams', async () => {
    const topic = `serve-external-${globalThis.crypto.randomUUID()}`;
    const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
    const topics = { jobsTopic: `${topic}.jobs`, resultsTopic: `${topic}.results` };
    const brokerWorker = await startBrokerWorker('refit', url, { prefix: 'dissonance', ...topics });
    try {
      await retrainOnce(digitsConfig('broker', { broker: { url, ...topics } }), expectRefitCandidate);
    } finally {
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
      const config = digitsConfig(
        'mlflow',
        { http: { url: worker.url } },
        {
          model: { name, seed: { csv: join(ROOT, 'packages/cli/data/digits.csv'), label: 'label', seed: 1 } },
          registry: { kind: 'mlflow', uri: mlflow, experiment },
        },
      );
      await retrainOnce(config, async (retrained, started) => {
        expect(retrained).toHaveLength(1);
        expect(started.engine.championVersion).not.toBe(retrained[0]!.parent);
        // The tracking server holds the candidate as a new version of the model, its `champion` alias on it.
        const response = await fetch(
          `${mlflow}/api/2.0/mlflow/registered-models/alias?name=${encodeURIComponent(name)}&alias=champion`,
        );
        expect(response.status).toBe(200);
        const body = (await response.json()) as { model_version: { version: string } };
        expect(body.model_version.version).toBe(started.engine.championVersion);
      });
    } finally {
      await cleanup.sweep();
      release();
    }
  }, 180_000);
});
