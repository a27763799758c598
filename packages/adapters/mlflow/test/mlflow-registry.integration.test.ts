import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initMlp, mlpForward, writeOnnxMlp, type DissonanceError } from '@dissonance/core';
import { expectCode, registryContract } from '@dissonance/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactFileName, artifactPath, MANIFEST_TAG, MlflowRegistry } from '../src/index.js';
import { lockMlflowServer } from './mlflow-server-lock.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const URL_ = 'http://127.0.0.1:5001';

let release: (() => void) | undefined;

// engine-outage.integration.test.ts stops and restarts the server: never run at the same time as it.
beforeAll(async () => {
  release = await lockMlflowServer(ROOT);
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });
}, 300_000);

afterAll(() => release?.());

/** Overwrites the stored artifact of a version through the artifact proxy, behind the registry's back. */
async function tamper(name: string, version: string): Promise<void> {
  const answer = await fetch(`${URL_}/api/2.0/mlflow/model-versions/get?name=${name}&version=${version}`);
  const { model_version } = (await answer.json()) as { model_version: { source: string } };
  const put = await fetch(`${URL_}${artifactPath(model_version.source)}/${artifactFileName('onnx')}`, {
    method: 'PUT',
    body: new Uint8Array([1, 2, 3, 4, 5]),
  });
  expect(put.ok).toBe(true);
}

registryContract('mlflow', () =>
  Promise.resolve({ registry: new MlflowRegistry({ url: URL_, experimentName: 'dissonance-contract' }), tamper }),
);

describe('MlflowRegistry against a stopped server', () => {
  it('rejects with E_REGISTRY_UNAVAILABLE after bounded retries', async () => {
    const registry = new MlflowRegistry({ url: 'http://127.0.0.1:5999', maxRetries: 3, retryBaseMs: 20 });
    const started = Date.now();
    const error = await expectCode(registry.get('some-model', '1'), 'E_REGISTRY_UNAVAILABLE');
    expect(error.message).toMatch(/4 attempt/);
    expect((error as DissonanceError).details).toMatchObject({ attempts: 4 });
    await expectCode(registry.ping(), 'E_REGISTRY_UNAVAILABLE');
    await expectCode(
      registry.register({ name: 'x', artifact: { format: 'onnx', bytes: new Uint8Array([1]) }, inputWidth: 1, classes: 2 }),
      'E_REGISTRY_UNAVAILABLE',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('MlflowRegistry specifics', () => {
  it('refuses an artifact over maxArtifactBytes with E_INPUT', async () => {
    const registry = new MlflowRegistry({ url: URL_, maxArtifactBytes: 16 });
    await expectCode(
      registry.register({ name: `big-${Date.now()}`, artifact: { format: 'onnx', bytes: new Uint8Array(17) }, inputWidth: 1, classes: 2 }),
      'E_INPUT',
    );
  });

  it('reports E_MODEL for a version whose manifest tag is malformed', async () => {
    const registry = new MlflowRegistry({ url: URL_, experimentName: 'dissonance-contract' });
    const name = `malformed-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    await registry.register({ name, artifact: { format: 'onnx', bytes: new Uint8Array([9, 9]) }, inputWidth: 1, classes: 2 });
    const set = await fetch(`${URL_}/api/2.0/mlflow/model-versions/set-tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, version: '1', key: MANIFEST_TAG, value: '{"sha256":"nope"}' }),
    });
    expect(set.ok).toBe(true);
    await expectCode(registry.get(name, '1'), 'E_MODEL');
    await expectCode(registry.fetch(name, '1'), 'E_MODEL');
  });
});

describe('interoperability with the Python MLflow client', () => {
  it('Python loads the champion, runs it with onnxruntime and sees our metrics and tags', async () => {
    const registry = new MlflowRegistry({ url: URL_, experimentName: 'dissonance-interop' });
    const weights = initMlp({ inputWidth: 4, hidden: [8], classes: 3, seed: 7 });
    const name = `interop-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const manifest = await registry.register({
      name,
      artifact: { format: 'onnx', bytes: writeOnnxMlp(weights) },
      inputWidth: 4,
      classes: 3,
      metrics: { accuracy: 0.875, loss: 0.25 },
      params: { lr: 0.01, epochs: 3 },
      tags: { stage: 'interop' },
      lineage: { parent: '3', examples: 120, dissonanceMean: 0.125, traceId: '0af7651916cd43dd8448eb211c80319c' },
    });
    await registry.setAlias(name, 'champion', manifest.version, { expected: null });

    const rows = [
      [0.1, -0.2, 0.3, 0.4],
      [1.5, 0.5, -1.0, 2.0],
      [0, 0, 0, 0],
    ];
    const dir = mkdtempSync(join(tmpdir(), 'mlflow-check-'));
    try {
      const rowsPath = join(dir, 'rows.json');
      writeFileSync(rowsPath, JSON.stringify(rows));
      const stdout = execFileSync(join(ROOT, '.venv/bin/python'), [join(ROOT, 'scripts/python/mlflow_check.py'), name, 'champion', rowsPath], {
        cwd: ROOT,
        env: { ...process.env, MLFLOW_TRACKING_URI: URL_ },
        encoding: 'utf8',
        timeout: 120_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        version: string;
        run_status: string;
        outputs: number[][];
        metrics: Record<string, number>;
        params: Record<string, string>;
        tags: Record<string, string>;
        version_tags: Record<string, string>;
      };
      expect(result.version).toBe(manifest.version);
      expect(result.run_status).toBe('FINISHED');
      const expected = mlpForward(weights, Float32Array.from(rows.flat()), rows.length);
      let maxDiff = 0;
      result.outputs.flat().forEach((value, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(value - (expected[i] ?? Number.NaN)));
      });
      expect(result.outputs.flat()).toHaveLength(expected.length);
      expect(maxDiff).toBeLessThanOrEqual(1e-5);
      expect(result.metrics).toEqual({ accuracy: 0.875, loss: 0.25 });
      expect(result.params).toEqual({ lr: '0.01', epochs: '3' });
      expect(result.tags).toMatchObject({
        stage: 'interop',
        'dissonance.lineage.parent': '3',
        'dissonance.lineage.examples': '120',
        'dissonance.lineage.dissonanceMean': '0.125',
        'dissonance.lineage.traceId': '0af7651916cd43dd8448eb211c80319c',
        'dissonance.sha256': manifest.sha256,
      });
      expect(result.version_tags['dissonance.sha256']).toBe(manifest.sha256);
      console.info(`mlflow interop: max |python ort − mlpForward| = ${maxDiff.toExponential(2)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
