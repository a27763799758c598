import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowCleanup, testName } from '../../../../adapters/mlflow/test/mlflow-cleanup.js';
import { lockMlflowServer } from '../../../../adapters/mlflow/test/mlflow-server-lock.js';
import { ensureMoto, MOTO } from '../../../../adapters/s3/test/moto.js';
import { parseServeConfig } from '../../../src/cli/serve-config/load-serve-config.js';
import { startServeConfig } from '../../../src/cli/serve-config/start-serve-config.js';

const MLFLOW = 'http://127.0.0.1:5001';
const quiet = { out: () => undefined, err: () => undefined };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-registries-'));
  writeFileSync(join(dir, 'model.onnx'), writeOnnxMlp(initMlp({ inputWidth: 4, hidden: [8], classes: 3, seed: 3 })));
  writeFileSync(join(dir, 'critic.onnx'), writeOnnxMlp(initMlp({ inputWidth: 4, hidden: [], classes: 3, seed: 5 })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a config naming `registry`, predicts one row over HTTP and stops; resolves to the champion version. */
async function serveOnce(
  name: string,
  registry: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<string> {
  const config = parseServeConfig(
    {
      server: { port: 0 },
      state: { dir: `./state-${name}` },
      model: { name, onnx: 'model.onnx' },
      registry,
      critics: [{ kind: 'onnx', path: 'critic.onnx', name: `${name}-critic` }],
      trainer: { kind: 'none' },
      auth: { kind: 'dev-token', file: `./token-${name}` },
    },
    dir,
    env,
  );
  const started = await startServeConfig({ file: join(dir, 'inline.json'), config }, quiet, env);
  try {
    const auth = { authorization: `Bearer ${readFileSync(join(dir, `token-${name}`), 'utf8').trim()}` };
    const response = await fetch(`${started.server.url}/v1/predict`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [[0.1, 0.2, 0.3, 0.4]] }),
    });
    expect(response.status).toBe(200);
    const critic = await fetch(`${started.server.url}/v1/models/${name}-critic`, { headers: auth });
    expect(critic.status).toBe(200);
    return started.engine.championVersion;
  } finally {
    await started.stop();
  }
}

describe('dissonance serve --config: registries', () => {
  it('s3: registers the ONNX model as champion in a bucket (moto) and serves it; a restart keeps it', async () => {
    await ensureMoto();
    const prefix = `serve-config/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const registry = {
      kind: 's3',
      bucket: MOTO.bucket,
      prefix,
      endpoint: MOTO.endpoint,
      forcePathStyle: true,
      region: '${AWS_REGION:-us-east-1}',
    };
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      expect(await serveOnce('s3-model', registry)).toBe('1');
      expect(await serveOnce('s3-model', registry)).toBe('1');
    } finally {
      for (const [key, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }, 120_000);

  it('mlflow: registers the ONNX model as champion on the tracking server and serves it', async () => {
    const release = await lockMlflowServer('');
    const cleanup = new MlflowCleanup(MLFLOW);
    try {
      const name = cleanup.model(testName('serve-config'));
      cleanup.model(`${name}-critic`);
      const experiment = cleanup.experiment(testName('serve-config-exp'));
      expect(await serveOnce(name, { kind: 'mlflow', uri: '${MLFLOW_URI}', experiment }, { MLFLOW_URI: MLFLOW })).toBe(
        '1',
      );
    } finally {
      await cleanup.sweep();
      release();
    }
  }, 180_000);
});
