import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DissonanceError } from '@dissonance/core';
import { initMlp, mlpForward, writeOnnxMlp } from '@dissonance/core/mlp';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import { expectCode, registryContract, waitFor } from '@dissonance/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactFileName, artifactPath, MANIFEST_TAG, MlflowRegistry, MlflowTracking } from '../src/index.js';
import { encodeManifest } from '../src/manifest-tags.js';
import { MlflowCleanup, testName } from './mlflow-cleanup.js';
import { lockMlflowServer } from './mlflow-server-lock.js';
import { venvPython } from './venv-python.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const URL_ = 'http://127.0.0.1:5001';

let release: (() => void) | undefined;
/** Every model and experiment these tests create is deleted after them, failed or not. */
const cleanup = new MlflowCleanup(URL_);
const CONTRACT = cleanup.experiment(testName('contract'));
const INTEROP = cleanup.experiment(testName('interop'));

// engine-outage.integration.test.ts stops and restarts the server: never run at the same time as it.
beforeAll(async () => {
  release = await lockMlflowServer(ROOT);
  execFileSync('bash', ['scripts/services.sh', 'up'], { cwd: ROOT, stdio: 'inherit', timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  try {
    const deleted = await cleanup.sweep();
    console.info(
      `mlflow registry tests: deleted ${deleted.models.length} registered model(s), ${deleted.experiments.length} experiment(s)`,
    );
  } finally {
    release?.();
  }
}, 120_000);

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
  Promise.resolve({ registry: cleanup.registry({ url: URL_, experimentName: CONTRACT }), tamper }),
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
      registry.register({
        name: 'x',
        artifact: { format: 'onnx', bytes: new Uint8Array([1]) },
        inputWidth: 1,
        classes: 2,
      }),
      'E_REGISTRY_UNAVAILABLE',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('MlflowRegistry specifics', () => {
  it('refuses an artifact over maxArtifactBytes with E_INPUT', async () => {
    const registry = cleanup.registry({ url: URL_, experimentName: CONTRACT, maxArtifactBytes: 16 });
    await expectCode(
      registry.register({
        name: testName('big'),
        artifact: { format: 'onnx', bytes: new Uint8Array(17) },
        inputWidth: 1,
        classes: 2,
      }),
      'E_INPUT',
    );
  });

  it('reports E_MODEL for a version whose sha256 tag is malformed', async () => {
    const registry = cleanup.registry({ url: URL_, experimentName: CONTRACT });
    const name = testName('malformed');
    await registry.register({
      name,
      artifact: { format: 'onnx', bytes: new Uint8Array([9, 9]) },
      inputWidth: 1,
      classes: 2,
    });
    await registry.setAlias(name, 'champion', '1');
    const set = await fetch(`${URL_}/api/2.0/mlflow/model-versions/set-tag`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, version: '1', key: 'dissonance.sha256', value: 'nope' }),
    });
    expect(set.ok).toBe(true);
    await expectCode(registry.get(name, '1'), 'E_MODEL');
    await expectCode(registry.fetch(name, '1'), 'E_MODEL');
    await expectCode(registry.resolve(name, 'champion'), 'E_MODEL');
    await expectCode(registry.list(name), 'E_MODEL');
  });

  it('refuses to fetch a stored artifact over maxArtifactBytes with E_INPUT, before downloading it', async () => {
    const name = testName('fetch-big');
    await cleanup.registry({ url: URL_, experimentName: CONTRACT }).register({
      name,
      artifact: { format: 'onnx', bytes: new Uint8Array(64).fill(3) },
      inputWidth: 1,
      classes: 2,
    });
    const small = new MlflowRegistry({ url: URL_, maxArtifactBytes: 63 });
    const error = await expectCode(small.fetch(name, '1'), 'E_INPUT');
    expect((error as DissonanceError).details).toMatchObject({ field: 'maxArtifactBytes' });
    expect(
      (await new MlflowRegistry({ url: URL_, maxArtifactBytes: 64 }).fetch(name, '1')).artifact.bytes,
    ).toHaveLength(64);
  });

  it('answers unknown names, versions, aliases and runs with typed errors', async () => {
    const registry = cleanup.registry({ url: URL_, experimentName: CONTRACT });
    const missing = testName('missing');
    await expectCode(registry.runIdOf(missing, '1'), 'E_NOT_FOUND');
    // Names MLflow could never hold are refused without a request.
    for (const bad of ['', 'a/b', 'a b', 'x'.repeat(201)]) {
      await expectCode(registry.get(bad, '1'), 'E_NOT_FOUND');
      await expectCode(registry.resolve(bad, 'champion'), 'E_NOT_FOUND');
    }
    await expectCode(registry.get(missing, '01'), 'E_NOT_FOUND');
    const name = testName('known');
    const v = await registry.register({
      name,
      artifact: { format: 'onnx', bytes: new Uint8Array([1, 2]) },
      inputWidth: 1,
      classes: 2,
    });
    expect(await registry.runIdOf(name, v.version)).toMatch(/^[0-9a-f]{32}$/);
    await expectCode(registry.resolve(name, 'challenger'), 'E_ALIAS_NOT_FOUND');
    await expectCode(registry.setAlias(name, 'champion', '2'), 'E_NOT_FOUND');
    await expectCode(registry.setAlias(name, 'bad alias', '1'), 'E_INPUT');
  });

  it('reads back versions written the old way (one dissonance.manifest JSON tag, a bare model.onnx)', async () => {
    // What the adapter wrote before MLflow Models: a run with model/model.onnx, a version with two tags.
    const name = cleanup.model(testName('old-layout'));
    const bytes = writeOnnxMlp(initMlp({ inputWidth: 3, hidden: [], classes: 2, seed: 5 }));
    const stored = {
      format: 'onnx',
      sha256: await sha256Hex(bytes),
      size: bytes.byteLength,
      inputWidth: 3,
      classes: 2,
      createdAt: '2026-01-02T03:04:05.000Z',
      metrics: { golden_accuracy: 0.75, kl: 0.5 },
      params: { lr: 0.01, opt: 'adam', warm: true, n: '3' },
      tags: { decision: 'accepted', 'odd key?': 'x' },
      lineage: { parent: '4', examples: 10 },
    };
    const tracking = new MlflowTracking({ url: URL_ });
    const run = await tracking.startRun(CONTRACT, { runName: 'old-layout' });
    await tracking.uploadArtifact(run, 'model/model.onnx', bytes);
    await tracking.endRun(run.runId);
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${URL_}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/api/2.0/mlflow/registered-models/create', { name })).ok).toBe(true);
    const created = await post('/api/2.0/mlflow/model-versions/create', {
      name,
      source: `${run.artifactUri}/model`,
      run_id: run.runId,
      tags: [
        { key: MANIFEST_TAG, value: encodeManifest(stored) },
        { key: 'dissonance.sha256', value: stored.sha256 },
      ],
    });
    expect(created.ok).toBe(true);
    expect((await post('/api/2.0/mlflow/registered-models/alias', { name, alias: 'champion', version: '1' })).ok).toBe(
      true,
    );
    const registry = new MlflowRegistry({ url: URL_ });
    const expected = { name, version: '1', ...stored };
    expect(await registry.get(name, '1')).toEqual(expected);
    expect(await registry.resolve(name, 'champion')).toEqual(expected);
    expect((await registry.list(name)).items).toEqual([expected]);
    const fetched = await registry.fetch(name, '1');
    expect(fetched.artifact.bytes).toEqual(bytes);
    // A new version next to it is written the new way; both read back.
    const v2 = await cleanup.registry({ url: URL_, experimentName: CONTRACT }).register({
      name,
      artifact: { format: 'onnx', bytes },
      inputWidth: 3,
      classes: 2,
      params: stored.params,
      tags: { decision: 'accepted' },
    });
    expect(v2.version).toBe('2');
    expect(await registry.get(name, '2')).toEqual(v2);
    expect((await registry.list(name)).items.map((v) => v.version)).toEqual(['2', '1']);
  });

  it('refuses bad options with E_CONFIG', () => {
    for (const maxArtifactBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MlflowRegistry({ url: URL_, maxArtifactBytes }), String(maxArtifactBytes)).toThrow(
        /maxArtifactBytes/,
      );
    }
  });
});

