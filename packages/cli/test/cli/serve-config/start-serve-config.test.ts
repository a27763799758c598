import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initMlp, writeOnnxMlp } from '@dissonance/core/mlp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServeCommand } from '../../../src/cli/serve-command.js';
import { problemsOf } from '../../../src/cli/serve-config/config-problems.js';
import { loadServeConfig, parseServeConfig } from '../../../src/cli/serve-config/load-serve-config.js';
import { startServeConfig, type ConfigServe } from '../../../src/cli/serve-config/start-serve-config.js';

const ROOT = resolve(import.meta.dirname, '../../../../..');
const EXAMPLE = join(ROOT, 'examples/serve/digits.config.json');

describe('startServeConfig: examples/serve/digits.config.json', () => {
  let dir: string;
  let started: ConfigServe;
  let out = '';
  let err = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-config-'));
    const env = { DISSONANCE_STATE_DIR: join(dir, 'state'), DISSONANCE_DEV_TOKEN_FILE: join(dir, 'token') };
    const loaded = await loadServeConfig(EXAMPLE, env);
    const config = { ...loaded.config, server: { ...loaded.config.server, port: 0 } };
    started = await startServeConfig({ ...loaded, config }, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('trains the seed models, serves predictions and publishes the seed critic', async () => {
    expect(out).toContain(`listening on ${started.server.url} (model digits-proposer, champion version 1)`);
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    const auth = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` };
    const lines = readFileSync(join(ROOT, 'packages/cli/data/digits.csv'), 'utf8').trim().split('\n').slice(1, 21);
    const rows = lines.map((line) => line.split(',').slice(0, 64).map(Number));
    const labels = lines.map((line) => Number(line.split(',')[64]));
    const response = await fetch(`${started.server.url}/v1/predict`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    expect(response.status).toBe(200);
    const { probabilities } = (await response.json()) as { probabilities: number[][] };
    const right = probabilities.filter((p, r) => p.indexOf(Math.max(...p)) === labels[r]).length;
    expect(right).toBeGreaterThanOrEqual(16);
    const critic = await fetch(`${started.server.url}/v1/models/digits-proposer-critic`, { headers: auth });
    expect(critic.status).toBe(200);
  }, 60_000);
});

describe('dissonance serve --config: refusals', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-config-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with one "path: problem" line per problem and starts nothing', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        model: { name: 'm' },
        critics: [],
        auth: { kind: 'jwks', url: 'ftp://x', issuer: 'i', audience: 'a' },
        trainer: { kind: 'external', http: { url: 'http://127.0.0.1:8765' }, broker: { url: 'amqp://127.0.0.1:5672' } },
      }),
    );
    let err = '';
    const code = await runServeCommand(['--config', file], { out: () => undefined, err: (t) => (err += t) });
    expect(code).toBe(2);
    expect(err.split('\n').filter((l) => l !== '')).toEqual([
      `dissonance serve: config ${file}: 4 problems`,
      'critics: needs at least one critic',
      'trainer.broker: give either "http" or "broker", not both',
      'auth.url: must be an http(s) URL',
      'golden: trainer "external" needs a golden set to validate candidates (golden.csv, or model.seed), or use trainer "none"',
    ]);
  });

  it('exits 2 when --config comes with other options', async () => {
    let err = '';
    expect(
      await runServeCommand(['--config', 'x.json', '--port', '1'], { out: () => undefined, err: (t) => (err += t) }),
    ).toBe(2);
    expect(err).toMatch(/--config FILE is given alone/);
  });

  it('refuses a development token and missing keys in production mode, by config path, before anything starts', async () => {
    const loaded = await loadServeConfig(EXAMPLE, { DISSONANCE_STATE_DIR: join(dir, 'never') });
    const error = await startServeConfig(
      loaded,
      { out: () => undefined, err: () => undefined },
      { DISSONANCE_MODE: 'production' },
    ).catch((e: unknown) => e);
    expect(problemsOf(error)?.[0]).toMatch(
      /^security\.trustedKeys: production mode needs at least one trusted public key file/,
    );
    expect(() => statSync(join(dir, 'never'))).toThrow();
  });
});

describe('startServeConfig: a model and a critic already in the registry', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-config-registry-'));
    writeFileSync(join(dir, 'model.onnx'), writeOnnxMlp(initMlp({ inputWidth: 4, hidden: [8], classes: 3, seed: 3 })));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the champion of model.name and a registry critic when the config names no file', async () => {
    const quiet = { out: () => undefined, err: () => undefined };
    const base = {
      server: { port: 0 },
      state: { dir: './state' },
      trainer: { kind: 'none' },
      auth: { kind: 'dev-token', file: './token' },
    };
    const first = parseServeConfig(
      { ...base, model: { name: 'm', onnx: 'model.onnx' }, critics: [{ kind: 'onnx', path: 'model.onnx', name: 'c' }] },
      dir,
      {},
    );
    await (await startServeConfig({ file: join(dir, 'a.json'), config: first }, quiet, {})).stop();
    const second = parseServeConfig(
      { ...base, model: { name: 'm' }, critics: [{ kind: 'registry', name: 'c' }], detector: 'vote-entropy' },
      dir,
      {},
    );
    const started = await startServeConfig({ file: join(dir, 'b.json'), config: second }, quiet, {});
    try {
      expect(started.engine.championVersion).toBe('1');
      const auth = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` };
      const response = await fetch(`${started.server.url}/v1/predict`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: [[1, 2, 3, 4]] }),
      });
      expect(((await response.json()) as { probabilities: number[][] }).probabilities[0]).toHaveLength(3);
    } finally {
      await started.stop();
    }
  }, 60_000);
});
