import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../../../..');

/** Runs `dissonance serve ARGS` from source with tsx; resolves to the child and, once it listens, its URL. */
function spawnServe(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(ROOT, 'packages/cli/src/cli.ts'), 'serve', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_ENV: 'development', ...env },
    },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = new Promise<string>((done, fail) => {
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString();
      const match = /listening on (\S+)/.exec(text);
      if (match !== null) done(match[1]!);
    });
    void exited.then((code) => fail(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

describe('dissonance serve --config: a scikit-learn model exported to ONNX by a Python script in the repository', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dissonance-serve-onnx-'));
    const python =
      execFileSync('bash', ['scripts/python-env.sh'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop() ?? '';
    execFileSync(python, ['scripts/python/onnx_fixtures.py', join(dir, 'models')], { cwd: ROOT, stdio: 'ignore' });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /v1/predict from the ONNX file through a file registry, as onnxruntime in Python computes it', async () => {
    const config = {
      // Threads by measurement: the session kept must answer as Python's does.
      server: { port: 0, threads: 'auto' },
      state: { dir: './state' },
      model: { name: 'sk-digits', onnx: './models/sklearn_digits.onnx' },
      registry: { kind: 'file' },
      critics: [{ kind: 'onnx', path: './models/sklearn_digits.onnx', name: 'sk-digits-critic' }],
      detector: 'jensen-shannon',
      golden: { csv: '${DIGITS_CSV}' },
      trainer: { kind: 'threaded', hidden: [16], epochs: 2 },
      labels: { feedback: { retrainEvery: 0 }, sources: [{ kind: 'agreement' }] },
      auth: { kind: 'dev-token', file: './token' },
    };
    writeFileSync(join(dir, 'serve.json'), JSON.stringify(config));
    const serve = spawnServe(['--config', join(dir, 'serve.json')], {
      DIGITS_CSV: join(ROOT, 'packages/cli/data/digits.csv'),
    });
    try {
      const url = await serve.url;
      const fixture = JSON.parse(readFileSync(join(dir, 'models/sklearn_digits.json'), 'utf8')) as {
        inputs: number[][];
        probabilities: number[][];
      };
      const auth = { authorization: `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}` };
      const response = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ rows: fixture.inputs }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { model: { name: string; version: string }; probabilities: number[][] };
      expect(body.model).toEqual({ name: 'sk-digits', version: '1' });
      body.probabilities.forEach((row, r) =>
        row.forEach((p, k) => expect(p).toBeCloseTo(fixture.probabilities[r]![k]!, 4)),
      );
      const registered = JSON.parse(
        readFileSync(join(dir, 'state/registry/sk-digits/aliases.json'), 'utf8'),
      ) as unknown;
      expect(registered).toMatchObject({ champion: '1' });
      const critic = await fetch(`${url}/v1/models/sk-digits-critic`, { headers: auth });
      expect(critic.status).toBe(200);
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
    } finally {
      if (serve.child.exitCode === null) serve.child.kill('SIGKILL');
    }
  }, 120_000);

  it('exits 2 on a bad config, every problem on its own line by path, and starts nothing', async () => {
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        server: { port: 'eighty' },
        model: { name: 'sk digits', onnx: './models/missing.onnx' },
        registry: { kind: 'redis' },
        critics: [{ kind: 'onnx' }],
        trainer: { kind: 'external', url: 'http://trainer' },
        auth: { kind: 'jwks', url: '${DISSONANCE_TEST_UNSET_JWKS_URL}', issuer: 'i', audience: 'a' },
        transports: [],
      }),
    );
    const serve = spawnServe(['--config', join(dir, 'bad.json')]);
    expect(await serve.exited).toBe(2);
    await serve.url.catch(() => undefined);
    const lines = serve.stderr().trim().split('\n');
    expect(lines[0]).toBe(`dissonance serve: config ${join(dir, 'bad.json')}: 9 problems`);
    expect(
      lines
        .slice(1)
        .map((l) => l.slice(0, l.indexOf(':')))
        .sort(),
    ).toEqual(
      [
        'auth.url',
        'critics.0.path',
        'model.name',
        'model.onnx',
        'registry.kind',
        'server.port',
        'trainer.http',
        'trainer.url',
        'transports',
      ].sort(),
    );
  }, 120_000);
});