/** The champion alias read straight from MLflow, with the manifest tag of the version it points at. */
async function championOnServer(name: string): Promise<{ version: string; manifestSha: string; sha: string }> {
  const answer = await fetch(`${URL_}/api/2.0/mlflow/registered-models/alias?name=${name}&alias=champion`);
  expect(answer.ok).toBe(true);
  const { model_version: mv } = (await answer.json()) as {
    model_version: { version: string; tags: { key: string; value: string }[] };
  };
  const tags = Object.fromEntries(mv.tags.map((t) => [t.key, t.value]));
  return { version: mv.version, manifestSha: tags['dissonance.sha256'] ?? '', sha: tags['dissonance.sha256'] ?? '' };
}

/**
 * MLflow has no conditional alias write. "Consistent" here means: the alias ends on exactly one of the two
 * candidates, at least one promoter was told it won and the alias is on a winner's version, every loser got
 * E_REGISTRY_CONFLICT, and every reader (both registries, the raw REST answer) agrees on the version and its
 * manifest. Both promoters may be told they won when their read-compare-set steps interleave (the documented
 * window of one round trip); the alias is then the later writer's.
 */
describe('two concurrent promotions from separate registries (MLflow)', () => {
  it('two registries that do not share the in-process lock leave exactly one consistent champion', async () => {
    let bothWon = 0;
    for (let round = 0; round < 5; round++) {
      // Different base URLs, so the per-server lock inside this process does not serialize them: like two processes.
      const a = cleanup.registry({ url: URL_, experimentName: CONTRACT });
      const b = cleanup.registry({ url: 'http://localhost:5001', experimentName: CONTRACT });
      const name = testName('race');
      for (let i = 0; i < 3; i++)
        await a.register({
          name,
          artifact: { format: 'onnx', bytes: new Uint8Array([round, i, 7]) },
          inputWidth: 1,
          classes: 2,
        });
      await a.setAlias(name, 'champion', '1', { expected: null });
      const results = await Promise.allSettled([
        a.setAlias(name, 'champion', '2', { expected: '1' }),
        b.setAlias(name, 'champion', '3', { expected: '1' }),
      ]);
      const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i === 0 ? '2' : '3'] : []));
      const lost = results.flatMap((result) =>
        result.status === 'rejected' ? [(result.reason as { code?: unknown }).code] : [],
      );
      expect(won.length).toBeGreaterThanOrEqual(1);
      expect(lost.every((code) => code === 'E_REGISTRY_CONFLICT')).toBe(true);
      if (won.length === 2) bothWon++;
      const server = await championOnServer(name);
      expect(['2', '3']).toContain(server.version);
      expect(won).toContain(server.version);
      const [viaA, viaB, manifest] = await Promise.all([
        a.resolve(name, 'champion'),
        b.resolve(name, 'champion'),
        a.get(name, server.version),
      ]);
      expect(viaA).toEqual(manifest);
      expect(viaB).toEqual(manifest);
      expect(server.manifestSha).toBe(manifest.sha256);
      expect(server.sha).toBe(manifest.sha256);
      expect(await b.aliases(name)).toEqual({ champion: server.version });
    }
    console.info(
      `mlflow concurrent promotions: both promoters told they won in ${bothWon} of 5 rounds (the documented window)`,
    );
  });

  it('two processes promoting at once leave exactly one consistent champion', async () => {
    const registry = cleanup.registry({ url: URL_, experimentName: CONTRACT });
    const name = testName('race-proc');
    for (let i = 0; i < 3; i++)
      await registry.register({
        name,
        artifact: { format: 'onnx', bytes: new Uint8Array([i, 9]) },
        inputWidth: 1,
        classes: 2,
      });
    await registry.setAlias(name, 'champion', '1', { expected: null });
    const start = (version: string) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'packages/adapters/mlflow/test/fixtures/promote-once.ts', URL_, name, version, '1'],
        {
          cwd: ROOT,
          env: { ...process.env, TSX_TSCONFIG_PATH: `${ROOT}tsconfig.json` },
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      return { child, out: () => out, exited };
    };
    const procs = [start('2'), start('3')];
    await waitFor(() => procs.every((p) => p.out().includes('"ready"')), 60_000, 'both promoters to be ready');
    for (const p of procs) p.child.stdin?.end('go\n');
    await Promise.all(procs.map((p) => p.exited));
    const done = procs.map(
      (p) => JSON.parse(p.out().trim().split('\n').at(-1) ?? '{}') as { ok?: boolean; code?: string },
    );
    const won = done.flatMap((d, i) => (d.ok === true ? [i === 0 ? '2' : '3'] : []));
    expect(won.length).toBeGreaterThanOrEqual(1);
    expect(done.filter((d) => d.ok !== true).map((d) => d.code)).toEqual(
      won.length === 2 ? [] : ['E_REGISTRY_CONFLICT'],
    );
    const server = await championOnServer(name);
    expect(won).toContain(server.version);
    const manifest = await registry.resolve(name, 'champion');
    expect(manifest.version).toBe(server.version);
    expect(server.manifestSha).toBe(manifest.sha256);
    expect(await registry.aliases(name)).toEqual({ champion: server.version });
  }, 120_000);
});

describe('interoperability with the Python MLflow client', () => {
  it('Python loads the champion, runs it with onnxruntime and sees our metrics and tags', async () => {
    const registry = cleanup.registry({ url: URL_, experimentName: INTEROP });
    const weights = initMlp({ inputWidth: 4, hidden: [8], classes: 3, seed: 7 });
    const name = testName('interop');
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
      const stdout = execFileSync(
        venvPython(ROOT),
        [join(ROOT, 'scripts/python/mlflow_check.py'), name, 'champion', rowsPath],
        {
          cwd: ROOT,
          env: { ...process.env, MLFLOW_TRACKING_URI: URL_ },
          encoding: 'utf8',
          timeout: 120_000,
        },
      );
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
